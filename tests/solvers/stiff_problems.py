"""Stiff test problems built by hand as ODEFunctions (numpy RHS, scipy.sparse Jacobians).

Loaded by path from the stiff-solver tests (``load("stiff_problems")``) so
that it does not depend on how pytest puts test folders on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import scipy.sparse as sps

from symnum.solvers.functions import ODEFunctions

ROOT = Path(__file__).resolve().parents[2]

# Robertson (1966) chemical kinetics; reference values at t = 40 from Hairer & Wanner,
# "Solving ODEs II", and the ODE test set (y1, y2, y3).
ROBERTSON_T40 = np.array([0.7158271, 9.185535e-6, 0.2841637])


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def brusselator_module():
    """benchmarks/brusselator_handwritten.py (not a package), loaded by path."""
    path = ROOT / "benchmarks" / "brusselator_handwritten.py"
    return load_module(path, "brusselator_handwritten")


def fixed_pattern(jac, pattern):
    """Wrap ``jac`` so that it returns CSR on ``pattern`` (explicit zeros kept)."""
    where = sps.csr_matrix((np.arange(1, pattern.nnz + 1, dtype=float), pattern.indices,
                            pattern.indptr), shape=pattern.shape)

    def fixed(t, y):
        J = sps.coo_matrix(jac(t, y))
        data = np.zeros(pattern.nnz)
        data[np.asarray(where[J.row, J.col]).ravel().astype(int) - 1] = J.data
        return sps.csr_matrix((data, pattern.indices, pattern.indptr), shape=pattern.shape)
    return fixed


def robertson(k1=0.04, k2=3e7, k3=1e4) -> ODEFunctions:
    def rhs(t, y):
        return np.array([-k1 * y[0] + k3 * y[1] * y[2],
                         k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
                         k2 * y[1] ** 2])

    def jac(t, y):
        return sps.csr_matrix(np.array([
            [-k1, k3 * y[2], k3 * y[1]],
            [k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]],
            [0.0, 2 * k2 * y[1], 0.0]]))

    pattern = sps.csr_matrix(np.array([[1, 1, 1], [1, 1, 1], [0, 1, 0]], dtype=float))

    def jac_fixed(t, y):
        J = jac(t, y).toarray()
        return sps.csr_matrix((J[pattern.nonzero()], pattern.indices, pattern.indptr),
                              shape=(3, 3))

    return ODEFunctions(n=3, rhs=rhs, jac=jac_fixed, jac_sparsity=pattern)


def stiff_linear():
    """``y' = A y`` with eigenvalues -1, -100, -1e4 (and a rotation), exact by expm."""
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    D = np.diag([-1.0, -100.0, -1e4, -3.0])
    D[3, 0], D[0, 3] = -2.0, 2.0
    A = Q @ D @ Q.T
    As = sps.csr_matrix(A)
    f = ODEFunctions(n=4, rhs=lambda t, y: A @ y, jac=lambda t, y: As,
                     jac_sparsity=sps.csr_matrix(np.ones((4, 4))), linear_part=As)
    return f, A, np.array([1.0, 2.0, -1.0, 0.5])


def stiff_chemistry(N=16, kmax=4.0):
    """Periodic 2D diffusion with fast, spatially varying kinetics ``k(x)(u^2 - v)``.

    ``k`` spans 1..10^kmax, so the block-circulant (FFT) preconditioner is poor
    here and the adaptive preconditioner must hand over to a sparse LU.
    """
    bm = brusselator_module()
    m, dx = N * N, 1.0 / N
    x = np.arange(N) * dx
    X, Y = np.meshgrid(x, x, indexing="ij")
    k = (10 ** (kmax * (0.5 + 0.5 * np.sin(2 * np.pi * X) * np.sin(2 * np.pi * Y)))).ravel()
    lap = bm._laplacian(N, dx)
    eye = sps.identity(m, format="csr")
    L = sps.bmat([[lap, None], [None, lap - eye]], format="csr")

    def rhs(t, y):
        u, v = y[:m], y[m:]
        r = k * (u * u - v)
        return np.concatenate([lap @ u - r + 1.0, lap @ v + r - v])

    def jac_any(t, y):
        d, kk = sps.diags(2 * k * y[:m]), sps.diags(k)
        return sps.bmat([[lap - d, kk], [d, lap - eye - kk]], format="csr")

    y0 = np.concatenate([0.5 + 0.5 * np.sin(2 * np.pi * X.ravel()), np.zeros(m)])
    pattern = jac_any(0.0, np.ones(2 * m))
    pattern.sort_indices()
    f = ODEFunctions(n=2 * m, rhs=rhs, jac=fixed_pattern(jac_any, pattern),
                     jac_sparsity=pattern, linear_part=L, periodic_shape=(N, N), nfields=2)
    return f, y0
