"""Explicit adaptive Runge--Kutta algorithms: ``Tsit5``, ``DP5``, ``BS3``.

Each is a frozen dataclass binding one method of :mod:`symnum.solvers.methods`
to the stepping loop. :meth:`run` uses the compiled numba driver
(:mod:`symnum.solvers.numba_driver`) when the problem has a numba right-hand
side (``functions.numba_rhs``), and the array-generic Python engine
(:mod:`symnum.solvers.engine`) otherwise; both take the same steps.

Saving and dense output follow OrdinaryDiffEq: with ``saveat=None`` every
accepted step is returned and the dense output of every step is kept (for
``sol(t)``); with ``saveat`` only those times are returned (computed from the
dense output of the step that contains them) and no step data is kept, so
memory stays at the saved states. Then ``interpolant`` is None and
:class:`~symnum.solvers.solution.Solution` interpolates linearly between them.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> raw = Tsit5().run(f, np.ones(1), (0.0, 1.0), SolveOptions(rtol=1e-10, atol=1e-12))
>>> bool(abs(raw.ys[-1, 0] - np.exp(-1)) < 1e-9), raw.result.name, raw.stats["njev"]
(True, 'success', 0)
>>> bool(abs(raw.interpolant(np.array([0.5]))[0, 0] - np.exp(-0.5)) < 1e-9)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import SolverError
from .algorithm import Algorithm, RawSolution, SolveOptions
from .controller import PIController
from .cvode_support import saveat_times
from .dense import DenseOutput
from .engine import fixed_steps, integrate
from .methods import bs3, dp5, tsit5
from .results import ReturnCode
from .tableau import RKMethod

__all__ = ["Tsit5", "DP5", "BS3"]


@dataclass(frozen=True)
class _ExplicitRK(Algorithm):
    """Shared fields and ``run`` of the explicit methods; subclasses set ``method``."""

    adaptive: bool = True
    dt: float | None = None
    controller: PIController | None = None
    compiled: bool = True
    record: bool = False

    method: ClassVar[RKMethod]
    stiff: ClassVar[bool] = False

    def __post_init__(self):
        cls = type(self).__name__
        if self.adaptive and self.dt is not None:
            raise SolverError(f"{cls}(dt={self.dt!r}) sets a fixed step but adaptive=True; pass "
                              f"{cls}(adaptive=False, dt={self.dt!r}) for fixed steps, or "
                              "dt0= to sn.solve for the first adaptive step")
        if not self.adaptive and not (isinstance(self.dt, (int, float)) and self.dt > 0
                                      and math.isfinite(self.dt)):
            raise SolverError(f"{cls}(adaptive=False) needs a positive step dt; got "
                              f"dt={self.dt!r}. Pass e.g. {cls}(adaptive=False, dt=0.01)")
        if self.controller is not None and not isinstance(self.controller, PIController):
            raise SolverError(f"controller must be a PIController; got {self.controller!r} "
                              f"({type(self.controller).__name__}). Pass e.g. "
                              "PIController(beta1=0.14, beta2=0.08)")

    def run(self, functions, y0, tspan, options: SolveOptions) -> RawSolution:
        """Integrate ``functions`` over ``tspan`` (``t1 < t0`` integrates backwards).

        Runtime failures (``max_steps_reached``, ``dt_underflow``, ``nonfinite``)
        are returned in ``RawSolution.result`` with the states saved so far;
        bad arguments raise :class:`~symnum.errors.SolverError`.
        """
        y0, t0, t1 = self.check_inputs(functions, y0, tspan)
        saves = saveat_times(options.saveat, t0, t1)
        nfixed = 0 if self.adaptive else fixed_steps(t0, t1, float(self.dt))
        common = dict(rtol=options.rtol, atol=options.atol, saveat=saves, dt0=options.dt0,
                      dtmax=options.dtmax, max_steps=options.max_steps, adaptive=self.adaptive,
                      controller=self.controller, dense=options.dense, record=self.record)
        if self.compiled and functions.numba_rhs is not None:
            from .numba_driver import STATUS, solve_compiled  # numba only when used

            out = solve_compiled(functions.numba_rhs, functions.params, y0, t0, t1, self.method,
                                 nfixed=nfixed, **common)
            ts, ys, stats, records = out["ts"], out["ys"], out["stats"], out["records"]
            result = ReturnCode[STATUS[out["status"]]]
            dense = DenseOutput(*out["dense"]) if out["dense"] is not None else None
        else:
            with np.errstate(all="ignore"):  # overflow/NaN is reported in result, not warned
                res = integrate(functions.rhs, y0, t0, t1, self.method,
                                dt=None if self.adaptive else self.dt, **common)
            ts, ys, stats, records, result, dense = (res.ts, res.ys, res.stats, res.records,
                                                     res.result, res.dense)
        stats = dict(stats, compiled=bool(self.compiled and functions.numba_rhs is not None))
        if records is not None:
            stats.update(step_t=records["t"], step_h=records["h"],
                         step_error=records["error"], step_stiffness=records["stiffness"])
        message = "" if result.ok else (f"{type(self).__name__} stopped at "
                                        f"t={ts[-1] if len(ts) else t0:g} of {t1:g}")
        return RawSolution(ts=np.asarray(ts), ys=np.asarray(ys).reshape(len(ts), functions.n),
                           stats=stats, result=result, interpolant=dense, message=message)


@dataclass(frozen=True)
class Tsit5(_ExplicitRK):
    """Tsitouras 5(4), the default explicit method (OrdinaryDiffEq's ``Tsit5``).

    Order 5, 7 stages (6 right-hand-side evaluations per step: FSAL), embedded
    order 4, free dense output of order 4.
    Reference: Ch. Tsitouras, Comput. Math. Appl. 62 (2011) 770--775.

    Parameters
    ----------
    adaptive : bool
        ``False`` takes equal steps of at most ``dt`` (no error control).
    dt : float, optional
        Fixed step, only with ``adaptive=False`` (shrunk so equal steps span ``tspan``).
    controller : PIController, optional
        Step-size controller constants; default ``method.controller``.
    compiled : bool
        Use the compiled numba loop when the problem has a numba right-hand side.
    record : bool
        Return the per-step scaled error and stiffness estimates in
        ``stats["step_error"]``, ``stats["step_stiffness"]`` (with
        ``stats["step_t"]``, ``stats["step_h"]``).

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.functions import ODEFunctions
    >>> from symnum.solvers.algorithm import SolveOptions
    >>> f = ODEFunctions(n=2, rhs=lambda t, y: np.array([y[1], -y[0]]))  # y = (cos t, -sin t)
    >>> raw = Tsit5().run(f, np.array([1.0, 0.0]), (0.0, np.pi), SolveOptions(rtol=1e-9, atol=1e-9))
    >>> bool(np.allclose(raw.ys[-1], [-1.0, 0.0], atol=1e-7)), raw.result.name
    (True, 'success')
    >>> Tsit5.method.order, Tsit5.method.tableau.stages, Tsit5(adaptive=False, dt=0.1).dt
    (5, 7, 0.1)
    """

    method: ClassVar[RKMethod] = tsit5.METHOD
    name: ClassVar[str] = "Tsit5"


@dataclass(frozen=True)
class DP5(_ExplicitRK):
    """Dormand--Prince 5(4) with Shampine's dense output (MATLAB ``ode45``, SciPy ``RK45``).

    Order 5, 7 stages (6 right-hand-side evaluations per step: FSAL), embedded
    order 4, dense output of order 4.
    References: J. R. Dormand and P. J. Prince, J. Comput. Appl. Math. 6 (1980)
    19--26; L. F. Shampine, Math. Comp. 46 (1986) 135--150.

    Parameters are those of :class:`Tsit5`.

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.functions import ODEFunctions
    >>> from symnum.solvers.algorithm import SolveOptions
    >>> f = ODEFunctions(n=1, rhs=lambda t, y: np.cos(t) * y)  # y = exp(sin t)
    >>> raw = DP5().run(f, np.ones(1), (0.0, 3.0), SolveOptions(rtol=1e-9, atol=1e-9))
    >>> bool(abs(raw.ys[-1, 0] - np.exp(np.sin(3.0))) < 1e-7)
    True
    >>> DP5.method.order, DP5.method.embedded_order, DP5.method.tableau.fsal
    (5, 4, True)
    """

    method: ClassVar[RKMethod] = dp5.METHOD
    name: ClassVar[str] = "DP5"


@dataclass(frozen=True)
class BS3(_ExplicitRK):
    """Bogacki--Shampine 3(2) with cubic Hermite dense output (MATLAB ``ode23``, SciPy ``RK23``).

    Order 3, 4 stages (3 right-hand-side evaluations per step: FSAL), embedded
    order 2, dense output of order 3. Cheap steps for loose tolerances.
    Reference: P. Bogacki and L. F. Shampine, Appl. Math. Lett. 2 (1989) 321--325.

    Parameters are those of :class:`Tsit5`.

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.functions import ODEFunctions
    >>> from symnum.solvers.algorithm import SolveOptions
    >>> f = ODEFunctions(n=1, rhs=lambda t, y: -2.0 * t * y)  # y = exp(-t^2)
    >>> raw = BS3().run(f, np.ones(1), (0.0, 2.0), SolveOptions(rtol=1e-6, atol=1e-9))
    >>> bool(abs(raw.ys[-1, 0] - np.exp(-4.0)) < 1e-5), raw.stats["rejected"] >= 0
    (True, True)
    >>> BS3.method.order, BS3.method.tableau.stages
    (3, 4)
    """

    method: ClassVar[RKMethod] = bs3.METHOD
    name: ClassVar[str] = "BS3"
