"""Preconditioners for Newton-Krylov stiff solvers: ``P ~ I - gamma J``.

A BDF step solves ``(I - gamma J) x = b`` a few times per step. For a
method-of-lines PDE the Jacobian is dominated by the discrete diffusion
operator, so the preconditioner that wins is the one that inverts diffusion
exactly and cheaply:

* :class:`FFTPreconditioner` -- for fully periodic uniform grids. The
  linear part ``L`` of ``f`` is block circulant (one circulant block per pair
  of fields), so ``I - gamma C`` with ``C`` a block-circulant approximation of
  the Jacobian is diagonalized by a real FFT into one ``nfields x nfields``
  system per Fourier mode. ``C`` is T. Chan's optimal circulant approximation
  of the exact Jacobian (the average of ``J`` along each wrapped diagonal,
  block by block): it equals ``L`` plus the spatial mean of the reaction
  Jacobian, so diffusion, constant coupling and the mean reaction rate are
  all inverted exactly. Cost per application: ``2 nfields`` FFTs.
* :class:`SparseLUPreconditioner` -- any problem with an exact sparse
  Jacobian: ``splu(I - gamma J)`` (or an incomplete LU), refactored only
  when the integrator asks for a new setup.
* :class:`AdaptivePreconditioner` -- what ``"auto"`` uses on periodic grids:
  the FFT preconditioner, handing over to the sparse LU for the rest of the
  solve if GMRES needs many iterations (stiff reactions that vary in space).

All follow the CVODE protocol: ``setup(t, y, jok, gamma) -> jcur`` and
``solve(r, gamma, out, t)``; they count their setups, Jacobian evaluations
and applications in :attr:`stats`.

Why this design (measured, CVODE BDF, rtol 1e-6): on the 2D Brusselator the
block-circulant ``C`` needs fewer than one GMRES iteration per Newton iteration
at N = 32..128, so nothing better is needed there. A per-grid-point
``nfields x nfields`` correction applied as a product ``(I - gamma E)(I - gamma C)``
(``E`` = local Jacobian blocks minus their mean) saved 2% of the
preconditioner solves on the Brusselator and, with reaction rates varying by
10^4 in space, made GMRES fail to converge (40x slower): the splitting error
``gamma^2 E C`` grows with the diffusion. Handing over to an exact LU when
GMRES struggles is robust there and costs nothing where the FFT suffices.

References: T. F. Chan, "An optimal circulant preconditioner for Toeplitz
systems", SIAM J. Sci. Stat. Comput. 9 (1988); P. N. Brown and
A. C. Hindmarsh, "Reduced storage matrix methods in stiff ODE systems",
Appl. Math. Comput. 31 (1989).

Examples
--------
>>> import numpy as np, scipy.sparse as sps
>>> from symnum.solvers.functions import ODEFunctions
>>> n = 16
>>> L = sps.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(n, n), format="lil")
>>> L[0, n - 1] = L[n - 1, 0] = 1.0
>>> f = ODEFunctions(n=n, rhs=lambda t, y: L @ y, linear_part=L.tocsr(), periodic_shape=(n,))
>>> P = FFTPreconditioner(f)
>>> P.setup(0.0, np.zeros(n), False, 0.5)  # no Jacobian given: C = L, nothing to refresh
False
>>> v = np.random.default_rng(0).normal(size=n)
>>> z = P.solve(v - 0.5 * (L @ v), 0.5)
>>> bool(np.allclose(z, v))
True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from ..errors import SolverError

__all__ = ["FFTPreconditioner", "SparseLUPreconditioner", "AdaptivePreconditioner",
           "circulant_symbol", "make_preconditioner", "PRECONDITIONERS"]

#: Names accepted by ``CVODE(preconditioner=...)``.
PRECONDITIONERS = ("auto", "fft", "lu", "ilu", "none")


def circulant_symbol(M, shape: tuple[int, ...], nfields: int) -> np.ndarray:
    """Fourier symbol of T. Chan's optimal block-circulant approximation of ``M``.

    Parameters
    ----------
    M : scipy.sparse matrix, shape ``(nfields * prod(shape),) * 2``
        State ordered as ``nfields`` blocks, each a C-ordered periodic grid.
    shape : tuple of int
        The periodic grid.
    nfields : int
        Number of field blocks.

    Returns
    -------
    numpy.ndarray, complex, shape ``(nfields, nfields, *rfft_shape)``
        ``S[a, b]`` is the real-FFT of the first column of the circulant that
        best approximates block ``(a, b)`` in the Frobenius norm; when the
        block is exactly circulant, ``irfftn(S[a, b] * rfftn(x)) == M_ab x``.

    Examples
    --------
    >>> import scipy.sparse as sps
    >>> S = circulant_symbol(sps.identity(4, format="csr"), (4,), 1)
    >>> S.shape, bool(np.allclose(S, 1))
    ((1, 1, 3), True)
    """
    return _ChanMap(M, shape, nfields).symbol(M.data)


class _ChanMap:
    """Maps the data array of a fixed sparse pattern to block-circulant columns."""

    def __init__(self, M, shape, nfields):
        M = sps.csr_matrix(M)
        M.sort_indices()
        self.indptr, self.indices = M.indptr.copy(), M.indices.copy()
        self.shape, self.nfields = tuple(shape), nfields
        m = int(np.prod(shape))
        self.m = m
        rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
        cols = M.indices
        (fa, pr), (fb, pc) = np.divmod(rows, m), np.divmod(cols, m)
        # offset of the entry in grid multi-index space, row minus column, wrapped:
        # a circulant's first column holds C[d, 0] = value at offset d
        d = np.ravel_multi_index(
            [(a - b) % s for a, b, s in zip(np.unravel_index(pr, shape),
                                            np.unravel_index(pc, shape), shape)], shape)
        self.bin = (fa * nfields + fb) * m + d
        self.nbins = nfields * nfields * m

    def matches(self, M) -> bool:
        return (np.array_equal(M.indptr, self.indptr) and np.array_equal(M.indices, self.indices))

    def symbol(self, data) -> np.ndarray:
        col = np.bincount(self.bin, weights=data, minlength=self.nbins) / self.m
        col = col.reshape(self.nfields, self.nfields, *self.shape)
        axes = tuple(range(2, 2 + len(self.shape)))
        import scipy.fft as sfft  # lazily: 0.1 s of import time for users without FFT

        return sfft.rfftn(col, axes=axes)


class FFTPreconditioner:
    """``P = I - gamma C`` with ``C`` the optimal block-circulant approximation of ``J``.

    Parameters
    ----------
    functions : ODEFunctions
        Needs ``linear_part`` and ``periodic_shape``; ``jac`` (optional) adds
        the spatial mean of the nonlinear Jacobian at every setup.
    use_jacobian : bool
        Fold the mean of ``J - L`` into ``C`` (default). Without it
        ``C = L``: no Jacobian evaluations, weaker on strong reactions.

    Raises
    ------
    SolverError
        If the problem is not periodic, has no linear part, or its linear part
        is not translation invariant on ``periodic_shape`` (checked numerically).

    Examples
    --------
    See the module docstring.
    """

    def __init__(self, functions, use_jacobian: bool = True):
        shape = functions.periodic_shape
        L = functions.linear_part
        if shape is None or L is None:
            raise SolverError(
                "the FFT preconditioner needs a fully periodic grid "
                f"(functions.periodic_shape={shape!r}) and the exact linear part "
                f"(functions.linear_part is {'set' if L is not None else 'None'}); "
                "use preconditioner='lu' or 'auto' for this problem")
        self.shape, self.nf = tuple(int(s) for s in shape), int(functions.nfields)
        self.m = int(np.prod(self.shape))
        if self.nf * self.m != functions.n:
            raise SolverError(
                f"periodic_shape={self.shape} with nfields={self.nf} gives "
                f"{self.nf * self.m} unknowns but the state has n={functions.n}; "
                "fix the ODEFunctions structure hints")
        self.axes = tuple(range(1, 1 + len(self.shape)))
        self.L = sps.csr_matrix(L)
        self.sym_L = circulant_symbol(self.L, self.shape, self.nf)
        if not self._reproduces(self.L, self.sym_L):
            raise SolverError(
                "functions.linear_part is not translation invariant on periodic_shape="
                f"{self.shape}, so the FFT cannot diagonalize it; use preconditioner='lu'")
        self.jac = functions.jac if use_jacobian else None
        self._map = None
        self.sym = self.sym_L
        self._gamma = None
        self._inv = None
        self.stats = {"psetups": 0, "pjevals": 0, "psolves": 0}

    # -- operator checks ------------------------------------------------------
    def apply_symbol(self, sym, x) -> np.ndarray:
        """``C x`` for the block-circulant operator with symbol ``sym`` (for checks)."""
        import scipy.fft as sfft

        X = sfft.rfftn(np.asarray(x, float).reshape(self.nf, *self.shape), axes=self.axes)
        Y = np.einsum("ab...,b...->a...", sym, X)
        return sfft.irfftn(Y, s=self.shape, axes=self.axes).ravel()

    def _reproduces(self, M, sym) -> bool:
        x = np.random.default_rng(12345).standard_normal(self.nf * self.m)
        exact = M @ x
        err = np.abs(self.apply_symbol(sym, x) - exact).max()
        return bool(err <= 1e-10 * max(1.0, np.abs(exact).max()))

    # -- CVODE protocol -------------------------------------------------------
    def setup(self, t, y, jok, gamma) -> bool:
        """Refresh ``C`` from the Jacobian at ``(t, y)`` unless ``jok``; return whether it did."""
        self.stats["psetups"] += 1
        if self.jac is None or (jok and self._map is not None):
            return False
        J = self.jac(t, y)
        self.stats["pjevals"] += 1
        if self._map is None or not self._map.matches(J):
            J = sps.csr_matrix(J)
            J.sort_indices()
            self._map = _ChanMap(J, self.shape, self.nf)
        self.sym = self._map.symbol(J.data)
        self._gamma = None
        return True

    def _inverse(self, gamma):
        # (I - gamma S(k))^-1 per Fourier mode; recomputed only when gamma or S change
        if gamma == self._gamma:
            return self._inv
        nf = self.nf
        inv = _small_inverse(-gamma * self.sym, nf)
        self._gamma, self._inv = gamma, inv
        return inv

    def solve(self, r, gamma, out=None, t=None) -> np.ndarray:
        """Return ``z = P^{-1} r`` (written into ``out`` when given; ``t`` is unused)."""
        self.stats["psolves"] += 1
        inv = self._inverse(gamma)
        import scipy.fft as sfft

        X = sfft.rfftn(np.asarray(r).reshape(self.nf, *self.shape), axes=self.axes)
        if self.nf == 1:
            Y = inv[0, 0] * X
        elif self.nf == 2:
            Y = np.stack([inv[0, 0] * X[0] + inv[0, 1] * X[1], inv[1, 0] * X[0] + inv[1, 1] * X[1]])
        else:
            Y = np.einsum("ab...,b...->a...", inv, X)
        z = sfft.irfftn(Y, s=self.shape, axes=self.axes, overwrite_x=True).ravel()
        if out is None:
            return z
        out[:] = z
        return out


def _small_inverse(A, nf):
    """``(I + A)^-1`` for a stack of ``nf x nf`` matrices stored as ``A[a, b, ...]``."""
    for a in range(nf):
        A[a, a] += 1.0
    if nf == 1:
        return 1.0 / A
    if nf == 2:
        det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
        return np.stack([np.stack([A[1, 1], -A[0, 1]]), np.stack([-A[1, 0], A[0, 0]])]) / det
    return np.moveaxis(np.linalg.inv(np.moveaxis(A, (0, 1), (-2, -1))), (-2, -1), (0, 1))


class SparseLUPreconditioner:
    """``P = I - gamma J`` factored by SuperLU (``kind="lu"``) or incomplete LU (``"ilu"``).

    The Jacobian is re-evaluated only when the integrator says it is stale
    (``jok`` false); a new ``gamma`` only triggers a refactorization.

    Parameters
    ----------
    functions : ODEFunctions
        Needs ``jac`` (exact sparse Jacobian).
    kind : {"lu", "ilu"}
        Complete sparse LU (GMRES then converges in about one iteration) or
        ``spilu`` with ``drop_tol``/``fill_factor`` (cheaper factorization,
        more iterations).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sps
    >>> from symnum.solvers.functions import ODEFunctions
    >>> J = sps.diags([1.0, -3.0, 1.0], [-1, 0, 1], shape=(5, 5), format="csr")
    >>> f = ODEFunctions(n=5, rhs=lambda t, y: J @ y, jac=lambda t, y: J)
    >>> P = SparseLUPreconditioner(f)
    >>> P.setup(0.0, np.zeros(5), False, 0.1)
    True
    >>> v = np.arange(5.0)
    >>> bool(np.allclose(P.solve(v - 0.1 * (J @ v), 0.1), v))
    True
    """

    def __init__(self, functions, kind: str = "lu", drop_tol: float = 1e-4,
                 fill_factor: float = 10.0):
        if functions.jac is None:
            raise SolverError(
                f"preconditioner={kind!r} needs the exact sparse Jacobian but functions.jac "
                "is None; build the problem with a Jacobian or use preconditioner='none'")
        if kind not in ("lu", "ilu"):
            raise SolverError(f"SparseLUPreconditioner kind={kind!r}; valid kinds are 'lu', 'ilu'")
        self.jac, self.kind = functions.jac, kind
        self.drop_tol, self.fill_factor = drop_tol, fill_factor
        self.J = None
        self.eye = sps.identity(functions.n, format="csc")
        self._lu = None
        self._gamma = None
        self.stats = {"psetups": 0, "pjevals": 0, "psolves": 0, "factorizations": 0}

    def setup(self, t, y, jok, gamma) -> bool:
        """Refactor ``I - gamma J``; re-evaluate ``J`` only when ``jok`` is false."""
        self.stats["psetups"] += 1
        jcur = False
        if not jok or self.J is None:
            self.J = sps.csc_matrix(self.jac(t, y))
            self.stats["pjevals"] += 1
            jcur = True
        self._factor(gamma)
        return jcur

    def _factor(self, gamma):
        import scipy.sparse.linalg as spla  # lazily, like scipy.fft: import time

        A = (self.eye - gamma * self.J).tocsc()
        self.stats["factorizations"] += 1
        if self.kind == "lu":
            self._lu = spla.splu(A, permc_spec="COLAMD")
        else:
            self._lu = spla.spilu(A, drop_tol=self.drop_tol, fill_factor=self.fill_factor)
        self._gamma = gamma

    def solve(self, r, gamma, out=None, t=None) -> np.ndarray:
        """Return ``z = P^{-1} r`` with the last factorization (``gamma`` may have moved)."""
        self.stats["psolves"] += 1
        if self._lu is None:
            self._factor(gamma)  # pragma: no cover - CVODE always calls setup first
        z = self._lu.solve(np.asarray(r))
        if out is None:
            return z
        out[:] = z
        return out


class AdaptivePreconditioner:
    """FFT preconditioner that hands over to a sparse LU when GMRES stops converging fast.

    The circulant approximation misses spatial variation of the Jacobian: fine
    for diffusion-dominated problems (the 2D Brusselator needs under one GMRES
    iteration per Newton iteration), poor when stiff reactions vary in space.
    Each setup ends a window; if the window used more than ``switch_ratio``
    preconditioner solves per attempted step (about 2 when the preconditioner
    is good; ``krylov_dim + 1`` per Newton iteration when GMRES runs out of
    basis), the exact ``splu(I - gamma J)`` takes over for the rest of the solve.
    The ratio needs no access to CVODE's counters: each attempted step has its
    own ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.functions import ODEFunctions
    >>> import scipy.sparse as sps
    >>> L = sps.csr_matrix(-np.eye(4))
    >>> f = ODEFunctions(n=4, rhs=lambda t, y: L @ y, jac=lambda t, y: L, linear_part=L,
    ...                  periodic_shape=(4,))
    >>> P = AdaptivePreconditioner(f)
    >>> P.setup(0.0, np.zeros(4), False, 1.0), P.active
    (True, 'fft')
    """

    #: psolves per attempted step above which the sparse LU takes over
    switch_ratio = 6.0

    def __init__(self, functions):
        self.fft = FFTPreconditioner(functions)
        self.lu = SparseLUPreconditioner(functions) if functions.jac is not None else None
        self.active = "fft"
        self.switched_at = None
        self._calls, self._times = 0, set()

    @property
    def stats(self) -> dict:
        """Counters of both stages, summed; ``switched_to_lu_at`` once it switched."""
        out = dict(self.fft.stats)
        for k, v in (self.lu.stats.items() if self.lu is not None else ()):
            out[k] = out.get(k, 0) + v
        if self.switched_at is not None:
            out["switched_to_lu_at"] = self.switched_at
        return out

    def setup(self, t, y, jok, gamma) -> bool:
        """End the current window, switch to LU if it went badly, then set up."""
        if (self.lu is not None and self.active == "fft" and len(self._times) >= 2
                and self._calls > self.switch_ratio * len(self._times)):
            self.active, self.switched_at, jok = "lu", float(t), False
        self._calls, self._times = 0, set()
        if self.active == "fft":
            return self.fft.setup(t, y, jok, gamma)
        return self.lu.setup(t, y, jok, gamma)

    def solve(self, r, gamma, out=None, t=None) -> np.ndarray:
        """``z = P^{-1} r`` with the active preconditioner; ``t`` feeds the switch test."""
        self._calls += 1
        self._times.add(t)
        if self.active == "fft":
            return self.fft.solve(r, gamma, out)
        return self.lu.solve(r, gamma, out)


def make_preconditioner(kind: str, functions):
    """Build the preconditioner named ``kind`` for ``functions`` (``"auto"`` picks).

    ``"auto"`` chooses the FFT preconditioner (as :class:`AdaptivePreconditioner`,
    which hands over to a sparse LU if GMRES struggles) when the grid is fully
    periodic and the linear part is translation invariant, otherwise a sparse
    LU when the Jacobian is known, otherwise none. Returns None for ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> from symnum.solvers.functions import ODEFunctions
    >>> make_preconditioner("auto", ODEFunctions(n=2, rhs=lambda t, y: -y)) is None
    True
    """
    if kind not in PRECONDITIONERS:
        raise SolverError(f"preconditioner={kind!r} is not known; valid choices are "
                          f"{', '.join(map(repr, PRECONDITIONERS))}")
    if kind == "none":
        return None
    if kind == "fft":
        return FFTPreconditioner(functions)
    if kind in ("lu", "ilu"):
        return SparseLUPreconditioner(functions, kind)
    if functions.periodic_shape is not None and functions.linear_part is not None:
        try:
            return AdaptivePreconditioner(functions)
        except SolverError:
            pass  # not translation invariant after all: fall through to LU
    if functions.jac is not None:
        return SparseLUPreconditioner(functions, "lu")
    return None
