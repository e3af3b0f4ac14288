"""Tsitouras 5(4) with its free 4th-order interpolant.

Order 5, 7 stages (6 new evaluations per step: FSAL), embedded order 4, dense
output of order 4. Reference: Ch. Tsitouras, "Runge--Kutta pairs of order 5(4)
satisfying only the first column simplifying assumption", Comput. Math. Appl.
62 (2011) 770--775. Coefficients as in OrdinaryDiffEq.jl
(``lib/OrdinaryDiffEqTsit5/src/tsit_tableaus.jl``, the high-precision table).

Exactness. The published coefficients are decimals (84--86 digits for ``a``,
78 for the error weights), truncations of a solution of the order conditions,
so no exact rational tableau reproduces them. We keep each published decimal
as the exact rational it denotes and:

* derive ``c`` from the row sums of ``a`` (``c_5, c_6, c_7`` then differ from
  the published nodes by at most 4e-84);
* accept ``sum(b) = c_7 = 1 - 1.4e-85`` and ``sum(b_err) = 4.6e-77`` through
  the tableau tolerance ``tol = 1e-70`` (the order conditions hold to ~1e-76,
  which ``tests/solvers/test_tableau.py`` checks with the same tolerance);
* take the interpolant's ``theta^1..theta^3`` coefficients as published, with
  ``b_1'(0) = 1`` exactly (the published 0.99999999999999997428 is a rounding
  artifact), and derive the ``theta^4`` coefficient from ``b_i(1) = b_i`` so
  that the interpolant ends exactly at the step. The published interpolant
  is accurate to ~1e-16 only, so its order conditions hold to ~1e-16.

Examples
--------
>>> METHOD.order, METHOD.embedded_order, METHOD.dense_order, TABLEAU.fsal
(5, 4, 4, True)
>>> float(TABLEAU.c[4])
0.9800255409045097
"""

from __future__ import annotations

import sympy as sp

from ..controller import PIController
from ..tableau import ButcherTableau, RKMethod, exact

__all__ = ["TABLEAU", "METHOD", "TOLERANCE"]

#: Consistency tolerance of this tableau (published decimals; see module docstring).
TOLERANCE = sp.Rational(1, 10 ** 70)

_A_ROWS = (
    ("0.161",),
    ("-.8480655492356988544426874250230774675121177393430391537369234245294192976164141156943e-2",
     ".3354806554923569885444268742502307746751211773934303915373692342452941929761641411569"),
    ("2.897153057105493432130432594192938764924887287701866490314866693455023795137503079289",
     "-6.359448489975074843148159912383825625952700647415626703305928850207288721235210244366",
     "4.362295432869581411017727318190886861027813359713760212991062156752264926097707165077"),
    ("5.325864828439256604428877920840511317836476253097040101202360397727981648835607691791",
     "-11.74888356406282787774717033978577296188744178259862899288666928009020615663593781589",
     "7.495539342889836208304604784564358155658679161518186721010132816213648793440552049753",
     "-.9249506636175524925650207933207191611349983406029535244034750452930469056411389539635e-1"),
    ("5.861455442946420028659251486982647890394337666164814434818157239052507339770711679748",
     "-12.92096931784710929170611868178335939541780751955743459166312250439928519268343184452",
     "8.159367898576158643180400794539253485181918321135053305748355423955009222648673734986",
     "-.7158497328140099722453054252582973869127213147363544882721139659546372402303777878835e-1",
     "-.2826905039406838290900305721271224146717633626879770007617876201276764571291579142206e-1"),
    (".9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1",
     "1/100",
     ".4798896504144995747752495322905965199130404621990332488332634944254542060153074523509",
     "1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331",
     "-3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677",
     "2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841"),
)

# OrdinaryDiffEq's btilde = b_hat - b; symnum's b_err = b - b_hat is its negative.
_BTILDE = (
    "-1.780011052225771443378550607539534775944678804333659557637450799792588061629796e-03",
    "-8.164344596567469032236360633546862401862537590159047610940604670770447527463931e-04",
    "7.880878010261996010314727672526304238628733777103128603258129604952959142646516e-03",
    "-1.44711007173262907537165147972635116720922712343167677619514233896760819649515e-01",
    "5.823571654525552250199376106520421794260781239567387797673045438803694038950012e-01",
    "-4.580821059291869466616365188325542974428047279788398179474684434732070620889539e-01",
    "1/66",
)

# Interpolant b_i(theta) = r_i1 theta + r_i2 theta^2 + r_i3 theta^3 + r_i4 theta^4 (Tsit5Interp);
# r_i4 is derived below. Stage 2..7 have no linear term.
_R123 = (
    ("1", "-2.763706197274825911336735930481400260916070804192", "2.91325546182191274375068099306808"),
    ("0", "0.13169999999999999727", "-0.22339999999999999818"),
    ("0", "3.93029623689475152850687446709813398", "-5.94103387213150473470249202589458001"),
    ("0", "-12.411077166933676983734381540685453484102414134010752",
     "30.3381886302823215981729903691836576"),
    ("0", "37.50931341651103919496903965334519631242339792120440212",
     "-88.1789048947664011014276693541209817"),
    ("0", "-27.896526289197287805948263144598643896", "65.09189467479367152629021928716553658"),
    ("0", "3/2", "-4"),
)


def _build() -> ButcherTableau:
    s = 7
    a = [[sp.Integer(0)] * s for _ in range(s)]
    for i, row in enumerate(_A_ROWS, start=1):
        a[i][: len(row)] = [exact(v) for v in row]
    c = [sum(row) for row in a]  # derived, so the row-sum condition holds exactly
    b = tuple(a[-1])
    b_err = tuple(-exact(v) for v in _BTILDE)
    dense = []
    for bi, coeffs in zip(b, _R123):
        r = [exact(v) for v in coeffs]
        dense.append((*r, bi - sum(r)))  # theta^4 term from b_i(1) = b_i
    return ButcherTableau(c=c, a=a, b=b, b_err=b_err, b_dense=dense, tol=TOLERANCE)


TABLEAU = _build()

METHOD = RKMethod(name="Tsit5", tableau=TABLEAU, order=5, embedded_order=4, dense_order=4,
                  controller=PIController.for_order(5),
                  reference="Tsitouras, Comput. Math. Appl. 62 (2011) 770-775")
