"""Runge--Kutta order conditions from rooted trees (Butcher), evaluated exactly with SymPy.

A method with weights ``b`` has order ``p`` when ``b . Phi(tau) = 1 / gamma(tau)``
for every rooted tree ``tau`` with at most ``p`` nodes, where ``Phi`` is the
elementary weight (stage vector) and ``gamma`` the tree's density. A dense
output ``b_i(theta)`` has order ``p*`` when ``sum_i b_i(theta) Phi_i(tau) =
theta^|tau| / gamma(tau)`` for every tree with at most ``p*`` nodes (Hairer,
Norsett & Wanner, *Solving ODEs I*, sec. II.2 and II.6).

Trees are canonical nested tuples: a leaf is ``()``, a tree is the sorted tuple
of its children's subtrees.

Examples
--------
>>> [len(trees(k)) for k in range(1, 7)]
[1, 1, 2, 4, 9, 20]
>>> from symnum.solvers.methods.bs3 import TABLEAU
>>> max(abs(r) for r in order_residuals(TABLEAU, TABLEAU.b, 3))
0
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = ["trees", "tree_order", "density", "elementary_weights", "order_residuals",
           "dense_order_residuals"]


def _canon(children) -> tuple:
    return tuple(sorted(children, key=repr))


def _grow(tree: tuple) -> set:
    """Every tree obtained by adding one leaf to ``tree`` (at the root or inside a child)."""
    out = {_canon(tree + ((),))}
    for k, child in enumerate(tree):
        for bigger in _grow(child):
            out.add(_canon(tree[:k] + (bigger,) + tree[k + 1:]))
    return out


@functools.lru_cache(maxsize=None)
def trees(order: int) -> tuple:
    """All rooted trees with exactly ``order`` nodes, in a fixed order.

    Examples
    --------
    >>> trees(3)  # the chain (root - node - leaf) and the bush (root with two leaves)
    ((((),),), ((), ()))
    """
    if order < 1:
        raise ValueError(f"order={order!r}: trees have at least one node; pass order >= 1")
    if order == 1:
        return ((),)
    found = set()
    for t in trees(order - 1):
        found |= _grow(t)
    return tuple(sorted(found, key=repr))


def tree_order(tree: tuple) -> int:
    """Number of nodes ``|tau|``."""
    return 1 + sum(tree_order(c) for c in tree)


def density(tree: tuple) -> int:
    """``gamma(tau) = |tau| * prod gamma(children)``.

    Examples
    --------
    >>> density(((), ()))  # the bushy tree of order 3: condition sum b c^2 = 1/3
    3
    """
    g = tree_order(tree)
    for c in tree:
        g *= density(c)
    return g


def elementary_weights(tableau, tree: tuple) -> list:
    """Stage vector ``Phi(tau)``: ones for the leaf, ``prod_k A Phi(child_k)`` otherwise."""
    s = tableau.stages
    phi = [sp.Integer(1)] * s
    for child in tree:
        sub = elementary_weights(tableau, child)
        inner = [sum(tableau.a[i][j] * sub[j] for j in range(i)) for i in range(s)]
        phi = [p * q for p, q in zip(phi, inner)]
    return phi


def order_residuals(tableau, weights, order: int) -> list:
    """``weights . Phi(tau) - 1/gamma(tau)`` for every tree with at most ``order`` nodes (exact)."""
    return [sum((w * p for w, p in zip(weights, elementary_weights(tableau, t))), sp.Integer(0))
            - sp.Rational(1, density(t))
            for k in range(1, order + 1) for t in trees(k)]


def dense_order_residuals(tableau, order: int) -> list:
    """Polynomial residuals ``sum_i b_i(theta) Phi_i(tau) - theta^|tau|/gamma(tau)`` for ``|tau| <= order``.

    Each entry is a SymPy polynomial in ``theta`` that must vanish identically.

    Examples
    --------
    >>> from symnum.solvers.methods.dp5 import TABLEAU
    >>> all(sp.expand(r) == 0 for r in dense_order_residuals(TABLEAU, 4))
    True
    """
    theta = sp.Symbol("theta")
    w = tableau.weights_at(theta)
    return [sp.expand(sum(wi * p for wi, p in zip(w, elementary_weights(tableau, t)))
                      - theta ** tree_order(t) / density(t))
            for k in range(1, order + 1) for t in trees(k)]
