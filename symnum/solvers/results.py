"""Return codes of a solve. Each value is the message a user reads, ending in a fix.

Examples
--------
>>> ReturnCode.success.ok
True
>>> "max_steps" in ReturnCode.max_steps_reached.value
True
"""

from __future__ import annotations

import enum

__all__ = ["ReturnCode"]


class ReturnCode(enum.Enum):
    """Outcome of a solve; ``sol.result``. ``.value`` is a user-facing message."""

    success = "The solve reached the end of the time span."
    max_steps_reached = (
        "The maximum number of solver steps was reached. Try increasing `max_steps`, "
        "or use a stiff algorithm (e.g. `sn.CVODE()`) if the problem is stiff."
    )
    dt_underflow = (
        "The step size became too small to make progress (step-size underflow). The "
        "solution may blow up here; check the model and initial condition, or try a "
        "stiff algorithm such as `sn.CVODE()` or `sn.Radau()`."
    )
    nonfinite = (
        "The right-hand side or the state became NaN or infinite. Check the model, "
        "parameters and initial condition; tighten `rtol`/`atol` or try a stiff algorithm."
    )
    solver_failure = (
        "The underlying solver reported a failure (see `sol.stats['message']`). "
        "Try tighter tolerances, another algorithm, or check the model."
    )
    interrupted = (
        "The solve was interrupted before the end of the time span. "
        "Call `sn.solve` again from `sol.t[-1]` to continue."
    )

    @property
    def ok(self) -> bool:
        """True when the solve reached the end of its time span."""
        return self is ReturnCode.success
