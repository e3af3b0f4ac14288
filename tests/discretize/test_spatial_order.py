"""Observed spatial order of the method of lines, within +-0.3 of nominal.

Solved through the whole pipe (model -> discretize -> generated code -> solve)
with tight time tolerances so that the spatial error dominates.
"""

import numpy as np
import pytest
import sympy as sp

import symnum as sn

t, x = sp.symbols("t x")
u = sp.Function("u")
TIGHT = dict(rtol=1e-12, atol=1e-14)


def observed_order(errors, sizes):
    h = 1.0 / np.asarray(sizes, float)
    return np.polyfit(np.log(h), np.log(errors), 1)[0]


def heat_error(N, order):
    # u = exp(-pi^2 t) cos(pi x): time-dependent Dirichlet values on both sides
    decay = sp.exp(-sp.pi**2 * t)
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
                       domain={t: (0, 0.05), x: (0, 1)},
                       initial=[sp.Eq(u(0, x), sp.cos(sp.pi * x))],
                       boundary=[sp.Eq(u(t, 0), decay), sp.Eq(u(t, 1), -decay)])
    prob = sn.discretize(sys, sn.FiniteDifference({x: N}, order=order))
    sol = sn.solve(prob, sn.CVODE(), saveat=[0.05], **TIGHT)
    xs = sol.grid[x]
    exact = np.exp(-np.pi**2 * 0.05) * np.cos(np.pi * xs)
    return np.abs(sol["u"][-1] - exact).max()


def periodic_heat_error(N, order):
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
                       domain={t: (0, 0.5), x: (0, 2 * sp.pi)},
                       initial=[sp.Eq(u(0, x), sp.sin(x) + sp.cos(2 * x) / 2)],
                       boundary=[sn.Periodic(x)])
    prob = sn.discretize(sys, sn.FiniteDifference({x: N}, order=order))
    sol = sn.solve(prob, sn.CVODE(), saveat=[0.5], **TIGHT)
    xs = sol.grid[x]
    exact = np.exp(-0.5) * np.sin(xs) + np.exp(-2.0) * np.cos(2 * xs) / 2
    return np.abs(sol["u"][-1] - exact).max()


@pytest.mark.parametrize("order,sizes", [(2, (16, 32, 64)), (4, (16, 32, 64)), (6, (12, 16, 24))])
def test_heat_fourier_order(order, sizes):
    errs = [periodic_heat_error(N, order) for N in sizes]
    assert abs(observed_order(errs, sizes) - order) < 0.3, errs


@pytest.mark.parametrize("order,sizes", [(2, (11, 21, 41)), (4, (41, 81, 161))])
def test_heat_dirichlet_order(order, sizes):
    # With Dirichlet sides the one-sided closure and the interior errors partly cancel on
    # coarse grids (observed 6.0, 3.3, 3.8, 3.95 from N = 11 to 161 at order 4), so the
    # regression uses grids in the asymptotic range.
    errs = [heat_error(N, order) for N in sizes]
    assert abs(observed_order(errs, [N - 1 for N in sizes]) - order) < 0.3, errs


def manufactured_error(N, order):
    # exact u = exp(-t) cos(2x) + x^2; source makes it solve u_t = u_xx + s
    ue = sp.exp(-t) * sp.cos(2 * x) + x**2
    s = sp.diff(ue, t) - sp.diff(ue, x, 2)
    ux = sp.diff(ue, x)
    sys = sn.PDESystem(
        [sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2) + s)],
        domain={t: (0, 0.2), x: (0, 1)}, initial=[sp.Eq(u(0, x), ue.subs(t, 0))],
        boundary=[sn.Neumann(u(t, x), x, 0, value=ux.subs(x, 0)),
                  sn.Robin(u(t, x), x, 1, a=2, b=1, value=(2 * ue + ux).subs(x, 1))])
    prob = sn.discretize(sys, sn.FiniteDifference({x: N}, order=order))
    sol = sn.solve(prob, sn.CVODE(), saveat=[0.2], **TIGHT)
    exact = sp.lambdify(x, ue.subs(t, 0.2))(sol.grid[x])
    return np.abs(sol["u"][-1] - exact).max()


@pytest.mark.parametrize("order,sizes", [(2, (11, 21, 41)), (4, (11, 21, 41)), (6, (11, 21, 41))])
def test_manufactured_neumann_robin_order(order, sizes):
    errs = [manufactured_error(N, order) for N in sizes]
    assert abs(observed_order(errs, [N - 1 for N in sizes]) - order) < 0.3, errs


def advection_error(N, order):
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), -u(t, x).diff(x))],
                       domain={t: (0, 2 * sp.pi), x: (0, 2 * sp.pi)},
                       initial=[sp.Eq(u(0, x), sp.sin(x))], boundary=[sn.Periodic(x)])
    prob = sn.discretize(sys, sn.FiniteDifference({x: N}, order=order))
    sol = sn.solve(prob, sn.DP5(), saveat=[2 * np.pi], rtol=1e-11, atol=1e-13)
    return np.abs(sol["u"][-1] - np.sin(sol.grid[x])).max()


