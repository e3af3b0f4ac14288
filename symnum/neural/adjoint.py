"""How gradients get through the solve: discrete adjoint or step-wise checkpointing.

Both differentiate the same discrete solve (the steps the forward pass
accepted, ``dt`` a constant), so they give the same gradients up to rounding:

* :class:`Backprop` (``"backprop"``, the default): autograd records every
  accepted step; memory O(steps x stages x state).
* :class:`Checkpoint` (``"checkpoint"``): the forward solve runs without
  autograd and keeps only the state at the start of each accepted step; the
  backward pass re-runs one step at a time with autograd (the one-step helper
  :func:`symnum.solvers.engine.rk_step`) and back-propagates through it, last
  step first. Memory O(steps x state) plus one step's graph; cost one extra
  forward solve (``s`` evaluations per step: ``k1`` is recomputed).

Examples
--------
>>> resolve_adjoint("checkpoint")
Checkpoint()
>>> resolve_adjoint("continuous")
Traceback (most recent call last):
...
symnum.neural.errors.NeuralError: adjoint='continuous' is not known; valid: 'backprop', 'checkpoint'. Pass e.g. adjoint='checkpoint' for the memory-saving option
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..errors import SolveFailed
from ..solvers.engine import integrate, rk_step, save_weights
from .errors import NeuralError, NeuralTypeError

__all__ = ["Backprop", "Checkpoint", "resolve_adjoint", "ADJOINTS"]


@dataclass
class SolveSpec:
    """Everything one solve needs (internal)."""

    rhs: Callable
    params: tuple
    y0: Any
    t0: float
    t1: float
    saves: np.ndarray
    method: Any
    controller: Any
    rtol: float
    atol: float
    max_steps: int
    dtmax: float
    record: bool
    keep_steps: bool


@dataclass
class Trajectory:
    """Result of one solve (internal): states at ``saves``, per-step estimates and step data."""

    ys: Any
    errors: Any
    stiffness: Any
    step_t: np.ndarray
    step_h: np.ndarray
    step_y: list | None
    stats: dict = field(default_factory=dict)


def _run(spec: SolveSpec, keep_steps: bool, record: bool):
    res = integrate(spec.rhs, spec.y0, spec.t0, spec.t1, spec.method, rtol=spec.rtol,
                    atol=spec.atol, saveat=spec.saves, dense=False, controller=spec.controller,
                    max_steps=spec.max_steps, dtmax=spec.dtmax, record=record,
                    keep_steps=keep_steps)
    if not res.result.ok:
        raise SolveFailed(f"the neural ODE solve failed: {res.result.value} ({res.message}); "
                          "loosen rtol/atol, raise max_steps, or check the vector field for "
                          "blow-up", None)
    return res


class Backprop:
    """Discrete adjoint: autograd straight through the solver's accepted steps (fast, memory O(steps))."""

    name = "backprop"

    def __repr__(self):
        return "Backprop()"

    def solve(self, spec: SolveSpec) -> Trajectory:
        res = _run(spec, spec.keep_steps, spec.record)
        rec = res.records
        errs = rec["error"] if rec and rec["error"] is not None else spec.y0.new_zeros(0)
        stiff = rec["stiffness"] if rec and rec["stiffness"] is not None else spec.y0.new_zeros(0)
        return Trajectory(res.ys, errs, stiff, res.step_t, res.step_h, res.step_y,
                          dict(res.stats, nfev_backward=0))


class Checkpoint:
    """Step-wise checkpointing: O(steps x state) memory, one extra forward solve in the backward pass."""

    name = "checkpoint"

    def __repr__(self):
        return "Checkpoint()"

    def solve(self, spec: SolveSpec) -> Trajectory:
        box = {}
        ys, errs, stiff = _CheckpointedSolve.apply(spec, box, spec.y0, *spec.params)
        res = box["res"]
        step_y = res.step_y if spec.keep_steps else None
        return Trajectory(ys, errs, stiff, res.step_t, res.step_h, step_y, box["stats"])


def _save_plan(saves, t0, step_t, step_h, t1):
    """For every save time: ``(step, theta)``; ``theta = None`` at the step's end, step -1 for ``t0``.

    Replays the assignment of :func:`symnum.solvers.engine.integrate` exactly.
    """
    n = len(step_t)
    ends = [float(step_t[j + 1]) if j + 1 < n else t1 for j in range(n)]
    direction = 1.0 if t1 > t0 else -1.0
    plan, j = [], 0
    for s in saves:
        if s == t0:
            plan.append((-1, None))
            continue
        while direction * (s - ends[j]) > 0:
            j += 1
        plan.append((j, None if s == ends[j] else (s - step_t[j]) / step_h[j]))
    return plan


