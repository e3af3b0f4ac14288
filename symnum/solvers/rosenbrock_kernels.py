"""Cached numba kernels of the compiled Rosenbrock loop (:mod:`~symnum.solvers.rosenbrock_numba`).

They do not touch the problem's functions, so numba compiles them once and
caches them; only the loop that calls them is compiled per problem.

The dense LU is hand written with partial pivoting: for ``n = 3`` it factors
and solves in tens of nanoseconds, whereas ``np.linalg.solve`` inside numba
goes through LAPACK with copies and workspace allocation on every call
(``benchmarks/bench_small_stiff.py`` measures both), and it would refactor for
each of the solves per step.

Examples
--------
>>> import numpy as np
>>> A = np.array([[0.0, 2.0], [1.0, 1.0]])
>>> piv, dinv = np.zeros(2, np.int64), np.zeros(2)
>>> lu_factor(A, piv, dinv)
True
>>> b = np.array([2.0, 3.0]); lu_solve(A, piv, dinv, b); b
array([2., 1.])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rosenbrock_control import NINFO

__all__ = ["lu_factor", "lu_solve"]


@njit(cache=True)
def lu_factor(A, piv, dinv):
    """In-place LU with partial pivoting of a small dense matrix; False if singular.

    ``piv[k]`` is the row swapped with row ``k``; ``dinv[k] = 1 / U[k, k]``
    so that the solves multiply instead of divide (divisions sit on the
    solves' serial dependency chain and cost a third of their time at n = 3).
    """
    n = A.shape[0]
    for k in range(n):
        m, big = k, abs(A[k, k])
        for i in range(k + 1, n):
            v = abs(A[i, k])
            if v > big:
                m, big = i, v
        piv[k] = m
        if not (big > 0.0) or big == math.inf:      # zero, NaN or infinite pivot
            return False
        if m != k:
            for j in range(n):
                tmp = A[k, j]
                A[k, j] = A[m, j]
                A[m, j] = tmp
        inv = 1.0 / A[k, k]
        dinv[k] = inv
        for i in range(k + 1, n):
            a = A[i, k] * inv
            A[i, k] = a
            for j in range(k + 1, n):
                A[i, j] -= a * A[k, j]
    return True


@njit(cache=True)
def lu_solve(LU, piv, dinv, b):
    """Solve ``A x = b`` in place with the factors from :func:`lu_factor`."""
    n = LU.shape[0]
    for k in range(n):
        m = piv[k]
        if m != k:
            tmp = b[k]
            b[k] = b[m]
            b[m] = tmp
    for i in range(1, n):
        s = b[i]
        for j in range(i):
            s -= LU[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= LU[i, j] * b[j]
        b[i] = s * dinv[i]


@njit(cache=True)
def _w_factor(J, hg, W, piv, dinv):
    """``W = I - h gamma J`` factored in place."""
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j] = -hg * J[i, j]
        W[i, i] += 1.0
    return lu_factor(W, piv, dinv)


@njit(cache=True)
def _rms_norm(e, y, ynew, rtol, atol):
    s = 0.0
    for i in range(e.size):
        sc = atol + rtol * max(abs(y[i]), abs(ynew[i]))
        s += (e[i] / sc) ** 2
    return math.sqrt(s / e.size)


@njit(cache=True)
def _start_norms(f0, f1, y0, h0, rtol, atol):
    """The norms ``(||f0||, ||f1 - f0|| / h0)`` of ``rosenbrock_control.first_step``, in order.

    (The Python loop's NumPy means sum pairwise and round differently.)
    """
    d1 = d2 = 0.0
    for i in range(y0.size):
        sc = atol + rtol * abs(y0[i])
        d1 += (f0[i] / sc) ** 2
        d2 += ((f1[i] - f0[i]) / sc) ** 2
    n = y0.size
    return math.sqrt(d1 / n), math.sqrt(d2 / n) / h0


@njit(cache=True)
def _grow(a, cap):
    out = np.empty((cap, a.shape[1]))
    out[:a.shape[0]] = a
    return out


@njit(cache=True)
def _zero(J):
    for i in range(J.shape[0]):
        for j in range(J.shape[1]):
            J[i, j] = 0.0


@njit(cache=True)
def _arrays(y0, rows, m, nsave, record, dense):
    """Every array the loop needs, allocated here (few, large) so that the per-problem
    code compiles fast and a short solve does not pay per-array allocation."""
    n = y0.size
    vecs = np.zeros((7 + rows + m, n))    # y ynew f0 fnew ft dT dinv, the method's rows, D
    vecs[0] = y0
    mats = np.zeros((2, n, n))            # J, W
    hist = np.empty((64 if record else 1, 1 + n + m * n if dense else 1 + n))
    return vecs, mats, np.empty(n, np.int64), hist, np.empty((nsave, n)), np.zeros(NINFO)


@njit(cache=True)
def _record(hist, i, t, y, D, dense):
    """History row ``i``: ``t_i, y_i`` and, when ``dense``, step ``i``'s ``D`` (by rows)."""
    n = y.size
    hist[i, 0] = t
    for j in range(n):
        hist[i, 1 + j] = y[j]
    if dense:
        for r in range(D.shape[0]):
            for j in range(n):
                hist[i, 1 + (r + 1) * n + j] = D[r, j]


@njit(cache=True)
def _difference(a, b, out):
    """``out = a - b``; whether any entry is not zero."""
    same = True
    for i in range(a.size):
        out[i] = a[i] - b[i]
        same = same and out[i] == 0.0
    return not same


@njit(cache=True)
def _finite(v):
    for i in range(v.size):
        if not math.isfinite(v[i]):
            return False
    return True


@njit(cache=True)
def _finite2(A):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if not math.isfinite(A[i, j]):
                return False
    return True


@njit(cache=True)
def _dense(y, k1, k2, h, theta, d, dscale, out, row):
    """Write the ode23s dense output ``y + h (b1 k1 + b2 k2)`` at ``theta`` into ``out[row]``."""
    if theta == 1.0:           # the step's end, bit for bit as the loop computed it
        for i in range(y.size):
            out[row, i] = y[i] + h * k2[i]
        return
    b1 = theta * (1.0 - theta) * dscale
    b2 = theta * (theta - 2.0 * d) * dscale
    for i in range(y.size):
        out[row, i] = y[i] + h * (b1 * k1[i] + b2 * k2[i])
