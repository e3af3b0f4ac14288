"""E-graph simplification of SymPy expressions under CPU-cost models (egglog).

The package is callable: ``sn.simplify(expr, cost, **options)`` is
:func:`symnum.simplify.api.simplify`.

Examples
--------
>>> import sympy as sp
>>> from symnum.simplify import simplify, expression_cost
>>> x, y = sp.symbols("x y")
>>> e = x*y + x
>>> expression_cost(simplify(e), "ops") <= expression_cost(e, "ops")
True
"""

import sys

from .._callable import CallableModule
from .errors import SimplifyError, SimplifyWarning

# egglog (a compiled extension) loads on first use, not when symnum is imported
_LAZY = {"simplify": "api", "expression_cost": "cost", "CYCLES": "cost", "OPS": "cost",
         "GROUPS": "rules", "Report": "saturate"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["simplify", "expression_cost", "Report", "SimplifyError", "SimplifyWarning",
           "CYCLES", "OPS", "GROUPS"]

__call_target__ = "api:simplify"
sys.modules[__name__].__class__ = CallableModule
