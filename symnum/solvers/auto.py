"""Automatic, stiffness-aware choice of algorithm for ``sn.solve(problem)``.

The heuristic, and where it is imperfect
----------------------------------------
A problem is *stiff* when an explicit method's step is bounded by stability
rather than accuracy. We estimate both bounds once, at the start:

1. **Decay rate** ``rho``: the largest ``-Re(lambda)`` over the eigenvalues of
   the Jacobian. Only decaying modes count: oscillatory ones (imaginary
   eigenvalues, e.g. a harmonic oscillator) must be resolved by *any* method,
   so they do not make implicit methods pay off. How it is computed:

   * small systems (``n <= DENSE_EIG_MAX``): all eigenvalues of the dense
     Jacobian (``numba_jac``, ``jac``, or forward differences);
   * large sparse Jacobians: a Gershgorin bound on the symmetric part
     ``H = (J + J^T) / 2``. Every ``Re(lambda)`` of ``J`` lies in the numerical
     range of ``H``, so ``rho <= max_i (sum_j!=i |H_ij| - H_ii)``. It is exact
     for standard diffusion stencils (``4 nu / dx^2``) and zero for centred
     advection, but overestimates for strongly non-normal Jacobians (large
     one-sided couplings), which then look stiffer than they are;
   * large systems with no Jacobian: 20 power iterations on difference
     quotients ``J v``, which estimate ``max |lambda|`` and so also count
     oscillatory modes as stiff (advection-dominated PDEs are misjudged).

   The Jacobian is taken at ``(t0, y0)`` and at a probe point ``y0 + delta f0``
   that moves the state by 1 %: stiffness often appears only once a fast
   species has built up (Robertson's ``y2`` is 0 at ``t0``, and the Jacobian
   there is not stiff at all). A problem that turns stiff *later* in the
   span is not seen here -- see :class:`AutoSwitch`.

2. **Stability-bound step count** ``N_stab = rho |t1 - t0| / 3.5``: Tsit5's
   stability region crosses the negative real axis near ``-3.5``.

3. **Accuracy-bound step count** ``N_acc = |t1 - t0| / h_acc``, with
   ``h_acc = (0.01 / max(||f0||, ||f'||))^(1/6)`` in tolerance-scaled norms
   (Hairer's starting-step estimate for an order-5 method, without its cap
   for a safe *first* step). It reflects the dynamics at ``t0`` only: a fast
   initial transient makes it smaller than the typical step later, and steps
   usually grow after the start, so ``N_acc`` is pessimistic. That biases the
   verdict toward explicit -- deliberately: a wrongly explicit choice fails
   loudly with ``max_steps_reached`` (or is rescued by :class:`AutoSwitch`),
   while a wrongly implicit one is merely slow.

The problem is called stiff when ``N_stab > max(N_MIN, N_acc)``. Stiff and
small (``n <= SMALL_STIFF_MAX`` with numba ``rhs`` and ``jac``) runs a compiled
Rosenbrock method -- ``Rosenbrock23`` at ``rtol >= ROS23_MIN_RTOL``,
``Rodas5P`` below; other stiff problems run ``CVODE()`` (BDF with its
automatic linear solver); the rest run ``Tsit5()``.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> decay = ODEFunctions(n=2, rhs=lambda t, y: np.array([-y[0], -1e6 * (y[1] - y[0])]))
>>> type(choose_algorithm(decay, np.ones(2), (0.0, 10.0), SolveOptions())).__name__
'CVODE'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from .algorithm import Algorithm, SolveOptions
from .auto_switch import AutoSwitch

__all__ = ["choose_algorithm", "estimate_stiffness", "stiff_algorithm", "StiffnessEstimate",
           "AutoSwitch", "DENSE_EIG_MAX", "SMALL_STIFF_MAX", "N_MIN", "ROS23_MIN_RTOL"]

#: Largest system whose Jacobian eigenvalues are computed densely.
DENSE_EIG_MAX = 200
#: Largest stiff system given to the compiled ``Rosenbrock23`` (dense LU per step).
SMALL_STIFF_MAX = 50
#: Below this many stability-bound steps an explicit method is cheap whatever the stiffness.
N_MIN = 500
#: ``Rosenbrock23`` is order 2: below this ``rtol`` the order-5 ``Rodas5P`` takes far fewer steps.
ROS23_MIN_RTOL = 1e-4
#: ``|h lambda|`` where Tsit5's stability region meets the negative real axis.
TSIT5_STABILITY = 3.5
_POWER_ITERATIONS = 20


@dataclass(frozen=True)
class StiffnessEstimate:
    """What :func:`estimate_stiffness` found.

    Attributes
    ----------
    rate : float
        Largest decay rate ``-Re(lambda)`` of the Jacobian (1 / time units).
    how : str
        ``"eigvals"``, ``"gershgorin"``, ``"power"`` or ``"nonfinite"``.
    stability_steps, accuracy_steps : float
        ``N_stab`` and ``N_acc`` of the module docstring.
    stiff : bool
        ``stability_steps > max(N_MIN, accuracy_steps)``.
    """

    rate: float
    how: str
    stability_steps: float
    accuracy_steps: float
    stiff: bool


def _dense_jacobian(functions, t, y, f0):
    n = functions.n
    if functions.numba_jac is not None:
        J = np.zeros((n, n))
        functions.numba_jac(float(t), y, np.ascontiguousarray(functions.params, dtype=float), J)
        return J
    if functions.jac is not None:
        J = functions.jac(t, y)
        return J.toarray() if sps.issparse(J) else np.asarray(J, dtype=float)
    from .rosenbrock_python import fd_jacobian   # SciPy's linalg only when needed

    return fd_jacobian(functions.rhs, t, y, f0)


def _decay_rate(functions, t, y, f0) -> tuple[float, str]:
    """Largest ``-Re(lambda)`` of the Jacobian at ``(t, y)`` (see the module docstring)."""
    n = functions.n
    with np.errstate(all="ignore"):
        if n <= DENSE_EIG_MAX:
            J = _dense_jacobian(functions, t, y, f0)
            if not np.all(np.isfinite(J)):
                return 0.0, "nonfinite"
            return max(0.0, float(np.max(-np.linalg.eigvals(J).real))), "eigvals"
        if functions.jac is not None:
            J = sps.csr_matrix(functions.jac(t, y))
            if not np.all(np.isfinite(J.data)):
                return 0.0, "nonfinite"
            H = (J + J.T) * 0.5
            radius = np.asarray(abs(H).sum(axis=1)).ravel() - np.abs(H.diagonal())
            return max(0.0, float(np.max(radius - H.diagonal()))), "gershgorin"
        # matrix-free: power iteration on J v ~ (f(y + eps v) - f(y)) / eps
        v = np.random.default_rng(0).standard_normal(n)
        v /= np.linalg.norm(v)
        lam = 0.0
        for _ in range(_POWER_ITERATIONS):
            eps = 1.4901161193847656e-08 * (1.0 + np.linalg.norm(y))
            w = (np.asarray(functions.rhs(t, y + eps * v), dtype=float) - f0) / eps
            lam = float(np.linalg.norm(w))
            if not (math.isfinite(lam) and lam > 0.0):
                return 0.0, "nonfinite" if not math.isfinite(lam) else "power"
            v = w / lam
        return lam, "power"


def _accuracy_step(functions, t0, y0, f0, tdir, span, rtol, atol) -> float:
    """Order-5 accuracy step ``(0.01 / max(||f0||, ||f'||))^(1/6)`` in tolerance-scaled norms.

    Hairer's starting-step formula without its "first Euler step moves y by
    at most 1 %" cap, which is about a safe *first* step, not the typical one
    (with it, any fast initial transient would make every problem look
    accuracy-bound). ``span`` when ``f0 = 0``.
    """
    sc = atol + rtol * np.abs(y0)
    d0 = math.sqrt(float(np.mean((y0 / sc) ** 2)))
    d1 = math.sqrt(float(np.mean((f0 / sc) ** 2)))
    if not math.isfinite(d1) or d1 == 0.0:
        return span
    h0 = min(0.01 * d0 / d1 if d0 > 1e-5 and d1 > 1e-5 else 1e-6, span)   # probe size
    with np.errstate(all="ignore"):
        f1 = np.asarray(functions.rhs(t0 + tdir * h0, y0 + tdir * h0 * f0), dtype=float)
    d2 = math.sqrt(float(np.mean(((f1 - f0) / sc) ** 2))) / h0
    m = max(d1, d2) if math.isfinite(d2) else d1
    return min((0.01 / m) ** (1.0 / 6.0), span)


def estimate_stiffness(functions, y0, tspan, options: SolveOptions) -> StiffnessEstimate:
    """Estimate at ``t0`` whether an explicit method would be stability-bound.

    Costs two Jacobians (or difference quotients) and a few RHS calls.

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> osc = ODEFunctions(n=2, rhs=lambda t, y: np.array([y[1], -1e6 * y[0]]))
    >>> est = estimate_stiffness(osc, np.array([1.0, 0.0]), (0.0, 1.0), SolveOptions())
    >>> est.rate, est.stiff     # imaginary eigenvalues +-1000i: oscillation, not stiffness
    (0.0, False)
    """
    y0 = np.asarray(y0, dtype=float)
    t0, t1 = float(tspan[0]), float(tspan[1])
    span, tdir = abs(t1 - t0), (1.0 if t1 >= t0 else -1.0)
    with np.errstate(all="ignore"):
        f0 = np.asarray(functions.rhs(t0, y0), dtype=float)
    if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(y0))):
        return StiffnessEstimate(0.0, "nonfinite", 0.0, 0.0, False)
    rate, how = _decay_rate(functions, t0, y0, f0)
    fmax = float(np.max(np.abs(f0))) if f0.size else 0.0
    if fmax > 0.0:
        # probe where the state has moved by 1 %: fast species have built up there
        delta = min(span, 0.01 * max(float(np.max(np.abs(y0))), options.atol) / fmax)
        yp = y0 + tdir * delta * f0
        with np.errstate(all="ignore"):
            fp = np.asarray(functions.rhs(t0 + tdir * delta, yp), dtype=float)
        if np.all(np.isfinite(fp)):
            rate = max(rate, _decay_rate(functions, t0 + tdir * delta, yp, fp)[0])
    h_acc = _accuracy_step(functions, t0, y0, f0, tdir, span, options.rtol, options.atol)
    n_stab = rate * span / TSIT5_STABILITY
    n_acc = span / h_acc if h_acc > 0 else math.inf
    return StiffnessEstimate(rate, how, n_stab, n_acc, bool(n_stab > max(N_MIN, n_acc)))


def stiff_algorithm(functions, options: SolveOptions) -> Algorithm:
    """The stiff choice: compiled Rosenbrock methods for small systems, else ``CVODE()``.

    Small (``n <= SMALL_STIFF_MAX``) with numba ``rhs`` and ``jac``:
    ``Rosenbrock23`` at ``rtol >= ROS23_MIN_RTOL``, ``Rodas5P`` below (order 5:
    on Robertson it reaches the accuracy of ``Rosenbrock23`` at ``rtol 1e-8``
    about 4x faster). Everything else: ``CVODE()``, whose linear solver choice
    covers sparse and large systems (a Python-loop Rosenbrock would be slow).

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> stiff_algorithm(ODEFunctions(n=3, rhs=lambda t, y: -y), SolveOptions()).name
    'CVODE'
    """
    small = functions.n <= SMALL_STIFF_MAX
    if small and functions.numba_rhs is not None and functions.numba_jac is not None:
        if options.rtol >= ROS23_MIN_RTOL:
            from .rosenbrock import Rosenbrock23

            return Rosenbrock23()
        from .rodas import Rodas5P

        return Rodas5P()
    from .cvode import CVODE

    return CVODE()


def choose_algorithm(functions, y0, tspan, options: SolveOptions, *,
                     switch: bool = False) -> Algorithm:
    """The algorithm ``sn.solve`` uses when none is given (heuristic in the module docstring).

    Parameters
    ----------
    functions : ODEFunctions
    y0 : array_like
    tspan : (t0, t1)
    options : SolveOptions
    switch : bool
        When the problem looks non-stiff, return ``AutoSwitch`` (Tsit5 that
        restarts with the stiff choice if it turns out stability-bound)
        instead of plain ``Tsit5()``.

    Returns
    -------
    Algorithm
        ``Tsit5()`` (or ``AutoSwitch``), ``Rosenbrock23()``, ``Rodas5P()`` or ``CVODE()``.

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> osc = ODEFunctions(n=2, rhs=lambda t, y: np.array([y[1], -y[0]]))
    >>> choose_algorithm(osc, np.array([1.0, 0.0]), (0.0, 10.0), SolveOptions()).name
    'Tsit5'
    >>> choose_algorithm(osc, np.array([1.0, 0.0]), (0.0, 10.0), SolveOptions(), switch=True).name
    'AutoSwitch'
    """
    from .explicit import Tsit5

    est = estimate_stiffness(functions, y0, tspan, options)
    if est.stiff:
        return stiff_algorithm(functions, options)
    return AutoSwitch() if switch else Tsit5()
