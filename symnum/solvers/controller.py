"""PI step-size control and Hairer's initial step, as data plus scalar formulas.

The controller is a frozen dataclass of constants. The formulas are plain
scalar functions with no array code, so the same source serves the Python
engine (:mod:`symnum.solvers.engine`) and is compiled by numba for the
compiled driver (:mod:`symnum.solvers.numba_driver`): the constants and
formulas are written once, here.

The PI law is OrdinaryDiffEq's ``PIController`` (Hairer, Norsett & Wanner,
*Solving ODEs I*, sec. II.4; Gustafsson's PI control): on acceptance

    factor = clamp(safety * err_old^beta2 / err^beta1, facmin, facmax)

with ``err`` the tolerance-scaled RMS norm of the error estimate (accept when
``err <= 1``) and ``err_old = max(err_prev_accepted, errmin)``; on rejection
``factor = max(facmin, safety / err^beta1)``.

Examples
--------
>>> c = PIController.for_order(5)
>>> c.beta1, c.beta2
(0.14, 0.08)
>>> accept_factor(1e-12, 1.0, *c.accept_constants())  # tiny error: grow by facmax
10.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SolverError

__all__ = ["PIController", "accept_factor", "reject_factor", "initial_h0", "initial_h1"]


@dataclass(frozen=True)
class PIController:
    """Constants of the PI step-size controller.

    Attributes
    ----------
    beta1 : float
        Exponent on the current error (the "I" part).
    beta2 : float
        Exponent on the previous accepted error (the "P" part); 0 gives the
        elementary controller.
    safety : float
        Factor below 1 applied to every proposal, so the next step is likely accepted.
    facmin, facmax : float
        Bounds of the step-size ratio ``h_new / h`` (OrdinaryDiffEq ``qmax = 10``
        and ``1 / qmin = 1/5``).
    errmin : float
        Floor of the remembered error, so one tiny error cannot freeze the P term
        (OrdinaryDiffEq ``qoldinit``).

    Examples
    --------
    >>> PIController(beta1=0.2, beta2=0.0, facmin=2.0)
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: facmin=2.0 must satisfy 0 < facmin < 1 <= facmax (facmax=10.0); pass e.g. facmin=0.2, facmax=10.0
    """

    beta1: float
    beta2: float
    safety: float = 0.9
    facmin: float = 0.2
    facmax: float = 10.0
    errmin: float = 1e-4

    def __post_init__(self):
        if not (0 < self.facmin < 1 <= self.facmax):
            raise SolverError(f"facmin={self.facmin!r} must satisfy 0 < facmin < 1 <= facmax "
                              f"(facmax={self.facmax!r}); pass e.g. facmin=0.2, facmax=10.0")
        if not (0 < self.safety <= 1):
            raise SolverError(f"safety={self.safety!r} must be in (0, 1]; pass e.g. safety=0.9")
        if not (self.beta1 > 0 and self.beta2 >= 0):
            raise SolverError(f"beta1={self.beta1!r}, beta2={self.beta2!r}: need beta1 > 0 and "
                              "beta2 >= 0; pass e.g. PIController.for_order(5)")

    @classmethod
    def for_order(cls, order: int) -> "PIController":
        """OrdinaryDiffEq's defaults for a method of order ``order``: ``beta1 = 7/(10 q)``, ``beta2 = 2/(5 q)``.

        Examples
        --------
        >>> PIController.for_order(3).beta1
        0.23333333333333334
        """
        return cls(beta1=7 / (10 * order), beta2=2 / (5 * order))

    def accept_constants(self) -> tuple:
        """``(beta1, beta2, safety, facmin, facmax)`` in the argument order of :func:`accept_factor`."""
        return (self.beta1, self.beta2, self.safety, self.facmin, self.facmax)


def accept_factor(err, err_old, beta1, beta2, safety, facmin, facmax):
    """Step ratio ``h_new / h`` after an accepted step with scaled error ``err <= 1``.

    Examples
    --------
    >>> accept_factor(1.0, 1.0, 0.14, 0.08, 0.9, 0.2, 10.0)
    0.9
    """
    if err == 0.0:
        return facmax
    return min(facmax, max(facmin, safety * err_old ** beta2 / err ** beta1))


def reject_factor(err, beta1, safety, facmin):
    """Step ratio ``h_new / h`` after a rejected step (``err > 1``; NaN/inf gives ``facmin``).

    Examples
    --------
    >>> reject_factor(float("nan"), 0.14, 0.9, 0.2)
    0.2
    """
    if not (err < math.inf):  # NaN or inf: the step failed outright, shrink as far as allowed
        return facmin
    return max(facmin, safety / err ** beta1)


def initial_h0(d0, d1):
    """First trial step of Hairer's starting-step algorithm from ``d0 = ||y0||`` and ``d1 = ||f0||``.

    Norms are tolerance-scaled RMS norms (Hairer, Norsett & Wanner, *Solving
    ODEs I*, sec. II.4, "Starting step size"; SciPy ``select_initial_step``).

    Examples
    --------
    >>> initial_h0(1.0, 100.0)
    0.0001
    """
    if d0 < 1e-5 or d1 < 1e-5:
        return 1e-6
    return 0.01 * d0 / d1


def initial_h1(h0, d1, d2, order):
    """Start step from ``h0`` and ``d2 = ||f(t0 + h0, y0 + h0 f0) - f0|| / h0`` (at most ``100 h0``).

    A non-finite ``d2`` (the trial Euler step left the region where ``f`` is
    finite) falls back to ``h0 / 1000``, so the solver starts small rather than failing.

    Examples
    --------
    >>> initial_h1(1e-3, 1.0, 1.0, 4)
    0.1
    """
    if not (d2 < math.inf):
        return h0 * 1e-3
    if max(d1, d2) <= 1e-15:
        return max(1e-6, h0 * 1e-3)
    return min(100.0 * h0, (0.01 / max(d1, d2)) ** (1.0 / (order + 1)))
