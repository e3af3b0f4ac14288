"""Numerical derivatives of sampled data: orders of accuracy, smoothing on noisy data, errors."""

import numpy as np
import pytest

from symnum.discover.derivatives import choose_method, differentiate, estimate_noise, savgol_window
from symnum.errors import DataError

# f and its first three derivatives
FUNCS = {
    "sin": (lambda x: np.sin(3 * x), lambda x: 3 * np.cos(3 * x), lambda x: -9 * np.sin(3 * x),
            lambda x: -27 * np.cos(3 * x)),
    "exp": (lambda x: np.exp(x), np.exp, np.exp, np.exp),
}


def _slope(ns, errs):
    """Observed order: minus the slope of log error against log n."""
    return -np.polyfit(np.log(ns), np.log(errs), 1)[0]


def _stretched(n, seed=0):
    """A non-uniform grid on [0, 2]: smooth stretching plus a random jitter of 30 % of a cell."""
    s = np.linspace(0, 1, n)
    x = 2 * (s + 0.4 * s**2) / 1.4
    x[1:-1] += np.random.default_rng(seed).uniform(-0.3, 0.3, n - 2) * np.diff(x).min()
    return x


@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("accuracy", [2, 4])
def test_fd_converges_at_its_order_on_a_uniform_grid(name, order, accuracy):
    ns = np.array([20, 40, 80, 160])
    errs = []
    for n in ns:
        x = np.linspace(0, 2, n)
        d = differentiate(FUNCS[name][0](x), x, order=order, method="fd", accuracy=accuracy)
        errs.append(np.abs(d - FUNCS[name][order](x)).max())
    assert abs(_slope(ns, errs) - accuracy) < 0.3 + (0.3 if order == 2 else 0), errs


@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("order", [1, 2, 3])
def test_fd_converges_at_second_order_on_a_non_uniform_grid(name, order):
    ns = np.array([20, 40, 80, 160, 320])
    errs = []
    for n in ns:
        x = _stretched(n)
        d = differentiate(FUNCS[name][0](x), x, order=order, method="fd")
        errs.append(np.abs(d - FUNCS[name][order](x)).max())
    assert abs(_slope(ns, errs) - 2) < 0.3, errs


def test_fd_is_exact_on_polynomials_of_low_degree():
    x = _stretched(15)  # 3-point stencils: exact up to degree 2 on any grid
    assert np.allclose(differentiate(x**2 - x, x, method="fd"), 2 * x - 1, atol=1e-10)
    u = np.linspace(-1, 1, 12)  # uniform, accuracy 4: exact up to degree 4 (order 1), 5 (order 2)
    assert np.allclose(differentiate(u**4, u, method="fd", accuracy=4), 4 * u**3, atol=1e-10)
    assert np.allclose(differentiate(u**5, u, order=2, method="fd", accuracy=4), 20 * u**3,
                       atol=1e-9)


def test_fd_along_another_axis_and_periodic():
    x = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ts = np.linspace(0, 1, 5)
    U = np.cos(ts)[:, None] * np.sin(x)[None, :]
    d = differentiate(U, x, axis=1, method="fd", accuracy=4, periodic=True)
    assert d.shape == U.shape
    assert np.abs(d - np.cos(ts)[:, None] * np.cos(x)[None, :]).max() < 5e-5
    errs = [np.abs(differentiate(np.sin(xx), xx, method="fd", periodic=True) - np.cos(xx)).max()
            for xx in (np.linspace(0, 2 * np.pi, n, endpoint=False) for n in (16, 32, 64))]
    assert abs(_slope([16, 32, 64], errs) - 2) < 0.3


@pytest.mark.parametrize("order", [1, 2, 3])
def test_spectral_is_exact_on_a_periodic_grid(order):
    x = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    f = np.sin(3 * x) + 0.5 * np.cos(x)
    exact = [None, 3 * np.cos(3 * x) - 0.5 * np.sin(x), -9 * np.sin(3 * x) - 0.5 * np.cos(x),
             -27 * np.cos(3 * x) + 0.5 * np.sin(x)][order]
    assert np.abs(differentiate(f, x, order=order, method="spectral", periodic=True) - exact).max() < 1e-10


