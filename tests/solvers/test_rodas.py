"""Rodas4 / Rodas5P: literature values, convergence order, dense output, return codes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.results import ReturnCode
from symnum.solvers.rodas import Rodas4, Rodas5P
from symnum.solvers.rosenbrock_tableau import RODAS4, RODAS5P

import symnum_tests_numba_problems as problems  # registered by conftest.py

METHODS = pytest.mark.parametrize("cls", [Rodas4, Rodas5P])
PATHS = pytest.mark.parametrize("compiled", [True, False], ids=["numba", "python"])


def prothero_robinson(lam):
    """``y' = -lam (y - cos t)``, y(0) = 1: stiff forcing (order reduction shows here)."""
    f = problems.affine(np.array([[-lam]]), np.array([lam]))
    exact = (lam**2 * np.cos(1.0) + lam * np.sin(1.0)) / (lam**2 + 1) + \
        (1 - lam**2 / (lam**2 + 1)) * np.exp(-lam)
    return f, exact


def _order(cls, f, y0, exact, steps, compiled):
    errs = [np.linalg.norm(cls(compiled=compiled, adaptive=False).run(
        f, y0, (0.0, 1.0), SolveOptions(dt0=1.0 / m)).ys[-1] - exact) for m in steps]
    return -np.polyfit(np.log(steps), np.log(errs), 1)[0], errs


@METHODS
@PATHS
def test_robertson_t40_matches_literature(cls, compiled):
    opts = SolveOptions(rtol=1e-8, atol=1e-12, saveat=np.array([40.0]))
    raw = cls(compiled=compiled).run(problems.robertson(), problems.ROBERTSON_Y0, (0.0, 40.0),
                                     opts)
    assert raw.result is ReturnCode.success and raw.stats["compiled"] is compiled
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)
    assert raw.stats["steps"] < 400        # Rosenbrock23 needs ~3000 here


def test_tableaus_are_exact_rationals_with_their_orders():
    for tab, s in ((RODAS4, 6), (RODAS5P, 8)):
        ex = tab.exact()
        assert len(ex["c"]) == s and all(r.is_Rational for row in ex["A"] for r in row)
        assert tab.embedded_order == tab.order - 1 and tab.dense_order == tab.order - 1


@PATHS
def test_rodas4_order_four_on_stiff_linear_problem(compiled):
    f, A, y0 = problems.stiff_linear()
    order, errs = _order(Rodas4, f, y0, expm(A) @ y0, np.array([10, 20, 40, 80]), compiled)
    assert abs(order - 4) < 0.3, (order, errs)


@PATHS
def test_rodas5p_order_five_on_prothero_robinson(compiled):
    # the "P" methods keep their order on stiff forcing; Rodas4 drops toward 2-3 here
    f, exact = prothero_robinson(50.0)
    order, errs = _order(Rodas5P, f, np.ones(1), exact, np.array([20, 40, 80, 160]), compiled)
    assert abs(order - 5) < 0.3, (order, errs)


@METHODS
def test_interpolant_exact_at_steps_and_high_order_between(cls):
    f, exact = prothero_robinson(5.0)
    lam = 5.0

    def y(t):
        return (lam**2 * np.cos(t) + lam * np.sin(t)) / (lam**2 + 1) + \
            (1 - lam**2 / (lam**2 + 1)) * np.exp(-lam * t)

    errs = []
    for m in (10, 20, 40):
        raw = cls(adaptive=False).run(f, np.ones(1), (0.0, 1.0), SolveOptions(dt0=1.0 / m))
        np.testing.assert_allclose(raw.interpolant(raw.ts), raw.ys, rtol=1e-13, atol=1e-14)
        mid = 0.5 * (raw.ts[1:] + raw.ts[:-1])
        errs.append(np.abs(raw.interpolant(mid)[:, 0] - y(mid)).max())
    order = -np.polyfit(np.log([10, 20, 40]), np.log(errs), 1)[0]
    assert order > cls.tableau.dense_order - 0.3, (order, errs)


@METHODS
def test_adaptive_solve_meets_tolerance_in_few_steps(cls):
    f, A, y0 = problems.stiff_linear()
    raw = cls().run(f, y0, (0.0, 2.0), SolveOptions(rtol=1e-8, atol=1e-11))
    assert raw.result.ok and raw.stats["steps"] < 600      # Rosenbrock23: ~2900
    np.testing.assert_allclose(raw.ys[-1], expm(2.0 * A) @ y0, rtol=1e-6, atol=1e-9)
    tq = np.linspace(0.2, 2.0, 17)
    np.testing.assert_allclose(raw.interpolant(tq), np.stack([expm(A * s) @ y0 for s in tq]),
                               rtol=1e-5, atol=1e-8)


@METHODS
@PATHS
def test_failures_are_return_codes(cls, compiled):
    f = problems.robertson()
    raw = cls(compiled=compiled).run(f, problems.ROBERTSON_Y0, (0.0, 1e5),
                                     SolveOptions(max_steps=3))
    assert raw.result is ReturnCode.max_steps_reached and f"{cls.name} stopped" in raw.message
    raw = cls(compiled=compiled).run(f, np.array([np.nan, 0, 0]), (0.0, 1.0), SolveOptions())
    assert raw.result is ReturnCode.nonfinite


def test_bad_arguments_raise_with_fix():
    with pytest.raises(SolverError, match=r"Rodas5P\(compiled=1\) must be None"):
        Rodas5P(compiled=1)
    with pytest.raises(SolverError, match=r"Rodas4\(adaptive=False\) takes fixed steps of dt0"):
        Rodas4(adaptive=False).run(problems.robertson(), problems.ROBERTSON_Y0, (0.0, 1.0),
                                   SolveOptions())
