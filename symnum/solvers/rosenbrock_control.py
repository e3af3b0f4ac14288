"""Step-size control shared by the Rosenbrock loops, compiled and Python alike.

Both loops -- :mod:`~symnum.solvers.rosenbrock_numba` (compiled) and
:mod:`~symnum.solvers.rosenbrock_python`, each for ``Rosenbrock23`` and the
Rodas methods -- take the same ``ctrl`` vector, report through the same
``info`` vector and status codes, and decide steps with the scalar functions
here. They are plain Python; :mod:`~symnum.solvers.rosenbrock_numba`
registers them with numba's ``register_jitable``, so that compiled code calls
a compiled copy of the *same source* (and this module, like the Python loop,
needs no numba): the controller exists once.

``ctrl`` holds what the loop itself needs (one float64 array keeps the compiled
call cheap to box); the method's own coefficients travel separately, as the
``tab`` tuple.

Examples
--------
>>> guard(0.0, 0.3, 1.0, 1.0, 0, 10)          # far from t1: the step stands
(0, 0.3)
>>> guard(0.9, 0.3, 1.0, 1.0, 3, 10)[1] == 1.0 - 0.9   # lands exactly on t1
True
>>> control(0.5, 0.1, 0, False, True, 1 / 3, 1.0, 1.0)[:2]   # (status, accepted)
(0, True)
"""

from __future__ import annotations

import math

__all__ = ["unpack", "guard", "retry", "control", "first_step", "STATUS_SUCCESS",
           "STATUS_MAX_STEPS", "STATUS_DT_UNDERFLOW", "STATUS_NONFINITE", "STATUS_SINGULAR"]

STATUS_SUCCESS, STATUS_MAX_STEPS, STATUS_DT_UNDERFLOW, STATUS_NONFINITE, STATUS_SINGULAR = range(5)

# ctrl vector layout: the span and tolerances, then the method's W coefficient
# (``I - h gamma J``), error exponent ``1 / (q + 1)`` and order (starting step)
(C_T0, C_T1, C_RTOL, C_ATOL, C_H0, C_HMAX, C_MAXSTEPS, C_ADAPTIVE,
 C_GAMMA, C_EXPO, C_ORDER) = range(11)
# info vector layout (returned): outcome, then the counters
I_STATUS, I_T, I_NREC, I_NSAVED, I_STEPS, I_ACCEPTED, I_REJECTED, I_NFEV, I_NJEV, I_NLU = range(10)
NINFO = 10

# step-size controller (standard for Rosenbrock pairs; OrdinaryDiffEq's defaults)
SAFETY, QMIN, QMAX = 0.9, 0.2, 10.0
MAX_BAD = 12          # consecutive non-finite / singular retries before giving up
EPS = 2.220446049250313e-16       # float64 machine epsilon


def unpack(ctrl):
    """``(t0, t1, rtol, atol, hmax, max_steps, adaptive, tdir)`` from a ``ctrl`` vector."""
    t0, t1 = ctrl[C_T0], ctrl[C_T1]
    tdir = 1.0 if t1 > t0 else -1.0
    return (t0, t1, ctrl[C_RTOL], ctrl[C_ATOL], ctrl[C_HMAX], int(ctrl[C_MAXSTEPS]),
            ctrl[C_ADAPTIVE] != 0.0, tdir)


def first_step(d1, d2, h0, order):
    """Hairer's starting step from the scaled norms ``d1 = ||f0||`` and ``d2 = ||f'||``.

    ``d2`` is the difference quotient of ``f`` over the probe step ``h0``.
    """
    m = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if m <= 1e-15 else (0.01 / m) ** (1.0 / (order + 1))
    return min(100.0 * h0, h1)


def guard(t, h, t1, tdir, steps, max_steps):
    """Before a step: ``(status, h)`` with ``h`` cut to land exactly on ``t1``.

    The status is ``STATUS_MAX_STEPS`` or ``STATUS_DT_UNDERFLOW`` when the step
    must not be taken, else ``STATUS_SUCCESS``.
    """
    if steps >= max_steps:
        return STATUS_MAX_STEPS, h
    if tdir * (t + h - t1) > 0.0 or abs(t1 - (t + h)) < 1e-12 * abs(h):
        h = t1 - t
    if abs(h) <= 16.0 * EPS * max(abs(t), 1e-300):
        return STATUS_DT_UNDERFLOW, h
    return STATUS_SUCCESS, h


def retry(h, bad, adaptive, fail):
    """After a failed attempt (non-finite values, singular ``W``): ``(status, h, bad)``.

    A quarter of the step moves off the trouble in most cases; after
    ``MAX_BAD`` failures in a row, or with fixed steps, the status is ``fail``.
    """
    bad += 1
    if bad > MAX_BAD or not adaptive:
        return fail, h, bad
    return STATUS_SUCCESS, h * 0.25, bad


def control(err, h, bad, last_rejected, adaptive, expo, tdir, hmax):
    """After an attempt with scaled error ``err``: ``(status, accepted, next h, bad)``.

    ``err`` is NaN or infinite when the attempt produced non-finite values (a
    failure: see :func:`retry`). An accepted step grows at most ``QMAX``-fold,
    and not at all right after a rejection (so the controller does not
    oscillate); a fixed-step run (``adaptive`` false) keeps ``h``.
    """
    if not math.isfinite(err):
        status, h, bad = retry(h, bad, adaptive, STATUS_NONFINITE)
        return status, False, h, bad
    if err > 1.0:
        return STATUS_SUCCESS, False, h * max(QMIN, SAFETY * err ** (-expo)), 0
    if adaptive:
        q = SAFETY * err ** (-expo) if err > 0.0 else QMAX
        h *= min(1.0 if last_rejected else QMAX, max(QMIN, q))
        h = tdir * min(abs(h), hmax)
    return STATUS_SUCCESS, True, h, 0
