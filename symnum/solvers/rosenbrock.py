"""``Rosenbrock23``: a linearly implicit, L-stable method for small stiff systems.

Each step factors one matrix ``W = I - h d J`` and solves three linear systems
with it -- no Newton iteration -- so on small stiff problems (chemical
kinetics, ODE models of a few dozen states) it is much cheaper per step than
BDF or Radau. When the problem has numba functions (``functions.numba_rhs``
and ``functions.numba_jac``), the whole loop runs compiled
(:mod:`~symnum.solvers.rosenbrock_numba`); otherwise a Python loop with SciPy
linear algebra runs (:mod:`~symnum.solvers.rosenbrock_python`). The
higher-order ``Rodas4`` / ``Rodas5P`` (:mod:`~symnum.solvers.rodas`) share
this module's ``run`` and both loops.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -1e4 * (y - np.cos(t)))
>>> raw = Rosenbrock23().run(f, np.zeros(1), (0.0, 2.0), SolveOptions(rtol=1e-6, atol=1e-9))
>>> raw.result.name, round(float(raw.ys[-1, 0]), 4)
('success', -0.4161)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import SolverError
from .algorithm import Algorithm, RawSolution, SolveOptions
from .cvode_support import saveat_times
from .results import ReturnCode
from .rosenbrock_compiled import compiled_driver
from .rosenbrock_tableau import ROSENBROCK23

__all__ = ["Rosenbrock23", "Ros23Interpolant", "COMPILED_MAX"]

#: Largest system the compiled loop takes by default: its LU is a dense O(n^3)
#: hand-written one, fine up to here; beyond, CVODE's sparse/Krylov solvers win
#: (override with ``functions.numba_jac_dense_ok``).
COMPILED_MAX = 64

_FLOATS = ROSENBROCK23.floats()
# ctrl's method slots (W's coefficient d, error exponent 1 / (order + 1), order) and
# Rosenbrock23's coefficients, the loops' tab
_CTRL_TAIL = (_FLOATS["d"], 1.0 / (ROSENBROCK23.order + 1), float(ROSENBROCK23.order))
_TAB = (_FLOATS["d"], _FLOATS["e32"], _FLOATS["dense_scale"])
_STATUS = (ReturnCode.success, ReturnCode.max_steps_reached, ReturnCode.dt_underflow,
           ReturnCode.nonfinite, ReturnCode.solver_failure)
_MESSAGES = ("", "stopped after max_steps={} steps", "step size underflow",
             "the state or right-hand side became NaN or infinite",
             "W = I - h*d*J is singular: the Jacobian has the eigenvalue 1/(h*d) > 0 (a fast "
             "growing mode) and cutting the step did not help (or adaptive=False); check "
             "the model, or use another dt0")


@dataclass(frozen=True)
class _Rosenbrock(Algorithm):
    """Shared fields, checks and ``run`` of the linearly implicit methods.

    Subclasses set ``name``, ``order``, ``_kind`` (which method the loops run,
    a key of :data:`~symnum.solvers.rosenbrock_compiled.METHODS`) and implement
    ``_method`` and ``_interpolant``.
    """

    compiled: bool | None = None
    adaptive: bool = True

    stiff: ClassVar[bool] = True
    _kind: ClassVar[str]

    def __post_init__(self):
        cls = type(self).__name__
        if not (self.compiled is None or isinstance(self.compiled, bool)):
            raise SolverError(f"{cls}(compiled={self.compiled!r}) must be None "
                              "(automatic), True or False")
        if not isinstance(self.adaptive, bool):
            raise SolverError(f"{cls}(adaptive={self.adaptive!r}) must be True or False")

    def uses_compiled(self, functions) -> bool:
        """Whether :meth:`run` takes the compiled path for ``functions``.

        Examples
        --------
        >>> from symnum.solvers.functions import ODEFunctions
        >>> Rosenbrock23().uses_compiled(ODEFunctions(n=2, rhs=lambda t, y: -y))
        False
        """
        have = functions.numba_rhs is not None and functions.numba_jac is not None
        small = functions.n <= COMPILED_MAX or bool(functions.numba_jac_dense_ok)
        if self.compiled is None:
            return have and small
        if self.compiled and not have:
            missing = [k for k in ("numba_rhs", "numba_jac") if getattr(functions, k) is None]
            raise SolverError(f"{type(self).__name__}(compiled=True) needs functions."
                              f"{' and '.join(missing)}; build the problem with the numba code "
                              "target, or pass compiled=None to fall back to the Python loop")
        return bool(self.compiled)

    def run(self, functions, y0, tspan, options: SolveOptions) -> RawSolution:
        """Integrate ``functions`` from ``y0`` over ``tspan``; failures go into ``result``."""
        y0 = np.ascontiguousarray(y0, dtype=np.float64)
        t0, t1 = float(tspan[0]), float(tspan[1])
        n, cls = functions.n, type(self).__name__
        if y0.shape != (n,):
            raise SolverError(f"y0 has shape {y0.shape} but the problem has n={n} unknowns; "
                              "pass a flat state of that length")
        if not (math.isfinite(t0) and math.isfinite(t1)) or t1 == t0:
            raise SolverError(f"tspan={tuple(tspan)!r} must be two different finite times")
        saves = _saveat(options.saveat, t0, t1)
        h0 = float(options.dt0) if options.dt0 else 0.0
        if not self.adaptive and not h0 > 0.0:
            raise SolverError(f"{cls}(adaptive=False) takes fixed steps of dt0; pass "
                              "dt0=<step>, e.g. dt0=(t1 - t0) / 100")
        tail, tab = self._method()
        ctrl = np.array([t0, t1, options.rtol, options.atol, abs(h0), options.dtmax,
                         float(options.max_steps), float(self.adaptive), *tail])
        saveat = np.empty(0) if saves is None else saves
        dense = bool(options.dense)
        record = saves is None or dense
        compiled = self.uses_compiled(functions)
        if compiled:
            # the driver's entry point trusts its argument types: float64, 1-D, contiguous
            p = np.ascontiguousarray(functions.params, dtype=np.float64)
            drv = compiled_driver(functions.numba_rhs, functions.numba_jac, self._kind)
            try:
                out = drv(p if p.ndim == 1 else p.reshape(-1), y0, ctrl, tab, saveat, record,
                          dense)
            except Exception as exc:
                err = _kernel_error(self, functions, exc)
                if err is None:
                    raise
                raise err from exc
        else:
            from .rosenbrock_python import python_loop   # SciPy's LU: imported on first use

            out = python_loop(functions, y0, ctrl, self._kind, tab, saveat, record, dense)
        return _raw_solution(self, out, saves, options, n, compiled)

    def _method(self) -> tuple[tuple, tuple]:
        """``(ctrl's gamma, exponent and order slots, the method's coefficients tab)``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rosenbrock23(_Rosenbrock):
    """Shampine & Reichelt's ``ode23s`` pair: Rosenbrock (W-) method of order 2(3).

    Order 2, L-stable, 2 stages advance the solution, a third stage at the new
    point gives an embedded order-3 error estimate and is reused as the next
    step's first evaluation (FSAL). One LU of ``I - h d J`` per step
    (``d = 1/(2 + sqrt(2))``) and three solves; the exact Jacobian is
    recomputed once per accepted step and reused by rejected ones. Dense
    output is the method's own continuous extension (order 2). A W-method, so
    an approximate Jacobian costs accuracy only through the step size. Same
    method as MATLAB ``ode23s`` and OrdinaryDiffEq ``Rosenbrock23``.

    Reference: L. F. Shampine and M. W. Reichelt, "The MATLAB ODE Suite",
    SIAM J. Sci. Comput. 18 (1997) 1-22.

    Parameters
    ----------
    compiled : bool or None
        ``None`` (default): run the compiled loop when ``functions.numba_rhs``
        and ``functions.numba_jac`` exist and ``n <= COMPILED_MAX`` (or
        ``functions.numba_jac_dense_ok``), else the Python loop. ``True``
        requires the compiled loop; ``False`` forces the Python one.
    adaptive : bool
        ``False`` takes fixed steps of ``dt0`` (for convergence studies).

    Examples
    --------
    >>> Rosenbrock23().stiff, Rosenbrock23(compiled=False).compiled
    (True, False)
    >>> Rosenbrock23(compiled="yes")
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: Rosenbrock23(compiled='yes') must be None (automatic), True or False
    """

    name: ClassVar[str] = "Rosenbrock23"
    order: ClassVar[int] = 2

    _kind: ClassVar[str] = "ros23"

    def _method(self):
        return _CTRL_TAIL, _TAB

    def _interpolant(self, hist, n):
        return Ros23Interpolant(hist, n)


