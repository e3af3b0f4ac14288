"""The compiled Rosenbrock loop: the whole integration runs inside numba.

:func:`rosenbrock_loop` is the loop's source, for ``Rosenbrock23`` and every
Rodas method. It calls the problem's numba dispatchers as the globals ``_rhs``
and ``_jac`` and takes the method from the global ``METHOD``;
:mod:`~symnum.solvers.rosenbrock_compiled` compiles it once per problem and
method in a namespace binding the three, so numba inlines the right-hand side
and Jacobian and drops the other method's branches. (Passing dispatchers as
*arguments* works too, but numba then cannot cache the result on disk, and
dispatching on them costs about 10 us per call.) The steps are written into
the loop, not called as functions: numba updates the reference count of each
array a function takes, a few percent of a microsecond-scale solve. Work that
does not touch the dispatchers -- the small dense LU, norms, allocation
(:mod:`~symnum.solvers.rosenbrock_kernels`), the Rodas stage sums
(:mod:`~symnum.solvers.rodas_numba`) -- is in cached helpers, so only the
loop is compiled per problem. The step-size control is
:mod:`~symnum.solvers.rosenbrock_control`, shared with the Python loop.

Examples
--------
The ``METHOD`` each kind of solver compiles the loop with:

>>> from symnum.solvers.rosenbrock_compiled import METHODS
>>> {kind: globals()[name] for kind, name in METHODS.items()}
{'ros23': 0, 'rodas': 1}
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

from .rodas_numba import _dense_coeffs, _rodas_dense, _stage_rhs, _stage_state
from .rosenbrock_control import (C_EXPO, C_GAMMA, C_H0, C_ORDER, I_ACCEPTED, I_NFEV, I_NJEV,
                                 I_NLU, I_NREC, I_NSAVED, I_REJECTED, I_STATUS, I_STEPS, I_T,
                                 STATUS_NONFINITE, STATUS_SINGULAR, STATUS_SUCCESS, control,
                                 first_step, guard, retry, unpack)
from .rosenbrock_kernels import (_arrays, _dense, _difference, _finite, _finite2, _grow,
                                 _record, _rms_norm, _start_norms, _w_factor, _zero, lu_solve)

__all__ = ["rosenbrock_loop", "ROS23", "RODAS"]

# the controller: compiled into the loop from the source the Python loop runs
for _fn in (unpack, first_step, guard, retry, control):
    register_jitable(_fn)

#: Values of ``METHOD``: ``tab`` is ``(d, e32, dense_scale)`` for ``ROS23`` and
#: ``(A, C, c, d, H)`` (a ``RodasTableau``'s floats) for ``RODAS``.
ROS23, RODAS = 0, 1


# Bound per compiled copy: :mod:`~symnum.solvers.rosenbrock_compiled` compiles the
# functions below in a namespace where these are the problem's numba dispatchers and
# the method.
_rhs = _jac = None
METHOD = ROS23


def _start(p, ctrl, y, f0, ytmp, f1):
    """``f0 = f(t0, y0)`` and the signed first step: ``(status, h, RHS calls)``.

    Compiled per problem. Without ``ctrl[C_H0]``, Hairer's estimate costs one
    more RHS evaluation, at a probe point written through ``ytmp`` and ``f1``.
    """
    t0, t1, rtol, atol, hmax, _, _, tdir = unpack(ctrl)
    _rhs(t0, y, p, f0)
    h = ctrl[C_H0]
    if not (_finite(f0) and _finite(y)):
        return STATUS_NONFINITE, 0.0, 1
    if h > 0.0:
        return STATUS_SUCCESS, tdir * min(h, hmax, abs(t1 - t0)), 1
    h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
    for i in range(y.size):
        ytmp[i] = y[i] + tdir * h0 * f0[i]
    _rhs(t0 + tdir * h0, ytmp, p, f1)
    d1, d2 = _start_norms(f0, f1, y, h0, rtol, atol)
    h = first_step(d1, d2, h0, int(ctrl[C_ORDER]))
    return STATUS_SUCCESS, tdir * min(h, hmax, abs(t1 - t0)), 2


def rosenbrock_loop(p, y0, ctrl, tab, saveat, record, dense):
    """Integrate from ``ctrl[C_T0]`` to ``ctrl[C_T1]`` with ``METHOD``; see the module doc.

    A template: not compiled here; ``tab`` holds the method's coefficients
    (see :data:`ROS23`). Returns ``(hist, ysave, info)``: ``hist[:nrec]`` has
    a row per accepted step point (when ``record``): ``t_i, y_i`` and, when
    ``dense``, the rows of ``D``, the dense-output data of the step leaving
    ``t_i`` (Rosenbrock23's ``k1, k2``, the Rodas ``K_1 .. K_m``);
    ``ysave[:nsaved]`` is the state at ``saveat[:nsaved]``; ``info`` holds the
    status, final time, ``nrec``, ``nsaved`` and the counters (``I_*``).
    """
    n = y0.size
    t0, t1, rtol, atol, hmax, max_steps, adaptive, tdir = unpack(ctrl)
    gamma, expo = ctrl[C_GAMMA], ctrl[C_EXPO]
    nsave = saveat.size
    if METHOD == ROS23:
        rows, m = 3, 2
    else:
        A, C, c, d, H = tab
        s = c.size
        rows, m = 3 + s, H.shape[0]
    vecs, mats, piv, hist, ysave, info = _arrays(y0, rows, m, nsave, record, dense)
    y, ynew, f0, fnew, ft, dT, dinv = vecs[0], vecs[1], vecs[2], vecs[3], vecs[4], vecs[5], vecs[6]
    # the stage state, f there, a solve's right-hand side, the Rodas stages, and D
    ytmp, fs, b, ks, D = vecs[7], vecs[8], vecs[9], vecs[10:7 + rows], vecs[7 + rows:]
    if METHOD == ROS23:
        d23, e32, dscale = tab
        k1, k2 = D[0], D[1]
    J, W = mats[0], mats[1]
    status, h, nfev = _start(p, ctrl, y, f0, ytmp, fs)
    nrec, nsaved, t = 0, 0, t0
    steps = accepted = rejected = njev = nlu = 0
    need_jac, bad, last_rejected = True, 0, False
    while status == STATUS_SUCCESS and tdir * (t1 - t) > 0.0:
        status, h = guard(t, h, t1, tdir, steps, max_steps)
        if status != STATUS_SUCCESS:
            break
        steps += 1
        if need_jac:
            # J and df/dt depend on (t, y) only, so a rejected step reuses them
            _zero(J)                       # the kernel writes the structural nonzeros only
            _jac(t, y, p, J)
            njev += 1
            need_jac = False
            # df/dt: a forward difference is exactly zero for autonomous problems and
            # enough for Rosenbrock23 (a W-method); otherwise Rodas takes a central one,
            # whose O(dt^2) error stays below order-4/5 local errors
            dt_fd = (1.4901161193847656e-08 if METHOD == ROS23       # sqrt(eps)
                     else 6.055454452393343e-06) * max(abs(t), 1.0)   # eps^(1/3)
            _rhs(t + dt_fd, y, p, ft)
            nfev += 1
            if METHOD == ROS23:
                for i in range(n):
                    dT[i] = (ft[i] - f0[i]) / dt_fd
            elif _difference(ft, f0, dT):
                _rhs(t - dt_fd, y, p, dT)
                nfev += 1
                for i in range(n):
                    dT[i] = (ft[i] - dT[i]) / (2.0 * dt_fd)
        hg = h * gamma
        nlu += 1
        if not _w_factor(J, hg, W, piv, dinv):
            # I - h gamma J singular: J has the eigenvalue 1 / (h gamma), and a
            # smaller h moves off it -- unless J itself is not finite
            rejected += 1
            if _finite2(J):
                status, h, bad = retry(h, bad, adaptive, STATUS_SINGULAR)
            else:
                status = STATUS_NONFINITE
            continue
        if METHOD == ROS23:
            # the ode23s stages (rosenbrock_tableau); f(t + h, ynew) is the error stage
            for i in range(n):
                k1[i] = f0[i] + hg * dT[i]
            lu_solve(W, piv, dinv, k1)
            for i in range(n):
                ytmp[i] = y[i] + 0.5 * h * k1[i]
            _rhs(t + 0.5 * h, ytmp, p, fs)
            for i in range(n):
                k2[i] = fs[i] - k1[i]
            lu_solve(W, piv, dinv, k2)
            for i in range(n):
                k2[i] += k1[i]
                ynew[i] = y[i] + h * k2[i]
            _rhs(t + h, ynew, p, fnew)
            nfev += 2
            if adaptive:
                for i in range(n):
                    b[i] = fnew[i] - e32 * (k2[i] - fs[i]) - 2.0 * (k1[i] - f0[i]) + hg * dT[i]
                lu_solve(W, piv, dinv, b)
                for i in range(n):
                    b[i] = h / 6.0 * (k1[i] - 2.0 * k2[i] + b[i])
                err = _rms_norm(b, y, ynew, rtol, atol)
            else:
                err = 0.0 if _finite(ynew) and _finite(fnew) else math.nan
        else:
            # stage i solves (I - h gamma J) k_i = h gamma b_i at the state ytmp
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
            for q in range(n):             # ytmp holds the last stage's state
                ynew[q] = ytmp[q] + ks[s - 1, q]
            if adaptive:                   # the last stage is the error estimate
                err = _rms_norm(ks[s - 1], y, ynew, rtol, atol)
            else:
                err = 0.0 if _finite(ynew) else math.nan
        status, accept, hnext, bad = control(err, h, bad, last_rejected, adaptive, expo, tdir,
                                             hmax)
        if not accept:
            rejected += 1
            h, last_rejected = hnext, True
            continue
        accepted += 1
        tnew = t + h
        if METHOD != ROS23 and (dense or nsaved < nsave):
            _dense_coeffs(D, H, ks)
        while nsaved < nsave and tdir * (saveat[nsaved] - tnew) <= 0.0:
            th = 1.0 if saveat[nsaved] == tnew else (saveat[nsaved] - t) / h
            if METHOD == ROS23:
                _dense(y, k1, k2, h, th, d23, dscale, ysave, nsaved)
            else:
                _rodas_dense(y, ynew, D, th, ysave, nsaved)
            nsaved += 1
        if record:
            if nrec + 1 >= hist.shape[0]:
                hist = _grow(hist, 2 * hist.shape[0])
            _record(hist, nrec, t, y, D, dense)
            nrec += 1
        t, h = tnew, hnext
        y, ynew = ynew, y
        if METHOD == ROS23:
            f0, fnew = fnew, f0            # FSAL: f(t, y) is the last stage's
        else:
            _rhs(t, y, p, f0)              # not FSAL: the last stage sits at u_last, not y1
            nfev += 1
            if not _finite(f0):
                status = STATUS_NONFINITE
        need_jac, last_rejected = True, False
    if record:                     # the last point reached (its stages stay unset)
        _record(hist, nrec, t, y, D, False)
        nrec += 1
    info[I_STATUS], info[I_T], info[I_NREC], info[I_NSAVED] = status, t, nrec, nsaved
    info[I_STEPS], info[I_ACCEPTED], info[I_REJECTED] = steps, accepted, rejected
    info[I_NFEV], info[I_NJEV], info[I_NLU] = nfev, njev, nlu
    return hist, ysave, info
