"""SymPy <-> a hash-consed term DAG <-> egglog ``Num`` terms.

Every expression goes through :class:`Graph`, a hash-consed DAG of nodes
``(op, *children)``. Lowering from SymPy is where n-ary sums and products become
binary operations, negative coefficients become subtractions and ``x**-1``
becomes a division; the cost models (:mod:`.cost`) and the numerical check
(:mod:`.check`) read the same DAG, so "the cost of a SymPy expression" means the
cost of the form it lowers to.

Leaves (symbols, floats, ``pi``, applied functions, derivatives and, with
``opaque=True``, any unsupported node) live in :class:`Leaves`, which keeps the
original SymPy objects, so symbols come back with their assumptions.

Constants are exact: SymPy ``Rational`` <-> egglog ``BigRat``. A SymPy ``Float``
is a leaf (never folded), so floats are neither rounded nor turned into huge
fractions.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> g = Graph(Leaves())
>>> root = g.lower(3*x - 3*y)
>>> g.op(root)
'sub'
>>> g.raise_(root)
3*x - 3*y
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
from egglog import BigRat, get_callable_args, get_callable_fn, get_literal_value
from sympy.core.function import AppliedUndef

from .errors import SimplifyError
from .terms import UNARY, Num, Roots, powi

__all__ = ["SimplifyError", "Leaves", "Graph", "SUPPORTED"]

#: SymPy classes lowered to operations (the rest are leaves or errors)
_SP_UNARY = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
             sp.tanh: "tanh", sp.Abs: "abs"}
_SP_OF = {v: k for k, v in _SP_UNARY.items()}
SUPPORTED = ("Symbol", "Rational", "Float", "Add", "Mul", "Pow", *(c.__name__ for c in _SP_UNARY),
             "pi/E", "applied functions", "Derivative")
_BINARY = {"add": Num.__add__, "sub": Num.__sub__, "mul": Num.__mul__, "div": Num.__truediv__,
           "pow": Num.__pow__}


class Leaves:
    """The table of leaf objects, indexed in first-seen order (deterministic)."""

    def __init__(self):
        self.items: list = []
        self._index: dict = {}

    def __call__(self, obj) -> int:
        k = self._index.get(obj)
        if k is None:
            k = self._index[obj] = len(self.items)
            self.items.append(obj)
        return k


class Graph:
    """A hash-consed DAG; node ids are ints, ``nodes[i] = (op, *args)``.

    ``args`` are child ids, except ``const`` (a Fraction), ``leaf`` (an index into
    :class:`Leaves`) and the exponent of ``powi`` (an int).
    """

    def __init__(self, leaves: Leaves, opaque: bool = False):
        self.leaves, self.opaque = leaves, opaque
        self.nodes: list[tuple] = []
        self._ids: dict[tuple, int] = {}
        self._low: dict = {}

    def add(self, *node) -> int:
        i = self._ids.get(node)
        if i is None:
            i = self._ids[node] = len(self.nodes)
            self.nodes.append(node)
        return i

    def op(self, i: int) -> str:
        return self.nodes[i][0]

    def children(self, i: int) -> tuple:
        node = self.nodes[i]
        if node[0] in ("const", "leaf"):
            return ()
        if node[0] == "powi":
            return (node[1],)
        return node[1:]

    # ---------------------------------------------------------------- SymPy -> DAG
    def lower(self, e) -> int:
        i = self._low.get(e)
        if i is None:
            i = self._low[e] = self._lower(sp.sympify(e))
        return i

    def const(self, q) -> int:
        return self.add("const", Fraction(int(q.p), int(q.q)) if isinstance(q, sp.Rational)
                        else Fraction(q))

    def _lower(self, e) -> int:
        if e.is_Rational:
            return self.const(e)
        if e.is_Symbol or e.is_Float or isinstance(e, (sp.NumberSymbol, AppliedUndef, sp.Derivative)):
            return self.add("leaf", self.leaves(e))
        if e.is_Add:
            return self._sum(e.args)
        if e.is_Mul:
            return self._product(e)
        if e.is_Pow:
            return self._power(*e.args)
        if type(e) in _SP_UNARY and len(e.args) == 1:
            return self.add(_SP_UNARY[type(e)], self.lower(e.args[0]))
        if self.opaque and not (e.is_number and e.is_real is False):
            return self.add("leaf", self.leaves(e))
        raise self._error(e)

    def _error(self, e):
        name = type(e).__name__
        return SimplifyError(
            f"sn.simplify cannot represent the node {name} (in {sp.sstr(e)[:80]}); it handles "
            f"{', '.join(SUPPORTED)}. Pass opaque=True to keep {name} nodes as opaque leaves "
            f"(left as they are), or rewrite the expression without {name}."
        )

    def _sum(self, terms) -> int:
        pos, neg = [], []
        for t in terms:
            c, rest = t.as_coeff_Mul()
            if c.is_negative:
                # unevaluated: keeps a nested product (a shared subterm) intact
                neg.append(sp.Mul(-c, rest, evaluate=False) if c != -1 else rest)
            else:
                pos.append(t)
        if pos:
            acc = self.lower(pos[0])
            for t in pos[1:]:
                acc = self.add("add", acc, self.lower(t))
        else:
            acc = self.add("neg", self.lower(neg[0]))
            neg = neg[1:]
        for t in neg:
            acc = self.add("sub", acc, self.lower(t))
        return acc

    def _product(self, e) -> int:
        c, rest = e.as_coeff_Mul()
        if c != 1 and rest == 1:
            return self.lower(c)
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            b, x = f.as_base_exp() if f.is_Pow else (f, sp.S.One)
            if f.is_Pow and x.is_number and x.is_negative:
                den.append(b if x == -1 else sp.Pow(b, -x, evaluate=False))
            else:
                num.append(f)
        core = None
        for f in num:
            core = self.lower(f) if core is None else self.add("mul", core, self.lower(f))
        if den:
            d = None
            for f in den:
                d = self.lower(f) if d is None else self.add("mul", d, self.lower(f))
            core = self.add("div", self.const(sp.S.One) if core is None else core, d)
        if c == 1:
            return core
        if c == -1:
            return self.add("neg", core)
        return self.add("mul", self.lower(c), core)

    def _power(self, b, x) -> int:
        if x.is_Integer:
            n = int(x)
            if n == 1:
                return self.lower(b)
            if n == 0:
                return self.const(sp.S.One)
            if n == -1:
                return self.add("div", self.const(sp.S.One), self.lower(b))
            return self.add("powi", self.lower(b), n)
        if x == sp.S.Half:
            return self.add("sqrt", self.lower(b))
        if x == -sp.S.Half:
            return self.add("div", self.const(sp.S.One), self.add("sqrt", self.lower(b)))
        if b == sp.E:
            return self.add("exp", self.lower(x))
        return self.add("pow", self.lower(b), self.lower(x))

    # ---------------------------------------------------------------- DAG -> SymPy
    def raise_(self, i: int, memo: dict | None = None):
        memo = {} if memo is None else memo
        for j in self.topo([i]):
            memo[j] = self._raise_node(j, memo) if j not in memo else memo[j]
        return memo[i]

    def _raise_node(self, i, memo):
        op, *a = self.nodes[i]
        U = {"evaluate": False}
        if op == "const":
            return sp.Rational(a[0].numerator, a[0].denominator)
        if op == "leaf":
            return self.leaves.items[a[0]]
        if op == "powi":
            return sp.Pow(memo[a[0]], a[1], **U)
        x = [memo[k] for k in a]
        if op == "add":
            return sp.Add(*x, **U)
        if op == "sub":
            return sp.Add(x[0], -x[1] if x[1].is_Number else sp.Mul(-1, x[1], **U), **U)
        if op == "mul":
            return sp.Mul(*x, **U)
        if op == "div":
            inv = sp.Pow(x[1], -1, **U) if not x[1].is_Number else 1 / x[1]
            return inv if x[0] == 1 else sp.Mul(x[0], inv, **U)
        if op == "neg":
            return -x[0] if x[0].is_Number else sp.Mul(-1, x[0], **U)
        if op == "pow":
            return sp.Pow(x[0], x[1], **U)
        if op == "sqrt":
            return sp.Pow(x[0], sp.S.Half, **U)
        return _SP_OF[op](x[0], **U)

    def topo(self, roots) -> list[int]:
        """Node ids reachable from ``roots``, children before parents."""
        out, seen, stack = [], set(), [(r, False) for r in reversed(list(roots))]
        while stack:
            i, done = stack.pop()
            if done:
                out.append(i)
                continue
            if i in seen:
                continue
            seen.add(i)
            stack.append((i, True))
            stack.extend((c, False) for c in reversed(self.children(i)) if c not in seen)
        return out

    # ---------------------------------------------------------------- DAG <-> egglog
    def to_egg(self, roots) -> list:
        memo = {}
        for i in self.topo(roots):
            op, *a = self.nodes[i]
            if op == "const":
                e = Num(BigRat(a[0].numerator, a[0].denominator))
            elif op == "leaf":
                e = Num.leaf(a[0])
            elif op == "powi":
                e = powi(memo[a[0]], a[1])
            elif op == "neg":
                e = -memo[a[0]]
            elif op in _BINARY:
                e = _BINARY[op](memo[a[0]], memo[a[1]])
            else:
                e = UNARY[op](memo[a[0]])
            memo[i] = e
        return [memo[r] for r in roots]

    def from_egg(self, t) -> int:
        """Add an extracted egglog term (``Num`` or ``Roots``) to the DAG; return its id(s)."""
        memo: dict = {}
        return self._from_egg(t, memo)

    def _from_egg(self, t, memo):
        key = t.__egg_typed_expr__
        got = memo.get(key)
        if got is not None:
            return got
        fn = get_callable_fn(t)
        if fn == Roots.nil:
            out = []
        elif fn == Roots.cons:
            h, tail = get_callable_args(t, Roots.cons)
            out = [self._from_egg(h, memo), *self._from_egg(tail, memo)]
        elif fn == Num:
            (v,) = get_callable_args(t, Num)
            out = self.add("const", _fraction(v))
        elif fn == Num.leaf:
            (k,) = get_callable_args(t, Num.leaf)
            out = self.add("leaf", int(get_literal_value(k)))
        elif fn == powi:
            b, n = get_callable_args(t, powi)
            out = self.add("powi", self._from_egg(b, memo), int(get_literal_value(n)))
        else:
            op = EGG_OPS[fn]
            out = self.add(op, *(self._from_egg(c, memo) for c in get_callable_args(t)))
        memo[key] = out
        return out


def _fraction(v) -> Fraction:
    """The value of a ``BigRat`` term, extracted (``BigInt.from_string``) or as built (``BigInt(i64)``)."""
    try:
        return Fraction(v.value)
    except Exception:  # noqa: BLE001 - egglog raises ExprValueError for unextracted forms
        num, den = (int(get_literal_value(get_callable_args(k)[0])) for k in get_callable_args(v))
        return Fraction(num, den)


#: egglog callable -> DAG op name (compare callables by ==/hash, never ``is``)
EGG_OPS = {**{f: k for k, f in _BINARY.items()}, Num.__neg__: "neg",
           **{f: k for k, f in UNARY.items()}, powi: "powi"}
