"""``PDESystem`` and ``ODESystem``: SymPy models checked and normalized at construction.

Both reduce to one canonical form that the discretizer reads:

* ``fields``: names in state order; ``functions[name]`` the SymPy function;
* ``rhs[name]``: ``d field/dt = rhs`` (second-order-in-time equations are
  reduced to first order with a velocity field ``<name>_t``);
* ``initial[name]``: expression in the space coordinates;
* ``conditions``: parsed :class:`~symnum.model.conditions.BoundaryCondition`;
* ``parameters``: symbol -> float.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ConditionError, ModelError
from .boundary import parse_boundary
from .conditions import Periodic
from .validate import (as_equation_list, check_functions, check_operators, check_symbols,
                       numeric_parameters)

__all__ = ["PDESystem", "ODESystem"]


class _System:
    """Shared normalization of equations and initial conditions."""

    t: sp.Symbol
    axes: list
    periodic: list

    def _setup_fields(self, equations):
        eqs = as_equation_list(equations, "equations")
        if not eqs:
            raise ModelError("the system has no equations; pass equations=[sp.Eq(u(t).diff(t), ...)].")
        t = self.t
        # fields: functions whose time derivative appears
        order: dict = {}
        for e in eqs:
            for d in (e.lhs - e.rhs).atoms(sp.Derivative):
                if isinstance(d.expr, AppliedUndef):
                    k = sum(c for v, c in d.variable_count if v == t)
                    if k:
                        order[d.expr.func] = max(order.get(d.expr.func, 0), k)
        if not order:
            raise ModelError(
                f"no equation contains a time derivative d/d{t}; write e.g. "
                f"sp.Eq(u({t}, x).diff({t}), ...)."
            )
        funcs = {}  # state order: as the time derivatives first appear in the equations
        for e in eqs:
            ders = sorted((d for d in (e.lhs - e.rhs).atoms(sp.Derivative)
                           if isinstance(d.expr, AppliedUndef) and t in d.variables), key=str)
            for d in ders:
                funcs.setdefault(str(d.expr.func), d.expr.func)
        for e in eqs:
            for f in sorted((e.lhs - e.rhs).atoms(AppliedUndef), key=str):
                if f.func in order:
                    funcs.setdefault(str(f.func), f.func)
        for name, fn in funcs.items():
            if order[fn] > 2:
                raise ModelError(f"field {name} is differentiated {order[fn]} times in time; "
                                 "at most 2 is supported. Introduce auxiliary fields.")
        args = (t, *self.axes)
        for e in eqs:
            for f in (e.lhs - e.rhs).atoms(AppliedUndef):
                if f.func in order and tuple(f.args) != args:
                    raise ModelError(
                        f"in equation {e}, the field {f} must be written with the arguments "
                        f"{args} (time first, then every space coordinate in domain order)."
                    )
        # reduce second order in time: v = u_t
        velocity = {}
        names = []
        for name, fn in funcs.items():
            names.append(name)
            if order[fn] == 2:
                vname = f"{name}_t"
                velocity[name] = sp.Function(vname)
        self.functions = dict(funcs)
        for name, vfn in velocity.items():
            self.functions[name + "_t"] = vfn
        applied = {n: fn(*args) for n, fn in self.functions.items()}
        unknowns, subs_first = [], {}
        for name, fn in funcs.items():
            if name in velocity:
                subs_first[sp.Derivative(applied[name], t)] = applied[name + "_t"]
                unknowns.append(sp.Derivative(applied[name], (t, 2)))
            else:
                unknowns.append(sp.Derivative(applied[name], t))
        exprs = [(e.lhs - e.rhs).doit() for e in eqs]
        dummies = [sp.Dummy(f"d_{n}") for n in funcs]
        rep = dict(zip(unknowns, dummies))
        exprs = [ex.subs(rep).subs(subs_first) for ex in exprs]
        for ex, e in zip(exprs, eqs):
            for d in ex.atoms(sp.Derivative):
                if t in d.variables:
                    raise ModelError(
                        f"equation {e} mixes time derivatives in a way symnum cannot reduce to "
                        f"d/d{t} (field) = f(...) form (found {d}). Write one explicit "
                        "evolution equation per field."
                    )
        if len(exprs) != len(dummies):
            raise ModelError(
                f"{len(exprs)} equation(s) for {len(dummies)} field(s) {list(funcs)}; give "
                "exactly one evolution equation per field."
            )
        try:
            A, b = sp.linear_eq_to_matrix(exprs, dummies)
        except (sp.polys.polyerrors.PolynomialError, ValueError):
            raise ModelError(
                "the equations are not linear in the time derivatives; write each as "
                "sp.Eq(u.diff(t), f(...))."
            ) from None
        if A.free_symbols & set(dummies) or A.det() == 0:
            raise ModelError("the time derivatives cannot be solved for uniquely from the "
                             f"equations {eqs}; give one evolution equation per field.")
        sol = A.LUsolve(b) if A != sp.eye(len(dummies)) else b
        self.rhs = {}
        for name, s in zip(funcs, sol):
            if name in velocity:
                self.rhs[name] = applied[name + "_t"]
                self.rhs[name + "_t"] = sp.expand(s) if s.is_Add else s
            else:
                self.rhs[name] = s
        self.fields = list(self.rhs)
        self.velocity = {k: k + "_t" for k in velocity}
        self.equations = eqs
        self.applied = applied

    def _check_rhs(self):
        allowed = {self.t, *self.axes, *self.parameters}
        for name, ex in self.rhs.items():
            where = f"the equation for {name}"
            check_symbols(ex, allowed, where)
            check_functions(ex, self.functions, where)
            check_operators(ex, where)

    def _setup_initial(self, initial):
        t = self.t
        if isinstance(initial, dict):
            initial = [sp.Eq(k, v) for k, v in initial.items()]
        initial = as_equation_list(initial or [], "initial conditions")
        self.initial = {}
        t0 = self.tspan[0]
        for e in initial:
            lhs, val = e.lhs, e.rhs
            target = None
            if isinstance(lhs, AppliedUndef) and str(lhs.func) in self.functions:
                if _at_time(lhs.args[0], t0):
                    target = str(lhs.func)
                    pts = lhs.args[1:]
            elif isinstance(lhs, sp.Subs) and isinstance(lhs.expr, sp.Derivative):
                d = lhs.expr
                if (isinstance(d.expr, AppliedUndef) and d.variables == (t,)
                        and tuple(lhs.variables) == (t,) and _at_time(lhs.point[0], t0)):
                    name = str(d.expr.func)
                    if name in self.velocity:
                        target = self.velocity[name]
                        pts = d.expr.args[1:]
            elif isinstance(lhs, sp.Derivative) and isinstance(lhs.expr, AppliedUndef):
                pass
            if target is None:
                raise ConditionError(
                    f"initial condition {e} is not of the form Eq(u({t0}, ...), value) at the "
                    f"start time {t0} (or Eq(u(t, ...).diff(t).subs(t, {t0}), value) for the "
                    "velocity of a second-order field)."
                )
            if tuple(pts) != tuple(self.axes):
                raise ConditionError(
                    f"initial condition {e} must be given on the whole domain: write the field "
                    f"as {self.functions[target if target in self.functions else name]}"
                    f"({t0}, {', '.join(map(str, self.axes))})."
                )
            if target in self.initial:
                raise ConditionError(f"two initial conditions for {target}: remove one of them.")
            val = sp.sympify(val)
            check_symbols(val, {*self.axes, *self.parameters}, f"the initial condition of {target}")
            check_functions(val, {}, f"the initial condition of {target}")
            self.initial[target] = val
        for name in self.fields:
            if name not in self.initial:
                if name in self.velocity.values():
                    base = name[:-2]
                    hint = f"sp.Eq({self.applied[base]}.diff({t}).subs({t}, {t0}), ...)"
                else:
                    hint = f"sp.Eq({self.functions[name]}({t0}{''.join(', ' + str(a) for a in self.axes)}), ...)"
                raise ConditionError(f"field {name} has no initial condition; add {hint}.")

    @property
    def parameter_values(self):
        return dict(self.parameters)


class PDESystem(_System):
    """A system of time-dependent PDEs on a box, with initial and boundary conditions.

    Parameters
    ----------
    equations : list of sympy.Eq
        One evolution equation per field, e.g. ``Eq(u(t, x).diff(t), nu * u(t, x).diff(x, 2))``.
        Second derivatives in time are reduced to first order automatically.
    domain : dict
        ``{t: (t0, t1), x: (x0, x1), ...}``: the time span and the box, space axes in order.
    initial : list of sympy.Eq or dict
        ``Eq(u(t0, x), expr)`` per field (and the velocity for second-order fields).
    boundary : list
        SymPy equations (Dirichlet ``Eq(u(t, 0), g)``, Neumann
        ``Eq(u(t, x).diff(x).subs(x, 0), g)``, Robin) and :class:`~symnum.Periodic` markers.
    parameters : dict
        Symbol -> number, for every symbol that is not a coordinate.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t, x = sp.symbols("t x"); u = sp.Function("u")
    >>> heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
    ...     domain={t: (0, 1), x: (0, 1)}, initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
    ...     boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    >>> heat.fields
    ['u']
    """

    def __init__(self, equations, domain, initial, boundary=(), parameters=None):
        if not isinstance(domain, dict) or len(domain) < 2:
            raise ModelError(
                "domain must be a dict {t: (t0, t1), x: (x0, x1), ...} with the time span first "
                f"and at least one space axis; got {domain!r}. For ODEs use sn.ODESystem."
            )
        items = list(domain.items())
        self.t = items[0][0]
        self.tspan = _interval(self.t, items[0][1])
        self.axes = [k for k, _ in items[1:]]
        self.bounds = [_interval(k, v) for k, v in items[1:]]
        if len(self.axes) > 3:
            raise ModelError(f"at most 3 space dimensions are supported; got {self.axes}.")
        self.parameters = numeric_parameters(parameters)
        self._setup_fields(equations)
        self._check_rhs()
        self._setup_initial(initial)
        periodic = set()
        eq_conds = []
        for c in boundary:
            if isinstance(c, Periodic):
                if c.axis not in self.axes:
                    raise ConditionError(f"Periodic({c.axis}): {c.axis} is not a space axis of "
                                         f"the domain {self.axes}.")
                periodic.add(c.axis)
            else:
                eq_conds.extend(as_equation_list(c, "boundary conditions"))
        self.periodic = [a in periodic for a in self.axes]
        self.conditions = parse_boundary(self, eq_conds)

    def __repr__(self):
        return (f"PDESystem(fields={self.fields}, axes={self.axes}, "
                f"periodic={self.periodic}, parameters={ {str(k): v for k, v in self.parameters.items()} })")


class ODESystem(_System):
    """A system of ordinary differential equations ``d y/dt = f(t, y)``.

    Parameters
    ----------
    equations : list of sympy.Eq
        ``Eq(y(t).diff(t), ...)`` per field; second order in time is reduced.
    initial : dict or list of sympy.Eq
        ``{y(0): 1}`` or ``[Eq(y(0), 1)]`` (and ``Eq(y(t).diff(t).subs(t, 0), v0)``).
    parameters : dict
        Symbol -> number.
    tspan : tuple
        ``(t0, t1)``.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
    ...                    parameters={k: 0.5}, tspan=(0, 10))
    >>> sys.rhs["y"]
    -k*y(t)
    """

    def __init__(self, equations, initial, parameters=None, tspan=(0, 1), t=None):
        eqs = as_equation_list(equations, "equations")
        self.t = t if t is not None else _guess_time(eqs)
        self.tspan = _interval(self.t, tspan)
        self.axes, self.bounds, self.periodic, self.conditions = [], [], [], []
        self.parameters = numeric_parameters(parameters)
        self._setup_fields(eqs)
        self._check_rhs()
        self._setup_initial(initial)

    def __repr__(self):
        return f"ODESystem(fields={self.fields}, tspan={self.tspan})"


def _interval(sym, pair):
    try:
        lo, hi = (sp.nsimplify(sp.sympify(v)) if isinstance(v, float) else sp.sympify(v) for v in pair)
        flo, fhi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise ModelError(f"the interval of {sym} must be two numbers (lo, hi); got {pair!r}.") from None
    if not flo < fhi:
        raise ModelError(f"the interval of {sym} must have lo < hi; got {pair!r}.")
    return (lo, hi)


def _at_time(value, t0) -> bool:
    """True when ``value`` is the start time ``t0`` (``0.0`` counts as ``0``; a float
    start time is matched to rounding, as the time span keeps it as a rational)."""
    if value == t0:
        return True
    try:
        return bool(value.is_number) and abs(float(value) - float(t0)) <= 1e-12 * max(
            1.0, abs(float(t0)))
    except (TypeError, ValueError):
        return False


def _guess_time(eqs):
    cands = set()
    for e in eqs:
        for d in (e.lhs - e.rhs).atoms(sp.Derivative):
            cands.update(d.variables)
    if len(cands) != 1:
        raise ModelError(f"cannot tell the time variable from {sorted(map(str, cands))}; "
                         "pass ODESystem(..., t=t).")
    return cands.pop()
