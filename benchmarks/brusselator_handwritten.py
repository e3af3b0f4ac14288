"""Hand-written 2D Brusselator (SciML / DiffEqDocs form) as an :class:`ODEFunctions`.

This is the B1 benchmark problem written the way an expert writes it by hand:
a fused numba right-hand side, an analytic sparse Jacobian with a fixed
pattern, and the exact constant linear part. It is what the peers are given
and what symnum's generated code is compared against.

Problem (DiffEqDocs "Solving Large Stiff Equations")::

    u_t = 1 + u^2 v - 4.4 u + alpha * lap(u) + f(x, y, t)
    v_t = 3.4 u - u^2 v      + alpha * lap(v)

with ``alpha = 10``, ``f = 5`` inside the disk ``(x-0.3)^2 + (y-0.6)^2 <= 0.1^2``
for ``t >= 1.1``, periodic on the unit square, ``xyd = linspace(0, 1, N)`` and
``dx = 1/(N-1)`` (so x=0 and x=1 are distinct nodes and the period is ``N dx``).
The state is ``y = [u.ravel(), v.ravel()]`` with ``u[i, j]`` at ``(x_i, y_j)``
(C order, x first).

Examples
--------
>>> f = brusselator(8)
>>> f.n, f.nfields, f.periodic_shape
(128, 2, (8, 8))
>>> f.jac(0.0, initial_state(8)).nnz == f.jac_sparsity.nnz
True
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sps

from symnum.solvers.functions import ODEFunctions

__all__ = ["brusselator", "initial_state", "TSPAN"]

TSPAN = (0.0, 11.5)
A, B, ALPHA = 3.4, 1.0, 10.0


@numba.njit(cache=True, fastmath=True)
def _rhs(t, y, p, out):
    # p = (A, B, alpha, dx, N); fused loop, periodic wrap only at the edges
    a, b, alpha, dx = p[0], p[1], p[2], p[3]
    N = int(p[4])
    m = N * N
    c = alpha / (dx * dx)
    forcing = t >= 1.1
    for i in range(N):
        im = i - 1 if i > 0 else N - 1
        ip = i + 1 if i < N - 1 else 0
        x = i * dx
        for j in range(N):
            jm = j - 1 if j > 0 else N - 1
            jp = j + 1 if j < N - 1 else 0
            k = i * N + j
            u = y[k]
            v = y[m + k]
            lu = y[im * N + j] + y[ip * N + j] + y[i * N + jm] + y[i * N + jp] - 4.0 * u
            lv = (y[m + im * N + j] + y[m + ip * N + j] + y[m + i * N + jm]
                  + y[m + i * N + jp] - 4.0 * v)
            uuv = u * u * v
            f = 0.0
            if forcing:
                yy = j * dx
                if (x - 0.3) ** 2 + (yy - 0.6) ** 2 <= 0.01:
                    f = 5.0
            out[k] = b + uuv - (a + 1.0) * u + c * lu + f
            out[m + k] = a * u - uuv + c * lv


def _laplacian(N: int, dx: float) -> sps.csr_matrix:
    """Periodic 5-point Laplacian on an N x N grid (C order, x first)."""
    e = np.ones(N)
    d1 = sps.diags([e[:-1], -2 * e, e[:-1]], [-1, 0, 1], shape=(N, N), format="lil")
    d1[0, N - 1] = 1.0
    d1[N - 1, 0] = 1.0
    d1 = d1.tocsr()
    eye = sps.identity(N, format="csr")
    return ((sps.kron(d1, eye) + sps.kron(eye, d1)) / dx**2).tocsr()


def initial_state(N: int) -> np.ndarray:
    """``u = 22 (y(1-y))^1.5``, ``v = 27 (x(1-x))^1.5`` on the DiffEqDocs grid, flattened."""
    xyd = np.linspace(0.0, 1.0, N)
    X, Y = np.meshgrid(xyd, xyd, indexing="ij")
    u = 22.0 * (Y * (1.0 - Y)) ** 1.5
    v = 27.0 * (X * (1.0 - X)) ** 1.5
    return np.concatenate([u.ravel(), v.ravel()])


def brusselator(N: int, alpha: float = ALPHA) -> ODEFunctions:
    """Build the hand-written Brusselator ODEFunctions on an ``N x N`` periodic grid.

    Parameters
    ----------
    N : int
        Grid points per axis (``n = 2 N^2`` unknowns); at least 4.
    alpha : float
        Diffusion coefficient.

    Returns
    -------
    ODEFunctions
        With numba ``rhs``/``rhs_into``/``numba_rhs``, exact sparse ``jac``
        (fixed pattern ``jac_sparsity``), ``linear_part`` (``alpha`` times the
        Laplacian on both fields, ``-4.4 u`` and the ``3.4 u`` coupling) and
        ``periodic_shape=(N, N)``, ``nfields=2``.

    Examples
    --------
    >>> f = brusselator(4)
    >>> f.rhs(0.0, initial_state(4)).shape
    (32,)
    """
    if N < 4:
        raise ValueError(f"N={N!r} is too small for the 5-point periodic stencil; pass N >= 4")
    m = N * N
    dx = 1.0 / (N - 1)
    p = np.array([A, B, alpha, dx, float(N)])
    lap = alpha * _laplacian(N, dx)
    eye = sps.identity(m, format="csr")
    linear = sps.bmat([[lap - (A + 1.0) * eye, None], [A * eye, lap]], format="csr")
    linear.sort_indices()
    # Jacobian pattern = linear part + the pointwise u-v coupling blocks.
    pattern = sps.bmat([[lap + eye, eye], [eye, lap + eye]], format="csr")
    pattern.sort_indices()
    pattern.data[:] = 1.0
    idx = np.arange(m)

    where = sps.csr_matrix((np.arange(1, pattern.nnz + 1, dtype=float), pattern.indices,
                            pattern.indptr), shape=pattern.shape)

    def position(rows, cols):
        # index into the CSR data array of the entries (rows[k], cols[k])
        return np.asarray(where[rows, cols]).ravel().astype(np.int64) - 1

    lin = linear.tocoo()
    base_data = np.zeros(pattern.nnz)
    base_data[position(lin.row, lin.col)] = lin.data  # linear values on the full pattern
    p_uu, p_uv = position(idx, idx), position(idx, m + idx)
    p_vu, p_vv = position(m + idx, idx), position(m + idx, m + idx)
    indices, indptr = pattern.indices.copy(), pattern.indptr.copy()

    def jac(t, y):
        u, v = y[:m], y[m:]
        data = base_data.copy()
        uv2 = 2.0 * u * v
        uu = u * u
        data[p_uu] += uv2   # d/du (u^2 v) = 2uv; the -4.4 is already in base
        data[p_uv] = uu
        data[p_vu] += -uv2
        data[p_vv] += -uu
        return sps.csr_matrix((data, indices, indptr), shape=(2 * m, 2 * m))

    def rhs(t, y):
        out = np.empty_like(y)
        _rhs(float(t), y, p, out)
        return out

    def rhs_into(t, y, out):
        _rhs(float(t), y, p, out)

    return ODEFunctions(
        n=2 * m, rhs=rhs, rhs_into=rhs_into, jac=jac, jac_sparsity=pattern,
        linear_part=linear, periodic_shape=(N, N), nfields=2, numba_rhs=_rhs, params=p,
    )
