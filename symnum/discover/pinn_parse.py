"""Equation parsing for :class:`~symnum.discover.pinn.HiddenPINN`: reading the user's equations.

This module holds what turns the user's equations (known physics plus undefined
functions for the hidden terms) into a :class:`Plan` of what the networks must
compute: the checks on the equations and parameters, the placeholders for
coordinates, fields and field derivatives, the hidden functions (:class:`Hidden`)
and the residuals, all through :func:`parse_equations`. It imports no torch.

Examples
--------
>>> import sympy as sp
>>> t = sp.Symbol("t"); x, y, F = sp.Function("x"), sp.Function("y"), sp.Function("F")
>>> plan = parse_equations([sp.Eq(x(t).diff(t), 1.3 * x(t) + F(x(t), y(t))),
...                         sp.Eq(y(t).diff(t), -y(t) + x(t) * y(t))])
>>> plan.fields, list(plan.hidden), plan.hidden["F"].symbols
(['x', 'y'], ['F'], (x, y))
>>> plan.residuals[0]
d_0 - 1.3*f_0 - h_0
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import DiscoveryError

__all__ = ["parse_equations", "Plan", "Hidden"]

_EXAMPLE = "Eq(x(t).diff(t), 1.3*x(t) + F(x(t), y(t)))"


@dataclass(frozen=True)
class Hidden:
    """One hidden function: its application, the placeholder names of its inputs
    (``c_j`` coordinate, ``f_i`` field, ``d_k`` derivative), the symbols that
    stand for them in the formula, and the placeholder of its output."""

    applied: sp.Expr
    inputs: tuple
    symbols: tuple
    output: str


@dataclass(frozen=True)
class Plan:
    """The parsed equations: what the networks must compute.

    ``residuals[k]`` is ``lhs - rhs`` of equation ``k`` in placeholders; ``derivs`` maps a
    placeholder ``d_k`` to ``(field index, coordinate indices)`` (``(0, (1, 1))``: u_xx of
    field 0 when the coordinates are ``(t, x)``);
    ``lhs`` gives ``(field index, time order)`` per equation.
    """

    t: sp.Symbol
    coords: tuple
    fields: list
    applied: dict
    equations: list
    lhs: list
    residuals: list
    derivs: dict
    hidden: dict


def _as_equations(equations) -> list:
    if equations is None:
        raise DiscoveryError("HiddenPINN needs equations=: the known physics with an undefined "
                             f"function for the missing term, e.g. [{_EXAMPLE}].")
    try:
        eqs = [equations] if isinstance(equations, sp.Basic) else list(equations)
    except TypeError:
        raise DiscoveryError(f"equations={equations!r} must be a list of sympy Eq, e.g. "
                             f"[{_EXAMPLE}].") from None
    if not eqs:
        raise DiscoveryError(f"equations= is empty; pass e.g. [{_EXAMPLE}].")
    for k, eq in enumerate(eqs):
        if not isinstance(eq, sp.Equality):
            raise DiscoveryError(f"equation {k} is {eq!r} ({type(eq).__name__}), not a sympy Eq; "
                                 f"write e.g. {_EXAMPLE}.")
    return eqs


def _substitute_parameters(eqs, parameters) -> list:
    if parameters is None:
        return eqs
    if not isinstance(parameters, dict):
        raise DiscoveryError(f"parameters={parameters!r} ({type(parameters).__name__}) must be a "
                             "dict {symbol or name: number}, e.g. {alpha: 1.3}.")
    free = {s.name: s for eq in eqs for s in eq.free_symbols}
    values, unknown = {}, []
    for key, value in parameters.items():
        name = key.name if isinstance(key, sp.Symbol) else key
        if not isinstance(name, str) or name not in free:
            unknown.append(str(key))
            continue
        number = sp.sympify(value)
        if not (number.is_number and number.is_real):
            raise DiscoveryError(f"parameter {name} = {value!r} is not a real number.")
        values[free[name]] = number
    if unknown:
        raise DiscoveryError(f"parameters {', '.join(unknown)} do not occur in the equations "
                             f"(their symbols: {', '.join(sorted(free)) or 'none'}).")
    return [eq.xreplace(values) for eq in eqs]


def _lhs(k, eq):
    d = eq.lhs
    if not (isinstance(d, sp.Derivative) and isinstance(d.expr, AppliedUndef)
            and len(d.variable_count) == 1):
        raise DiscoveryError(f"equation {k}: the left-hand side {d} must be a time derivative of a "
                             f"field, e.g. x(t).diff(t) or u(t, x).diff(t, 2); as in {_EXAMPLE}.")
    (tsym, order), = d.variable_count
    args = d.expr.args
    if not all(isinstance(a, sp.Symbol) for a in args) or len(set(args)) != len(args) \
            or tsym not in args:
        raise DiscoveryError(f"equation {k}: the field {d.expr} must be a function of distinct "
                             f"coordinate symbols including {tsym}, e.g. u(t, x).")
    return d.expr, tsym, int(order)


class _Placeholders:
    """Names the networks compute: ``c_j`` coordinates, ``f_i`` fields, ``d_k`` derivatives."""

    def __init__(self, coords, applied):
        self.coords, self.applied = coords, applied
        self.names = {c: sp.Symbol(f"c_{j}") for j, c in enumerate(coords)}
        self.names.update({a: sp.Symbol(f"f_{i}") for i, a in enumerate(applied.values())})
        self.derivs: dict = {}

    def field_index(self, expr):
        apps = list(self.applied.values())
        return apps.index(expr) if expr in apps else None

    def of(self, expr):
        """Placeholder for a coordinate, field or field derivative (None for anything else)."""
        if expr in self.names:
            return self.names[expr]
        if isinstance(expr, sp.Derivative) and self.field_index(expr.expr) is not None \
                and all(v in self.coords for v in expr.variables):
            multi = tuple(sorted(self.coords.index(v) for v in expr.variables))
            key = (self.field_index(expr.expr), multi)
            for name, value in self.derivs.items():
                if value == key:
                    return sp.Symbol(name)
            name = f"d_{len(self.derivs)}"
            self.derivs[name] = key
            return sp.Symbol(name)
        return None


def _arg_symbol(arg, ph) -> str:
    if isinstance(arg, sp.Symbol):
        return arg.name
    if isinstance(arg, sp.Derivative):
        return f"{arg.expr.func.__name__}_{''.join(v.name for v in arg.variables)}"
    return arg.func.__name__


def _find_hidden(rhs_list, fields, hidden, coords):
    apps = {}
    for rhs in rhs_list:
        for a in sorted(rhs.atoms(AppliedUndef), key=sp.default_sort_key):
            name = a.func.__name__
            if name in fields:
                continue
            if name in apps and apps[name] != a:
                raise DiscoveryError(f"hidden function {name} is applied to different arguments "
                                     f"({apps[name]} and {a}); use one argument list, or two names.")
            apps[name] = a
    if not apps:
        raise DiscoveryError("no hidden function in the equations: write the unknown term as an "
                             f"undefined function of the fields, e.g. {_EXAMPLE} (fields here: "
                             f"{', '.join(fields)}).")
    if hidden is not None:
        items = [hidden] if isinstance(hidden, (str, sp.Basic, sp.FunctionClass)) else hidden
        names = [h if isinstance(h, str) else h.func.__name__ if isinstance(h, AppliedUndef)
                 else getattr(h, "__name__", str(h)) for h in items]
        absent = [n for n in names if n not in apps]
        if absent:
            raise DiscoveryError(f"hidden={absent} do not occur in the equations; the undefined "
                                 f"functions there are {', '.join(apps)}.")
        extra = [str(a) for n, a in apps.items() if n not in names]
        if extra:
            raise DiscoveryError(f"{', '.join(extra)} is neither a field ({', '.join(fields)}) nor "
                                 f"in hidden={names}; add it to hidden= or replace it by a formula.")
    return apps


def parse_equations(equations, parameters=None, hidden=None) -> Plan:
    """Check ``equations`` and turn them into a :class:`Plan` (raises :class:`DiscoveryError`)."""
    eqs = _substitute_parameters(_as_equations(equations), parameters)
    lhs = [_lhs(k, eq) for k, eq in enumerate(eqs)]
    coords, tsym = lhs[0][0].args, lhs[0][1]
    applied = {}
    for (f, ts, _), eq in zip(lhs, eqs):
        if f.args != coords or ts != tsym:
            raise DiscoveryError(f"every field must be a function of the same coordinates and be "
                                 f"differentiated in the same time: {lhs[0][0]} vs {f} in {eq}.")
        if f.func.__name__ in applied:
            raise DiscoveryError(f"field {f.func.__name__} has two equations; give one per field.")
        applied[f.func.__name__] = f
    fields = list(applied)
    ph = _Placeholders(coords, applied)
    # d(u^2)/dx and friends: expand so that only derivatives of fields remain
    rhs_list = [eq.rhs.replace(lambda e: isinstance(e, sp.Derivative)
                               and not isinstance(e.expr, AppliedUndef), lambda e: e.doit())
                for eq in eqs]
    apps = _find_hidden(rhs_list, fields, hidden, coords)
    hidden_plan = {}
    for k, (name, app) in enumerate(apps.items()):
        inputs, symbols = [], []
        for j, arg in enumerate(app.args):
            p = ph.of(arg)
            if p is None:
                raise DiscoveryError(
                    f"argument {j} of {app} is {arg}: hidden-function arguments must be fields "
                    f"({', '.join(map(str, applied.values()))}), their derivatives (e.g. "
                    f"{list(applied.values())[0]}.diff({coords[-1]})) or coordinates "
                    f"({', '.join(map(str, coords))}); move {arg} into the known part or the formula.")
            inputs.append(p.name)
            symbols.append(_arg_symbol(arg, ph))
        if not inputs:
            raise DiscoveryError(f"hidden function {app} has no arguments; give it the fields it "
                                 "depends on, e.g. F(x(t), y(t)).")
        symbols = [s if symbols.count(s) == 1 else f"{s}_{j}" for j, s in enumerate(symbols)]
        hidden_plan[name] = Hidden(app, tuple(inputs), tuple(sp.Symbol(s) for s in symbols),
                                   f"h_{k}")
    outputs = {h.applied: sp.Symbol(h.output) for h in hidden_plan.values()}
    residuals = []
    for k, (eq, rhs, (f, _, order)) in enumerate(zip(eqs, rhs_list, lhs)):
        if any(isinstance(e, (sp.Derivative, sp.Subs)) and e.atoms(AppliedUndef) & set(outputs)
               for e in sp.preorder_traversal(rhs)):
            raise DiscoveryError(f"equation {k} differentiates a hidden function ({eq.rhs}); "
                                 "only fields may be differentiated.")
        expr = (eq.lhs - rhs).xreplace(outputs)
        expr = expr.replace(lambda e: isinstance(e, sp.Derivative) and ph.of(e) is not None,
                            lambda e: ph.of(e))
        expr = expr.xreplace(ph.names)
        left = [a for a in expr.atoms(AppliedUndef, sp.Derivative)]
        if left:
            raise DiscoveryError(f"equation {k}: cannot evaluate {left[0]}: fields must be applied "
                                 f"to the coordinates {coords} (as on the left-hand sides).")
        placeholders = set(ph.names.values()) | set(outputs.values()) | \
            {sp.Symbol(n) for n in ph.derivs}
        unknown = sorted(s.name for s in expr.free_symbols - placeholders)
        if unknown:
            raise DiscoveryError(f"equation {k} has symbols without values: {', '.join(unknown)}; "
                                 f"pass parameters={{{unknown[0]}: value, ...}} or numbers.")
        residuals.append(expr)
    lhs_plan = [(fields.index(f.func.__name__), order) for f, _, order in lhs]
    return Plan(tsym, coords, fields, applied, eqs, lhs_plan, residuals, dict(ph.derivs),
                hidden_plan)
