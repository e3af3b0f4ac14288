"""The 2D Brusselator (SciML form) as a symnum model: the SymPy side of benchmarks B1-B3.

Periodic with ``dx = 1/(N-1)`` as in DiffEqDocs: the box is ``[0, N/(N-1))``
so that the N periodic nodes sit at ``i/(N-1)``, exactly the hand-written grid.
"""

from __future__ import annotations

import sympy as sp

import symnum as sn

t, x, y = sp.symbols("t x y", real=True)
u, v = sp.Function("u"), sp.Function("v")
alpha = sp.Symbol("alpha")


def brusselator_system(N: int, t1: float = 11.5) -> sn.PDESystem:
    L = sp.Rational(N, N - 1)
    lap = lambda f: f.diff(x, 2) + f.diff(y, 2)  # noqa: E731
    U, V = u(t, x, y), v(t, x, y)
    forcing = sp.Piecewise((5, sp.And((x - sp.Rational(3, 10)) ** 2 + (y - sp.Rational(6, 10)) ** 2
                                      <= sp.Rational(1, 100), t >= sp.Rational(11, 10))), (0, True))
    return sn.PDESystem(
        equations=[sp.Eq(U.diff(t), 1 + U**2 * V - sp.Rational(44, 10) * U + alpha * lap(U) + forcing),
                   sp.Eq(V.diff(t), sp.Rational(34, 10) * U - U**2 * V + alpha * lap(V))],
        domain={t: (0, t1), x: (0, L), y: (0, L)},
        initial=[sp.Eq(u(0, x, y), 22 * (y * (1 - y)) ** sp.Rational(3, 2)),
                 sp.Eq(v(0, x, y), 27 * (x * (1 - x)) ** sp.Rational(3, 2))],
        boundary=[sn.Periodic(x), sn.Periodic(y)],
        parameters={alpha: 10.0},
    )


def brusselator_problem(N: int, t1: float = 11.5) -> sn.ODEProblem:
    return sn.discretize(brusselator_system(N, t1), sn.FiniteDifference({x: N, y: N}, order=2))
