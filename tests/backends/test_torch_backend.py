"""backend="torch": agreement with NumPy on the gallery models, float32, ensembles, gradients, errors."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.errors import BackendUnavailable, SolverError

torch = pytest.importorskip("torch")
models = pytest.importorskip("symnum_tests_codegen_models")

t, x, y = sp.symbols("t x y")
u = sp.Function("u")


def kdv(n=48):
    """Two KdV solitons on a small periodic grid, a short time (gallery: plot_kdv_solitons)."""
    U = u(t, x)
    sech2 = lambda c, x0: sp.Rational(1, 2) * c * sp.sech(sp.sqrt(c) / 2 * (x - x0)) ** 2  # noqa: E731
    sys_ = sn.PDESystem([sp.Eq(U.diff(t), -6 * U * U.diff(x) - U.diff(x, 3))],
                        domain={t: (0, 0.05), x: (0, 40)},
                        initial=[sp.Eq(u(0, x), sech2(4, 10) + sech2(1, 18))],
                        boundary=[sn.Periodic(x)])
    return sn.discretize(sys_, sn.FiniteDifference({x: n}, order=4))


def heat_2d(n=9):
    """2D heat, Dirichlet on x and Neumann on y (gallery: plot_heat_2d)."""
    U = u(t, x, y)
    sys_ = sn.PDESystem([sp.Eq(U.diff(t), U.diff(x, 2) + U.diff(y, 2))],
                        domain={t: (0, 0.02), x: (0, 1), y: (0, 1)},
                        initial=[sp.Eq(u(0, x, y), sp.sin(sp.pi * x) * (1 + sp.cos(sp.pi * y)))],
                        boundary=[sp.Eq(u(t, 0, y), 0), sp.Eq(u(t, 1, y), 0),
                                  sp.Eq(U.diff(y).subs(y, 0), 0), sp.Eq(U.diff(y).subs(y, 1), 0)])
    return sn.discretize(sys_, sn.FiniteDifference({x: n, y: n}, order=4))


def robertson():
    y1, y2, y3 = (sp.Function(f"y{k}") for k in (1, 2, 3))
    return sn.ODESystem([sp.Eq(y1(t).diff(t), -0.04 * y1(t) + 1e4 * y2(t) * y3(t)),
                         sp.Eq(y2(t).diff(t), 0.04 * y1(t) - 1e4 * y2(t) * y3(t) - 3e7 * y2(t) ** 2),
                         sp.Eq(y3(t).diff(t), 3e7 * y2(t) ** 2)],
                        initial={y1(0): 1, y2(0): 0, y3(0): 0}, tspan=(0, 1))


GALLERY = {"heat_1d": lambda: models.heat_dirichlet(), "burgers": lambda: models.burgers_upwind(),
           "kdv": kdv, "heat_2d": heat_2d, "brusselator_2d": lambda: models.brusselator_2d(),
           "lorenz": lambda: sn.discretize(models.lorenz())}


@functools.lru_cache(maxsize=None)
def problem(name):
    return GALLERY[name]()


def saves(prob, k=5):
    return np.linspace(prob.tspan[0], prob.tspan[1], k)


def close(a, b, tol):
    """Max difference relative to the size of the solution."""
    return np.abs(np.asarray(a) - np.asarray(b)).max() <= tol * max(1.0, np.abs(b).max())


# -- agreement with the NumPy backend -------------------------------------------------------

@pytest.mark.parametrize("name", list(GALLERY))
def test_gallery_agrees_with_numpy_float64(name):
    prob = problem(name)
    kw = dict(rtol=1e-10, atol=1e-12, saveat=saves(prob))
    ref = sn.solve(prob, sn.Tsit5(), **kw)
    sol = sn.solve(prob, sn.Tsit5(), backend="torch", **kw)
    assert sol.result.ok and isinstance(sol.ys, torch.Tensor) and sol.ys.dtype == torch.float64
    assert sol.batch is None and sol.stats["steps"] == ref.stats["steps"]
    for f in ref.names:
        assert sol[f].shape == ref[f].shape
        assert close(sol[f], ref[f], 1e-8), f


@pytest.mark.parametrize("alg", [sn.DP5(), sn.BS3()], ids=["DP5", "BS3"])
def test_every_step_and_dense_output_agree(alg):
    prob = problem("heat_1d")
    ref = sn.solve(prob, alg, rtol=1e-8, atol=1e-10)
    sol = sn.solve(prob, alg, rtol=1e-8, atol=1e-10, backend="torch:cpu")
    assert len(sol.t) == len(ref.t)  # the same steps, up to rounding in the error norms
    np.testing.assert_allclose(sol.t, ref.t, rtol=1e-7)
    assert close(sol["u"], ref["u"], 1e-8)
    assert close(sol(0.037)["u"], ref(0.037)["u"], 1e-8)


def test_float32_agrees_to_1e4():
    prob = problem("burgers")
    ref = sn.solve(prob, sn.Tsit5(), rtol=1e-10, atol=1e-12, saveat=saves(prob))
    sol = sn.solve(prob, sn.Tsit5(), rtol=1e-5, atol=1e-7, saveat=saves(prob), backend="torch",
                   dtype="float32")
    assert sol.ys.dtype == torch.float32 and sol.stats["dtype"] == "float32" and sol.result.ok
    assert close(sol["u"], ref["u"], 1e-4)
    same = sn.solve(prob, sn.Tsit5(), rtol=1e-5, atol=1e-7, backend="torch", dtype=torch.float32)
    assert same.ys.dtype == torch.float32


def test_stiff_algorithm_on_torch_says_which_work():
    with pytest.raises(SolverError, match=r"backend='torch' runs the explicit tableau methods "
                                          r"sn\.Tsit5\(\), sn\.DP5\(\), sn\.BS3\(\); got CVODE"):
        sn.solve(robertson(), sn.CVODE(), backend="torch")


def test_alg_none_on_torch_picks_tsit5():
    sol = sn.solve(problem("lorenz"), backend="torch", rtol=1e-8, atol=1e-10)
    assert type(sol.algorithm).__name__ == "Tsit5" and sol.result.ok


# -- the y0= and p= keywords on numpy ------------------------------------------------------------

def test_numpy_backend_takes_y0_and_p_for_one_trajectory():
    X, Y, Z = (sp.Function(n)(t) for n in "XYZ")
    s, rho, be = sp.symbols("sigma rho beta", positive=True)
    rebuilt = sn.ODESystem([sp.Eq(X.diff(t), s * (Y - X)), sp.Eq(Y.diff(t), X * (rho - Z) - Y),
                            sp.Eq(Z.diff(t), X * Y - be * Z)],
                           initial={X.subs(t, 0): 2, Y.subs(t, 0): 0, Z.subs(t, 0): 0},
                           parameters={s: 10.0, rho: 20.0, be: sp.Rational(8, 3)}, tspan=(0, 1))
    prob = problem("lorenz")
    kw = dict(rtol=1e-10, atol=1e-12, saveat=[0.5, 1.0])
    ref = sn.solve(rebuilt, sn.Tsit5(), **kw)
    a = sn.solve(prob, sn.Tsit5(), p={"rho": 20.0}, y0=2 * prob.y0, **kw)
    b = sn.solve(prob, sn.Tsit5(), p={rho: 20.0}, y0=torch.tensor(2 * prob.y0), backend="torch",
                 **kw)
    assert close(a.y, ref.y, 1e-12) and close(b.y, ref.y, 1e-8)
    assert not close(a.y, sn.solve(prob, sn.Tsit5(), **kw).y, 1e-3)
    assert prob.params.tolist() == [8 / 3, 28.0, 10.0]  # the problem itself is unchanged


def test_numpy_backend_refuses_batches():
    prob = problem("heat_1d")
    with pytest.raises(SolverError, match=r"a batch of parameter sets \(3 trajectories\) needs "
                                          r"backend='torch'"):
        sn.solve(prob, sn.Tsit5(), p={"nu": [0.1, 0.2, 0.3]})
    with pytest.raises(SolverError, match=r"a batch of initial states \(2 trajectories\)"):
        sn.solve(prob, sn.Tsit5(), y0=np.stack([prob.y0, prob.y0]))


# -- ensembles ----------------------------------------------------------------------------------

def _y0_batch(prob, k=4):
    return np.stack([prob.y0 * (1 + 0.2 * i) for i in range(k)])


@pytest.mark.parametrize("name", ["lorenz", "heat_1d"])
def test_batch_of_initial_states(name):
    prob = problem(name)
    kw = dict(rtol=1e-10, atol=1e-12, saveat=saves(prob))
    Y0 = _y0_batch(prob)
    singles = [sn.solve(prob, sn.Tsit5(), y0=r, **kw) for r in Y0]
    f = prob.names[0]
    ind = sn.solve(prob, sn.Tsit5(), y0=Y0, steps="independent", backend="torch", **kw)
    shared = sn.solve(prob, sn.Tsit5(), y0=torch.tensor(Y0), backend="torch", **kw)
    assert ind.batch == shared.batch == 4 and ind[f].shape == (4,) + singles[0][f].shape
    for b, ref in enumerate(singles):
        assert close(ind[f][b], ref[f], 1e-8)
        assert close(shared[f][b], ref[f], 1e-6)
        assert ind.stats["accepted"][b] == ref.stats["accepted"]
    assert isinstance(shared.stats["accepted"], int) and shared.stats["steps_mode"] == "shared"
    assert ind.stats["accepted"].shape == (4,) and ind.stats["steps_mode"] == "independent"
    assert ind.results == [sn.ReturnCode.success] * 4


def test_batch_of_parameter_sets():
    prob = problem("heat_1d")
    kw = dict(rtol=1e-10, atol=1e-12, saveat=saves(prob))
    nus = [0.1, 0.5, 1.0]
    singles = [sn.solve(prob, sn.Tsit5(), p={"nu": v}, **kw) for v in nus]
    ind = sn.solve(prob, sn.Tsit5(), p={"nu": nus}, steps="independent", backend="torch", **kw)
    shared = sn.solve(prob, sn.Tsit5(), p=np.array(nus)[:, None], backend="torch", **kw)
    for b, ref in enumerate(singles):
        assert close(ind["u"][b], ref["u"], 1e-8)
        assert close(shared["u"][b], ref["u"], 1e-6)
    acc = ind.stats["accepted"]
    assert acc.shape == (3,) and acc[0] < acc[2]  # faster diffusion, more steps
    assert list(acc) == [r.stats["accepted"] for r in singles]
    # one step sequence for all; its norm is the RMS over the batch, so it may take fewer
    # steps than the hardest trajectory alone (documented in docs/torch_backend.md)
    assert isinstance(shared.stats["accepted"], int) and shared(0.05)["u"].shape == (3, 21)


def test_lorenz_parameter_array_and_state_batch_together():
    prob = problem("lorenz")
    P = np.array([prob.params, prob.params * [1.0, 0.9, 1.1]])  # beta, rho, sigma
    Y0 = np.stack([prob.y0, prob.y0 + 0.1])
    kw = dict(rtol=1e-10, atol=1e-12, saveat=[0.25, 0.5])
    ind = sn.solve(prob, sn.DP5(), y0=Y0, p=P, steps="independent", backend="torch", **kw)
    for b in range(2):
        ref = sn.solve(prob, sn.DP5(), y0=Y0[b], p=P[b], **kw)
        assert close(ind.y[b], ref.y, 1e-8)


def test_independent_failures_are_per_trajectory():
    prob = problem("heat_1d")
    sol = sn.solve(prob, sn.Tsit5(), p={"nu": [0.01, 5.0]}, steps="independent", backend="torch",
                   rtol=1e-10, atol=1e-12, saveat=saves(prob), max_steps=60)
    assert sol.results == [sn.ReturnCode.success, sn.ReturnCode.max_steps_reached]
    assert sol.result is sn.ReturnCode.max_steps_reached
    assert np.isnan(sol.y[1, -1]).all() and np.isfinite(sol.y[0]).all()
    with pytest.raises(sn.errors.SolveFailed):
        sn.solve(prob, sn.Tsit5(), p={"nu": [0.01, 5.0]}, steps="independent", backend="torch",
                 saveat=saves(prob), max_steps=20, throw=True)


def test_batched_solution_interpolates_and_refuses_plot():
    prob = problem("lorenz")
    sol = sn.solve(prob, sn.Tsit5(), y0=_y0_batch(prob, 2), backend="torch", rtol=1e-9,
                   atol=1e-11, saveat=np.linspace(0, 1, 201), steps="independent")
    mid = sol(0.5)
    assert mid["X"].shape == (2,) and np.allclose(mid["X"], sol["X"][:, 100])
    assert "batch=2" in repr(sol)
    with pytest.raises(SolverError, match=r"holds a batch of 2"):
        sol.plot()


# -- gradients ---------------------------------------------------------------------------------

def _final_sum(prob, pvals, **kw):
    return float(sn.solve(prob, sn.Tsit5(), p=pvals, rtol=1e-11, atol=1e-13, saveat=[prob.tspan[1]],
                          **kw).y[..., -1, :].sum())


@pytest.mark.parametrize("steps", ["shared", "independent"])
def test_gradient_to_parameters_matches_finite_differences(steps):
    prob = problem("lorenz")
    P = torch.tensor(np.stack([prob.params, prob.params * 1.05]), requires_grad=True)
    sol = sn.solve(prob, sn.Tsit5(), p=P, backend="torch", rtol=1e-11, atol=1e-13,
                   saveat=[0.5, 1.0], steps=steps)
    loss = sol.ys[:, -1, :].sum()
    loss.backward()
    eps = 1e-6
    for b in range(2):
        for k in range(3):
            hi, lo = P.detach().numpy()[b].copy(), P.detach().numpy()[b].copy()
            hi[k] += eps
            lo[k] -= eps
            fd = (_final_sum(prob, hi) - _final_sum(prob, lo)) / (2 * eps)
            assert abs(P.grad[b, k].item() - fd) <= 1e-4 * max(1.0, abs(fd)), (b, k)


def test_gradient_through_fields_to_a_boundary_parameter():
    prob = problem("heat_1d")
    nu = torch.tensor([0.5], requires_grad=True)
    sol = sn.solve(prob, sn.Tsit5(), p=nu, backend="torch", rtol=1e-11, atol=1e-13,
                   saveat=[0.1])
    field = sol.tensor("u")
    assert field.shape == sol["u"].shape and np.allclose(field.detach().numpy(), sol["u"])
    field[-1].sum().backward()
    fd = (_final_sum(prob, [0.5 + 1e-6]) - _final_sum(prob, [0.5 - 1e-6])) / 2e-6
    assert abs(nu.grad.item() - fd) <= 1e-4 * max(1.0, abs(fd))
    with pytest.raises(SolverError, match=r"sol\.tensor\(\) needs a solution computed with "
                                          r"backend='torch'"):
        sn.solve(prob, sn.Tsit5()).tensor("u")


# -- specs and errors ------------------------------------------------------------------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_without_a_device_says_how_to_proceed():
    with pytest.raises(BackendUnavailable, match=r"torch\.cuda\.is_available\(\) is False.*Use "
                                                 r"backend='torch' to run on the CPU"):
        sn.solve(problem("lorenz"), sn.Tsit5(), backend="torch:cuda")


@pytest.mark.parametrize("spec, dtype, message", [
    ("torch:tpu", None, r"unknown device 'tpu' in backend 'torch:tpu'; valid torch specs: 'torch', "
                        r"'torch:cpu', 'torch:cuda', 'torch:cuda:<N>'"),
    ("torch:float32", None, r"Pass the number type as dtype='float32'"),
    ("torch", "float16", r"dtype='float16' \(str\) is not supported; valid: 'float64', 'float32'"),
    ("numpy", "float32", r"backend='numpy' computes in float64; got dtype='float32'"),
    ("numpy:fast", None, r"unknown option 'fast' of the numpy backend; valid: 'numpy', "
                         r"'numpy:vectorized'"),
    ("jax", None, r"unknown backend 'jax'; valid backends: \['auto', 'julia', 'numpy', 'torch'\]"),
])
def test_bad_specs_list_the_valid_ones(spec, dtype, message):
    with pytest.raises(SolverError, match=message):
        sn.solve(problem("lorenz"), sn.Tsit5(), backend=spec, dtype=dtype)


def test_bad_ensemble_inputs():
    prob = problem("heat_1d")
    cases = [
        (dict(p={"mu": 1.0}), r"p has an entry for 'mu', which is not a parameter of this problem; "
                              r"its parameters are \['nu'\]"),
        (dict(p=np.ones((2, 3))), r"p has shape \(2, 3\) \(ndarray\); this problem has 1 parameters"),
        (dict(y0=np.ones(4)), r"y0 has shape \(4,\) \(ndarray\) but the problem has n=19 unknowns"),
        (dict(y0=np.ones((2, 19)), p={"nu": [1.0, 2.0, 3.0]}), r"has a batch of"),
        (dict(y0=np.ones((2, 19)), steps="independent"), r"steps='independent' needs saveat"),
        (dict(steps="each"), r"steps='each' is not valid; pass one of \['shared', 'independent'\]"),
    ]
    for kw, message in cases:
        with pytest.raises(SolverError, match=message):
            sn.solve(prob, sn.Tsit5(), backend="torch", **kw)


def test_missing_torch_says_pip_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(BackendUnavailable, match=r"needs PyTorch.*`pip install torch`"):
        sn.solve(problem("lorenz"), sn.Tsit5(), backend="torch")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-8), ("float32", 1e-4)])
def test_cuda_agrees_with_numpy(dtype, tol):
    prob = problem("brusselator_2d")
    rtol = 1e-10 if dtype == "float64" else 1e-5
    ref = sn.solve(prob, sn.Tsit5(), rtol=1e-10, atol=1e-12, saveat=saves(prob))
    sol = sn.solve(prob, sn.Tsit5(), rtol=rtol, atol=rtol * 1e-2, saveat=saves(prob),
                   backend="torch:cuda", dtype=dtype)
    assert sol.ys.is_cuda and close(sol["u"], ref["u"], tol)
    ens = sn.solve(prob, sn.Tsit5(), rtol=rtol, atol=rtol * 1e-2, saveat=saves(prob),
                   backend="torch:cuda", dtype=dtype, p={"b": [3.0, 3.4]}, steps="independent")
    assert close(ens["u"][1], ref["u"], tol) and not math.isnan(ens["v"].sum())
