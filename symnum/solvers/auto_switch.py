"""``AutoSwitch``: explicit first, restarted with a stiff method if that turns out stability-bound.

The start-of-span estimate of :mod:`symnum.solvers.auto` cannot see a problem
that turns stiff later. ``AutoSwitch`` runs the explicit method with a step
budget and its per-step stiffness records (Hairer's ``||k_s - k_{s-1}|| /
||Y_s - Y_{s-1}||``, no extra RHS calls). If the budget runs out and most
recent steps sat near the stability boundary (``h * lambda`` at least half
of Tsit5's 3.5), the whole span is solved again with the stiff algorithm.

Why restart rather than continue from the switch point: a restart keeps
``saveat`` and dense output exactly as the chosen algorithm makes them, and
needs no bookkeeping of step data across methods; the waste is bounded by the
budget (cheap explicit steps). The imperfection: a problem that is non-stiff
but needs more than ``budget`` steps is solved twice when the records are
ambiguous; and the stiffness record sees only the directions the stages
explored, so it can miss a stiff mode that is not excited.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> raw = AutoSwitch().run(f, np.ones(1), (0.0, 1.0), SolveOptions(rtol=1e-8, atol=1e-10))
>>> raw.stats["algorithm"], bool(abs(raw.ys[-1, 0] - np.exp(-1)) < 1e-7)
('Tsit5', True)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import SolverError
from .algorithm import Algorithm, RawSolution, SolveOptions
from .results import ReturnCode

__all__ = ["AutoSwitch", "looks_stability_bound"]

_RECORDS = ("step_t", "step_h", "step_error", "step_stiffness")


def looks_stability_bound(h, stiffness, boundary: float = 3.5) -> bool:
    """True when most of the last half of the steps had ``|h| * lambda >= boundary / 2``.

    An accuracy-bound explicit solve has ``|h lambda|`` well inside the
    stability region (typically below 1); a stability-bound one has the
    controller hovering at the boundary, where rejected and accepted steps
    alternate.

    Examples
    --------
    >>> looks_stability_bound(np.full(10, 1e-3), np.full(10, 3e3))
    True
    >>> looks_stability_bound(np.full(10, 1e-3), np.full(10, 3e2))
    False
    """
    h, lam = np.abs(np.asarray(h, dtype=float)), np.asarray(stiffness, dtype=float)
    if h.size == 0:
        return False
    tail = slice(h.size // 2, None)
    return bool(np.mean(h[tail] * lam[tail] >= 0.5 * boundary) > 0.5)


@dataclass(frozen=True)
class AutoSwitch(Algorithm):
    """Explicit ``Tsit5`` that restarts with a stiff algorithm when it is stability-bound.

    Parameters
    ----------
    nonstiff_alg : Algorithm or None
        Explicit method tried first (default ``Tsit5()``); it must accept
        ``record=True`` (the explicit methods of :mod:`symnum.solvers.explicit` do).
    stiff_alg : Algorithm or None
        Used on restart; ``None`` picks :func:`~symnum.solvers.auto.stiff_algorithm`.
    budget : int
        Steps the explicit method may take before the stiffness check.

    Result ``stats`` add ``algorithm`` (the one whose result is returned) and,
    after a switch, ``switched_from`` and ``wasted_steps``; ``nfev`` counts
    all right-hand-side evaluations, the discarded ones included.

    Examples
    --------
    >>> AutoSwitch(budget=0)
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: AutoSwitch(budget=0) must be a positive integer, e.g. budget=20000
    """

    nonstiff_alg: Algorithm | None = None
    stiff_alg: Algorithm | None = None
    budget: int = 20_000

    name: ClassVar[str] = "AutoSwitch"
    stiff: ClassVar[bool] = False

    def __post_init__(self):
        if not isinstance(self.budget, int) or isinstance(self.budget, bool) or self.budget < 1:
            raise SolverError(f"AutoSwitch(budget={self.budget!r}) must be a positive integer, "
                              "e.g. budget=20000")
        for field in ("nonstiff_alg", "stiff_alg"):
            alg = getattr(self, field)
            if alg is not None and not isinstance(alg, Algorithm):
                raise SolverError(f"AutoSwitch({field}={alg!r}) must be a symnum algorithm "
                                  "instance such as sn.Tsit5() or sn.CVODE()")

    def run(self, functions, y0, tspan, options: SolveOptions) -> RawSolution:
        """Run the explicit method, then the stiff one if the explicit one was stability-bound."""
        from .explicit import Tsit5

        first = self.nonstiff_alg if self.nonstiff_alg is not None else Tsit5()
        if not hasattr(first, "record"):
            raise SolverError(f"AutoSwitch(nonstiff_alg={first!r}) needs an explicit method "
                              "with per-step stiffness records, e.g. sn.Tsit5()")
        budget = min(options.max_steps, self.budget)
        raw = dataclasses.replace(first, record=True).run(
            functions, y0, tspan, dataclasses.replace(options, max_steps=budget))
        stats = {k: v for k, v in raw.stats.items() if k not in _RECORDS}
        if raw.result is not ReturnCode.max_steps_reached:
            return dataclasses.replace(raw, stats=dict(stats, algorithm=first.name))
        used, wasted_nfev = int(stats.get("steps", budget)), int(stats.get("nfev", 0))
        if looks_stability_bound(raw.stats.get("step_h", ()), raw.stats.get("step_stiffness", ())):
            from .auto import stiff_algorithm

            second = self.stiff_alg if self.stiff_alg is not None else \
                stiff_algorithm(functions, options)
        elif budget < options.max_steps:
            second = first      # not stiff, only long: run it with the full budget
        else:
            return dataclasses.replace(raw, stats=dict(stats, algorithm=first.name))
        remaining = max(1, options.max_steps - used)
        raw2 = second.run(functions, y0, tspan, dataclasses.replace(options, max_steps=remaining))
        stats2 = dict(raw2.stats, algorithm=second.name, switched_from=first.name,
                      wasted_steps=used)
        stats2["nfev"] = int(stats2.get("nfev", 0)) + wasted_nfev
        return dataclasses.replace(raw2, stats=stats2)
