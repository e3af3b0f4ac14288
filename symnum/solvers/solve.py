"""``solve``: problem -> algorithm -> :class:`Solution`, with the same keywords for every algorithm."""

from __future__ import annotations

import copy
import math

import numpy as np

from ..backends.inputs import STEPS
from ..errors import SolveFailed, SolverError
from .algorithm import Algorithm, SolveOptions
from .solution import Solution

__all__ = ["solve", "DEFAULT_POINTS"]

DEFAULT_POINTS = 64  # nodes per axis when sn.solve discretizes a PDESystem itself


def solve(problem, alg=None, *, rtol=1e-6, atol=1e-8, saveat=None, tspan=None, dt0=None,
          dtmax=math.inf, max_steps=100_000, throw=False, backend="numpy", dtype=None,
          y0=None, p=None, steps="shared"):
    """Solve an ODE problem or a model.

    Parameters
    ----------
    problem : ODEProblem, ODESystem or PDESystem
        A system is discretized first (``PDESystem``: ``FiniteDifference`` with
        64 nodes per axis, order 4; discretize it yourself to choose).
    alg : Algorithm, optional
        ``sn.Tsit5()``, ``sn.CVODE()``, ... ; ``None`` picks one from a stiffness estimate.
    rtol, atol : float
        Tolerances of the local error estimate.
    saveat : array_like, optional
        Times to return; ``None`` returns every accepted step.
    tspan : (t0, t1), optional
        Overrides the problem's time span.
    dt0, dtmax, max_steps : optional
        First step, largest step, step budget.
    throw : bool
        Raise :class:`~symnum.errors.SolveFailed` when the solve does not finish
        (otherwise the failure is in ``sol.result``).
    backend : str
        Where the right-hand side runs (the valid specs are in
        :data:`symnum.backends.registry.SPECS`):

        * ``"numpy"`` (default): generated numba kernels; ``"numpy:vectorized"``:
          generated NumPy slices; ``"auto"``: currently ``"numpy"``.
        * ``"torch"`` (= ``"torch:cpu"``), ``"torch:cuda"``, ``"torch:cuda:N"``:
          generated torch code on that device, solved by the same tableau
          engine on tensors, with autograd. Only the explicit methods
          ``Tsit5``, ``DP5``, ``BS3`` run there (``alg=None`` picks ``Tsit5``);
          a missing CUDA device raises :class:`~symnum.errors.BackendUnavailable`.
    dtype : str, optional
        ``"float64"`` (default) or ``"float32"`` (torch only); a NumPy or
        torch dtype is accepted too.
    y0 : array_like, optional
        Initial state, flat, in the order of ``problem.y0`` (default); shape
        ``(n,)``, or ``(B, n)`` for an ensemble of ``B`` trajectories (torch).
        NumPy or torch; a torch tensor with ``requires_grad`` gets gradients.
    p : dict or array_like, optional
        Parameter values: ``{Symbol or name: value}`` (others keep the
        problem's values) or an array in ``problem.param_symbols`` order. A
        length-``B`` sequence per parameter, or an array ``(B, np)``, solves an
        ensemble (torch). Initial data are not recomputed from ``p``: pass ``y0``
        too when they depend on parameters.
    steps : {"shared", "independent"}
        For ensembles on torch: one step size for the whole batch (its error
        norm is the RMS over all trajectories), or a step size, controller
        state and step count per trajectory (needs ``saveat``; counters in
        ``stats`` are then arrays of shape ``(B,)``).

    Returns
    -------
    Solution
        ``sol.batch`` is ``B`` for an ensemble, and then ``sol["u"]`` has
        shape ``(B, nt, *grid)``.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -2 * y(t))], initial={y(0): 1}, tspan=(0, 1))
    >>> sol = sn.solve(sys, sn.Tsit5(), rtol=1e-9, atol=1e-12, saveat=[0.5, 1.0])
    >>> bool(abs(sol["y"][-1] - np.exp(-2)) < 1e-8)
    True
    """
    from ..backends.registry import resolve_backend
    from ..discretize.mol import discretize
    from ..discretize.problem import ODEProblem
    from ..model.system import ODESystem, PDESystem

    spec = resolve_backend(backend, dtype)
    if steps not in STEPS:
        raise SolverError(f"steps={steps!r} is not valid; pass one of {list(STEPS)}.")
    if isinstance(problem, PDESystem):
        from ..discretize.method import FiniteDifference

        problem = discretize(problem, FiniteDifference({a: DEFAULT_POINTS for a in problem.axes},
                                                       order=4))
    elif isinstance(problem, ODESystem):
        problem = discretize(problem)
    elif not isinstance(problem, ODEProblem):
        raise SolverError(f"cannot solve {type(problem).__name__}; pass an sn.ODEProblem, "
                          "sn.ODESystem or sn.PDESystem.")
    t0, t1 = problem.tspan if tspan is None else (float(tspan[0]), float(tspan[1]))
    options = _options(rtol, atol, saveat, t0, t1, dt0, dtmax, max_steps)
    if isinstance(alg, type) and issubclass(alg, Algorithm):
        raise SolverError(f"pass an algorithm instance, e.g. sn.{alg.__name__}(), not the class "
                          f"{alg.__name__}.")
    if alg is not None and not isinstance(alg, Algorithm):
        raise SolverError(f"alg must be a symnum algorithm such as sn.Tsit5() or sn.CVODE(); "
                          f"got {alg!r} ({type(alg).__name__}).")
    if spec.name == "torch":
        from ..backends.torch_backend import solve_torch

        sol = solve_torch(problem, alg, spec, y0=y0, p=p, t0=t0, t1=t1, options=options,
                          steps=steps)
        alg = sol.algorithm
    else:
        sol = _solve_numpy(problem, alg, spec.target, y0, p, t0, t1, options)
        alg = sol.algorithm
    if throw and not sol.result.ok:
        raise SolveFailed(f"{type(alg).__name__} stopped at t={sol.t[-1]:g} of {t1:g}: "
                          f"{sol.result.value}", sol)
    return sol


