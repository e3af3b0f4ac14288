"""The adaptive explicit Runge--Kutta loop, written once for NumPy arrays and torch tensors.

:func:`integrate` steps any :class:`~symnum.solvers.tableau.RKMethod` with
the PI controller of :mod:`symnum.solvers.controller`. It touches the state
only through arithmetic and the namespace of :mod:`symnum.solvers.xp`, so a
torch tensor in gives torch tensors out (device and autograd kept).

Per accepted step it exposes, through ``callback`` and ``record=True``:

* ``error``: the tolerance-scaled RMS norm of the local error estimate
  ``h sum (b - b_hat)_i k_i`` (the quantity the controller keeps below 1);
* ``stiffness``: Hairer's estimate of the dominant eigenvalue magnitude,
  ``||k_s - k_{s-1}|| / ||Y_s - Y_{s-1}||`` from the last two stages (both at
  or near ``t + h``), with no extra right-hand-side calls. ``h * stiffness``
  near the stability boundary (about 3.3 for DP5/Tsit5) signals stiffness.
  It is a heuristic: it sees only the direction the stages happened to
  explore, and for BS3 the two stages are at different times.

Both are kept as arrays of the input's kind (torch scalars keep their graph),
which is what solver-heuristic regularization of neural ODEs needs.

:func:`rk_step` takes one step of the same tableau from a given state (the
local regularizer of :mod:`symnum.neural` and the step-wise checkpointed
backward pass use it), so there is one Runge--Kutta loop for every backend.

On torch the loop stays lean: the error estimate, the error norm and the
step-size decision run without autograd unless ``record`` or ``callback``
asks for them (the controller works on Python floats, ``dt`` is never
differentiated), the accept/reject decision costs one host sync per step
(error norm and finiteness of the new state read together), and saved
states inside a step come from one matrix product of interpolation weights
with the stages.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.methods.tsit5 import METHOD
>>> res = integrate(lambda t, y: -y, np.ones(2), 0.0, 1.0, METHOD, rtol=1e-8, atol=1e-10,
...                 saveat=np.array([1.0]))
>>> bool(abs(res.ys[-1, 0] - np.exp(-1)) < 1e-8), res.result.name
(True, 'success')
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import SolverError
from .controller import PIController, accept_factor, initial_h0, initial_h1, reject_factor
from .cvode_support import saveat_times
from .dense import DenseOutput
from .results import ReturnCode
from .xp import namespace

__all__ = ["integrate", "rk_step", "initial_step", "EngineResult", "StepInfo", "StepOutput",
           "fixed_steps", "UNDERFLOW_ULPS"]

#: A step is too small when ``|h| <= UNDERFLOW_ULPS * eps * max(|t|, |t0|, |t1|)`` (Hairer: 10).
UNDERFLOW_ULPS = 10.0
#: The last step is stretched to hit ``t1`` when it would stop within this fraction of ``h`` (Hairer).
END_STRETCH = 0.01


@dataclass
class StepInfo:
    """One accepted step, as passed to ``callback``: it ended at ``t`` with state ``y``."""

    t: float
    h: float
    y: Any
    error: Any
    stiffness: Any


@dataclass
class EngineResult:
    """Output of :func:`integrate`.

    ``ts`` (NumPy), ``ys`` ``(nt, *y0.shape)`` of the input's kind, ``result``,
    ``stats`` (steps, accepted, rejected, nfev, njev), ``dense`` (a
    :class:`~symnum.solvers.dense.DenseOutput` or None), ``records``
    (``{"t", "h", "error", "stiffness"}`` per accepted step, or None).
    ``step_t``, ``step_h``: start time and signed size of every accepted step
    (always kept: two floats a step); ``step_y``: the state at each ``step_t``
    (only with ``keep_steps=True``; references, no copies).
    """

    ts: np.ndarray
    ys: Any
    result: ReturnCode
    stats: dict
    dense: DenseOutput | None = None
    records: dict | None = None
    message: str = ""
    step_t: np.ndarray | None = None
    step_h: np.ndarray | None = None
    step_y: list | None = None


def fixed_steps(t0: float, t1: float, dt: float) -> int:
    """Number of equal steps for fixed-step mode: ``dt`` is shrunk so they span ``[t0, t1]`` exactly.

    Examples
    --------
    >>> fixed_steps(0.0, 1.0, 0.1), fixed_steps(0.0, 1.0, 0.3)
    (10, 4)
    """
    if not (dt > 0 and math.isfinite(dt)):
        raise SolverError(f"dt={dt!r} must be a positive finite step; pass e.g. dt=0.01")
    span = abs(t1 - t0)
    return max(1, math.ceil(span / dt * (1 - 1e-12)))


class _Coefficients:
    """Float coefficients of one method, in the sparse form the loop uses (built once per method)."""

    def __init__(self, method):
        tab = method.tableau
        num = tab.numeric()
        self.s, self.fsal, self.c = tab.stages, tab.fsal, num.c.tolist()
        A = num.a.tolist()
        self.rows = [[(j, A[i][j]) for j in range(i) if A[i][j] != 0.0] for i in range(tab.stages)]
        self.bsol = [(i, b) for i, b in enumerate(num.b.tolist()) if b != 0.0]
        self.berr = [(i, b) for i, b in enumerate(num.b_err.tolist()) if b != 0.0]
        self.berr_vec = np.asarray(num.b_err, dtype=float)
        self.BdT = None if num.b_dense is None else np.ascontiguousarray(num.b_dense.T, dtype=float)
        self.BdT_rows = None if self.BdT is None else self.BdT.tolist()
        self.order = method.order
        self._torch = {}

    def torch_vec(self, name, like):
        """``berr_vec`` as a tensor of ``like``'s dtype and device (cached)."""
        key = (name, like.dtype, like.device)
        if key not in self._torch:
            import torch

            self._torch[key] = torch.tensor(np.array(getattr(self, name)), dtype=like.dtype,
                                            device=like.device)
        return self._torch[key]


