"""Strong-form SINDy / PDE-FIND: known equations recovered from data.

PDEs: the three PySINDy example files (clean, and Burgers with 1 % noise).
ODEs: Lorenz and Lotka–Volterra solved with symnum (clean and 1 % noise),
one or several trajectories.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp
from pdefind import TRUTH, load, load_arrays

import symnum as sn
from symnum.discover.measurements import Measurements
from symnum.discover.sindy import SINDy

t, x = sp.symbols("t x")
X, Y, Z = (sp.Function(n) for n in "xyz")


def _solve(eqs, initial, tspan, n):
    system = sn.ODESystem(eqs, initial=initial, tspan=tspan)
    ts = np.linspace(*tspan, n)
    sol = sn.solve(system, sn.Tsit5(), rtol=1e-10, atol=1e-10, saveat=ts)
    return Measurements.from_solution(sol)


LORENZ = [sp.Eq(X(t).diff(t), 10 * (Y(t) - X(t))),
          sp.Eq(Y(t).diff(t), X(t) * (28 - Z(t)) - Y(t)),
          sp.Eq(Z(t).diff(t), X(t) * Y(t) - sp.Rational(8, 3) * Z(t))]
LV = [sp.Eq(X(t).diff(t), 1.3 * X(t) - 0.9 * X(t) * Y(t)),
      sp.Eq(Y(t).diff(t), 1.8 * X(t) * Y(t) - 0.8 * Y(t))]


@functools.lru_cache(maxsize=None)
def _lorenz():
    return _solve(LORENZ, {X(0): -8, Y(0): 7, Z(0): 27}, (0, 10), 2001)


@functools.lru_cache(maxsize=None)
def _lv(x0=1.0, y0=0.5, tend=20.0, n=1001):
    return _solve(LV, {X(0): x0, Y(0): y0}, (0, tend), n)


def _coefficients(expr):
    """term -> coefficient of an expanded sum."""
    out = {}
    for arg in sp.Add.make_args(sp.expand(expr)):
        c, term = arg.as_coeff_Mul()
        out[term] = out.get(term, 0) + float(c)
    return out


def _check(equation, truth, rel):
    """Same terms as ``truth`` and every coefficient within ``rel``."""
    got, want = _coefficients(equation.rhs), _coefficients(truth)
    assert set(got) == set(want), f"{equation} has terms {set(got)}, expected {set(want)}"
    for term, value in want.items():
        assert got[term] == pytest.approx(value, rel=rel), (term, got[term], value)


# -- PDEs ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, every, options", [
    ("burgers", (1, 1), {}),
    ("kdv", (1, 2), {}),
])
def test_pdefind_files_clean(name, every, options):
    meas = load(name, every=every)
    model = SINDy(**options).fit(meas)
    (eq,) = model.equations_
    assert eq.lhs == sp.Derivative(meas.applied["u"], t)
    _check(eq, TRUTH[name], rel=0.05)
    assert model.score(meas) > 0.99


def test_kuramoto_sivashinsky_clean():
    ts, xs, field = load_arrays("kuramoto_sivishinky")
    meas = Measurements({"u": field[:, ::2]}, coords={t: ts, x: xs[::2]}, periodic=[x])
    model = SINDy(derivative_order=4).fit(meas)
    _check(model.equations_[0], TRUTH["kuramoto_sivishinky"], rel=0.05)


def test_burgers_one_percent_noise_with_savgol():
    meas = load("burgers", noise=0.01)
    model = SINDy(derivative="savgol", derivative_options={"window": 9}).fit(meas)
    _check(model.equations_[0], TRUTH["burgers"], rel=0.05)


def test_burgers_with_sr3_and_fixed_threshold():
    meas = load("burgers", every=(1, 2))
    for options in ({"optimizer": "sr3"}, {"threshold": 0.05}):
        model = SINDy(**options).fit(meas)
        _check(model.equations_[0], TRUTH["burgers"], rel=0.05)


# -- ODEs ------------------------------------------------------------------------------
def test_lorenz_clean_exact_structure_within_one_percent():
    model = SINDy(degree=2).fit(_lorenz())
    for eq, truth in zip(model.equations_, LORENZ):
        assert eq.lhs == truth.lhs
        _check(eq, truth.rhs, rel=0.01)
    assert model.windows_ == {"x": None, "y": None, "z": None}  # clean: no smoothing


def test_lotka_volterra_clean_exact_structure_within_one_percent():
    model = SINDy(degree=2).fit(_lv())
    for eq, truth in zip(model.equations_, LV):
        _check(eq, truth.rhs, rel=0.01)
    assert model.score(_lv()) > 0.9999


def test_lorenz_one_percent_noise():
    """The time-derivative window is chosen per field; structure exact, coefficients close."""
    meas = _lorenz().with_noise(0.01)
    model = SINDy(degree=2).fit(meas)
    assert all(isinstance(w, int) and w % 2 for w in model.windows_.values())  # searched
    for eq, truth in zip(model.equations_, LORENZ):
        _check(eq, truth.rhs, rel=0.1)
    big = _coefficients(model.equations_[1].rhs)
    assert big[X(t)] == pytest.approx(28, rel=0.02) and big[X(t) * Z(t)] == pytest.approx(-1, rel=0.02)


def test_several_trajectories_are_stacked():
    """Three short Lotka–Volterra runs (3 time units each) fitted together."""
    runs = [_lv(x0, y0, 3.0, 151) for x0, y0 in [(1.0, 0.5), (2.0, 1.0), (0.5, 2.0)]]
    model = SINDy(degree=2).fit(runs)
    for eq, truth in zip(model.equations_, LV):
        _check(eq, truth.rhs, rel=0.01)
    assert model.score(_lv(1.5, 1.5, 3.0, 151)) > 0.999


def test_equations_use_library_terms_and_six_digit_floats():
    model = SINDy(degree=2).fit(_lv())
    assert model.coefficients_.shape == (2, len(model.terms_)) and model.names_ == ["x", "y"]
    for i, eq in enumerate(model.equations_):
        for arg in sp.Add.make_args(eq.rhs):
            c, term = arg.as_coeff_Mul()
            assert isinstance(c, sp.Float) and term in model.terms_
            assert float(c) == float(f"{float(c):.6g}")
        assert set(np.flatnonzero(model.coefficients_[i])) == set(model.selection_[eq.lhs.expr.func.__name__].support)


def test_user_terms_and_predict():
    meas = _lv()
    terms = [X(t), Y(t), X(t) * Y(t), sp.sin(X(t))]
    model = SINDy(terms=terms).fit(meas)
    assert model.terms_ == terms
    pred = model.predict(meas)
    assert set(pred) == {"x", "y"} and pred["x"].shape == meas.shape
    xs, ys = meas["x"], meas["y"]
    np.testing.assert_allclose(pred["x"], 1.3 * xs - 0.9 * xs * ys, rtol=1e-3, atol=1e-4)


def test_discover_dispatches_to_sindy():
    eqs = sn.discover(_lv(), method="sindy", degree=2)
    for eq, truth in zip(eqs, LV):
        _check(eq, truth.rhs, rel=0.01)


# -- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("options, message", [
    (dict(optimizer="lasso"), "unknown optimizer 'lasso'"),
    (dict(threshold=-0.1), "threshold must be 'auto' or a number >= 0"),
    (dict(derivative="magic"), "unknown derivative method 'magic'; choose one of"),
    (dict(derivative_options=[("window", 5)]), "derivative_options must be a dict"),
    (dict(trim="some"), "trim must be 'auto', an int >= 0 or a dict"),
    (dict(terms=[]), "terms= is empty"),
    (dict(degree=-2), "degree must be an integer >= 0"),
    (dict(max_terms=0), "max_terms must be a positive int"),
])
def test_bad_options_raise(options, message):
    with pytest.raises(sn.DiscoveryError, match=message):
        SINDy(**options).fit(_lv())


def test_bad_data_raise():
    with pytest.raises(sn.DataError, match="needs a Measurements or a non-empty list"):
        SINDy().fit(np.zeros((10, 2)))
    with pytest.raises(sn.DataError, match="needs a Measurements or a non-empty list"):
        SINDy().fit([])
    other = Measurements({"x": np.ones(20)}, coords={t: np.linspace(0, 1, 20)})
    with pytest.raises(sn.DataError, match="same fields and coordinates"):
        SINDy().fit([_lv(), other])


def test_predict_before_fit_raises():
    with pytest.raises(sn.DiscoveryError, match=r"not fitted yet; call fit\(measurements\)"):
        SINDy().predict(_lv())
