"""Lower a field equation to per-region stencil expressions (the semi-discrete RHS).

The semi-discrete right-hand side is a list of :class:`Region`: a box of grid
nodes over which one SymPy expression holds. The expression is written in
*reference symbols* ``R`` (a field at an integer offset from the node), the
coordinates, time and parameters. Interior nodes share one centred-stencil
expression; each node near a non-periodic side has its own one-sided one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import DiscretizationError, UnsupportedOperatorError
from .stencils import centered, fornberg, onesided_points, upwind

__all__ = ["Region", "Fill", "RefTable", "Lowering", "dx_symbol"]


def dx_symbol(d: int) -> sp.Symbol:
    """The grid spacing of axis ``d`` as it appears in expressions and generated code."""
    return sp.Symbol(f"dx{d}", positive=True)


@dataclass
class Region:
    """``out[field][box] = expr`` with ``box`` a tuple of ``(lo, hi)`` node ranges."""

    field: int
    box: tuple
    expr: sp.Expr


@dataclass
class Fill:
    """A side's nodes from its condition: ``u[node] = (g - sum c_k u[k]) / denom``."""

    field: int
    axis: int
    side: int
    node: int
    coeffs: tuple   # ((node_k, c_k), ...) with c_k SymPy in parameters
    denom: sp.Expr
    g: sp.Expr


class RefTable:
    """Interned reference symbols: ``R(field, offsets)`` <-> a SymPy Symbol."""

    def __init__(self, names):
        self.names = list(names)
        self._sym = {}
        self.key = {}

    def __call__(self, f: int, offs: tuple) -> sp.Symbol:
        k = (f, tuple(offs))
        s = self._sym.get(k)
        if s is None:
            tag = "_".join(("p" if o >= 0 else "m") + str(abs(o)) for o in offs) or "0"
            s = sp.Symbol(f"R_{self.names[f]}_{tag}", real=True)
            self._sym[k] = s
            self.key[s] = k
        return s


