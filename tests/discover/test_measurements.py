"""``Measurements``: construction, validation, derivatives, resampling, and data from ``sn.solve``."""

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.discover import measurements as mod
from symnum.discover.measurements import Measurements
from symnum.errors import DataError

t, x, y = sp.symbols("t x y")
u, v = sp.Function("u"), sp.Function("v")
TS, XS = np.linspace(0, 1, 21), np.linspace(0, 2 * np.pi, 40, endpoint=False)
U = np.exp(-TS)[:, None] * np.sin(XS)[None, :]  # u_t = -u, u_xx = -u


@pytest.fixture
def meas():
    return Measurements({"u": U, v: 2 * U}, coords={t: TS, x: XS}, periodic=[x])


def test_attributes(meas):
    assert meas.names == ["u", "v"]
    assert meas.t == t and meas.space == [x] and meas.axes == [t, x] and meas.time_axis == 0
    assert meas.gridded and not meas.is_ode and meas.shape == (21, 40) and meas.n_points == 840
    assert meas.functions["v"] is v and meas.applied["u"] == u(t, x)
    assert all(a.dtype == np.float64 for a in [*meas.coords.values(), *meas.values.values()])
    assert np.array_equal(meas["v"], 2 * U) and np.array_equal(meas[u(t, x)], U)
    assert meas.uniform(t) and meas.uniform("x")
    assert meas.spacing(x) == pytest.approx(2 * np.pi / 40) and meas.spacing(t) == pytest.approx(0.05)
    assert meas.noise is None and meas.periodic == [x]
    assert repr(meas) == "Measurements(u: (21, 40), v: (21, 40), t=t (axis 0), space=[x], gridded)"


def test_keys_inputs_are_copied_and_applied_functions_accepted():
    data = U.copy()
    m = Measurements({u(t, x): data}, coords={t: TS, x: XS})
    data[0, 0] = 99.0
    assert m.values["u"][0, 0] == 0.0 and m.functions["u"] is u


def test_time_axis_chosen_by_name_by_keyword_or_first():
    m = Measurements({"u": U.T}, coords={x: XS, t: TS})  # time is the second array axis
    assert m.t == t and m.time_axis == 1 and m.space == [x] and m.applied["u"] == u(t, x)
    assert np.allclose(m.derivative("u", t), -U.T, atol=1e-4)
    s = sp.Symbol("s")
    m2 = Measurements({"u": U}, coords={s: TS, x: XS})
    assert m2.t == s and m2.applied["u"] == u(s, x)
    m3 = Measurements({"u": U.T}, coords={x: XS, s: TS}, time=s)
    assert m3.t == s and m3.time_axis == 1


def test_ode_and_scattered():
    ode = Measurements({"x": np.exp(-TS), "y": np.cos(TS)}, coords={t: TS})
    assert ode.is_ode and ode.shape == (21,) and ode.applied["x"] == sp.Function("x")(t)
    assert np.allclose(ode.derivative("y", t), -np.sin(TS), atol=1e-5)
    rng = np.random.default_rng(0)
    tp, xp = rng.uniform(0, 1, 50), rng.uniform(0, 1, 50)
    sc = Measurements({"u": tp * xp}, coords={t: tp, x: xp}, scattered=True)
    assert not sc.gridded and sc.shape == (50,) and sc.n_points == 50 and not sc.uniform(t)
    X, Y = sc.to_arrays()
    assert np.array_equal(X, np.stack([tp, xp], 1)) and np.array_equal(Y[:, 0], tp * xp)
    with pytest.raises(DataError, match="scattered measurements have no grid.*method='pinn'"):
        sc.derivative("u", t)


def test_to_arrays_and_meshgrid(meas):
    mesh = meas.meshgrid()
    assert mesh[t].shape == mesh[x].shape == (21, 40)
    assert np.array_equal(mesh[x][3], XS) and np.array_equal(mesh[t][:, 5], TS)
    X, Y = meas.to_arrays()
    assert X.shape == (840, 2) and Y.shape == (840, 2)
    assert np.array_equal(Y[:, 0], U.ravel()) and np.array_equal(X[:, 1], mesh[x].ravel())


