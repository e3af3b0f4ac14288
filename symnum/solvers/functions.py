"""The numeric contract between a discretized problem and every solver.

A solver never sees SymPy. It receives an :class:`ODEFunctions` (compiled
right-hand side, exact sparse Jacobian, structure hints) and a
:class:`StateLayout` (how the flat state vector maps to named fields on a grid),
both produced by :meth:`symnum.ODEProblem.functions`.

Examples
--------
>>> import numpy as np
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -y)
>>> f.rhs(0.0, np.ones(1))
array([-1.])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

__all__ = ["ODEFunctions", "StateLayout"]


@dataclass
class ODEFunctions:
    """Compiled numeric functions of an ODE ``dy/dt = f(t, y)`` with ``y`` flat, length ``n``.

    Attributes
    ----------
    n : int
        State size.
    rhs : callable ``(t, y) -> dy``
        Allocating right-hand side (NumPy float64 arrays).
    rhs_into : callable ``(t, y, out) -> None`` or None
        Non-allocating form; writes ``out``.
    jac : callable ``(t, y) -> scipy.sparse.csr_matrix`` or None
        The exact Jacobian ``df/dy`` from the symbolic Jacobian. The sparsity
        pattern of the returned matrix is always ``jac_sparsity``'s (explicit
        zeros are kept), so factorization structure can be reused.
    jac_sparsity : scipy.sparse.csr_matrix or None
        Structural pattern of the Jacobian (ones at structural nonzeros).
    linear_part : scipy.sparse.csr_matrix or None
        The constant linear terms of ``f`` (``f = L y + N(t, y)``, ``L`` exact,
        e.g. the discrete diffusion operator). Used by preconditioners.
    periodic_shape : tuple[int, ...] or None
        Set when every field lives on the same fully periodic uniform grid of
        this shape and the state is ``nfields`` such blocks in C order; then
        each field block of ``linear_part`` is translation invariant
        (circulant) and can be diagonalized by an FFT.
    nfields : int
        Number of field blocks in the state.
    numba_rhs : numba dispatcher or None
        ``rhs(t, y, p, out)`` compiled with numba (``nopython``), callable from
        other numba-compiled code; ``p`` is :attr:`params`.
    params : numpy.ndarray
        Numeric parameter vector passed to ``numba_rhs`` and ``numba_jac``.
    numba_jac : numba dispatcher or None
        ``jac(t, y, p, J)`` compiled with numba: writes the structural
        nonzeros of the dense ``n x n`` Jacobian into ``J`` (C-contiguous
        float64). Entries it never writes are structural zeros: the caller
        zeroes ``J`` before each call. Meant for small systems (ODE systems,
        not grids), where compiled stiff solvers (``Rosenbrock23``) keep
        their whole stepping loop in numba.
    numba_jac_dense_ok : bool
        True when the producer vouches that a dense ``n x n`` Jacobian is
        affordable even though ``n`` is larger than a compiled solver's
        default size limit. ``numba_jac`` alone is used up to that limit.
    source_files : dict[str, str]
        Paths of the generated source files (``"rhs_numpy"``, ``"rhs_numba"``...).
    """

    n: int
    rhs: Callable[[float, np.ndarray], np.ndarray]
    rhs_into: Callable[[float, np.ndarray, np.ndarray], None] | None = None
    jac: Callable[[float, np.ndarray], Any] | None = None
    jac_sparsity: Any = None
    linear_part: Any = None
    periodic_shape: tuple[int, ...] | None = None
    nfields: int = 1
    numba_rhs: Any = None
    params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    numba_jac: Any = None
    numba_jac_dense_ok: bool = False
    source_files: dict[str, str] = field(default_factory=dict)


class StateLayout(Protocol):
    """How a flat state maps to named fields (implemented by the discretizer)."""

    names: list[str]                 # field names in state order ("u", "v", ...)
    functions: dict[str, Any]        # name -> SymPy undefined function (u)
    grid: dict[Any, np.ndarray]      # SymPy space symbol -> coordinates (full grid, with boundary nodes)

    def unpack(self, t: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        """Fields on the full grid: ``Y`` (len(t), n) -> {name: (len(t), *grid shape)}.

        Boundary nodes eliminated from the state are reconstructed here (they may
        depend on ``t``). For an ODE system each field is shape ``(len(t),)``.
        """
        ...
