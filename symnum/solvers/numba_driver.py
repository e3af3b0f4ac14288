"""The compiled stepping loop: the engine's algorithm as one numba-compiled driver.

:func:`solve_compiled` takes the same steps as :func:`symnum.solvers.engine.integrate`
(same method, controller, saving and dense output) inside ``@njit``, calling a
numba right-hand side ``rhs(t, y, p, out)`` directly: no Python per step. The
controller formulas are :mod:`symnum.solvers.controller`'s own functions, compiled
here; its constants come from the :class:`~symnum.solvers.controller.PIController`.

Compilation and caching. The right-hand side is passed as a first-class function
of the fixed type :data:`RHS_TYPE`, so one driver serves *every* right-hand side
and is cached on disk (``cache=True``): the first build takes about 5 s (2-core
machine), later processes load it in about 0.2 s, and a new right-hand side costs
only its own compile. Passing the kernel as a plain dispatcher would let numba
inline it (4x cheaper calls, a few percent of a Lorenz solve) but specializes the
driver per kernel, and numba's cache never hits for dispatcher-typed arguments (the
dispatcher's identity is in the key: every process recompiles for 5-10 s and
appends another cache file). A kernel that does not fit :data:`RHS_TYPE` (one
that returns a value, say) raises :class:`~symnum.errors.SolverError`; use
``compiled=False`` on the algorithm for the Python engine.

Examples
--------
>>> import numba, numpy as np
>>> from symnum.solvers.methods.tsit5 import METHOD
>>> @numba.njit
... def decay(t, y, p, out):
...     out[0] = -p[0] * y[0]
>>> out = solve_compiled(decay, np.array([2.0]), np.ones(1), 0.0, 1.0, METHOD,
...                      rtol=1e-10, atol=1e-12, saveat=np.array([1.0]))
>>> bool(abs(out["ys"][-1, 0] - np.exp(-2.0)) < 1e-9), out["status"]
(True, 0)
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

from ..errors import SolverError
from . import controller as _controller
from .engine import END_STRETCH, UNDERFLOW_ULPS

__all__ = ["solve_compiled", "STATUS", "RHS_TYPE"]

#: Driver status codes -> ReturnCode names.
STATUS = {0: "success", 1: "max_steps_reached", 2: "dt_underflow", 3: "nonfinite"}

_A1 = types.Array(types.float64, 1, "C")
_A2 = types.Array(types.float64, 2, "C")
#: First-class type of a compiled right-hand side ``rhs(t, y, p, out) -> None``.
RHS_TYPE = types.FunctionType(types.void(types.float64, _A1, _A1, _A1))

_accept = numba.njit(cache=True)(_controller.accept_factor)
_reject = numba.njit(cache=True)(_controller.reject_factor)
_h0 = numba.njit(cache=True)(_controller.initial_h0)
_h1 = numba.njit(cache=True)(_controller.initial_h1)

# fpar / ipar layouts: the order in which _drive unpacks them (two arrays keep the
# compiled signature short)
_F = ("t0", "t1", "rtol", "atol", "dt0", "dtmax", "beta1", "beta2", "safety", "facmin",
      "facmax", "errmin", "tiny", "stretch")
_I = ("max_steps", "adaptive", "nfixed", "save_all", "keep_dense", "record", "fsal", "order")


# Copies are explicit loops: numba's array setitem (``a[k] = b``) compiles a shape-mismatch
# error path with string formatting that took most of the driver's ~20 s build time.

@numba.njit(cache=True)
def _copy(src, dst):
    for m in range(src.shape[0]):
        dst[m] = src[m]


@numba.njit(cache=True)
def _grow1(a, need):
    if need <= a.shape[0]:
        return a
    b = np.empty(max(2 * a.shape[0], need))
    _copy(a, b)
    return b


@numba.njit(cache=True)
def _grow2(a, need):
    if need <= a.shape[0]:
        return a
    b = np.empty((max(2 * a.shape[0], need), a.shape[1]))
    for k in range(a.shape[0]):
        _copy(a[k], b[k])
    return b


@numba.njit(cache=True)
def _rms_scaled(x, y, rtol, atol):
    acc = 0.0
    for m in range(x.shape[0]):
        v = x[m] / (atol + rtol * abs(y[m]))
        acc += v * v
    return math.sqrt(acc / max(x.shape[0], 1))


# Helpers keep the driver readable; the hot ones are inlined at numba-IR level
# (inline="always"), measured ~10% faster per step than calls on Lorenz.

@numba.njit(cache=True)
def _initial_step(rhs, p, y, f0, Y, t0, direction, rtol, atol, span, dtmax, order):
    """Hairer's starting step (one extra evaluation, written into the scratch rows ``Y``)."""
    d0 = _rms_scaled(y, y, rtol, atol)
    d1 = _rms_scaled(f0, y, rtol, atol)
    h0 = min(_h0(d0, d1), span, dtmax)
    for m in range(y.shape[0]):
        Y[0, m] = y[m] + direction * h0 * f0[m]
    rhs(t0 + direction * h0, Y[0], p, Y[1])
    for m in range(y.shape[0]):
        Y[1, m] -= f0[m]
    d2 = _rms_scaled(Y[1], y, rtol, atol) / h0
    return min(_h1(h0, d1, d2, order), span, dtmax)


