"""Explicit RK solvers (Tsit5, DP5, BS3) on both drivers: convergence order, tolerance, dense
output, result codes, backwards integration, estimates; everything against exact solutions."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.linalg import expm

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.explicit import BS3, DP5, Tsit5
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.results import ReturnCode

ALGS = [Tsit5, DP5, BS3]
# y' = A y: rotation with damping and a non-normal coupling; exact y(t) = expm(t A) y0
A = np.array([[-0.5, 2.0, 0.0], [-2.0, -0.5, 0.3], [0.1, 0.0, -1.0]])
Y0 = np.array([1.0, 0.5, -0.3])


@numba.njit(cache=True)
def _linear(t, y, p, out):
    n = y.shape[0]
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += p[i * n + j] * y[j]
        out[i] = acc


@numba.njit(cache=True)
def _square(t, y, p, out):  # y' = y^2: blows up at t = 1 / y0
    out[0] = y[0] * y[0]


@numba.njit(cache=True)
def _nan_after_half(t, y, p, out):
    out[0] = np.nan if t > 0.5 else -y[0]


def linear(compiled: bool, mat=A) -> ODEFunctions:
    return ODEFunctions(n=len(mat), rhs=lambda t, y: mat @ y,
                        numba_rhs=_linear if compiled else None,
                        params=np.ascontiguousarray(mat.ravel()))


def functions(kernel, compiled: bool) -> ODEFunctions:
    def rhs(t, y):
        out = np.empty_like(y)
        kernel(t, y, np.zeros(0), out)
        return out

    return ODEFunctions(n=1, rhs=rhs, numba_rhs=kernel if compiled else None)


DRIVERS = pytest.mark.parametrize("compiled", [False, True], ids=["python", "numba"])
METHOD = pytest.mark.parametrize("alg", ALGS, ids=[a.name for a in ALGS])


def _slope(hs, errs) -> float:
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


@DRIVERS
@METHOD
def test_fixed_step_global_order(alg, compiled):
    order = alg.method.order
    T = 2.0
    # Tsit5's small principal error constant leaves 6th-order terms visible above h = 1/16
    nsteps = np.array([16, 32, 64, 128]) * (2 if order >= 5 else 1)
    exact = expm(T * A) @ Y0
    errs = []
    for n in nsteps:
        raw = alg(adaptive=False, dt=T / n).run(linear(compiled), Y0, (0.0, T), SolveOptions())
        assert raw.result is ReturnCode.success and raw.stats["steps"] == n
        assert raw.stats["nfev"] == 1 + n * (alg.method.tableau.stages - 1)  # FSAL
        errs.append(np.max(np.abs(raw.ys[-1] - exact)))
    assert abs(_slope(T / nsteps, errs) - order) < 0.3, errs


@DRIVERS
@METHOD
def test_dense_output_local_order(alg, compiled):
    # one step from the exact state: the midpoint error is the interpolant's local error,
    # O(h^(dense_order + 1)); below h = 0.05 the h^6 terms are small enough for a clean fit
    hs = 0.05 / 2.0 ** np.arange(4)
    errs = []
    for h in hs:
        raw = alg(adaptive=False, dt=h).run(linear(compiled), Y0, (0.0, h), SolveOptions())
        mid = raw.interpolant(np.array([h / 2]))[0]
        errs.append(np.max(np.abs(mid - expm(h / 2 * A) @ Y0)))
    assert abs(_slope(hs, errs) - (alg.method.dense_order + 1)) < 0.3, errs


@DRIVERS
@METHOD
def test_adaptive_meets_tolerance(alg, compiled):
    T = 5.0
    ts = np.linspace(0.0, T, 11)
    exact = np.stack([expm(t * A) @ Y0 for t in ts])
    errs = []
    for tol in (1e-5, 1e-8):
        raw = alg().run(linear(compiled), Y0, (0.0, T), SolveOptions(rtol=tol, atol=tol,
                                                                       saveat=ts))
        assert raw.result.ok and np.array_equal(raw.ts, ts)
        errs.append(np.max(np.abs(raw.ys - exact)))
        assert errs[-1] < 50 * tol, (tol, errs[-1])
    assert errs[1] < errs[0] / 30


@METHOD
def test_compiled_and_python_take_identical_steps(alg):
    opts = SolveOptions(rtol=1e-7, atol=1e-9)
    py = alg().run(linear(False), Y0, (0.0, 3.0), opts)
    nb = alg().run(linear(True), Y0, (0.0, 3.0), opts)
    assert py.stats["compiled"] is False and nb.stats["compiled"] is True
    assert {k: py.stats[k] for k in ("steps", "accepted", "rejected", "nfev")} == \
        {k: nb.stats[k] for k in ("steps", "accepted", "rejected", "nfev")}
    # same formulas; the two right-hand sides (BLAS `A @ y` vs a loop) round differently, and
    # the controller carries those last bits into the step sizes
    np.testing.assert_allclose(nb.ts, py.ts, rtol=0, atol=1e-8)
    np.testing.assert_allclose(nb.ys, py.ys, rtol=0, atol=1e-8)
    tq = np.linspace(0.0, 3.0, 37)
    np.testing.assert_allclose(nb.interpolant(tq), py.interpolant(tq), rtol=0, atol=1e-8)
    np.testing.assert_allclose(nb.interpolant(tq), np.stack([expm(t * A) @ Y0 for t in tq]),
                               atol=1e-6)


@DRIVERS
def test_backwards_integration(compiled):
    T = 2.0
    saves = np.array([2.0, 1.0, 0.5, 0.0])
    raw = Tsit5().run(linear(compiled), Y0, (T, 0.0),
                      SolveOptions(rtol=1e-10, atol=1e-12, saveat=saves))
    assert raw.result.ok and np.array_equal(raw.ts, saves)
    np.testing.assert_allclose(raw.ys, np.stack([expm((t - T) * A) @ Y0 for t in saves]),
                               atol=1e-8)
    every = Tsit5().run(linear(compiled), Y0, (T, 0.0), SolveOptions(rtol=1e-10, atol=1e-12))
    assert every.ts[0] == T and every.ts[-1] == 0.0 and np.all(np.diff(every.ts) < 0)
    mid = every.interpolant(np.array([0.7]))[0]
    np.testing.assert_allclose(mid, expm((0.7 - T) * A) @ Y0, atol=1e-8)


@DRIVERS
def test_max_steps_reached_is_a_result(compiled):
    raw = Tsit5().run(linear(compiled), Y0, (0.0, 100.0), SolveOptions(max_steps=20))
    assert raw.result is ReturnCode.max_steps_reached
    assert raw.stats["steps"] == 20 and 0 < raw.ts[-1] < 100.0 and len(raw.ts) == len(raw.ys)
    assert "max_steps" in raw.result.value and "stopped at" in raw.message


@DRIVERS
def test_blow_up_is_nonfinite_in_fixed_step_mode(compiled):
    raw = Tsit5(adaptive=False, dt=0.05).run(functions(_square, compiled), np.ones(1),
                                             (0.0, 2.0), SolveOptions())
    assert raw.result is ReturnCode.nonfinite
    assert np.all(np.isfinite(raw.ys)) and 1.0 < raw.ts[-1] < 2.0


@DRIVERS
def test_blow_up_stops_adaptive_solver_without_exception(compiled):
    raw = DP5().run(functions(_square, compiled), np.ones(1), (0.0, 2.0), SolveOptions())
    assert raw.result in (ReturnCode.dt_underflow, ReturnCode.nonfinite)
    assert 0.99 < raw.ts[-1] < 1.01  # stopped at the (numerical) singularity near t = 1


@DRIVERS
def test_nan_rhs_is_nonfinite(compiled):
    raw = BS3().run(functions(_nan_after_half, compiled), np.ones(1), (0.0, 1.0), SolveOptions())
    assert raw.result is ReturnCode.nonfinite and raw.ts[-1] <= 0.5
    assert raw.stats["rejected"] > 0


@DRIVERS
def test_error_and_stiffness_estimates(compiled):
    lam = -40.0
    raw = Tsit5(record=True).run(linear(compiled, np.array([[lam]])), np.ones(1), (0.0, 1.0),
                                 SolveOptions(rtol=1e-6, atol=1e-9))
    err, stiff = np.asarray(raw.stats["step_error"]), np.asarray(raw.stats["step_stiffness"])
    assert len(err) == len(stiff) == raw.stats["accepted"]
    assert np.all(err <= 1.0) and np.all(err >= 0.0)
    # for y' = lam y the ratio of stage differences is |lam| exactly (up to rounding)
    big = np.abs(np.diff(raw.ys[:, 0])) > 1e-12
    np.testing.assert_allclose(stiff[big], abs(lam), rtol=1e-6)
    np.testing.assert_allclose(raw.stats["step_t"], raw.ts[1:])


def test_saveat_returns_only_requested_times_and_no_step_data():
    raw = DP5().run(linear(True), Y0, (0.0, 1.0), SolveOptions(saveat=np.array([0.0, 0.25, 1.0])))
    assert raw.ts.tolist() == [0.0, 0.25, 1.0] and raw.interpolant is None
    np.testing.assert_allclose(raw.ys[0], Y0)


@pytest.mark.parametrize("make, match", [
    (lambda: Tsit5(dt=0.1), r"Tsit5\(dt=0.1\) sets a fixed step but adaptive=True"),
    (lambda: DP5(adaptive=False), r"DP5\(adaptive=False\) needs a positive step dt; got dt=None"),
    (lambda: BS3(adaptive=False, dt=-1.0), r"got dt=-1.0\. Pass e.g\. BS3\(adaptive=False"),
    (lambda: Tsit5(controller="PI"), r"controller must be a PIController; got 'PI'"),
])
def test_algorithm_validation_errors(make, match):
    with pytest.raises(SolverError, match=match):
        make()


def test_run_argument_errors():
    f = linear(False)
    with pytest.raises(SolverError, match=r"y0 has shape \(2,\) but the problem has n=3"):
        Tsit5().run(f, np.ones(2), (0.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match=r"tspan=\(1.0, 1.0\) must be two different finite"):
        Tsit5().run(f, Y0, (1.0, 1.0), SolveOptions())
    with pytest.raises(SolverError, match=r"saveat=.* outside tspan"):
        Tsit5().run(f, Y0, (1.0, 0.0), SolveOptions(saveat=np.array([0.0, 1.0])))


def test_compiled_rhs_of_wrong_form_raises():
    @numba.njit
    def returns_value(t, y, p, out):
        out[0] = -y[0]
        return out

    f = ODEFunctions(n=1, rhs=lambda t, y: -y, numba_rhs=returns_value)
    with pytest.raises(SolverError, match=r"cannot be called as a compiled rhs\(t, y, p, out\)"):
        Tsit5().run(f, np.ones(1), (0.0, 1.0), SolveOptions())
    assert Tsit5(compiled=False).run(f, np.ones(1), (0.0, 1.0), SolveOptions()).result.ok
