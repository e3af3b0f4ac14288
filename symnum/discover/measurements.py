"""``Measurements``: sampled fields on a grid (or at scattered points), checked at construction.

Discovery methods read the data only through this class: the field values, the
coordinates of each array axis, which axis is time, and derivatives estimated
one axis at a time by :func:`symnum.discover.derivatives.differentiate`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from ..errors import DataError
from .derivatives import choose_method, differentiate, is_uniform

__all__ = ["Measurements"]


class Measurements:
    """Measured fields ``u(t, x, ...)`` with their coordinates.

    Parameters
    ----------
    fields : dict
        Name -> array. A name is a str, an undefined ``sp.Function`` class or an
        applied one ``u(t, x)``; fields are stored by name. Gridded arrays have one
        axis per coordinate, in the order of ``coords``.
    coords : dict
        Symbol -> 1-D increasing array, in the axis order of the field arrays. With
        ``scattered=True``: the coordinate of every point (same length as the fields).
    time : sympy.Symbol, optional
        The time coordinate; default the one named ``t``, else the first.
    scattered : bool
        Points are not on a grid: every array is 1-D and of the same length.
    periodic : iterable of Symbol
        Space axes that are periodic (the end point not repeated); derivatives along
        them wrap around.
    noise : float, optional
        Known relative noise level (recorded, as :meth:`with_noise` does).

    Attributes
    ----------
    names, t, space, axes, time_axis, coords, values, gridded, shape, is_ode,
    functions, applied, n_points, noise, periodic

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> t, x = sp.symbols("t x")
    >>> ts, xs = np.linspace(0, 1, 11), np.linspace(0, 2, 21)
    >>> U = np.exp(-ts)[:, None] * np.sin(xs)[None, :]
    >>> meas = Measurements({"u": U}, coords={t: ts, x: xs})
    >>> meas
    Measurements(u: (11, 21), t=t (axis 0), space=[x], gridded)
    >>> meas.applied["u"]
    u(t, x)
    >>> du = meas.derivative("u", t)
    >>> bool(np.abs(du + U).max() < 1e-4)
    True
    """

    def __init__(self, fields, coords, *, time=None, scattered=False, periodic=(), noise=None):
        if not isinstance(fields, dict) or not fields:
            raise DataError(f"fields must be a non-empty dict name -> array; got {type(fields).__name__}.")
        if not isinstance(coords, dict) or not coords:
            raise DataError("coords must be a non-empty dict Symbol -> 1-D array, e.g. {t: ts, x: xs}.")
        self.axes = [sp.Symbol(k) if isinstance(k, str) else k for k in coords]
        if not all(isinstance(a, sp.Symbol) for a in self.axes):
            raise DataError(f"coords keys must be SymPy Symbols; got {list(coords)}.")
        self.coords = {a: _array(v, f"coordinate {a}") for a, v in zip(self.axes, coords.values())}
        self.t = self._time(time)
        self.time_axis = self.axes.index(self.t)
        self.space = [a for a in self.axes if a != self.t]
        self.is_ode = not self.space
        self.gridded = not scattered
        self.noise = noise
        self.periodic = [sp.Symbol(p) if isinstance(p, str) else p for p in periodic]
        if set(self.periodic) - set(self.space):
            raise DataError(f"periodic axes {self.periodic} must be space axes of {self.space}.")
        self.functions, self.values = {}, {}
        for key, val in fields.items():
            fn = self._function(key)
            self.functions[str(fn)] = fn
            self.values[str(fn)] = _array(val, f"field {fn}")
        self.names = list(self.values)
        self.applied = {n: fn(self.t, *self.space) for n, fn in self.functions.items()}
        self._check()
        self.n_points = int(np.prod(self.shape))
        self._cache = {}

    # -- construction helpers ------------------------------------------------
    def _time(self, time):
        if time is not None:
            time = sp.Symbol(time) if isinstance(time, str) else time
            if time not in self.axes:
                raise DataError(f"time={time} is not one of the coordinates {self.axes}.")
            return time
        named = [a for a in self.axes if a.name == "t"]
        return named[0] if named else self.axes[0]

    def _function(self, key):
        if isinstance(key, str):
            return sp.Function(key)
        if isinstance(key, UndefinedFunction):
            return key
        if isinstance(key, AppliedUndef):
            if set(key.args) != set(self.axes):
                raise DataError(f"field {key} has arguments {key.args}; they must be the "
                                f"coordinates {tuple(self.axes)}.")
            return key.func
        raise DataError(f"a field key must be a name, a sp.Function or u(t, x); got {key!r} "
                        f"({type(key).__name__}).")

    def _check(self):
        if self.gridded:
            for a, c in self.coords.items():
                if c.ndim != 1 or np.any(np.diff(c) <= 0):
                    raise DataError(f"coordinate {a} must be 1-D and strictly increasing (sorted, "
                                    f"no repeated values; got shape {c.shape}); sort it and the "
                                    "field arrays with it.")
            self.shape = tuple(c.size for c in self.coords.values())
            for n, v in self.values.items():
                if v.shape != self.shape:
                    raise DataError(f"field {n} has shape {v.shape}; expected {self.shape} (one "
                                    f"axis per coordinate in the order {self.axes}).")
        else:
            lengths = {f"coordinate {a}": c.shape for a, c in self.coords.items()}
            lengths.update({f"field {n}": v.shape for n, v in self.values.items()})
            if len(set(lengths.values())) != 1 or len(next(iter(lengths.values()))) != 1:
                raise DataError(f"scattered measurements need 1-D arrays of one length; got {lengths}.")
            self.shape = next(iter(lengths.values()))
        nt = self.shape[self.time_axis] if self.gridded else self.shape[0]
        if nt < 3:
            raise DataError(f"the measurements have {nt} sample(s) in time {self.t}; at least 3 "
                            "are needed to estimate a time derivative.")

    @classmethod
    def from_solution(cls, sol, fields=None):
        """Measurements of the fields of an ``sn.solve`` ``Solution`` (all of them by default).

        Examples
        --------
        >>> import numpy as np, sympy as sp, symnum as sn
        >>> t = sp.Symbol("t"); y = sp.Function("y")
        >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0): 1}, tspan=(0, 1))
        >>> sol = sn.solve(sys, sn.Tsit5(), saveat=np.linspace(0, 1, 21), backend="numpy:vectorized")
        >>> meas = Measurements.from_solution(sol)
        >>> meas.shape, meas.is_ode
        ((21,), True)
        """
        if getattr(sol, "batch", None) is not None:
            raise DataError(f"the solution holds a batch of {sol.batch} trajectories; build one "
                            "Measurements per trajectory from sol.t and sol[name][b].")
        system = getattr(getattr(sol, "problem", None), "system", None)
        t = sp.Symbol("t") if getattr(system, "t", None) is None else system.t
        names = [str(f.func) if isinstance(f, AppliedUndef) else str(f) for f in fields or sol.names]
        if set(names) - set(sol.names):
            raise DataError(f"fields {sorted(set(names) - set(sol.names))} are not in the solution; "
                            f"its fields are {sol.names}.")
        funcs = getattr(sol.layout, "functions", {})
        data = {funcs.get(n, n): np.asarray(sol[n]) for n in names}
        coords = {t: np.asarray(sol.t), **{a: np.asarray(g) for a, g in sol.grid.items()}}
        periodic = [a for a, p in zip(getattr(system, "axes", []), getattr(system, "periodic", [])) if p]
        return cls(data, coords, time=t, periodic=periodic)

    # -- access ---------------------------------------------------------------
    def __getitem__(self, key):
        """Values of field ``key`` (name, function or applied function)."""
        return self.values[self._name(key)]

    def _name(self, key):
        name = str(key.func) if isinstance(key, AppliedUndef) else str(key)
        if name not in self.values:
            raise DataError(f"no field {key!r}; the fields are {self.names}.")
        return name

    def uniform(self, sym) -> bool:
        """Whether the samples along ``sym`` are equally spaced (relative tolerance 1e-6)."""
        return self.gridded and is_uniform(self.coords[self._axis_sym(sym)])

    def spacing(self, sym) -> float:
        """The grid step along ``sym``; raises :class:`DataError` if it is not uniform."""
        sym = self._axis_sym(sym)
        if not self.uniform(sym):
            raise DataError(f"axis {sym} is not uniformly spaced; it has no single spacing. "
                            "Use methods that accept non-uniform grids (derivative method 'fd' or 'spline').")
        c = self.coords[sym]
        return float((c[-1] - c[0]) / (c.size - 1))

    def _axis_sym(self, sym):
        for a in self.axes:
            if a == sym or a.name == str(sym):
                return a
        raise DataError(f"{sym} is not a coordinate of these measurements; they are {self.axes}.")

    def meshgrid(self):
        """Symbol -> coordinates broadcast to ``shape`` (``indexing="ij"``), or the point coordinates."""
        if not self.gridded:
            return dict(self.coords)
        grids = np.meshgrid(*self.coords.values(), indexing="ij")
        return dict(zip(self.axes, grids))

    def to_arrays(self):
        """``(X, Y)``: coordinates ``(n_points, 1 + len(space))`` in the order ``(t, *space)``
        and values ``(n_points, len(names))``, one row per sample."""
        mesh = self.meshgrid()
        X = np.stack([mesh[a].ravel() for a in (self.t, *self.space)], axis=1)
        Y = np.stack([self.values[n].ravel() for n in self.names], axis=1)
        return X, Y

    # -- derivatives ----------------------------------------------------------
    def derivative(self, name, wrt, method="auto", **options):
        """Derivative of field ``name``, same shape as the field; cached.

        ``wrt`` is a Symbol, a tuple of Symbols with repeats (``(x, x)`` is the
        second derivative) or a dict ``{x: 2}``. Each axis is differentiated in turn
        by :func:`~symnum.discover.derivatives.differentiate` with ``method`` and
        ``options``; periodic axes wrap unless ``periodic=`` is given. With
        ``method="auto"`` the method of each axis is chosen from the noise of the
        field itself (:func:`~symnum.discover.derivatives.choose_method`).
        """
        if not self.gridded:
            raise DataError("scattered measurements have no grid to differentiate on; use "
                            "a method that works on points (method='pinn') or grid them "
                            "with meas.to_grid({t: nt, x: nx}).")
        name = self._name(name)
        counts = self._counts(wrt)
        try:
            key = (name, counts, method, tuple(sorted(options.items())))
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in self._cache:
            return self._cache[key].copy()
        out = self.values[name]
        for sym, k in counts:
            opts, axis = dict(options), self.axes.index(sym)
            opts.setdefault("periodic", sym in self.periodic)
            how = method
            if method == "auto":  # decided on the raw field, not on a derivative of it
                how, extra = choose_method(self.values[name], self.coords[sym], axis)
                opts = {**extra, **opts}
            out = differentiate(out, self.coords[sym], order=k, axis=axis, method=how, **opts)
        if key is not None:
            self._cache[key] = out
        return out.copy()

    def _counts(self, wrt):
        if isinstance(wrt, dict):
            items = [(self._axis_sym(s), k) for s, k in wrt.items()]
        else:
            syms = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
            items = [(self._axis_sym(s), 1) for s in syms]
        counts = {}
        for s, k in items:
            if not (isinstance(k, (int, np.integer)) and k >= 0):
                raise DataError(f"derivative order for {s} must be a non-negative integer; got {k!r}.")
            counts[s] = counts.get(s, 0) + int(k)
        return tuple((a, counts[a]) for a in self.axes if counts.get(a))

    # -- new measurements -----------------------------------------------------
    def _replace(self, values=None, index=None, noise=None):
        """A copy with new values, or with the samples ``index`` kept (time axis or points)."""
        values = dict(self.values if values is None else values)
        coords = dict(self.coords)
        if index is not None:
            ax = self.time_axis if self.gridded else 0
            values = {n: np.take(v, index, axis=ax) for n, v in values.items()}
            if self.gridded:
                coords[self.t] = coords[self.t][index]
            else:
                coords = {a: c[index] for a, c in coords.items()}
        return Measurements({self.functions[n]: v for n, v in values.items()}, coords,
                            time=self.t, scattered=not self.gridded, periodic=self.periodic,
                            noise=self.noise if noise is None else noise)

    def with_noise(self, level, seed=0):
        """A copy with Gaussian noise of std ``level * RMS(field)`` added to each field.

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> t = sp.Symbol("t"); ts = np.linspace(0, 1, 1000)
        >>> noisy = Measurements({"y": np.ones(1000)}, {t: ts}).with_noise(0.1, seed=1)
        >>> round(float(np.std(noisy["y"])), 1), noisy.noise
        (0.1, 0.1)
        """
        if not (np.isscalar(level) and np.isfinite(level) and level >= 0):
            raise DataError(f"level must be a non-negative number (0.01 = 1 %); got {level!r}.")
        rng = np.random.default_rng(seed)
        new = {n: v + rng.normal(0.0, level * np.sqrt(np.mean(v**2)), v.shape)
               for n, v in self.values.items()}
        total = level if not self.noise else float(np.hypot(self.noise, level))
        return self._replace(values=new, noise=total)

    def subsample(self, fraction, seed=0):
        """Keep a random, sorted ``fraction`` of the time samples (first and last always kept).

        Gridded data keep whole snapshots; scattered data keep a fraction of the points.
        """
        n = self.shape[self.time_axis] if self.gridded else self.shape[0]
        if not (np.isscalar(fraction) and 0 < fraction <= 1):
            raise DataError(f"fraction must be in (0, 1]; got {fraction!r}.")
        k = max(3, int(round(fraction * n)))
        rng = np.random.default_rng(seed)
        if self.gridded:
            inner = rng.choice(np.arange(1, n - 1), size=min(k, n) - 2, replace=False)
            index = np.sort(np.concatenate([[0, n - 1], inner]))
        else:
            index = np.sort(rng.choice(n, size=min(k, n), replace=False))
        return self._replace(index=index)

    def split(self, fraction=0.8):
        """``(train, held)`` along time: train has ``t <= t0 + fraction * (t1 - t0)``,
        held the rest, on a grid plus the last train time (so a solve can start there)."""
        if not (np.isscalar(fraction) and 0 < fraction < 1):
            raise DataError(f"fraction must be in (0, 1); got {fraction!r}.")
        tt = self.coords[self.t]
        span = tt.max() - tt.min()
        cut = tt.min() + fraction * span + 1e-12 * span  # 0.8 of [0, 1] keeps t = 0.8
        train = np.flatnonzero(tt <= cut)
        held = np.flatnonzero(tt >= tt[train].max()) if self.gridded else np.flatnonzero(tt > cut)
        for part, idx in (("train", train), ("held", held)):
            if idx.size < 3:
                raise DataError(f"split(fraction={fraction}) leaves {idx.size} time sample(s) in the "
                                f"{part} part; at least 3 are needed. Choose another fraction.")
        return self._replace(index=train), self._replace(index=held)

    def to_grid(self, points, method="linear"):
        """Interpolate scattered measurements onto a regular grid.

        ``points``: ``{axis: n}`` (``n`` evenly spaced nodes over the data's
        range) or ``{axis: coordinates}``, for every axis. ``method``: ``"linear"``
        or ``"cubic"`` (:func:`scipy.interpolate.griddata`); nodes outside the
        convex hull of the points take the nearest measurement. The grid should
        not be finer than the points support, or the methods see interpolation
        artefacts as dynamics.

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> t, x = sp.symbols("t x"); rng = np.random.default_rng(0)
        >>> T, X = rng.uniform(0, 1, 4000), rng.uniform(0, 1, 4000)
        >>> scattered = Measurements({"u": T + 2 * X}, {t: T, x: X}, scattered=True)
        >>> grid = scattered.to_grid({t: 11, x: 21})
        >>> exact = grid.meshgrid()[t] + 2 * grid.meshgrid()[x]
        >>> grid.shape, bool(np.abs(grid["u"] - exact)[1:-1, 1:-1].max() < 1e-9)
        ((11, 21), True)
        """
        from scipy.interpolate import griddata

        if self.gridded:
            raise DataError("to_grid() is for scattered measurements; these are already gridded.")
        if method not in ("linear", "cubic"):
            raise DataError(f"method must be 'linear' or 'cubic'; got {method!r}.")
        if not isinstance(points, dict) or set(map(self._axis_sym, points)) != set(self.axes):
            raise DataError(f"points must give every axis {self.axes} as {{axis: n or "
                            f"coordinates}}; got {points!r}.")
        points = {self._axis_sym(a): v for a, v in points.items()}
        nodes = {}
        for ax in self.axes:
            spec, c = points[ax], self.coords[ax]
            nodes[ax] = (np.linspace(c.min(), c.max(), int(spec)) if np.isscalar(spec)
                         else np.asarray(spec, dtype=float))
        mesh = np.meshgrid(*(nodes[a] for a in self.axes), indexing="ij")
        where = np.stack([m.ravel() for m in mesh], axis=1)
        known = np.stack([self.coords[a] for a in self.axes], axis=1)
        values = {}
        for name, v in self.values.items():
            if len(self.axes) == 1:
                order = np.argsort(known[:, 0])
                grid = np.interp(where[:, 0], known[order, 0], v[order])
            else:
                grid = griddata(known, v, where, method=method)
                gaps = ~np.isfinite(grid)
                if gaps.any():
                    grid[gaps] = griddata(known, v, where[gaps], method="nearest")
            values[self.functions[name]] = grid.reshape(mesh[0].shape)
        return Measurements(values, nodes, time=self.t, periodic=self.periodic, noise=self.noise)

    def __repr__(self):
        fields = ", ".join(f"{n}: {v.shape}" for n, v in self.values.items())
        space = f"[{', '.join(map(str, self.space))}]"
        kind = "gridded" if self.gridded else "scattered"
        return f"Measurements({fields}, t={self.t} (axis {self.time_axis}), space={space}, {kind})"


def _array(value, what):
    a = np.asarray(value)
    if np.iscomplexobj(a):
        if np.any(a.imag != 0):
            raise DataError(f"{what} is complex; pass real values (e.g. its .real part).")
        a = a.real
    try:
        a = np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be a numeric array; got {type(value).__name__}.") from None
    bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
    if bad:
        raise DataError(f"{what} has {bad} NaN/inf value(s) out of {a.size}; remove or "
                        "interpolate them before building Measurements.")
    return a