@pytest.mark.parametrize("order,sizes", [(2, (16, 32, 64)), (4, (16, 32, 64)), (6, (12, 16, 24))])
def test_periodic_advection_one_period(order, sizes):
    errs = [advection_error(N, order) for N in sizes]
    assert errs[-1] < 2e-2
    assert abs(observed_order(errs, sizes) - order) < 0.3, errs


def test_wave_equation_second_order_in_time():
    # u_tt = u_xx, u(0) = sin(pi x), u_t(0) = 0 -> u = cos(pi t) sin(pi x)
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t, 2), u(t, x).diff(x, 2))],
                       domain={t: (0, 1), x: (0, 1)},
                       initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x)),
                                sp.Eq(u(t, x).diff(t).subs(t, 0), 0)],
                       boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    assert sys.fields == ["u", "u_t"]
    prob = sn.discretize(sys, sn.FiniteDifference({x: 41}, order=4))
    sol = sn.solve(prob, sn.Tsit5(), saveat=[0.5, 1.0], rtol=1e-10, atol=1e-12)
    xs = sol.grid[x]
    np.testing.assert_allclose(sol["u"][-1], -np.sin(np.pi * xs), atol=1e-5)
    np.testing.assert_allclose(sol["u_t"][0], -np.pi * np.sin(np.pi * xs), atol=1e-4)


def test_upwind_advection_is_monotone():
    # first-order upwind keeps a step profile within its initial bounds (no overshoot)
    c = sp.Symbol("c")
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), -c * u(t, x).diff(x))],
                       domain={t: (0, 0.5), x: (0, 1)},
                       initial=[sp.Eq(u(0, x), sp.Piecewise((1, x < sp.Rational(3, 10)), (0, True)))],
                       boundary=[sp.Eq(u(t, 0), 1)], parameters={c: 1.0})
    prob = sn.discretize(sys, sn.FiniteDifference({x: 101}, upwind=True))
    sol = sn.solve(prob, sn.Tsit5(), saveat=[0.5], rtol=1e-6, atol=1e-9)
    final = sol["u"][-1]
    assert final.max() <= 1 + 1e-6 and final.min() >= -1e-6
    # the front moved by c * t = 0.5: the midpoint of the smeared step is near x = 0.8
    xs = sol.grid[x]
    assert abs(xs[np.argmin(np.abs(final - 0.5))] - 0.8) < 0.03
    centred = sn.solve(sn.discretize(sys, sn.FiniteDifference({x: 101})), sn.Tsit5(),
                       saveat=[0.5], rtol=1e-6, atol=1e-9)["u"][-1]
    assert centred.max() > 1.05  # centred differences oscillate: upwinding is doing something


def test_three_dimensions_mixed_sides():
    # u = exp(-3 pi^2 t) sin(pi x) cos(pi y) cos(pi z): Dirichlet in x, Neumann in y, periodic z
    y, z = sp.symbols("y z")
    U = u(t, x, y, z)
    sys = sn.PDESystem([sp.Eq(U.diff(t), U.diff(x, 2) + U.diff(y, 2) + U.diff(z, 2))],
                       domain={t: (0, 0.02), x: (0, 1), y: (0, 1), z: (0, 2)},
                       initial=[sp.Eq(u(0, x, y, z), sp.sin(sp.pi * x) * sp.cos(sp.pi * y)
                                      * sp.cos(sp.pi * z))],
                       boundary=[sp.Eq(u(t, 0, y, z), 0), sp.Eq(u(t, 1, y, z), 0),
                                 sn.Neumann(U, y, 0), sn.Neumann(U, y, 1), sn.Periodic(z)])
    errs = []
    for n in (9, 17):
        prob = sn.discretize(sys, sn.FiniteDifference({x: n, y: n, z: n - 1}))
        sol = sn.solve(prob, sn.CVODE(), saveat=[0.02], rtol=1e-10, atol=1e-12)
        assert sol["u"].shape == (1, n, n, n - 1)
        X, Y, Z = np.meshgrid(sol.grid[x], sol.grid[y], sol.grid[z], indexing="ij")
        exact = np.exp(-3 * np.pi**2 * 0.02) * np.sin(np.pi * X) * np.cos(np.pi * Y) * np.cos(np.pi * Z)
        errs.append(np.abs(sol["u"][-1] - exact).max())
    # Pure-Neumann directions approach order 2 from below on coarse grids (1D, cos(pi x):
    # 2.0, 1.74, 1.83 from N = 17 to 129), so this checks the trend, and the error level.
    assert 1.5 < np.log2(errs[0] / errs[1]) < 2.5, errs
    assert errs[-1] < 3e-3
