"""Saving and loading solutions: NumPy ``.npz`` and netCDF ``.nc`` (through xarray).

Both formats hold the saved times ``t``, every field on its grid, the grid
coordinates by axis name, the solver counters (``stats``, as a JSON string) and
the return code's name (``result``). netCDF needs the ``io`` extra:
``pip install "symnum[io]"`` (xarray with h5netcdf and h5py; netCDF4 works too).

Examples
--------
>>> sorted(FORMATS)
['.nc', '.npz']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SymnumError

__all__ = ["save_solution", "load_solution", "SolutionIOError", "FORMATS"]

FORMATS = {".npz": "NumPy archive (numpy.savez_compressed)", ".nc": "netCDF through xarray"}
_META = ("t", "stats", "result", "fields", "axes")


class SolutionIOError(SymnumError, ValueError):
    """A solution cannot be written or read in the requested format."""


def save_solution(sol, path: str | Path, *, engine: str | None = None) -> Path:
    """Write ``sol`` to ``path``; the extension picks the format (``.npz`` or ``.nc``).

    Parameters
    ----------
    sol : Solution
        The result of :func:`symnum.solve`.
    path : str or Path
        Target file; parent folders are created.
    engine : {"h5netcdf", "netcdf4"}, optional
        netCDF engine; default: whichever is installed, h5netcdf first.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import sympy as sp, symnum as sn, tempfile, os
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> sol = sn.solve(sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0): 1},
    ...                             tspan=(0, 1)), sn.Tsit5())
    >>> with tempfile.TemporaryDirectory() as d:
    ...     data = load_solution(save_solution(sol, os.path.join(d, "decay.npz")))
    >>> bool(np.allclose(data["y"], sol["y"])), data["result"]
    (True, 'success')
    """
    path = Path(path)
    ext = _extension(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".npz":
        _save_npz(sol, path)
    else:
        ds = to_dataset(sol)
        ds.to_netcdf(path, engine=_engine(engine))
    return path


def load_solution(path: str | Path, *, engine: str | None = None):
    """Read a file written by :func:`save_solution`.

    Returns
    -------
    dict or xarray.Dataset
        For ``.npz`` a dict with ``"t"``, each field, each axis' coordinates,
        ``"stats"`` (a dict), ``"result"`` (the return code's name), ``"fields"``
        and ``"axes"`` (names in order). For ``.nc`` an ``xarray.Dataset`` loaded
        into memory, with ``attrs["stats"]`` a JSON string (``json.loads`` it) and
        ``attrs["result"]``.
    """
    path = Path(path)
    ext = _extension(path)
    if not path.exists():
        raise SolutionIOError(f"no file {str(path)!r} to load; check the path.")
    if ext == ".npz":
        with np.load(path, allow_pickle=False) as z:
            out: dict[str, Any] = {k: z[k] for k in z.files}
        out["stats"] = json.loads(str(out["stats"]))
        out["result"] = str(out["result"])
        out["fields"] = [str(s) for s in out["fields"]]
        out["axes"] = [str(s) for s in out["axes"]]
        return out
    xr = _xarray()
    with xr.open_dataset(path, engine=_engine(engine)) as ds:
        return ds.load()


def to_dataset(sol):
    """The solution as an ``xarray.Dataset``: dims ``("t", *axis names)``, coords, attrs.

    Raises :class:`SolutionIOError` naming the ``io`` extra when xarray is missing.
    """
    xr = _xarray()
    axes = _axes(sol)
    coords = {"t": np.asarray(sol.t, dtype=float)}
    coords.update({a: np.asarray(c) for a, c in axes})
    dims = ("t", *(a for a, _ in axes))
    data_vars = {}
    for name in sol.names:
        if name in coords:
            raise SolutionIOError(f"field {name!r} has the name of a coordinate "
                                  f"({list(coords)}); rename the field to save it as netCDF.")
        arr = np.asarray(sol[name])
        d = dims[: arr.ndim]
        if arr.shape != tuple(len(coords[k]) for k in d):
            raise SolutionIOError(f"field {name!r} has shape {arr.shape}, which does not match "
                                  f"the grid {[(k, len(coords[k])) for k in d]}; cannot save it.")
        data_vars[name] = (d, arr)
    attrs = {"stats": _stats_json(sol.stats), "result": sol.result.name,
             "result_message": str(sol.result.value), "fields": ",".join(sol.names),
             "creator": "symnum"}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


# -- helpers -----------------------------------------------------------------------------
def _extension(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        valid = ", ".join(f"{k} ({v})" for k, v in FORMATS.items())
        raise SolutionIOError(f"unknown file extension {path.suffix!r} in {str(path)!r}; "
                              f"valid extensions: {valid}. Rename the file, e.g. "
                              f"{path.with_suffix('.npz').name!r}.")
    return ext


def _axes(sol) -> list[tuple[str, np.ndarray]]:
    return [(str(sym), np.asarray(c)) for sym, c in sol.grid.items()]


def _save_npz(sol, path: Path) -> None:
    axes = _axes(sol)
    names = list(sol.names)
    keys = [*names, *(a for a, _ in axes)]
    clash = sorted({k for k in keys if k in _META or keys.count(k) > 1})
    if clash:
        raise SolutionIOError(f"the names {clash} are used twice (fields {names}, axes "
                              f"{[a for a, _ in axes]}, reserved {list(_META)}); save "
                              "as '.nc' instead, where fields and coordinates are apart.")
    arrays = {"t": np.asarray(sol.t)}
    arrays.update({n: np.asarray(sol[n]) for n in names})
    arrays.update({a: c for a, c in axes})
    arrays["stats"] = np.array(_stats_json(sol.stats))
    arrays["result"] = np.array(sol.result.name)
    arrays["fields"] = np.array(names, dtype=str)
    arrays["axes"] = np.array([a for a, _ in axes], dtype=str)
    # np.savez appends '.npz' to names without it; the extension check guarantees it here
    np.savez_compressed(path, **arrays)


def _stats_json(stats: dict) -> str:
    def default(v):
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            return v.tolist()
        return str(v)

    return json.dumps({str(k): v for k, v in stats.items()}, default=default, sort_keys=True)


def _xarray():
    try:
        import xarray as xr
    except ImportError as exc:
        raise SolutionIOError(
            "netCDF files need xarray, which is not installed; install the io extra: "
            'pip install "symnum[io]" (or save to a .npz file instead).'
        ) from exc
    return xr


def _engine(engine: str | None) -> str:
    import importlib.util

    # h5netcdf reads and writes through h5py, which it does not always pull in
    known = {"h5netcdf": ("h5netcdf", "h5py"), "netcdf4": ("netCDF4",)}

    def usable(name):
        return all(importlib.util.find_spec(m) is not None for m in known[name])

    if engine is not None:
        if engine not in known:
            raise SolutionIOError(f"unknown netCDF engine {engine!r}; valid: {sorted(known)}.")
        if not usable(engine):
            raise SolutionIOError(f"the netCDF engine {engine!r} needs {list(known[engine])}, "
                                  'not all installed; pip install "symnum[io]" or pass '
                                  "another `engine=`.")
        return engine
    for name in known:
        if usable(name):
            return name
    raise SolutionIOError("writing netCDF needs h5netcdf (with h5py) or netCDF4 and neither is "
                          'installed; pip install "symnum[io]" (or save to a .npz file instead).')
