"""The public pipe end to end: model -> solve -> Solution, with the uniform keywords."""

import numpy as np
import pytest
import sympy as sp

import symnum as sn

t, x = sp.symbols("t x")
y, z = sp.Function("y"), sp.Function("z")
k = sp.Symbol("k")


def decay(**kw):
    return sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
                        parameters={k: 0.5}, tspan=(0, 4), **kw)


def test_ode_by_name_and_function_and_interpolation():
    sol = sn.solve(decay(), sn.Tsit5(), rtol=1e-10, atol=1e-12)
    assert sol.result is sn.ReturnCode.success and sol.result.ok
    np.testing.assert_allclose(sol["y"], np.exp(-0.5 * sol.t), rtol=1e-8)
    assert sol[y] is sol["y"]
    mid = sol(t=1.234)
    assert abs(mid["y"] - np.exp(-0.5 * 1.234)) < 1e-8
    for key in ("steps", "accepted", "rejected", "nfev", "njev"):
        assert key in sol.stats


def test_saveat_and_shape_of_pde_fields():
    u = sp.Function("u")
    sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
                       domain={t: (0, 0.1), x: (0, 1)}, initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                       boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    prob = sn.discretize(sys, sn.FiniteDifference({x: 21}))
    sol = sn.solve(prob, saveat=np.linspace(0, 0.1, 5))
    assert sol["u"].shape == (5, 21)          # the full grid, both Dirichlet ends included
    assert np.allclose(sol["u"][:, 0], 0) and np.allclose(sol["u"][:, -1], 0)
    np.testing.assert_allclose(sol.grid[x], np.linspace(0, 1, 21))
    np.testing.assert_allclose(sol.t, np.linspace(0, 0.1, 5))
    assert sol(t=0.05)["u"].shape == (21,)


def test_solving_a_system_discretizes_with_defaults():
    sol = sn.solve(decay(), rtol=1e-8)
    assert abs(sol["y"][-1] - np.exp(-2.0)) < 1e-6


def test_failure_goes_into_result_and_throw_raises():
    blow = sn.ODESystem([sp.Eq(y(t).diff(t), y(t) ** 2)], initial={y(0): 1}, tspan=(0, 2))
    sol = sn.solve(blow, sn.Tsit5())
    assert not sol.result.ok
    assert sol.t[-1] < 1.0 + 1e-3
    with pytest.raises(sn.SolveFailed, match=r"stopped at t=") as info:
        sn.solve(blow, sn.Tsit5(), throw=True)
    assert info.value.solution is not None
    sol = sn.solve(decay(), sn.Tsit5(), max_steps=3)
    assert sol.result is sn.ReturnCode.max_steps_reached
    assert "max_steps" in sol.result.value


@pytest.mark.parametrize("kw,match", [
    (dict(rtol=-1), r"rtol must be a positive number"),
    (dict(atol=0), r"atol must be a positive number"),
    (dict(saveat=[0, 10]), r"saveat must lie inside the time span \[0.0, 4.0\]"),
    (dict(saveat=[2, 1]), r"saveat must be a sorted"),
    (dict(max_steps=0), r"max_steps must be a positive integer"),
    (dict(backend="fortran"), r"unknown backend 'fortran'; valid backends: \['auto', 'julia', 'numpy', 'torch'\]"),
])
def test_bad_solve_options(kw, match):
    with pytest.raises(sn.SolverError, match=match):
        sn.solve(decay(), sn.Tsit5(), **kw)


def test_algorithm_class_instead_of_instance():
    with pytest.raises(sn.SolverError, match=r"pass an algorithm instance, e.g. sn.Tsit5\(\)"):
        sn.solve(decay(), sn.Tsit5)


def test_interpolation_outside_span():
    sol = sn.solve(decay(), sn.Tsit5())
    with pytest.raises(sn.SolverError, match=r"covers \[0.0, 4.0\]"):
        sol(t=5.0)


def test_unknown_field():
    sol = sn.solve(decay(), sn.Tsit5())
    with pytest.raises(KeyError, match=r"no field 'w'"):
        sol["w"]


def test_vectorized_backend_matches_numba():
    a = sn.solve(decay(), sn.Tsit5(), saveat=[1.0, 2.0])
    b = sn.solve(decay(), sn.Tsit5(), saveat=[1.0, 2.0], backend="numpy:vectorized")
    np.testing.assert_allclose(a["y"], b["y"], rtol=1e-12)