def _kernel_error(alg, functions, exc) -> SolverError | None:
    """A SolverError naming the kernels when numba cannot compile the loop around them."""
    from numba.core.errors import NumbaError

    if not isinstance(exc, (NumbaError, TypeError)):
        return None
    return SolverError(
        f"the compiled {alg.name} loop cannot call functions.numba_rhs="
        f"{functions.numba_rhs!r} as rhs(t, y, p, out) and functions.numba_jac="
        f"{functions.numba_jac!r} as jac(t, y, p, J) with float64 arrays (p = functions.params)"
        f": {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. Fix the "
        f"kernels (numba @njit, writing into out/J), or pass {alg.name}(compiled=False)")


def _saveat(saveat, t0, t1):
    """``saveat`` as float64, validated; a fast path because a solve can take only ~10 us."""
    if saveat is None:
        return None
    s = np.ascontiguousarray(saveat, dtype=np.float64).reshape(-1)
    lo, hi = (t0, t1) if t1 > t0 else (t1, t0)
    if s.size == 1:
        ok = lo <= float(s[0]) <= hi
    else:
        d = np.diff(s) if t1 > t0 else -np.diff(s)
        ok = s.size > 0 and lo <= s.min() and s.max() <= hi and bool((d >= 0).all())
    return s if ok else saveat_times(s, t0, t1)     # raises, naming the bad times


