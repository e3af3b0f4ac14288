"""Source code of the right-hand side, boundary fill and Jacobian of an ODEProblem.

Every target shares one layout (padded fields, boundary fills, regions):

* ``"numpy"``: each region of the grid is one vectorized slice expression;
* ``"numba"``: each region is a fused loop nest compiled with ``numba.njit``;
* ``"numpy-batched"``, ``"torch"``, ``"jax"``: the vectorized slices of
  ``"numpy"`` with a leading batch axis (``y`` of shape ``(..., n)``, slices
  ``[..., a:b, c:d]``) and the array module swapped; ``"jax"`` updates arrays
  functionally (``F = F.at[...].set(...)``) so that ``jax.jit`` traces it.

Module API of ``"numpy"`` and ``"numba"`` (``p`` is the parameter vector, in
``problem.param_symbols`` order):

* ``rhs(t, y, p, out)`` writes ``dy/dt`` into ``out``;
* ``full_fields(t, y, p)`` returns each field on the full grid (sides filled);
* ``jac_values(t, y, p, vals)`` writes the Jacobian's entries in the fixed
  coordinate order of ``problem.jac_coo()``;
* ``jac_dense(t, y, p, J)`` (ODE systems only) writes the dense Jacobian.

Module API of the batched targets: ``rhs(t, y, p)`` returns ``dy/dt`` with the
shape of ``y``; ``full_fields(t, y, p)`` returns the fields, each of shape
``(..., *grid)``. Their padded fields are named ``F0, F1, ...``.
"""

from __future__ import annotations


import sympy as sp

from ..discretize.lower import dx_symbol
from ..errors import CodegenError
from .naming import Names
from .printers import JaxPrinter, ScalarPrinter, TorchPrinter, VectorPrinter

__all__ = ["generate_source", "TARGETS"]

TARGETS = ("numpy", "numba", "numpy-batched", "torch", "jax")
# batched target -> name of its array module in the generated code
_BATCHED = {"numpy-batched": "numpy", "torch": "torch", "jax": "jnp"}
_IMPORTS = {"numpy": "import numpy", "numba": "import numpy\nimport numba",
            "numpy-batched": "import numpy", "torch": "import torch",
            "jax": "import jax.numpy as jnp"}

_NUMBA_FASTMATH = '{"nsz", "arcp", "contract", "afn", "reassoc"}'


class _Emitter:
    def __init__(self):
        self.lines = []
        self.ind = 0

    def __call__(self, s=""):
        self.lines.append("    " * self.ind + s if s else "")

    def text(self):
        return "\n".join(self.lines) + "\n"


def generate_source(problem, target: str, *, doc: str | None = None, preamble: str = "",
                    default_p: str | None = None) -> str:
    """Python source of ``problem``'s right-hand side for ``target`` (one of :data:`TARGETS`).

    For the batched targets, ``doc`` replaces the module docstring, ``preamble``
    (module-level code) follows the imports and ``default_p`` names the default
    of ``rhs``'s ``p`` (a name the preamble defines).

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> prob = sn.discretize(sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial=[sp.Eq(y(0), 1)],
    ...                                   tspan=(0, 1)))
    >>> print(generate_source(prob, "torch").split("def rhs")[1].splitlines()[0])
    (t, y, p):
    """
    if target not in TARGETS:
        raise CodegenError(f"unknown code target {target!r}; valid: {', '.join(map(repr, TARGETS))}.")
    g = _Gen(problem, target)
    return g.run_batched(doc, preamble, default_p) if g.batched else g.run()


