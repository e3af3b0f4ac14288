"""``NeuralODE``: a torch module that solves ``dy/dt = f(t, y)`` with symnum's adaptive RK engine.

Examples
--------
>>> import torch, symnum as sn
>>> from symnum import neural
>>> torch.manual_seed(0) and None
>>> class F(torch.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.lin = torch.nn.Linear(2, 2).double()
...     def forward(self, t, y):
...         return self.lin(y)
>>> f = F()
>>> ode = neural.NeuralODE(f, solver=sn.Tsit5(), rtol=1e-6, atol=1e-6,
...                        regularizer=neural.ErrorEstimate(weight=1.0))
>>> ys = ode(torch.ones(4, 2, dtype=torch.float64), torch.linspace(0, 1, 5, dtype=torch.float64))
>>> tuple(ys.shape), ode.stats.nfe == 6 * ode.stats.steps + 2, ode.regularization.requires_grad
((5, 4, 2), True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..solvers.explicit import _ExplicitRK
from ..solvers.explicit import Tsit5
from .adjoint import SolveSpec, resolve_adjoint
from .errors import NeuralError, NeuralTypeError
from .regularizers import Regularizer

__all__ = ["NeuralODE", "NeuralStats"]


@dataclass
class NeuralStats:
    """Counters of the last call.

    ``nfe``: right-hand-side evaluations of the forward solve, ``6 * steps + 2``
    for Tsit5/DP5 (1 for ``f(t0, y0)``, 1 for the automatic first step, 6 per
    step, accepted or rejected); ``steps = accepted + rejected``;
    ``nfe_backward``: evaluations of the checkpointed backward pass (``7 *
    accepted``; 0 for backprop, and before ``backward()`` runs);
    ``nfe_regularization``: extra evaluations of a local regularizer.
    """

    nfe: int
    steps: int
    accepted: int
    rejected: int
    nfe_backward: int = 0
    nfe_regularization: int = 0


class _RegContext:
    """What regularizers read from a solve (internal)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class NeuralODE(torch.nn.Module):
    """Solve ``dy/dt = f(t, y)`` for a ``torch.nn.Module`` ``f``; call with ``(y0, ts)``.

    Parameters
    ----------
    f : torch.nn.Module
        Vector field, called ``f(t, y)`` with ``t`` a 0-d tensor of ``y``'s
        dtype and ``y`` of ``y0``'s shape (the batch is one ODE with one
        shared step size, as in torchdiffeq and OrdinaryDiffEq).
    solver : Tsit5, DP5 or BS3
        An adaptive explicit method of :mod:`symnum.solvers` (default Tsit5).
    rtol, atol : float
        Tolerances (the error norm is one RMS over the whole state).
    adjoint : {"backprop", "checkpoint"} or Backprop() / Checkpoint()
        Discrete adjoint through the solver, or step-wise checkpointing
        (memory-saving, same gradients); see :mod:`symnum.neural.adjoint`.
    regularizer : Regularizer or sequence of them, optional
        ``ode.regularization`` is then the sum of ``weight(iteration) * value``.
    max_steps, dtmax : optional
        Step budget and largest step of one solve.

    Attributes
    ----------
    stats : NeuralStats
        Counters of the last call.
    regularization : torch.Tensor
        Weighted regularizer value of the last call (0-d, with grad; zero
        without regularizer). Add it to the loss.
    iteration : torch.Tensor
        Buffer counting the training-mode calls with grad enabled (the argument
        of the weight schedules); saved in ``state_dict``.
    """

    def __init__(self, f, solver=None, *, rtol: float = 1e-6, atol: float = 1e-6,
                 adjoint="backprop", regularizer=None, max_steps: int = 10_000,
                 dtmax: float = math.inf):
        super().__init__()
        if not isinstance(f, torch.nn.Module):
            raise NeuralTypeError(f"f={f!r} ({type(f).__name__}) is not a torch.nn.Module; "
                                  "wrap the vector field in a module whose forward(t, y) "
                                  "returns dy/dt (its parameters are what gets trained)")
        solver = Tsit5() if solver is None else solver
        if not isinstance(solver, _ExplicitRK) or not solver.adaptive:
            raise NeuralError(f"solver={solver!r} must be an adaptive explicit method of "
                              "symnum; pass solver=sn.Tsit5(), sn.DP5() or sn.BS3()")
        for name, tol in (("rtol", rtol), ("atol", atol)):
            if not (isinstance(tol, (int, float)) and tol > 0 and math.isfinite(tol)):
                raise NeuralError(f"{name}={tol!r} must be a positive finite number; pass e.g. "
                                  f"{name}=1e-6")
        regs = () if regularizer is None else (
            tuple(regularizer) if isinstance(regularizer, (list, tuple)) else (regularizer,))
        for r in regs:
            if not isinstance(r, Regularizer):
                raise NeuralTypeError(f"regularizer={r!r} ({type(r).__name__}) is not a "
                                      "neural regularizer; pass e.g. neural.ErrorEstimate("
                                      "weight=1.0)")
        self.f = f
        self.solver, self.rtol, self.atol = solver, float(rtol), float(atol)
        self.adjoint = resolve_adjoint(adjoint)
        self.regularizers = regs
        self.max_steps, self.dtmax = int(max_steps), float(dtmax)
        self.register_buffer("iteration", torch.zeros((), dtype=torch.long))
        self.stats: NeuralStats | None = None
        self.regularization = torch.zeros(())

    def extra_repr(self):
        return (f"solver={type(self.solver).__name__}, rtol={self.rtol}, atol={self.atol}, "
                f"adjoint={self.adjoint!r}, regularizer={list(self.regularizers)!r}")

    def _rhs(self, t, y):
        return self.f(torch.tensor(t, dtype=y.dtype, device=y.device), y)

    def forward(self, y0: torch.Tensor, ts) -> torch.Tensor:
        """The trajectory at ``ts`` (1-d, monotonic), shape ``(len(ts), *y0.shape)``."""
        if not isinstance(y0, torch.Tensor):
            raise NeuralTypeError(f"y0 must be a torch.Tensor; got {type(y0).__name__}")
        times = np.asarray(ts.detach().cpu().numpy() if isinstance(ts, torch.Tensor) else ts,
                           dtype=float).reshape(-1)
        if times.size < 2 or times[0] == times[-1]:
            raise NeuralError(f"ts={times.tolist()!r} needs at least two times with "
                              "ts[0] != ts[-1]; pass e.g. ts=torch.linspace(0, 1, 10)")
        t0, t1 = float(times[0]), float(times[-1])
        step = int(self.iteration)
        extra = []
        for r in self.regularizers:
            extra += r.extra_times(t0, t1)
        saves = times
        if extra:
            sign = 1.0 if t1 > t0 else -1.0
            saves = np.array(sorted(np.concatenate([times, extra]), key=lambda v: sign * v))
        params = tuple(p for p in self.f.parameters())
        spec = SolveSpec(self._rhs, params, y0, t0, t1, saves, self.solver.method,
                         self.solver.controller, self.rtol, self.atol, self.max_steps,
                         self.dtmax, record=any(r.needs_record for r in self.regularizers),
                         keep_steps=any(r.needs_steps for r in self.regularizers))
        traj = self.adjoint.solve(spec)
        ys = traj.ys
        extra_states = {}
        if extra:
            idx = np.searchsorted(sign * saves, sign * times, side="left")
            # a time in both ts and extra appears twice: np.searchsorted finds the first copy
            extra_idx = [int(np.flatnonzero(saves == v)[-1]) for v in extra]
            extra_states = {v: ys[i] for v, i in zip(extra, extra_idx)}
            ys = ys[torch.as_tensor(idx, device=ys.device)]
        st = traj.stats
        self.stats = _LiveStats(nfe=st["nfev"], steps=st["steps"], accepted=st["accepted"],
                                rejected=st["rejected"], nfe_backward=st.get("nfev_backward", 0),
                                nfe_regularization=0, _source=st)
        reg = y0.new_zeros(())
        if self.regularizers:
            ctx = _RegContext(errors=traj.errors, stiffness=traj.stiffness, step_t=traj.step_t,
                              step_h=traj.step_h, step_y=traj.step_y, extra=extra_states,
                              rhs=self._rhs, method=self.solver.method, rtol=self.rtol,
                              atol=self.atol, t0=t0, t1=t1, nfev=0)
            for r in self.regularizers:
                w = r.weight(step)
                if w != 0.0:
                    reg = reg + w * r.value(ctx)
            self.stats.nfe_regularization = ctx.nfev
        self.regularization = reg
        if self.training and torch.is_grad_enabled():
            self.iteration += 1
        return ys


class _LiveStats(NeuralStats):
    """NeuralStats whose ``nfe_backward`` follows the checkpointed backward pass once it has run."""

    def __init__(self, _source, **kw):
        super().__init__(**kw)
        self._source = _source

    def __getattribute__(self, name):
        if name == "nfe_backward":
            return object.__getattribute__(self, "_source").get("nfev_backward", 0)
        return object.__getattribute__(self, name)

    def __repr__(self):
        return (f"NeuralStats(nfe={self.nfe}, steps={self.steps}, accepted={self.accepted}, "
                f"rejected={self.rejected}, nfe_backward={self.nfe_backward}, "
                f"nfe_regularization={self.nfe_regularization})")
