"""One small file per explicit Runge--Kutta method, each binding a tableau to its orders.

Each module defines ``TABLEAU`` (a :class:`~symnum.solvers.tableau.ButcherTableau`
in exact rationals) and ``METHOD`` (a :class:`~symnum.solvers.tableau.RKMethod`).

Examples
--------
>>> from symnum.solvers.methods import tsit5, dp5, bs3
>>> [(m.METHOD.name, m.METHOD.order, m.METHOD.tableau.stages) for m in (tsit5, dp5, bs3)]
[('Tsit5', 5, 7), ('DP5', 5, 7), ('BS3', 3, 4)]
"""
