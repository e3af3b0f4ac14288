"""Automatic algorithm choice: stiff problems get a stiff method, the rest Tsit5."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.auto import (AutoSwitch, choose_algorithm, estimate_stiffness,
                                 stiff_algorithm)
from symnum.solvers.cvode import CVODE
from symnum.solvers.explicit import Tsit5
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.results import ReturnCode
from symnum.solvers.rodas import Rodas5P
from symnum.solvers.rosenbrock import Rosenbrock23

import symnum_tests_numba_problems as problems  # registered by conftest.py

OPTS = SolveOptions(rtol=1e-3, atol=1e-6)
Y0_ROB = np.array([1.0, 0.0, 0.0])


def lorenz() -> ODEFunctions:
    return ODEFunctions(n=3, rhs=lambda t, y: np.array(
        [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - 8.0 / 3.0 * y[2]]))


def oscillator(omega=1.0) -> ODEFunctions:
    return ODEFunctions(n=2, rhs=lambda t, y: np.array([y[1], -omega**2 * y[0]]))


def heat(n, with_jac=True):
    """Dirichlet heat equation u_t = u_xx on n interior points of [0, 1]."""
    x = np.linspace(0.0, 1.0, n + 2)[1:-1]
    dx = x[1] - x[0]
    L = sps.diags([np.ones(n - 1), -2.0 * np.ones(n), np.ones(n - 1)], [-1, 0, 1],
                  format="csr") / dx**2
    f = ODEFunctions(n=n, rhs=lambda t, y: L @ y, jac=(lambda t, y: L) if with_jac else None,
                     jac_sparsity=L if with_jac else None, linear_part=L)
    return f, np.sin(np.pi * x)


def advection(n):
    """Periodic centred advection u_t = -u_x: imaginary eigenvalues, not stiff."""
    dx = 1.0 / n
    D = sps.diags([np.ones(n - 1), -np.ones(n - 1), [1.0], [-1.0]], [1, -1, -(n - 1), n - 1],
                  format="csr") / (2 * dx)
    x = np.arange(n) * dx
    return ODEFunctions(n=n, rhs=lambda t, y: -(D @ y), jac=lambda t, y: -D), np.sin(2 * np.pi * x)


def test_robertson_small_with_numba_gets_compiled_rosenbrock():
    alg = choose_algorithm(problems.robertson(), Y0_ROB, (0.0, 1e5), OPTS)
    assert isinstance(alg, Rosenbrock23) and alg.uses_compiled(problems.robertson())


def test_robertson_at_tight_rtol_gets_rodas5p_and_without_numba_cvode():
    tight = SolveOptions(rtol=1e-8, atol=1e-12)
    assert isinstance(choose_algorithm(problems.robertson(), Y0_ROB, (0.0, 1e5), tight), Rodas5P)
    plain = problems.robertson(numba=False)
    assert isinstance(choose_algorithm(plain, Y0_ROB, (0.0, 1e5), OPTS), CVODE)


def test_robertson_stiffness_appears_at_the_probe_point():
    # at t0 the Jacobian has eigenvalues -0.04, 0, 0; after y2 builds up they reach ~ -6e5
    est = estimate_stiffness(problems.robertson(numba=False), Y0_ROB, (0.0, 40.0), OPTS)
    assert est.stiff and est.how == "eigvals" and est.rate > 1e5


@pytest.mark.parametrize("rtol", [1e-3, 1e-8])
def test_lorenz_is_not_stiff(rtol):
    opts = SolveOptions(rtol=rtol, atol=rtol)
    alg = choose_algorithm(lorenz(), np.array([1.0, 0.0, 0.0]), (0.0, 100.0), opts)
    assert isinstance(alg, Tsit5)


@pytest.mark.parametrize("omega", [1.0, 1e3])
def test_harmonic_oscillator_is_not_stiff(omega):
    est = estimate_stiffness(oscillator(omega), np.array([1.0, 0.0]), (0.0, 10.0), OPTS)
    assert est.rate == 0.0 and not est.stiff
    assert isinstance(choose_algorithm(oscillator(omega), np.array([1.0, 0.0]), (0.0, 10.0),
                                       OPTS), Tsit5)


@pytest.mark.parametrize("n, with_jac, how", [(200, True, "eigvals"), (200, False, "eigvals"),
                                              (400, True, "gershgorin"), (400, False, "power")])
def test_linear_diffusion_is_stiff(n, with_jac, how):
    f, u0 = heat(n, with_jac)
    est = estimate_stiffness(f, u0, (0.0, 1.0), SolveOptions())
    # the largest decay rate of the discrete Laplacian is 4 / dx^2 (1 - O(dx^2))
    assert est.stiff and est.how == how
    assert est.rate == pytest.approx(4.0 * (n + 1) ** 2, rel=0.02)
    assert isinstance(choose_algorithm(f, u0, (0.0, 1.0), SolveOptions()), CVODE)


def test_centred_advection_is_not_stiff_by_gershgorin():
    f, u0 = advection(400)
    est = estimate_stiffness(f, u0, (0.0, 1.0), SolveOptions())
    assert est.how == "gershgorin" and est.rate == pytest.approx(0.0, abs=1e-9)
    assert isinstance(choose_algorithm(f, u0, (0.0, 1.0), SolveOptions()), Tsit5)


def test_short_span_is_not_worth_a_stiff_method():
    # 1e-3 of Robertson: fewer stability-bound steps than N_MIN
    est = estimate_stiffness(problems.robertson(numba=False), Y0_ROB, (0.0, 1e-3), OPTS)
    assert not est.stiff


def test_nonfinite_start_is_left_to_the_solver():
    est = estimate_stiffness(problems.robertson(), np.array([np.nan, 0, 0]), (0.0, 1.0), OPTS)
    assert est.how == "nonfinite" and not est.stiff


def test_stiff_algorithm_by_size():
    assert isinstance(stiff_algorithm(problems.robertson(), OPTS), Rosenbrock23)
    assert isinstance(stiff_algorithm(heat(200)[0], OPTS), CVODE)


def test_choose_with_switch_wraps_tsit5():
    alg = choose_algorithm(lorenz(), np.array([1.0, 0.0, 0.0]), (0.0, 1.0), OPTS, switch=True)
    assert isinstance(alg, AutoSwitch)


def test_autoswitch_restarts_robertson_with_the_stiff_method():
    opts = SolveOptions(rtol=1e-6, atol=1e-10, saveat=np.array([40.0]))
    raw = AutoSwitch(budget=500).run(problems.robertson(), Y0_ROB, (0.0, 40.0), opts)
    assert raw.result is ReturnCode.success
    assert raw.stats["algorithm"] == "Rodas5P" and raw.stats["switched_from"] == "Tsit5"
    assert raw.stats["wasted_steps"] == 500 and "step_h" not in raw.stats
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-4)


def test_autoswitch_keeps_a_long_nonstiff_solve_explicit():
    raw = AutoSwitch(budget=50).run(lorenz(), np.array([1.0, 0.0, 0.0]), (0.0, 5.0), OPTS)
    assert raw.result.ok and raw.stats["algorithm"] == "Tsit5"
    assert raw.stats["wasted_steps"] == 50 and raw.stats["switched_from"] == "Tsit5"


def test_autoswitch_passes_through_quick_solves_and_real_failures():
    raw = AutoSwitch().run(oscillator(), np.array([1.0, 0.0]), (0.0, 1.0), OPTS)
    assert raw.result.ok and raw.stats["algorithm"] == "Tsit5" and "switched_from" not in raw.stats
    raw = AutoSwitch().run(oscillator(), np.array([1.0, 0.0]), (0.0, 100.0),
                           SolveOptions(max_steps=10))
    assert raw.result is ReturnCode.max_steps_reached


def test_autoswitch_bad_arguments_raise_with_fix():
    with pytest.raises(SolverError, match=r"budget=0\) must be a positive integer"):
        AutoSwitch(budget=0)
    with pytest.raises(SolverError, match=r"stiff_alg='CVODE'\) must be a symnum algorithm"):
        AutoSwitch(stiff_alg="CVODE")
    with pytest.raises(SolverError, match="needs an explicit method with per-step stiffness"):
        AutoSwitch(nonstiff_alg=CVODE()).run(lorenz(), np.ones(3), (0.0, 1.0), OPTS)


def test_solve_without_algorithm_uses_the_choice():
    import sympy as sp

    import symnum as sn

    t, k = sp.Symbol("t"), sp.Symbol("k")
    y, z = sp.Function("y"), sp.Function("z")
    # a slow mode driving a fast one: stiff, two unknowns, numba functions from codegen
    system = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t)), sp.Eq(z(t).diff(t), -k * (z(t) - y(t)))],
                          initial={y(0): 1, z(0): 0}, parameters={k: 1e5}, tspan=(0, 5))
    sol = sn.solve(system, rtol=1e-4, atol=1e-8, saveat=[5.0])
    assert isinstance(sol.algorithm, Rosenbrock23) and sol.stats["compiled"]
    # global error of an order-2 method: tens of steps of local error rtol each
    assert sol["y"][-1] == pytest.approx(np.exp(-5.0), rel=1e-2)
    sol = sn.solve(system, rtol=1e-8, atol=1e-12, saveat=[5.0])
    assert isinstance(sol.algorithm, Rodas5P) and sol.stats["compiled"]
    assert sol["y"][-1] == pytest.approx(np.exp(-5.0), rel=1e-6)
    assert sol["z"][-1] == pytest.approx(np.exp(-5.0) * (1 + 1 / 1e5), rel=1e-6)