# Loops run over the state index innermost (axpy form): contiguous and SIMD-vectorized for
# large systems (a PDE grid), and no slower for small ones.

@numba.njit(cache=True, inline="always")
def _stages(rhs, p, A, C, K, Y, y, t, h):
    """Stages 2..s into ``K``; stage arguments alternate between the rows of ``Y``."""
    n = y.shape[0]
    for i in range(1, A.shape[0]):
        yi = Y[i % 2]
        for m in range(n):
            yi[m] = y[m]
        for j in range(i):
            w = h * A[i, j]
            if w != 0.0:
                for m in range(n):
                    yi[m] += w * K[j, m]
        rhs(t + C[i] * h, yi, p, K[i])


@numba.njit(cache=True, inline="always")
def _solution_and_error(y, ylast, K, B, BERR, h, rtol, atol, fsal, ynew, E):
    """Write the new solution into ``ynew``; return the scaled RMS error (inf if not finite)."""
    n, s = y.shape[0], K.shape[0]
    for m in range(n):
        ynew[m] = ylast[m] if fsal else y[m]
        E[m] = 0.0
    for i in range(s):
        w = h * BERR[i]
        wb = 0.0 if fsal else h * B[i]
        for m in range(n):
            E[m] += w * K[i, m]
            ynew[m] += wb * K[i, m]
    err = 0.0
    finite = True
    for m in range(n):
        v = E[m] / (atol + rtol * max(abs(y[m]), abs(ynew[m])))
        err += v * v
        finite = finite and math.isfinite(ynew[m])
    err = math.sqrt(err / n)
    return err if finite and math.isfinite(err) else math.inf


@numba.njit(cache=True, inline="always")
def _dense_coeffs(BD, K, h, R):
    """``R = h BD^T K``: the step's interpolant ``y + sum_q theta^(q+1) R[q]``."""
    for q in range(BD.shape[1]):
        for m in range(K.shape[1]):
            R[q, m] = 0.0
        for i in range(K.shape[0]):
            w = h * BD[i, q]
            for m in range(K.shape[1]):
                R[q, m] += w * K[i, m]


@numba.njit(cache=True, inline="always")
def _interpolate(y, R, theta, out):
    deg = R.shape[0]
    for m in range(y.shape[0]):
        acc = R[deg - 1, m]
        for q in range(deg - 2, -1, -1):
            acc = acc * theta + R[q, m]
        out[m] = y[m] + acc * theta


@numba.njit(cache=True)
def _stiffness(K, ylast, yprev):
    """``||k_s - k_(s-1)|| / ||Y_s - Y_(s-1)||`` from the last two stages (no evaluations)."""
    s = K.shape[0]
    num = 0.0
    den = 0.0
    for m in range(ylast.shape[0]):
        num += (K[s - 1, m] - K[s - 2, m]) ** 2
        den += (ylast[m] - yprev[m]) ** 2
    return math.sqrt(num / den) if den > 0.0 else 0.0