_COEFFS: dict = {}


def _coefficients(method) -> _Coefficients:
    hit = _COEFFS.get(id(method))
    if hit is None or hit[0] is not method:
        hit = _COEFFS[id(method)] = (method, _Coefficients(method))
    return hit[1]


def _lincomb(xp, y, h, pairs, ks):
    """``y + h * sum(a * ks[j] for j, a in pairs)`` (``y`` itself when ``pairs`` is empty)."""
    if not pairs:
        return y
    if xp.name == "torch":  # scalar factors fused into the adds: one autograd node per term
        (j0, a0), rest = pairs[0], pairs[1:]
        acc = ks[j0] * a0
        for j, a in rest:
            acc = acc.add(ks[j], alpha=a)
        return y.add(acc, alpha=h)
    acc = None
    for j, a in pairs:
        term = a * ks[j]
        acc = term if acc is None else acc + term
    return y + h * acc


@dataclass
class StepOutput:
    """One Runge--Kutta step from :func:`rk_step`.

    ``y_new`` the solution at ``t + h``; ``ks`` the stages (``ks[-1]`` is the
    next ``k1`` for FSAL methods); ``error`` the tolerance-scaled RMS norm of
    the error estimate; ``stiffness`` the dominant-eigenvalue estimate
    (``None`` unless asked); ``nfev`` right-hand-side calls made.
    """

    y_new: Any
    ks: list
    error: Any
    stiffness: Any
    nfev: int
    y_last: Any = None
    y_prev: Any = None


def _stages(rhs, t, y, k1, h, co, xp):
    """Stages ``k_2..k_s`` of one step; returns ``(ks, y_new, y_prev, y_last)``."""
    ks, yi, yprev = [k1], y, y
    for i in range(1, co.s):
        yprev, yi = yi, _lincomb(xp, y, h, co.rows[i], ks)
        ks.append(rhs(t + co.c[i] * h, yi))
    y_new = yi if co.fsal else _lincomb(xp, y, h, co.bsol, ks)
    return ks, y_new, yprev, yi


def _rms(xp, x, rows=None):
    """RMS of all entries; with ``rows``, the largest RMS of the ``rows`` equal parts of ``x``
    (a stacked ensemble: every trajectory then meets its own tolerance)."""
    if xp.name == "torch":
        torch = xp.torch
        if rows:
            x = x.reshape(rows, -1)
            return (torch.linalg.vector_norm(x, dim=1) / math.sqrt(max(x.shape[1], 1))).max()
        return torch.linalg.vector_norm(x) / math.sqrt(max(x.numel(), 1))
    if rows:
        x = np.reshape(x, (rows, -1))
        return np.sqrt(np.mean(x * x, axis=1)).max()
    return xp.rms(x)


