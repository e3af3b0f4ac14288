"""Safe, readable names for user symbols inside generated code."""

from __future__ import annotations

import re

import sympy as sp

__all__ = ["Names"]


def _clean(s: str) -> str:
    return re.sub(r"\W", "_", s)


class Names:
    """Maps time, coordinates and parameters to collision-free identifiers.

    Coordinates become ``x_<name>``, parameters ``k_<name>``, time ``t``.
    """

    def __init__(self, t, axes, params):
        self.t = t
        self.coord = {a: sp.Symbol(f"x_{_clean(str(a))}", real=True) for a in axes}
        self.param = {s: sp.Symbol(f"k_{_clean(str(s))}", real=True) for s in params}
        self.time = sp.Symbol("t", real=True)
        self.map = {t: self.time, **self.coord, **self.param}

    def __call__(self, expr):
        return sp.sympify(expr).xreplace(self.map)
