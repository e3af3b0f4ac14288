"""The Python loop of the Rosenbrock methods, for problems without numba.

Same methods, controller (:mod:`~symnum.solvers.rosenbrock_control`) and
status codes as the compiled loop of :mod:`~symnum.solvers.rosenbrock_numba`;
the right-hand side is ``functions.rhs`` and the Jacobian ``functions.jac``
(sparse or dense), or forward differences when there is none (``n`` extra RHS
calls per Jacobian, fine for the small systems this path is for; harmless to
``ode23s``, a W-method, while the Rodas methods assume an exact Jacobian and
lose a little accuracy to the ~1e-8 relative differencing error). ``W`` is
factored by SciPy: a dense LU up to :data:`DENSE_MAX` unknowns, SuperLU on the
sparse matrix above.

:func:`python_loop` serves every method; a method's steps are a small class
here, the Python twin of its branches in the compiled loop. The loop mirrors
the compiled one's control flow -- its decisions are the shared functions of
``rosenbrock_control`` -- but cannot share its source: it works on whole
NumPy arrays, ``W`` is a SciPy LU that raises when singular and ``J`` may be
sparse, while the compiled loop works element by element on preallocated
arrays (the only form numba makes fast).

Examples
--------
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.rosenbrock_tableau import ROSENBROCK23
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> d, e32, scale = ROSENBROCK23.floats().values()
>>> ctrl = np.array([0.0, 1.0, 1e-8, 1e-10, 0.0, np.inf, 1e5, 1.0, d, 1 / 3, 2.0])
>>> hist, ysave, info = python_loop(f, np.ones(1), ctrl, "ros23", (d, e32, scale),
...                                 np.empty(0), True, True)
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

from .rosenbrock_control import (C_EXPO, C_GAMMA, C_H0, C_ORDER, I_ACCEPTED, I_NFEV, I_NJEV,
                                 I_NLU, I_NREC, I_NSAVED, I_REJECTED, I_STATUS, I_STEPS, I_T,
                                 NINFO, STATUS_NONFINITE, STATUS_SINGULAR, STATUS_SUCCESS,
                                 control, first_step, guard, retry, unpack)

__all__ = ["python_loop", "fd_jacobian", "DENSE_MAX"]

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


def fd_jacobian(rhs, t, y, f0) -> np.ndarray:
    """Dense forward-difference Jacobian of ``rhs`` at ``(t, y)``, ``f0 = rhs(t, y)``.

    Costs ``n`` calls of ``rhs``; each column's step is ``sqrt(eps) max(|y_j|, 1)``.

    Examples
    --------
    >>> J = fd_jacobian(lambda t, y: np.array([y[0] * y[1], -y[1]]), 0.0,
    ...                 np.array([2.0, 3.0]), np.array([6.0, -3.0]))
    >>> np.round(J, 6)
    array([[ 3.,  2.],
           [ 0., -1.]])
    """
    n = y.size
    J = np.empty((n, n))
    for j in range(n):
        dy = 1.4901161193847656e-08 * max(abs(y[j]), 1.0)
        yj = y.copy()
        yj[j] += dy
        J[:, j] = (np.asarray(rhs(t, yj), dtype=float) - f0) / dy
    return J


def _jacobian(functions, t, y, f0, stats):
    """The Jacobian at ``(t, y)``: exact if known (densified when small), else differences."""
    n = y.size
    if functions.jac is not None:
        J = functions.jac(t, y)
        if sps.issparse(J):
            return J.toarray() if n <= DENSE_MAX else sps.csr_matrix(J)
        return np.asarray(J, dtype=float)
    J = fd_jacobian(functions.rhs, t, y, f0)
    stats[I_NFEV] += n
    return sps.csr_matrix(J) if n > DENSE_MAX else J


def _rms(e, y, ynew, rtol, atol):
    sc = atol + rtol * np.maximum(np.abs(y), np.abs(ynew))
    return math.sqrt(float(np.mean((e / sc) ** 2)))


def _first_step(f, ctrl, y, f0):
    """The signed first step: ``ctrl[C_H0]``, or Hairer's estimate (one more RHS call)."""
    t0, t1, rtol, atol, hmax, _, _, tdir = unpack(ctrl)
    h = ctrl[C_H0]
    if h <= 0.0:
        h0 = 1e-6 * max(abs(t1 - t0), 1e-300)
        f1 = f(t0 + tdir * h0, y + tdir * h0 * f0)
        sc = atol + rtol * np.abs(y)
        # NumPy's pairwise means, not the compiled loop's norms: see _start_norms there
        d1 = math.sqrt(float(np.mean((f0 / sc) ** 2)))
        d2 = math.sqrt(float(np.mean(((f1 - f0) / sc) ** 2))) / h0
        h = first_step(d1, d2, h0, int(ctrl[C_ORDER]))
    return tdir * min(h, hmax, abs(t1 - t0))


