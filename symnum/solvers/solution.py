"""The one result type of :func:`symnum.solve`.

Examples
--------
>>> import sympy as sp, symnum as sn
>>> t = sp.Symbol("t"); y = sp.Function("y")
>>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0): 1}, tspan=(0, 1))
>>> sol = sn.solve(sys, sn.Tsit5(), rtol=1e-8, atol=1e-10)
>>> round(float(sol["y"][-1]), 6)
0.367879
>>> sol.result.ok
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .results import ReturnCode

__all__ = ["Solution"]


class Solution:
    """Fields on the grid at the saved times, with stats, a return code and interpolation.

    Attributes
    ----------
    t : numpy.ndarray
        Saved times, shape ``(nt,)``.
    grid : dict
        Space symbol -> coordinates of the matching array axis (also by name,
        ``sol.grid["x"]``). Empty for ODE systems.
    stats : dict
        Counters: ``steps``, ``accepted``, ``rejected``, ``nfev``, ``njev`` and
        algorithm-specific entries.
    result : ReturnCode
        Outcome; ``result.value`` is a message that says what to try.
    y : numpy.ndarray
        The raw flat states, shape ``(nt, n)`` (``(B, nt, n)`` for a batch).
    ys : array
        The states as the backend made them: the NumPy ``y``, or on
        ``backend="torch"`` the torch tensor (device, dtype and autograd graph kept).
    batch : int or None
        Number of trajectories of an ensemble solve (``y0`` or ``p`` with a
        batch axis), else None. Then ``sol["u"]`` has shape ``(B, nt, *grid)``,
        ``sol(t)`` gives ``(B, ...)`` arrays and ``results`` lists each
        trajectory's return code; ``result`` is the first failure, or success.
        With ``steps="independent"`` the counters in ``stats`` are arrays of
        shape ``(B,)``.
    results : list of ReturnCode or None
        One return code per trajectory (batches only).
    """

    def __init__(self, ts, ys, layout, stats: dict, result: ReturnCode,
                 interpolant=None, algorithm: Any = None, problem: Any = None, *,
                 raw: Any = None, unpack=None, results=None):
        self.t = np.asarray(ts)
        self.y = np.asarray(ys)
        self.ys = self.y if raw is None else raw
        self.batch = self.y.shape[0] if self.y.ndim == 3 else None
        self.results = results
        self.layout = layout
        self.stats = dict(stats)
        self.result = result
        self.algorithm = algorithm
        self.problem = problem
        self._interpolant = interpolant
        self._unpack = layout.unpack if unpack is None else unpack
        self._fields = self._unpack(self.t, self.y)
        self.grid = _GridView(layout.grid)

    # -- field access ---------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Field names in state order."""
        return list(self.layout.names)

    def __getitem__(self, key) -> np.ndarray:
        """``sol["u"]`` or ``sol[u]`` (the SymPy function): array (times, *grid)."""
        return self._fields[self._name(key)]

    def tensor(self, key):
        """Field ``key`` as a torch tensor with the autograd graph of the solve (``backend="torch"``).

        Same shape as ``sol[key]``; gradients flow back to ``y0`` and ``p``
        tensors that were passed with ``requires_grad=True``.
        """
        tensors = getattr(self._unpack, "tensors", None)
        if tensors is None:
            from ..errors import SolverError

            raise SolverError("sol.tensor() needs a solution computed with backend='torch'; "
                              "use sol[name] for NumPy arrays.")
        return tensors(self.t, self.ys)[self._name(key)]

    def __contains__(self, key) -> bool:
        try:
            self._name(key)
        except KeyError:
            return False
        return True

    def _name(self, key) -> str:
        if isinstance(key, str) and key in self._fields:
            return key
        for name, fn in self.layout.functions.items():
            if key == fn or str(key) == name:
                return name
        raise KeyError(
            f"no field {key!r} in this solution; fields are {list(self._fields)}"
        )

    def __call__(self, t) -> dict[str, np.ndarray]:
        """Interpolate every field at time(s) ``t`` (dense output when kept).

        Returns ``{name: array}``; a scalar ``t`` gives arrays of the grid's shape.
        """
        scalar = np.ndim(t) == 0
        tq = np.atleast_1d(np.asarray(t, dtype=float))
        lo, hi = float(self.t[0]), float(self.t[-1])
        if np.any(tq < min(lo, hi) - 1e-12 * max(1.0, abs(lo))) or np.any(
            tq > max(lo, hi) + 1e-12 * max(1.0, abs(hi))
        ):
            from ..errors import SolverError

            raise SolverError(
                f"cannot evaluate the solution at t={t!r}: it covers [{lo}, {hi}]. "
                "Pass times inside that interval."
            )
        if self._interpolant is not None:
            Y = np.asarray(self._interpolant(tq))
        elif self.batch is not None:
            Y = _linear(tq, self.t, self.y)
        else:
            Y = np.stack([np.interp(tq, self.t, self.y[:, k]) for k in range(self.y.shape[1])],
                         axis=1)
        fields = self._unpack(tq, Y)
        if scalar:
            return {k: (v[:, 0] if self.batch is not None else v[0]) for k, v in fields.items()}
        return fields

    # -- output ---------------------------------------------------------------
    def plot(self, **kwargs):
        """Plot the solution (see :func:`symnum.solvers.plotting.plot_solution`)."""
        from .plotting import plot_solution

        self._single("plot")
        return plot_solution(self, **kwargs)

    def save(self, path, **kwargs):
        """Save to ``.npz`` or netCDF (``.nc``); see :func:`symnum.solvers.io.save_solution`."""
        from .io import save_solution

        self._single("save")
        return save_solution(self, path, **kwargs)

    def _single(self, what):
        if self.batch is not None:
            from ..errors import SolverError

            raise SolverError(f"sol.{what}() works on one trajectory; this solution holds a batch "
                              f"of {self.batch}. Use the arrays sol[name][b] and sol.t instead.")

    def __repr__(self) -> str:
        shapes = {k: v.shape for k, v in self._fields.items()}
        span = f"[{self.t[0]:g}, {self.t[-1]:g}]" if len(self.t) else "[]"
        batch = "" if self.batch is None else f"batch={self.batch}, "
        return (f"Solution(result={self.result.name}, {batch}t={span} ({len(self.t)} saved), "
                f"fields={shapes}, stats={self.stats})")


def _linear(tq, t, Y):
    """Linear interpolation of ``Y`` ``(B, nt, n)`` at times ``tq`` along axis 1 (``t`` increasing or not)."""
    order = np.argsort(t, kind="stable")
    ts, Ys = t[order], Y[:, order]
    k = np.clip(np.searchsorted(ts, tq, side="right") - 1, 0, max(len(ts) - 2, 0))
    if len(ts) < 2:
        return np.repeat(Ys[:, :1], len(tq), axis=1)
    w = ((tq - ts[k]) / np.where(ts[k + 1] > ts[k], ts[k + 1] - ts[k], 1.0))[None, :, None]
    return Ys[:, k] * (1 - w) + Ys[:, k + 1] * w


class _GridView(dict):
    """Coordinates by SymPy symbol or by its name."""

    def __getitem__(self, key):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        for sym in self.keys():
            if str(sym) == str(key):
                return dict.__getitem__(self, sym)
        raise KeyError(f"no grid axis {key!r}; axes are {[str(s) for s in self]}")
