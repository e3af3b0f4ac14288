"""Refit the coefficients of a predicted skeleton on the data.

PROSE's symbol decoder gives the structure reliably and the coefficients to
about three digits at best; :func:`refit` keeps the structure and fits the
coefficients of each component by regression on that component's terms only,
with :class:`symnum.discover.sindy.SINDy` (its derivative estimates,
noise-aware smoothing windows and trimmed ends). ``method="lstsq"`` keeps every
predicted term; ``method="sparse"`` lets cross-validated sparse regression drop
terms the data do not support (e.g. a spurious term added by the model).

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symnum.discover.measurements import Measurements
>>> t = sp.Symbol("t")
>>> ts = np.linspace(0, 4, 401)
>>> meas = Measurements({"y": 2 * np.exp(-0.7 * ts)}, coords={t: ts})
>>> u0 = sp.Symbol("u_0")
>>> refit([-0.5 * u0], meas)
[-0.7*y(t)]
"""

from __future__ import annotations

import sympy as sp

from ...errors import DiscoveryError
from ..base import datasets
from .evaluate import terms as expression_terms

__all__ = ["refit", "METHODS"]

METHODS = ("lstsq", "sparse")


def refit(expressions, measurements, *, method="lstsq", derivative="auto"):
    """Right-hand sides with the structure of ``expressions`` and coefficients fitted to the data.

    Parameters
    ----------
    expressions : list of sympy.Expr
        One per field of the measurements, in the states ``u_0, u_1, ...`` (field order).
    measurements : Measurements or list of Measurements
        ODE data (time only).
    method : {"lstsq", "sparse"}
        Least squares on all predicted terms, or cross-validated sparse regression on them.
    derivative : str
        How ``du/dt`` is estimated (see :class:`~symnum.discover.sindy.SINDy`).

    Returns
    -------
    list of sympy.Expr
        In the measurements' functions (``x(t)``), coefficients to 6 significant digits.
    """
    from ..sindy import SINDy

    if method not in METHODS:
        raise DiscoveryError(f"unknown refit method {method!r}; choose one of "
                             f"{', '.join(map(repr, METHODS))}, or refit=None to keep the "
                             "model's own coefficients.")
    items = datasets(measurements, "refit")
    first = items[0]
    if len(expressions) != len(first.names):
        raise DiscoveryError(f"{len(expressions)} expressions for {len(first.names)} fields "
                             f"({', '.join(first.names)}).")
    subs = {sp.Symbol(f"u_{i}"): first.applied[n] for i, n in enumerate(first.names)}
    out = []
    for i, expr in enumerate(expressions):
        support = [sp.sympify(term).xreplace(subs) for term in expression_terms(expr)]
        if not support:
            out.append(sp.Integer(0))
            continue
        fit = SINDy(terms=support, threshold="auto" if method == "sparse" else 0.0,
                    derivative=derivative, fields=[first.names[i]]).fit(items)
        out.append(fit.equations_[0].rhs)
    return out
