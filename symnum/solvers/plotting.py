"""Quick-look figures of a :class:`~symnum.solvers.solution.Solution`.

:func:`plot_solution` (also ``sol.plot()``) picks the figure from the shape of
the fields: time series for an ODE system, a space-time image plus snapshots
for one space dimension, image snapshots for two, and middle slices for three.
matplotlib is imported only when a figure is drawn; without a display it
falls back to the Agg backend, so this works on headless machines.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.plotting import snapshot_indices
>>> snapshot_indices(np.linspace(0.0, 1.0, 11), None, count=3)
[0, 5, 10]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import SymnumError

__all__ = ["plot_solution", "snapshot_indices", "PlotError"]


class PlotError(SymnumError, ValueError):
    """A plot was asked for fields or times that the solution does not have."""


def plot_solution(sol, fields: Sequence[Any] | None = None, times: Sequence[float] | None = None,
                  path: str | Path | None = None, *, logt: bool = False, dpi: int = 100):
    """Draw a solution and return the matplotlib ``Figure``.

    Parameters
    ----------
    sol : Solution
        The result of :func:`symnum.solve`.
    fields : sequence of str or SymPy functions, optional
        Fields to draw (default: all, in state order).
    times : sequence of float, optional
        Snapshot times for PDE fields (default: up to five saved times spread
        over the run). Times between saved ones are interpolated with ``sol(t)``.
    path : str or Path, optional
        Also save the figure as PNG here (parent folders are created).
    logt : bool
        Logarithmic time axis for ODE time series (stiff kinetics such as Robertson).
    dpi : int
        Resolution of the saved PNG.

    Returns
    -------
    matplotlib.figure.Figure
        One row per field: ODE fields share one column of time series; a 1D
        field gets a space-time image (x horizontal, t vertical, colorbar) and
        a panel of snapshots; a 2D field one image per snapshot time with the
        grid's extents; a 3D field the same on the middle slice of its last axis.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> sol = sn.solve(sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0): 1},
    ...                             tspan=(0, 1)), sn.Tsit5())
    >>> fig = sol.plot()
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt  # picks Agg by itself when there is no display

    names = _select_fields(sol, fields)
    if len(sol.t) == 0:
        raise PlotError("the solution holds no saved times; nothing to plot. "
                        "Check sol.result and the `saveat` argument of sn.solve.")
    dims = {n: np.ndim(sol[n]) - 1 for n in names}
    if len(set(d == 0 for d in dims.values())) > 1:
        raise PlotError(f"cannot plot fields of different kinds together ({dims}); pass "
                        "`fields=` with only ODE fields or only grid fields.")
    if all(d == 0 for d in dims.values()):
        fig = _plot_ode(plt, sol, names, logt)
    else:
        idx, tvals = _snapshot_times(sol, times)
        ncols = 2 if max(dims.values()) == 1 else len(tvals)
        fig = plt.figure(figsize=(max(8.0, 3.2 * ncols), 3.4 * len(names)), layout="constrained")
        grid = fig.add_gridspec(len(names), ncols)
        for row, name in enumerate(names):
            frames = _frames(sol, name, idx, tvals)
            if dims[name] == 1:
                _plot_1d(fig, grid, row, sol, name, frames, tvals)
            elif dims[name] in (2, 3):
                _plot_nd(fig, grid, row, sol, name, frames, tvals, ncols)
            else:
                raise PlotError(f"field {name!r} has {dims[name]} space dimensions; plotting "
                                "supports 0 to 3.")
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def snapshot_indices(t: np.ndarray, times: Sequence[float] | None, count: int = 5) -> list[int]:
    """Indices of saved times to draw: ``count`` spread evenly, or the nearest to ``times``.

    Examples
    --------
    >>> snapshot_indices(np.array([0.0, 0.4, 1.0]), [0.5, 1.0])
    [1, 2]
    """
    t = np.asarray(t, dtype=float)
    if times is None:
        k = min(count, len(t))
        return sorted({int(round(i)) for i in np.linspace(0, len(t) - 1, k)})
    return [int(np.argmin(np.abs(t - float(s)))) for s in times]


# -- helpers -----------------------------------------------------------------------------
def _select_fields(sol, fields) -> list[str]:
    if fields is None:
        return list(sol.names)
    if isinstance(fields, (str, bytes)) or not isinstance(fields, Sequence):
        fields = [fields]
    out = []
    for f in fields:
        if f not in sol:
            raise PlotError(f"no field {f!r} in this solution; pass `fields=` with names "
                            f"from {list(sol.names)}.")
        out.append(sol._name(f))
    return out


def _snapshot_times(sol, times):
    """Saved indices (or None where ``sol(t)`` must interpolate) and the times drawn."""
    if times is None:
        idx = snapshot_indices(sol.t, None)
        return idx, [float(sol.t[i]) for i in idx]
    tvals = [float(s) for s in np.atleast_1d(np.asarray(times, dtype=float))]
    if not tvals:
        raise PlotError("`times=` is empty; pass at least one time inside "
                        f"[{sol.t[0]:g}, {sol.t[-1]:g}].")
    idx = []
    for s in tvals:
        k = int(np.argmin(np.abs(sol.t - s)))
        idx.append(k if np.isclose(sol.t[k], s, rtol=1e-12, atol=1e-12) else None)
    return idx, tvals


