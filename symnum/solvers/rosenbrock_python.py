"""The Python loops of ``Rosenbrock23`` and the Rodas methods, for problems without numba.

Same methods, controller and status codes as the compiled loops in
:mod:`~symnum.solvers.rosenbrock_numba` and :mod:`~symnum.solvers.rodas_numba`;
the right-hand side is ``functions.rhs`` and the Jacobian ``functions.jac``
(sparse or dense), or forward differences when there is none (``n`` extra RHS
calls per Jacobian, fine for the small systems this path is for; harmless to
``ode23s``, a W-method, while the Rodas methods assume an exact Jacobian and
lose a little accuracy to the ~1e-8 relative differencing error). ``W`` is
factored by SciPy: a dense LU up to :data:`DENSE_MAX` unknowns, SuperLU on the
sparse matrix above.

Examples
--------
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.rosenbrock_tableau import ROSENBROCK23
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> ctrl = np.array([0.0, 1.0, 1e-8, 1e-10, 0.0, np.inf, 1e5, 1.0,
...                  *ROSENBROCK23.floats().values()])
>>> hist, ysave, info = ros23_python(f, np.ones(1), ctrl, np.empty(0), True, True)
>>> int(info[0]), bool(abs(hist[-1, 1] - np.exp(-1)) < 1e-6)
(0, True)
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from .rosenbrock_numba import (C_ADAPTIVE, C_ATOL, C_D, C_DSCALE, C_E32, C_H0, C_HMAX,
                               C_MAXSTEPS, C_RTOL, C_T0, C_T1, I_ACCEPTED, I_NFEV, I_NJEV, I_NLU,
                               I_NREC, I_NSAVED, I_REJECTED, I_STATUS, I_STEPS, I_T, MAX_BAD,
                               NINFO, QMAX, QMIN, SAFETY, STATUS_DT_UNDERFLOW, STATUS_MAX_STEPS,
                               STATUS_NONFINITE, STATUS_SINGULAR, STATUS_SUCCESS)

__all__ = ["ros23_python", "rodas_python", "DENSE_MAX"]

#: Largest system whose ``W`` is factored densely (a sparse Jacobian is densified).
DENSE_MAX = 64


class _Factor:
    """``W = I - h d J`` factored once per step; ``solve`` applies ``W^-1``."""

    def __init__(self, J, hd: float):
        n = J.shape[0]
        if sps.issparse(J):
            W = (sps.identity(n, format="csc") - hd * J).tocsc()
            self.lu = spla.splu(W)          # RuntimeError when exactly singular
            self.solve = self.lu.solve
        else:
            W = np.eye(n) - hd * J
            with warnings.catch_warnings():
                warnings.simplefilter("error", sla.LinAlgWarning)
                lu = sla.lu_factor(W, check_finite=False)
            if not np.all(np.isfinite(lu[0])) or np.any(np.diag(lu[0]) == 0.0):
                raise np.linalg.LinAlgError("singular")
            self.solve = lambda b: sla.lu_solve(lu, b, check_finite=False)


def _jacobian(functions, t, y, f0, stats):
    """The Jacobian at ``(t, y)``: exact if known (densified when small), else differences."""
    n = y.size
    if functions.jac is not None:
        J = functions.jac(t, y)
        if sps.issparse(J):
            return J.toarray() if n <= DENSE_MAX else sps.csr_matrix(J)
        return np.asarray(J, dtype=float)
    J = np.empty((n, n))
    for j in range(n):
        dy = 1.4901161193847656e-08 * max(abs(y[j]), 1.0)
        yj = y.copy()
        yj[j] += dy
        J[:, j] = (np.asarray(functions.rhs(t, yj), dtype=float) - f0) / dy
    stats[I_NFEV] += n
    return sps.csr_matrix(J) if n > DENSE_MAX else J


def _time_derivative(f, t, y, f0):
    """``df/dt``: zero for autonomous problems (one call), else a central difference."""
    dt_fd = 6.055454452393343e-06 * max(abs(t), 1.0)          # eps^(1/3)
    fp = f(t + dt_fd, y)
    if np.array_equal(fp, f0):
        return np.zeros_like(f0)
    return (fp - f(t - dt_fd, y)) / (2.0 * dt_fd)


def _rms(e, y, ynew, rtol, atol):
    sc = atol + rtol * np.maximum(np.abs(y), np.abs(ynew))
    return math.sqrt(float(np.mean((e / sc) ** 2)))


def ros23_python(functions, y0, ctrl, saveat, record, dense):
    """Integrate with Rosenbrock23 in Python; same arguments and results as ``ros23_loop``."""
    rhs = functions.rhs
    t0, t1 = ctrl[C_T0], ctrl[C_T1]
    rtol, atol, hmax = ctrl[C_RTOL], ctrl[C_ATOL], ctrl[C_HMAX]
    max_steps, adaptive = int(ctrl[C_MAXSTEPS]), ctrl[C_ADAPTIVE] != 0.0
    d, e32, dscale = ctrl[C_D], ctrl[C_E32], ctrl[C_DSCALE]
    tdir = 1.0 if t1 > t0 else -1.0
    n, nsave = y0.size, saveat.size
    stats = np.zeros(NINFO)
    rows, ysave = [], np.empty((nsave, n))
    ks, t, y = 0, t0, np.array(y0, dtype=float)
    width = 1 + 3 * n if dense else 1 + n

    def done(status):
        hist = np.zeros((len(rows) + 1, width))
        for i, row in enumerate(rows):
            hist[i, :row.size] = row
        hist[-1, 0], hist[-1, 1:1 + n] = t, y
        stats[[I_STATUS, I_T, I_NREC, I_NSAVED]] = status, t, len(rows) + 1, ks
        if not record:
            hist = hist[:0]
            stats[I_NREC] = 0
        return hist, ysave, stats

    def f(tt, yy):
        stats[I_NFEV] += 1
        return np.asarray(rhs(tt, yy), dtype=float)

    with np.errstate(all="ignore"):
        f0 = f(t, y)
        if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(y))):
            return done(STATUS_NONFINITE)
        h = ctrl[C_H0]
        if h <= 0.0:
            h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
            f1 = f(t + tdir * h0, y + tdir * h0 * f0)
            sc = atol + rtol * np.abs(y)
            d1 = math.sqrt(float(np.mean((f0 / sc) ** 2)))
            d2 = math.sqrt(float(np.mean(((f1 - f0) / sc) ** 2))) / h0
            m = max(d1, d2)
            h = min(100.0 * h0, max(1e-6, h0 * 1e-3) if m <= 1e-15 else (0.01 / m) ** (1 / 3))
        h = tdir * min(h, hmax, abs(t1 - t0))
        J = dT = None
        bad, last_rejected = 0, False
        while tdir * (t1 - t) > 0.0:
            if stats[I_STEPS] >= max_steps:
                return done(STATUS_MAX_STEPS)
            if tdir * (t + h - t1) > 0.0 or abs(t1 - (t + h)) < 1e-12 * abs(h):
                h = t1 - t
            if abs(h) <= 16.0 * np.finfo(float).eps * max(abs(t), 1e-300):
                return done(STATUS_DT_UNDERFLOW)
            stats[I_STEPS] += 1
            if J is None:   # reused by a rejected step: it depends on (t, y) only
                J = _jacobian(functions, t, y, f0, stats)
                stats[I_NJEV] += 1
                dt_fd = 1.4901161193847656e-08 * max(abs(t), 1.0)
                dT = (f(t + dt_fd, y) - f0) / dt_fd
            hd = h * d
            stats[I_NLU] += 1
            try:
                W = _Factor(J, hd)
            except (RuntimeError, np.linalg.LinAlgError, sla.LinAlgWarning):
                bad += 1
                stats[I_REJECTED] += 1
                finite = np.all(np.isfinite(J.data if sps.issparse(J) else J))
                if not finite:
                    return done(STATUS_NONFINITE)
                if bad > MAX_BAD or not adaptive:
                    return done(STATUS_SINGULAR)
                h *= 0.25
                continue
            k1 = W.solve(f0 + hd * dT)
            f1 = f(t + 0.5 * h, y + 0.5 * h * k1)
            k2 = W.solve(f1 - k1) + k1
            ynew = y + h * k2
            f2 = f(t + h, ynew)
            if adaptive:
                k3 = W.solve(f2 - e32 * (k2 - f1) - 2.0 * (k1 - f0) + hd * dT)
                err = _rms(h / 6.0 * (k1 - 2.0 * k2 + k3), y, ynew, rtol, atol)
            else:
                err = 0.0 if np.all(np.isfinite(ynew)) and np.all(np.isfinite(f2)) else math.nan
            if not math.isfinite(err):
                bad += 1
                stats[I_REJECTED] += 1
                if bad > MAX_BAD or not adaptive:
                    return done(STATUS_NONFINITE)
                h *= 0.25
                last_rejected = True
                continue
            bad = 0
            if err > 1.0:
                stats[I_REJECTED] += 1
                h *= max(QMIN, SAFETY * err ** (-1.0 / 3.0))
                last_rejected = True
                continue
            stats[I_ACCEPTED] += 1
            tnew = t + h
            while ks < nsave and tdir * (saveat[ks] - tnew) <= 0.0:
                th = (saveat[ks] - t) / h
                ysave[ks] = ynew if saveat[ks] == tnew else y + h * (
                    th * (1 - th) * dscale * k1 + th * (th - 2 * d) * dscale * k2)
                ks += 1
            if record:
                rows.append(np.concatenate(([t], y, k1, k2) if dense else ([t], y)))
            if adaptive:
                q = SAFETY * err ** (-1.0 / 3.0) if err > 0.0 else QMAX
                h *= min(1.0 if last_rejected else QMAX, max(QMIN, q))
                h = tdir * min(abs(h), hmax)
            t, y, f0 = tnew, ynew, f2
            J, last_rejected = None, False
    return done(STATUS_SUCCESS)


def rodas_python(functions, y0, ctrl, tab, saveat, record, dense):
    """A Rodas method in Python; same arguments and results as ``rodas_loop``.

    ``tab`` is :meth:`~symnum.solvers.rosenbrock_tableau.RodasTableau.floats`.
    """
    from .rodas_numba import C_EXPO, C_GAMMA, C_ORDER

    rhs = functions.rhs
    A, C, c, d, H = tab["A"], tab["C"], tab["c"], tab["d"], tab["H"]
    t0, t1 = ctrl[C_T0], ctrl[C_T1]
    rtol, atol, hmax = ctrl[C_RTOL], ctrl[C_ATOL], ctrl[C_HMAX]
    max_steps, adaptive = int(ctrl[C_MAXSTEPS]), ctrl[C_ADAPTIVE] != 0.0
    gamma, expo, order = ctrl[C_GAMMA], ctrl[C_EXPO], int(ctrl[C_ORDER])
    tdir = 1.0 if t1 > t0 else -1.0
    n, nsave, s = y0.size, saveat.size, c.size
    stats = np.zeros(NINFO)
    rows, ysave = [], np.empty((nsave, n))
    ks_saved, t, y = 0, t0, np.array(y0, dtype=float)
    width = 1 + n + H.shape[0] * n if dense else 1 + n

    def done(status):
        hist = np.zeros((len(rows) + 1, width))
        for i, row in enumerate(rows):
            hist[i, :row.size] = row
        hist[-1, 0], hist[-1, 1:1 + n] = t, y
        stats[[I_STATUS, I_T, I_NREC, I_NSAVED]] = status, t, len(rows) + 1, ks_saved
        if not record:
            hist = hist[:0]
            stats[I_NREC] = 0
        return hist, ysave, stats

    def f(tt, yy):
        stats[I_NFEV] += 1
        return np.asarray(rhs(tt, yy), dtype=float)

    with np.errstate(all="ignore"):
        f0 = f(t, y)
        if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(y))):
            return done(STATUS_NONFINITE)
        h = ctrl[C_H0]
        if h <= 0.0:
            h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
            f1 = f(t + tdir * h0, y + tdir * h0 * f0)
            sc = atol + rtol * np.abs(y)
            m = max(math.sqrt(float(np.mean((f0 / sc) ** 2))),
                    math.sqrt(float(np.mean(((f1 - f0) / sc) ** 2))) / h0)
            h = min(100.0 * h0, max(1e-6, h0 * 1e-3) if m <= 1e-15 else
                    (0.01 / m) ** (1 / (order + 1)))
        h = tdir * min(h, hmax, abs(t1 - t0))
        J = dT = None
        bad, last_rejected = 0, False
        ks = np.zeros((s, n))
        while tdir * (t1 - t) > 0.0:
            if stats[I_STEPS] >= max_steps:
                return done(STATUS_MAX_STEPS)
            if tdir * (t + h - t1) > 0.0 or abs(t1 - (t + h)) < 1e-12 * abs(h):
                h = t1 - t
            if abs(h) <= 16.0 * np.finfo(float).eps * max(abs(t), 1e-300):
                return done(STATUS_DT_UNDERFLOW)
            stats[I_STEPS] += 1
            if J is None:
                J = _jacobian(functions, t, y, f0, stats)
                stats[I_NJEV] += 1
                dT = _time_derivative(f, t, y, f0)
            hg = h * gamma
            stats[I_NLU] += 1
            try:
                W = _Factor(J, hg)
            except (RuntimeError, np.linalg.LinAlgError, sla.LinAlgWarning):
                bad += 1
                stats[I_REJECTED] += 1
                if not np.all(np.isfinite(J.data if sps.issparse(J) else J)):
                    return done(STATUS_NONFINITE)
                if bad > MAX_BAD or not adaptive:
                    return done(STATUS_SINGULAR)
                h *= 0.25
                continue
            for i in range(s):
                u = y + A[i, :i] @ ks[:i]
                fs = f0 if i == 0 else f(t + c[i] * h, u)
                b = fs + h * d[i] * dT + (C[i, :i] / h) @ ks[:i]
                ks[i] = hg * W.solve(b)
            ynew = u + ks[-1]
            if adaptive:
                err = _rms(ks[-1], y, ynew, rtol, atol)
            else:
                err = 0.0 if np.all(np.isfinite(ynew)) else math.nan
            if not math.isfinite(err):
                bad += 1
                stats[I_REJECTED] += 1
                if bad > MAX_BAD or not adaptive:
                    return done(STATUS_NONFINITE)
                h *= 0.25
                last_rejected = True
                continue
            bad = 0
            if err > 1.0:
                stats[I_REJECTED] += 1
                h *= max(QMIN, SAFETY * err ** (-expo))
                last_rejected = True
                continue
            stats[I_ACCEPTED] += 1
            tnew = t + h
            K = H @ ks
            while ks_saved < nsave and tdir * (saveat[ks_saved] - tnew) <= 0.0:
                th = 1.0 if saveat[ks_saved] == tnew else (saveat[ks_saved] - t) / h
                acc = K[-1]
                for r in range(K.shape[0] - 2, -1, -1):
                    acc = K[r] + th * acc
                ysave[ks_saved] = (1 - th) * y + th * (ynew + (1 - th) * acc)
                ks_saved += 1
            if record:
                rows.append(np.concatenate(([t], y, K.ravel()) if dense else ([t], y)))
            if adaptive:
                q = SAFETY * err ** (-expo) if err > 0.0 else QMAX
                h *= min(1.0 if last_rejected else QMAX, max(QMIN, q))
                h = tdir * min(abs(h), hmax)
            t, y = tnew, ynew
            f0 = f(t, y)
            if not np.all(np.isfinite(f0)):
                return done(STATUS_NONFINITE)
            J, last_rejected = None, False
    return done(STATUS_SUCCESS)