class Lowering:
    """Stencil choice and substitution for one model on one grid."""

    def __init__(self, system, axes, method, refs: RefTable):
        self.system, self.axes, self.method, self.R = system, axes, method, refs
        self.p = method.order
        self.q = method.upwind_order
        self.fidx = {n: k for k, n in enumerate(system.fields)}
        self.ffunc = {fn: self.fidx[n] for n, fn in system.functions.items()}
        self.reach = self._reach()

    # -- which stencils appear, how far they reach -------------------------
    def _requests(self):
        req = [set() for _ in self.axes]
        for ex in self.system.rhs.values():
            for d in ex.atoms(sp.Derivative):
                for v, c in d.variable_count:
                    if v in self.system.axes:
                        req[self.system.axes.index(v)].add(("c", c))
                        if c == 1 and self.q:
                            req[self.system.axes.index(v)].update({("u", -1), ("u", 1)})
        return req

    def _reach(self):
        reach = []
        for d, reqs in enumerate(self._requests()):
            lo = hi = 0
            for kind, k in reqs:
                offs = centered(k, self.p)[0] if kind == "c" else upwind(self.q, k)[0]
                lo, hi = max(lo, -offs[0]), max(hi, offs[-1])
            reach.append((lo, hi))
        return reach

    def classes(self, d: int, start: int, stop: int):
        """Node classes on axis ``d`` within ``[start, stop)``: (lo, hi, node or None)."""
        ax = self.axes[d]
        if ax.periodic:
            return [(start, stop, None)]
        lo_r, hi_r = self.reach[d]
        a, b = lo_r, ax.n - hi_r
        out = [(i, i + 1, i) for i in range(start, min(a, stop))]
        if max(a, start) < min(b, stop):
            out.append((max(a, start), min(b, stop), None))
        out += [(i, i + 1, i) for i in range(max(b, start, a), stop)]
        return out

    # -- stencils ------------------------------------------------------------
    def _fit(self, d, k, offs, node, npts_onesided):
        """Offsets/weights of derivative k at ``node`` (None: interior) on axis d."""
        ax = self.axes[d]
        if node is None or ax.periodic or (node + offs[0] >= 0 and node + offs[-1] <= ax.n - 1):
            return offs, None
        m = max(npts_onesided, len(offs))
        if m > ax.n:
            raise DiscretizationError(
                f"the grid on {ax.symbol} has {ax.n} points, too few for a derivative of order {k} "
                f"at accuracy {self.p} ({m} points needed near the sides); use more points or a "
                "lower order."
            )
        first = min(max(node + offs[0], 0), ax.n - m)
        nodes = tuple(range(first, first + m))
        return tuple(n - node for n in nodes), fornberg(k, nodes, node)

    def stencil(self, d, k, node, kind="c"):
        if kind == "c":
            offs, w = centered(k, self.p)
            npts = onesided_points(k, self.p)
        else:
            offs, w = upwind(self.q, kind)
            npts = len(offs)
        offs2, w2 = self._fit(d, k, offs, node, npts)
        return (offs, w) if w2 is None else (offs2, w2)

    def derivative(self, f: int, counts: dict, nodes: tuple, kind="c"):
        """Tensor-product stencil sum of the derivative ``counts`` {axis: k} of field f."""
        parts = []
        scale = sp.Integer(1)
        nd = len(self.axes)
        for d in range(nd):
            k = counts.get(d, 0)
            if k == 0:
                parts.append(((0,), (sp.Integer(1),)))
                continue
            parts.append(self.stencil(d, k, nodes[d], kind))
            scale *= dx_symbol(d) ** k
        total = sp.Integer(0)
        for combo in itertools.product(*(zip(o, w) for o, w in parts)):
            w = sp.Mul(*(c[1] for c in combo))
            if w != 0:
                total += w * self.R(f, tuple(c[0] for c in combo))
        return total / scale

    # -- lowering ------------------------------------------------------------
    def lower(self, expr, nodes: tuple):
        """Replace fields and their derivatives in ``expr`` by stencil sums at ``nodes``."""
        if self.q:
            expr = self._upwind_terms(expr, nodes)
        return self._replace(expr, nodes)

    def _replace(self, expr, nodes, kind="c"):
        rep = {}
        for d in expr.atoms(sp.Derivative):
            rep[d] = self._lower_derivative(d, nodes, kind)
        expr = expr.xreplace(rep)
        rep = {}
        for f in expr.atoms(AppliedUndef):
            if f.func in self.ffunc:
                rep[f] = self.R(self.ffunc[f.func], (0,) * len(self.axes))
        return expr.xreplace(rep)

    def _lower_derivative(self, d, nodes, kind="c"):
        if not (isinstance(d.expr, AppliedUndef) and d.expr.func in self.ffunc):
            raise UnsupportedOperatorError(
                f"cannot discretize {d}: only derivatives of fields are supported (expand "
                "products and chain rules first, e.g. with .doit())."
            )
        counts = {}
        for v, c in d.variable_count:
            if v not in self.system.axes:
                raise UnsupportedOperatorError(f"cannot discretize {d}: {v} is not a space axis.")
            counts[self.system.axes.index(v)] = counts.get(self.system.axes.index(v), 0) + c
        return self.derivative(self.ffunc[d.expr.func], counts, nodes, kind)

    def _upwind_terms(self, expr, nodes):
        out = []
        for term in sp.Add.make_args(sp.expand(expr, deep=False, mul=True, power_exp=False,
                                               power_base=False, log=False, multinomial=False)):
            facs = sp.Mul.make_args(term)
            adv = [f for f in facs if isinstance(f, sp.Derivative) and len(f.variables) == 1
                   and isinstance(f.expr, AppliedUndef) and f.expr.func in self.ffunc]
            if len(adv) != 1:
                out.append(self._replace(term, nodes))
                continue
            dv = adv[0]
            coef = self._replace(sp.Mul(*[f for f in facs if f is not dv]), nodes)
            fi = self.ffunc[dv.expr.func]
            d = self.system.axes.index(dv.variables[0])
            dp = self.derivative(fi, {d: 1}, nodes, kind=1)
            dm = self.derivative(fi, {d: 1}, nodes, kind=-1)
            out.append(sp.Max(coef, 0) * dp + sp.Min(coef, 0) * dm)
        return sp.Add(*out)
