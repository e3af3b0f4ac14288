"""``Rodas4`` and ``Rodas5P``: higher-order Rosenbrock methods for small stiff systems.

Same machinery as :class:`~symnum.solvers.rosenbrock.Rosenbrock23` (compiled
loop with numba ``rhs``/``jac``, Python loop otherwise, return codes, fixed-step
mode), with the tableau as data (:mod:`~symnum.solvers.rosenbrock_tableau`).
At tight tolerances they take far fewer steps than the order-2
``Rosenbrock23``: prefer them below ``rtol ~ 1e-5``.

Examples
--------
Against ``Rosenbrock23`` on a stiffly forced scalar equation at ``rtol = 1e-6``:

>>> import numpy as np
>>> from symnum.solvers.algorithm import SolveOptions
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.rosenbrock import Rosenbrock23
>>> forced = ODEFunctions(n=1, rhs=lambda t, y: -1e4 * (y - np.cos(t)))
>>> ours, ros23 = (alg.run(forced, np.zeros(1), (0.0, 2.0), SolveOptions(rtol=1e-6, atol=1e-8))
...                for alg in (Rodas5P(), Rosenbrock23()))
>>> round(float(ours.ys[-1, 0]), 6), ours.stats["steps"] < ros23.stats["steps"] / 20
(-0.416056, True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .rosenbrock import _Rosenbrock
from .rosenbrock_tableau import RODAS4, RODAS5P, RodasTableau

__all__ = ["Rodas4", "Rodas5P", "RodasInterpolant"]


@functools.lru_cache(maxsize=None)
def _float_tableau(tab: RodasTableau):
    """``(ctrl's method slots, (A, C, c, d, H))``, converted once per tableau.

    The slots are ``gamma``, the error exponent ``1 / (q + 1)`` of the embedded
    order ``q`` and the order.
    """
    f = tab.floats()
    return ((f["gamma"], 1.0 / (tab.embedded_order + 1), float(tab.order)),
            (f["A"], f["C"], f["c"], f["d"], f["H"]))


@dataclass(frozen=True)
class _Rodas(_Rosenbrock):
    """A :class:`RodasTableau` bound to the Rosenbrock loops; subclasses set ``tableau``."""

    tableau: ClassVar[RodasTableau]
    _kind: ClassVar[str] = "rodas"

    def _method(self):
        return _float_tableau(self.tableau)

    def _interpolant(self, hist, n):
        return RodasInterpolant(hist, n, self.tableau.dense_order - 1)


@dataclass(frozen=True)
class Rodas4(_Rodas):
    """Hairer & Wanner's RODAS: Rosenbrock method of order 4(3), stiffly accurate.

    Order 4, 6 stages (5 new RHS evaluations per step plus one at the accepted
    point; not FSAL), embedded order 3 (the last stage is the error
    estimate), L-stable, dense output of order 3. One LU of ``I - h gamma J``
    per step (``gamma = 1/4``). Reference: E. Hairer and G. Wanner, *Solving
    Ordinary Differential Equations II*, 2nd ed., Springer (1996), Sec. VI.4;
    coefficients as in OrdinaryDiffEq's ``Rodas4``.

    Parameters are those of :class:`~symnum.solvers.rosenbrock.Rosenbrock23`.

    Examples
    --------
    >>> Rodas4.tableau.order, Rodas4.tableau.embedded_order, len(Rodas4.tableau.c)
    (4, 3, 6)
    >>> Rodas4(adaptive="no")
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: Rodas4(adaptive='no') must be True or False
    """

    tableau: ClassVar[RodasTableau] = RODAS4
    name: ClassVar[str] = "Rodas4"
    order: ClassVar[int] = 4


@dataclass(frozen=True)
class Rodas5P(_Rodas):
    """Steinebach's Rodas5P: Rosenbrock method of order 5(4), stiffly accurate.

    Order 5, 8 stages (7 new RHS evaluations per step plus one at the
    accepted point; not FSAL), embedded order 4, L-stable, dense output of
    order 4; OrdinaryDiffEq's default for small stiff problems at tight
    tolerances. Reference: G. Steinebach, "Construction of Rosenbrock-Wanner
    method Rodas5P and numerical benchmarks within the Julia Differential
    Equations package", BIT Numer. Math. 63 (2023) 27.

    Parameters are those of :class:`~symnum.solvers.rosenbrock.Rosenbrock23`.

    Examples
    --------
    >>> Rodas5P.tableau.order, Rodas5P.tableau.dense_order, len(Rodas5P.tableau.c)
    (5, 4, 8)
    """

    tableau: ClassVar[RodasTableau] = RODAS5P
    name: ClassVar[str] = "Rodas5P"
    order: ClassVar[int] = 5


class RodasInterpolant:
    """Dense output ``(1 - th) y_i + th (y_{i+1} + (1 - th) (K1 + th (K2 + ...)))``.

    ``hist`` rows are ``t_i, y_i, K_1 .. K_m`` (the dense coefficients of the
    step from ``t_i``); exact at the step points.

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> from symnum.solvers.algorithm import SolveOptions
    >>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
    >>> raw = Rodas4().run(f, np.ones(1), (0.0, 1.0), SolveOptions(rtol=1e-9, atol=1e-12))
    >>> bool(abs(raw.interpolant(np.array([0.3]))[0, 0] - np.exp(-0.3)) < 1e-8)
    True
    """

    def __init__(self, hist, n: int, m: int):
        self.hist, self.n, self.m = hist, n, m

    def __call__(self, tq) -> np.ndarray:
        hist, n, m = self.hist, self.n, self.m
        ts = hist[:, 0]
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        s = 1.0 if ts[-1] >= ts[0] else -1.0
        i = np.clip(np.searchsorted(s * ts, s * tq, side="right") - 1, 0, len(ts) - 2)
        th = ((tq - ts[i]) / (ts[i + 1] - ts[i]))[:, None]
        rows = hist[i]
        acc = rows[:, 1 + m * n:1 + (m + 1) * n]
        for r in range(m - 2, -1, -1):
            acc = rows[:, 1 + (r + 1) * n:1 + (r + 2) * n] + th * acc
        return (1 - th) * rows[:, 1:n + 1] + th * (hist[i + 1, 1:n + 1] + (1 - th) * acc)
