"""Parse boundary equations into :class:`BoundaryCondition` and check their coverage."""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ConditionError, UnsupportedOperatorError
from .conditions import BoundaryCondition
from .validate import check_functions, check_symbols


def parse_boundary(system, equations) -> list[BoundaryCondition]:
    """Turn ``equations`` into conditions of ``system``; check sides and coverage."""
    conds: dict = {}
    for e in equations:
        c = _parse_one(system, e)
        key = (c.field, c.axis, c.side)
        if key in conds:
            raise ConditionError(
                f"two conditions on one side: {conds[key].source} and {e} both apply to "
                f"{c.field} at {system.axes[c.axis]} = {system.bounds[c.axis][c.side]}; keep one."
            )
        conds[key] = c
    # velocity fields of second-order equations inherit the time derivative of the condition
    for base, vel in system.velocity.items():
        for (f, ax, side), c in list(conds.items()):
            if f == base and (vel, ax, side) not in conds:
                conds[(vel, ax, side)] = c.differentiated_in_time(system.t, vel)
    _check_coverage(system, conds)
    return list(conds.values())


def _parse_one(system, eq) -> BoundaryCondition:
    t, axes = system.t, system.axes
    full = (t, *axes)
    expr = eq.lhs - eq.rhs
    refs = []  # (field, axis, point, kind, node)
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Subs) and isinstance(node.expr, sp.Derivative):
            d = node.expr
            if (isinstance(d.expr, AppliedUndef) and str(d.expr.func) in system.functions
                    and len(d.variables) == 1 and tuple(node.variables) == d.variables
                    and d.variables[0] in axes and tuple(d.expr.args) == full):
                refs.append((str(d.expr.func), axes.index(d.variables[0]), node.point[0], "d", node))
                continue
            raise UnsupportedOperatorError(
                f"boundary condition {eq}: only first derivatives along the normal axis are "
                "supported in conditions (Neumann/Robin), e.g. u(t, x).diff(x).subs(x, 0)."
            )
        if isinstance(node, AppliedUndef) and str(node.func) in system.functions:
            args = node.args
            if args == full:
                continue  # inside a Subs, handled above
            diff = [k for k, (a, b) in enumerate(zip(args[1:], axes)) if a != b]
            if len(args) != len(full) or args[0] != t or len(diff) != 1 or not args[1 + diff[0]].is_number:
                raise ConditionError(
                    f"boundary condition {eq}: {node} must fix exactly one space coordinate to a "
                    f"number and keep the others, e.g. {node.func}({', '.join(map(str, full[:1] + (0,) + full[2:]))})."
                )
            refs.append((str(node.func), diff[0], args[1 + diff[0]], "u", node))
    if not refs:
        raise ConditionError(f"boundary condition {eq} does not involve any field at a side of "
                             f"the domain; fields are {system.fields}.")
    fields = {r[0] for r in refs}
    where = {(r[1], sp.nsimplify(r[2])) for r in refs}
    if len(fields) != 1 or len(where) != 1:
        raise ConditionError(
            f"boundary condition {eq} must involve one field at one side; it involves "
            f"{sorted(fields)} at {sorted((str(axes[a]) + '=' + str(p)) for a, p in where)}."
        )
    field = fields.pop()
    axis, point = where.pop()
    lo, hi = system.bounds[axis]
    name = axes[axis]
    if system.periodic[axis]:
        raise ConditionError(f"boundary condition {eq} is on the periodic axis {name}; "
                             "remove it or remove Periodic({name}).")
    if float(point) < float(lo) or float(point) > float(hi):
        raise ConditionError(
            f"boundary condition {eq} is at {name} = {point}, outside the domain "
            f"[{lo}, {hi}]; conditions go on the sides {name} = {lo} or {name} = {hi}."
        )
    if sp.simplify(point - lo) == 0:
        side = 0
    elif sp.simplify(point - hi) == 0:
        side = 1
    else:
        raise ConditionError(
            f"boundary condition {eq} is at {name} = {point}, inside the domain, not on a "
            f"side; conditions go on {name} = {lo} or {name} = {hi}."
        )
    U, DU = sp.Dummy("U"), sp.Dummy("DU")
    rep = {r[4]: (U if r[3] == "u" else DU) for r in refs}
    lin = expr.xreplace(rep)
    a, b = sp.diff(lin, U), sp.diff(lin, DU)
    g = sp.expand(-(lin - a * U - b * DU))
    if a.free_symbols & {U, DU} or b.free_symbols & {U, DU} or g.free_symbols & {U, DU}:
        raise UnsupportedOperatorError(
            f"boundary condition {eq} is not linear in {field}; only Dirichlet, Neumann and "
            "Robin conditions a*u + b*du/dx = g are supported."
        )
    const = set(system.parameters)
    for coef, label in ((a, "coefficient of the value"), (b, "coefficient of the derivative")):
        if coef.free_symbols - const:
            raise UnsupportedOperatorError(
                f"boundary condition {eq}: the {label} ({coef}) must be constant; only the "
                "right-hand side g may depend on time and coordinates."
            )
    other = {t, *(x for k, x in enumerate(axes) if k != axis), *const}
    check_symbols(g, other, f"boundary condition {eq}")
    check_functions(g, {}, f"boundary condition {eq}")
    return BoundaryCondition(field, axis, side, a, b, g, eq)


def _max_order(expr, fn, axis_sym) -> int:
    best = 0
    for d in expr.atoms(sp.Derivative):
        if isinstance(d.expr, AppliedUndef) and d.expr.func == fn:
            best = max(best, sum(c for v, c in d.variable_count if v == axis_sym))
    return best


def _check_coverage(system, conds) -> None:
    for name in system.fields:
        fn = system.functions[name]
        for k, ax in enumerate(system.axes):
            if system.periodic[k]:
                continue
            order = max(_max_order(r, fn, ax) for r in system.rhs.values())
            have = [s for s in (0, 1) if (name, k, s) in conds]
            missing = [s for s in (0, 1) if s not in have]
            if (order >= 2 and missing) or (order == 1 and not have):
                s = missing[0]
                pt = system.bounds[k][s]
                raise ConditionError(
                    f"field {name} has no condition on the side {ax} = {pt} (its equations "
                    f"differentiate it {order} time(s) in {ax}). Add e.g. "
                    f"sp.Eq({fn}({', '.join(str(pt) if j == k else str(a) for j, a in enumerate([system.t, *system.axes], -1))}), 0), "
                    f"a Neumann condition, or sn.Periodic({ax})."
                )
