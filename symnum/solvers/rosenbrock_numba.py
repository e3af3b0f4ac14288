"""The compiled ``Rosenbrock23`` loop: the whole integration runs inside numba.

:func:`ros23_loop` is the loop's source; it calls the problem's numba
dispatchers as the globals ``_rhs`` and ``_jac``, and
:mod:`~symnum.solvers.rosenbrock_compiled` compiles it once per problem in a
namespace binding them, so numba inlines the right-hand side and Jacobian
into the loop. (Passing dispatchers as *arguments* instead works too, but
numba then cannot cache the result on disk, and dispatching on dispatcher
arguments costs about 10 us per call.) Everything that does not touch the
dispatchers -- the small dense LU, norms, save-time interpolation, array
allocation -- lives in cached helpers here, so only the thin loop is compiled
per problem.

The dense LU is hand written with partial pivoting: for ``n = 3`` it factors
and solves in tens of nanoseconds, whereas ``np.linalg.solve`` inside numba
goes through LAPACK with copies and workspace allocation on every call
(``benchmarks/bench_small_stiff.py`` measures both), and it would refactor for
each of the three solves per step.

Status codes returned by the loop are the ``STATUS_*`` constants below.

Examples
--------
>>> import numpy as np
>>> A = np.array([[0.0, 2.0], [1.0, 1.0]])
>>> piv, dinv = np.zeros(2, np.int64), np.zeros(2)
>>> lu_factor(A, piv, dinv)
True
>>> b = np.array([2.0, 3.0]); lu_solve(A, piv, dinv, b); b
array([2., 1.])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ros23_loop", "lu_factor", "lu_solve", "STATUS_SUCCESS", "STATUS_MAX_STEPS",
           "STATUS_DT_UNDERFLOW", "STATUS_NONFINITE", "STATUS_SINGULAR"]

STATUS_SUCCESS, STATUS_MAX_STEPS, STATUS_DT_UNDERFLOW, STATUS_NONFINITE, STATUS_SINGULAR = range(5)

# ctrl vector layout (one float64 array keeps the call cheap to box)
C_T0, C_T1, C_RTOL, C_ATOL, C_H0, C_HMAX, C_MAXSTEPS, C_ADAPTIVE, C_D, C_E32, C_DSCALE = range(11)
# info vector layout (returned): outcome, then the counters
I_STATUS, I_T, I_NREC, I_NSAVED, I_STEPS, I_ACCEPTED, I_REJECTED, I_NFEV, I_NJEV, I_NLU = range(10)
NINFO = 10

# step-size controller (standard for order-2/3 pairs; OrdinaryDiffEq's defaults)
SAFETY, QMIN, QMAX = 0.9, 0.2, 10.0
MAX_BAD = 12          # consecutive non-finite / singular retries before giving up


@njit(cache=True)
def lu_factor(A, piv, dinv):
    """In-place LU with partial pivoting of a small dense matrix; False if singular.

    ``piv[k]`` is the row swapped with row ``k``; ``dinv[k] = 1 / U[k, k]``
    so that the solves multiply instead of divide (divisions sit on the
    solves' serial dependency chain and cost a third of their time at n = 3).
    """
    n = A.shape[0]
    for k in range(n):
        m, big = k, abs(A[k, k])
        for i in range(k + 1, n):
            v = abs(A[i, k])
            if v > big:
                m, big = i, v
        piv[k] = m
        if not (big > 0.0) or big == math.inf:      # zero, NaN or infinite pivot
            return False
        if m != k:
            for j in range(n):
                tmp = A[k, j]
                A[k, j] = A[m, j]
                A[m, j] = tmp
        inv = 1.0 / A[k, k]
        dinv[k] = inv
        for i in range(k + 1, n):
            a = A[i, k] * inv
            A[i, k] = a
            for j in range(k + 1, n):
                A[i, j] -= a * A[k, j]
    return True


@njit(cache=True)
def lu_solve(LU, piv, dinv, b):
    """Solve ``A x = b`` in place with the factors from :func:`lu_factor`."""
    n = LU.shape[0]
    for k in range(n):
        m = piv[k]
        if m != k:
            tmp = b[k]
            b[k] = b[m]
            b[m] = tmp
    for i in range(1, n):
        s = b[i]
        for j in range(i):
            s -= LU[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= LU[i, j] * b[j]
        b[i] = s * dinv[i]


@njit(cache=True)
def _w_factor(J, hd, W, piv, dinv):
    """``W = I - h d J`` factored in place."""
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j] = -hd * J[i, j]
        W[i, i] += 1.0
    return lu_factor(W, piv, dinv)


@njit(cache=True)
def _rms_norm(e, y, ynew, rtol, atol):
    s = 0.0
    for i in range(e.size):
        sc = atol + rtol * max(abs(y[i]), abs(ynew[i]))
        s += (e[i] / sc) ** 2
    return math.sqrt(s / e.size)


@njit(cache=True)
def _grow(a, cap):
    out = np.empty((cap, a.shape[1]))
    out[:a.shape[0]] = a
    return out


@njit(cache=True)
def _record(hist, i, t, y, k1, k2, dense):
    """Row ``i`` of the history: ``t_i, y_i`` and, when ``dense``, step ``i``'s stages."""
    n = y.size
    hist[i, 0] = t
    for j in range(n):
        hist[i, 1 + j] = y[j]
    if dense:
        for j in range(n):
            hist[i, 1 + n + j] = k1[j]
            hist[i, 1 + 2 * n + j] = k2[j]


@njit(cache=True)
def _workspace(y0, nsave, record, dense):
    """Every array the loop needs, allocated here (few, large) so that the uncached
    loop compiles fast and a short solve does not pay per-array allocation."""
    n = y0.size
    vecs = np.zeros((12, n))          # rows: y ynew ytmp f0 f1 f2 ft dT k1 k2 k3 dinv
    vecs[0] = y0
    mats = np.zeros((2, n, n))        # J, W
    cols = 1 + 3 * n if dense else 1 + n
    hist = np.empty((64 if record else 1, cols))
    return vecs, mats, np.empty(n, np.int64), hist, np.empty((nsave, n)), np.zeros(NINFO)


@njit(cache=True)
def _dense(y, k1, k2, h, theta, d, dscale, out, row):
    """Write the ode23s dense output ``y + h (b1 k1 + b2 k2)`` at ``theta`` into ``out[row]``."""
    if theta == 1.0:           # the step's end, bit for bit as the loop computed it
        for i in range(y.size):
            out[row, i] = y[i] + h * k2[i]
        return
    b1 = theta * (1.0 - theta) * dscale
    b2 = theta * (theta - 2.0 * d) * dscale
    for i in range(y.size):
        out[row, i] = y[i] + h * (b1 * k1[i] + b2 * k2[i])


@njit(cache=True)
def _finite(v):
    for i in range(v.size):
        if not math.isfinite(v[i]):
            return False
    return True


@njit(cache=True)
def _finite2(A):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if not math.isfinite(A[i, j]):
                return False
    return True


@njit(cache=True)
def _initial_step(f0, f1, y0, h0, rtol, atol, order):
    """Hairer's starting step from ``f0 = f(t0, y0)`` and ``f1 = f(t0 + h0, y0 + h0 f0)``."""
    d1 = d2 = 0.0
    for i in range(y0.size):
        sc = atol + rtol * abs(y0[i])
        d1 += (f0[i] / sc) ** 2
        d2 += ((f1[i] - f0[i]) / sc) ** 2
    n = y0.size
    d1, d2 = math.sqrt(d1 / n), math.sqrt(d2 / n) / h0
    m = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if m <= 1e-15 else (0.01 / m) ** (1.0 / (order + 1))
    return min(100.0 * h0, h1)


# Bound per problem: :mod:`~symnum.solvers.rosenbrock_compiled` compiles a copy
# of ``ros23_loop``'s source in a namespace where these are the problem's
# numba dispatchers.
_rhs = _jac = None


def ros23_loop(p, y0, ctrl, saveat, record, dense):
    """Integrate with Rosenbrock23 from ``ctrl[C_T0]`` to ``ctrl[C_T1]``; see the module doc.

    A template: not compiled here. The problem's dispatchers are the globals
    ``_rhs(t, y, p, out)`` and ``_jac(t, y, p, J)`` of the namespace its
    source is compiled in, so that numba inlines them and can cache the result.

    Returns ``(hist, ysave, info)``: ``hist[:nrec]`` has a row per accepted
    step point (when ``record``): ``t_i, y_i`` and, when ``dense``, the stages
    ``k1, k2`` of the step leaving ``t_i``; ``ysave[:nsaved]`` is the state at
    ``saveat[:nsaved]``; ``info`` holds the status, final time, ``nrec``,
    ``nsaved`` and the counters (``I_*`` offsets). Only scalar code and calls
    appear here: array creation and copies are in cached helpers.
    """
    n = y0.size
    t0, t1 = ctrl[C_T0], ctrl[C_T1]
    rtol, atol, hmax = ctrl[C_RTOL], ctrl[C_ATOL], ctrl[C_HMAX]
    max_steps, adaptive = int(ctrl[C_MAXSTEPS]), ctrl[C_ADAPTIVE] != 0.0
    d, e32, dscale = ctrl[C_D], ctrl[C_E32], ctrl[C_DSCALE]
    tdir = 1.0 if t1 > t0 else -1.0
    nsave = saveat.size
    vecs, mats, piv, hist, ysave, info = _workspace(y0, nsave, record, dense)
    y, ynew, ytmp, f0, f1, f2 = vecs[0], vecs[1], vecs[2], vecs[3], vecs[4], vecs[5]
    ft, dT, k1, k2, k3, dinv = vecs[6], vecs[7], vecs[8], vecs[9], vecs[10], vecs[11]
    J, W = mats[0], mats[1]
    nrec, ks, t, status = 0, 0, t0, STATUS_SUCCESS
    steps = accepted = rejected = njev = nlu = 0
    nfev = 1
    _rhs(t, y, p, f0)
    h = ctrl[C_H0]
    if not (_finite(f0) and _finite(y)):
        status = STATUS_NONFINITE
        h = 0.0
    elif h <= 0.0:   # automatic first step: one extra RHS evaluation
        h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
        for i in range(n):
            ytmp[i] = y[i] + tdir * h0 * f0[i]
        _rhs(t + tdir * h0, ytmp, p, f1)
        nfev += 1
        h = _initial_step(f0, f1, y, h0, rtol, atol, 2)
    h = tdir * min(h, hmax, abs(t1 - t0))
    need_jac, bad, last_rejected = True, 0, False
    while status == STATUS_SUCCESS and tdir * (t1 - t) > 0.0:
        if steps >= max_steps:
            status = STATUS_MAX_STEPS
            break
        if tdir * (t + h - t1) > 0.0 or abs(t1 - (t + h)) < 1e-12 * abs(h):
            h = t1 - t          # land exactly on t1
        if abs(h) <= 16.0 * 2.220446049250313e-16 * max(abs(t), 1e-300):
            status = STATUS_DT_UNDERFLOW
            break
        steps += 1
        if need_jac:
            # J and df/dt depend on (t, y) only, so a rejected step reuses them
            for i in range(n):
                for j in range(n):
                    J[i, j] = 0.0
            _jac(t, y, p, J)
            njev += 1
            # forward difference in t: exactly zero for autonomous problems
            dt_fd = 1.4901161193847656e-08 * max(abs(t), 1.0)
            _rhs(t + dt_fd, y, p, ft)
            nfev += 1
            for i in range(n):
                dT[i] = (ft[i] - f0[i]) / dt_fd
            need_jac = False
        hd = h * d
        nlu += 1
        if not _w_factor(J, hd, W, piv, dinv):
            # I - h d J singular: J has the eigenvalue 1 / (h d), and a smaller h
            # moves off it -- unless J itself is not finite
            bad += 1
            rejected += 1
            if not _finite2(J):
                status = STATUS_NONFINITE
                break
            if bad > MAX_BAD or not adaptive:
                status = STATUS_SINGULAR
                break
            h *= 0.25
            continue
        for i in range(n):
            k1[i] = f0[i] + hd * dT[i]
        lu_solve(W, piv, dinv, k1)
        for i in range(n):
            ytmp[i] = y[i] + 0.5 * h * k1[i]
        _rhs(t + 0.5 * h, ytmp, p, f1)
        for i in range(n):
            k2[i] = f1[i] - k1[i]
        lu_solve(W, piv, dinv, k2)
        for i in range(n):
            k2[i] += k1[i]
            ynew[i] = y[i] + h * k2[i]
        _rhs(t + h, ynew, p, f2)
        nfev += 2
        if adaptive:
            for i in range(n):
                k3[i] = f2[i] - e32 * (k2[i] - f1[i]) - 2.0 * (k1[i] - f0[i]) + hd * dT[i]
            lu_solve(W, piv, dinv, k3)
            for i in range(n):
                k3[i] = h / 6.0 * (k1[i] - 2.0 * k2[i] + k3[i])
            err = _rms_norm(k3, y, ynew, rtol, atol)
        else:
            err = 0.0 if _finite(ynew) and _finite(f2) else math.nan
        if not math.isfinite(err):
            bad += 1
            rejected += 1
            if bad > MAX_BAD or not adaptive:
                status = STATUS_NONFINITE
                break
            h *= 0.25
            last_rejected = True
            continue
        bad = 0
        if err > 1.0:
            rejected += 1
            h *= max(QMIN, SAFETY * err ** (-1.0 / 3.0))
            last_rejected = True
            continue
        accepted += 1
        tnew = t + h
        while ks < nsave and tdir * (saveat[ks] - tnew) <= 0.0:
            th = 1.0 if saveat[ks] == tnew else (saveat[ks] - t) / h
            _dense(y, k1, k2, h, th, d, dscale, ysave, ks)
            ks += 1
        if record:
            if nrec + 1 >= hist.shape[0]:
                hist = _grow(hist, 2 * hist.shape[0])
            _record(hist, nrec, t, y, k1, k2, dense)
            nrec += 1
        if adaptive:
            q = SAFETY * err ** (-1.0 / 3.0) if err > 0.0 else QMAX
            h *= min(1.0 if last_rejected else QMAX, max(QMIN, q))
            h = tdir * min(abs(h), hmax)
        t = tnew
        y, ynew = ynew, y
        f0, f2 = f2, f0            # FSAL: f(t + h, y1) is the next step's f0
        need_jac, last_rejected = True, False
    if record:                     # the last point reached (its stages stay unset)
        _record(hist, nrec, t, y, k1, k2, False)
        nrec += 1
    info[I_STATUS], info[I_T], info[I_NREC], info[I_NSAVED] = status, t, nrec, ks
    info[I_STEPS], info[I_ACCEPTED], info[I_REJECTED] = steps, accepted, rejected
    info[I_NFEV], info[I_NJEV], info[I_NLU] = nfev, njev, nlu
    return hist, ysave, info
