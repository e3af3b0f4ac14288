"""CVODE wrapper: literature values, exact solutions, every linear solver, failure codes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps
from scipy.linalg import expm

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.cvode import CVODE
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.results import ReturnCode

import symnum_tests_stiff_problems as problems  # registered by conftest.py

TIGHT = SolveOptions(rtol=1e-10, atol=1e-14, saveat=np.array([40.0]))


@pytest.mark.parametrize("alg", [
    CVODE(linear_solver="dense"),
    CVODE(linear_solver="sparse"),
    CVODE(linear_solver="krylov", preconditioner="lu"),
    CVODE(linear_solver="krylov", preconditioner="ilu"),
    CVODE(),
], ids=["dense", "sparse", "krylov-lu", "krylov-ilu", "auto"])
def test_robertson_t40_matches_literature(alg):
    raw = alg.run(problems.robertson(), np.array([1.0, 0.0, 0.0]), (0.0, 40.0), TIGHT)
    assert raw.result is ReturnCode.success
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)
    assert raw.ts[-1] == 40.0 and raw.stats["nfev"] > 0 and raw.stats["steps"] > 0


def test_robertson_sparse_without_exact_jacobian_uses_pattern():
    f = problems.robertson()
    f.jac = None  # only the pattern: sksundae's column-grouped differences
    raw = CVODE(linear_solver="sparse").run(f, np.array([1.0, 0, 0]), (0.0, 40.0), TIGHT)
    np.testing.assert_allclose(raw.ys[-1], problems.ROBERTSON_T40, rtol=1e-5)


@pytest.mark.parametrize("linear_solver", ["dense", "sparse", "krylov"])
def test_stiff_linear_system_against_expm(linear_solver):
    f, A, y0 = problems.stiff_linear()
    ts = np.array([0.0, 0.01, 0.5, 2.0])
    raw = CVODE(linear_solver=linear_solver).run(
        f, y0, (0.0, 2.0), SolveOptions(rtol=1e-9, atol=1e-12, saveat=ts))
    assert raw.result.ok and np.array_equal(raw.ts, ts)
    exact = np.stack([expm(A * t) @ y0 for t in ts])
    np.testing.assert_allclose(raw.ys, exact, rtol=1e-6, atol=1e-9)


def test_every_step_saved_and_hermite_interpolant():
    f, A, y0 = problems.stiff_linear()
    raw = CVODE().run(f, y0, (0.0, 2.0), SolveOptions(rtol=1e-9, atol=1e-12))
    assert len(raw.ts) == raw.stats["accepted"] + 1 and np.all(np.diff(raw.ts) > 0)
    tq = np.array([0.3, 1.234, 1.9])
    np.testing.assert_allclose(raw.interpolant(tq), np.stack([expm(A * t) @ y0 for t in tq]),
                               rtol=1e-5, atol=1e-7)


def test_backward_in_time():
    f = ODEFunctions(n=1, rhs=lambda t, y: -y)
    opts = SolveOptions(rtol=1e-10, atol=1e-12, saveat=np.array([0.5, 0.0]))
    raw = CVODE(method="Adams").run(f, np.array([np.e]), (1.0, 0.0), opts)
    np.testing.assert_allclose(raw.ys[:, 0], np.exp([1.5, 2.0]), rtol=1e-8)  # y = e^(2-t)


def test_max_steps_maps_to_return_code():
    raw = CVODE().run(problems.robertson(), np.array([1.0, 0, 0]), (0.0, 40.0),
                      SolveOptions(max_steps=5))
    assert raw.result is ReturnCode.max_steps_reached
    assert raw.stats["accepted"] == 5 and raw.ts[-1] < 40.0


def test_nonfinite_rhs_maps_to_return_code():
    f = ODEFunctions(n=1, rhs=lambda t, y: np.array([np.nan if t > 0.5 else -y[0]]))
    raw = CVODE().run(f, np.ones(1), (0.0, 1.0), SolveOptions())
    assert raw.result is ReturnCode.nonfinite and not raw.result.ok


def test_brusselator_krylov_fft_agrees_with_sparse_direct():
    bm = problems.brusselator_module()
    f, y0 = bm.brusselator(16), bm.initial_state(16)  # n = 512: auto picks Krylov + FFT
    opts = SolveOptions(rtol=1e-8, atol=1e-10, saveat=np.array([3.0]))
    fast = CVODE().run(f, y0, (0.0, 3.0), opts)
    ref = CVODE(linear_solver="sparse").run(f, y0, (0.0, 3.0), opts)
    assert fast.stats["linear_solver"] == "krylov"
    assert fast.stats["preconditioner"] == "AdaptivePreconditioner"
    assert fast.stats["psolves"] > 0 and "switched_to_lu_at" not in fast.stats
    assert np.linalg.norm(fast.ys[-1] - ref.ys[-1]) <= 1e-5 * np.linalg.norm(ref.ys[-1])


def test_jacobian_with_wrong_pattern_is_reported():
    f = problems.robertson()
    f.jac = lambda t, y: sps.csr_matrix(np.eye(3))
    with pytest.raises(SolverError, match="sparsity pattern differs"):
        CVODE(linear_solver="sparse").run(f, np.array([1.0, 0, 0]), (0.0, 1.0), SolveOptions())


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="RK4"), "method='RK4'.*'BDF', 'Adams'"),
    (dict(linear_solver="cholesky"), "linear_solver='cholesky'"),
    (dict(preconditioner="multigrid"), "preconditioner='multigrid'.*'fft'"),
    (dict(linear_solver="dense", preconditioner="fft"), "pass linear_solver='krylov'"),
    (dict(max_order=6), r"max_order=6.*\[1, 5\]"),
    (dict(krylov_dim=0), "krylov_dim=0"),
    (dict(eps_lin=2.0), "eps_lin=2.0"),
])
def test_bad_options_raise(kwargs, match):
    with pytest.raises(SolverError, match=match):
        CVODE(**kwargs)


def test_bad_run_arguments_raise():
    f = ODEFunctions(n=2, rhs=lambda t, y: -y)
    with pytest.raises(SolverError, match="y0 has shape"):
        CVODE().run(f, np.ones(3), (0.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match="saveat"):
        CVODE().run(f, np.ones(2), (0.0, 1.0), SolveOptions(saveat=np.array([2.0])))
    with pytest.raises(SolverError, match="needs functions.jac or"):
        CVODE(linear_solver="sparse").run(f, np.ones(2), (0.0, 1.0), SolveOptions())


def test_naming_a_preconditioner_selects_krylov_and_stats_are_reported():
    f, A, y0 = problems.stiff_linear()
    raw = CVODE(preconditioner="lu", eps_lin=0.01).run(
        f, y0, (0.0, 1.0), SolveOptions(rtol=1e-8, atol=1e-10, saveat=np.array([1.0])))
    assert raw.stats["linear_solver"] == "krylov"
    assert raw.stats["preconditioner"] == "SparseLUPreconditioner"
    np.testing.assert_allclose(raw.ys[-1], expm(A) @ y0, rtol=1e-6, atol=1e-9)
    for key in ("steps", "accepted", "rejected", "nfev", "njev", "psetups", "psolves"):
        assert key in raw.stats
    if raw.stats.get("eps_lin_applied"):  # CVODE's own counters are readable here
        assert raw.stats["linear_iterations"] >= 1
        assert raw.stats["steps"] == raw.stats["accepted"] + raw.stats["rejected"]


def test_sundials_counters_are_read_on_the_tested_scikit_sundae():
    import sksundae

    if sksundae.__version__ != "1.2.0":
        pytest.skip("struct layout checked for scikit-sundae 1.2.0 only; others fall back")
    raw = CVODE(linear_solver="dense").run(problems.robertson(), np.array([1.0, 0, 0]),
                                           (0.0, 40.0), TIGHT)
    s = raw.stats
    assert s["rejected"] is not None and s["nonlinear_iterations"] >= s["accepted"]
    assert s["steps"] == s["accepted"] + s["rejected"] and 1 <= s["order"] <= 5
