"""The round trip: solve discovered equations and score them on held-back data.

``to_system`` turns discovered equations plus measurements into an
``sn.ODESystem`` / ``sn.PDESystem`` (domain, time span and grid from the data);
``roundtrip_error`` solves it from the first held-back snapshot and returns the
relative L2 error against the rest, ``sqrt(sum((u_hat - u)^2) / sum(u^2))`` over
all fields and samples.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import DataError

__all__ = ["to_system", "solve_like", "roundtrip_error"]


def _first(meas, name):
    """The field at the first time, as an array over the space axes (axis order of ``meas.space``)."""
    return np.take(meas.values[name], 0, axis=meas.time_axis)


def _time_first(meas, name):
    return np.moveaxis(meas.values[name], meas.time_axis, 0)


def _grid_domain(meas, periodic):
    domain = {}
    for ax in meas.space:
        c = meas.coords[ax]
        if len(c) < 3:
            raise DataError(f"axis {ax} has {len(c)} points; a solve needs at least 3.")
        h = meas.spacing(ax)  # raises DataError on a non-uniform axis
        domain[ax] = (float(c[0]), float(c[-1] + h) if periodic[ax] else float(c[-1]))
    return domain


def to_system(equations, meas, *, boundary=None, parameters=None):
    """A model of ``equations`` on the domain, time span and grid of ``meas``.

    ODEs start from the first sample. PDEs get ``boundary`` (default: periodic
    in every space axis) and a placeholder initial condition: the solve takes its
    initial state from the data (see :func:`roundtrip_error`).

    Returns ``(system, method)``: ``method`` is the ``sn.FiniteDifference`` on the
    measurement grid (``None`` for an ODE).
    """
    from ..discretize import FiniteDifference
    from ..model import ODESystem, PDESystem, Periodic

    if not meas.gridded:
        raise DataError("the round trip needs gridded measurements; got scattered points. "
                        "Interpolate them to a grid first.")
    times = meas.coords[meas.t]
    tspan = (float(times[0]), float(times[-1]))
    if meas.is_ode:
        initial = {meas.applied[n].subs(meas.t, tspan[0]): float(_first(meas, n))
                   for n in meas.names}
        return ODESystem(equations, initial=initial, parameters=parameters, tspan=tspan,
                         t=meas.t), None
    boundary = list(boundary) if boundary is not None else [Periodic(ax) for ax in meas.space]
    periodic = {ax: any(isinstance(b, Periodic) and b.axis == ax for b in boundary)
                for ax in meas.space}
    domain = {meas.t: tspan, **_grid_domain(meas, periodic)}
    initial = [sp.Eq(meas.applied[n].subs(meas.t, tspan[0]), 0) for n in meas.names]
    system = PDESystem(equations, domain=domain, initial=initial, boundary=boundary,
                       parameters=parameters)
    method = FiniteDifference({ax: len(meas.coords[ax]) for ax in meas.space}, order=4)
    return system, method


def _initial_state(problem, meas):
    y0 = np.array(problem.y0, dtype=float)
    for plan in problem.plans:
        block = _first(meas, plan.name)[tuple(slice(a, b) for a, b in zip(plan.start, plan.stop))]
        y0[plan.offset:plan.offset + plan.size] = block.ravel()
    return y0


def solve_like(equations, meas, *, boundary=None, parameters=None, alg=None, rtol=1e-6,
               atol=1e-8):
    """Solve ``equations`` from ``meas``'s first snapshot, saved at its times.

    Returns the :class:`~symnum.solvers.solution.Solution` (check ``sol.result``).
    """
    from ..discretize import discretize
    from ..solvers import solve

    system, method = to_system(equations, meas, boundary=boundary, parameters=parameters)
    times = meas.coords[meas.t]
    if method is None:
        return solve(system, alg, rtol=rtol, atol=atol, saveat=times)
    problem = discretize(system, method)
    return solve(problem, alg, rtol=rtol, atol=atol, saveat=times,
                 y0=_initial_state(problem, meas))


def roundtrip_error(equations, held, *, boundary=None, parameters=None, alg=None,
                    rtol=1e-6, atol=1e-8):
    """Relative L2 error of a solve of ``equations`` against held-back measurements.

    The solve (:func:`solve_like`) starts from ``held``'s first snapshot and is
    saved at its times. A solve that fails (blows up, runs out of steps) scores
    ``inf``.

    Examples
    --------
    >>> import numpy as np, sympy as sp, symnum as sn
    >>> from symnum.discover.measurements import Measurements
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> ts = np.linspace(0, 1, 11)
    >>> held = Measurements({"y": np.exp(-2 * ts)}, coords={t: ts})
    >>> err = roundtrip_error([sp.Eq(y(t).diff(t), -2 * y(t))], held)
    >>> bool(err < 1e-6)
    True
    """
    sol = solve_like(equations, held, boundary=boundary, parameters=parameters, alg=alg,
                     rtol=rtol, atol=atol)
    if not sol.result.ok or len(sol.t) != len(held.coords[held.t]):
        return float("inf")
    num = den = 0.0
    for name in held.names:
        ref = _time_first(held, name)
        got = np.asarray(sol[name], dtype=float).reshape(ref.shape)
        num += float(np.sum((got - ref) ** 2))
        den += float(np.sum(ref ** 2))
    return float(np.sqrt(num / den)) if den > 0 else float(np.sqrt(num))
