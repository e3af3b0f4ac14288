"""Rosenbrock23: literature values, convergence order, dense output, failure codes.

Both the compiled loop (numba ``rhs``/``jac`` written here) and the Python loop
(NumPy ``rhs`` with a sparse or dense Jacobian) run every accuracy test.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy.linalg import expm

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.results import ReturnCode
from symnum.solvers.rosenbrock import Rosenbrock23
from symnum.solvers.rosenbrock_tableau import ROSENBROCK23

import symnum_tests_numba_problems as problems  # registered by conftest.py

Y0 = problems.ROBERTSON_Y0
robertson_compiled = problems.robertson
linear = problems.affine


PATHS = pytest.mark.parametrize("compiled", [True, False], ids=["numba", "python"])


@PATHS
def test_robertson_t40_matches_literature(compiled):
    opts = SolveOptions(rtol=1e-7, atol=1e-12, saveat=np.array([1.0, 40.0]))
    raw = Rosenbrock23(compiled=compiled).run(robertson_compiled(), Y0, (0.0, 40.0), opts)
    assert raw.result is ReturnCode.success and raw.stats["compiled"] is compiled
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)
    np.testing.assert_array_equal(raw.ts, [1.0, 40.0])
    st = raw.stats
    assert st["steps"] == st["accepted"] + st["rejected"] and st["njev"] == st["accepted"]
    assert st["nlu"] == st["steps"] and st["nfev"] > 2 * st["steps"]


def test_paths_agree_and_every_step_is_saved():
    f, opts = robertson_compiled(), SolveOptions(rtol=1e-3, atol=1e-6)
    a = Rosenbrock23(compiled=True).run(f, Y0, (0.0, 1e5), opts)
    b = Rosenbrock23(compiled=False).run(f, Y0, (0.0, 1e5), opts)
    assert a.result is b.result is ReturnCode.success
    assert a.ts[0] == 0.0 and a.ts[-1] == 1e5 and len(a.ts) == a.stats["accepted"] + 1
    np.testing.assert_allclose(a.ts, b.ts, rtol=1e-9)
    np.testing.assert_allclose(a.ys, b.ys, rtol=1e-9, atol=1e-15)
    assert {k: v for k, v in a.stats.items() if k != "compiled"} == \
        {k: v for k, v in b.stats.items() if k != "compiled"}
    # mass is conserved by every linear combination of f-values the method forms
    np.testing.assert_allclose(a.ys.sum(axis=1), 1.0, atol=1e-12)


def test_numba_jacobian_is_used_automatically():
    assert Rosenbrock23().uses_compiled(robertson_compiled())
    assert not Rosenbrock23().uses_compiled(problems.robertson(numba=False))


def _stiff_linear():
    return problems.stiff_linear()


@PATHS
def test_fixed_step_order_is_two_on_stiff_linear_problem(compiled):
    f, A, y0 = _stiff_linear()
    exact = expm(A * 1.0) @ y0
    steps = np.array([20, 40, 80, 160, 320])
    errs = []
    for m in steps:
        raw = Rosenbrock23(compiled=compiled, adaptive=False).run(
            f, y0, (0.0, 1.0), SolveOptions(dt0=1.0 / m, saveat=np.array([1.0])))
        assert raw.result.ok and raw.stats["steps"] == m and raw.stats["rejected"] == 0
        errs.append(np.linalg.norm(raw.ys[-1] - exact))
    order = -np.polyfit(np.log(steps), np.log(errs), 1)[0]
    assert abs(order - ROSENBROCK23.order) < 0.3, (order, errs)


@PATHS
def test_nonautonomous_forcing_keeps_order_two(compiled):
    # y' = -lam (y - cos t): the method's df/dt term (a forward difference) matters here
    lam = 50.0
    f = linear(np.array([[-lam]]), np.array([lam]))
    exact = (lam**2 * np.cos(1.0) + lam * np.sin(1.0)) / (lam**2 + 1) + \
        (1 - lam**2 / (lam**2 + 1)) * np.exp(-lam)
    steps = np.array([40, 80, 160, 320])
    errs = [abs(Rosenbrock23(compiled=compiled, adaptive=False).run(
        f, np.ones(1), (0.0, 1.0), SolveOptions(dt0=1.0 / m)).ys[-1, 0] - exact) for m in steps]
    order = -np.polyfit(np.log(steps), np.log(errs), 1)[0]
    assert abs(order - 2) < 0.3, (order, errs)


@PATHS
def test_interpolant_is_exact_at_steps_and_second_order_between(compiled):
    f, A, y0 = _stiff_linear()
    errs = []
    for m in (40, 80, 160):
        raw = Rosenbrock23(compiled=compiled, adaptive=False).run(
            f, y0, (0.0, 1.0), SolveOptions(dt0=1.0 / m))
        np.testing.assert_allclose(raw.interpolant(raw.ts), raw.ys, rtol=1e-13, atol=1e-13)
        mid = 0.5 * (raw.ts[1:] + raw.ts[:-1])[m // 4:]       # past the fast transient
        exact = np.stack([expm(A * s) @ y0 for s in mid])
        errs.append(np.abs(raw.interpolant(mid) - exact).max())
    order = -np.polyfit(np.log([40, 80, 160]), np.log(errs), 1)[0]
    assert abs(order - 2) < 0.3, (order, errs)


@PATHS
def test_adaptive_solution_and_interpolant_meet_tolerance(compiled):
    f, A, y0 = _stiff_linear()
    raw = Rosenbrock23(compiled=compiled).run(f, y0, (0.0, 2.0),
                                              SolveOptions(rtol=1e-7, atol=1e-10))
    tq = np.linspace(0.1, 2.0, 37)
    exact = np.stack([expm(A * s) @ y0 for s in tq])
    assert np.abs(raw.interpolant(tq) - exact).max() < 1e-5
    assert np.abs(raw.ys[-1] - expm(2.0 * A) @ y0).max() < 1e-6


@PATHS
def test_saveat_without_dense_output(compiled):
    f = robertson_compiled()
    opts = SolveOptions(rtol=1e-6, atol=1e-10, saveat=np.array([0.0, 0.5, 40.0]), dense=False)
    raw = Rosenbrock23(compiled=compiled).run(f, Y0, (0.0, 40.0), opts)
    assert raw.interpolant is None and raw.ys.shape == (3, 3)
    np.testing.assert_array_equal(raw.ys[0], Y0)
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-4)


def test_backward_integration():
    f, A, y0 = _stiff_linear()
    # y' = -A y from t = 0.5 back to 0: the stiff modes decay in that direction
    raw = Rosenbrock23(compiled=True).run(linear(-A), y0, (0.5, 0.0),
                                          SolveOptions(rtol=1e-9, atol=1e-12))
    assert raw.result.ok and raw.ts[-1] == 0.0 and np.all(np.diff(raw.ts) < 0)
    np.testing.assert_allclose(raw.ys[-1], expm(0.5 * A) @ y0, rtol=1e-5, atol=1e-8)
    tq = np.array([0.4, 0.1])
    exact = np.stack([expm(A * (0.5 - s)) @ y0 for s in tq])
    np.testing.assert_allclose(raw.interpolant(tq), exact, rtol=1e-4, atol=1e-7)


# -- failures are return codes, not exceptions ----------------------------------------------
@PATHS
def test_max_steps_is_a_return_code(compiled):
    raw = Rosenbrock23(compiled=compiled).run(robertson_compiled(), Y0, (0.0, 1e5),
                                              SolveOptions(max_steps=5))
    assert raw.result is ReturnCode.max_steps_reached and raw.stats["steps"] == 5
    assert raw.ts[-1] < 1e5 and "max_steps=5" in raw.message and len(raw.ts) == 6


@PATHS
def test_nonfinite_state_is_a_return_code(compiled):
    raw = Rosenbrock23(compiled=compiled).run(robertson_compiled(), np.array([np.nan, 0, 0]),
                                              (0.0, 1.0), SolveOptions())
    assert raw.result is ReturnCode.nonfinite and raw.ts[-1] == 0.0 and raw.stats["steps"] == 0


def test_nonfinite_rhs_is_a_return_code():
    f = ODEFunctions(n=1, rhs=lambda t, y: np.sqrt(1.0 - t) * y)   # NaN past t = 1
    raw = Rosenbrock23().run(f, np.ones(1), (0.0, 2.0), SolveOptions())
    assert raw.result in (ReturnCode.nonfinite, ReturnCode.dt_underflow)
    assert raw.ts[-1] <= 1.0


def test_blow_up_ends_with_a_return_code():
    f = ODEFunctions(n=1, rhs=lambda t, y: y * y, jac=lambda t, y: np.array([[2 * y[0]]]))
    raw = Rosenbrock23().run(f, np.ones(1), (0.0, 2.0), SolveOptions(rtol=1e-6, atol=1e-9))
    assert raw.result in (ReturnCode.dt_underflow, ReturnCode.nonfinite,
                          ReturnCode.max_steps_reached)
    assert 0.9 < raw.ts[-1] <= 1.0 + 1e-6


@PATHS
def test_singular_w_in_fixed_step_mode_is_a_solver_failure(compiled):
    d = ROSENBROCK23.floats()["d"]
    h = next(h for h in (0.5, 0.25, 0.125, 0.1, 0.2) if (h * d) * (1.0 / (h * d)) == 1.0)
    A = np.array([[1.0 / (h * d)]])       # W = 1 - h d A = 0 exactly
    raw = Rosenbrock23(compiled=compiled, adaptive=False).run(
        linear(A), np.ones(1), (0.0, 1.0), SolveOptions(dt0=h))
    assert raw.result is ReturnCode.solver_failure and "singular" in raw.message


# -- bad input raises, naming the value and the fix -------------------------------------------
@njit
def _two_argument_rhs(t, y):
    return -y


def test_kernel_with_wrong_signature_raises_with_fix():
    f = ODEFunctions(n=1, rhs=lambda t, y: -y, numba_rhs=_two_argument_rhs,
                     numba_jac=problems.affine_jac, params=np.array([-1.0, 0.0]))
    with pytest.raises(SolverError, match=r"cannot call functions.numba_rhs=.* as "
                                          r"rhs\(t, y, p, out\).*Rosenbrock23\(compiled=False\)"):
        Rosenbrock23().run(f, np.ones(1), (0.0, 1.0), SolveOptions())


def test_bad_arguments_raise_with_fix():
    f = robertson_compiled()
    with pytest.raises(SolverError, match=r"y0 has shape \(2,\) but the problem has n=3"):
        Rosenbrock23().run(f, np.ones(2), (0.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match=r"tspan=\(1.0, 1.0\) must be two different"):
        Rosenbrock23().run(f, Y0, (1.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match="adaptive=False.*pass dt0="):
        Rosenbrock23(adaptive=False).run(f, Y0, (0.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match="compiled=True.*needs functions.numba_rhs and "
                                          "numba_jac.*compiled=None"):
        Rosenbrock23(compiled=True).run(problems.robertson(numba=False), Y0, (0.0, 1.0),
                                         SolveOptions())
    with pytest.raises(SolverError, match=r"compiled='yes'\) must be None"):
        Rosenbrock23(compiled="yes")
    with pytest.raises(SolverError, match=r"adaptive=1\) must be True or False"):
        Rosenbrock23(adaptive=1)
