"""SciPy's stiff integrators (``BDF``, ``Radau``, ``LSODA``) as symnum algorithms.

Each runs the ``OdeSolver`` loop of :func:`scipy.integrate.solve_ivp`, passing
the exact Jacobian (``functions.jac``, sparse with a fixed pattern) or, when only the pattern is
known, ``jac_sparsity`` so SciPy groups its finite-difference columns. LSODA
takes dense Jacobians only, so a sparse ``jac`` is densified for it (small
systems) and left to LSODA's own differencing for large ones.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> raw = Radau().run(f, np.ones(1), (0.0, 1.0), SolveOptions(rtol=1e-10, atol=1e-12))
>>> bool(abs(raw.ys[-1, 0] - np.exp(-1)) < 1e-9), raw.result.name
(True, 'success')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sps

from .algorithm import Algorithm, RawSolution, SolveOptions
from .cvode_support import saveat_times
from .results import ReturnCode

__all__ = ["BDF", "Radau", "LSODA"]

#: LSODA needs a dense Jacobian; above this size its own differencing is cheaper.
LSODA_DENSE_JAC_MAX = 2000


class _SciPyMethod(Algorithm):
    """Shared ``run`` for the ``solve_ivp`` wrappers; subclasses set ``name``."""

    stiff: ClassVar[bool] = True

    def _jacobian_kwargs(self, functions) -> dict:
        if functions.jac is not None:
            return {"jac": functions.jac}
        if functions.jac_sparsity is not None:
            return {"jac_sparsity": functions.jac_sparsity}
        return {}

    def run(self, functions, y0, tspan, options: SolveOptions) -> RawSolution:
        """Integrate with SciPy's ``OdeSolver`` for this method; failures go into ``result``.

        The loop is the one :func:`scipy.integrate.solve_ivp` runs, driven here
        so that ``max_steps`` can stop it and the per-step dense output serves
        ``saveat`` and the interpolant.
        """
        import scipy.integrate as si

        y0, t0, t1 = self.check_inputs(functions, y0, tspan)
        saves = saveat_times(options.saveat, t0, t1)
        rhs, nfev = functions.rhs, [0]

        def fun(t, y):
            nfev[0] += 1
            return rhs(t, y)

        kwargs = dict(rtol=options.rtol, atol=options.atol)
        kwargs.update(self._jacobian_kwargs(functions))
        if options.dt0:
            kwargs["first_step"] = abs(float(options.dt0))
        if math.isfinite(options.dtmax):
            kwargs["max_step"] = float(options.dtmax)
        solver = getattr(si, self.name)(fun, t0, y0, t1, **kwargs)
        sign = 1.0 if t1 > t0 else -1.0
        ts, ys, k = [], [], 0
        if saves is None:
            ts.append(t0)
            ys.append(y0.copy())
        interpolants, breaks = [], [t0]
        steps, result, message = 0, ReturnCode.success, ""
        while solver.status == "running":
            if steps >= options.max_steps:
                result = ReturnCode.max_steps_reached
                message = f"stopped at t={solver.t} after max_steps={options.max_steps} steps"
                break
            with np.errstate(all="ignore"):
                msg = solver.step()
            if solver.status == "failed":
                result, message = _result_code(msg, functions, solver.t, solver.y), msg
                break
            steps += 1
            if saves is None:
                ts.append(solver.t)
                ys.append(solver.y.copy())
            dense = None
            if options.dense or (saves is not None and k < len(saves)):
                dense = solver.dense_output()
            if saves is not None:
                j = k
                while j < len(saves) and sign * (solver.t - saves[j]) >= 0:
                    j += 1
                if j > k:
                    ts.extend(saves[k:j])
                    ys.extend(np.atleast_2d(dense(saves[k:j]).T))
                    k = j
            if options.dense:
                interpolants.append(dense)
                breaks.append(solver.t)
        stats = {"steps": steps, "accepted": steps, "rejected": None, "nfev": nfev[0],
                 "njev": int(solver.njev), "nlu": int(solver.nlu)}
        interp = None
        if options.dense and interpolants:
            sol = si.OdeSolution(np.asarray(breaks), interpolants)
            interp = _dense(sol, functions.n)
        ys_arr = np.asarray(ys, dtype=float).reshape(len(ts), functions.n)
        return RawSolution(np.asarray(ts, dtype=float), ys_arr, stats, result,
                           interpolant=interp, message=message)


def _dense(sol, n):
    def interpolate(tq):
        return np.asarray(sol(np.asarray(tq, dtype=float)), dtype=float).reshape(n, -1).T
    return interpolate


def _result_code(message, functions, t, y) -> ReturnCode:
    msg = str(message).lower()
    with np.errstate(all="ignore"):
        if not (np.all(np.isfinite(y)) and np.all(np.isfinite(functions.rhs(t, y)))):
            return ReturnCode.nonfinite
    if "step size" in msg or "too small" in msg:
        return ReturnCode.dt_underflow
    return ReturnCode.solver_failure


@dataclass(frozen=True)
class BDF(_SciPyMethod):
    """SciPy's variable-order (1-5) BDF in quasi-constant-step NDF form.

    Implicit, L-stable at order 1-2; Newton iteration with the exact sparse
    Jacobian (LU by SuperLU) when ``functions.jac`` is set. Dense output is the
    backward-difference interpolant. Reference: Shampine & Reichelt, "The
    MATLAB ODE Suite", SIAM J. Sci. Comput. 18 (1997).

    Examples
    --------
    >>> BDF().name, BDF.stiff
    ('BDF', True)
    """

    name: ClassVar[str] = "BDF"


@dataclass(frozen=True)
class Radau(_SciPyMethod):
    """Radau IIA, 3 stages, order 5 (embedded error estimate of order 3), L-stable.

    Dense output: the collocation polynomial (order 3). Reference: Hairer &
    Wanner, "Solving Ordinary Differential Equations II", Sec. IV.8.

    Examples
    --------
    >>> Radau().name
    'Radau'
    """

    name: ClassVar[str] = "Radau"


@dataclass(frozen=True)
class LSODA(_SciPyMethod):
    """ODEPACK LSODA: Adams (nonstiff) / BDF (stiff) with automatic switching.

    LSODA accepts a dense Jacobian only: a sparse ``functions.jac`` is densified
    for systems up to ``LSODA_DENSE_JAC_MAX`` unknowns and otherwise left to
    LSODA's own finite differences. Reference: Petzold, SIAM J. Sci. Stat.
    Comput. 4 (1983).

    Examples
    --------
    >>> LSODA().name
    'LSODA'
    """

    name: ClassVar[str] = "LSODA"

    def _jacobian_kwargs(self, functions) -> dict:
        if functions.jac is None or functions.n > LSODA_DENSE_JAC_MAX:
            return {}
        jac = functions.jac

        def dense_jac(t, y):
            J = jac(t, y)
            return J.toarray() if sps.issparse(J) else np.asarray(J)
        return {"jac": dense_jac}
