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

__all__ = ["integrate", "EngineResult", "StepInfo", "fixed_steps", "UNDERFLOW_ULPS"]

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
    """

    ts: np.ndarray
    ys: Any
    result: ReturnCode
    stats: dict
    dense: DenseOutput | None = None
    records: dict | None = None
    message: str = ""


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


def _initial_step(rhs, t0, y0, f0, direction, order, rtol, atol, dtmax, span, xp):
    """Hairer's starting step: two tolerance-scaled norms, one Euler trial, one extra evaluation."""
    scale = atol + rtol * xp.abs(y0)
    d0, d1 = xp.scalar(xp.rms(y0 / scale)), xp.scalar(xp.rms(f0 / scale))
    h0 = min(initial_h0(d0, d1), span, dtmax)
    f1 = rhs(t0 + direction * h0, y0 + (direction * h0) * f0)
    d2 = xp.scalar(xp.rms((f1 - f0) / scale)) / h0
    return min(initial_h1(h0, d1, d2, order), span, dtmax)


def integrate(rhs: Callable, y0, t0: float, t1: float, method, *, rtol: float = 1e-6,
              atol: float = 1e-8, saveat=None, dt0: float | None = None,
              dtmax: float = math.inf, max_steps: int = 100_000, adaptive: bool = True,
              dt: float | None = None, controller: PIController | None = None,
              dense: bool = True, callback: Callable[[StepInfo], None] | None = None,
              record: bool = False) -> EngineResult:
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
        Also return the per-step ``error`` and ``stiffness`` in ``records``.

    Returns
    -------
    EngineResult
        Failures (``max_steps_reached``, ``dt_underflow``, ``nonfinite``) are in
        ``result``, with the states saved up to the failure; nothing is raised.
    """
    xp = namespace(y0)
    tab = method.tableau
    num = tab.numeric()
    s, c, A = tab.stages, num.c.tolist(), num.a.tolist()
    berr = num.b_err.tolist()
    bsol = num.b.tolist()
    ctrl = controller or method.controller
    consts = ctrl.accept_constants()
    t0, t1 = float(t0), float(t1)
    if t1 == t0:
        raise SolverError(f"tspan=({t0}, {t1}) is empty; pass t1 != t0")
    direction = 1.0 if t1 > t0 else -1.0
    span = abs(t1 - t0)
    saves = saveat_times(saveat, t0, t1)  # sorted in the direction of integration, in span
    if saves is not None and num.b_dense is None:
        raise SolverError(f"{method.name} has no dense output, so it cannot save at saveat "
                          "times; pass saveat=None (every step) or use Tsit5/DP5/BS3")
    keep_dense = dense and saves is None and num.b_dense is not None
    need_r = keep_dense or saves is not None
    BdT = None if num.b_dense is None else xp.asarray(num.b_dense.T.copy(), like=y0)
    tiny = UNDERFLOW_ULPS * np.finfo(float).eps * max(abs(t0), abs(t1))

    ts, ys = [t0], [y0]
    if saves is not None:
        ts, ys = [], []
    jsave = 0
    while saves is not None and jsave < len(saves) and saves[jsave] == t0:
        ts.append(t0), ys.append(y0)
        jsave += 1
    dense_t, dense_h, dense_y, dense_r = [], [], [], []
    rec = {"t": [], "h": [], "error": [], "stiffness": []} if record else None
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
        return EngineResult(np.array(ts, dtype=float), out_ys, code, stats, d, r, message)

    f0 = rhs(t0, y0)
    stats["nfev"] += 1
    if not (xp.all_finite(y0) and xp.all_finite(f0)):
        return done(ReturnCode.nonfinite, f"y0 or f(t0, y0) is not finite at t={t0}")
    if adaptive:
        if dt0 is not None:
            h = min(abs(float(dt0)), span, dtmax)
        else:
            h = _initial_step(rhs, t0, y0, f0, direction, method.order, rtol, atol, dtmax,
                              span, xp)
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
        ks = [k1]
        yi = y
        for i in range(1, s):
            acc = None
            for j in range(i):
                if A[i][j] != 0.0:
                    term = A[i][j] * ks[j]
                    acc = term if acc is None else acc + term
            yprev, yi = yi, (y if acc is None else y + h * acc)
            ks.append(rhs(t + c[i] * h, yi))
        stats["nfev"] += s - 1
        stats["steps"] += 1
        if tab.fsal:
            y_new = yi
        else:
            y_new = y + h * sum(bsol[i] * ks[i] for i in range(s) if bsol[i] != 0.0)
        est = h * sum(berr[i] * ks[i] for i in range(s) if berr[i] != 0.0)
        err = xp.rms(est / (atol + rtol * xp.maximum(xp.abs(y), xp.abs(y_new))))
        errf = xp.scalar(err)  # step control is not differentiated
        finite = math.isfinite(errf) and xp.all_finite(y_new)
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
        if need_r:
            R = h * (BdT @ xp.stack(ks).reshape(s, -1)).reshape((BdT.shape[0],) + tuple(y.shape))
        if saves is not None:
            while jsave < len(saves) and direction * (saves[jsave] - t_new) <= 0:
                ts.append(float(saves[jsave]))
                if saves[jsave] == t_new:
                    ys.append(y_new)
                else:
                    theta = (saves[jsave] - t) / h
                    acc = R[-1]
                    for p in range(R.shape[0] - 2, -1, -1):
                        acc = acc * theta + R[p]
                    ys.append(y + acc * theta)
                jsave += 1
        else:
            ts.append(t_new), ys.append(y_new)
        if keep_dense:
            dense_t.append(t), dense_h.append(h), dense_y.append(y), dense_r.append(R)
        if record or callback is not None:
            den = xp.norm(yi - yprev)  # arguments of the last two stages
            stiff = xp.norm(ks[-1] - ks[-2]) / den if xp.scalar(den) > 0 else den * 0.0
            if record:
                rec["t"].append(t_new), rec["h"].append(h)
                rec["error"].append(err), rec["stiffness"].append(stiff)
            if callback is not None:
                callback(StepInfo(t_new, h, y_new, err, stiff))
        if adaptive:
            h *= accept_factor(errf, err_old, *consts)
            err_old = max(errf, ctrl.errmin)
        t, y = t_new, y_new
        if tab.fsal:
            k1 = ks[-1]
        else:
            k1 = rhs(t, y)
            stats["nfev"] += 1
    return done(ReturnCode.success)
