"""Finite-difference stencils from exact Fornberg weights.

A stencil is a tuple of integer offsets and exact SymPy rational weights for
unit spacing; divide by ``dx**k`` for a ``k``-th derivative.

Examples
--------
>>> centered(2, 2)
((-1, 0, 1), (1, -2, 1))
>>> centered(1, 4)
((-2, -1, 0, 1, 2), (1/12, -2/3, 0, 2/3, -1/12))
>>> one_sided(1, 2, at=0, npoints=3)
((0, 1, 2), (-3/2, 2, -1/2))
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

__all__ = ["centered", "one_sided", "halfwidth", "onesided_points", "fornberg", "upwind"]


@lru_cache(maxsize=None)
def fornberg(k: int, nodes: tuple, x0) -> tuple:
    """Exact weights of the ``k``-th derivative at ``x0`` on integer ``nodes``."""
    w = sp.finite_diff_weights(k, [sp.Integer(n) for n in nodes], sp.Integer(x0))[k][-1]
    return tuple(sp.nsimplify(v) for v in w)


def halfwidth(k: int, p: int) -> int:
    """Half-width of the centred stencil of derivative ``k`` with even accuracy ``p``."""
    npts = 2 * ((k + 1) // 2) - 1 + p
    return (npts - 1) // 2


def onesided_points(k: int, p: int) -> int:
    """Points of a one-sided stencil of derivative ``k`` with accuracy ``p``."""
    return k + p


def centered(k: int, p: int) -> tuple:
    """Centred stencil of derivative ``k``, accuracy ``p`` (even): (offsets, weights)."""
    r = halfwidth(k, p)
    offs = tuple(range(-r, r + 1))
    return offs, fornberg(k, offs, 0)


def one_sided(k: int, p: int, at: int, npoints: int | None = None, first: int = 0) -> tuple:
    """Stencil on nodes ``first .. first+npoints-1`` evaluated at node ``at``, as offsets from ``at``."""
    m = npoints or onesided_points(k, p)
    nodes = tuple(range(first, first + m))
    w = fornberg(k, nodes, at)
    return tuple(n - at for n in nodes), w


def upwind(order: int, direction: int) -> tuple:
    """Biased first-derivative stencil: ``direction=-1`` backward (D-), ``+1`` forward (D+).

    Odd ``order`` uses one extra downwind point (third-order upwind: -2..1).
    """
    if order % 2:
        lo, hi = -(order + 1) // 2, (order - 1) // 2
    else:
        lo, hi = -order, 0
    offs = tuple(range(lo, hi + 1))
    if direction > 0:
        offs = tuple(-o for o in reversed(offs))
    return offs, fornberg(1, offs, 0)
