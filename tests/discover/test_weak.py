"""Weak SINDy: quadrature matrices, recovery of known equations from noisy data, errors."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from pdefind import TRUTH, load, load_arrays

import symnum as sn
from symnum.discover.api import discover
from symnum.discover.measurements import Measurements
from symnum.discover.testfunctions import (auto_halfwidth, bump_matrices, default_centres,
                                           trapezoid_weights)
from symnum.discover.weak import WeakSINDy, _project
from symnum.discover.weak_library import strong_form

t, x, y = sp.symbols("t x y")
u = sp.Function("u")


def coefficients(eq):
    """``{term: float coefficient}`` of the right-hand side."""
    return {rest: float(c) for c, rest in (a.as_coeff_Mul() for a in sp.Add.make_args(eq.rhs))}


def assert_recovers(eq, truth, rel):
    """Exactly the terms of ``truth`` (a SymPy sum), every coefficient within ``rel``."""
    found, want = coefficients(eq), coefficients(sp.Eq(0, sp.expand(truth)))
    assert set(found) == set(want), f"found {eq.rhs}, expected {truth}"
    for term, c in want.items():
        assert found[term] == pytest.approx(c, rel=rel), (term, found[term], c)


# -- the quadrature matrices -----------------------------------------------------------------
def test_trapezoid_weights_integrate_linear_functions_exactly_on_any_grid():
    g = np.sort(np.random.default_rng(0).uniform(0, 2, 50))
    w = trapezoid_weights(g)
    assert w.sum() == pytest.approx(g[-1] - g[0])
    assert w @ (3 * g - 1) == pytest.approx(1.5 * (g[-1] ** 2 - g[0] ** 2) - (g[-1] - g[0]))


@pytest.mark.parametrize("grid", ["uniform", "stretched"])
def test_moving_derivatives_onto_the_bumps_matches_the_analytic_derivatives(grid):
    def errors(n):
        s = np.linspace(0, 1, n)
        g = 3 * s if grid == "uniform" else 3 * s ** 1.5  # non-uniform: denser near 0
        f = [np.sin(2 * g) + g ** 3, 2 * np.cos(2 * g) + 3 * g ** 2, -4 * np.sin(2 * g) + 6 * g,
             -8 * np.cos(2 * g) + 6]
        mats = bump_matrices(g, halfwidth=0.4, n_centres=9, p=5, max_order=3)
        # ∫ φ f^(k) = (-1)^k ∫ φ^(k) f: the sign is inside A^(k)
        return np.array([np.abs(mats[k] @ f[0] - mats[0] @ f[k]).max() / np.abs(mats[0] @ f[k]).max()
                         for k in range(4)])

    coarse, fine = errors(201), errors(401)
    assert fine[0] < 1e-12 and fine[1] < 1e-6 and fine[2] < 1e-4 and fine[3] < 2e-2
    # φ^(k) meets the support's edge like (1 - s)^(p - k): error O(h^(p - k + 1)) = O(h^3) for k = 3
    assert np.all(fine[2:] < coarse[2:] / 6)


def test_weak_column_of_a_space_time_field_and_the_time_derivative_target():
    ts, xs = np.linspace(0, 2, 161), np.linspace(-1, 2, 241)
    T, X = np.meshgrid(ts, xs, indexing="ij")
    F = np.exp(-T) * np.sin(3 * X) * (1 + X ** 2)
    F_xx = np.exp(-T) * (-9 * np.sin(3 * X) * (1 + X ** 2) + 12 * X * np.cos(3 * X)
                         + 2 * np.sin(3 * X))
    at = bump_matrices(ts, 0.3, 7, 6, 1)
    ax = bump_matrices(xs, 0.5, 8, 6, 2)
    column = _project(F, [at[0], ax[2]])          # A_t F A_x^(2)ᵀ, flattened time-major
    assert column.shape == (7 * 8,)
    assert np.allclose(column, (at[0] @ F_xx @ ax[0].T).ravel(), atol=1e-5 * np.abs(column).max())
    target = _project(F, [at[1], ax[0]])          # ∫∫ φψ u_t = -∫∫ φψ' u
    assert np.allclose(target, _project(-F, [at[0], ax[0]]), atol=1e-6 * np.abs(target).max())


def test_default_lattice_and_width_rule():
    assert default_centres(np.linspace(0, 1, 101), 0.1) == 17
    ys = np.linspace(0, 20, 801)
    h = auto_halfwidth([np.sin(2 * np.pi * ys)], ys, axis=0, p=4)
    assert h == pytest.approx(np.sqrt(11) / (2 * np.pi), rel=0.1)
    noisy = np.sin(2 * np.pi * ys) + 0.2 * np.random.default_rng(0).normal(size=ys.size)
    assert auto_halfwidth([noisy], ys, axis=0, p=4) == pytest.approx(h, rel=0.15)


def test_strong_form_expands_collects_and_rounds():
    U = u(t, x)
    rhs = strong_form([sp.Derivative(U ** 2, x), sp.Derivative(U, (x, 2)), U,
                       sp.Derivative(x * U, x)], [-0.5, 0.123456789, 1.0 + 1e-9, -1.0])
    assert rhs == (-sp.Float(1.0) * U * U.diff(x) + sp.Float(0.123457) * U.diff(x, 2)
                   - sp.Float(1.0) * x * U.diff(x))


# -- recovery ----------------------------------------------------------------------------------
@pytest.mark.parametrize("noise", [0.05, 0.10])
def test_burgers_with_noise(noise):
    meas = load("burgers", noise=noise)
    model = WeakSINDy().fit(meas)
    (eq,) = model.equations_
    assert_recovers(eq, TRUTH["burgers"], rel=0.05)
    assert model.score(meas) > 0.99
    # the equations feed straight back into a PDE model
    sn.PDESystem(model.equations_, domain={t: (0, 1), x: (-8, 8)},
                 initial=[sp.Eq(u(0, x), sp.exp(-x ** 2))], boundary=[sn.Periodic(x)])


def test_time_may_be_any_axis():
    ts, xs, field = load_arrays("burgers")
    meas = Measurements({"u": field.T[::2, ::2]}, coords={x: xs[::2], t: ts[::2]})
    model = WeakSINDy(derivative_order=2).fit(meas)
    assert_recovers(model.equations_[0], TRUTH["burgers"], rel=1e-3)
    assert repr(model).startswith("WeakSINDy(degree=2, derivative_order=2,")


def test_burgers_on_a_non_uniform_time_grid():
    meas = load("burgers", noise=0.05).subsample(0.6, seed=1)
    assert not meas.uniform(t)
    assert_recovers(WeakSINDy().fit(meas).equations_[0], TRUTH["burgers"], rel=0.05)


@pytest.mark.parametrize("name, order, noise", [("kdv", 3, 0.0), ("kdv", 3, 0.01),
                                                ("kuramoto_sivishinky", 4, 0.0)])
def test_kdv_and_kuramoto_sivashinsky(name, order, noise):
    model = WeakSINDy(derivative_order=order).fit(load(name, noise=noise))
    assert_recovers(model.equations_[0], TRUTH[name], rel=0.01)
    assert model.p_ == {t: 5, x: order + 4}
    assert model.quadrature_ == {t: "trapezoid", x: "trapezoid"}


@pytest.fixture(scope="module")
def lorenz():
    X, Y, Z = (sp.Function(n) for n in "xyz")
    system = sn.ODESystem(
        equations=[sp.Eq(X(t).diff(t), 10 * (Y(t) - X(t))),
                   sp.Eq(Y(t).diff(t), X(t) * (28 - Z(t)) - Y(t)),
                   sp.Eq(Z(t).diff(t), X(t) * Y(t) - sp.Rational(8, 3) * Z(t))],
        initial={X(0): 1, Y(0): 0, Z(0): 0}, tspan=(0, 10))
    ts = np.linspace(0, 10, 10001)
    sol = sn.solve(system, sn.Tsit5(), rtol=1e-9, atol=1e-10, saveat=ts)
    meas = Measurements({f: sol[f] for f in "xyz"}, coords={t: ts})
    truth = [10 * (Y(t) - X(t)), X(t) * (28 - Z(t)) - Y(t), X(t) * Y(t) - sp.Rational(8, 3) * Z(t)]
    return meas, truth


def test_lorenz_with_5_percent_noise(lorenz):
    meas, truth = lorenz
    model = WeakSINDy().fit(meas.with_noise(0.05))
    for eq, rhs in zip(model.equations_, truth):
        assert_recovers(eq, rhs, rel=0.10)
    assert len(model.terms_) == 10 and model.coefficients_.shape == (3, 10)


def test_non_uniform_time_ode_and_several_trajectories():
    ts = np.sort(np.r_[0, 4, np.random.default_rng(2).uniform(0, 4, 600)])
    a, b = (Measurements({"v": v0 / (1 + v0 * ts)}, coords={t: ts}) for v0 in (1.0, 3.0))
    model = WeakSINDy().fit([a, b])                           # v' = -v^2
    v = sp.Function("v")(t)
    assert_recovers(model.equations_[0], -v ** 2, rel=1e-3)


def test_two_space_dimensions():
    ts = np.linspace(0, 2, 41)
    xs = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ys = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    T, X, Y = np.meshgrid(ts, xs, ys, indexing="ij")
    U = (np.exp(-0.2 * T) * np.sin(X) * np.cos(Y) + np.exp(-0.8 * T) * np.cos(2 * X + 0.3)
         * np.sin(2 * Y) + 0.3 * np.exp(-0.9 * T) * np.sin(3 * Y))        # u_t = 0.1 Δu
    meas = Measurements({"u": U}, coords={t: ts, x: xs, y: ys}).with_noise(0.02)
    model = WeakSINDy(derivative_order=2).fit(meas)
    V = u(t, x, y)
    assert_recovers(model.equations_[0], 0.1 * (V.diff(x, 2) + V.diff(y, 2)), rel=0.05)
    assert sp.Derivative(V, x, y) in model.terms_
    assert sp.Derivative(V, x, y) not in WeakSINDy(derivative_order=2, mixed=False).fit(meas).terms_


def test_x_terms_give_conservative_terms_that_collect_to_strong_form():
    ts, xs = np.linspace(0, 1, 101), np.linspace(-3, 3, 201)
    T, X = np.meshgrid(ts, xs, indexing="ij")
    S = X * np.exp(-T)                                        # u_t = -x u_x
    meas = Measurements({"u": np.exp(-(S - 0.5) ** 2) + 0.5 * np.sin(2 * S)}, coords={t: ts, x: xs})
    model = WeakSINDy(derivative_order=2, x_terms=[x]).fit(meas)
    assert sp.Derivative(x * u(t, x), x) in model.terms_
    assert_recovers(model.equations_[0], -x * u(t, x).diff(x), rel=1e-3)


def test_discover_dispatches_to_weak():
    eqs = discover(load("burgers", noise=0.05), method="weak", width=0.1)
    assert_recovers(eqs[0], TRUTH["burgers"], rel=0.05)


def test_predict_is_the_weak_form_rhs():
    meas = load("burgers", every=(2, 2))
    model = WeakSINDy(width={t: 0.15, "x": 0.1}, n_subdomains={x: 12}).fit(meas)
    theta, lhs = model.weak_form(meas)
    pred = model.predict(meas)["u"]
    assert pred.shape == lhs["u"].shape == (theta.shape[0],)
    assert model.n_subdomains_[x] == 12 and model.halfwidth_[t] == pytest.approx(1.5)
    assert np.abs(pred - lhs["u"]).max() < 1e-3 * np.abs(lhs["u"]).max()


# -- few, irregular time samples ------------------------------------------------------------
def test_spline_quadrature_on_few_irregular_samples_and_dropped_bumps():
    ys = np.sort(np.r_[0.0, 10.0, np.random.default_rng(3).uniform(0, 10, 10)])
    g, dg = np.sin(ys / 2) + 0.1 * ys ** 2, np.cos(ys / 2) / 2 + 0.2 * ys
    trap = bump_matrices(ys, 2.5, 6, 3, 1)
    spline = bump_matrices(ys, 2.5, 6, 3, 1, quadrature="spline")
    error = [np.abs(m[1] @ g - m[0] @ dg).max() / np.abs(m[0] @ dg).max() for m in (trap, spline)]
    assert error[1] < 0.01 < error[0]            # exact for the bump, 4th order in the data
    gappy = np.r_[np.linspace(0, 4, 9), np.linspace(8, 10, 5)]   # nothing in (4, 8)
    kept = bump_matrices(gappy, 1.5, 8, 3, 1, quadrature="spline", min_inside=3)
    assert 0 < kept[0].shape[0] < 8


def test_per_axis_p():
    model = WeakSINDy(p={"t": 2}, derivative_order=2).fit(load("burgers", every=(2, 2)))
    assert model.p_ == {t: 2, x: 6}
    assert WeakSINDy(p=5, derivative_order=2).fit(load("burgers", every=(2, 2))).p_ == {t: 5, x: 5}


@pytest.mark.parametrize("fraction, noise", [(0.1, 0.0), (0.1, 0.05), (0.25, 0.05)])
def test_burgers_from_few_irregular_snapshots(fraction, noise):
    meas = load("burgers").subsample(fraction, seed=0).with_noise(noise, seed=1)
    model = WeakSINDy().fit(meas)
    assert model.quadrature_[t] == "spline"
    assert_recovers(model.equations_[0], TRUTH["burgers"], rel=0.05)


def test_few_irregular_ode_samples():
    ts = np.sort(np.r_[0, 4, np.random.default_rng(5).uniform(0, 4, 58)])
    trajs = [Measurements({"v": v0 / (1 + v0 * ts)}, coords={t: ts}) for v0 in (1.0, 3.0)]
    model = WeakSINDy().fit(trajs)                            # v' = -v^2 from 60 samples each
    assert model.quadrature_[t] == "spline"
    assert_recovers(model.equations_[0], -sp.Function("v")(t) ** 2, rel=0.02)


# -- errors ------------------------------------------------------------------------------------
def test_scattered_data_points_to_the_pinn():
    pts = np.random.default_rng(0).uniform(0, 1, (2, 50))
    meas = Measurements({"u": np.sin(pts[1])}, coords={t: pts[0], x: pts[1]}, scattered=True)
    with pytest.raises(sn.DataError, match='scattered.*method="pinn"'):
        WeakSINDy().fit(meas)


@pytest.mark.parametrize("options, match", [
    ({"p": 3}, r"p must be an int greater than .* \(3\); got 3"),
    ({"p": {"t": 1}}, r"p for axis t must be an int greater than .* \(1\); got 1"),
    ({"degree": 0}, "degree must be an int >= 1; got 0"),
    ({"derivative_order": -1}, "derivative_order must be an int >= 0"),
    ({"width": 0.7}, r"width for axis t must be a fraction .* \(0, 0.5\); got 0.7"),
    ({"width": {"z": 0.1}}, "width names axis 'z', which is not one of the axes t, x"),
    ({"n_subdomains": 0}, "n_subdomains for axis t must be an int >= 1; got 0"),
    ({"x_terms": [y]}, r"x_terms entry y must be an expression in the coordinates \[t, x\]"),
])
def test_bad_options(options, match):
    with pytest.raises(sn.DiscoveryError, match=match):
        WeakSINDy(**options).fit(load("burgers", every=(4, 4)))


def test_ode_errors_and_unfitted_model():
    ts = np.linspace(0, 1, 101)
    meas = Measurements({"v": np.exp(-ts)}, coords={t: ts})
    with pytest.raises(sn.DiscoveryError, match="derivative_order=2 but the measurements have no space"):
        WeakSINDy(derivative_order=2).fit(meas)
    with pytest.raises(sn.DiscoveryError, match="not fitted yet"):
        WeakSINDy().predict(meas)
    short = Measurements({"v": np.exp(-ts[:4])}, coords={t: ts[:4]})
    with pytest.raises(sn.DataError, match="axis t has 4 samples; the weak form needs at least 5"):
        WeakSINDy().fit(short)
    fitted = WeakSINDy().fit(meas)
    other = Measurements({"w": np.exp(-ts)}, coords={t: ts})
    with pytest.raises(sn.DataError, match=r"fields \['w'\].*do not match"):
        fitted.score(other)


def test_ode_time_width_follows_the_spectrum_only_on_resolved_irregular_records():
    from symnum.discover.testfunctions import ODE_SPECTRAL_FRACTION, time_test_functions

    rng = np.random.default_rng(0)
    for n, resolved in [(500, True), (60, False)]:
        ts = np.sort(np.r_[0.0, 20.0, rng.uniform(0, 20, n - 2)])
        v = [np.sin(ts) + 0.3 * np.cos(2.3 * ts)]
        h_pde, q_pde = time_test_functions(v, ts, 0, 3)
        h_ode, q_ode = time_test_functions(v, ts, 0, 3, ode=True)
        assert q_pde == q_ode == "spline"
        if resolved:  # several times the capped width, half the spectral one
            spectral = auto_halfwidth(v, ts, 0, 3, min_std=0.0)
            assert h_ode == pytest.approx(ODE_SPECTRAL_FRACTION * spectral) and h_ode > 3 * h_pde
        else:         # coarse record: the capped rule, as for PDEs
            assert h_ode == h_pde
