"""A greedy factored form of a sum, added to the e-graph as a seed.

With tree cost, the wins on sums of products (a mass-action right-hand side)
come from factoring shared factors out of many terms; the e-graph finds them
only through commutativity and associativity, which explode. So, before the
run, each top-level sum is also entered in a factored form: the factor that
occurs in most terms is pulled out of them, recursively (ties broken by the
factor's printed form, so the seed is deterministic). The seed is unioned with
the input, not substituted: extraction still picks the cheapest form of the
class, the rules keep improving on both, and the guarantee (cost check and
numerical check) is unchanged.

Examples
--------
>>> import sympy as sp
>>> x, y, z = sp.symbols("x y z")
>>> factored(x*y + x*z + y)
x*(y + z) + y
>>> factored(x + 1) is None
True
"""

from __future__ import annotations

from collections import Counter

import sympy as sp

__all__ = ["factored"]

_U = {"evaluate": False}


def _monomial(t):
    """``(coefficient, Counter{factor: integer power})`` of a term, or None."""
    c, rest = t.as_coeff_Mul()
    if not c.is_Rational:
        return None
    powers = Counter()
    for f in sp.Mul.make_args(rest):
        if f == 1:
            continue
        b, e = f.as_base_exp() if f.is_Pow else (f, sp.S.One)
        if not (e.is_Integer and e > 0):
            b, e = f, sp.S.One
        powers[b] += int(e)
    return c, powers


def _build(terms):
    if len(terms) == 1:
        c, m = terms[0]
        core = [b if e == 1 else sp.Pow(b, e, **_U) for b, e in sorted(m.items(), key=_key)]
        if not core:
            return c
        body = core[0] if len(core) == 1 else sp.Mul(*core, **_U)
        return body if c == 1 else sp.Mul(c, body, **_U)
    count = Counter(b for _, m in terms for b in m)
    # the first of the most frequent factors in SymPy's sort order (deterministic)
    best = max(sorted(count.items(), key=_key), key=lambda kv: kv[1], default=None)
    if best is None or best[1] < 2:
        return sp.Add(*(_build([t]) for t in terms), **_U)
    b = best[0]
    inner, outer = [], []
    for c, m in terms:
        if b in m:
            m2 = Counter(m)
            m2[b] -= 1
            if not m2[b]:
                del m2[b]
            inner.append((c, m2))
        else:
            outer.append((c, m))
    sign = -1 if all(c < 0 for c, _ in inner) else 1
    if sign < 0:
        inner = [(-c, m) for c, m in inner]
    part = sp.Mul(b, _build(inner), **_U)
    part = sp.Mul(-1, part, **_U) if sign < 0 else part
    return part if not outer else sp.Add(part, _build(outer), **_U)


def _key(kv):
    return sp.default_sort_key(kv[0])


def factored(e):
    """The greedy factored form of the sum ``e`` (an equal SymPy expression), or None."""
    if not isinstance(e, sp.Add) or len(e.args) < 2:
        return None
    terms = [_monomial(t) for t in e.args]
    if any(t is None for t in terms):
        return None
    if max(Counter(b for _, m in terms for b in m).values(), default=0) < 2:
        return None
    return _build(terms)