def _frames(sol, name, idx, tvals) -> list[np.ndarray]:
    data = sol[name]
    out = []
    for k, s in zip(idx, tvals):
        if k is not None:
            out.append(np.asarray(data[k]))
        else:
            try:
                out.append(np.asarray(sol(s)[name]))
            except SymnumError as exc:
                raise PlotError(f"cannot draw {name} at t={s:g}: {exc}") from exc
    return out


def _coords(sol, name, shape) -> list[tuple[str, np.ndarray]]:
    """(axis name, coordinates) for each array axis; index numbers if the grid disagrees."""
    axes = [(str(s), np.asarray(c, dtype=float)) for s, c in sol.grid.items()]
    if len(axes) == len(shape) and all(len(c) == n for (_, c), n in zip(axes, shape)):
        return axes
    return [(f"index {d}", np.arange(n, dtype=float)) for d, n in enumerate(shape)]


def _edges(c: np.ndarray) -> tuple[float, float]:
    """Outer edges of cells centred on uniform coordinates ``c``."""
    if len(c) < 2:
        return float(c[0]) - 0.5, float(c[0]) + 0.5
    h = (c[-1] - c[0]) / (len(c) - 1)
    return float(c[0] - h / 2), float(c[-1] + h / 2)


def _plot_ode(plt, sol, names, logt):
    n = len(names)
    one = n > 4          # many fields: overlay them, else one panel each (scales differ)
    rows = 1 if one else n
    fig = plt.figure(figsize=(8.0, 1.0 + (3.0 if one else 2.0 * n)), layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    t = np.asarray(sol.t, dtype=float)
    tt = t if not logt else np.where(t > 0, t, np.nan)
    for k, name in enumerate(names):
        ax = axes[0 if one else k]
        ax.plot(tt, sol[name], label=name, lw=1.2, marker="." if len(t) < 30 else None)
        ax.set_ylabel(name if not one else "value")
        ax.grid(alpha=0.3)
        if logt:
            ax.set_xscale("log")
    if one:
        axes[0].legend(loc="best", fontsize="small")
    axes[-1].set_xlabel("t")
    fig.suptitle(f"{', '.join(names)} against t")
    return fig


def _plot_1d(fig, grid, row, sol, name, frames, tvals):
    (xname, x), = _coords(sol, name, np.shape(sol[name])[1:])
    data = np.asarray(sol[name], dtype=float)
    ax = fig.add_subplot(grid[row, 0])
    mesh = ax.pcolormesh(x, np.asarray(sol.t, dtype=float), data, shading="auto",
                         cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=name)
    ax.set_xlabel(xname)
    ax.set_ylabel("t")
    ax.set_title(f"{name}({xname}, t)")
    ax2 = fig.add_subplot(grid[row, 1])
    colors = _cycle(len(frames))
    for f, s, c in zip(frames, tvals, colors):
        ax2.plot(x, f, color=c, lw=1.2, label=f"t = {s:.3g}")
    ax2.set_xlabel(xname)
    ax2.set_ylabel(name)
    ax2.set_title(f"{name} at {len(frames)} times")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="best", fontsize="small")


def _plot_nd(fig, grid, row, sol, name, frames, tvals, ncols):
    shape = np.shape(sol[name])[1:]
    axes = _coords(sol, name, shape)
    title_extra = ""
    if len(shape) == 3:
        mid = shape[2] // 2
        frames = [f[:, :, mid] for f in frames]
        title_extra = f", {axes[2][0]} = {axes[2][1][mid]:.3g}"
        axes = axes[:2]
    (xn, x), (yn, y) = axes
    finite = [f[np.isfinite(f)] for f in frames]
    vmin = min((float(f.min()) for f in finite if f.size), default=0.0)
    vmax = max((float(f.max()) for f in finite if f.size), default=1.0)
    im = None
    for col, (f, s) in enumerate(zip(frames, tvals)):
        ax = fig.add_subplot(grid[row, col])
        # arrays are indexed (x, y); imshow wants rows = y, so transpose, origin at the bottom
        im = ax.imshow(np.asarray(f, dtype=float).T, origin="lower",
                       extent=(*_edges(x), *_edges(y)), vmin=vmin, vmax=vmax,
                       cmap="viridis", aspect=_aspect(x, y), interpolation="nearest")
        ax.set_title(f"{name}, t = {s:.3g}{title_extra}", fontsize="medium")
        ax.set_xlabel(xn)
        if col == 0:
            ax.set_ylabel(yn)
    if im is not None:
        fig.colorbar(im, ax=fig.axes[-len(frames):], label=name, shrink=0.9)


def _cycle(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["plasma"]
    return [cmap(0.85 * k / max(n - 1, 1)) for k in range(n)]


def _aspect(x: np.ndarray, y: np.ndarray) -> str:
    """True proportions unless the domain is very elongated."""
    wx, wy = float(np.ptp(x)) or 1.0, float(np.ptp(y)) or 1.0
    return "equal" if 0.25 <= wx / wy <= 4 else "auto"