def _error(xp, co, ks, h, y, y_new, rtol, atol, rows=None):
    """Tolerance-scaled RMS norm of ``h sum berr_i k_i`` (one number for the whole state,
    or the largest over ``rows`` stacked trajectories)."""
    if xp.name == "torch":
        torch = xp.torch
        est = torch.tensordot(co.torch_vec("berr_vec", y), torch.stack(ks), 1) * h
        return _rms(xp, est / (atol + rtol * torch.maximum(y.abs(), y_new.abs())), rows)
    est = h * sum(b * ks[i] for i, b in co.berr)
    return _rms(xp, est / (atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_new))), rows)


def _stiffness(xp, ks, y_last, y_prev):
    """``||k_s - k_{s-1}|| / ||Y_s - Y_{s-1}||`` (0 when the two stage arguments coincide)."""
    if xp.name == "torch":  # no host sync; vector_norm has a zero (not NaN) gradient at 0
        torch = xp.torch
        den = torch.linalg.vector_norm(y_last - y_prev)
        num = torch.linalg.vector_norm(ks[-1] - ks[-2])
        return num / torch.where(den > 0, den, torch.full_like(den, math.inf))
    den = xp.norm(y_last - y_prev)
    return xp.norm(ks[-1] - ks[-2]) / den if xp.scalar(den) > 0 else den * 0.0


def rk_step(rhs: Callable, t: float, y, h: float, method, *, rtol: float = 1e-6,
            atol: float = 1e-8, k1=None, stiffness: bool = False) -> StepOutput:
    """One step of ``method`` from ``(t, y)`` of size ``h``, with its error and stiffness estimates.

    The same stage and error code as :func:`integrate` (one Runge--Kutta
    loop for every use), for the one-step evaluations of local solver
    regularization and of step-wise recomputation. Everything is
    differentiable through the stages when ``y`` or ``rhs`` carries a graph;
    ``h`` is a float.

    Parameters
    ----------
    rhs, t, y, h, method, rtol, atol
        As in :func:`integrate`; ``h`` signed.
    k1 : array, optional
        ``rhs(t, y)`` if already known (then not re-evaluated, and whatever
        graph it has is kept: pass a detached one to cut the gradient there).
    stiffness : bool
        Also compute the stiffness estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.methods.tsit5 import METHOD
    >>> out = rk_step(lambda t, y: -y, 0.0, np.ones(1), 0.1, METHOD, rtol=1e-6, atol=1e-6)
    >>> bool(abs(out.y_new[0] - np.exp(-0.1)) < 1e-8), out.nfev, bool(out.error < 1)
    (True, 7, True)
    """
    xp = namespace(y)
    co = _coefficients(method)
    nfev = co.s - 1
    if k1 is None:
        k1, nfev = rhs(t, y), co.s
    ks, y_new, yprev, ylast = _stages(rhs, t, y, k1, h, co, xp)
    err = _error(xp, co, ks, h, y, y_new, rtol, atol)
    stiff = _stiffness(xp, ks, ylast, yprev) if stiffness else None
    return StepOutput(y_new, ks, err, stiff, nfev, ylast, yprev)


def initial_step(rhs: Callable, t0: float, y0, f0, direction: float, order: int, rtol: float,
                 atol: float, dtmax: float, span: float, rows: int | None = None) -> float:
    """Hairer's starting step (two scaled norms, one Euler trial: one extra evaluation); a float.

    With ``rows`` (a flat stack of that many trajectories) it is the smallest of the
    trajectories' own starting steps.

    Examples
    --------
    >>> import numpy as np
    >>> h = initial_step(lambda t, y: -y, 0.0, np.ones(1), -np.ones(1), 1.0, 5, 1e-6, 1e-6,
    ...                  np.inf, 1.0)
    >>> bool(0 < h < 1)
    True
    """
    xp = namespace(y0)
    scale = atol + rtol * xp.abs(y0)
    if rows:
        d0s, d1s = _row_rms(xp, y0 / scale, rows), _row_rms(xp, f0 / scale, rows)
        h0 = min(min(initial_h0(a, b) for a, b in zip(d0s, d1s)), span, dtmax)
        f1 = rhs(t0 + direction * h0, y0 + (direction * h0) * f0)
        d2s = [d / h0 for d in _row_rms(xp, (f1 - f0) / scale, rows)]
        return min(min(initial_h1(h0, b, c, order) for b, c in zip(d1s, d2s)), span, dtmax)
    if xp.name == "torch":
        d = xp.torch.stack([xp.rms(y0 / scale), xp.rms(f0 / scale)]).tolist()
        d0, d1 = d[0], d[1]
    else:
        d0, d1 = xp.scalar(xp.rms(y0 / scale)), xp.scalar(xp.rms(f0 / scale))
    h0 = min(initial_h0(d0, d1), span, dtmax)
    f1 = rhs(t0 + direction * h0, y0 + (direction * h0) * f0)
    d2 = xp.scalar(xp.rms((f1 - f0) / scale)) / h0
    return min(initial_h1(h0, d1, d2, order), span, dtmax)


