"""Regularizers built from the adaptive solver's own heuristics (ERNODE, SRNODE, local ERNODE).

All three cost no extra right-hand-side evaluations in the main solve; the
local one adds one solver step (7 evaluations for ``policy="consistent"``, 8
for ``"faithful"``), counted in ``stats.nfe_regularization``.

* :class:`ErrorEstimate` (ERNODE, Pal et al. 2021): ``mean_j EEst_j |dt_j|``
  over the accepted steps ``j`` (the mean as in the authors' code; the paper
  writes the sum, which only rescales the weight by the number of steps:
  pass ``aggregate="sum"``). ``EEst_j`` is the tolerance-scaled RMS error
  norm the controller keeps below 1, differentiated through all stages and the
  tolerance scale; ``dt_j`` is a constant.
* :class:`Stiffness` (SRNODE): ``max_j`` of the stiffness estimate
  ``||k_7 - k_6|| / ||Y_7 - Y_6||`` (no ``dt`` factor, as in the code). The
  paper divides by the stability-region size (3.5068 for Tsit5): fold it into
  the weight (``weight=0.1 / 3.5068`` reproduces the MNIST setting).
* :class:`LocalErrorEstimate` (Pal et al. 2023): the error estimate of ONE
  step taken from a randomly drawn time ``t_reg`` of the trajectory, whose
  state is detached, so the regularizer never back-propagates through the
  trajectory and composes with any adjoint. ``sampling="unbiased"`` draws
  ``t_reg ~ U[t0, t1)`` (one extra save time of the main solve);
  ``"biased"`` draws uniformly among the start times of the accepted steps
  (where the solver works hardest). Two detach policies
  (``research/neural_reg.md`` section 6):

  - ``policy="consistent"`` (V3, the default): ``k1 = f(t_reg, u_reg)`` is
    recomputed with gradient and ``dt`` is the solver's own accepted step
    containing ``t_reg`` (clipped to ``t1 - t_reg``); the method is the
    solver's. Its gradient is the true gradient of ``EEst dt`` of that
    step w.r.t. the parameters, and with biased sampling its value is exactly
    one uniformly drawn term of :class:`ErrorEstimate`. In the pilot it
    matched global ERNODE (NFE 0.37x).
  - ``policy="faithful"`` (V1, the official code): ``k1`` and ``dt`` are
    constants, ``dt`` is Hairer's *initial* step from ``(t_reg, u_reg)``
    and the step is always Tsit5. Because ``k1`` is frozen, the cancellation
    ``sum btilde_i = 0`` is lost in the gradient, which is then dominated by
    ``-btilde_1 dt df/dtheta`` rather than by the gradient of the value; use
    it to reproduce the paper (weights 2.5 -> 1.0), not for speed.

  Under both policies the value has no gradient w.r.t. ``y0`` (or anything
  upstream of the ODE); only the vector field's parameters receive one.

Examples
--------
>>> ErrorEstimate(weight=100.0).weight(0)
100.0
>>> LocalErrorEstimate(sampling="random")
Traceback (most recent call last):
...
symnum.neural.errors.NeuralError: sampling='random' is not known; valid: 'unbiased', 'biased'. Pass e.g. LocalErrorEstimate(sampling='unbiased')
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..solvers.engine import initial_step, rk_step
from ..solvers.methods import tsit5
from .errors import NeuralError
from .schedules import as_schedule

__all__ = ["Regularizer", "ErrorEstimate", "Stiffness", "LocalErrorEstimate", "SAMPLINGS",
           "POLICIES"]

SAMPLINGS = ("unbiased", "biased")
POLICIES = ("consistent", "faithful")
_AGGREGATES = ("mean", "sum", "max")


def _check_choice(name, value, valid, example):
    if value not in valid:
        raise NeuralError(f"{name}={value!r} is not known; valid: "
                          f"{', '.join(map(repr, valid))}. Pass e.g. {example}")


def _aggregate(values, how):
    if values.numel() == 0:
        return values.sum()
    return {"mean": values.mean, "sum": values.sum, "max": values.max}[how]()


class Regularizer:
    """Base class: ``weight`` (a schedule of the iteration) times :meth:`value`.

    Subclasses say what the solve must keep (``needs_record``, ``needs_steps``)
    and may ask for extra save times (:meth:`extra_times`).
    """

    needs_record = False
    needs_steps = False

    def __init__(self, weight=1.0):
        self.weight = as_schedule(weight)

    def extra_times(self, t0: float, t1: float, generator=None) -> list:
        """Save times the main solve must add (removed again from the output)."""
        return []

    def value(self, ctx) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError


class ErrorEstimate(Regularizer):
    """ERNODE: aggregate of ``EEst_j |dt_j|`` over the accepted steps (``"mean"`` default, or ``"sum"``).

    Examples
    --------
    >>> ErrorEstimate(weight=1.0, aggregate="sum").aggregate
    'sum'
    """

    needs_record = True

    def __init__(self, weight=1.0, aggregate: str = "mean"):
        super().__init__(weight)
        _check_choice("aggregate", aggregate, ("mean", "sum"), "aggregate='mean'")
        self.aggregate = aggregate

    def __repr__(self):
        return f"ErrorEstimate(weight={self.weight!r}, aggregate={self.aggregate!r})"

    def value(self, ctx):
        h = torch.as_tensor(np.abs(ctx.step_h), dtype=ctx.errors.dtype, device=ctx.errors.device)
        return _aggregate(ctx.errors * h, self.aggregate)


class Stiffness(Regularizer):
    """SRNODE: aggregate (``"max"`` default, ``"mean"``, ``"sum"``) of the per-step stiffness estimate.

    Examples
    --------
    >>> Stiffness(weight=0.1 / 3.5068).aggregate
    'max'
    """

    needs_record = True

    def __init__(self, weight=1.0, aggregate: str = "max"):
        super().__init__(weight)
        _check_choice("aggregate", aggregate, _AGGREGATES, "aggregate='max'")
        self.aggregate = aggregate

    def __repr__(self):
        return f"Stiffness(weight={self.weight!r}, aggregate={self.aggregate!r})"

    def value(self, ctx):
        return _aggregate(ctx.stiffness, self.aggregate)


class LocalErrorEstimate(Regularizer):
    """Local ERNODE: ``EEst dt`` of one solver step from a random time (see the module docstring).

    Parameters
    ----------
    weight : float or Schedule
    sampling : {"unbiased", "biased"}
    policy : {"consistent", "faithful"}
        V3 (default) or V1 of ``research/neural_reg.md``.
    generator : torch.Generator, optional
        Source of the random time; default torch's global generator (so
        ``torch.manual_seed`` and the training checkpoints make it reproducible).

    Examples
    --------
    >>> LocalErrorEstimate(sampling="biased").policy
    'consistent'
    """

    def __init__(self, weight=1.0, sampling: str = "unbiased", policy: str = "consistent",
                 generator=None):
        super().__init__(weight)
        _check_choice("sampling", sampling, SAMPLINGS, "LocalErrorEstimate(sampling='unbiased')")
        _check_choice("policy", policy, POLICIES, "LocalErrorEstimate(policy='consistent')")
        self.sampling, self.policy, self.generator = sampling, policy, generator
        self.needs_steps = sampling == "biased"
        self._t_reg = None

    def __repr__(self):
        return (f"LocalErrorEstimate(weight={self.weight!r}, sampling={self.sampling!r}, "
                f"policy={self.policy!r})")

    def _uniform(self) -> float:
        return float(torch.rand((), generator=self.generator, dtype=torch.float64))

    def extra_times(self, t0, t1, generator=None):
        if self.sampling != "unbiased":
            return []
        self._t_reg = t0 + self._uniform() * (t1 - t0)
        return [self._t_reg]

    def value(self, ctx):
        t1 = ctx.t1
        direction = 1.0 if t1 > ctx.t0 else -1.0
        if self.sampling == "unbiased":
            t_reg = self._t_reg
            u = ctx.extra[t_reg].detach()
            j = int(np.searchsorted(direction * ctx.step_t, direction * t_reg, side="right")) - 1
            j = min(max(j, 0), len(ctx.step_t) - 1)
        else:
            j = min(int(self._uniform() * len(ctx.step_t)), len(ctx.step_t) - 1)
            t_reg, u = float(ctx.step_t[j]), ctx.step_y[j].detach()
        room = abs(t1 - t_reg)
        if room <= 0.0:
            return u.new_zeros(())
        if self.policy == "consistent":
            dt = direction * min(abs(float(ctx.step_h[j])), room)
            out = rk_step(ctx.rhs, t_reg, u, dt, ctx.method, rtol=ctx.rtol, atol=ctx.atol)
            ctx.nfev += out.nfev
        else:
            with torch.no_grad():
                k1 = ctx.rhs(t_reg, u)
                dt = direction * initial_step(ctx.rhs, t_reg, u, k1, direction, 5, ctx.rtol,
                                              ctx.atol, math.inf, room)
            out = rk_step(ctx.rhs, t_reg, u, dt, tsit5.METHOD, rtol=ctx.rtol, atol=ctx.atol,
                          k1=k1)
            ctx.nfev += out.nfev + 2
        return out.error * abs(dt)
