"""SciPy BDF / Radau / LSODA wrappers: literature values, expm, saveat, dense output, failures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.results import ReturnCode
from symnum.solvers.scipy_methods import BDF, LSODA, Radau

import symnum_tests_stiff_problems as problems  # registered by conftest.py


@pytest.mark.parametrize("alg", [Radau(), BDF(), LSODA()], ids=["Radau", "BDF", "LSODA"])
def test_robertson_t40_matches_literature(alg):
    raw = alg.run(problems.robertson(), np.array([1.0, 0.0, 0.0]), (0.0, 40.0),
                  SolveOptions(rtol=1e-10, atol=1e-14, saveat=np.array([40.0])))
    assert raw.result is ReturnCode.success and raw.ts.tolist() == [40.0]
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)
    assert raw.stats["njev"] >= 1 and raw.stats["nfev"] > 0 and "nlu" in raw.stats


def test_jac_sparsity_only_is_passed_through():
    f = problems.robertson()
    f.jac = None
    raw = BDF().run(f, np.array([1.0, 0, 0]), (0.0, 40.0),
                    SolveOptions(rtol=1e-10, atol=1e-14, saveat=np.array([40.0])))
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)


@pytest.mark.parametrize("alg", [Radau(), BDF(), LSODA()], ids=["Radau", "BDF", "LSODA"])
def test_stiff_linear_system_against_expm(alg):
    f, A, y0 = problems.stiff_linear()
    ts = np.array([0.0, 0.01, 0.5, 2.0])
    raw = alg.run(f, y0, (0.0, 2.0), SolveOptions(rtol=1e-10, atol=1e-12, saveat=ts))
    assert raw.result.ok and np.array_equal(raw.ts, ts)
    np.testing.assert_allclose(raw.ys, np.stack([expm(A * t) @ y0 for t in ts]),
                               rtol=1e-6, atol=1e-9)
    tq = np.array([0.25, 1.5])  # dense output between steps
    np.testing.assert_allclose(raw.interpolant(tq), np.stack([expm(A * t) @ y0 for t in tq]),
                               rtol=1e-5, atol=1e-8)


def test_every_step_saved_without_saveat():
    f, A, y0 = problems.stiff_linear()
    raw = Radau().run(f, y0, (0.0, 1.0), SolveOptions(rtol=1e-8, atol=1e-10, dense=False))
    assert len(raw.ts) == raw.stats["accepted"] + 1 and raw.interpolant is None


def test_max_steps_maps_to_return_code():
    raw = BDF().run(problems.robertson(), np.array([1.0, 0, 0]), (0.0, 40.0),
                    SolveOptions(max_steps=4))
    assert raw.result is ReturnCode.max_steps_reached and raw.stats["accepted"] == 4


def test_blow_up_maps_to_a_failure_code():
    # y' = y^2 from y(0) = 1 blows up at t = 1
    f = ODEFunctions(n=1, rhs=lambda t, y: y * y)
    raw = Radau().run(f, np.ones(1), (0.0, 2.0), SolveOptions())
    assert not raw.result.ok
    assert raw.result in (ReturnCode.dt_underflow, ReturnCode.nonfinite)
    assert raw.ts[-1] < 1.0 + 1e-6


def test_bad_arguments_raise():
    f = ODEFunctions(n=2, rhs=lambda t, y: -y)
    with pytest.raises(SolverError, match="y0 has shape"):
        BDF().run(f, np.ones(3), (0.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match=r"tspan=.* must be two different finite times"):
        Radau().run(f, np.ones(2), (1.0, 1.0), SolveOptions())