@pytest.mark.parametrize("fields,coords,kwargs,match", [
    ({"u": np.where(U > 0.5, np.nan, U)}, {t: TS, x: XS}, {},
     r"field u has \d+ NaN/inf value\(s\) out of 840"),
    ({"u": U}, {t: np.r_[TS[:-1], np.inf], x: XS}, {}, r"coordinate t has 1 NaN/inf"),
    ({"u": U[:, :-1]}, {t: TS, x: XS}, {}, r"field u has shape \(21, 39\); expected \(21, 40\)"),
    ({"u": U}, {t: TS[::-1], x: XS}, {}, "coordinate t must be 1-D and strictly increasing"),
    ({"u": U}, {t: np.r_[0, TS[:-1]], x: XS}, {}, "coordinate t must be 1-D and strictly increasing"),
    ({"u": U[:2]}, {t: TS[:2], x: XS}, {}, "2 sample.s. in time t; at least 3"),
    ({"u": np.ones(5)}, {t: np.arange(5.0), x: np.arange(4.0)}, {"scattered": True},
     "1-D arrays of one length"),
    ({"u": U + 1j}, {t: TS, x: XS}, {}, r"field u is complex.*\.real"),
    ({"u": "abc"}, {t: TS, x: XS}, {}, "field u must be a numeric array"),
    ({u(t, y): U}, {t: TS, x: XS}, {}, r"field u\(t, y\) has arguments"),
    ({3: U}, {t: TS, x: XS}, {}, "a field key must be a name"),
    ({"u": U}, {t: TS, x: XS}, {"time": y}, "time=y is not one of the coordinates"),
    ({"u": U}, {t: TS, x: XS}, {"periodic": [t]}, r"periodic axes \[t\] must be space axes of \[x\]"),
    ({}, {t: TS}, {}, "fields must be a non-empty dict"),
    ({"u": U}, {}, {}, "coords must be a non-empty dict"),
    ({"u": U}, {1: TS, x: XS}, {}, "coords keys must be SymPy Symbols"),
])
def test_bad_data_raises(fields, coords, kwargs, match):
    with pytest.raises(DataError, match=match):
        Measurements(fields, coords, **kwargs)


def test_lookup_errors(meas):
    with pytest.raises(DataError, match=r"no field 'w'; the fields are \['u', 'v'\]"):
        meas.derivative("w", x)
    with pytest.raises(DataError, match=r"y is not a coordinate of these measurements"):
        meas.derivative("u", y)
    with pytest.raises(DataError, match="derivative order for x must be a non-negative integer"):
        meas.derivative("u", {x: 1.5})
    xs = np.r_[0, np.cumsum(np.linspace(1, 2, 39))]
    nonuni = Measurements({"u": U}, coords={t: TS, x: xs})
    assert not nonuni.uniform(x)
    with pytest.raises(DataError, match="axis x is not uniformly spaced"):
        nonuni.spacing(x)


def test_derivative_wrt_forms_agree_and_match_analytic(meas):
    ux = meas.derivative("u", x)
    assert ux.shape == U.shape
    assert np.abs(ux - np.exp(-TS)[:, None] * np.cos(XS)).max() < 1e-4  # periodic: ends are good
    uxx = meas.derivative("u", (x, x))
    assert np.array_equal(uxx, meas.derivative("u", {x: 2}))
    assert np.array_equal(uxx, meas.derivative("u", [x, x]))
    assert np.abs(uxx + U).max() < 1e-3
    uxt = meas.derivative("u", (x, t))
    assert np.array_equal(uxt, meas.derivative("u", {t: 1, x: 1}))
    assert np.abs(uxt + np.exp(-TS)[:, None] * np.cos(XS)).max() < 1e-3
    spec = meas.derivative("u", {x: 2}, method="spectral")  # periodic passed on
    assert np.abs(spec + U).max() < 1e-10
    assert np.array_equal(meas.derivative("u", {x: 0}), U)


