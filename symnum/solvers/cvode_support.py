"""Helpers shared by the stiff wrappers: linear-solver choice, save times, interpolation.

Examples
--------
>>> saveat_times(None, 0.0, 1.0) is None
True
>>> saveat_times([0.5, 1.0], 0.0, 1.0)
array([0.5, 1. ])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from ..errors import SolverError

__all__ = ["choose_linear_solver", "csc_permutation", "hermite_interpolant", "saveat_times",
           "DENSE_MAX", "KRYLOV_MIN"]

# Thresholds measured with benchmarks/bench_linear_solver_choice.py (2D
# Brusselator, rtol 1e-6, best of 3, 2-core shared machine):
#      n      dense   sparse  krylov+fft  krylov+lu
#     72      10 ms    12 ms     63 ms      49 ms
#    128      30 ms    19 ms     57 ms      53 ms
#    242      78 ms    38 ms     64 ms      94 ms
#    512     576 ms   108 ms     77 ms     186 ms
#   1058     6.6 s    327 ms    125 ms     381 ms
#   2048       -      850 ms    115 ms    1087 ms
#: Largest system for which ``linear_solver="auto"`` uses a dense LU.
DENSE_MAX = 100
#: Smallest periodic system for which ``"auto"`` prefers FFT-preconditioned GMRES
#: over the sparse direct solver; below it the per-call Python overhead of the
#: preconditioner is not repaid. Without the periodic structure, GMRES with a
#: sparse-LU preconditioner never beat SuperLU_MT, so ``"auto"`` stays direct.
KRYLOV_MIN = 400


def choose_linear_solver(functions) -> str:
    """Pick ``"dense"``, ``"sparse"`` or ``"krylov"`` for ``functions`` by size and structure.

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> choose_linear_solver(ODEFunctions(n=3, rhs=lambda t, y: -y))
    'dense'
    """
    n = functions.n
    if n <= DENSE_MAX:
        return "dense"
    periodic = functions.periodic_shape is not None and functions.linear_part is not None
    if periodic and n >= KRYLOV_MIN:
        return "krylov"
    if functions.jac is not None or functions.jac_sparsity is not None:
        return "sparse"
    # no structure known: difference-quotient dense LU costs n RHS calls per
    # Jacobian and O(n^3) per factorization, matrix-free GMRES costs neither
    return "dense" if n <= 2000 else "krylov"


def csc_permutation(pattern) -> np.ndarray:
    """Indices that reorder a canonical CSR ``data`` array into CSC order.

    Examples
    --------
    >>> import scipy.sparse as sps
    >>> A = sps.csr_matrix(np.array([[1.0, 2.0], [0.0, 3.0]]))
    >>> A.data[csc_permutation(A)]
    array([1., 2., 3.])
    """
    pattern = sps.csr_matrix(pattern)
    where = sps.csr_matrix((np.arange(1, pattern.nnz + 1, dtype=float), pattern.indices,
                            pattern.indptr), shape=pattern.shape).tocsc()
    where.sort_indices()
    return where.data.astype(np.int64) - 1


def saveat_times(saveat, t0: float, t1: float):
    """Validate ``saveat`` against the span; None means every internal step.

    Examples
    --------
    >>> saveat_times([2.0], 0.0, 1.0)
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: saveat=[2.0] has times outside tspan=(0.0, 1.0) or out of order; pass sorted times inside the span
    """
    if saveat is None:
        return None
    s = np.atleast_1d(np.asarray(saveat, dtype=float))
    lo, hi = min(t0, t1), max(t0, t1)
    sign = 1.0 if t1 > t0 else -1.0
    if s.size == 0 or np.any(s < lo) or np.any(s > hi) or np.any(sign * np.diff(s) < 0):
        raise SolverError(f"saveat={list(map(float, s))!r} has times outside tspan={(t0, t1)!r}"
                          " or out of order; pass sorted times inside the span")
    return s


def hermite_interpolant(functions, ts: np.ndarray, ys: np.ndarray):
    """Cubic Hermite dense output through the saved states with slopes ``f(t_i, y_i)``.

    The slopes are computed on first use (not during the solve), so a solve
    that never interpolates pays nothing. Third order between saved points:
    fine when every internal step is saved (``saveat=None``), coarse when only
    a few save times are kept.

    Examples
    --------
    >>> from symnum.solvers.functions import ODEFunctions
    >>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
    >>> ts = np.linspace(0, 1, 11); ys = np.exp(-ts)[:, None]
    >>> bool(abs(hermite_interpolant(f, ts, ys)(np.array([0.55]))[0, 0] - np.exp(-0.55)) < 1e-6)
    True
    """
    if len(ts) < 2:
        return None
    cache = {}

    def interpolate(tq):
        if "spline" not in cache:
            from scipy.interpolate import CubicHermiteSpline

            order = np.argsort(ts, kind="stable")
            t_sorted, keep = np.unique(ts[order], return_index=True)
            Y = ys[order][keep]
            dY = np.stack([np.asarray(functions.rhs(t, y), dtype=float)
                           for t, y in zip(t_sorted, Y)])
            cache["spline"] = CubicHermiteSpline(t_sorted, Y, dY, axis=0)
        return cache["spline"](np.asarray(tq, dtype=float))

    return interpolate
