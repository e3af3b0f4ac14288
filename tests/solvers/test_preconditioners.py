"""Preconditioners: exact inverses on circulant operators, LU inverse, switching, choice."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from symnum.errors import SolverError
from symnum.solvers.algorithm import SolveOptions
from symnum.solvers.cvode import CVODE
from symnum.solvers.functions import ODEFunctions
from symnum.solvers.preconditioners import (AdaptivePreconditioner, FFTPreconditioner,
                                            SparseLUPreconditioner, circulant_symbol,
                                            make_preconditioner)

import symnum_tests_stiff_problems as problems  # registered by conftest.py

bm = problems.brusselator_module()


@pytest.mark.parametrize("N", [8, 13])
@pytest.mark.parametrize("gamma", [1e-4, 0.05, 3.0])
def test_fft_inverse_on_brusselator_operator(N, gamma):
    # At a spatially uniform state the Brusselator Jacobian (5-point diffusion,
    # -4.4 u, 3.4 u coupling, u^2 v reaction) is exactly block circulant, so
    # P = I - gamma J is inverted exactly: P^-1 (P v) == v.
    f = bm.brusselator(N)
    m = N * N
    y = np.concatenate([np.full(m, 1.3), np.full(m, 2.9)])
    J = f.jac(0.0, y)
    P = FFTPreconditioner(f)
    assert P.setup(0.0, y, False, gamma) is True
    v = np.random.default_rng(N).standard_normal(f.n)
    Pv = v - gamma * (J @ v)
    np.testing.assert_allclose(P.solve(Pv, gamma), v, rtol=0, atol=1e-10 * np.abs(v).max())
    out = np.empty(f.n)
    assert P.solve(Pv, gamma, out) is out  # writes in place for CVODE


def test_fft_symbol_reproduces_linear_part_in_1d_2d_3d():
    rng = np.random.default_rng(0)
    for shape in [(12,), (6, 5), (4, 3, 5)]:
        ops = []
        for axis, s in enumerate(shape):
            d = sps.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(s, s), format="lil")
            d[0, s - 1] = d[s - 1, 0] = 1.0
            mats = [sps.identity(k, format="csr") for k in shape]
            mats[axis] = d.tocsr()
            op = mats[0]
            for M in mats[1:]:
                op = sps.kron(op, M)
            ops.append(op)
        L = sps.csr_matrix(sum(ops) * 2.5 - 0.3 * sps.identity(int(np.prod(shape))))
        f = ODEFunctions(n=L.shape[0], rhs=lambda t, y: L @ y, linear_part=L, periodic_shape=shape)
        P = FFTPreconditioner(f)
        x = rng.standard_normal(f.n)
        np.testing.assert_allclose(P.apply_symbol(circulant_symbol(L, shape, 1), x), L @ x,
                                   atol=1e-12)
        np.testing.assert_allclose(P.solve(x - 0.7 * (L @ x), 0.7), x, atol=1e-10)


def test_fft_rejects_non_translation_invariant_operator():
    L = sps.diags(np.linspace(-1, -2, 8), format="csr")  # variable coefficient
    f = ODEFunctions(n=8, rhs=lambda t, y: L @ y, linear_part=L, periodic_shape=(8,))
    with pytest.raises(SolverError, match="not translation invariant.*preconditioner='lu'"):
        FFTPreconditioner(f)
    with pytest.raises(SolverError, match="fully periodic grid"):
        FFTPreconditioner(ODEFunctions(n=8, rhs=lambda t, y: y, linear_part=L))
    with pytest.raises(SolverError, match="gives 16 unknowns but the state has n=8"):
        FFTPreconditioner(ODEFunctions(n=8, rhs=lambda t, y: y, linear_part=L,
                                       periodic_shape=(8,), nfields=2))
    # auto falls back to the sparse LU when the Jacobian is known
    f.jac = lambda t, y: L
    assert isinstance(make_preconditioner("auto", f), SparseLUPreconditioner)


@pytest.mark.parametrize("kind", ["lu", "ilu"])
def test_sparse_lu_inverse(kind):
    f = bm.brusselator(6)
    y = bm.initial_state(6)
    P = SparseLUPreconditioner(f, kind)
    assert P.setup(0.0, y, False, 0.01) is True and P.setup(0.0, y, True, 0.02) is False
    v = np.random.default_rng(1).standard_normal(f.n)
    Pv = v - 0.02 * (f.jac(0.0, y) @ v)
    tol = 1e-10 if kind == "lu" else 1e-2
    assert np.abs(P.solve(Pv, 0.02) - v).max() <= tol * np.abs(v).max()
    assert P.stats["pjevals"] == 1 and P.stats["factorizations"] == 2


def test_adaptive_hands_over_to_lu_on_stiff_local_kinetics():
    f, y0 = problems.stiff_chemistry(N=12)
    opts = SolveOptions(rtol=1e-6, atol=1e-8, saveat=np.array([10.0]))
    raw = CVODE(linear_solver="krylov").run(f, y0, (0.0, 10.0), opts)
    ref = CVODE(linear_solver="sparse").run(f, y0, (0.0, 10.0), opts)
    assert raw.result.ok and "switched_to_lu_at" in raw.stats
    assert np.linalg.norm(raw.ys[-1] - ref.ys[-1]) <= 1e-4 * np.linalg.norm(ref.ys[-1])


def test_make_preconditioner_choices():
    f = bm.brusselator(6)
    assert isinstance(make_preconditioner("auto", f), AdaptivePreconditioner)
    assert isinstance(make_preconditioner("fft", f), FFTPreconditioner)
    assert make_preconditioner("none", f) is None
    with pytest.raises(SolverError, match="preconditioner='amg' is not known.*'fft'"):
        make_preconditioner("amg", f)
    with pytest.raises(SolverError, match="needs the exact sparse Jacobian"):
        SparseLUPreconditioner(ODEFunctions(n=2, rhs=lambda t, y: -y))
