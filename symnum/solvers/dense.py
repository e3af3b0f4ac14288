"""Dense output over the accepted steps of a Runge--Kutta solve, stored compactly.

A step from ``t_k`` of size ``h_k`` with stages ``K`` (``s x n``) has the
continuous solution ``y(t_k + theta h_k) = y_k + sum_p theta^p R_kp`` where
``R_k = h_k B^T K`` (``B`` the ``s x degree`` dense weights of the tableau).
Storing ``y_k`` and the ``degree`` vectors ``R_kp`` takes ``degree + 1``
vectors per step instead of ``s + 1`` (5 instead of 8 for Tsit5), and
evaluation is a Horner sum with no tableau in sight.

Examples
--------
>>> import numpy as np
>>> # one step of y' = 1 from y = 0 with h = 2: y(theta) = 2 theta, so R = [[2]]
>>> d = DenseOutput(np.array([0.0]), np.array([2.0]), np.zeros((1, 1)), np.array([[[2.0]]]))
>>> d(np.array([0.5, 2.0]))
array([[0.5],
       [2. ]])
"""

from __future__ import annotations

import numpy as np

from ..errors import SolverError
from .xp import namespace

__all__ = ["DenseOutput"]


class DenseOutput:
    """Piecewise-polynomial interpolant over accepted steps; call it with times ``(m,)`` -> ``(m, n)``.

    Parameters
    ----------
    t_start, h : numpy.ndarray
        Start time and (signed) size of each accepted step, in integration order.
    y_start : array (nsteps, n)
        State at each step start (NumPy array or torch tensor).
    coeffs : array (nsteps, degree, n)
        ``R_kp``: coefficient of ``theta^(p+1)`` in step ``k``.
    """

    def __init__(self, t_start, h, y_start, coeffs):
        self.t_start = np.asarray(t_start, dtype=float)
        self.h = np.asarray(h, dtype=float)
        self.y_start = y_start
        self.coeffs = coeffs
        self.xp = namespace(y_start)
        if len(self.t_start) == 0:
            raise SolverError("a dense output needs at least one accepted step; "
                              "the solve took none")
        self.direction = 1.0 if self.h[0] > 0 else -1.0
        self.t_end = float(self.t_start[-1] + self.h[-1])

    @property
    def span(self) -> tuple[float, float]:
        """``(t_first, t_last)`` covered, in integration order."""
        return float(self.t_start[0]), self.t_end

    def __call__(self, t):
        """Interpolate at times ``t`` (inside :attr:`span`); returns ``(len(t), n)``."""
        tq = np.atleast_1d(np.asarray(t, dtype=float))
        lo, hi = sorted(self.span)
        slack = 1e-12 * max(1.0, abs(lo), abs(hi))
        if tq.size and (tq.min() < lo - slack or tq.max() > hi + slack):
            raise SolverError(f"cannot interpolate at t in [{tq.min()}, {tq.max()}]: the dense "
                              f"output covers [{lo}, {hi}]; pass times inside it")
        d = self.direction
        # the step k with t_start[k] <= t < t_start[k+1] (in the direction of integration)
        k = np.searchsorted(d * self.t_start, d * tq, side="right") - 1
        k = np.clip(k, 0, len(self.t_start) - 1)
        theta = (tq - self.t_start[k]) / self.h[k]
        xp = self.xp
        y0 = xp.take(self.y_start, k)
        r = xp.take(self.coeffs, k)
        th = xp.asarray(theta, like=y0)[:, None]
        acc = r[:, -1]
        for p in range(r.shape[1] - 2, -1, -1):  # Horner in theta, then the factor theta itself
            acc = acc * th + r[:, p]
        return y0 + acc * th