def test_derivative_is_cached_per_options(meas, monkeypatch):
    calls = []
    real = mod.differentiate

    def counting(*args, **kwargs):
        calls.append(kwargs["method"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "differentiate", counting)
    a = meas.derivative("u", x)
    a[:] = 0.0  # the caller owns the returned array; the cache keeps its own
    b = meas.derivative("u", x)
    assert len(calls) == 1 and np.abs(b).max() > 0.5
    meas.derivative("u", x, method="fd")
    meas.derivative("u", x, method="fd", accuracy=4)
    meas.derivative("u", x, method="fd", accuracy=4)
    meas.derivative("v", x, method="fd")
    assert calls == ["fd", "fd", "fd", "fd"]  # "auto" resolved to fd on clean data


def test_auto_derivative_smooths_noisy_data():
    ts = np.linspace(0, 2 * np.pi, 200)
    noisy = Measurements({"y": np.sin(ts)}, coords={t: ts}).with_noise(0.01, seed=3)
    auto = noisy.derivative("y", t)
    fd = noisy.derivative("y", t, method="fd")
    assert np.sqrt(np.mean((auto - np.cos(ts)) ** 2)) < 0.25 * np.sqrt(np.mean((fd - np.cos(ts)) ** 2))


def test_with_noise(meas):
    a, b = meas.with_noise(0.05, seed=1), meas.with_noise(0.05, seed=1)
    c = meas.with_noise(0.05, seed=2)
    assert np.array_equal(a["u"], b["u"]) and not np.array_equal(a["u"], c["u"])
    assert np.array_equal(meas["u"], U) and meas.noise is None and a.noise == 0.05
    for name in ("u", "v"):
        rms = np.sqrt(np.mean(meas[name] ** 2))
        assert np.std(a[name] - meas[name]) == pytest.approx(0.05 * rms, rel=0.1)
    assert a.periodic == [x] and a.functions["v"] is v
    assert a.with_noise(0.05).noise == pytest.approx(0.05 * np.sqrt(2))
    with pytest.raises(DataError, match="level must be a non-negative number"):
        meas.with_noise(-0.1)


def test_subsample(meas):
    s = meas.subsample(0.5, seed=4)
    ts = s.coords[t]
    assert s.shape == (10, 40) and ts[0] == 0 and ts[-1] == 1 and np.all(np.diff(ts) > 0)
    assert np.array_equal(ts, meas.subsample(0.5, seed=4).coords[t])
    assert not np.array_equal(ts, meas.subsample(0.5, seed=5).coords[t])
    rows = np.searchsorted(TS, ts)
    assert np.array_equal(s["u"], U[rows]) and s.uniform(x) and not s.uniform(t)
    assert meas.subsample(0.01).shape == (3, 40)  # never fewer than 3 times
    rng = np.random.default_rng(0)
    sc = Measurements({"u": rng.normal(size=100)}, coords={t: rng.uniform(size=100)}, scattered=True)
    assert sc.subsample(0.3).shape == (30,)
    with pytest.raises(DataError, match=r"fraction must be in \(0, 1\]"):
        meas.subsample(1.5)


def test_split(meas):
    train, held = meas.split(0.8)
    assert train.coords[t][-1] == pytest.approx(0.8) and train.shape == (17, 40)
    assert held.coords[t][0] == train.coords[t][-1] and held.coords[t][-1] == 1.0
    assert held.shape == (5, 40) and np.array_equal(held["u"], U[16:])
    with pytest.raises(DataError, match=r"split\(fraction=0.95\) leaves 2 time sample\(s\) in the held"):
        meas.split(0.95)
    with pytest.raises(DataError, match=r"fraction must be in \(0, 1\)"):
        meas.split(1.0)


def test_from_solution_ode():
    k = sp.Symbol("k")
    yy = sp.Function("y")
    sys = sn.ODESystem([sp.Eq(yy(t).diff(t), -k * yy(t))], initial={yy(0): 2}, parameters={k: 0.7},
                       tspan=(0, 3))
    sol = sn.solve(sys, rtol=1e-10, atol=1e-12, saveat=np.linspace(0, 3, 61))
    m = Measurements.from_solution(sol)
    assert m.is_ode and m.names == ["y"] and m.shape == (61,) and m.t == t
    assert np.array_equal(m["y"], sol["y"]) and np.array_equal(m.coords[t], sol.t)
    assert m.functions["y"] is yy
    assert Measurements.from_solution(sol, fields=[yy]).names == ["y"]
    with pytest.raises(DataError, match=r"fields \['z'\] are not in the solution; its fields are \['y'\]"):
        Measurements.from_solution(sol, fields=["z"])
    assert np.abs(m.derivative("y", t) + 0.7 * m["y"]).max() < 1e-5


def test_from_solution_periodic_heat():
    D = sp.Symbol("D")
    heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), D * u(t, x).diff(x, 2))],
                        domain={t: (0, 0.5), x: (0, 2 * sp.pi)},
                        initial=[sp.Eq(u(0, x), sp.sin(x) + sp.cos(2 * x) / 2)],
                        boundary=[sn.Periodic(x)], parameters={D: 0.3})
    prob = sn.discretize(heat, sn.FiniteDifference({x: 48}, order=4))
    sol = sn.solve(prob, sn.Tsit5(), rtol=1e-9, atol=1e-11, saveat=np.linspace(0, 0.5, 26))
    m = Measurements.from_solution(sol, fields=["u"])
    assert m.shape == (26, 48) and m.space == [x] and m.periodic == [x] and m.applied["u"] == u(t, x)
    assert np.array_equal(m["u"], sol["u"]) and np.array_equal(m.coords[x], sol.grid[x])
    # the data satisfy the equation they came from
    resid = m.derivative("u", t) - 0.3 * m.derivative("u", {x: 2})
    assert np.abs(resid).max() < 1e-3


