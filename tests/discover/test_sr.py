"""Symbolic regression (``symnum.discover.sr``): formulas recovered, cleaning, engines, errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.discover.measurements import Measurements
from symnum.discover.sr import SymbolicRegression, symbolic_regression
from symnum.discover.sr_engines import clean, julia_executable, parse_engine_string
from symnum.errors import BackendUnavailable, DataError, DiscoveryError

x, y = sp.symbols("x y")
FAST = dict(engine="pyoperon", threads=2, seed=0)
no_julia = pytest.mark.skipif(julia_executable() is not None, reason="a Julia executable exists")


def _inputs(n=300, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 3.0, size=(n, 2))


def _rms(v):
    return float(np.sqrt(np.mean(np.square(v))))


def _coefficients(expr, gens):
    """Monomial (as a SymPy product) -> float coefficient of an expanded polynomial."""
    poly = sp.Poly(sp.expand(expr), *gens)
    return {sp.Mul(*[g**k for g, k in zip(gens, m)]): float(c) for m, c in poly.terms()}


@pytest.fixture(scope="module")
def noisy_product():
    X = _inputs()
    clean = -1.3 * X[:, 0] * X[:, 1]
    rng = np.random.default_rng(1)
    target = clean + 0.01 * _rms(clean) * rng.standard_normal(clean.size)
    res = symbolic_regression(X, target, [x, y], generations=60, population_size=200, **FAST)
    return X, target, res


def test_recovers_exponential_product_exactly():
    X = _inputs()
    target = 2.5 * X[:, 0] * np.exp(-0.5 * X[:, 1])
    res = symbolic_regression(X, target, [x, y], operators=("add", "sub", "mul", "div", "exp"),
                              generations=80, population_size=250, **FAST)
    (ex,) = res.best.atoms(sp.exp)
    rate = ex.args[0] / y
    scale = sp.simplify(res.best / (x * ex))
    assert rate.is_Number and scale.is_Number, res.best
    assert float(rate) == pytest.approx(-0.5, rel=0.01)
    assert float(scale) == pytest.approx(2.5, rel=0.01)
    assert res.engine == "pyoperon" and res.loss < 1e-10
    assert res.best.free_symbols == {x, y}


def test_recovers_noisy_product(noisy_product):
    X, target, res = noisy_product
    coef = _coefficients(res.best, (x, y))
    assert set(coef) == {x * y}, res.best            # the structure, intercept dropped
    assert coef[x * y] == pytest.approx(-1.3, rel=0.05)
    # the loss reported is the mean squared error of the returned formula on the data
    pred = res.predict(X)
    assert res.loss == pytest.approx(float(np.mean((pred - target) ** 2)), rel=1e-9)


def test_pareto_sorted_and_equal_to_the_engine(noisy_product):
    X, target, res = noisy_product
    comps = [c for c, _, _ in res.pareto]
    losses = [loss for _, loss, _ in res.pareto]
    assert comps == sorted(comps) and len(set(comps)) == len(comps)
    assert all(b < a for a, b in zip(losses, losses[1:]))   # each more accurate than all simpler
    assert (res.complexity, res.loss, res.best) in res.pareto
    engine = [res.model.evaluate_model(m["tree"], X) for m in res.model.pareto_front_]
    for _, _, expr in res.pareto:
        mine = res.predict(X, expr)
        # cleaning rounds to 6 digits and drops terms below 0.1 x the member's RMS residual
        gap = min(_rms(mine - e) / (_rms(e - target) + 1e-9 * _rms(target)) for e in engine)
        assert gap < 0.3, expr


def test_lotka_volterra_from_solution():
    t = sp.Symbol("t")
    u, v = sp.Function("x"), sp.Function("y")
    system = sn.ODESystem([sp.Eq(u(t).diff(t), 1.3 * u(t) - 0.9 * u(t) * v(t)),
                           sp.Eq(v(t).diff(t), -0.8 * v(t) + 1.8 * u(t) * v(t))],
                          initial={u(0): 0.44249296, v(0): 4.6280594}, tspan=(0, 3))
    sol = sn.solve(system, saveat=np.linspace(0, 3, 301), rtol=1e-10, atol=1e-12)
    meas = Measurements.from_solution(sol)
    model = SymbolicRegression(operators=("add", "sub", "mul"), generations=60,
                               population_size=200, **FAST).fit(meas)
    lhs = [eq.lhs for eq in model.equations_]
    assert lhs == [sp.Derivative(u(t), t), sp.Derivative(v(t), t)]
    want = [{u(t): 1.3, u(t) * v(t): -0.9}, {v(t): -0.8, u(t) * v(t): 1.8}]
    for eq, expected in zip(model.equations_, want):
        got = _coefficients(eq.rhs, (u(t), v(t)))
        assert set(got) == set(expected), eq
        for term, value in expected.items():
            assert got[term] == pytest.approx(value, rel=0.05), eq
    assert model.score(meas) > 0.999
    assert set(model.pareto_) == {"x", "y"}
    assert model.predict(meas)["x"].shape == meas.shape


def test_burgers_from_pdefind_data():
    if str(Path(__file__).parent) not in sys.path:  # the helper module next to this file
        sys.path.insert(0, str(Path(__file__).parent))
    from pdefind import TRUTH, U, Ux, load

    meas = load("burgers")
    model = SymbolicRegression(operators=("add", "sub", "mul"), derivative_order=2,
                               generations=60, population_size=200, **FAST).fit(meas)
    assert model.features_ == [U, Ux[1], Ux[2]]
    (eq,) = model.equations_
    got = sp.expand(eq.rhs).as_coefficients_dict()
    want = sp.expand(TRUTH["burgers"]).as_coefficients_dict()
    assert set(got) == set(want), eq
    for term, value in want.items():
        assert float(got[term]) == pytest.approx(float(value), rel=0.05), eq


def test_read_only_inputs_accepted():
    X = _inputs(100)
    target = 3.0 * X[:, 0] + 1.0
    X.setflags(write=False)
    target.setflags(write=False)
    res = symbolic_regression(X, target, ["a", "b"], generations=10, population_size=50,
                              simplify=False, **FAST)
    a = sp.Symbol("a")
    assert sp.expand(res.best - (3 * a + 1)) == 0, res.best


def test_same_seed_same_front():
    X = _inputs(100)
    target = X[:, 0] * X[:, 1]
    runs = [symbolic_regression(X, target, [x, y], generations=10, population_size=50,
                                simplify=False, **FAST) for _ in range(2)]
    assert runs[0].pareto == runs[1].pareto


def test_max_time_bounds_the_search():
    X = _inputs(100)
    start = time.perf_counter()
    symbolic_regression(X, np.sin(X[:, 0]) * X[:, 1], [x, y], generations=10**6,
                        population_size=100, max_time=1, simplify=False, **FAST)
    assert time.perf_counter() - start < 20


def test_engine_strings_parsed_without_eval():
    v = sp.symbols("v0 v1")
    got = parse_engine_string("((-0.5) + ((2.0 * X1) ^ 2) * exp(X2))", "pyoperon", v)
    assert got == 4.0 * v[0] ** 2 * sp.exp(v[1]) - 0.5
    assert parse_engine_string("1.5e-3 * x0", "pysr", v) == 0.0015 * v[0]
    got = parse_engine_string("square(x0) * inv(x1) + neg(cube(x1)) - sqrt_abs(x0)", "pysr", v)
    assert got == v[0] ** 2 / v[1] - v[1] ** 3 - sp.sqrt(sp.Abs(v[0]))
    with pytest.raises(DiscoveryError, match=r"unknown name\(s\) '__import__', 'getcwd', 'os'"):
        parse_engine_string("__import__('os').getcwd()", "pysr", v)
    with pytest.raises(DiscoveryError, match=r"unknown name\(s\) 'x2'"):
        parse_engine_string("x2 + x0", "pysr", v)


def test_cleaning_drops_tiny_terms_and_rounds():
    v = sp.symbols("v0 v1")
    X = _inputs(50)
    raw = parse_engine_string("((-0.00000015930174868) + (1.00000011920928955 * (exp(((-0.5) * "
                              "X2)) * (2.50000000000000000 * X1))))", "pyoperon", v)
    target = 2.5 * X[:, 0] * np.exp(-0.5 * X[:, 1])
    engine = np.asarray(sp.lambdify(v, raw)(X[:, 0], X[:, 1]))
    out = clean(raw, v, X, target, engine)
    assert out == 2.5 * v[0] * sp.exp(-0.5 * v[1])
    assert np.allclose(sp.lambdify(v, out)(X[:, 0], X[:, 1]), engine, rtol=1e-6)


@no_julia
def test_pysr_without_julia_is_unavailable():
    X = _inputs(20)
    with pytest.raises(BackendUnavailable, match="needs Julia.*Install Julia.*pip install pysr"):
        symbolic_regression(X, X[:, 0], [x, y], engine="pysr")


@no_julia
def test_auto_uses_pyoperon_and_never_imports_pysr():
    code = ("import numpy as np, sympy as sp, sys\n"
            "from symnum.discover.sr import symbolic_regression\n"
            "X = np.random.default_rng(0).uniform(1, 2, (30, 1))\n"
            "r = symbolic_regression(X, 2 * X[:, 0], [sp.Symbol('x')], generations=5,\n"
            "                        population_size=20, threads=1, simplify=False)\n"
            "print(r.engine, 'pysr' in sys.modules, 'juliacall' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["pyoperon", "False", "False"]


@pytest.mark.julia
def test_pysr_recovers_a_product():
    X = _inputs(200)
    res = symbolic_regression(X, 3.0 * X[:, 0] * X[:, 1], [x, y], engine="pysr",
                              generations=20, threads=1, seed=0)
    assert res.engine == "pysr"
    coef = _coefficients(res.best, (x, y))
    assert set(coef) == {x * y} and coef[x * y] == pytest.approx(3.0, rel=0.01)


@pytest.mark.parametrize("kwargs, match", [
    (dict(engine="gplearn"), r"engine='gplearn' \(str\) is not a symbolic regression engine; "
                             r"choose one of \['auto', 'pyoperon', 'pysr'\]"),
    (dict(operators=("add", "foo")), r"unknown operator 'foo' in operators=; valid names: .*'exp'"),
    (dict(operators=("add", "cube")), r"operator 'cube' is not available in engine 'pyoperon'"),
    (dict(operators=("exp",)), r"no binary operator"),
    (dict(generations=0), r"generations=0 must be an integer >= 1"),
    (dict(max_time=-1), r"max_time=-1 must be a positive number"),
])
def test_bad_options(kwargs, match):
    X = _inputs(20)
    opts = {"engine": "pyoperon", **kwargs}
    with pytest.raises(DiscoveryError, match=match):
        symbolic_regression(X, X[:, 0], [x, y], **opts)


def test_bad_data():
    X = _inputs(20)
    with pytest.raises(DiscoveryError, match="X has 20 rows but y has 19 values"):
        symbolic_regression(X, X[:-1, 0], [x, y], engine="pyoperon")
    with pytest.raises(DiscoveryError, match=r"1 symbols \[x\] for 2 columns of X"):
        symbolic_regression(X, X[:, 0], [x], engine="pyoperon")
    bad = X[:, 0].copy()
    bad[3] = np.nan
    with pytest.raises(DataError, match="y has 1 NaN/inf value"):
        symbolic_regression(X, bad, [x, y], engine="pyoperon")
    with pytest.raises(DataError, match="needs a Measurements"):
        SymbolicRegression().fit(X)
    with pytest.raises(DiscoveryError, match="not fitted yet"):
        SymbolicRegression().predict(None)