class _Ros23Steps:
    """Rosenbrock23's steps (the ode23s formulas of ``rosenbrock_tableau``).

    ``tab = (d, e32, dense_scale)``; the stages ``k1, k2`` of the last attempt
    are kept for dense output.
    """

    def __init__(self, tab, n):
        self.d, self.e32, self.dscale = tab
        self.k1 = self.k2 = None

    @staticmethod
    def width(n, dense):
        return 1 + 3 * n if dense else 1 + n

    @staticmethod
    def time_derivative(f, t, y, f0):
        # forward difference, exactly zero for autonomous problems; enough for a W-method
        dt_fd = 1.4901161193847656e-08 * max(abs(t), 1.0)
        return (f(t + dt_fd, y) - f0) / dt_fd

    def attempt(self, f, t, h, hd, y, f0, dT, W, adaptive, rtol, atol):
        """``(ynew, f(t + h, ynew), err)``; ``err`` is NaN when a value is not finite."""
        k1 = W.solve(f0 + hd * dT)
        f1 = f(t + 0.5 * h, y + 0.5 * h * k1)
        k2 = W.solve(f1 - k1) + k1
        ynew = y + h * k2
        f2 = f(t + h, ynew)
        self.k1, self.k2 = k1, k2
        if not adaptive:
            return ynew, f2, (0.0 if np.all(np.isfinite(ynew)) and np.all(np.isfinite(f2))
                              else math.nan)
        k3 = W.solve(f2 - self.e32 * (k2 - f1) - 2.0 * (k1 - f0) + hd * dT)
        return ynew, f2, _rms(h / 6.0 * (k1 - 2.0 * k2 + k3), y, ynew, rtol, atol)

    def dense_prep(self):
        pass                       # the stages are the dense output's data

    def dense_at(self, y, ynew, h, th, end):
        """``y + h (b1 k1 + b2 k2)`` at ``th``; ``ynew`` itself at the step's ``end``."""
        if end:
            return ynew
        d, scale = self.d, self.dscale
        return y + h * (th * (1 - th) * scale * self.k1 + th * (th - 2 * d) * scale * self.k2)

    def row(self, t, y, dense):
        return np.concatenate(([t], y, self.k1, self.k2) if dense else ([t], y))

    @staticmethod
    def new_f0(f, t, y, fnew):
        return fnew, True          # FSAL: the error stage was f(t, y), finite if accepted


class _RodasSteps:
    """A Rodas method's steps; ``tab = (A, C, c, d, H)`` (see ``RodasTableau``)."""

    def __init__(self, tab, n):
        self.A, self.C, self.c, self.d, self.H = tab
        self.ks, self.K = np.zeros((self.c.size, n)), None

    def width(self, n, dense):
        return 1 + n + self.H.shape[0] * n if dense else 1 + n

    @staticmethod
    def time_derivative(f, t, y, f0):
        """``df/dt``: zero for autonomous problems (one call), else a central difference."""
        dt_fd = 6.055454452393343e-06 * max(abs(t), 1.0)          # eps^(1/3)
        fp = f(t + dt_fd, y)
        if np.array_equal(fp, f0):
            return np.zeros_like(f0)
        return (fp - f(t - dt_fd, y)) / (2.0 * dt_fd)

    def attempt(self, f, t, h, hg, y, f0, dT, W, adaptive, rtol, atol):
        """``(ynew, None, err)``: stage ``i`` solves ``W k_i = h gamma b_i``."""
        A, C, c, d, ks = self.A, self.C, self.c, self.d, self.ks
        for i in range(c.size):
            u = y + A[i, :i] @ ks[:i]
            fs = f0 if i == 0 else f(t + c[i] * h, u)
            b = fs + h * d[i] * dT + (C[i, :i] / h) @ ks[:i]
            ks[i] = hg * W.solve(b)
        ynew = u + ks[-1]
        if not adaptive:
            return ynew, None, 0.0 if np.all(np.isfinite(ynew)) else math.nan
        return ynew, None, _rms(ks[-1], y, ynew, rtol, atol)

    def dense_prep(self):
        self.K = self.H @ self.ks

    def dense_at(self, y, ynew, h, th, end):
        """``(1 - th) y + th (ynew + (1 - th) (K1 + th (K2 + ...)))``."""
        K = self.K
        acc = K[-1]
        for r in range(K.shape[0] - 2, -1, -1):
            acc = K[r] + th * acc
        return (1 - th) * y + th * (ynew + (1 - th) * acc)

    def row(self, t, y, dense):
        return np.concatenate(([t], y, self.K.ravel()) if dense else ([t], y))

    @staticmethod
    def new_f0(f, t, y, fnew):
        f0 = f(t, y)               # not FSAL: the last stage sits at u_last, not y1
        return f0, bool(np.all(np.isfinite(f0)))


