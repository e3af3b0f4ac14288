"""Bogacki--Shampine 3(2) with the cubic Hermite dense output.

Order 3, 4 stages (3 new evaluations per step: FSAL), embedded order 2.
Reference: P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge--Kutta
formulas", Appl. Math. Lett. 2 (1989) 321--325.

The dense output is the cubic Hermite interpolant through ``(y0, f0)`` and
``(y1, f1)``; with ``f0 = k1`` and ``f1 = k4`` (FSAL) it is a weight polynomial
per stage: ``b_i(theta) = h01(theta) b_i + h10(theta) [i = 1] + h11(theta) [i = 4]``.

Examples
--------
>>> METHOD.order, METHOD.embedded_order, TABLEAU.fsal
(3, 2, True)
"""

from __future__ import annotations

import sympy as sp

from ..controller import PIController
from ..tableau import ButcherTableau, RKMethod

__all__ = ["TABLEAU", "METHOD"]

R = sp.Rational

_B = (R(2, 9), R(1, 3), R(4, 9), 0)
_B_HAT = (R(7, 24), R(1, 4), R(1, 3), R(1, 8))


def _hermite_dense(b) -> tuple:
    """Coefficients of theta^1..theta^3 of the Hermite weights (first and last stage are f0, f1)."""
    h01, h10, h11 = (0, 3, -2), (1, -2, 1), (0, -1, 1)
    last = len(b) - 1
    return tuple(tuple(bi * p + (q if i == 0 else 0) + (r if i == last else 0)
                       for p, q, r in zip(h01, h10, h11)) for i, bi in enumerate(b))


TABLEAU = ButcherTableau(
    c=(0, R(1, 2), R(3, 4), 1),
    a=((0, 0, 0, 0),
       (R(1, 2), 0, 0, 0),
       (0, R(3, 4), 0, 0),
       (R(2, 9), R(1, 3), R(4, 9), 0)),
    b=_B,
    b_err=tuple(b - bh for b, bh in zip(_B, _B_HAT)),
    b_dense=_hermite_dense(_B),
)

METHOD = RKMethod(name="BS3", tableau=TABLEAU, order=3, embedded_order=2, dense_order=3,
                  controller=PIController.for_order(3),
                  reference="Bogacki & Shampine, Appl. Math. Lett. 2 (1989) 321-325")
