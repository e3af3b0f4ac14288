"""``ODEProblem``: the semi-discrete system, symbolic and exact, before it is compiled."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sps
import sympy as sp

from .lower import dx_symbol

__all__ = ["ODEProblem"]


class ODEProblem:
    """A semi-discrete ODE ``dy/dt = f(t, y)`` with its symbolic structure.

    Built by :func:`symnum.discretize`. Holds the per-region stencil expressions
    of the right-hand side (:attr:`regions`), the boundary fills, the exact
    Jacobian sparsity (:attr:`jac_sparsity`), the symbolic Jacobian
    (:meth:`jacobian_expressions`) and the initial state (:attr:`y0`).

    Attributes
    ----------
    n : int
        Number of unknowns (nodes fixed by Dirichlet/Neumann/Robin conditions are eliminated).
    y0 : numpy.ndarray
        Initial state.
    tspan : tuple of float
    grid : dict
        Space symbol -> node coordinates (full grid).
    """

    def __init__(self, system, method, axes, plans, regions, fills, refs, y0):
        self.system, self.method, self.axes = system, method, axes
        self.plans, self.regions, self.fills, self.refs = plans, regions, fills, refs
        self.y0 = y0
        self.n = int(sum(p.size for p in plans))
        self.tspan = tuple(float(v) for v in system.tspan)
        self.param_symbols = sorted(system.parameters, key=str)
        self.params = np.array([system.parameters[s] for s in self.param_symbols], dtype=float)
        self._jac_cache = {}
        self._functions = None

    # -- layout (StateLayout protocol) ------------------------------------------
    @property
    def names(self):
        return [p.name for p in self.plans]

    @property
    def functions_by_name(self):
        return dict(self.system.functions)

    @property
    def grid(self):
        return {a.symbol: a.coords for a in self.axes}

    @property
    def layout(self):
        return _Layout(self)

    def __repr__(self):
        ax = ", ".join(f"{a.symbol}: {a.n}{' periodic' if a.periodic else ''}" for a in self.axes)
        return (f"ODEProblem(fields={self.names}, n={self.n}, grid={{{ax}}}, "
                f"tspan={self.tspan}, regions={len(self.regions)})")

    # -- symbolic structure --------------------------------------------------------
    def region_refs(self, reg):
        """Reference symbols the region's expression depends on (sorted by name)."""
        return sorted(reg.expr.free_symbols & set(self.refs.key), key=str)

    def region_jac(self, reg):
        """``{ref: d expr / d ref}``: the symbolic Jacobian entries of a region."""
        key = id(reg)
        if key not in self._jac_cache:
            self._jac_cache[key] = {r: sp.diff(reg.expr, r) for r in self.region_refs(reg)}
        return self._jac_cache[key]

    def region_deps(self, reg):
        """References the region's Jacobian entries depend on."""
        syms = set()
        for v in self.region_jac(reg).values():
            syms |= v.free_symbols
        return sorted(syms & set(self.refs.key), key=str)

    def jacobian_expressions(self):
        """List of ``(field, box, {ref: expression})`` for every region."""
        return [(self.plans[r.field].name, r.box, self.region_jac(r)) for r in self.regions]

    def rhs_expressions(self):
        """List of ``(field, box, expression)``: the semi-discrete right-hand side."""
        return [(self.plans[r.field].name, r.box, r.expr) for r in self.regions]

    def fill_ranges(self, fl):
        """Node ranges a side fill covers, per axis: the full range on earlier axes (already
        filled), the field's unknowns on later ones, ``None`` on the fill's own axis."""
        plan = self.plans[fl.field]
        return [(0, a.n) if k < fl.axis else None if k == fl.axis
                else (plan.start[k], plan.stop[k]) for k, a in enumerate(self.axes)]

    # -- index maps ------------------------------------------------------------------
    @cached_property
    def _nfull(self):
        return int(np.prod([a.n for a in self.axes])) if self.axes else 1

    def _box_nodes(self, box):
        if not box:
            return np.zeros((1, 0), dtype=np.int64)
        grids = np.meshgrid(*[np.arange(lo, hi) for lo, hi in box], indexing="ij")
        return np.stack([g.ravel() for g in grids], axis=1)

    def _state_index(self, plan, nodes):
        if not self.axes:
            return np.full(len(nodes), plan.offset, dtype=np.int64)
        rel = nodes - np.array(plan.start)
        return plan.offset + np.ravel_multi_index(rel.T, plan.shape)

    def _full_index(self, field, nodes):
        if not self.axes:
            return np.full(len(nodes), field, dtype=np.int64)
        return field * self._nfull + np.ravel_multi_index(nodes.T, [a.n for a in self.axes])

    def jac_coo(self):
        """Rows (state) and columns (full grid) of the entries ``jac_values`` writes."""
        rows, cols = [], []
        for reg in self.regions:
            nodes = self._box_nodes(reg.box)
            r = self._state_index(self.plans[reg.field], nodes)
            for ref in self.region_refs(reg):
                f, offs = self.refs.key[ref]
                nb = nodes + np.array(offs, dtype=np.int64) if self.axes else nodes
                for d, a in enumerate(self.axes):
                    if a.periodic:
                        nb[:, d] %= a.n
                rows.append(r)
                cols.append(self._full_index(f, nb))
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows), np.concatenate(cols)

    def _num(self, expr):
        sub = {s: v for s, v in zip(self.param_symbols, self.params)}
        sub.update({dx_symbol(d): a.dx for d, a in enumerate(self.axes)})
        return float(sp.sympify(expr).subs(sub))

    @cached_property
    def extension(self):
        """Sparse ``E`` with full-grid values ``= E @ y + g(t)`` (conditions are affine)."""
        nf = len(self.plans) * self._nfull
        rows, cols = [], []
        for plan in self.plans:
            nodes = self._box_nodes(tuple(zip(plan.start, plan.stop)))
            rows.append(self._full_index(plan.index, nodes))
            cols.append(self._state_index(plan, nodes))
        E = sps.csr_matrix((np.ones(self.n), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(nf, self.n))
        for fl in self.fills:
            plan = self.plans[fl.field]
            box = []
            for k, a in enumerate(self.axes):
                box.append((0, a.n) if k < fl.axis else (fl.node, fl.node + 1) if k == fl.axis
                           else (plan.start[k], plan.stop[k]))
            face = self._box_nodes(tuple(box))
            frows = self._full_index(fl.field, face)
            denom = self._num(fl.denom)
            B = sps.lil_matrix((nf, nf))
            keep = np.ones(nf)
            keep[frows] = 0.0
            Bm = sps.diags(keep).tocsr()
            brow, bcol, bval = [], [], []
            for node, c in fl.coeffs:
                other = face.copy()
                other[:, fl.axis] = node
                brow.append(frows)
                bcol.append(self._full_index(fl.field, other))
                bval.append(np.full(len(frows), -self._num(c) / denom))
            if brow:
                Bm = Bm + sps.csr_matrix((np.concatenate(bval),
                                          (np.concatenate(brow), np.concatenate(bcol))),
                                         shape=(nf, nf))
            del B
            E = (Bm @ E).tocsr()
        E.eliminate_zeros()
        return E

    @cached_property
    def _jac_plan(self):
        """Map from ``jac_values`` output to the CSR data of the exact Jacobian."""
        rows, cols = self.jac_coo()
        E = self.extension.tocsr()
        counts = np.diff(E.indptr)[cols]
        starts = E.indptr[cols]
        total = int(counts.sum())
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        idx = np.repeat(starts, counts) + offs
        rr = np.repeat(rows, counts)
        jj = E.indices[idx]
        ww = E.data[idx]
        kk = np.repeat(np.arange(len(rows)), counts)
        key = rr * self.n + jj
        uniq, inv = np.unique(key, return_inverse=True)
        prow, pcol = uniq // self.n, uniq % self.n
        indptr = np.concatenate([[0], np.cumsum(np.bincount(prow, minlength=self.n))])
        P = sps.csr_matrix((ww, (inv, kk)), shape=(len(uniq), len(rows)))
        return P, pcol.astype(np.int32), indptr.astype(np.int32), len(rows)

    @property
    def jac_sparsity(self):
        """Exact structural pattern of ``df/dy`` (CSR of ones)."""
        P, ind, ptr, _ = self._jac_plan
        return sps.csr_matrix((np.ones(len(ind)), ind.copy(), ptr.copy()), shape=(self.n, self.n))

    def jacobian_from_values(self, vals):
        """CSR Jacobian from the entries written by generated ``jac_values``."""
        P, ind, ptr, _ = self._jac_plan
        # copies: callers may modify the matrix in place (eliminate_zeros, sorting)
        return sps.csr_matrix((P @ vals, ind.copy(), ptr.copy()), shape=(self.n, self.n))

    @cached_property
    def linear_part(self):
        """Exact constant linear part ``L`` of ``f`` (same pattern as the Jacobian)."""
        vals = []
        sub = {s: v for s, v in zip(self.param_symbols, self.params)}
        sub.update({dx_symbol(d): a.dx for d, a in enumerate(self.axes)})
        coords = [a.symbol for a in self.axes]
        for reg in self.regions:
            refs = self.region_refs(reg)
            if not refs:
                continue
            lin = {r: sp.Integer(0) for r in refs}
            for term in sp.Add.make_args(sp.expand(reg.expr, power_base=False, power_exp=False,
                                                   log=False, multinomial=False)):
                c, rest = term.as_independent(*refs, as_Add=False)
                if rest in lin and self.system.t not in c.free_symbols \
                        and not c.has(sp.Piecewise, sp.Max, sp.Min):
                    lin[rest] += c
            nodes = self._box_nodes(reg.box)
            for r in refs:
                c = sp.sympify(lin[r]).subs(sub)
                if c.free_symbols:
                    f = sp.lambdify(coords, c, "numpy")
                    xs = [self.axes[d].coords[nodes[:, d]] for d in range(len(coords))]
                    v = np.broadcast_to(np.asarray(f(*xs), float), (len(nodes),))
                else:
                    v = np.full(len(nodes), float(c))
                vals.append(v)
        v = np.concatenate(vals) if vals else np.zeros(0)
        L = self.jacobian_from_values(v)
        L.eliminate_zeros()
        return L

    # -- compiled functions ----------------------------------------------------------
    def numpy_module(self):
        """The generated vectorized NumPy module (no compilation; used to rebuild full fields)."""
        if self._functions is not None:
            return self._functions[1].numpy_module
        from ..codegen.cache import load_source
        from ..codegen.mol_source import generate_source

        return load_source(generate_source(self, "numpy"), "numpy")[0]

    def functions(self, target: str = "numba"):
        """Compile (once) and return the :class:`~symnum.solvers.functions.ODEFunctions`."""
        from ..codegen.compile import compile_problem

        if self._functions is None or self._functions[0] != target:
            self._functions = (target, compile_problem(self, target))
        return self._functions[1]


class _Layout:
    def __init__(self, prob):
        self.prob = prob
        self.names = prob.names
        self.functions = dict(prob.system.functions)
        self.grid = prob.grid

    def unpack(self, t, Y):
        mod = self.prob.numpy_module()
        p = self.prob.params
        out = {n: [] for n in self.names}
        for tk, yk in zip(np.atleast_1d(t), np.atleast_2d(Y)):
            for n, arr in zip(self.names, mod.full_fields(float(tk), np.asarray(yk, float), p)):
                out[n].append(np.asarray(arr, float))
        return {n: (np.stack(v) if v else np.zeros((0,))) for n, v in out.items()}