def _solve_numpy(problem, alg, target, y0, p, t0, t1, options) -> Solution:
    """One trajectory on the embedded backend (numba or NumPy right-hand side)."""
    from ..backends.inputs import initial_state, param_columns

    y0, by = initial_state(problem, y0)
    cols, bp = param_columns(problem, p)
    if by is not None or bp is not None:
        raise SolverError(f"a batch of {'initial states' if by else 'parameter sets'} "
                          f"({by or bp} trajectories) needs backend='torch' (or 'torch:cuda'); "
                          "on backend='numpy' solve one y0 / parameter set per call.")
    if p is not None:
        problem = _with_params(problem, np.array([float(v) for v in cols], dtype=float))
    y0 = np.array(y0.detach().cpu().numpy() if hasattr(y0, "detach") else y0, dtype=float)
    fns = problem.functions(target)
    if alg is None:
        from .auto import choose_algorithm

        alg = choose_algorithm(fns, y0, (t0, t1), options, switch=True)
    raw = alg.run(fns, y0, (t0, t1), options)
    stats = dict(raw.stats)
    if raw.message:
        stats.setdefault("message", raw.message)
    return Solution(raw.ts, raw.ys, problem.layout, stats, raw.result,
                    interpolant=raw.interpolant, algorithm=alg, problem=problem)


def _with_params(problem, values):
    """A shallow copy of ``problem`` with parameter values ``values`` (compiled code is reused).

    The copy forgets what was computed from the old values: compiled functions
    (they hold ``p``), the boundary extension and the linear part.
    """
    if np.array_equal(values, problem.params):
        return problem
    new = copy.copy(problem)
    new.params = values
    new._functions = None
    for cached in ("extension", "_jac_plan", "linear_part"):
        new.__dict__.pop(cached, None)
    return new


def _options(rtol, atol, saveat, t0, t1, dt0, dtmax, max_steps) -> SolveOptions:
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise SolverError(f"{name} must be a positive number; got {v!r}.")
    if not t1 > t0:
        raise SolverError(f"the time span must have t1 > t0; got ({t0}, {t1}).")
    if saveat is not None:
        saveat = np.atleast_1d(np.asarray(saveat, dtype=float))
        if saveat.ndim != 1 or np.any(np.diff(saveat) < 0):
            raise SolverError("saveat must be a sorted 1-D array of times.")
        tol = 1e-12 * max(1.0, abs(t0), abs(t1))
        if saveat[0] < t0 - tol or saveat[-1] > t1 + tol:
            raise SolverError(f"saveat must lie inside the time span [{t0}, {t1}]; got "
                              f"[{saveat[0]}, {saveat[-1]}].")
        saveat = np.clip(saveat, t0, t1)
    if dt0 is not None and not dt0 > 0:
        raise SolverError(f"dt0 must be positive; got {dt0!r}.")
    if not (isinstance(max_steps, int) and max_steps > 0):
        raise SolverError(f"max_steps must be a positive integer; got {max_steps!r}.")
    return SolveOptions(rtol=float(rtol), atol=float(atol), saveat=saveat, dt0=dt0,
                        dtmax=float(dtmax), max_steps=max_steps)