class _CheckpointedSolve(torch.autograd.Function):
    """Forward: solve without autograd. Backward: re-run and back-propagate one step at a time."""

    @staticmethod
    def forward(ctx, spec, box, y0, *params):
        with torch.no_grad():
            res = _run(spec, True, spec.record)
        box["res"] = res
        stats = dict(res.stats)
        box["stats"] = stats  # nfev_backward filled in by backward
        stats["nfev_backward"] = 0
        ctx.spec, ctx.res, ctx.stats = spec, res, stats
        ctx.plan = _save_plan(spec.saves, spec.t0, res.step_t, res.step_h, spec.t1)
        rec = res.records
        errs = rec["error"] if rec and rec["error"] is not None else y0.new_zeros(0)
        stiff = rec["stiffness"] if rec and rec["stiffness"] is not None else y0.new_zeros(0)
        return res.ys, errs, stiff

    @staticmethod
    def backward(ctx, g_ys, g_err, g_stiff):
        spec, res = ctx.spec, ctx.res
        params = spec.params
        by_step: dict = {}
        for m, (j, theta) in enumerate(ctx.plan):
            by_step.setdefault(j, []).append((m, theta))
        n = len(res.step_t)
        adj = torch.zeros_like(spec.y0)
        for m, theta in by_step.get(n - 1, []):  # saves at the final time
            if theta is None:
                adj = adj + g_ys[m]
        grads = [None if not p.requires_grad else torch.zeros_like(p) for p in params]
        use_err = spec.record and g_err is not None and g_err.numel() > 0
        use_stiff = spec.record and g_stiff is not None and g_stiff.numel() > 0
        nfev = 0
        for j in range(n - 1, -1, -1):
            t, h = float(res.step_t[j]), float(res.step_h[j])
            yj = res.step_y[j].detach().requires_grad_(True)
            with torch.enable_grad():
                out = rk_step(spec.rhs, t, yj, h, spec.method, rtol=spec.rtol, atol=spec.atol,
                              stiffness=use_stiff)
                nfev += out.nfev
                total = (out.y_new * adj).sum()
                inside = [(m, th) for m, th in by_step.get(j, []) if th is not None]
                if inside:
                    W = torch.as_tensor(save_weights(spec.method, [th for _, th in inside], h),
                                        dtype=yj.dtype, device=yj.device)
                    K = torch.stack(out.ks).reshape(len(out.ks), -1)
                    vals = yj.reshape(1, -1) + W @ K
                    gs = torch.stack([g_ys[m].reshape(-1) for m, _ in inside])
                    total = total + (vals * gs).sum()
                if use_err:
                    total = total + out.error * g_err[j]
                if use_stiff:
                    total = total + out.stiffness * g_stiff[j]
            inputs = (yj,) + tuple(p for p in params if p.requires_grad)
            got = torch.autograd.grad(total, inputs, allow_unused=True)
            adj = got[0] if got[0] is not None else torch.zeros_like(yj)
            it = iter(got[1:])
            for i, p in enumerate(params):
                if p.requires_grad:
                    g = next(it)
                    if g is not None:
                        grads[i] = grads[i] + g
            for m, theta in by_step.get(j - 1, []):  # saves at this step's start (or at t0)
                if theta is None:
                    adj = adj + g_ys[m]
        ctx.stats["nfev_backward"] = nfev
        return (None, None, adj, *grads)


ADJOINTS = {"backprop": Backprop, "checkpoint": Checkpoint}


def resolve_adjoint(adjoint):
    """An adjoint object from a name in :data:`ADJOINTS` or an instance."""
    if isinstance(adjoint, (Backprop, Checkpoint)):
        return adjoint
    if isinstance(adjoint, str):
        if adjoint in ADJOINTS:
            return ADJOINTS[adjoint]()
        raise NeuralError(f"adjoint={adjoint!r} is not known; valid: "
                          f"{', '.join(map(repr, ADJOINTS))}. Pass e.g. adjoint='checkpoint' "
                          "for the memory-saving option")
    raise NeuralTypeError(f"adjoint={adjoint!r} ({type(adjoint).__name__}) must be a name "
                          f"({', '.join(map(repr, ADJOINTS))}) or neural.Backprop()/"
                          "neural.Checkpoint()")
