"""Saving (npz, netCDF) and plotting solutions: hand-made layouts and a real solve."""

import json
import sys

import matplotlib
import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.solvers.io import SolutionIOError, load_solution, save_solution
from symnum.solvers.plotting import PlotError, plot_solution
from symnum.solvers.results import ReturnCode
from symnum.solvers.solution import Solution

matplotlib.use("Agg")
PNG = b"\x89PNG\r\n\x1a\n"


class GridLayout:
    """A minimal StateLayout: every field a C-ordered block on one tensor grid."""

    def __init__(self, names, grid):
        self.names = list(names)
        self.functions = {n: sp.Function(n) for n in self.names}
        self.grid = dict(grid)
        self.shape = tuple(len(c) for c in self.grid.values())

    def unpack(self, t, Y):
        Y = np.asarray(Y)
        size = int(np.prod(self.shape)) if self.shape else 1
        return {n: Y[:, k * size:(k + 1) * size].reshape(len(t), *self.shape)
                for k, n in enumerate(self.names)}


def make_solution(names=("u",), axes=("x",), sizes=(16,), nt=6):
    syms = sp.symbols(" ".join(axes), seq=True) if axes else ()
    grid = {s: np.linspace(0, 1, n) for s, n in zip(syms, sizes)}
    layout = GridLayout(names, grid)
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, nt)
    ys = rng.standard_normal((nt, len(names) * int(np.prod(sizes or (1,)))))
    stats = {"steps": np.int64(12), "accepted": 10, "rejected": 2, "nfev": 73, "njev": 0,
             "message": "ok"}
    return Solution(t, ys, layout, stats, ReturnCode.success)


CASES = {"ode": dict(names=("a", "b", "c"), axes=(), sizes=()),
         "1d": dict(names=("u",), axes=("x",), sizes=(16,)),
         "2d": dict(names=("u", "v"), axes=("x", "y"), sizes=(8, 5)),
         "3d": dict(names=("w",), axes=("x", "y", "z"), sizes=(4, 5, 6))}


@pytest.mark.parametrize("case", CASES)
def test_npz_round_trip(case, tmp_path):
    sol = make_solution(**CASES[case])
    path = save_solution(sol, tmp_path / "sub" / "sol.npz")
    data = load_solution(path)
    np.testing.assert_array_equal(data["t"], sol.t)
    for name in sol.names:
        np.testing.assert_array_equal(data[name], sol[name])
    for sym, coords in sol.grid.items():
        np.testing.assert_array_equal(data[str(sym)], coords)
    assert data["fields"] == sol.names and data["axes"] == [str(s) for s in sol.grid]
    assert data["stats"] == {"steps": 12, "accepted": 10, "rejected": 2, "nfev": 73,
                             "njev": 0, "message": "ok"}
    assert data["result"] == "success"


@pytest.mark.parametrize("case", CASES)
def test_netcdf_round_trip(case, tmp_path):
    pytest.importorskip("xarray")
    sol = make_solution(**CASES[case])
    ds = load_solution(save_solution(sol, tmp_path / "sol.nc"))
    axes = tuple(str(s) for s in sol.grid)
    for name in sol.names:
        assert ds[name].dims == ("t", *axes)
        np.testing.assert_allclose(ds[name].values, sol[name])
    np.testing.assert_allclose(ds["t"].values, sol.t)
    for sym, coords in sol.grid.items():
        np.testing.assert_allclose(ds[str(sym)].values, coords)
    assert json.loads(ds.attrs["stats"])["nfev"] == 73
    assert ds.attrs["result"] == "success"


def test_solution_save_method(tmp_path):
    sol = make_solution()
    sol.save(tmp_path / "a.npz")
    assert load_solution(tmp_path / "a.npz")["u"].shape == (6, 16)


def test_unknown_extension_names_valid_ones(tmp_path):
    with pytest.raises(SolutionIOError, match=r"unknown file extension '\.csv'.*\.npz.*\.nc"):
        save_solution(make_solution(), tmp_path / "sol.csv")
    with pytest.raises(SolutionIOError, match="valid extensions"):
        load_solution(tmp_path / "sol.h5")


def test_missing_file(tmp_path):
    with pytest.raises(SolutionIOError, match="no file"):
        load_solution(tmp_path / "absent.npz")


def test_npz_name_clash(tmp_path):
    sol = make_solution(names=("t",), axes=("x",), sizes=(4,))
    with pytest.raises(SolutionIOError, match=r"names \['t'\] are used twice"):
        save_solution(sol, tmp_path / "clash.npz")