def _drive(rhs, p, y0, A, C, B, BERR, BD, saveat, fpar, ipar):
    t0, t1, rtol, atol, dt0, dtmax = fpar[0], fpar[1], fpar[2], fpar[3], fpar[4], fpar[5]
    beta1, beta2, safety, facmin = fpar[6], fpar[7], fpar[8], fpar[9]
    facmax, errmin, tiny, stretch = fpar[10], fpar[11], fpar[12], fpar[13]
    max_steps, adaptive, nfixed, order = ipar[0], ipar[1] != 0, ipar[2], ipar[7]
    save_all, keep_dense, record, fsal = ipar[3] != 0, ipar[4] != 0, ipar[5] != 0, ipar[6] != 0
    n, s, deg = y0.shape[0], A.shape[0], BD.shape[1]
    direction = 1.0 if t1 > t0 else -1.0
    span = abs(t1 - t0)
    nsave = saveat.shape[0]
    stats = np.zeros(4, dtype=np.int64)  # steps, accepted, rejected, nfev
    K = np.empty((s, n))
    Y = np.empty((2, n))  # arguments of the last two stages (alternating rows)
    ynew = np.empty(n)
    E = np.empty(n)  # error estimate
    y = y0.copy()
    R = np.empty((deg, n))
    ts = np.empty(max(64 if save_all else nsave, 1))
    ys = np.empty((ts.shape[0], n))
    dcap = 64 if keep_dense else 0
    dt_ = np.empty(dcap)
    dh = np.empty(dcap)
    dy = np.empty((dcap, n))
    dr = np.empty((dcap, deg * n))  # R per step, flattened (reshaped in Python)
    rec = np.empty((64 if record else 0, 4))
    js = 0
    if save_all:
        ts[0] = t0
        _copy(y0, ys[0])
        nts = 1
    else:
        while js < nsave and saveat[js] == t0:
            ts[js] = t0
            _copy(y0, ys[js])
            js += 1
        nts = js
    rhs(t0, y, p, K[0])
    stats[3] += 1
    status = 0
    for m in range(n):
        if not (math.isfinite(y[m]) and math.isfinite(K[0, m])):
            status = 3
    if status == 0:
        if not adaptive:
            h = span / nfixed
        elif dt0 > 0.0:
            h = min(dt0, span, dtmax)
        else:
            h = _initial_step(rhs, p, y, K[0], Y, t0, direction, rtol, atol, span, dtmax, order)
            stats[3] += 1
        h *= direction
    else:
        h = 0.0
    t = t0
    err_old = errmin
    failed_nonfinite = False
    while status == 0 and direction * (t1 - t) > 0.0:
        if stats[0] >= max_steps:
            status = 1
            break
        if adaptive:
            h = direction * min(abs(h), dtmax)
            if direction * (t + (1.0 + stretch) * h - t1) > 0.0:
                h = t1 - t
            if abs(h) <= tiny:
                status = 3 if failed_nonfinite else 2
                break
        _stages(rhs, p, A, C, K, Y, y, t, h)
        stats[3] += s - 1
        stats[0] += 1
        err = _solution_and_error(y, Y[(s - 1) % 2], K, B, BERR, h, rtol, atol, fsal, ynew, E)
        if not adaptive and err == math.inf:
            status = 3
            break
        if adaptive and not err <= 1.0:
            stats[2] += 1
            failed_nonfinite = err == math.inf
            h *= _reject(err, beta1, safety, facmin)
            continue
        failed_nonfinite = False
        stats[1] += 1
        k = stats[1] - 1
        t_new = t + h if adaptive else t0 + direction * stats[1] * abs(h)
        if (not adaptive and stats[1] == nfixed) or direction * (t_new - t1) >= 0.0:
            t_new = t1
        if keep_dense or (js < nsave and direction * (saveat[js] - t_new) <= 0.0):
            _dense_coeffs(BD, K, h, R)
        if save_all:
            ts = _grow1(ts, nts + 1)
            ys = _grow2(ys, nts + 1)
            ts[nts] = t_new
            _copy(ynew, ys[nts])
            nts += 1
        else:
            while js < nsave and direction * (saveat[js] - t_new) <= 0.0:
                ts[js] = saveat[js]
                if saveat[js] == t_new:
                    _copy(ynew, ys[js])
                else:
                    _interpolate(y, R, (saveat[js] - t) / h, ys[js])
                js += 1
            nts = js
        if keep_dense:
            dt_ = _grow1(dt_, k + 1)
            dh = _grow1(dh, k + 1)
            dy = _grow2(dy, k + 1)
            dr = _grow2(dr, k + 1)
            dt_[k] = t
            dh[k] = h
            _copy(y, dy[k])
            _copy(R.ravel(), dr[k])
        if record:
            rec = _grow2(rec, k + 1)
            rec[k, 0] = t_new
            rec[k, 1] = h
            rec[k, 2] = err
            rec[k, 3] = _stiffness(K, Y[(s - 1) % 2], Y[s % 2])
        if adaptive:
            h *= _accept(err, err_old, beta1, beta2, safety, facmin, facmax)
            err_old = max(err, errmin)
        t = t_new
        _copy(ynew, y)
        if fsal:
            _copy(K[s - 1], K[0])
        else:
            rhs(t, y, p, K[0])
            stats[3] += 1
    nd = stats[1] if keep_dense else 0
    nr = stats[1] if record else 0
    return status, ts[:nts], ys[:nts], dt_[:nd], dh[:nd], dy[:nd], dr[:nd], rec[:nr], stats


