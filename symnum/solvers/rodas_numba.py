"""Cached kernels of the Rodas methods (any :class:`RodasTableau`) for the compiled loop.

:func:`~symnum.solvers.rosenbrock_numba.rosenbrock_loop` runs the Rodas
methods with these, the tableau passed as ``tab = (A, C, c, d, H)``, so one
compiled loop serves every Rodas method.

Per step: one Jacobian (reused by rejected steps), one LU of ``I - h gamma J``,
``s`` solves; the stage equations ``(I / (h gamma) - J) k = b`` are solved as
``(I - h gamma J) k = h gamma b``. The error estimate is the last stage.

Examples
--------
>>> import numpy as np
>>> K = np.array([[1.0, 2.0], [0.5, 1.0]])          # K1, K2 for n = 2
>>> out = np.zeros((1, 2))
>>> _rodas_dense(np.zeros(2), np.ones(2), K, 1.0, out, 0); out   # theta = 1 gives y1
array([[1., 1.]])
"""

from __future__ import annotations

from numba import njit

__all__: list[str] = []        # private kernels of rosenbrock_numba's loop


@njit(cache=True)
def _rodas_dense(y, y1, K, theta, out, row):
    """``(1 - th) y + th (y1 + (1 - th) (K1 + th (K2 + ...)))`` into ``out[row]``."""
    m = K.shape[0]
    for i in range(y.size):
        acc = K[m - 1, i]
        for r in range(m - 2, -1, -1):
            acc = K[r, i] + theta * acc
        out[row, i] = (1.0 - theta) * y[i] + theta * (y1[i] + (1.0 - theta) * acc)


@njit(cache=True)
def _stage_rhs(b, fs, h, di, dT, C, i, ks):
    """``b = fs + h d_i T + sum_j (C[i, j] / h) k_j``."""
    n = b.size
    for q in range(n):
        b[q] = fs[q] + h * di * dT[q]
    for j in range(i):
        cij = C[i, j] / h
        if cij != 0.0:
            for q in range(n):
                b[q] += cij * ks[j, q]


@njit(cache=True)
def _stage_state(ytmp, y, A, i, ks):
    """``ytmp = y + sum_j A[i, j] k_j``."""
    n = y.size
    for q in range(n):
        ytmp[q] = y[q]
    for j in range(i):
        aij = A[i, j]
        if aij != 0.0:
            for q in range(n):
                ytmp[q] += aij * ks[j, q]


@njit(cache=True)
def _dense_coeffs(K, H, ks):
    """``K = H ks``: the dense coefficients of the accepted step."""
    for r in range(K.shape[0]):
        for q in range(K.shape[1]):
            acc = 0.0
            for j in range(ks.shape[0]):
                acc += H[r, j] * ks[j, q]
            K[r, q] = acc
