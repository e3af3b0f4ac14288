"""The compiled loop of the ``Rodas`` methods (any :class:`RodasTableau`), inside numba.

Same design as :mod:`~symnum.solvers.rosenbrock_numba` (whose cached helpers,
status codes and ``ctrl``/``info`` layouts it shares): :func:`rodas_loop` is a
template compiled once per problem with the problem's dispatchers bound to
``_rhs`` and ``_jac``; the tableau arrays are arguments, so one compiled loop
serves every Rodas method.

Per step: one Jacobian (reused by rejected steps), one LU of ``I - h gamma J``,
``s`` solves; the stage equations ``(I / (h gamma) - J) k = b`` are solved as
``(I - h gamma J) k = h gamma b``. The error estimate is the last stage.

Examples
--------
>>> import numpy as np
>>> K = np.array([[1.0, 2.0], [0.5, 1.0]])          # K1, K2 for n = 2
>>> out = np.zeros((1, 2))
>>> _rodas_dense(np.zeros(2), np.ones(2), K, 1.0, out, 0); out   # theta = 1 gives y1
array([[1., 1.]])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rosenbrock_numba import (  # noqa: F401  (globals of the template below)
    C_ADAPTIVE, C_ATOL, C_D, C_DSCALE, C_E32, C_H0, C_HMAX, C_MAXSTEPS, C_RTOL, C_T0, C_T1,
    I_ACCEPTED, I_NFEV, I_NJEV, I_NLU, I_NREC, I_NSAVED, I_REJECTED, I_STATUS, I_STEPS, I_T,
    MAX_BAD, NINFO, QMAX, QMIN, SAFETY, STATUS_DT_UNDERFLOW, STATUS_MAX_STEPS, STATUS_NONFINITE,
    STATUS_SINGULAR, STATUS_SUCCESS, _finite, _finite2, _grow, _initial_step, _rms_norm,
    _w_factor, lu_solve)

__all__ = ["rodas_loop", "C_GAMMA", "C_EXPO", "C_ORDER"]

# the Rodas meaning of the shared ctrl slots (the imports above are the names the
# template uses: they must be globals of this module)
C_GAMMA, C_EXPO, C_ORDER = C_D, C_E32, C_DSCALE

@njit(cache=True)
def _rodas_workspace(y0, s, ndense, nsave, record, dense):
    """Every array the loop needs (few, large; see ``rosenbrock_numba._workspace``)."""
    n = y0.size
    vecs = np.zeros((10, n))          # rows: y ynew ytmp f0 fs ft dT b err dinv
    vecs[0] = y0
    cols = 1 + n + ndense * n if dense else 1 + n
    hist = np.empty((64 if record else 1, cols))
    return (vecs, np.zeros((s, n)), np.zeros((ndense, n)), np.zeros((2, n, n)),
            np.empty(n, np.int64), hist, np.empty((nsave, n)), np.zeros(NINFO))


@njit(cache=True)
def _rodas_record(hist, i, t, y, K, dense):
    """Row ``i``: ``t_i, y_i`` and, when ``dense``, step ``i``'s ``K_1 .. K_m``."""
    n = y.size
    hist[i, 0] = t
    for j in range(n):
        hist[i, 1 + j] = y[j]
    if dense:
        for r in range(K.shape[0]):
            for j in range(n):
                hist[i, 1 + (r + 1) * n + j] = K[r, j]


@njit(cache=True)
def _rodas_dense(y, y1, K, theta, out, row):
    """``(1 - th) y + th (y1 + (1 - th) (K1 + th (K2 + ...)))`` into ``out[row]``."""
    m = K.shape[0]
    for i in range(y.size):
        acc = K[m - 1, i]
        for r in range(m - 2, -1, -1):
            acc = K[r, i] + theta * acc
        out[row, i] = (1.0 - theta) * y[i] + theta * (y1[i] + (1.0 - theta) * acc)


@njit(cache=True)
def _stage_rhs(b, fs, h, di, dT, C, i, ks):
    """``b = fs + h d_i T + sum_j (C[i, j] / h) k_j``."""
    n = b.size
    for q in range(n):
        b[q] = fs[q] + h * di * dT[q]
    for j in range(i):
        cij = C[i, j] / h
        if cij != 0.0:
            for q in range(n):
                b[q] += cij * ks[j, q]


@njit(cache=True)
def _stage_state(ytmp, y, A, i, ks):
    """``ytmp = y + sum_j A[i, j] k_j``."""
    n = y.size
    for q in range(n):
        ytmp[q] = y[q]
    for j in range(i):
        aij = A[i, j]
        if aij != 0.0:
            for q in range(n):
                ytmp[q] += aij * ks[j, q]


@njit(cache=True)
def _dense_coeffs(K, H, ks):
    for r in range(K.shape[0]):
        for q in range(K.shape[1]):
            acc = 0.0
            for j in range(ks.shape[0]):
                acc += H[r, j] * ks[j, q]
            K[r, q] = acc


_rhs = _jac = None