_SIGNATURE = (RHS_TYPE, _A1, _A1, _A2, _A1, _A1, _A1, _A2, _A1, _A1,
              types.Array(types.int64, 1, "C"))
_compiled = []


def _driver():
    """The driver compiled for a first-class ``RHS_TYPE`` right-hand side (built once, cached)."""
    if not _compiled:
        _compiled.append(numba.njit(_SIGNATURE, cache=True)(_drive))
    return _compiled[0]


def solve_compiled(rhs, p, y0, t0, t1, method, *, rtol=1e-6, atol=1e-8, saveat=None, dt0=None,
                   dtmax=math.inf, max_steps=100_000, adaptive=True, nfixed=0, controller=None,
                   dense=True, record=False) -> dict:
    """Run the compiled driver; returns a dict of arrays (see the keys below), never raises on failure.

    Parameters mirror :func:`symnum.solvers.engine.integrate`; ``rhs`` is a numba
    dispatcher ``rhs(t, y, p, out)``, ``p`` its parameter vector, ``nfixed`` the
    number of equal steps when ``adaptive=False``.

    Returns
    -------
    dict
        ``status`` (key of :data:`STATUS`), ``ts``, ``ys``, ``stats`` (steps,
        accepted, rejected, nfev, njev), ``dense`` (``t_start, h, y_start,
        coeffs`` arrays or None), ``records`` (``t, h, error, stiffness`` or None).
    """
    tab = method.tableau
    num = tab.numeric()
    ctrl = controller or method.controller
    t0, t1 = float(t0), float(t1)
    save_all = saveat is None
    saves = np.zeros(0) if save_all else np.array(saveat, dtype=np.float64).ravel()
    keep_dense = bool(dense and save_all)
    fvals = dict(t0=t0, t1=t1, rtol=rtol, atol=atol, dt0=-1.0 if dt0 is None else abs(dt0),
                 dtmax=dtmax, beta1=ctrl.beta1, beta2=ctrl.beta2, safety=ctrl.safety,
                 facmin=ctrl.facmin, facmax=ctrl.facmax, errmin=ctrl.errmin,
                 tiny=UNDERFLOW_ULPS * np.finfo(float).eps * max(abs(t0), abs(t1)),
                 stretch=END_STRETCH)
    ivals = dict(max_steps=max_steps, adaptive=adaptive, nfixed=nfixed, save_all=save_all,
                 keep_dense=keep_dense, record=record, fsal=tab.fsal, order=method.order)
    fpar = np.array([fvals[k] for k in _F], dtype=np.float64)
    ipar = np.array([ivals[k] for k in _I], dtype=np.int64)
    bd = num.b_dense if num.b_dense is not None else np.zeros((tab.stages, 1))
    # fresh writeable copies: the cached tableau arrays are read-only, which numba types
    # differently from the compiled signature
    args = (np.array(p, dtype=np.float64).ravel(), np.array(y0, dtype=np.float64).ravel(),
            np.array(num.a), np.array(num.c), np.array(num.b), np.array(num.b_err),
            np.array(bd), saves, fpar, ipar)
    try:
        out = _driver()(rhs, *args)
    except TypeError as exc:
        raise SolverError(f"functions.numba_rhs={rhs!r} cannot be called as a compiled "
                          f"rhs(t, y, p, out) -> None with float64 arrays ({exc}); fix the "
                          "kernel's signature, or pass compiled=False to use functions.rhs"
                          ) from exc
    status, ts, ys, dt_, dh, dy, dr, rec, st = out
    stats = {"steps": int(st[0]), "accepted": int(st[1]), "rejected": int(st[2]),
             "nfev": int(st[3]), "njev": 0}
    return {"status": int(status), "ts": ts, "ys": ys, "stats": stats,
            "dense": ((dt_, dh, dy, dr.reshape(len(dt_), -1, dy.shape[1])) if keep_dense and len(dt_)
                      else None),
            "records": ({"t": rec[:, 0], "h": rec[:, 1], "error": rec[:, 2],
                         "stiffness": rec[:, 3]} if record else None)}
