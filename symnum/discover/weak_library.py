"""Library of :class:`~symnum.discover.weak.WeakSINDy` in conservative form, and its strong form.

This module holds the candidate terms of weak SINDy, ``∂^a f`` with ``f`` a
monomial of the fields (times an optional multiplier in the coordinates) and
``a`` a multi-index of space derivatives, plus a constant, kept unevaluated as
the weak form needs them (:func:`_library`); and :func:`strong_form`, which
turns a fitted combination of them into the strong-form right-hand side with
the derivatives done, like terms collected and coefficients rounded to
``_SIGNIFICANT`` digits.
"""

from __future__ import annotations

import itertools

import sympy as sp

__all__ = ["strong_form"]

_SIGNIFICANT = 6


def _library(meas, degree, order, bias, multipliers, mixed):
    """``[(sympy term, exponents per field, multiplier or None, orders per space axis)]``."""
    names, space = list(meas.names), list(meas.space)
    fields = [meas.applied[n] for n in names]
    monomials = []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(len(names)), d):
            monomials.append(tuple(combo.count(i) for i in range(len(names))))
    indices = [a for k in range(order + 1)
               for a in sorted(_multi_indices(len(space), k, mixed), reverse=True)]
    zero = (0,) * len(names)
    out = []
    if bias:
        out.append((sp.Integer(1), zero, None, (0,) * len(space)))
    for g in [None, *multipliers]:
        if g is not None and bias:
            out.append((g, zero, g, (0,) * len(space)))
        for a in indices:
            for e in monomials:
                f = sp.Mul(*[fn ** k for fn, k in zip(fields, e)])
                if g is not None:
                    f = g * f
                spec = [(x, k) for x, k in zip(space, a) if k]
                out.append((sp.Derivative(f, *spec) if spec else f, e, g, a))
    return out


def _multi_indices(n_axes, total, mixed):
    if total == 0:
        return [(0,) * n_axes]
    out = []
    for a in itertools.product(range(total + 1), repeat=n_axes):
        if sum(a) == total and (mixed or sum(1 for k in a if k) == 1):
            out.append(a)
    return out


def strong_form(terms, coefficients):
    """``Σ c_j term_j`` with the derivatives done, like terms collected, coefficients rounded.

    Examples
    --------
    >>> t, x = sp.symbols("t x"); u = sp.Function("u")(t, x)
    >>> strong_form([sp.Derivative(u ** 2, x), sp.Derivative(u, (x, 2))], [-0.5, 0.1])
    -1.0*u(t, x)*Derivative(u(t, x), x) + 0.1*Derivative(u(t, x), (x, 2))
    """
    collected, scale = {}, {}
    for c, term in zip(coefficients, terms):
        if c == 0:
            continue
        for part in sp.Add.make_args(sp.expand(term.doit())):
            k, rest = part.as_coeff_Mul()
            contribution = float(c) * float(k)
            collected[rest] = collected.get(rest, 0.0) + contribution
            scale[rest] = max(scale.get(rest, 0.0), abs(contribution))
    # A sum that cancels below the 6 digits of its contributions is rounding noise
    # (e.g. u from ∂_x(x u) against a fitted u): drop it.
    return sp.Add(*[sp.Float(float(f"{c:.{_SIGNIFICANT}g}")) * rest
                    for rest, c in collected.items()
                    if abs(c) > 10.0 ** -_SIGNIFICANT * scale[rest]])