def rodas_loop(p, y0, ctrl, A, C, c, d, H, saveat, record, dense):
    """Integrate with the Rodas tableau ``(A, C, c, d, H)``; returns ``(hist, ysave, info)``.

    A template (see the module docstring). ``hist`` rows are ``t_i, y_i`` and,
    when ``dense``, the dense coefficients ``K_1 .. K_m`` of the step leaving
    ``t_i``; ``ysave``, ``info`` as in ``ros23_loop``.
    """
    n, s, m = y0.size, c.size, H.shape[0]
    t0, t1 = ctrl[C_T0], ctrl[C_T1]
    rtol, atol, hmax = ctrl[C_RTOL], ctrl[C_ATOL], ctrl[C_HMAX]
    max_steps, adaptive = int(ctrl[C_MAXSTEPS]), ctrl[C_ADAPTIVE] != 0.0
    gamma, expo = ctrl[C_GAMMA], ctrl[C_EXPO]
    tdir = 1.0 if t1 > t0 else -1.0
    nsave = saveat.size
    vecs, ks, K, mats, piv, hist, ysave, info = _rodas_workspace(y0, s, m, nsave, record, dense)
    y, ynew, ytmp, f0, fs = vecs[0], vecs[1], vecs[2], vecs[3], vecs[4]
    ft, dT, b, err_v, dinv = vecs[5], vecs[6], vecs[7], vecs[8], vecs[9]
    J, W = mats[0], mats[1]
    nrec, ks_saved, t, status = 0, 0, t0, STATUS_SUCCESS
    steps = accepted = rejected = njev = nlu = 0
    nfev = 1
    _rhs(t, y, p, f0)
    h = ctrl[C_H0]
    if not (_finite(f0) and _finite(y)):
        status = STATUS_NONFINITE
        h = 0.0
    elif h <= 0.0:
        h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
        for q in range(n):
            ytmp[q] = y[q] + tdir * h0 * f0[q]
        _rhs(t + tdir * h0, ytmp, p, fs)
        nfev += 1
        h = _initial_step(f0, fs, y, h0, rtol, atol, int(ctrl[C_ORDER]))
    h = tdir * min(h, hmax, abs(t1 - t0))
    need_jac, bad, last_rejected = True, 0, False
    while status == STATUS_SUCCESS and tdir * (t1 - t) > 0.0:
        if steps >= max_steps:
            status = STATUS_MAX_STEPS
            break
        if tdir * (t + h - t1) > 0.0 or abs(t1 - (t + h)) < 1e-12 * abs(h):
            h = t1 - t
        if abs(h) <= 16.0 * 2.220446049250313e-16 * max(abs(t), 1e-300):
            status = STATUS_DT_UNDERFLOW
            break
        steps += 1
        if need_jac:
            for i in range(n):
                for j in range(n):
                    J[i, j] = 0.0
            _jac(t, y, p, J)
            njev += 1
            # df/dt: a forward difference is exactly zero for autonomous problems; otherwise
            # a central one, whose O(dt^2) error stays below order-4/5 local errors
            dt_fd = 6.055454452393343e-06 * max(abs(t), 1.0)          # eps^(1/3)
            _rhs(t + dt_fd, y, p, ft)
            nfev += 1
            autonomous = True
            for q in range(n):
                dT[q] = ft[q] - f0[q]
                autonomous = autonomous and dT[q] == 0.0
            if not autonomous:
                _rhs(t - dt_fd, y, p, dT)
                nfev += 1
                for q in range(n):
                    dT[q] = (ft[q] - dT[q]) / (2.0 * dt_fd)
            need_jac = False
        hg = h * gamma
        nlu += 1
        if not _w_factor(J, hg, W, piv, dinv):
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
        for i in range(s):
            _stage_state(ytmp, y, A, i, ks)
            if i == 0:
                _stage_rhs(b, f0, h, d[0], dT, C, 0, ks)
            else:
                _rhs(t + c[i] * h, ytmp, p, fs)
                nfev += 1
                _stage_rhs(b, fs, h, d[i], dT, C, i, ks)
            lu_solve(W, piv, dinv, b)
            for q in range(n):
                ks[i, q] = hg * b[q]
        for q in range(n):                 # ytmp holds the last stage's state
            ynew[q] = ytmp[q] + ks[s - 1, q]
            err_v[q] = ks[s - 1, q]
        if adaptive:
            err = _rms_norm(err_v, y, ynew, rtol, atol)
        else:
            err = 0.0 if _finite(ynew) else math.nan
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
            h *= max(QMIN, SAFETY * err ** (-expo))
            last_rejected = True
            continue
        accepted += 1
        tnew = t + h
        if dense or ks_saved < nsave:
            _dense_coeffs(K, H, ks)
        while ks_saved < nsave and tdir * (saveat[ks_saved] - tnew) <= 0.0:
            th = 1.0 if saveat[ks_saved] == tnew else (saveat[ks_saved] - t) / h
            _rodas_dense(y, ynew, K, th, ysave, ks_saved)
            ks_saved += 1
        if record:
            if nrec + 1 >= hist.shape[0]:
                hist = _grow(hist, 2 * hist.shape[0])
            _rodas_record(hist, nrec, t, y, K, dense)
            nrec += 1
        if adaptive:
            qf = SAFETY * err ** (-expo) if err > 0.0 else QMAX
            h *= min(1.0 if last_rejected else QMAX, max(QMIN, qf))
            h = tdir * min(abs(h), hmax)
        t = tnew
        y, ynew = ynew, y
        _rhs(t, y, p, f0)                  # not FSAL: the last stage sits at u_last, not y1
        nfev += 1
        if not _finite(f0):
            status = STATUS_NONFINITE
            break
        need_jac, last_rejected = True, False
    if record:
        _rodas_record(hist, nrec, t, y, K, False)
        nrec += 1
    info[I_STATUS], info[I_T], info[I_NREC], info[I_NSAVED] = status, t, nrec, ks_saved
    info[I_STEPS], info[I_ACCEPTED], info[I_REJECTED] = steps, accepted, rejected
    info[I_NFEV], info[I_NJEV], info[I_NLU] = nfev, njev, nlu
    return hist, ysave, info