def _noisy_sin(n=200, level=0.01, seed=0):
    x = np.linspace(0, 2 * np.pi, n)
    return x, np.sin(x) + level * np.random.default_rng(seed).normal(size=n)


def _rms(a):
    return float(np.sqrt(np.mean(a**2)))


@pytest.mark.parametrize("method,ratio", [("savgol", 0.25), ("spline", 0.25)])
def test_smoothing_methods_beat_fd_on_noisy_data(method, ratio):
    x, y = _noisy_sin()
    fd = _rms(differentiate(y, x, method="fd") - np.cos(x))
    smooth = _rms(differentiate(y, x, method=method) - np.cos(x))
    assert smooth < ratio * fd, (smooth, fd)
    assert smooth < 0.05


def test_spline_on_a_noisy_non_uniform_grid_and_second_derivative():
    x = np.sort(np.random.default_rng(3).uniform(0, 2 * np.pi, 300))
    y = np.sin(x) + 0.01 * np.random.default_rng(4).normal(size=x.size)
    fd = _rms(differentiate(y, x, method="fd") - np.cos(x))
    sp1 = _rms(differentiate(y, x, method="spline") - np.cos(x))
    assert sp1 < 0.1 * fd
    assert _rms(differentiate(y, x, order=2, method="spline") + np.sin(x)) < 0.2
    d3 = differentiate(y, x, order=3, method="spline")  # quintic spline for orders 3-4
    fd3 = differentiate(y, x, order=3, method="fd")
    inner = slice(30, -30)
    assert _rms(d3[inner] + np.cos(x[inner])) < 0.2
    assert _rms(d3[inner] + np.cos(x[inner])) < 1e-3 * _rms(fd3[inner] + np.cos(x[inner]))
    with pytest.raises(DataError, match="derivatives up to order 4; got order=5"):
        differentiate(y, x, order=5, method="spline")


def test_spline_periodic_and_vectorised():
    x = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    U = np.stack([np.sin(x), np.cos(x)]) + 0.005 * np.random.default_rng(0).normal(size=(2, 100))
    d = differentiate(U, x, axis=1, method="spline", periodic=True)
    assert d.shape == (2, 100)
    assert np.abs(d - np.stack([np.cos(x), -np.sin(x)])).max() < 0.1


def test_estimate_noise_recovers_a_known_std():
    for std, seed in [(0.01, 0), (0.05, 1), (0.2, 2)]:
        x, y = _noisy_sin(n=1000, level=std, seed=seed)
        assert abs(estimate_noise(y) - std) < 0.2 * std
    # a 2-D field, noise along either axis
    t, x = np.linspace(0, 1, 60), np.linspace(0, 2 * np.pi, 80)
    U = np.exp(-t)[:, None] * np.sin(x)[None, :]
    Un = U + 0.02 * np.random.default_rng(5).normal(size=U.shape)
    assert abs(estimate_noise(Un, axis=0) - 0.02) < 0.004
    assert abs(estimate_noise(Un, axis=1) - 0.02) < 0.004
    assert estimate_noise(U, axis=1) < 1e-4
    # a non-uniform axis: interpolation residuals instead of differences
    xn = np.sort(np.random.default_rng(6).uniform(0, 2 * np.pi, 800))
    yn = np.sin(xn) + 0.03 * np.random.default_rng(7).normal(size=xn.size)
    assert abs(estimate_noise(yn, coord=xn) - 0.03) < 0.2 * 0.03
    assert estimate_noise(np.sin(xn), coord=xn) < 1e-8


