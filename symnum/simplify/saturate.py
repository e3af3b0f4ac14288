"""The bounded equality-saturation loop and its :class:`Report`.

AC and distribution rules never saturate on real inputs, so every run is
bounded by iterations, e-graph size (rows over all tables) and wall time,
checked after each iteration. egglog's BackOff scheduler additionally bans a
rule for a few iterations once it matches too often, so the cheap rules keep
running while commutativity and associativity are throttled (the scheduler is
scoped to one iteration, so a ban does not outlive it: a heuristic, not a
bound). One iteration can
overshoot the size limit; the limit is checked, not enforced inside egglog, so the loop
also stops ("node limit") when the next iteration, growing by the factor of the last
one, would pass it.

Examples
--------
>>> r = Report("saturated", 3, 120, 0.01, 10.0, 7.0)
>>> r.stop_reason
'saturated'
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from egglog import back_off, run

from .rules import DOMAIN

__all__ = ["Report", "saturate", "egraph_size", "CHEAP_ROUNDS"]

#: Rounds of the analysis and the cheap rules (folding, sign normalisation) per iteration.
CHEAP_ROUNDS = 4


@dataclass
class Report:
    """What a :func:`~symnum.simplify.simplify` call did.

    Attributes
    ----------
    stop_reason : str
        ``"saturated"``, ``"iteration limit"``, ``"node limit"`` or ``"time limit"``.
    iterations : int
    egraph_size : int
        Rows in the e-graph when the loop stopped.
    seconds : float
        Wall time of the whole call.
    cost_before, cost_after : float
        Cost of the input and of the returned expression under the chosen model.
    accepted : bool
        False when the input is returned (no cheaper form, or the numerical check failed).
    message : str
    """

    stop_reason: str
    iterations: int
    egraph_size: int
    seconds: float
    cost_before: float
    cost_after: float
    accepted: bool = True
    message: str = ""


def egraph_size(egraph) -> int:
    return sum(size for _, size in egraph.all_function_sizes())


def saturate(egraph, rules, *, max_iters: int, node_limit: int, time_limit: float,
             cheap=None, match_limit: int = 1000, ban_length: int = 2) -> tuple[str, int, int]:
    """Run ``rules`` one iteration at a time; return ``(stop_reason, iterations, size)``.

    Each iteration first runs the domain analysis and the ``cheap`` ruleset (folding and sign
    normalisation, which terminate) to a fixpoint, then one BackOff-scheduled pass of ``rules``.
    """
    t0 = time.perf_counter()
    bo = back_off(match_limit=match_limit, ban_length=ban_length)
    # bounded repetition, not .saturate(): a rule set that cycles through new terms would
    # otherwise never return (and egglog cannot be interrupted inside one run)
    first = run(DOMAIN) * CHEAP_ROUNDS
    if cheap is not None:
        first = (run(DOMAIN) + run(cheap, scheduler=bo)) * CHEAP_ROUNDS
    step = bo.scope(first + run(rules, scheduler=bo))
    size = egraph_size(egraph)
    if max_iters <= 0:
        return "iteration limit", 0, size
    prev = size
    for it in range(1, max_iters + 1):
        report = egraph.run(step)
        size = egraph_size(egraph)
        if not report.updated:
            return "saturated", it, size
        # stop at the limit, or when the next iteration, growing as this one did, would pass it
        if size > node_limit or size * size > node_limit * max(prev, 1):
            return "node limit", it, size
        prev = size
        if time.perf_counter() - t0 > time_limit:
            return "time limit", it, size
    return "iteration limit", max_iters, size
