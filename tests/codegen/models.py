"""Small models shared by the code-export tests (one of each shape the pipe makes)."""

from __future__ import annotations

import sympy as sp

import symnum as sn

t, x, y = sp.symbols("t x y")
u, v = sp.Function("u"), sp.Function("v")
a, b, D, nu = sp.symbols("a b D nu", positive=True)


def lorenz():
    """ODESystem: three fields, three parameters."""
    X, Y, Z = (sp.Function(n)(t) for n in "XYZ")
    s, r, be = sp.symbols("sigma rho beta", positive=True)
    return sn.ODESystem([sp.Eq(X.diff(t), s * (Y - X)), sp.Eq(Y.diff(t), X * (r - Z) - Y),
                         sp.Eq(Z.diff(t), X * Y - be * Z)],
                        initial=[sp.Eq(X.subs(t, 0), 1), sp.Eq(Y.subs(t, 0), 0), sp.Eq(Z.subs(t, 0), 0)],
                        parameters={s: 10.0, r: 28.0, be: sp.Rational(8, 3)}, tspan=(0, 1))


def heat_dirichlet(n=21):
    """1D heat equation, Dirichlet sides with a time-dependent value (eliminated nodes)."""
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), nu * u(t, x).diff(x, 2))],
                       domain={t: (0, 0.1), x: (0, 1)},
                       initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                       boundary=[sp.Eq(u(t, 0), sp.sin(t)), sp.Eq(u(t, 1), 0)],
                       parameters={nu: 0.5})
    return sn.discretize(sys, sn.FiniteDifference({x: n}, order=2))


def burgers_upwind(n=32):
    """1D viscous Burgers, periodic, upwinded advection (Max/Min in the RHS)."""
    U = u(t, x)
    sys = sn.PDESystem([sp.Eq(U.diff(t), -U * U.diff(x) + nu * U.diff(x, 2))],
                       domain={t: (0, 0.2), x: (0, 2 * sp.pi)},
                       initial=[sp.Eq(u(0, x), 1 + sp.sin(x) / 2)],
                       boundary=[sn.Periodic(x)], parameters={nu: 0.05})
    return sn.discretize(sys, sn.FiniteDifference({x: n}, order=2, upwind=1))


def robin_neumann(n=17):
    """1D reaction-diffusion with a Neumann and a Robin side and an x-dependent source."""
    U = u(t, x)
    sys = sn.PDESystem([sp.Eq(U.diff(t), U.diff(x, 2) + sp.exp(-x) * sp.cos(U) - U**3)],
                       domain={t: (0, 0.2), x: (0, 1)},
                       initial=[sp.Eq(u(0, x), x * (1 - x))],
                       boundary=[sn.Neumann(U, x, 0), sn.Robin(U, x, 1, a=1, b=2, value=sp.sin(t))])
    return sn.discretize(sys, sn.FiniteDifference({x: n}, order=4))


def brusselator_2d(n=8):
    """2D Brusselator, periodic in both axes, two coupled fields."""
    U, V = u(t, x, y), v(t, x, y)
    lap = lambda w: w.diff(x, 2) + w.diff(y, 2)  # noqa: E731
    sys = sn.PDESystem([sp.Eq(U.diff(t), 1 + U**2 * V - (b + 1) * U + a * lap(U)),
                        sp.Eq(V.diff(t), b * U - U**2 * V + a * lap(V))],
                       domain={t: (0, 0.1), x: (0, 1), y: (0, 1)},
                       initial=[sp.Eq(u(0, x, y), 22 * y * (1 - y) ** sp.Rational(3, 2)),
                                sp.Eq(v(0, x, y), 27 * x * (1 - x) ** sp.Rational(3, 2))],
                       boundary=[sn.Periodic(x), sn.Periodic(y)],
                       parameters={a: 0.002, b: 3.4})
    return sn.discretize(sys, sn.FiniteDifference({x: n, y: n}, order=2))


def mixed_2d(n=9):
    """2D with a Dirichlet and a Neumann side on x, periodic in y, a mixed derivative."""
    U = u(t, x, y)
    sys = sn.PDESystem([sp.Eq(U.diff(t), D * (U.diff(x, 2) + U.diff(y, 2)) + sp.sin(x) * U.diff(x, y)
                              - sp.tanh(U))],
                       domain={t: (0, 0.1), x: (0, 1), y: (0, 2)},
                       initial=[sp.Eq(u(0, x, y), sp.cos(sp.pi * y) * x)],
                       boundary=[sp.Eq(u(t, 0, y), y * sp.sin(t)), sn.Neumann(U, x, 1), sn.Periodic(y)],
                       parameters={D: 0.3})
    return sn.discretize(sys, sn.FiniteDifference({x: n, y: 8}, order=2))


def problems():
    """Every discretized model, by name."""
    return {"lorenz": sn.discretize(lorenz()), "heat_dirichlet": heat_dirichlet(),
            "burgers_upwind": burgers_upwind(), "robin_neumann": robin_neumann(),
            "brusselator_2d": brusselator_2d(), "mixed_2d": mixed_2d()}