def test_from_solution_rejects_batches():
    class Batch:
        batch = 4

    with pytest.raises(DataError, match="batch of 4 trajectories"):
        Measurements.from_solution(Batch())


def test_scattered_points_to_grid_then_weak_form_discovery():
    # two decaying modes of the heat equation u_t = u_xx (one mode alone also fits u_t = -u)
    ts_, xs_ = sp.symbols("t x")
    rng = np.random.default_rng(3)
    T, X = rng.uniform(0, 1, 30000), rng.uniform(0, 2 * np.pi, 30000)
    field = np.exp(-T) * np.sin(X) + np.exp(-4 * T) * np.cos(2 * X)
    meas = Measurements({"u": field}, {ts_: T, xs_: X}, scattered=True)
    grid = meas.to_grid({ts_: 41, xs_: 81}, method="cubic")
    assert grid.gridded and grid.shape == (41, 81)
    from symnum.discover.weak import WeakSINDy

    found = WeakSINDy(derivative_order=2).fit(grid).equations_[0]
    terms = {k: float(v) for k, v in sp.expand(found.rhs).as_coefficients_dict().items()}
    u_ = sp.Function("u")(ts_, xs_)
    assert set(terms) == {u_.diff(xs_, 2)} and abs(terms[u_.diff(xs_, 2)] - 1) < 0.05, found


def test_to_grid_errors():
    t_, x_ = sp.symbols("t x")
    pts = np.linspace(0, 1, 10)
    scattered = Measurements({"u": pts}, {t_: pts, x_: pts[::-1].copy()}, scattered=True)
    with pytest.raises(DataError, match="every axis"):
        scattered.to_grid({t_: 5})
    with pytest.raises(DataError, match="'linear' or 'cubic'"):
        scattered.to_grid({t_: 5, x_: 5}, method="spline")
    gridded = Measurements({"u": np.zeros((4, 5))}, {t_: np.arange(4.0), x_: np.arange(5.0)})
    with pytest.raises(DataError, match="already gridded"):
        gridded.to_grid({t_: 5, x_: 5})
