"""NumPy, PyTorch and JAX exports agree with the compiled right-hand side of every model."""

import importlib.util
import itertools

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.codegen.export import export
from symnum.codegen.export.torch_export import camel
from symnum.errors import CodegenError

from models import problems
from snapshot import assert_snapshot

PROBLEMS = problems()
_count = itertools.count()


def _load(exp, tmp_path):
    path = exp.write(tmp_path)[0]
    spec = importlib.util.spec_from_file_location(f"exported_{next(_count)}_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _states(prob, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return prob.y0 + 0.1 * rng.standard_normal((k, prob.n))


def _reference(prob, t, Y):
    rhs = prob.functions("numpy").rhs
    return np.stack([rhs(t, y) for y in Y])


def _close(a, b, rtol):
    scale = max(np.abs(b).max(), 1.0)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("key", list(PROBLEMS))
def test_numpy_module(key, tmp_path):
    prob = PROBLEMS[key]
    mod = _load(export(prob, "numpy", name=key), tmp_path)
    assert mod.N == prob.n and mod.TSPAN == prob.tspan
    np.testing.assert_array_equal(mod.Y0, prob.y0)
    np.testing.assert_array_equal(mod.P0, prob.params)
    assert mod.PARAMS == tuple(str(s) for s in prob.param_symbols)
    Y = _states(prob)
    for t in (0.0, 0.37):
        ref = _reference(prob, t, Y)
        for row, y in enumerate(Y):
            _close(mod.rhs(t, y), ref[row], 1e-12)
        _close(mod.rhs(t, Y), ref, 1e-12)  # a batch, row by row
        _close(mod.rhs(t, Y, mod.P0), ref, 1e-12)


def test_numpy_module_imports_only_numpy(tmp_path):
    text = str(export(PROBLEMS["mixed_2d"], "numpy", name="m"))
    imports = [line for line in text.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import math", "import numpy"]
    assert text.startswith('"""m: PDESystem(')


def test_numpy_script(tmp_path):
    pytest.importorskip("scipy")
    import subprocess
    import sys

    exp = export(PROBLEMS["lorenz"], "numpy", name="lorenz", script=True)
    path = exp.write(tmp_path)[0]
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    final = np.array([float(v) for v in out.stdout.splitlines()[1:]])
    sol = sn.solve(PROBLEMS["lorenz"], sn.DP5(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(final, [sol[k][-1] for k in "XYZ"], rtol=1e-5)


@pytest.mark.parametrize("key", list(PROBLEMS))
def test_torch_module(key, tmp_path):
    torch = pytest.importorskip("torch")
    prob = PROBLEMS[key]
    mod = _load(export(prob, "torch", name=key), tmp_path)
    f = getattr(mod, camel(key))()
    assert isinstance(f, torch.nn.Module) and not f.p.requires_grad
    assert [n for n, _ in f.named_parameters()] == ["p"]
    Y = _states(prob)
    for t in (0.0, 0.37):
        ref = _reference(prob, t, Y)
        with torch.no_grad():
            batch = f(t, torch.tensor(Y)).numpy()
            rows = [f(torch.tensor(t, dtype=torch.float64), torch.tensor(y)).numpy() for y in Y]
            single = f(t, torch.tensor(Y, dtype=torch.float32)).double().numpy()
        _close(batch, ref, 1e-12)
        _close(np.stack(rows), ref, 1e-12)
        _close(single, ref, 1e-5)
        assert f(t, torch.tensor(Y, dtype=torch.float32)).dtype == torch.float32
    nested = f(0.1, torch.tensor(Y).reshape(3, 1, prob.n).expand(3, 2, prob.n))
    assert nested.shape == (3, 2, prob.n)
    np.testing.assert_allclose(f.y0().numpy(), prob.y0)


def test_torch_parameter_gradient(tmp_path):
    torch = pytest.importorskip("torch")
    prob = PROBLEMS["brusselator_2d"]
    mod = _load(export(prob, "torch", name="bruss"), tmp_path)
    f = mod.Bruss(trainable=True)
    assert f.p.requires_grad
    y = torch.tensor(_states(prob, 1)[0])
    w = torch.tensor(np.random.default_rng(1).standard_normal(prob.n))
    (f(0.2, y) * w).sum().backward()
    grad = f.p.grad.numpy()
    h = 1e-6
    fd = []
    for k in range(len(prob.params)):
        e = np.zeros(len(prob.params))
        e[k] = h
        with torch.no_grad():
            up = (mod.Bruss(p=prob.params + e)(0.2, y) * w).sum().item()
            dn = (mod.Bruss(p=prob.params - e)(0.2, y) * w).sum().item()
        fd.append((up - dn) / (2 * h))
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


def test_torch_gradient_through_a_parametric_boundary(tmp_path):
    """A Robin coefficient that is a parameter: the fill must not break autograd."""
    torch = pytest.importorskip("torch")
    t, x = sp.symbols("t x")
    u, kappa = sp.Function("u"), sp.Symbol("kappa")
    U = u(t, x)
    system = sn.PDESystem([sp.Eq(U.diff(t), U.diff(x, 2) - U**2)], domain={t: (0, 1), x: (0, 1)},
                          initial=[sp.Eq(u(0, x), x)],
                          boundary=[sp.Eq(u(t, 0), 0), sn.Robin(U, x, 1, a=1, b=kappa, value=1)],
                          parameters={kappa: 2.0})
    prob = sn.discretize(system, sn.FiniteDifference({x: 9}, order=2))
    mod = _load(export(prob, "torch", name="robin"), tmp_path)
    f = mod.Robin(trainable=True)
    y = torch.tensor(_states(prob, 1)[0], requires_grad=True)
    f(0.0, y).pow(2).sum().backward()
    assert torch.isfinite(f.p.grad).all() and f.p.grad.abs().sum() > 0
    with torch.no_grad():
        h = 1e-6
        fd = ((mod.Robin(p=[2.0 + h])(0.0, y) ** 2).sum() -
              (mod.Robin(p=[2.0 - h])(0.0, y) ** 2).sum()) / (2 * h)
    np.testing.assert_allclose(f.p.grad.item(), fd.item(), rtol=1e-6)
    _close(f(0.0, y).detach().numpy()[None], _reference(prob, 0.0, y.detach().numpy()[None]), 1e-12)


@pytest.fixture
def jax64():
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize("key", list(PROBLEMS))
def test_jax_module(key, tmp_path, jax64):
    jnp = jax64.numpy
    prob = PROBLEMS[key]
    mod = _load(export(prob, "jax", name=key), tmp_path)
    rhs = jax64.jit(mod.rhs)
    Y = _states(prob)
    for t in (0.0, 0.37):
        ref = _reference(prob, t, Y)
        _close(np.asarray(rhs(t, jnp.asarray(Y), jnp.asarray(mod.P0))), ref, 1e-12)
        _close(np.asarray(mod.rhs(t, jnp.asarray(Y[0]))), ref[0], 1e-12)


def test_jax_grad(jax64, tmp_path):
    jnp = jax64.numpy
    prob = PROBLEMS["mixed_2d"]
    mod = _load(export(prob, "jax", name="m"), tmp_path)
    y = jnp.asarray(_states(prob, 1)[0])
    g = jax64.grad(lambda p: jnp.sum(mod.rhs(0.1, y, p) ** 2))(jnp.asarray(mod.P0))
    h = 1e-6
    fd = (jnp.sum(mod.rhs(0.1, y, jnp.asarray(mod.P0) + h) ** 2)
          - jnp.sum(mod.rhs(0.1, y, jnp.asarray(mod.P0) - h) ** 2)) / (2 * h)
    np.testing.assert_allclose(float(g[0]), float(fd), rtol=1e-6)


# -- expressions -------------------------------------------------------------------------
x, y, z = sp.symbols("x y z")
EXPRS = [sp.sin(x) * sp.exp(-y**2) + sp.sqrt(2) * x, sp.Max(x, 0) + sp.Min(y, 1) * sp.tanh(x),
         sp.Piecewise((x**2, x > 0.5), (y, True)) + sp.pi, sp.atan2(y, x + 3) + sp.Abs(x) / (1 + y**2)]


def test_numpy_expression(tmp_path):
    mod = _load(export(EXPRS, "numpy", name="f"), tmp_path)
    X, Yv = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(-2, 2, 5))
    got = mod.f(X, Yv)
    for e, g in zip(EXPRS, got):
        np.testing.assert_allclose(g, sp.lambdify((x, y), e, "numpy")(X, Yv), rtol=1e-13)
    one = _load(export(EXPRS[0], "numpy", name="g"), tmp_path)
    assert np.isclose(one.g(0.3, 0.2), float(EXPRS[0].subs({x: 0.3, y: 0.2})))


def test_torch_expression(tmp_path):
    torch = pytest.importorskip("torch")
    mod = _load(export(EXPRS, "torch", name="f"), tmp_path)
    X, Yv = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(-2, 2, 5))
    got = mod.f(torch.tensor(X), torch.tensor(Yv))
    for e, g in zip(EXPRS, got):
        np.testing.assert_allclose(g.numpy(), sp.lambdify((x, y), e, "numpy")(X, Yv), rtol=1e-13)
    assert "import torch" in str(export(EXPRS[0], "torch", name="g"))


def test_jax_expression(tmp_path, jax64):
    mod = _load(export(EXPRS, "jax", name="f"), tmp_path)
    X = np.linspace(-1, 1, 7)
    got = jax64.jit(mod.f)(X, X[::-1])
    for e, g in zip(EXPRS, got):
        np.testing.assert_allclose(np.asarray(g), sp.lambdify((x, y), e, "numpy")(X, X[::-1]),
                                   rtol=1e-13)


def test_unsupported_function_names_node_and_language():
    with pytest.raises(CodegenError, match=r"cannot generate torch code for besselj\(0, x\)"):
        export(sp.besselj(0, x), "torch")
    with pytest.raises(CodegenError, match=r"cannot generate JAX code for gamma\(x\)"):
        export(sp.gamma(x), "jax")


def test_odd_symbol_names(tmp_path):
    a, lam = sp.Symbol("a'"), sp.Symbol("lambda")
    exp = export(a * lam, "numpy", name="h")
    assert "def h(a_, a_lambda):" in str(exp)
    assert _load(exp, tmp_path).h(2.0, 3.0) == 6.0


# -- snapshots ---------------------------------------------------------------------------
def test_snapshot_numpy_heat():
    assert_snapshot("numpy/heat_dirichlet.py", str(export(PROBLEMS["heat_dirichlet"], "numpy",
                                                          name="heat_dirichlet")))


def test_snapshot_torch_brusselator():
    assert_snapshot("torch/brusselator_2d.py", str(export(PROBLEMS["brusselator_2d"], "torch",
                                                          name="brusselator_2d")))
