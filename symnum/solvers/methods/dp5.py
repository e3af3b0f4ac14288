"""Dormand--Prince 5(4) with Shampine's dense output.

Order 5, 7 stages (6 new evaluations per step: FSAL), embedded order 4, dense
output of order 4. References: J. R. Dormand and P. J. Prince, "A family of
embedded Runge--Kutta formulae", J. Comput. Appl. Math. 6 (1980) 19--26;
L. F. Shampine, "Some practical Runge--Kutta formulas", Math. Comp. 46 (1986)
135--150; the dense-output constants ``d`` are Hairer's ``DOPRI5`` (``CONTD5``).

The dense output as Hairer writes it is
``y(theta) = y0 + theta (r1 + (1 - theta) (r2 + theta (r3 + (1 - theta) r4)))``
with ``r1 = y1 - y0``, ``r2 = h k1 - r1``, ``r3 = r1 - h k7 - r2`` and
``r4 = h sum d_i k_i``; :func:`_shampine_dense` expands it exactly into one
weight polynomial per stage.

Examples
--------
>>> METHOD.order, METHOD.embedded_order, METHOD.dense_order, TABLEAU.fsal
(5, 4, 4, True)
"""

from __future__ import annotations

import sympy as sp

from ..controller import PIController
from ..tableau import ButcherTableau, RKMethod

__all__ = ["TABLEAU", "METHOD"]

R = sp.Rational

_A = ((0, 0, 0, 0, 0, 0, 0),
      (R(1, 5), 0, 0, 0, 0, 0, 0),
      (R(3, 40), R(9, 40), 0, 0, 0, 0, 0),
      (R(44, 45), R(-56, 15), R(32, 9), 0, 0, 0, 0),
      (R(19372, 6561), R(-25360, 2187), R(64448, 6561), R(-212, 729), 0, 0, 0),
      (R(9017, 3168), R(-355, 33), R(46732, 5247), R(49, 176), R(-5103, 18656), 0, 0),
      (R(35, 384), 0, R(500, 1113), R(125, 192), R(-2187, 6784), R(11, 84), 0))
_B = _A[-1]
_B_HAT = (R(5179, 57600), 0, R(7571, 16695), R(393, 640), R(-92097, 339200), R(187, 2100),
          R(1, 40))
# Hairer's DOPRI5 dense-output constants (d2 = 0; d7 multiplies the FSAL stage k7).
_D = (R(-12715105075, 11282082432), 0, R(87487479700, 32700410799),
      R(-10690763975, 1880347072), R(701980252875, 199316789632),
      R(-1453857185, 822651844), R(69997945, 29380423))


def _shampine_dense(b, d) -> tuple:
    """Expand Hairer's nested dense formula into theta^1..theta^5 coefficients per stage."""
    theta = sp.Symbol("theta")
    s = len(b)
    rows = []
    for i in range(s):
        r1 = b[i]
        r2 = (1 if i == 0 else 0) - r1
        r3 = r1 - (1 if i == s - 1 else 0) - r2
        poly = sp.Poly(theta * (r1 + (1 - theta) * (r2 + theta * (r3 + (1 - theta) * d[i]))),
                       theta)
        rows.append(tuple(poly.coeff_monomial(theta ** p) for p in range(1, 6)))
    return tuple(rows)


TABLEAU = ButcherTableau(
    c=(0, R(1, 5), R(3, 10), R(4, 5), R(8, 9), 1, 1),
    a=_A,
    b=_B,
    b_err=tuple(b - bh for b, bh in zip(_B, _B_HAT)),
    b_dense=_shampine_dense(_B, _D),
)

# Hairer's DOPRI5 controller exponents (OrdinaryDiffEq uses the same for DP5):
# beta2 = 0.04 and beta1 = 1/5 - 0.75 beta2.
METHOD = RKMethod(name="DP5", tableau=TABLEAU, order=5, embedded_order=4, dense_order=4,
                  controller=PIController(beta1=0.17, beta2=0.04),
                  reference="Dormand & Prince, J. Comput. Appl. Math. 6 (1980) 19-26; "
                            "Shampine, Math. Comp. 46 (1986) 135-150")
