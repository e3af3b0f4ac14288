"""Strict SymPy printers for generated kernels.

``VectorPrinter`` prints whole-array NumPy code (broadcasting over a region of
the grid); ``ScalarPrinter`` prints scalar Python that numba compiles;
``TorchPrinter`` and ``JaxPrinter`` print whole-array ``torch`` and
``jax.numpy`` code. All are strict: a node they cannot print raises :class:`~symnum.errors.CodegenError`
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
>>> TorchPrinter().doprint(sp.Max(x, 0) + sp.sin(x))
'torch.sin(x) + torch.clamp(x, min=0)'
>>> JaxPrinter().doprint(sp.Piecewise((x, x > 0), (0, True)))
'jnp.where((x > 0), x, 0)'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from ..errors import CodegenError

__all__ = ["VectorPrinter", "ScalarPrinter", "TorchPrinter", "JaxPrinter", "print_expr",
           "piecewise_chain"]


class _Strict:
    """Mixin: a node the printer cannot print raises ``CodegenError`` naming it and the target."""

    target = "?"
    hint = "Rewrite the expression with supported functions."

    def doprint(self, expr, assign_to=None):
        try:
            return super().doprint(expr, assign_to)
        except PrintMethodNotImplementedError as exc:
            raise CodegenError(
                f"cannot generate {self.target} code for {expr!r}: {exc.args[0].splitlines()[0]}. "
                f"{self.hint}"
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


# -- torch and jax.numpy ------------------------------------------------------------
# SymPy function name -> function of the array module. A function missing from a table
# raises CodegenError; it is never printed as a ``math`` call that fails on arrays.
_MATH_NAMES = ("acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh exp expm1 log "
               "log1p log2 log10 floor sign").split()
TORCH_FUNCTIONS = {**{n: n for n in _MATH_NAMES}, "Abs": "abs", "ln": "log", "Sqrt": "sqrt",
                   "ceiling": "ceil", "exp2": "exp2", "atan2": "atan2", "hypot": "hypot",
                   "erf": "erf", "erfc": "erfc", "loggamma": "lgamma", "isnan": "isnan",
                   "isinf": "isinf", "logaddexp": "logaddexp", "logaddexp2": "logaddexp2"}
JAX_FUNCTIONS = {**{n: n for n in _MATH_NAMES}, "Abs": "abs", "ln": "log", "Sqrt": "sqrt",
                 "ceiling": "ceil", "exp2": "exp2", "acos": "arccos", "acosh": "arccosh",
                 "asin": "arcsin", "asinh": "arcsinh", "atan": "arctan", "atanh": "arctanh",
                 "atan2": "arctan2", "hypot": "hypot", "isnan": "isnan", "isinf": "isinf",
                 "logaddexp": "logaddexp", "logaddexp2": "logaddexp2"}
# every function name some parent printer knows; those outside a table raise
_KNOWN_NAMES = sorted(set(TORCH_FUNCTIONS) | set(JAX_FUNCTIONS) | {
    "erf", "erfc", "factorial", "gamma", "loggamma", "sinc", "frac", "fresnelc", "fresnels",
    "lowergamma", "uppergamma", "re", "im", "arg", "amax", "amin"})


class _ArrayModulePrinter(_Strict, NumPyPrinter):
    """Whole-array code for an array module named :attr:`module`.

    ``scalars`` are symbols bound to Python floats in the generated code (grid
    spacings, constant temporaries): a function of scalars alone is printed with
    ``math``, because ``torch.sin`` rejects a float.
    """

    module = "?"
    functions: dict = {}
    _kc = {"Exp1": "math.e", "Pi": "math.pi", "NaN": "math.nan", "Infinity": "math.inf"}

    def __init__(self, settings=None, scalars=()):
        super().__init__({"strict": True, **(settings or {})})
        self.scalars = set(scalars)
        self._scalar = ScalarPrinter()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for name in _KNOWN_NAMES:
            setattr(cls, f"_print_{name}", cls._print_table_function)

    def is_scalar(self, expr) -> bool:
        """True when ``expr`` is a Python float at run time (no array symbol in it)."""
        return sp.sympify(expr).free_symbols <= self.scalars

    def _call(self, fn, args):
        return f"{self.module}.{fn}({', '.join(args)})"

    def _print_table_function(self, expr):
        name = type(expr).__name__
        if name not in self.functions:
            raise PrintMethodNotImplementedError(f"{name} has no {self.target} equivalent")
        if self.is_scalar(expr):
            return self._scalar._print(expr)
        return self._call(self.functions[name], [self._print(a) for a in expr.args])

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_integer and expr.exp.is_negative:
            expr = sp.Pow(expr.base, expr.exp.evalf(), evaluate=False)
        sqrt = "math.sqrt" if self.is_scalar(expr.base) else f"{self.module}.sqrt"
        return self._hprint_Pow(expr, rational=rational, sqrt=sqrt)

    def _print_EulerGamma(self, expr):
        return repr(float(expr))

    def _print_Mod(self, expr):
        return PythonCodePrinter._print_Mod(self, expr)

    def _print_Relational(self, expr):
        if expr.rel_op not in ("==", "!=", "<", "<=", ">", ">="):
            return super()._print_Relational(expr)
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _chain(self, fn, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = self._call(fn, [out, self._print(a)])
        return out

    def _print_And(self, expr):
        return self._chain("logical_and", expr.args)

    def _print_Or(self, expr):
        return self._chain("logical_or", expr.args)

    def _print_Not(self, expr):
        return self._call("logical_not", [self._print(expr.args[0])])

    def _print_Piecewise(self, expr):
        out = "math.nan"
        for e, c in reversed(expr.args):
            if c == sp.true:
                out = self._print(e)
            elif self.is_scalar(c):
                out = f"({self._print(e)} if {self._scalar._print(c)} else {out})"
            else:
                out = self._call("where", [self._print(c), self._print(e), out])
        return out


class TorchPrinter(_ArrayModulePrinter):
    """``torch`` code: tensors of any shape broadcast, Python floats stay floats.

    torch's binary functions (``maximum``, ``atan2``) take tensors only, so
    constant arguments go through ``torch.clamp`` or ``torch.as_tensor``.
    """

    target = "torch"
    module = "torch"
    functions = TORCH_FUNCTIONS

    def _print_table_function(self, expr):
        if len(expr.args) > 1 and not self.is_scalar(expr) and type(expr).__name__ in self.functions:
            args = [f"torch.as_tensor({self._print(a)}, dtype=torch.float64)" if self.is_scalar(a)
                    else self._print(a) for a in expr.args]
            return self._call(self.functions[type(expr).__name__], args)
        return super()._print_table_function(expr)

    def _extremum(self, expr, fn, builtin, bound):
        if self.is_scalar(expr):
            return self._scalar._print(expr)
        arrays = [a for a in expr.args if not self.is_scalar(a)]
        consts = [a for a in expr.args if self.is_scalar(a)]
        out = self._chain(fn, arrays)
        if consts:
            c = (self._scalar._print(consts[0]) if len(consts) == 1 else
                 f"{builtin}({', '.join(self._scalar._print(a) for a in consts)})")
            out = f"torch.clamp({out}, {bound}={c})"
        return out

    def _print_Max(self, expr):
        return self._extremum(expr, "maximum", "max", "min")

    def _print_Min(self, expr):
        return self._extremum(expr, "minimum", "min", "max")

    def _print_Heaviside(self, expr):
        if self.is_scalar(expr):
            return self._scalar._print(expr)
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"torch.where({x} > 0, 1.0, torch.where({x} == 0, {float(h0)!r}, 0.0))"


class JaxPrinter(_ArrayModulePrinter):
    """``jax.numpy`` code (imported as ``jnp``); traceable by ``jax.jit``."""

    target = "JAX"
    module = "jnp"
    functions = JAX_FUNCTIONS

    def _print_Max(self, expr):
        return self._chain("maximum", expr.args)

    def _print_Min(self, expr):
        return self._chain("minimum", expr.args)

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return self._call("heaviside", [self._print(expr.args[0]), repr(float(h0))])


def print_expr(expr, target: str) -> str:
    """Print ``expr`` for ``target`` in {"numpy", "numba"}."""
    return (VectorPrinter() if target == "numpy" else ScalarPrinter()).doprint(expr)


def piecewise_chain(expr, language: str, value, cond, branch) -> str:
    """Nested conditionals for a ``Piecewise`` with a default (last, ``True``) piece.

    ``value(e)`` and ``cond(c)`` print a piece's value and condition;
    ``branch(c, v, otherwise)`` joins them. A ``Piecewise`` without a default piece
    raises :class:`~symnum.errors.CodegenError` (the target has no "undefined").
    """
    if expr.args[-1].cond != sp.true:
        raise CodegenError(f"cannot generate {language} code for {expr!r} (node Piecewise): it "
                           "has no default piece. Add a last piece (value, True).")
    out = value(expr.args[-1].expr)
    for e, c in reversed(expr.args[:-1]):
        out = branch(cond(c), value(e), out)
    return out
