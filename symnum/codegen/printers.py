"""Strict SymPy printers for generated kernels.

``VectorPrinter`` prints whole-array NumPy code (broadcasting over a region of
the grid); ``ScalarPrinter`` prints scalar Python that numba compiles. Both are
strict: a node they cannot print raises :class:`~symnum.errors.CodegenError`
naming the node and the target, never emitting code that will not run.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> ScalarPrinter().doprint(sp.Max(sp.sin(x), 0))
'max(0, math.sin(x))'
>>> VectorPrinter().doprint(sp.sin(x))
'numpy.sin(x)'
>>> VectorPrinter().doprint(sp.Max(x, 0))
'numpy.maximum(0, x)'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from ..errors import CodegenError

__all__ = ["VectorPrinter", "ScalarPrinter", "print_expr"]


class _Strict:
    target = "?"

    def doprint(self, expr, assign_to=None):
        try:
            return super().doprint(expr, assign_to)
        except PrintMethodNotImplementedError as exc:
            raise CodegenError(
                f"cannot generate {self.target} code for {expr!r}: {exc.args[0].splitlines()[0]}. "
                "Rewrite the expression with supported functions."
            ) from None


class VectorPrinter(_Strict, NumPyPrinter):
    """NumPy printer whose logic operators broadcast arrays of different shapes."""

    target = "NumPy"

    def __init__(self, settings=None):
        super().__init__({"strict": True, **(settings or {})})

    def _binary_chain(self, func, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"numpy.{func}({out}, {self._print(a)})"
        return out

    def _print_And(self, expr):
        return self._binary_chain("logical_and", expr.args)

    def _print_Or(self, expr):
        return self._binary_chain("logical_or", expr.args)

    def _print_Max(self, expr):
        return self._binary_chain("maximum", expr.args)

    def _print_Min(self, expr):
        return self._binary_chain("minimum", expr.args)

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"numpy.heaviside({self._print(expr.args[0])}, {self._print(h0)})"

    def _print_Piecewise(self, expr):
        # nested where: broadcasts conditions and values of any shapes
        out = "numpy.nan"
        for e, c in reversed(expr.args):
            if c == sp.true:
                out = self._print(e)
            else:
                out = f"numpy.where({self._print(c)}, {self._print(e)}, {out})"
        return out


class ScalarPrinter(_Strict, PythonCodePrinter):
    """Scalar Python with ``math`` functions, for numba-compiled loops."""

    target = "numba"

    def __init__(self, settings=None):
        super().__init__({"strict": True, "fully_qualified_modules": True, **(settings or {})})

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"(1.0 if {x} > 0 else ({self._print(sp.Float(h0))} if {x} == 0 else 0.0))"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)


def print_expr(expr, target: str) -> str:
    """Print ``expr`` for ``target`` in {"numpy", "numba"}."""
    return (VectorPrinter() if target == "numpy" else ScalarPrinter()).doprint(expr)