class _Gen:
    def __init__(self, prob, target):
        self.prob, self.target = prob, target
        self.batched = target in _BATCHED
        self.vec = target != "numba"
        self.xp = _BATCHED.get(target, "numpy")
        self.bp = "..., " if self.batched else ""  # leading batch axes of every slice
        self.pad = "F" if self.batched else "P"
        self.nd = len(prob.axes)
        dxs = [dx_symbol(d) for d in range(self.nd)]
        self.pr = {"numba": ScalarPrinter(), "torch": TorchPrinter(scalars=dxs),
                   "jax": JaxPrinter(scalars=dxs)}.get(target) or VectorPrinter()
        self.nm = Names(prob.system.t, [a.symbol for a in prob.axes], prob.param_symbols)
        self.e = _Emitter()

    # -- helpers ---------------------------------------------------------------
    def p(self, expr):
        return self.pr.doprint(self.nm(expr))

    def put(self, array, index, value):
        """``array[index] = value``; a functional update for JAX."""
        if self.target == "jax":
            self.e(f"{array} = {array}.at[{index}].set({value})")
        else:
            self.e(f"{array}[{index}] = {value}")

    def arange(self, lo, hi):
        if self.target == "torch":
            return f"torch.arange({lo}, {hi}, dtype=y.dtype, device=y.device)"
        if self.target == "jax":
            return f"jnp.arange({lo}, {hi}, dtype=y.dtype)"
        return f"numpy.arange({lo}, {hi})"

    def new_array(self, shape):
        """An uninitialised array of ``shape`` (a tuple expression) with y's batch axes."""
        if not self.batched:
            return f"numpy.empty({shape})"
        return {"numpy-batched": f"numpy.empty(B + {shape})",
                "torch": f"y.new_empty(B + {shape})",
                "jax": f"jnp.zeros(B + {shape}, dtype=y.dtype)"}[self.target]

    def _scalar_temporaries(self, reps):
        """Tell the torch/JAX printer which CSE temporaries hold Python floats."""
        scalars = getattr(self.pr, "scalars", None)
        if scalars is None:
            return
        for s, v in reps:
            (scalars.add if self.pr.is_scalar(v) else scalars.discard)(s)

    def deco(self):
        if not self.vec:
            self.e(f"@numba.njit(cache=True, fastmath={_NUMBA_FASTMATH})")

    def params(self):
        for k, s in enumerate(self.prob.param_symbols):
            self.e(f"{self.nm.param[s]} = p[{k}]")

    def begin(self, signature: str, doc: str, params: bool = True, padded: bool = True):
        """Open a generated function: decorator, signature, docstring, parameters, fields."""
        e = self.e
        self.deco()
        e(f"def {signature}:")
        e.ind += 1
        e(f'"""{doc}"""')
        if params:
            self.params()
        if padded and self.nd:
            e(f"{', '.join(f'P{f.index}' for f in self.prob.plans)}, = _padded(t, y, p)")

    def header(self, doc=None, preamble=""):
        e, prob = self.e, self.prob
        e(f'"""{doc or f"Generated by symnum for {prob.system!r} ({self.target}). Do not edit."}"""')
        e("import math")
        for line in _IMPORTS[self.target].split("\n"):
            e(line)
        e()
        if preamble:
            e.lines.extend(preamble.rstrip("\n").split("\n"))
            e()
        for d, a in enumerate(prob.axes):
            e(f"# axis {d}: {a.symbol} in [{a.lo!r}, {a.hi!r}], {a.n} nodes, "
              f"{'periodic' if a.periodic else 'with sides'}")
            e(f"N{d} = {a.n}")
            e(f"G{d} = {a.ghost}")
            e(f"dx{d} = {a.dx!r}")
            e(f"LO{d} = {a.lo!r}")
        for f in prob.plans:
            e(f"# field {f.name}: nodes {list(zip(f.start, f.stop))}, state [{f.offset}, "
              f"{f.offset + f.size})")
        e()

    # -- padded fields from the state -------------------------------------------
    def pad_body(self):
        e, prob, nd = self.e, self.prob, self.nd
        pshape = ", ".join(f"N{d} + 2 * G{d}" for d in range(nd))
        P = self.pad
        for f in prob.plans:
            k = f.index
            e(f"{P}{k} = {self.new_array(f'({pshape},)')}")
            if self.vec:
                sl = ", ".join(f"G{d} + {f.start[d]}:G{d} + {f.stop[d]}" for d in range(nd))
                shape = f"B + {f.shape}" if self.batched else f"{f.shape}"
                self.put(f"{P}{k}", self.bp + sl,
                         f"y[{self.bp}{f.offset}:{f.offset + f.size}].reshape({shape})")
            else:
                idx = self._loops([(f.start[d], f.stop[d]) for d in range(nd)])
                e(f"P{k}[{', '.join(f'G{d} + i{d}' for d in range(nd))}] = "
                  f"y[{self._state_index(f)}]")
                self.e.ind -= idx
        for fl in prob.fills:
            self.fill(fl)
        for d, a in enumerate(prob.axes):
            if not a.periodic:
                continue
            for f in prob.plans:
                if not self.vec:
                    self.ghost_loops(f.index, d)
                    continue
                lo = [":"] * nd
                hi = [":"] * nd
                src_lo = [":"] * nd
                src_hi = [":"] * nd
                lo[d], src_lo[d] = f"0:G{d}", f"N{d}:N{d} + G{d}"
                hi[d], src_hi[d] = f"N{d} + G{d}:N{d} + 2 * G{d}", f"G{d}:2 * G{d}"
                Pk = f"{P}{f.index}"
                self.put(Pk, self.bp + ", ".join(lo), f"{Pk}[{self.bp}{', '.join(src_lo)}]")
                self.put(Pk, self.bp + ", ".join(hi), f"{Pk}[{self.bp}{', '.join(src_hi)}]")

    def ghost_loops(self, k, d):
        """Periodic padding of axis d as explicit loops (numba compiles slice copies slowly)."""
        e, nd = self.e, self.nd
        ranges = [(0, f"N{j} + 2 * G{j}") if j != d else (0, f"G{d}") for j in range(nd)]
        depth = self._loops(ranges)
        dst_lo = ", ".join(f"i{j}" for j in range(nd))
        src_lo = ", ".join(f"N{d} + i{j}" if j == d else f"i{j}" for j in range(nd))
        dst_hi = ", ".join(f"N{d} + G{d} + i{j}" if j == d else f"i{j}" for j in range(nd))
        src_hi = ", ".join(f"G{d} + i{j}" if j == d else f"i{j}" for j in range(nd))
        e(f"P{k}[{dst_lo}] = P{k}[{src_lo}]")
        e(f"P{k}[{dst_hi}] = P{k}[{src_hi}]")
        e.ind -= depth

    def _state_index(self, f):
        terms, stride = [], 1
        for d in reversed(range(self.nd)):
            terms.append(f"(i{d} - {f.start[d]}) * {stride}" if stride != 1 else f"(i{d} - {f.start[d]})")
            stride *= f.shape[d]
        return f"{f.offset} + " + " + ".join(reversed(terms)) if terms else str(f.offset)

    def _loops(self, ranges, names=None):
        for d, (lo, hi) in enumerate(ranges):
            n = names[d] if names else f"i{d}"
            self.e(f"for {n} in range({lo}, {hi}):")
            self.e.ind += 1
        return len(ranges)

    def fill(self, fl):
        e, prob, nd = self.e, self.prob, self.nd
        d = fl.axis
        ranges = prob.fill_ranges(fl)
        P = f"{self.pad}{fl.field}"
        if self.vec:
            def at(node):
                return self.bp + ", ".join(f"G{k} + {node}" if k == d else
                                           f"G{k} + {r[0]}:G{k} + {r[1]}"
                                           for k, r in enumerate(ranges))
            others = [k for k in range(nd) if k != d]
            for j, k in enumerate(others):
                shape = ["1"] * len(others)
                shape[j] = "-1"
                e(f"{self.nm.coord[prob.axes[k].symbol]} = (LO{k} + dx{k} * "
                  f"{self.arange(ranges[k][0], ranges[k][1])}).reshape({', '.join(shape)},)")
            if self.batched:
                self.put(P, at(fl.node), self._fill_value(fl, P, at))
                return
            acc = " + ".join(f"({self.p(c)}) * {P}[{at(n)}]" for n, c in fl.coeffs) or "0.0"
            e(f"{P}[{at(fl.node)}] = (({self.p(fl.g)}) - ({acc})) / ({self.p(fl.denom)})")
        else:
            loop = [(r if r else (fl.node, fl.node + 1)) for r in ranges]
            depth = self._loops([r for k, r in enumerate(loop) if k != d],
                                [f"i{k}" for k in range(nd) if k != d])
            for k in range(nd):
                if k != d:
                    e(f"{self.nm.coord[prob.axes[k].symbol]} = LO{k} + i{k} * dx{k}")

            def at(node):
                return ", ".join(f"G{k} + {node}" if k == d else f"G{k} + i{k}" for k in range(nd))
            acc = " + ".join(f"({self.p(c)}) * {P}[{at(n)}]" for n, c in fl.coeffs) or "0.0"
            e(f"{P}[{at(fl.node)}] = (({self.p(fl.g)}) - ({acc})) / ({self.p(fl.denom)})")
            self.e.ind -= depth

    def _fill_value(self, fl, P, at):
        """Value of a side node from its condition, zero coefficients left out."""
        terms = []
        for n, c in fl.coeffs:
            if sp.sympify(c) == 0:
                continue
            ref = f"{P}[{at(n)}]"
            if self.target == "torch" and not self.pr.is_scalar(self.nm(c)):
                # the product keeps the slice for backward; a later write to P would spoil it
                ref += ".clone()"
            terms.append(f"({self.p(c)}) * {ref}")
        value = f"({self.p(fl.g)}) - ({' + '.join(terms)})" if terms else self.p(fl.g)
        return value if sp.sympify(fl.denom) == 1 else f"({value}) / ({self.p(fl.denom)})"

    def _coord_vec(self, k, rng):
        shape = ["1"] * self.nd
        shape[k] = "-1"
        return f"(LO{k} + dx{k} * {self.arange(rng[0], rng[1])}).reshape({', '.join(shape)},)"

    # -- regions -------------------------------------------------------------------
    def _prelude(self, reg, refs, reps):
        """Coordinates, field references and common subexpressions of one region."""
        e, prob = self.e, self.prob
        for k in range(self.nd):
            x = self.nm.coord[prob.axes[k].symbol]
            e(f"{x} = {self._coord_vec(k, reg.box[k])}" if self.vec else f"{x} = LO{k} + i{k} * dx{k}")
        for r in refs:
            e(f"{r} = {self._ref_slice(r, reg) if self.vec else self._ref_point(r)}")
        for s, v in reps:
            e(f"{s} = {self.pr.doprint(v)}")
            self._scalar_temporaries([(s, v)])

    def region_rhs(self, reg, out_name):
        e, prob, nd = self.e, self.prob, self.nd
        plan = prob.plans[reg.field]
        refs = prob.region_refs(reg)
        reps, body = sp.cse([self.nm(reg.expr)], symbols=sp.numbered_symbols("_c"), optimizations=None)
        if self.vec:
            self._prelude(reg, refs, reps)
            sl = ", ".join(f"{lo - plan.start[d]}:{hi - plan.start[d]}" for d, (lo, hi) in enumerate(reg.box))
            rhs = self.pr.doprint(body[0])
            if self.batched:
                self.put(f"{out_name}{reg.field}" if nd else "out",
                         self.bp + (sl if nd else str(plan.offset)), rhs)
            else:
                e(f"{out_name}{reg.field}[{sl}] = {rhs}" if nd else f"out[{plan.offset}] = {rhs}")
        else:
            depth = self._loops(reg.box)
            self._prelude(reg, refs, reps)
            e(f"out[{self._state_index(plan)}] = {self.pr.doprint(body[0])}")
            self.e.ind -= depth

    def _ref_slice(self, r, reg):
        f, offs = self.prob.refs.key[r]
        if not self.nd:
            return f"y[{self.bp}{self.prob.plans[f].offset}]"
        return f"{self.pad}{f}[{self.bp}" + ", ".join(
            f"G{d} + {lo + o}:G{d} + {hi + o}"
            for d, ((lo, hi), o) in enumerate(zip(reg.box, offs))) + "]"

    def _ref_point(self, r):
        f, offs = self.prob.refs.key[r]
        if not self.nd:
            return f"y[{self.prob.plans[f].offset}]"
        return f"P{f}[" + ", ".join(f"G{d} + i{d} + {o}" if o else f"G{d} + i{d}"
                                    for d, o in enumerate(offs)) + "]"

    # -- functions -------------------------------------------------------------
    def run(self):
        e, prob, nd = self.e, self.prob, self.nd
        self.header()
        # dx symbols print as dx0.. which are module constants
        if nd:
            self.deco()
            e("def _padded(t, y, p):")
            e.ind += 1
            self.params()
            self.pad_body()
            e(f"return ({', '.join(f'P{f.index}' for f in prob.plans)},)")
            e.ind -= 1
            e()
        self.begin("rhs(t, y, p, out)", "Write dy/dt into out.")
        if nd:
            if self.vec:
                for f in prob.plans:
                    e(f"O{f.index} = out[{f.offset}:{f.offset + f.size}].reshape({f.shape})")
        for reg in prob.regions:
            self.region_rhs(reg, "O")
        e.ind -= 1
        e()
        self.full_fields()
        self.jac_values()
        if not nd:
            self.jac_dense()
        return e.text()

    def full_fields(self):
        e, prob, nd = self.e, self.prob, self.nd
        self.begin("full_fields(t, y, p)", "Each field on the full grid, sides filled from "
                   "their conditions.", params=False)
        if nd:
            sl = ", ".join(f"G{d}:G{d} + N{d}" for d in range(nd))
            e(f"return ({', '.join(f'P{f.index}[{sl}].copy()' for f in prob.plans)},)")
        else:
            e(f"return ({', '.join(f'y[{f.offset}]' for f in prob.plans)},)")
        e.ind -= 1
        e()

    def jac_values(self):
        e, prob, nd = self.e, self.prob, self.nd
        self.begin("jac_values(t, y, p, vals)",
                   "Jacobian entries d rhs / d (field at offset), in problem.jac_coo() order.")
        pos = 0
        for reg in prob.regions:
            refs = prob.region_refs(reg)
            if not refs:
                continue
            size = 1
            for lo, hi in reg.box:
                size *= hi - lo
            shape = tuple(hi - lo for lo, hi in reg.box)
            ders = [self.nm(prob.region_jac(reg)[r]) for r in refs]
            reps, body = sp.cse(ders, symbols=sp.numbered_symbols("_c"), optimizations=None)
            if self.vec:
                self._prelude(reg, prob.region_deps(reg), reps)
                for b in body:
                    tgt = f"vals[{pos}:{pos + size}].reshape({shape})[...]" if nd else f"vals[{pos}]"
                    e(f"{tgt} = {self.pr.doprint(b)}")
                    pos += size
            else:
                depth = self._loops(reg.box)
                lin, stride = [], 1
                for d in reversed(range(nd)):
                    lin.append(f"(i{d} - {reg.box[d][0]}) * {stride}")
                    stride *= reg.box[d][1] - reg.box[d][0]
                e(f"q = {' + '.join(lin) if lin else '0'}")
                self._prelude(reg, prob.region_deps(reg), reps)
                for b in body:
                    e(f"vals[{pos} + q] = {self.pr.doprint(b)}")
                    pos += size
                self.e.ind -= depth
        e("return vals")
        e.ind -= 1
        e()

    def jac_dense(self):
        e, prob = self.e, self.prob
        self.begin("jac_dense(t, y, p, J)", "Dense Jacobian of an ODE system.")
        for reg in prob.regions:
            refs = prob.region_refs(reg)
            ders = [self.nm(prob.region_jac(reg)[r]) for r in refs]
            reps, body = sp.cse(ders, symbols=sp.numbered_symbols("_c"), optimizations=None)
            self._prelude(reg, prob.region_deps(reg), reps)
            row = prob.plans[reg.field].offset
            for r, b in zip(refs, body):
                col = prob.plans[prob.refs.key[r][0]].offset
                e(f"J[{row}, {col}] = {self.pr.doprint(b)}")
        e("return J")
        e.ind -= 1
        e()

    # -- batched targets (numpy-batched, torch, jax) ----------------------------------
    def run_batched(self, doc, preamble="", default_p=None):
        """``_padded``, ``rhs(t, y, p) -> dy`` and ``full_fields`` over a batch of states."""
        e, prob, nd = self.e, self.prob, self.nd
        self.header(doc, preamble)
        plans = prob.plans
        assert all(f.offset == sum(g.size for g in plans[:f.index]) for f in plans)
        fields = ", ".join(f"F{f.index}" for f in plans)
        if nd:
            e("def _padded(t, y, p):")
            e.ind += 1
            e('"""Each field on its padded grid: sides filled, periodic ghosts copied."""')
            self.params()
            e("B = y.shape[:-1]")
            self.pad_body()
            e(f"return ({fields},)")
            e.ind -= 1
            e()
        e(f"def rhs(t, y, p{'=' + default_p if default_p else ''}):")
        e.ind += 1
        e('"""dy/dt for states y of shape (..., n); p: parameters in the order of PARAMS."""')
        if self.target == "torch":
            e("t = torch.as_tensor(t, dtype=y.dtype, device=y.device)")
        elif self.target == "numpy-batched":
            e("y = numpy.asarray(y)")
        self.params()
        if nd:
            e(f"{fields}, = _padded(t, y, p)")
            e("B = y.shape[:-1]")
            for f in plans:
                e(f"O{f.index} = {self.new_array(str(f.shape))}")
        else:
            e("out = " + {"numpy-batched": "numpy.empty(y.shape)", "torch": "torch.empty_like(y)",
                          "jax": "jnp.zeros_like(y)"}[self.target])
        for reg in prob.regions:
            self.region_rhs(reg, "O")
        if not nd:
            e("return out")
        elif len(plans) == 1:
            e(f"return O0.reshape(B + ({prob.n},))")
        else:
            cat = {"torch": "torch.cat", "jax": "jnp.concatenate"}.get(self.target, "numpy.concatenate")
            parts = ", ".join(f"O{f.index}.reshape(B + ({f.size},))" for f in plans)
            e(f"return {cat}([{parts}], {'dim' if self.target == 'torch' else 'axis'}=-1)")
        e.ind -= 1
        e()
        e("def full_fields(t, y, p):")
        e.ind += 1
        e('"""Each field on the full grid (sides filled), with the batch axes of y."""')
        if nd:
            if self.target == "torch":
                e("t = torch.as_tensor(t, dtype=y.dtype, device=y.device)")
            e(f"{fields}, = _padded(t, y, p)")
            sl = ", ".join(f"G{d}:G{d} + N{d}" for d in range(nd))
            copy = {"torch": ".clone()", "jax": ""}.get(self.target, ".copy()")
            e(f"return ({', '.join(f'F{f.index}[..., {sl}]{copy}' for f in plans)},)")
        else:
            e(f"return ({', '.join(f'y[..., {f.offset}]' for f in plans)},)")
        e.ind -= 1
        return e.text()