def test_auto_picks_fd_on_clean_and_smoothing_on_noisy_data():
    x = np.linspace(0, 2 * np.pi, 200)
    assert choose_method(np.sin(x), x) == ("fd", {"accuracy": 4})
    assert np.array_equal(differentiate(np.sin(x), x), differentiate(np.sin(x), x, method="fd", accuracy=4))
    _, y = _noisy_sin()
    assert choose_method(y, x)[0] == "savgol"
    assert np.array_equal(differentiate(y, x), differentiate(y, x, method="savgol"))
    xn = _stretched(200)
    assert choose_method(np.sin(xn), xn) == ("fd", {"accuracy": 4})
    assert choose_method(np.sin(xn) + 0.01 * np.random.default_rng(0).normal(size=200), xn)[0] == "spline"


def test_auto_takes_clean_data_on_a_coarse_uneven_grid_for_clean_data():
    """Interpolation residuals that keep falling with the stencil size are signal, not noise."""
    from symnum.discover.derivatives import NOISE_THRESHOLD, _noise_levels

    for seed in (0, 1, 2):
        x = np.sort(np.random.default_rng(seed).uniform(0, 2 * np.pi, 100))
        x[0], x[-1] = 0.0, 2 * np.pi
        y = np.sin(10 * x)  # 10 samples per wavelength, gaps up to ~5x the mean
        levels = _noise_levels(y, 0, x)
        assert min(levels) > NOISE_THRESHOLD * _rms(y)  # above the threshold: looks noisy ...
        assert levels[-1] < 0.3 * levels[-2]  # ... but falls off with the stencil: signal
        assert choose_method(y, x) == ("fd", {"accuracy": 4})
        dy = 10 * np.cos(10 * x)
        err = _rms(differentiate(y, x) - dy)
        assert err < 0.15 and err < 0.05 * _rms(differentiate(y, x, method="spline") - dy)
        noisy = y + 1e-2 * np.random.default_rng(9).normal(size=x.size)
        assert choose_method(noisy, x)[0] == "spline"


def _wavy(level, n=400, seed=1):
    x = np.linspace(0, 2 * np.pi, n)
    f = np.sin(3 * x) + 0.5 * np.cos(7 * x)
    return x, f + level * _rms(f) * np.random.default_rng(seed).normal(size=n), \
        3 * np.cos(3 * x) - 3.5 * np.sin(7 * x)


def test_savgol_window_follows_the_noise_level():
    windows = {p: [savgol_window(_wavy(lvl)[1], _wavy(lvl)[0], polyorder=p)
                   for lvl in (0, 1e-3, 1e-2, 5e-2)] for p in (3, 5)}
    assert windows[3][0] == 5 and windows[5][0] == 7  # clean: the narrowest window
    for p in (3, 5):
        assert all(a < b for a, b in zip(windows[p], windows[p][1:])), windows
    assert all(a < b for a, b in zip(windows[3][1:], windows[5][1:]))  # order 5: less bias, wider
    # a smoother signal (same noise) gets a wider window
    x, y, _ = _wavy(1e-2)
    assert savgol_window(np.sin(x) + 0.01 * np.random.default_rng(1).normal(size=x.size), x) > \
        savgol_window(y, x)
    # the default window is this one, with polynomial order 5, and close to the best fixed window
    inner = slice(30, -30)
    for lvl in (1e-3, 1e-2, 5e-2):
        x, y, dy = _wavy(lvl)
        auto = differentiate(y, x, method="savgol")
        assert np.array_equal(auto, differentiate(y, x, method="savgol", polyorder=5,
                                                  window=savgol_window(y, x)))
        err = _rms((auto - dy)[inner])
        best = min(_rms((differentiate(y, x, method="savgol", window=w, polyorder=5) - dy)[inner])
                   for w in range(7, 121, 4))
        assert err < 3 * best and err < 0.25 * _rms((differentiate(y, x, method="fd") - dy)[inner])
    # higher derivative orders
    assert savgol_window(y, x, order=2) >= 7 and savgol_window(y, x, order=4) >= 7