def _row_rms(xp, x, rows) -> list:
    """RMS of each of the ``rows`` equal parts of ``x``, as floats."""
    if xp.name == "torch":
        x = x.detach().reshape(rows, -1)
        return (xp.torch.linalg.vector_norm(x, dim=1) / math.sqrt(max(x.shape[1], 1))).tolist()
    x = np.reshape(x, (rows, -1))
    return np.sqrt(np.mean(x * x, axis=1)).tolist()


def _no_grad(xp, off: bool):
    """``torch.no_grad()`` for torch when ``off``; a null context otherwise."""
    if off and xp.name == "torch":
        return xp.torch.no_grad()
    return contextlib.nullcontext()


def _checked_error(xp, err, y_new) -> float:
    """The error as a float, NaN when ``y_new`` is not finite (one host sync on torch)."""
    if xp.name == "torch":
        return float(err.detach() + (y_new.detach() * 0.0).sum())
    errf = xp.scalar(err)
    return errf if xp.all_finite(y_new) else math.nan


def integrate(rhs: Callable, y0, t0: float, t1: float, method, *, rtol: float = 1e-6,
              atol: float = 1e-8, saveat=None, dt0: float | None = None,
              dtmax: float = math.inf, max_steps: int = 100_000, adaptive: bool = True,
              dt: float | None = None, controller: PIController | None = None,
              dense: bool = True, callback: Callable[[StepInfo], None] | None = None,
              record: bool = False, keep_steps: bool = False,
              rows: int | None = None) -> EngineResult:
    """Integrate ``dy/dt = rhs(t, y)`` from ``t0`` to ``t1`` (either direction) with an explicit RK method.

    Parameters
    ----------
    rhs : callable ``(t, y) -> dy``
        Float ``t``; ``y`` and ``dy`` NumPy arrays or torch tensors of ``y0``'s shape.
    y0 : array
        Initial state (any shape; NumPy or torch).
    t0, t1 : float
        Time span; ``t1 < t0`` integrates backwards.
    method : RKMethod
        From :mod:`symnum.solvers.methods`.
    rtol, atol : float
        Tolerances of the scaled error norm.
    saveat : array, optional
        Times to save, sorted in the direction of integration (dense output);
        ``None`` saves every accepted step.
    dt0, dtmax, max_steps : optional
        First step (``None``: Hairer's algorithm), largest step, step budget.
    adaptive : bool
        ``False`` takes equal steps of at most ``dt`` and never rejects.
    controller : PIController, optional
        Defaults to ``method.controller``.
    dense : bool
        Keep the dense output over all accepted steps (only when ``saveat`` is
        None, as OrdinaryDiffEq does: with ``saveat`` the steps are not kept,
        so memory stays at the saved states).
    callback : callable, optional
        Called with a :class:`StepInfo` after every accepted step.
    record : bool
        Also return the per-step ``error`` and ``stiffness`` in ``records``
        (on torch with their graphs: the only case where the error estimate is
        built under autograd).
    keep_steps : bool
        Return the state at the start of every accepted step in ``step_y``.
    rows : int, optional
        ``y0`` is a flat stack of ``rows`` trajectories of equal size (an ensemble
        with one shared step): the error norm is the largest of the trajectories'
        own RMS norms, so each meets the tolerance as if solved alone.

    Returns
    -------
    EngineResult
        Failures (``max_steps_reached``, ``dt_underflow``, ``nonfinite``) are in
        ``result``, with the states saved up to the failure; nothing is raised.
        ``stats["nfev"]`` counts every call of ``rhs``: 1 for ``f(t0, y0)``, 1
        for the automatic first step, ``s - 1`` per step (accepted or rejected)
        for FSAL methods (``s`` otherwise), so Tsit5/DP5 give
        ``nfev = 6 * steps + 2``.
    """
    xp = namespace(y0)
    co = _coefficients(method)
    s = co.s
    ctrl = controller or method.controller
    consts = ctrl.accept_constants()
    t0, t1 = float(t0), float(t1)
    if t1 == t0:
        raise SolverError(f"tspan=({t0}, {t1}) is empty; pass t1 != t0")
    direction = 1.0 if t1 > t0 else -1.0
    span = abs(t1 - t0)
    saves = saveat_times(saveat, t0, t1)  # sorted in the direction of integration, in span
    if saves is not None and co.BdT is None:
        raise SolverError(f"{method.name} has no dense output, so it cannot save at saveat "
                          "times; pass saveat=None (every step) or use Tsit5/DP5/BS3")
    keep_dense = dense and saves is None and co.BdT is not None
    is_torch = xp.name == "torch"
    BdT = None if co.BdT is None else xp.asarray(co.BdT.copy(), like=y0)
    tiny = UNDERFLOW_ULPS * np.finfo(float).eps * max(abs(t0), abs(t1))
    grad_err = record or callback is not None  # else: error estimate built without autograd

    ts, ys = [t0], [y0]
    if saves is not None:
        ts, ys = [], []
    jsave = 0
    while saves is not None and jsave < len(saves) and saves[jsave] == t0:
        ts.append(t0), ys.append(y0)
        jsave += 1
    dense_t, dense_h, dense_y, dense_r = [], [], [], []
    rec = {"t": [], "h": [], "error": [], "stiffness": []} if record else None
    step_t, step_h, step_y = [], [], ([] if keep_steps else None)
    stats = {"steps": 0, "accepted": 0, "rejected": 0, "nfev": 0, "njev": 0}

    def done(code, message=""):
        out_ys = xp.stack(ys) if ys else y0[None][:0]
        d = None
        if keep_dense and dense_t:
            d = DenseOutput(dense_t, dense_h, xp.stack(dense_y), xp.stack(dense_r))
        r = None
        if record:
            r = {"t": np.array(rec["t"]), "h": np.array(rec["h"]),
                 "error": xp.stack(rec["error"]) if rec["error"] else None,
                 "stiffness": xp.stack(rec["stiffness"]) if rec["stiffness"] else None}
        return EngineResult(np.array(ts, dtype=float), out_ys, code, stats, d, r, message,
                            np.array(step_t, dtype=float), np.array(step_h, dtype=float), step_y)

    f0 = rhs(t0, y0)
    stats["nfev"] += 1
    if is_torch:
        finite0 = math.isfinite(float((y0.detach() * 0.0).sum() + (f0.detach() * 0.0).sum()))
    else:
        finite0 = xp.all_finite(y0) and xp.all_finite(f0)
    if not finite0:
        return done(ReturnCode.nonfinite, f"y0 or f(t0, y0) is not finite at t={t0}")
    if adaptive:
        if dt0 is not None:
            h = min(abs(float(dt0)), span, dtmax)
        else:
            with _no_grad(xp, True):  # the step size is never differentiated
                h = initial_step(rhs, t0, y0, f0, direction, method.order, rtol, atol, dtmax,
                                 span, rows)
            stats["nfev"] += 1
        nfixed = 0
    else:
        if dt is None:
            raise SolverError("fixed-step mode (adaptive=False) needs a step; pass dt=...")
        nfixed = fixed_steps(t0, t1, float(dt))
        h = span / nfixed
    h *= direction
    t, y, k1 = t0, y0, f0
    err_old = ctrl.errmin
    failed_nonfinite = False
    while direction * (t1 - t) > 0:
        if stats["steps"] >= max_steps:
            return done(ReturnCode.max_steps_reached, f"stopped at t={t} after {max_steps} steps")
        if adaptive:
            h = direction * min(abs(h), dtmax)
            if direction * (t + (1 + END_STRETCH) * h - t1) > 0:
                h = t1 - t
            if abs(h) <= tiny:
                code = ReturnCode.nonfinite if failed_nonfinite else ReturnCode.dt_underflow
                return done(code, f"step size {abs(h):.3g} too small at t={t}")
        ks, y_new, yprev, ylast = _stages(rhs, t, y, k1, h, co, xp)
        stats["nfev"] += s - 1
        stats["steps"] += 1
        with _no_grad(xp, not grad_err):  # step control is not differentiated
            err = _error(xp, co, ks, h, y, y_new, rtol, atol, rows)
        errf = _checked_error(xp, err, y_new)
        finite = math.isfinite(errf)
        if not adaptive and not finite:
            return done(ReturnCode.nonfinite, f"the state became non-finite after t={t}")
        if adaptive and not (finite and errf <= 1.0):
            stats["rejected"] += 1
            failed_nonfinite = not finite
            h *= reject_factor(errf, ctrl.beta1, ctrl.safety, ctrl.facmin)
            continue
        failed_nonfinite = False
        stats["accepted"] += 1
        t_new = t0 + direction * (stats["accepted"] * abs(h)) if not adaptive else t + h
        if not adaptive and stats["accepted"] == nfixed or direction * (t_new - t1) >= 0:
            t_new = t1
        step_t.append(t), step_h.append(h)
        if keep_steps:
            step_y.append(y)
        if saves is not None:
            jsave = _save_in_step(xp, co, BdT, saves, jsave, t, h, t_new, y, y_new, ks, ts, ys)
        else:
            ts.append(t_new), ys.append(y_new)
        if keep_dense:
            R = h * (BdT @ xp.stack(ks).reshape(s, -1)).reshape((BdT.shape[0],) + tuple(y.shape))
            dense_t.append(t), dense_h.append(h), dense_y.append(y), dense_r.append(R)
        if grad_err:
            stiff = _stiffness(xp, ks, ylast, yprev)
            if record:
                rec["t"].append(t_new), rec["h"].append(h)
                rec["error"].append(err), rec["stiffness"].append(stiff)
            if callback is not None:
                callback(StepInfo(t_new, h, y_new, err, stiff))
        if adaptive:
            h *= accept_factor(errf, err_old, *consts)
            err_old = max(errf, ctrl.errmin)
        t, y = t_new, y_new
        if co.fsal:
            k1 = ks[-1]
        else:
            k1 = rhs(t, y)
            stats["nfev"] += 1
    return done(ReturnCode.success)


