"""Language-neutral loop IR of an ODEProblem's right-hand side (and dense Jacobian).

The C, Fortran and Julia exporters print the same description of the work the
generated NumPy/numba ``rhs(t, y, p, out)`` does (:mod:`symnum.codegen.mol_source`):

1. copy the state ``y`` into one padded array per field (``P0``, ``P1``, ...,
   one entry per grid node plus ``ghost`` extra nodes on each side of a periodic axis);
2. fill the side nodes that conditions fix (Dirichlet, Neumann, Robin), axis by axis
   and in ``problem.fills`` order;
3. copy the periodic ghost layers, axis by axis;
4. for every region of the grid, evaluate its stencil expression at each node and
   write ``dy``.

Statements
----------
``Program.body`` is a list of statements, each one of

* :class:`Loop` ``(var, lo, hi, body)`` -- ``for var in [lo, hi)``. ``var`` is an integer
  SymPy Symbol (``i0``, ``i1``, ...). Loop variables take the same values in every
  language (they are *grid node* indices inside region loops and appear in coordinate
  values such as ``x_x = i0*dx0``); only array indexing changes with the language.
* :class:`Assign` ``(target, value)`` -- ``target`` is a :class:`Ref` (an array element)
  or a SymPy Symbol (a scalar local). ``value`` is a SymPy expression, or a bare
  :class:`Ref` (a plain copy of one array element).
* :class:`Block` ``(body, comment)`` -- a scope; a C emitter prints ``{ ... }`` when the
  block assigns scalars outside any loop, other languages may print the body inline.
* :class:`Comment` ``(text)`` -- one line of explanation (field, region, axis).

Arrays and indices
------------------
A :class:`Ref` ``(array, index)`` names an array element with **0-based** integer index
expressions (SymPy, in the loop variables; e.g. ``(i0 + 1, i1)``). Arrays:

* ``"y"`` (state, input) and ``"dy"`` (output): flat, shape ``(n,)``;
* ``"J"`` (output of :func:`jac_dense_program`): shape ``(n, n)``, ``J[row, col]``,
  stored row-major in C (``J[row*n + col]``); Fortran/Julia print ``J(row+1, col+1)``;
* ``"P<k>"`` (work, :attr:`Program.arrays`): the padded field ``k``, nd-dimensional with
  shape ``(N0 + 2*G0, N1 + 2*G1, ...)``. The index order is the mathematical one
  (axis 0 first); a column-major language reverses the declaration or the index order
  as it likes, the IR does not care about memory order.

Scalars and values
------------------
Value expressions contain only symbols, never array reads: every array read is first
assigned to a scalar local (``R_u_m1 = P0[i0 - 1]``, the reference symbols of
:class:`~symnum.discretize.lower.RefTable`, or ``B_u_<node>`` in side fills) and the
expression uses the scalar. The symbols that can appear are

* the time :attr:`Program.time` (``t``; :attr:`Program.uses_time` says whether the
  body uses it, so an emitter can silence an unused-argument warning);
* parameters ``k_<name>`` (:attr:`Program.params`: ``(symbol, index in p)``, only the
  ones the body uses, to be read from ``p`` at the top of the function);
* named constants :attr:`Program.constants` ``(symbol, float)``: ``dx<d>`` and ``LO<d>``
  (the lower end of axis ``d``, only when it is not 0);
* scalar locals (:attr:`Program.temporaries`, in first-assignment order): reference
  loads, coordinates ``x_<name>``, side-fill loads and CSE temporaries ``tmp<k>``.

Each scalar is assigned at most once in one scope (a Block or a Loop body, or the top
level) and used only in that scope and the scopes nested in it, so C may declare it
``const double`` where it is assigned; Fortran declares all of
:attr:`Program.temporaries` (``real(8)``) and :attr:`Program.loop_vars` (``integer``)
at the top. Scalar names never start with an underscore.

Examples
--------
>>> import sympy as sp, symnum as sn
>>> t = sp.Symbol("t"); y = sp.Function("y")
>>> k = sp.Symbol("k")
>>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
...                    parameters={k: 2.0}, tspan=(0, 1))
>>> prog = rhs_program(sn.discretize(sys))
>>> for s in prog.body:
...     print(s)
R_y_0 = y[0]
# y
dy[0] = -R_y_0*k_k
>>> prog.params
[(k_k, 0)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

import sympy as sp

from ..discretize.lower import dx_symbol
from ..errors import CodegenError
from .naming import Names

__all__ = ["ArrayDecl", "Ref", "Assign", "Loop", "Block", "Comment", "Program",
           "rhs_program", "jac_dense_program", "walk"]


@dataclass
class ArrayDecl:
    """An array of doubles: ``name``, ``shape`` (ints), and what it holds."""

    name: str
    shape: tuple
    comment: str = ""


@dataclass
class Ref:
    """The element ``array[index]``, ``index`` a tuple of 0-based SymPy integer expressions."""

    array: str
    index: tuple

    def __str__(self):
        return f"{self.array}[{', '.join(str(i) for i in self.index)}]"


@dataclass
class Assign:
    """``target = value``; target a :class:`Ref` or a scalar Symbol, value SymPy or a Ref."""

    target: Union[Ref, sp.Symbol]
    value: Union[sp.Expr, Ref]

    def __str__(self):
        return f"{self.target} = {self.value}"


@dataclass
class Loop:
    """``for var in range(lo, hi): body`` (half-open, integer bounds)."""

    var: sp.Symbol
    lo: int
    hi: int
    body: list

    def __str__(self):
        inner = "\n".join("    " + line for s in self.body for line in str(s).splitlines())
        return f"for {self.var} in [{self.lo}, {self.hi}):\n{inner}"


@dataclass
class Block:
    """A scope: the scalars assigned in ``body`` are local to it."""

    body: list
    comment: str = ""

    def __str__(self):
        head = [f"# {self.comment}"] if self.comment else []
        return "\n".join(head + ["{"] + ["    " + line for s in self.body
                                         for line in str(s).splitlines()] + ["}"])


@dataclass
class Comment:
    """One line of explanation."""

    text: str

    def __str__(self):
        return f"# {self.text}"


@dataclass
class Program:
    """A function ``kind(t, y, p, out)`` as loops; see the module docstring.

    Attributes
    ----------
    kind : str
        ``"rhs"`` (writes ``dy``) or ``"jac"`` (writes ``J``).
    state, output : ArrayDecl
        The input ``y`` and the output (``dy`` of shape ``(n,)`` or ``J`` of shape ``(n, n)``).
    arrays : list of ArrayDecl
        Work arrays (padded fields ``P<k>``).
    body : list
        Statements.
    temporaries : list of Symbol
        Every scalar local, in first-assignment order.
    loop_vars : list of Symbol
        Integer loop variables used.
    params : list of (Symbol, int)
        Parameters the body uses and their index in ``p``.
    constants : list of (Symbol, float)
        Named constants the body uses (``dx<d>``, ``LO<d>``).
    time : Symbol
        The time argument's symbol; ``uses_time`` says whether the body uses it.
    header : list of str
        Description lines (model, axes, fields) for a file header comment.
    """

    kind: str
    n: int
    state: ArrayDecl
    output: ArrayDecl
    arrays: list
    body: list
    temporaries: list
    loop_vars: list
    params: list
    constants: list
    time: sp.Symbol
    uses_time: bool
    header: list = field(default_factory=list)

    def __str__(self):
        return "\n".join(str(s) for s in self.body)


def walk(body) -> Iterator:
    """Every statement of ``body``, depth first (loops and blocks before their contents)."""
    for s in body:
        yield s
        if isinstance(s, (Loop, Block)):
            yield from walk(s.body)


# -- building ---------------------------------------------------------------------------

class _Builder:
    def __init__(self, prob):
        self.prob = prob
        self.nd = len(prob.axes)
        self.nm = Names(prob.system.t, [a.symbol for a in prob.axes], prob.param_symbols)
        self.I = [sp.Symbol(f"i{d}", integer=True) for d in range(self.nd)]
        self.G = [a.ghost for a in prob.axes]
        self.tmp = (sp.Symbol(f"tmp{k}", real=True) for k in _count())
        self.temporaries = []

    # -- small pieces ------------------------------------------------------------------
    def scalar(self, sym, value):
        if sym not in self.temporaries:
            self.temporaries.append(sym)
        return Assign(sym, value)

    def coord(self, d, index):
        """Coordinate symbol of axis d and its value at node ``index``."""
        a = self.prob.axes[d]
        value = index * dx_symbol(d)
        if a.lo != 0:
            value = sp.Symbol(f"LO{d}", real=True) + value
        return self.nm.coord[a.symbol], value

    def state_index(self, plan, nodes):
        """Flat state index of ``nodes`` (one expression per axis) of field ``plan``."""
        idx, stride = sp.Integer(plan.offset), 1
        for d in reversed(range(self.nd)):
            idx += (nodes[d] - plan.start[d]) * stride
            stride *= plan.shape[d]
        return sp.expand(idx)

    def padded(self, k, nodes):
        return Ref(f"P{k}", tuple(sp.expand(self.G[d] + n) for d, n in enumerate(nodes)))

    def ref_load(self, r, nodes):
        """``R_... = P<f>[G + node + offset]`` (or ``y[offset]`` without axes)."""
        f, offs = self.prob.refs.key[r]
        if not self.nd:
            return self.scalar(r, Ref("y", (sp.Integer(self.prob.plans[f].offset),)))
        return self.scalar(r, self.padded(f, [n + o for n, o in zip(nodes, offs)]))

    def nest(self, ranges, inner):
        """Loops over the axes whose range has more than one value; returns (stmts, nodes).

        ``ranges[d]`` is ``(lo, hi)`` or None (axis not looped); ``inner(nodes)`` builds
        the innermost statements with ``nodes[d]`` the loop variable or the single value.
        """
        nodes = []
        looped = []
        for d, r in enumerate(ranges):
            if r is None:
                nodes.append(None)
            elif r[1] - r[0] == 1:
                nodes.append(sp.Integer(r[0]))
            else:
                nodes.append(self.I[d])
                looped.append(d)
        body = inner(nodes)
        for d in reversed(looped):
            body = [Loop(self.I[d], ranges[d][0], ranges[d][1], body)]
        return body, bool(looped)

    def evaluate(self, exprs, nodes, loads):
        """Coordinates, loads and CSE temporaries needed by ``exprs``; returns (stmts, values)."""
        exprs = [self.nm(e) for e in exprs]
        reps, values = sp.cse(exprs, symbols=self.tmp, optimizations=None)
        used = set()
        for e in values + [v for _, v in reps]:
            used |= e.free_symbols
        stmts = []
        for d in range(self.nd):
            x, value = self.coord(d, nodes[d]) if nodes[d] is not None else (None, None)
            if x is not None and x in used:
                stmts.append(self.scalar(x, value))
        for sym, ref in loads:
            if sym in used:
                stmts.append(self.scalar(sym, ref))
        stmts += [self.scalar(s, v) for s, v in reps]
        return stmts, values

    def describe(self, box):
        parts = []
        for d, (lo, hi) in enumerate(box):
            a = self.prob.axes[d]
            if hi - lo == 1:
                parts.append(f"{a.symbol} node {lo}")
            elif (lo, hi) == (0, a.n):
                parts.append(f"all {a.symbol}")
            else:
                parts.append(f"{a.symbol} nodes {lo}..{hi - 1}")
        return ", ".join(parts)

    # -- the stages of rhs ----------------------------------------------------------------
    def pad(self):
        prob = self.prob
        out = []
        for f in prob.plans:
            out.append(Comment(f"field {f.name}: state [{f.offset}, {f.offset + f.size}) "
                               f"-> P{f.index}"))
            body, _ = self.nest(list(zip(f.start, f.stop)), lambda nodes, f=f: [
                Assign(self.padded(f.index, nodes), Ref("y", (self.state_index(f, nodes),)))])
            out += body
        for fl in prob.fills:
            out += self.fill(fl)
        for d, a in enumerate(prob.axes):
            if not a.periodic:
                continue
            for f in prob.plans:
                out.append(Comment(f"field {f.name}: periodic ghost nodes on {a.symbol}"))
                out += self.ghosts(f.index, d)
        return out

    def fill(self, fl):
        prob, nd, d = self.prob, self.nd, fl.axis
        plan = prob.plans[fl.field]
        ranges = prob.fill_ranges(fl)

        def inner(nodes):
            loads, acc = [], sp.Integer(0)
            for node, c in fl.coeffs:
                s = sp.Symbol(f"B_{plan.name}_{node}", real=True)
                at = [sp.Integer(node) if k == d else nodes[k] for k in range(nd)]
                loads.append((s, self.padded(fl.field, at)))
                acc += c * s
            stmts, (value,) = self.evaluate([_tidy((fl.g - acc) / fl.denom)], nodes, loads)
            at = [sp.Integer(fl.node) if k == d else nodes[k] for k in range(nd)]
            return stmts + [Assign(self.padded(fl.field, at), value)]

        body, looped = self.nest(ranges, inner)
        side = "lower" if fl.side == 0 else "upper"
        text = f"field {plan.name}: {side} side of {prob.axes[d].symbol} (node {fl.node}) " \
               "from its condition"
        return [Block(body, text)] if not looped else [Comment(text)] + body

    def ghosts(self, k, d):
        """Periodic padding of axis d: both ghost layers, all nodes of the other axes."""
        a = self.prob.axes[d]
        G, N = a.ghost, a.n
        ranges = [(0, G) if j == d else (0, self.prob.axes[j].n + 2 * self.G[j])
                  for j in range(self.nd)]

        def inner(idx):
            def at(shift):
                return Ref(f"P{k}", tuple(sp.expand(shift + idx[j]) if j == d else idx[j]
                                          for j in range(self.nd)))
            return [Assign(at(0), at(N)), Assign(at(N + G), at(G))]

        return self.nest(ranges, inner)[0]

    def region(self, reg):
        prob = self.prob
        plan = prob.plans[reg.field]
        refs = prob.region_refs(reg)

        def inner(nodes):
            loads = [(r, self.ref_load(r, nodes).value) for r in refs]
            stmts, (value,) = self.evaluate([reg.expr], nodes, loads)
            return stmts + [Assign(Ref("dy", (self.state_index(plan, nodes),)), value)]

        body, looped = self.nest(list(reg.box), inner)
        text = f"d{plan.name}/dt at {self.describe(reg.box)}"
        return [Block(body, text)] if not looped else [Comment(text)] + body

    # -- programs --------------------------------------------------------------------------
    def header(self):
        prob = self.prob
        lines = [f"model: {prob.system!r}"]
        for d, a in enumerate(prob.axes):
            kind = f"periodic, {a.ghost} ghost node(s) per side" if a.periodic else "with sides"
            lines.append(f"axis {d}: {a.symbol} in [{a.lo!r}, {a.hi!r}], {a.n} nodes, "
                         f"dx{d} = {a.dx!r}, {kind}")
        for f in prob.plans:
            nodes = ", ".join(f"{a.symbol} {s}..{e - 1}" for a, s, e in
                              zip(prob.axes, f.start, f.stop))
            lines.append(f"field {f.name}: state [{f.offset}, {f.offset + f.size})"
                         + (f", nodes {nodes}" if nodes else ""))
        return lines

    def finish(self, kind, output, body):
        prob = self.prob
        used = set()
        loop_vars = []
        for s in walk(body):
            if isinstance(s, Assign) and not isinstance(s.value, Ref):
                used |= s.value.free_symbols
            if isinstance(s, Loop) and s.var not in loop_vars:
                loop_vars.append(s.var)
        params = [(self.nm.param[s], k) for k, s in enumerate(prob.param_symbols)
                  if self.nm.param[s] in used]
        constants = []
        for d, a in enumerate(prob.axes):
            for sym, val in ((dx_symbol(d), a.dx), (sp.Symbol(f"LO{d}", real=True), a.lo)):
                if sym in used:
                    constants.append((sym, float(val)))
        arrays = []
        if self.nd and kind == "rhs":
            shape = tuple(a.n + 2 * a.ghost for a in prob.axes)
            arrays = [ArrayDecl(f"P{f.index}", shape, f"field {f.name} on the padded grid")
                      for f in prob.plans]
        return Program(kind=kind, n=prob.n, state=ArrayDecl("y", (prob.n,), "state"),
                       output=output, arrays=arrays, body=body,
                       temporaries=list(self.temporaries), loop_vars=loop_vars, params=params,
                       constants=constants, time=self.nm.time,
                       uses_time=self.nm.time in used, header=self.header())

    def rhs(self):
        prob = self.prob
        body = []
        if self.nd:
            body += self.pad()
            for reg in prob.regions:
                body += self.region(reg)
        else:
            # ODE system: one scope; load every state entry once
            refs = sorted({r for reg in prob.regions for r in prob.region_refs(reg)}, key=str)
            body += [self.ref_load(r, ()) for r in refs]
            for reg in prob.regions:
                plan = prob.plans[reg.field]
                stmts, (value,) = self.evaluate([reg.expr], (), [])
                body += [Comment(f"{plan.name}")] + stmts
                body.append(Assign(Ref("dy", (sp.Integer(plan.offset),)), value))
        return self.finish("rhs", ArrayDecl("dy", (prob.n,), "time derivative of the state"),
                           body)

    def jac(self):
        prob = self.prob
        if self.nd:
            raise CodegenError("a dense Jacobian is generated for ODE systems only (this "
                               f"problem has space axes {[str(a.symbol) for a in prob.axes]}); "
                               "use problem.jac_sparsity and the generated rhs instead.")
        n = prob.n
        i, j = sp.Symbol("i0", integer=True), sp.Symbol("i1", integer=True)
        body = [Comment("entries not written below are zero"),
                Loop(i, 0, n, [Loop(j, 0, n, [Assign(Ref("J", (i, j)), sp.Integer(0))])])]
        refs = sorted({r for reg in prob.regions for r in prob.region_deps(reg)}, key=str)
        body += [self.ref_load(r, ()) for r in refs]
        for reg in prob.regions:
            plan = prob.plans[reg.field]
            rrefs = prob.region_refs(reg)
            jac = prob.region_jac(reg)
            stmts, values = self.evaluate([jac[r] for r in rrefs], (), [])
            wrt = ", ".join(prob.plans[prob.refs.key[r][0]].name for r in rrefs)
            body.append(Comment(f"d(d{plan.name}/dt)/d({wrt})"))
            body += stmts
            for r, v in zip(rrefs, values):
                col = prob.plans[prob.refs.key[r][0]].offset
                body.append(Assign(Ref("J", (sp.Integer(plan.offset), sp.Integer(col))), v))
        return self.finish("jac", ArrayDecl("J", (n, n), "dense Jacobian d dy / d y"), body)


def _tidy(expr):
    """One fraction with 1/dx cleared (``(6*dx0*g - 3*B + ...)/(6*dx0 + 25)``), when it can."""
    try:
        out = sp.cancel(sp.sympify(expr))
    except (sp.PolynomialError, NotImplementedError, TypeError):  # pragma: no cover
        return expr
    return out if sp.count_ops(out) <= sp.count_ops(expr) else expr


def _count():
    k = 0
    while True:
        yield k
        k += 1


def rhs_program(problem) -> Program:
    """The loops of ``dy = f(t, y, p)``, exactly the semantics of the generated ``rhs``.

    Parameters
    ----------
    problem : ODEProblem

    Returns
    -------
    Program

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t, x = sp.symbols("t x"); u = sp.Function("u")
    >>> sys = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))],
    ...                    domain={t: (0, 1), x: (0, 1)}, initial=[sp.Eq(u(0, x), 0)],
    ...                    boundary=[sn.Periodic(x)])
    >>> prog = rhs_program(sn.discretize(sys, sn.FiniteDifference({x: 8})))
    >>> [a.name for a in prog.arrays], prog.arrays[0].shape
    (['P0'], (10,))
    """
    return _Builder(problem).rhs()


def jac_dense_program(problem) -> Program:
    """The loops of the dense Jacobian ``J = df/dy`` of an ODE system (no space axes).

    Raises
    ------
    CodegenError
        When the problem has space axes.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t)**2)], initial={y(0): 1}, tspan=(0, 1))
    >>> print(jac_dense_program(sn.discretize(sys)).body[-1])
    J[0, 0] = -2*R_y_0
    """
    return _Builder(problem).jac()