def test_savgol_polyorder_option():
    from scipy.signal import savgol_filter

    x, y, _ = _wavy(1e-2)
    h = x[1] - x[0]
    for p, order in [(5, 1), (3, 1), (5, 2), (6, 3)]:
        got = differentiate(y, x, order=order, method="savgol", window=21, polyorder=p)
        assert np.allclose(got, savgol_filter(y, 21, p, deriv=order, delta=h))
    # a given window keeps the old default order 3; too few samples fall back to 3
    assert np.allclose(differentiate(y, x, method="savgol", window=21),
                       savgol_filter(y, 21, 3, deriv=1, delta=h))
    assert differentiate(np.arange(5.0) ** 2, np.arange(5.0), method="savgol").shape == (5,)
    with pytest.raises(DataError, match="polyorder must be a positive integer"):
        differentiate(y, x, method="savgol", polyorder=0)
    with pytest.raises(DataError, match="larger than the polynomial order 5"):
        differentiate(y, x, method="savgol", window=5, polyorder=5)


@pytest.mark.parametrize("noise, rel", [(0.001, 0.01), (0.01, 0.05)])
def test_sindy_recovers_noisy_burgers_with_the_default_derivatives(noise, rel):
    """Space derivatives with the chosen window (order 5), the time one searched by SINDy."""
    import sympy as sp
    from pdefind import TRUTH, load

    from symnum.discover.sindy import SINDy

    (eq,) = SINDy().fit(load("burgers", noise=noise, seed=1)).equations_
    got = {term: float(c) for c, term in (a.as_coeff_Mul() for a in sp.Add.make_args(eq.rhs))}
    want = {term: float(c) for c, term in (a.as_coeff_Mul() for a in
                                           sp.Add.make_args(TRUTH["burgers"]))}
    assert set(got) == set(want), eq
    assert all(abs(got[k] - v) <= rel * abs(v) for k, v in want.items()), (got, want)


def test_order_zero_is_a_copy():
    x = np.linspace(0, 1, 5)
    y = x**2
    d = differentiate(y, x, order=0)
    assert np.array_equal(d, y) and d is not y


@pytest.mark.parametrize("kwargs,match", [
    (dict(values=np.ones(5), coord=[0, 2, 1, 3, 4]), "strictly increasing"),
    (dict(values=np.ones(5), coord=[0, 1, 1, 3, 4]), "strictly increasing"),
    (dict(values=np.ones(5), coord=np.arange(6.0)), "5 samples along axis 0 but coord has 6"),
    (dict(values=np.ones(4), coord=np.arange(4.0), order=3, method="fd"),
     "order 3 with method='fd' needs at least 5 points along the axis; got 4"),
    (dict(values=np.ones(4), coord=np.arange(4.0), order=1, method="spline"),
     "needs at least 5 points along the axis; got 4"),
    (dict(values=np.ones(4), coord=np.arange(4.0), method="savgol"), "at least 5 points"),
    (dict(values=np.ones(6), coord=[0, 1, 2, 4, 5, 7], method="savgol"),
     "method='savgol' needs a uniform grid.*method=\"spline\" or method=\"fd\""),
    (dict(values=np.ones(8), coord=np.arange(8.0), method="spectral"), "pass periodic=True"),
    (dict(values=np.ones(6), coord=[0, 1, 2, 4, 5, 7], method="spectral", periodic=True),
     "needs a uniform grid"),
    (dict(values=np.ones(8), coord=np.arange(8.0), method="magic"), "unknown derivative method 'magic'"),
    (dict(values=np.ones(8), coord=np.arange(8.0), order=-1), "non-negative integer"),
    (dict(values=np.ones(8), coord=np.arange(8.0), method="savgol", window=4), "odd integer"),
    (dict(values=np.ones(8), coord=np.arange(8.0), method="fd", accuracy=0), "accuracy must be"),
    (dict(values=np.ones((3, 4)), coord=np.arange(4.0), axis=2), "axis=2 is out of range"),
])
def test_bad_input_raises_data_error(kwargs, match):
    with pytest.raises(DataError, match=match):
        differentiate(**kwargs)
