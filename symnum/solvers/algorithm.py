"""Algorithm objects and the raw result they return to :func:`symnum.solve`.

An algorithm is a small frozen dataclass (``sn.Tsit5()``, ``sn.CVODE()``)
whose :meth:`Algorithm.run` integrates an :class:`~symnum.solvers.functions.ODEFunctions`.
Every keyword in :class:`SolveOptions` means the same for every algorithm.

Examples
--------
>>> opts = SolveOptions(rtol=1e-6, atol=1e-8)
>>> opts.max_steps
100000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from .results import ReturnCode

__all__ = ["Algorithm", "SolveOptions", "RawSolution"]


@dataclass(frozen=True)
class SolveOptions:
    """Uniform solve keywords.

    Attributes
    ----------
    rtol, atol : float
        Relative and absolute tolerances of the local error estimate.
    saveat : numpy.ndarray or None
        Times at which to return the state (sorted, inside the time span).
        ``None`` returns the state at every accepted step.
    dt0 : float or None
        First step; ``None`` chooses it automatically.
    dtmax : float
        Largest allowed step.
    max_steps : int
        Bound on the number of steps (accepted + rejected).
    dense : bool
        Keep dense output so that ``sol(t=...)`` interpolates at solver order.
    extra : dict
        Algorithm-specific keywords are *fields of the algorithm object*, never
        here; this is reserved for internal hints and must stay empty for users.
    """

    rtol: float = 1e-6
    atol: float = 1e-8
    saveat: np.ndarray | None = None
    dt0: float | None = None
    dtmax: float = float("inf")
    max_steps: int = 100_000
    dense: bool = True
    extra: dict = field(default_factory=dict)


@dataclass
class RawSolution:
    """What an algorithm hands back; :func:`symnum.solve` wraps it in a ``Solution``.

    ``ts`` (nt,), ``ys`` (nt, n); ``stats`` has at least ``steps``, ``accepted``,
    ``rejected``, ``nfev`` (RHS evaluations) and ``njev`` (Jacobian evaluations);
    ``interpolant(t_array) -> (len, n)`` is a dense output valid on
    ``[ts[0], t_last]`` or None (then ``Solution`` interpolates linearly).
    """

    ts: np.ndarray
    ys: np.ndarray
    stats: dict
    result: ReturnCode
    interpolant: Callable[[np.ndarray], np.ndarray] | None = None
    message: str = ""


class Algorithm:
    """Base class of solver algorithms (subclasses are frozen dataclasses).

    Subclasses set ``name``, ``stiff`` (whether it handles stiff problems) and
    implement :meth:`run`.
    """

    name: ClassVar[str] = "algorithm"
    stiff: ClassVar[bool] = False

    @staticmethod
    def check_inputs(functions: Any, y0, tspan) -> tuple[np.ndarray, float, float]:
        """Validate the state and time span every algorithm receives.

        Returns ``(y0 as a contiguous float array, t0, t1)``.
        """
        from ..errors import SolverError

        y0 = np.array(y0, dtype=float)  # a private copy: loops may update it in place
        t0, t1 = float(tspan[0]), float(tspan[1])
        if y0.shape != (functions.n,):
            raise SolverError(f"y0 has shape {y0.shape} but the problem has n={functions.n} "
                              "unknowns; pass a flat state of that length")
        if not (np.isfinite(t0) and np.isfinite(t1)) or t1 == t0:
            raise SolverError(f"tspan={tuple(tspan)!r} must be two different finite times; "
                              "pass (t0, t1) with t1 != t0 (t1 < t0 integrates backwards)")
        return y0, t0, t1

    def run(self, functions: Any, y0: np.ndarray, tspan: tuple[float, float],
            options: SolveOptions) -> RawSolution:  # pragma: no cover - abstract
        raise NotImplementedError