def _raw_solution(alg, out, saves, options, n, compiled) -> RawSolution:
    hist, ysave, info = out
    status, t, nrec, nsaved, steps, acc, rej, nfev, njev, nlu = info.tolist()
    status, nrec, nsaved = int(status), int(nrec), int(nsaved)
    stats = {"steps": int(steps), "accepted": int(acc), "rejected": int(rej),
             "nfev": int(nfev), "njev": int(njev), "nlu": int(nlu), "compiled": compiled}
    message = ""
    if status:
        message = (f"{alg.name} stopped at t={t:g}: "
                   f"{_MESSAGES[status].format(options.max_steps)}")
    interp = None
    if options.dense and nrec >= 2:
        interp = alg._interpolant(hist[:nrec], n)
    if saves is None:
        return RawSolution(hist[:nrec, 0], hist[:nrec, 1:n + 1], stats, _STATUS[status], interp,
                           message)
    return RawSolution(saves[:nsaved], ysave[:nsaved], stats, _STATUS[status], interp, message)


class Ros23Interpolant:
    """Dense output of a Rosenbrock23 solve: ``y_i + h_i (b1(th) k1_i + b2(th) k2_i)``.

    ``hist`` has a row ``t_i, y_i, k1_i, k2_i`` per step point (the stages of
    the step from ``t_i`` to ``t_{i+1}``; the last row's are unused). Second
    order and continuous; exact at the step points. Times outside the steps
    use the nearest step's polynomial (extrapolation).

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
    >>> raw = Rosenbrock23().run(f, np.ones(1), (0.0, 1.0), SolveOptions(rtol=1e-9, atol=1e-12))
    >>> bool(abs(raw.interpolant(np.array([0.3]))[0, 0] - np.exp(-0.3)) < 1e-6)
    True
    """

    def __init__(self, hist, n: int):
        # views are taken on first use: a solve that never interpolates pays nothing
        self.hist, self.n = hist, n

    def __call__(self, tq) -> np.ndarray:
        hist, n = self.hist, self.n
        ts = hist[:, 0]
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        s = 1.0 if ts[-1] >= ts[0] else -1.0
        i = np.clip(np.searchsorted(s * ts, s * tq, side="right") - 1, 0, len(ts) - 2)
        h = (ts[i + 1] - ts[i])[:, None]
        th = (tq - ts[i])[:, None] / h
        d, scale = _FLOATS["d"], _FLOATS["dense_scale"]
        b1, b2 = th * (1.0 - th) * scale, th * (th - 2.0 * d) * scale
        rows = hist[i]
        return rows[:, 1:n + 1] + h * (b1 * rows[:, n + 1:2 * n + 1] + b2 * rows[:, 2 * n + 1:])