def save_weights(co_or_method, thetas, h: float) -> list:
    """Weights ``W`` (``m x s``) with ``y(t + theta h) = y + W @ K`` for the stages ``K`` of a step."""
    co = co_or_method if isinstance(co_or_method, _Coefficients) else _coefficients(co_or_method)
    rows = []
    for th in thetas:  # plain floats: NumPy's per-call overhead dominates at this size
        powers = [h * th ** (p + 1) for p in range(len(co.BdT_rows))]
        rows.append([sum(pw * r[i] for pw, r in zip(powers, co.BdT_rows)) for i in range(co.s)])
    return rows


def _save_in_step(xp, co, BdT, saves, jsave, t, h, t_new, y, y_new, ks, ts, ys):
    """Append the saved states with times in ``(t, t_new]``; returns the next save index."""
    direction = 1.0 if h > 0 else -1.0
    inside = []
    while jsave < len(saves) and direction * (saves[jsave] - t_new) <= 0:
        ts.append(float(saves[jsave]))
        if saves[jsave] == t_new:
            ys.append(y_new)
        else:
            ys.append(None)
            inside.append((len(ys) - 1, (saves[jsave] - t) / h))
        jsave += 1
    if not inside:
        return jsave
    if xp.name == "torch":  # all saves of the step from one product of weights and stages
        torch = xp.torch
        W = torch.as_tensor(save_weights(co, [th for _, th in inside], h), dtype=y.dtype,
                            device=y.device)
        K = torch.stack(ks).reshape(co.s, -1)
        vals = (y.reshape(1, -1) + W @ K).reshape((len(inside),) + tuple(y.shape))
        for (pos, _), v in zip(inside, vals.unbind(0)):
            ys[pos] = v
        return jsave
    R = h * (BdT @ xp.stack(ks).reshape(co.s, -1)).reshape((BdT.shape[0],) + tuple(y.shape))
    for pos, theta in inside:
        acc = R[-1]
        for p in range(R.shape[0] - 2, -1, -1):
            acc = acc * theta + R[p]
        ys[pos] = y + acc * theta
    return jsave
