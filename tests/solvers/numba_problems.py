"""Test problems with numba ``rhs``/``jac`` kernels, for the compiled stiff solvers.

``conftest.py`` registers it as ``symnum_tests_numba_problems`` (after
``stiff_problems.py``, which it uses), so the kernels are module attributes and
the compiled Rosenbrock loop built on them is cached on disk between test runs
(see ``symnum/solvers/rosenbrock_compiled.py``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps
from numba import njit

import symnum_tests_stiff_problems as stiff  # registered by conftest.py
from symnum.solvers.functions import ODEFunctions

ROBERTSON_K = np.array([0.04, 3e7, 1e4])
ROBERTSON_Y0 = np.array([1.0, 0.0, 0.0])
ROBERTSON_T40 = stiff.ROBERTSON_T40              # the literature values at t = 40


@njit(cache=True)
def robertson_rhs(t, y, p, out):
    out[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    out[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    out[2] = p[1] * y[1] * y[1]


@njit(cache=True)
def robertson_jac(t, y, p, J):
    J[0, 0] = -p[0]
    J[0, 1] = p[2] * y[2]
    J[0, 2] = p[2] * y[1]
    J[1, 0] = p[0]
    J[1, 1] = -p[2] * y[2] - 2.0 * p[1] * y[1]
    J[1, 2] = -p[2] * y[1]
    J[2, 1] = 2.0 * p[1] * y[1]


@njit(cache=True)
def affine_rhs(t, y, p, out):          # y' = A y + b cos(t), p = (A row by row, b)
    n = y.size
    for i in range(n):
        s = p[n * n + i] * np.cos(t)
        for j in range(n):
            s += p[i * n + j] * y[j]
        out[i] = s


@njit(cache=True)
def affine_jac(t, y, p, J):
    n = y.size
    for i in range(n):
        for j in range(n):
            J[i, j] = p[i * n + j]


def robertson(numba=True) -> ODEFunctions:
    """Robertson kinetics: NumPy ``rhs`` and sparse ``jac``, plus the numba kernels if asked."""
    k1, k2, k3 = ROBERTSON_K

    def rhs(t, y):
        return np.array([-k1 * y[0] + k3 * y[1] * y[2],
                         k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2, k2 * y[1] ** 2])

    def jac(t, y):
        return sps.csr_matrix(np.array([[-k1, k3 * y[2], k3 * y[1]],
                                        [k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]],
                                        [0.0, 2 * k2 * y[1], 0.0]]))

    f = ODEFunctions(n=3, rhs=rhs, jac=jac)
    if numba:
        f.numba_rhs, f.numba_jac, f.params = robertson_rhs, robertson_jac, ROBERTSON_K.copy()
    return f


def affine(A, b=None) -> ODEFunctions:
    """``y' = A y + b cos(t)`` with NumPy and numba functions."""
    b = np.zeros(A.shape[0]) if b is None else b
    return ODEFunctions(n=A.shape[0], rhs=lambda t, y: A @ y + b * np.cos(t),
                        jac=lambda t, y: A, numba_rhs=affine_rhs, numba_jac=affine_jac,
                        params=np.concatenate([A.ravel(), b]))


def stiff_linear():
    """``stiff_problems.stiff_linear``'s ``y' = A y`` (exact by expm) with numba functions."""
    _, A, y0 = stiff.stiff_linear()
    return affine(A), A, y0
