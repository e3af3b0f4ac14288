"""Method of lines: a :class:`PDESystem` or :class:`ODESystem` -> :class:`ODEProblem`."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..errors import DiscretizationError, ModelError
from ..model.system import ODESystem, PDESystem
from .grid import Axis, FieldPlan
from .lower import Fill, Lowering, RefTable, Region, dx_symbol
from .method import FiniteDifference
from .problem import ODEProblem
from .stencils import fornberg

__all__ = ["discretize", "symbolic_discretize"]


def discretize(system, method=None, *, simplify=False) -> ODEProblem:
    """Lower a model to an :class:`ODEProblem` (method of lines for PDEs).

    Parameters
    ----------
    system : PDESystem or ODESystem
    method : FiniteDifference, optional
        Required for a ``PDESystem`` (``ODESystem`` needs none).
    simplify : bool or dict
        ``True`` rewrites each region's right-hand side with
        :func:`symnum.simplify.simplify` (``opaque=True``, so ``Max``/``Min`` of
        upwinding stay as they are) before code is generated: fewer CPU cycles
        per point, same values. A dict passes options, e.g.
        ``{"cost": "ops", "time_limit": 1.0}``.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t, x = sp.symbols("t x"); u = sp.Function("u")
    >>> heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
    ...     domain={t: (0, 1), x: (0, 1)}, initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
    ...     boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    >>> prob = sn.discretize(heat, sn.FiniteDifference({x: 11}, order=2))
    >>> prob.n          # the two Dirichlet nodes are eliminated
    9
    >>> prob.jac_sparsity.nnz
    25
    """
    if isinstance(system, ODEProblem):
        return system
    if isinstance(system, ODESystem):
        if method is not None:
            raise DiscretizationError("an ODESystem needs no discretization method; call "
                                      "sn.discretize(system) without one.")
        axes = []
    elif isinstance(system, PDESystem):
        if method is None:
            raise DiscretizationError(
                "discretizing a PDESystem needs a method, e.g. sn.discretize(system, "
                f"sn.FiniteDifference({{{', '.join(f'{a}: 64' for a in system.axes)}}}, order=2))."
            )
        if not isinstance(method, FiniteDifference):
            raise DiscretizationError(
                f"unknown discretization method {method!r} ({type(method).__name__}); "
                "valid: sn.FiniteDifference."
            )
        extra = [str(k) for k in method.points if str(k) not in map(str, system.axes)]
        if extra:
            raise DiscretizationError(f"FiniteDifference names axes {extra} that are not in the "
                                      f"domain {system.axes}.")
        axes = [Axis(a, method.npoints(a), float(lo), float(hi), per)
                for a, (lo, hi), per in zip(system.axes, system.bounds, system.periodic)]
    else:
        raise ModelError(f"cannot discretize {type(system).__name__}; pass an sn.PDESystem or "
                         "sn.ODESystem.")
    prob = _build(system, axes, method or FiniteDifference({sp.Symbol("_"): 3}))
    if simplify:
        _simplify_regions(prob.regions, {} if simplify is True else dict(simplify))
    return prob


def symbolic_discretize(system, method=None, *, simplify=False):
    """The semi-discrete system as per-region stencil expressions (no code generated).

    ``simplify`` as in :func:`discretize`.
    """
    return discretize(system, method, simplify=simplify)


def _simplify_regions(regions, options) -> None:
    from ..simplify import simplify

    options.setdefault("opaque", True)
    options.pop("report", None)
    for reg in regions:
        reg.expr = simplify(reg.expr, **options)


def _build(system, axes, method) -> ODEProblem:
    names = system.fields
    R = RefTable(names)
    low = Lowering(system, axes, method, R)
    nd = len(axes)
    ghosts = [max(low.reach[d]) if axes[d].periodic else 0 for d in range(nd)]
    axes = [Axis(a.symbol, a.n, a.lo, a.hi, a.periodic, g) for a, g in zip(axes, ghosts)]
    low.axes = axes
    conds = {(c.field, c.axis, c.side): c for c in system.conditions}
    plans, off = [], 0
    for fi, name in enumerate(names):
        start = tuple(1 if (name, d, 0) in conds else 0 for d in range(nd))
        stop = tuple(a.n - 1 if (name, d, 1) in conds else a.n for d, a in enumerate(axes))
        plan = FieldPlan(name, fi, start, stop, off)
        plans.append(plan)
        off += plan.size
    regions = []
    for plan in plans:
        rhs = system.rhs[plan.name]
        per_axis = [low.classes(d, plan.start[d], plan.stop[d]) for d in range(nd)]
        for combo in itertools.product(*per_axis):
            nodes = tuple(c[2] for c in combo)
            box = tuple((c[0], c[1]) for c in combo)
            regions.append(Region(plan.index, box, low.lower(rhs, nodes)))
    fills = _fills(system, axes, method, conds)
    y0 = _initial(system, axes, plans)
    return ODEProblem(system=system, method=method, axes=axes, plans=plans, regions=regions,
                      fills=fills, refs=R, y0=y0)


def _fills(system, axes, method, conds):
    p = method.order
    fidx = {n: k for k, n in enumerate(system.fields)}
    out = []
    for d, ax in enumerate(axes):
        for side in (0, 1):
            for name in system.fields:
                c = conds.get((name, d, side))
                if c is None:
                    continue
                need = p + 2 if (name, d, 1 - side) in conds else p + 1
                if ax.n < need:
                    raise DiscretizationError(
                        f"the grid on {ax.symbol} has {ax.n} points, too few for the condition "
                        f"{c.source} at accuracy {p}; use at least {need} points."
                    )
                node = 0 if side == 0 else ax.n - 1
                nodes = tuple(range(0, p + 1)) if side == 0 else tuple(range(ax.n - 1 - p, ax.n))
                w = fornberg(1, nodes, node)
                dx = dx_symbol(d)
                denom = c.a + c.b * w[nodes.index(node)] / dx
                if denom == 0:
                    raise DiscretizationError(
                        f"the condition {c.source} cannot determine {name} on its side "
                        "(a + b*w0/dx = 0); check its coefficients."
                    )
                coeffs = tuple((k, c.b * wk / dx) for k, wk in zip(nodes, w) if k != node)
                out.append(Fill(fidx[name], d, side, node, coeffs, denom, c.g))
    return out


def _initial(system, axes, plans):
    y0 = []
    params = system.parameters
    for plan in plans:
        ex = sp.sympify(system.initial[plan.name]).subs(params)
        syms = [a.symbol for a in axes]
        if ex.free_symbols - set(syms):
            raise ModelError(f"the initial condition of {plan.name} has unresolved symbols "
                             f"{sorted(map(str, ex.free_symbols - set(syms)))}.")
        grids = np.meshgrid(*[a.coords[s:e] for a, s, e in zip(axes, plan.start, plan.stop)],
                            indexing="ij")
        f = sp.lambdify(syms, ex, modules="numpy")
        with np.errstate(all="ignore"):
            val = np.broadcast_to(np.asarray(f(*grids), dtype=float), plan.shape)
        if not np.all(np.isfinite(val)):
            raise ModelError(f"the initial condition of {plan.name} ({ex}) is not finite on "
                             "the grid; check it at the domain's sides.")
        y0.append(np.ravel(val))
    return np.concatenate(y0) if y0 else np.zeros(0)
