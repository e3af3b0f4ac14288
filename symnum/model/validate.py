"""Checks shared by :class:`PDESystem` and :class:`ODESystem` (fail at construction)."""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ModelError, ParameterError, UnknownSymbolError, UnsupportedOperatorError

# Node types the discretizer and printers understand inside a right-hand side.
SUPPORTED_FUNCS = (
    sp.sin, sp.cos, sp.tan, sp.exp, sp.log, sp.tanh, sp.sinh, sp.cosh, sp.atan, sp.asin,
    sp.acos, sp.Abs, sp.sign, sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.erf,
    sp.floor, sp.ceiling, sp.atan2,
)


def as_equation_list(equations, what: str) -> list[sp.Eq]:
    """Accept an Eq, a list of Eqs, or a dict {lhs: rhs}; return a list of Eq."""
    if isinstance(equations, dict):
        equations = [sp.Eq(k, v) for k, v in equations.items()]
    elif isinstance(equations, (sp.Eq, sp.Basic)):
        equations = [equations]
    out = []
    for e in equations:
        if isinstance(e, sp.Eq):
            out.append(e)
        elif isinstance(e, sp.Basic) and not isinstance(e, sp.logic.boolalg.BooleanAtom):
            out.append(sp.Eq(e, 0))
        else:
            raise ModelError(
                f"{what} must be SymPy equations (sp.Eq); got {e!r} of type {type(e).__name__}."
            )
    return out


def numeric_parameters(parameters) -> dict[sp.Symbol, float]:
    """Check every parameter has a real numeric value; keys may be symbols or names."""
    out = {}
    for k, v in dict(parameters or {}).items():
        sym = sp.Symbol(k) if isinstance(k, str) else k
        if not isinstance(sym, sp.Symbol):
            raise ParameterError(f"parameter keys must be SymPy symbols; got {k!r}.")
        try:
            val = sp.sympify(v)
            fval = float(val)
        except (TypeError, ValueError, sp.SympifyError):
            raise ParameterError(
                f"parameter {sym} has no numeric value (got {v!r}); give it a number, "
                f"e.g. parameters={{{sym}: 0.1}}."
            ) from None
        if not sp.Float(fval).is_finite:
            raise ParameterError(f"parameter {sym} = {v!r} is not finite; give a finite number.")
        out[sym] = fval
    return out


def check_symbols(expr, allowed: set, where: str) -> None:
    """Raise UnknownSymbolError naming free symbols not in ``allowed``."""
    unknown = sorted(str(s) for s in expr.free_symbols - allowed)
    if unknown:
        raise UnknownSymbolError(
            f"{where} uses undefined symbol(s) {', '.join(unknown)}. Give each a value in "
            f"parameters={{...}} or make it a coordinate of the domain; defined symbols are "
            f"{sorted(str(s) for s in allowed)}."
        )


def check_functions(expr, field_funcs: dict, where: str) -> None:
    """Raise if ``expr`` applies an undefined function that is not a field."""
    for f in expr.atoms(AppliedUndef):
        if f.func not in field_funcs.values():
            raise UnknownSymbolError(
                f"{where} uses the function {f.func} which is not a field of the system "
                f"(fields: {sorted(field_funcs)}). Give it an equation and an initial "
                f"condition, or replace it by an explicit expression."
            )


def check_operators(expr, where: str) -> None:
    """Raise UnsupportedOperatorError for nodes the pipe cannot discretize or print."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Integral, sp.Sum, sp.Product, sp.Limit)):
            raise UnsupportedOperatorError(
                f"{where} contains the operator {type(node).__name__} ({node}), which the "
                "discretizer does not support. Rewrite it with derivatives, or introduce an "
                "auxiliary field."
            )
        if isinstance(node, sp.Function) and not isinstance(node, AppliedUndef):
            if not isinstance(node, SUPPORTED_FUNCS):
                raise UnsupportedOperatorError(
                    f"{where} uses the function {node.func} which symnum cannot generate "
                    f"code for. Supported: {sorted({f.__name__ for f in SUPPORTED_FUNCS})}."
                )