_STEPS = {"ros23": _Ros23Steps, "rodas": _RodasSteps}


def python_loop(functions, y0, ctrl, kind, tab, saveat, record, dense):
    """Integrate in Python; arguments and results as the compiled ``rosenbrock_loop``.

    ``functions`` stands for ``p``, and ``kind`` names the method (a key of
    ``rosenbrock_compiled.METHODS``) whose coefficients are ``tab``.
    """
    rhs = functions.rhs
    t0, t1, rtol, atol, hmax, max_steps, adaptive, tdir = unpack(ctrl)
    gamma, expo = ctrl[C_GAMMA], ctrl[C_EXPO]
    n, nsave = y0.size, saveat.size
    steps = _STEPS[kind](tab, n)
    stats = np.zeros(NINFO)
    rows, ysave = [], np.empty((nsave, n))
    nsaved, t, y = 0, t0, np.array(y0, dtype=float)
    width = steps.width(n, dense)

    def done(status):
        hist = np.zeros((len(rows) + 1, width))
        for i, row in enumerate(rows):
            hist[i, :row.size] = row
        hist[-1, 0], hist[-1, 1:1 + n] = t, y
        stats[[I_STATUS, I_T, I_NREC, I_NSAVED]] = status, t, len(rows) + 1, nsaved
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
        h = _first_step(f, ctrl, y, f0)
        J = dT = None
        bad, last_rejected = 0, False
        while tdir * (t1 - t) > 0.0:
            status, h = guard(t, h, t1, tdir, stats[I_STEPS], max_steps)
            if status != STATUS_SUCCESS:
                return done(status)
            stats[I_STEPS] += 1
            if J is None:   # reused by a rejected step: it depends on (t, y) only
                J = _jacobian(functions, t, y, f0, stats)
                stats[I_NJEV] += 1
                dT = steps.time_derivative(f, t, y, f0)
            hg = h * gamma
            stats[I_NLU] += 1
            try:
                W = _Factor(J, hg)
            except (RuntimeError, np.linalg.LinAlgError, sla.LinAlgWarning):
                stats[I_REJECTED] += 1
                if not np.all(np.isfinite(J.data if sps.issparse(J) else J)):
                    return done(STATUS_NONFINITE)
                status, h, bad = retry(h, bad, adaptive, STATUS_SINGULAR)
                if status != STATUS_SUCCESS:
                    return done(status)
                continue
            ynew, fnew, err = steps.attempt(f, t, h, hg, y, f0, dT, W, adaptive, rtol, atol)
            status, accept, hnext, bad = control(err, h, bad, last_rejected, adaptive, expo,
                                                 tdir, hmax)
            if not accept:
                stats[I_REJECTED] += 1
                if status != STATUS_SUCCESS:
                    return done(status)
                h, last_rejected = hnext, True
                continue
            stats[I_ACCEPTED] += 1
            tnew = t + h
            if dense or nsaved < nsave:
                steps.dense_prep()
            while nsaved < nsave and tdir * (saveat[nsaved] - tnew) <= 0.0:
                end = saveat[nsaved] == tnew
                th = 1.0 if end else (saveat[nsaved] - t) / h
                ysave[nsaved] = steps.dense_at(y, ynew, h, th, end)
                nsaved += 1
            if record:
                rows.append(steps.row(t, y, dense))
            t, h, y = tnew, hnext, ynew
            f0, finite = steps.new_f0(f, t, y, fnew)
            if not finite:
                return done(STATUS_NONFINITE)
            J, last_rejected = None, False
    return done(STATUS_SUCCESS)
