"""E-graph simplification of SymPy expressions under CPU-cost models (egglog).

Examples
--------
>>> import sympy as sp
>>> from symnum.simplify import simplify, expression_cost
>>> x, y = sp.symbols("x y")
>>> e = x*y + x
>>> expression_cost(simplify(e), "ops") <= expression_cost(e, "ops")
True
"""

from .api import SimplifyWarning, simplify
from .convert import SimplifyError
from .cost import CYCLES, OPS, expression_cost
from .rules import GROUPS
from .saturate import Report

__all__ = ["simplify", "expression_cost", "Report", "SimplifyError", "SimplifyWarning",
           "CYCLES", "OPS", "GROUPS"]