def test_netcdf_without_xarray_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)  # makes `import xarray` fail
    with pytest.raises(SolutionIOError, match=r'pip install "symnum\[io\]"'):
        save_solution(make_solution(), tmp_path / "sol.nc")


def test_unknown_netcdf_engine(tmp_path):
    pytest.importorskip("xarray")
    with pytest.raises(SolutionIOError, match=r"unknown netCDF engine 'zarr'; valid"):
        save_solution(make_solution(), tmp_path / "sol.nc", engine="zarr")


# -- plotting ----------------------------------------------------------------------------
def test_plot_ode_panels(tmp_path):
    sol = make_solution(**CASES["ode"])
    fig = plot_solution(sol, path=tmp_path / "figs" / "ode.png")
    assert len(fig.axes) == 3 and [a.get_ylabel() for a in fig.axes] == ["a", "b", "c"]
    assert (tmp_path / "figs" / "ode.png").read_bytes()[:8] == PNG
    fig = plot_solution(sol, fields=["b"], logt=True)
    assert len(fig.axes) == 1 and fig.axes[0].get_xscale() == "log"


def test_plot_1d_space_time_and_snapshots():
    sol = make_solution(**CASES["1d"])
    fig = sol.plot()
    image, colorbar, snaps = fig.axes
    assert image.get_xlabel() == "x" and image.get_ylabel() == "t"
    assert len(snaps.get_lines()) == 5  # five snapshot times by default
    np.testing.assert_allclose(snaps.get_lines()[0].get_xdata(), sol.grid["x"])


def test_plot_1d_interpolated_times():
    sol = make_solution(**CASES["1d"])
    fig = sol.plot(times=[0.1, 0.5])
    snap = fig.axes[-1].get_lines()
    expected = sol(0.1)["u"]
    np.testing.assert_allclose(snap[0].get_ydata(), expected)


def test_plot_2d_extents():
    sol = make_solution(**CASES["2d"])
    fig = sol.plot(fields=["v"], times=[0, 1])
    images = [a for a in fig.axes if a.images]
    assert len(images) == 2
    left, right, bottom, top = images[0].images[0].get_extent()
    dx, dy = 1 / 7, 1 / 4
    np.testing.assert_allclose([left, right, bottom, top],
                               [-dx / 2, 1 + dx / 2, -dy / 2, 1 + dy / 2])
    np.testing.assert_allclose(images[1].images[0].get_array(), sol["v"][-1].T)


def test_plot_3d_middle_slice():
    sol = make_solution(**CASES["3d"])
    fig = sol.plot(times=[1.0])
    (ax,) = [a for a in fig.axes if a.images]
    np.testing.assert_allclose(ax.images[0].get_array(), sol["w"][-1][:, :, 3].T)
    assert "z = " in ax.get_title()


def test_plot_bad_field_and_times():
    sol = make_solution(**CASES["1d"])
    with pytest.raises(PlotError, match=r"no field 'q'.*\['u'\]"):
        sol.plot(fields=["q"])
    with pytest.raises(PlotError, match="empty"):
        sol.plot(times=[])


# -- a real solve ------------------------------------------------------------------------
def heat_solution():
    t, x = sp.symbols("t x")
    u = sp.Function("u")
    heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
                        domain={t: (0, 0.1), x: (0, 1)},
                        initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                        boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    prob = sn.discretize(heat, sn.FiniteDifference({x: 17}, order=2))
    return sn.solve(prob, sn.CVODE(), rtol=1e-8, atol=1e-10, saveat=np.linspace(0, 0.1, 4))


def test_real_solution_round_trips(tmp_path):
    sol = heat_solution()
    assert sol["u"].shape == (4, 17)
    data = load_solution(sol.save(tmp_path / "heat.npz"))
    np.testing.assert_array_equal(data["u"], sol["u"])
    np.testing.assert_array_equal(data["x"], sol.grid["x"])
    assert data["stats"]["nfev"] == sol.stats["nfev"] and data["result"] == sol.result.name
    pytest.importorskip("xarray")
    ds = load_solution(sol.save(tmp_path / "heat.nc"))
    assert ds["u"].dims == ("t", "x")
    np.testing.assert_allclose(ds["u"].values, sol["u"])
    np.testing.assert_allclose(ds["u"].sel(x=0.5).values, sol["u"][:, 8])
    fig = sol.plot(path=tmp_path / "heat.png")
    assert (tmp_path / "heat.png").read_bytes()[:8] == PNG and len(fig.axes) == 3
