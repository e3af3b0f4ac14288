"""Adaptive explicit Runge--Kutta over a batch of trajectories, each with its own step size.

:func:`integrate_batch` is the loop of :mod:`symnum.solvers.engine` written
over a leading batch axis in torch: every trajectory ``b`` has its own time
``t[b]``, step ``h[b]``, previous error (the PI controller's memory),
counters and return code, and one pass of the loop takes one step (accepted
or rejected) of every trajectory still running, in one batched call of the
right-hand side per stage. Finished trajectories ride along with a zero step.

It reuses the tableaus of :mod:`symnum.solvers.methods`, the controller
constants and Hairer's starting step from :mod:`symnum.solvers.controller`,
the saving rules of the engine (``saveat`` by dense output, exact ``y`` at a
step end) and its constants ``UNDERFLOW_ULPS`` and ``END_STRETCH``; with the
same right-hand side each trajectory takes the steps the engine takes alone.
The PI and rejection laws are applied elementwise by :func:`accept_factors`
and :func:`reject_factors`, the array forms of
:func:`~symnum.solvers.controller.accept_factor` and
:func:`~symnum.solvers.controller.reject_factor` (a test checks that they agree).
The engine's per-step error and stiffness records are not kept here.

Examples
--------
>>> import numpy as np, torch
>>> from symnum.solvers.methods.tsit5 import METHOD
>>> rates = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
>>> res = integrate_batch(lambda t, y: -rates * y, torch.ones(2, 1, dtype=torch.float64), 0.0, 1.0,
...                       METHOD, rtol=1e-9, atol=1e-12, saveat=np.array([1.0]))
>>> np.allclose(res.ys[:, -1, 0].numpy(), np.exp([-1.0, -2.0])), res.stats["accepted"].shape
(True, (2,))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import SolverError
from .controller import PIController, initial_h0, initial_h1
from .cvode_support import saveat_times
from .engine import END_STRETCH, UNDERFLOW_ULPS
from .results import ReturnCode

__all__ = ["integrate_batch", "BatchResult", "accept_factors", "reject_factors"]

_CODES = (ReturnCode.success, ReturnCode.max_steps_reached, ReturnCode.dt_underflow,
          ReturnCode.nonfinite)
_RUNNING = -1


@dataclass
class BatchResult:
    """Output of :func:`integrate_batch`.

    ``ts`` (NumPy, the ``saveat`` times), ``ys`` ``(B, nt, n)`` torch (NaN
    where a failed trajectory never arrived), ``results`` (one
    :class:`~symnum.solvers.results.ReturnCode` per trajectory), ``stats``
    (``steps``, ``accepted``, ``rejected``, ``nfev`` as NumPy int arrays of
    shape ``(B,)``; ``passes``: loop passes, each one batched step).
    """

    ts: np.ndarray
    ys: Any
    results: list
    stats: dict


def accept_factors(torch, err, err_old, beta1, beta2, safety, facmin, facmax):
    """Elementwise :func:`~symnum.solvers.controller.accept_factor` on float64 tensors."""
    ratio = safety * err_old ** beta2 / err ** beta1
    return torch.where(err == 0.0, torch.full_like(err, facmax), ratio.clamp(facmin, facmax))


def reject_factors(torch, err, beta1, safety, facmin):
    """Elementwise :func:`~symnum.solvers.controller.reject_factor` (NaN, inf and 0 give ``facmin``)."""
    good = (err < math.inf) & (err > 0)
    safe = torch.where(good, err, torch.ones_like(err))
    return torch.where(good, (safety / safe ** beta1).clamp(min=facmin), torch.full_like(err, facmin))


def _rms_rows(torch, x):
    return torch.sqrt(torch.mean(x * x, dim=1))


def _initial_steps(torch, rhs, t0, y0, f0, direction, order, rtol, atol, dtmax, span):
    """Hairer's starting step per trajectory (the engine's ``_initial_step``, row by row)."""
    scale = atol + rtol * torch.abs(y0)
    d0 = _rms_rows(torch, y0 / scale).detach().double().cpu().tolist()
    d1 = _rms_rows(torch, f0 / scale).detach().double().cpu().tolist()
    h0 = [min(initial_h0(a, b), span, dtmax) for a, b in zip(d0, d1)]
    h0t = torch.tensor(h0, dtype=torch.float64, device=y0.device)
    f1 = rhs(t0 + direction * h0t, y0 + (direction * h0t).to(y0.dtype)[:, None] * f0)
    d2 = (_rms_rows(torch, (f1 - f0) / scale).detach().double() / h0t).cpu().tolist()
    h = [min(initial_h1(a, b, c, order), span, dtmax) for a, b, c in zip(h0, d1, d2)]
    return torch.tensor(h, dtype=torch.float64, device=y0.device)


def integrate_batch(rhs: Callable, y0, t0: float, t1: float, method, *, saveat, rtol: float = 1e-6,
                    atol: float = 1e-8, dt0: float | None = None, dtmax: float = math.inf,
                    max_steps: int = 100_000, controller: PIController | None = None) -> BatchResult:
    """Integrate ``B`` trajectories of ``dy/dt = rhs(t, y)``, each with its own adaptive steps.

    Parameters
    ----------
    rhs : callable ``(t, y) -> dy``
        ``t`` a float64 tensor ``(B,)`` (each trajectory's time), ``y`` ``(B, n)``.
    y0 : torch.Tensor ``(B, n)``
        Initial states (float32 or float64, any device; autograd is kept).
    t0, t1 : float
        Time span, shared; ``t1 < t0`` integrates backwards.
    method : RKMethod
        From :mod:`symnum.solvers.methods` (needs a dense output).
    saveat : array
        Times to save, sorted in the direction of integration (required: the
        trajectories step at different times).
    rtol, atol, dt0, dtmax, max_steps, controller
        As in :func:`symnum.solvers.engine.integrate`, per trajectory
        (``max_steps`` counts each trajectory's own steps).

    Returns
    -------
    BatchResult
    """
    import torch

    if y0.ndim != 2:
        raise SolverError(f"integrate_batch needs states of shape (B, n); got {tuple(y0.shape)}")
    tab = method.tableau
    num = tab.numeric()
    s, c, A = tab.stages, num.c.tolist(), num.a.tolist()
    bsol, berr = num.b.tolist(), num.b_err.tolist()
    ctrl = controller or method.controller
    consts = ctrl.accept_constants()
    t0, t1 = float(t0), float(t1)
    if t1 == t0:
        raise SolverError(f"tspan=({t0}, {t1}) is empty; pass t1 != t0")
    saves = saveat_times(saveat, t0, t1)
    if saves is None or num.b_dense is None:
        raise SolverError("per-trajectory steps need saveat times and a method with dense output "
                          "(Tsit5, DP5, BS3); pass saveat=[...]")
    direction = 1.0 if t1 > t0 else -1.0
    span = abs(t1 - t0)
    tiny = UNDERFLOW_ULPS * np.finfo(float).eps * max(abs(t0), abs(t1))
    dev, dtype = y0.device, y0.dtype
    B, n = y0.shape
    f64 = dict(dtype=torch.float64, device=dev)
    BdT = torch.as_tensor(num.b_dense.T.copy(), dtype=dtype, device=dev)
    S = torch.as_tensor(saves, **f64)
    m = len(saves)

    out = y0.new_full((B, m, n), math.nan)
    at_start = int(np.sum(saves == t0))
    if at_start:
        out[:, :at_start] = y0[:, None, :]
    jsave = torch.full((B,), at_start, dtype=torch.long, device=dev)
    t = torch.full((B,), t0, **f64)
    code = torch.full((B,), _RUNNING, dtype=torch.long, device=dev)
    steps, accepted, rejected = (torch.zeros(B, dtype=torch.long, device=dev) for _ in range(3))
    nfev0 = 1

    f0 = rhs(t, y0)
    bad = ~(torch.isfinite(y0).all(1) & torch.isfinite(f0).all(1))
    code[bad] = _CODES.index(ReturnCode.nonfinite)
    if dt0 is not None:
        h = torch.full((B,), min(abs(float(dt0)), span, dtmax), **f64)
    else:
        h = _initial_steps(torch, rhs, t, y0, f0, direction, method.order, rtol, atol, dtmax, span)
        nfev0 += 1
    h = direction * h
    y, k1 = y0, f0
    err_old = torch.full((B,), ctrl.errmin, **f64)
    failed_nonfinite = torch.zeros(B, dtype=torch.bool, device=dev)
    passes = 0
    while True:
        running = code == _RUNNING
        out_of_steps = running & (steps >= max_steps)
        code[out_of_steps] = _CODES.index(ReturnCode.max_steps_reached)
        running &= ~out_of_steps
        h = direction * torch.clamp(h.abs(), max=dtmax)
        h = torch.where(direction * (t + (1 + END_STRETCH) * h - t1) > 0, t1 - t, h)
        small = running & (h.abs() <= tiny)
        code[small & failed_nonfinite] = _CODES.index(ReturnCode.nonfinite)
        code[small & ~failed_nonfinite] = _CODES.index(ReturnCode.dt_underflow)
        running &= ~small
        if not bool(running.any()):
            break
        passes += 1
        hr = torch.where(running, h, torch.zeros_like(h))  # finished trajectories stand still
        H = hr.to(dtype)[:, None]
        ks, yi = [k1], y
        for i in range(1, s):
            acc = None
            for j in range(i):
                if A[i][j] != 0.0:
                    term = A[i][j] * ks[j]
                    acc = term if acc is None else acc + term
            yi = y if acc is None else y + H * acc
            ks.append(rhs(t + c[i] * hr, yi))
        y_new = yi if tab.fsal else y + H * sum(bsol[i] * ks[i] for i in range(s) if bsol[i] != 0.0)
        est = H * sum(berr[i] * ks[i] for i in range(s) if berr[i] != 0.0)
        scale = atol + rtol * torch.maximum(torch.abs(y), torch.abs(y_new))
        err = _rms_rows(torch, est / scale).detach().double()  # step control is not differentiated
        finite = torch.isfinite(err) & torch.isfinite(y_new).all(1)
        ok = running & finite & (err <= 1.0)
        rej = running & ~ok
        steps += running
        accepted += ok
        rejected += rej
        failed_nonfinite = torch.where(running, ~finite, failed_nonfinite)
        h = torch.where(rej, h * reject_factors(torch, err, ctrl.beta1, ctrl.safety, ctrl.facmin), h)
        t_new = t + hr
        t_new = torch.where(direction * (t_new - t1) >= 0, torch.full_like(t_new, t1), t_new)
        if bool(ok.any()):
            R = torch.einsum("ds,sbn->dbn", BdT, torch.stack(ks)) * H
            _save(torch, out, S, direction, jsave, ok, t, t_new, hr, y, y_new, R)
        grow = accept_factors(torch, err, err_old, *consts)
        h = torch.where(ok, h * grow, h)
        err_old = torch.where(ok, torch.clamp(err, min=ctrl.errmin), err_old)
        t = torch.where(ok, t_new, t)
        y = torch.where(ok[:, None], y_new, y)
        if tab.fsal:
            k1 = torch.where(ok[:, None], ks[-1], k1)
        else:
            k1 = rhs(t, y)
        code[ok & (direction * (t1 - t) <= 0)] = _CODES.index(ReturnCode.success)
    per_step = s - 1 + (0 if tab.fsal else 1)
    steps_np = steps.cpu().numpy()
    stats = {"steps": steps_np, "accepted": accepted.cpu().numpy(),
             "rejected": rejected.cpu().numpy(), "nfev": nfev0 + per_step * steps_np,
             "njev": np.zeros(B, dtype=np.int64), "passes": passes}
    results = [_CODES[k] for k in code.cpu().tolist()]
    return BatchResult(np.asarray(saves, dtype=float), out, results, stats)


def _save(torch, out, S, direction, jsave, ok, t, t_new, hr, y, y_new, R):
    """Write the saveat values inside each accepted step ``(t, t_new]`` (dense output, Horner in theta)."""
    count = torch.searchsorted(direction * S, (direction * t_new).contiguous(), right=True)
    count = torch.where(ok, count, jsave)
    pending = int((count - jsave).max())
    safe_h = torch.where(hr != 0, hr, torch.ones_like(hr))
    for k in range(pending):
        j = jsave + k
        valid = j < count
        jc = torch.clamp(j, max=S.numel() - 1)
        sj = S[jc]
        theta = ((sj - t) / safe_h).to(y.dtype)[:, None]
        acc = R[-1]
        for p in range(R.shape[0] - 2, -1, -1):  # the engine's Horner sum, per trajectory
            acc = acc * theta + R[p]
        val = torch.where((sj == t_new)[:, None], y_new, y + acc * theta)
        rows = valid.nonzero(as_tuple=True)[0]
        out[rows, jc[rows]] = val[rows]
    jsave.copy_(count)
