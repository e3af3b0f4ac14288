"""The numerical half of the guarantee: input and result agree at random points.

Each leaf gets one random value per point, drawn from its domain: positive
symbols get positive values, negative ones negative, integers integers, floats
and ``pi`` their own value; opaque leaves (``f(x)``, ``Derivative``, ``Max``...)
get a random real, the same wherever the leaf occurs. Evaluation is in complex
arithmetic so that a rule used outside its domain (``log(a*b)`` with ``a < 0``)
shows as a mismatch instead of an exception. Points where the input is not
finite are skipped.

Examples
--------
>>> import sympy as sp
>>> from symnum.simplify.convert import Graph, Leaves
>>> x = sp.Symbol("x")
>>> g = Graph(Leaves())
>>> agree(g, [g.lower(sp.sin(x)**2 + sp.cos(x)**2)], [g.lower(sp.S.One)])
True
>>> agree(g, [g.lower(sp.log(x**2))], [g.lower(2*sp.log(x))])   # x may be negative
False
"""

from __future__ import annotations

import cmath
import random

from .convert import Graph

__all__ = ["agree", "sample_leaf"]

_UNARY = {"exp": cmath.exp, "log": cmath.log, "sqrt": cmath.sqrt, "sin": cmath.sin,
          "cos": cmath.cos, "tan": cmath.tan, "tanh": cmath.tanh, "abs": abs}


def sample_leaf(obj, rng: random.Random) -> complex:
    """A random value in the leaf's domain (its own value for a number)."""
    if obj.is_number:
        return complex(obj)
    v = rng.uniform(0.5, 2.0)
    if obj.is_integer:
        v = float(rng.randint(1, 4))
    if obj.is_positive or obj.is_nonnegative:
        return complex(v)
    if obj.is_negative or obj.is_nonpositive:
        return complex(-v)
    return complex(v if rng.random() < 0.5 else -v)


def _evaluate(g: Graph, roots, values: dict, scale: list) -> list:
    memo: dict[int, complex] = {}
    for i in g.topo(roots):
        op, *a = g.nodes[i]
        if op == "const":
            v = complex(a[0])
        elif op == "leaf":
            v = values[a[0]]
        elif op == "powi":
            v = memo[a[0]] ** a[1]
        elif op in _UNARY:
            v = _UNARY[op](memo[a[0]])
        else:
            x = [memo[k] for k in a]
            if op == "add":
                v = x[0] + x[1]
            elif op == "sub":
                v = x[0] - x[1]
            elif op == "mul":
                v = x[0] * x[1]
            elif op == "div":
                v = x[0] / x[1]
            elif op == "neg":
                v = -x[0]
            else:                               # pow
                v = x[0] ** x[1]
        v = complex(v)
        scale[0] = max(scale[0], abs(v)) if cmath.isfinite(v) else scale[0]
        memo[i] = v
    return [memo[r] for r in roots]


def agree(g: Graph, before, after, *, points: int = 4, seed: int = 0, rtol: float = 1e-8,
          g_after: Graph | None = None) -> bool:
    """True when the ``before`` and ``after`` roots agree at random points of the domain.

    ``after`` ids live in ``g_after`` (default ``g``); both graphs share one leaf table.
    Returns True if no point evaluates finitely (nothing to compare).
    """
    rng = random.Random(seed)
    g_after = g if g_after is None else g_after
    leaves = g.leaves.items
    good, tries = 0, 0
    while good < points and tries < 4 * points:
        tries += 1
        values = {k: sample_leaf(obj, rng) for k, obj in enumerate(leaves)}
        scale = [1.0]
        try:
            want = _evaluate(g, before, values, scale)
        except (ZeroDivisionError, OverflowError, ValueError):
            continue
        if not all(cmath.isfinite(w) for w in want):
            continue
        try:
            got = _evaluate(g_after, after, values, scale)
        except (ZeroDivisionError, OverflowError, ValueError):
            return False
        tol = rtol * scale[0] + 1e-12
        if not all(cmath.isfinite(v) and abs(v - w) <= tol for v, w in zip(got, want)):
            return False
        good += 1
    return True


