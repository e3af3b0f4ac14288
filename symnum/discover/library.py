"""Candidate terms for sparse regression, as SymPy, and their values on the data.

A library term is any SymPy expression in the applied fields ``u(t, x)``, their
space derivatives ``Derivative(u(t, x), (x, k))`` and the coordinates. The
default library is the PDE-FIND one: every monomial of the fields up to
``degree``, and every such monomial (degree 0 included) times every space
derivative up to ``derivative_order``.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symnum.discover.measurements import Measurements
>>> t, x = sp.symbols("t x")
>>> ts, xs = np.linspace(0, 1, 11), np.linspace(0, 1, 21)
>>> meas = Measurements({"u": np.add.outer(ts, xs ** 2)}, coords={t: ts, x: xs})
>>> terms = candidate_terms(meas, degree=1, derivative_order=2)
>>> terms
[1, u(t, x), Derivative(u(t, x), x), u(t, x)*Derivative(u(t, x), x), Derivative(u(t, x), (x, 2)), u(t, x)*Derivative(u(t, x), (x, 2))]
>>> theta = evaluate_terms(terms, meas, derivative="fd")
>>> theta.shape, bool(np.allclose(theta[:, 4], 2.0))
((231, 6), True)
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import DataError, DiscoveryError

__all__ = ["candidate_terms", "evaluate_terms", "term_grids", "flatten"]


def _count(value, name, low=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DiscoveryError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def _multi_indices(space, order):
    """Derivative multi-indices ``{x: a, y: b}`` with 1 <= a + b <= order, lowest order first."""
    out = []
    for total in range(1, order + 1):
        for combo in itertools.combinations_with_replacement(space, total):
            out.append(tuple((s, combo.count(s)) for s in space if combo.count(s)))
    return out


def candidate_terms(meas, degree=2, derivative_order=None, x_terms=(), bias=True, extra=()):
    """The PDE-FIND library for ``meas``, simplest terms first.

    Parameters
    ----------
    meas : Measurements
        Gives the fields (as ``u(t, x)``) and the space axes.
    degree : int
        Highest degree of the field monomials (``u``, ``u*v``, ``u**2``, ...).
    derivative_order : int, optional
        Highest total order of the space derivatives; default 0 for ODE data and 3
        for PDE data. On 2-D grids mixed derivatives are included.
    x_terms : sequence of sympy.Expr
        Extra multipliers, e.g. ``[x]``: each adds ``m * term`` for every term.
    bias : bool
        Include the constant term ``1``.
    extra : sequence of sympy.Expr
        Further terms, any SymPy expression in the fields, their space
        derivatives and the coordinates (``sin(u)``, ``x*u``).

    Returns
    -------
    list of sympy.Expr
        Monomials by degree, then each derivative (lowest order first) times each
        monomial, then the ``x_terms`` products, then ``extra``; no duplicates.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symnum.discover.measurements import Measurements
    >>> t = sp.Symbol("t")
    >>> meas = Measurements({"x": np.ones(5), "y": np.zeros(5)}, coords={t: np.arange(5.0)})
    >>> candidate_terms(meas, degree=2)
    [1, x(t), y(t), x(t)**2, x(t)*y(t), y(t)**2]
    """
    degree = _count(degree, "degree")
    if derivative_order is None:
        derivative_order = 0 if meas.is_ode else 3
    derivative_order = _count(derivative_order, "derivative_order")
    if derivative_order and meas.is_ode:
        raise DiscoveryError(f"derivative_order={derivative_order} needs space axes, but the "
                             "measurements are an ODE time series; use derivative_order=0.")
    fields = [meas.applied[n] for n in meas.names]
    monomials = [sp.Mul(*c) for d in range(degree + 1)
                 for c in itertools.combinations_with_replacement(fields, d)]
    derivs = [sp.Derivative(f, *idx) for idx in _multi_indices(meas.space, derivative_order)
              for f in fields]
    base = monomials[0 if bias else 1:]
    base += [m * d for d in derivs for m in monomials]  # monomials[0] == 1
    terms = list(base)
    for mult in x_terms:
        mult = _check_term(mult, meas, "x_terms")
        terms += [mult * b for b in base]
    terms += [_check_term(e, meas, "extra") for e in extra]
    seen, out = set(), []
    for term in terms:
        if term not in seen and term != 0:
            seen.add(term)
            out.append(term)
    if not out:
        raise DiscoveryError("the library is empty: raise degree, add derivatives or pass extra=.")
    return out


def _check_term(expr, meas, where):
    try:
        expr = sp.sympify(expr, strict=True)
    except (sp.SympifyError, TypeError):
        raise DiscoveryError(f"{where} must hold SymPy expressions; got {expr!r} "
                             f"({type(expr).__name__}).") from None
    allowed = set(meas.axes)
    unknown = expr.free_symbols - allowed
    if unknown:
        raise DiscoveryError(f"the library term {expr} ({where}) uses symbol(s) "
                             f"{sorted(map(str, unknown))}; only the coordinates {meas.axes} "
                             "and the fields may appear.")
    for f in expr.atoms(AppliedUndef):
        if str(f.func) not in meas.functions or f != meas.applied[str(f.func)]:
            raise DiscoveryError(f"the library term {expr} ({where}) uses {f}; the fields are "
                                 f"{[meas.applied[n] for n in meas.names]}.")
    for d in expr.atoms(sp.Derivative):
        if meas.t in d.variables:
            raise DiscoveryError(f"the library term {expr} ({where}) contains a time derivative "
                                 f"(d/d{meas.t} is the regression target, not a candidate term).")
        if not isinstance(d.expr, AppliedUndef):
            raise DiscoveryError(f"the library term {expr} ({where}) differentiates {d.expr}; "
                                 "only derivatives of a field itself are supported.")
    return expr


def term_grids(terms, meas, derivative="auto", **deriv_options):
    """Values of each term, each an array of ``meas.shape``.

    Derivatives come from ``meas.derivative(name, wrt, method=derivative,
    **deriv_options)``; the rest of a term is evaluated with ``sympy.lambdify``
    (numpy), coordinates bound to the broadcast grid.
    """
    mesh = meas.meshgrid()
    out = []
    for term in terms:
        term = _check_term(term, meas, "terms")
        subs, args, vals = {}, [], []
        for k, d in enumerate(sorted(term.atoms(sp.Derivative), key=sp.default_sort_key)):
            dummy = sp.Dummy(f"d{k}")
            subs[d] = dummy
            wrt = tuple(s for s, c in d.variable_count for _ in range(int(c)))
            args.append(dummy)
            vals.append(meas.derivative(str(d.expr.func), wrt, method=derivative, **deriv_options))
        expr = term.xreplace(subs)
        for f in sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key):
            dummy = sp.Dummy(str(f.func))
            expr = expr.xreplace({f: dummy})
            args.append(dummy)
            vals.append(meas.values[str(f.func)])
        for a in sorted(expr.free_symbols & set(meas.axes), key=str):
            args.append(a)
            vals.append(mesh[a])
        with np.errstate(all="ignore"):
            value = sp.lambdify(args, expr, "numpy")(*vals)
        value = np.broadcast_to(np.asarray(value), meas.shape)
        if np.iscomplexobj(value) or not np.all(np.isfinite(value)):
            raise DataError(f"the library term {term} is not finite and real on the data "
                            f"(NaN, inf or complex values); drop it or restrict the data.")
        out.append(np.asarray(value, dtype=float))
    return out


def flatten(meas, grid, trim=0):
    """Rows of a field-shaped array, time slowest; ``trim`` samples cut at each axis end.

    ``trim`` is an int (every axis) or a dict Symbol -> int.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symnum.discover.measurements import Measurements
    >>> t, x = sp.symbols("t x")
    >>> meas = Measurements({"u": np.zeros((5, 4))}, coords={x: np.arange(5.0), t: np.arange(4.0)})
    >>> flatten(meas, np.arange(20.0).reshape(5, 4), trim={t: 1}).tolist()  # t is axis 1
    [1.0, 5.0, 9.0, 13.0, 17.0, 2.0, 6.0, 10.0, 14.0, 18.0]
    """
    grid = np.asarray(grid)
    if not meas.gridded:
        return grid.reshape(-1)
    index = []
    for a, n in zip(meas.axes, grid.shape):
        k = trim.get(a, 0) if isinstance(trim, dict) else trim
        index.append(slice(k, n - k))
    return np.moveaxis(grid[tuple(index)], meas.time_axis, 0).reshape(-1)


def evaluate_terms(terms, meas, derivative="auto", **deriv_options):
    """Library matrix ``(n_rows, n_terms)``: one row per sample, time slowest.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symnum.discover.measurements import Measurements
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> ts = np.linspace(0, 1, 5)
    >>> meas = Measurements({"y": ts ** 2}, coords={t: ts})
    >>> evaluate_terms([1, y(t), sp.sin(t) * y(t)], meas).shape
    (5, 3)
    """
    grids = term_grids(terms, meas, derivative, **deriv_options)
    return np.column_stack([flatten(meas, g) for g in grids])
