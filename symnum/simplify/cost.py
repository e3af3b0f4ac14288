"""Cost models: one table per model, evaluated on egglog terms and on SymPy expressions.

``"cycles"`` follows the CPU-cycle table of Gowda et al. (2021, SymbolicUtils
``opt_theory``): ``+``/``-`` 1, ``abs`` 2, ``*`` 3, ``exp`` 18, ``/`` 24,
general ``^`` 100, ``sin``/``cos`` 134, ``tan`` 156. Choices where the table is
silent or names another function:

* ``log`` 124: the table has only ``log1p``; libm ``log`` has the same shape of cost.
* ``sqrt`` 24: a hardware instruction with the latency of a division.
* ``tanh`` 47: ``1 - 2/(exp(2x) + 1)`` is one exp, one division, one multiply, two adds.
* ``neg`` 1: a sign flip.
* integer powers ``x**n`` cost their multiplications by binary exponentiation,
  plus one division when ``n < 0``: ``x**2`` is one ``*``, ``x**5`` three.

``"ops"`` counts operations (every op 1; ``x**n`` counts its multiplications).
A dict ``{op: cost}`` overrides entries of the cycles table; the op names are
the keys of :data:`CYCLES`. Costs are exact to 1/1000.

Internally a cost is an int: ``round(1000 * cost) << 32`` plus one per node, so
that among equal-cost forms the smaller one wins (a negative constant counts two nodes, so
that ``a + 2*b`` wins over ``a - (-2)*b``); that keeps extraction
deterministic and every node's cost above its children's.

Examples
--------
>>> import sympy as sp
>>> x, y, z = sp.symbols("x y z")
>>> expression_cost(3*z - 3*y, "cycles", dag=False)    # two *, one -
7.0
>>> expression_cost(x**5, "ops")
3.0
>>> expression_cost([x*y + 1, x*y + 2], "ops", dag=True)   # x*y counted once
3.0
"""

from __future__ import annotations

from egglog import BigRat, get_callable_args, get_literal_value

from .convert import EGG_OPS, Graph, Leaves, SimplifyError, _fraction
from .terms import Num, Roots, powi

__all__ = ["CYCLES", "OPS", "CostTable", "cost_table", "expression_cost"]

#: the default "cycles" model (see the module docstring for the sources)
CYCLES = {"add": 1, "sub": 1, "neg": 1, "abs": 2, "mul": 3, "exp": 18, "div": 24, "sqrt": 24,
          "tanh": 47, "pow": 100, "log": 124, "sin": 134, "cos": 134, "tan": 156}
#: the "ops" model: every operation counts one
OPS = dict.fromkeys(CYCLES, 1)
MODELS = {"cycles": CYCLES, "ops": OPS}
_SCALE = 1000
_SHIFT = 32


def _muls(n: int) -> int:
    """Multiplications to form ``x**|n|`` by binary exponentiation."""
    k = abs(n)
    return k.bit_length() - 1 + bin(k).count("1") - 1 if k > 1 else 0


class CostTable:
    """A validated table; ``own(op, n)`` is the cost of one node, as an int."""

    def __init__(self, table: dict):
        self.table = dict(table)
        self._own = {op: (round(_SCALE * c) << _SHIFT) + 1 for op, c in self.table.items()}

    def own(self, op: str, n: int = 0) -> int:
        if op in ("const", "leaf"):
            return 1
        if op == "powi":
            c = _muls(n) * self.table["mul"] + (self.table["div"] if n < 0 else 0)
            return (round(_SCALE * c) << _SHIFT) + 1
        return self._own[op]

    @staticmethod
    def value(c: int) -> float:
        """The user-facing cost of an internal int cost."""
        return (c >> _SHIFT) / _SCALE

    # ------------------------------------------------------------ on the DAG
    def tree(self, g: Graph, roots) -> int:
        memo: dict[int, int] = {}
        for i in g.topo(roots):
            node = g.nodes[i]
            memo[i] = self.own(node[0], node[2] if node[0] == "powi" else 0) + sum(
                memo[c] for c in g.children(i))
        return sum(memo[r] for r in roots)

    def dag(self, g: Graph, roots) -> int:
        return sum(self.own(g.nodes[i][0], g.nodes[i][2] if g.nodes[i][0] == "powi" else 0)
                   for i in g.topo(roots))

    def measure(self, g: Graph, roots, dag: bool) -> int:
        return self.dag(g, roots) if dag else self.tree(g, roots)

    # ------------------------------------------------------------ on egglog terms
    def egg_model(self, egraph, expr, children_costs) -> int:
        """egglog ``CostModel``: ``(egraph, enode, children costs) -> cost``.

        Called once per e-node and extraction: dispatches on the node's callable
        reference (a hashable declaration) instead of comparing egglog callables.
        """
        try:
            kind = _KINDS.get(expr.__egg_typed_expr__.expr.callable)
        except AttributeError:      # a literal
            kind = None
        if kind is None:            # primitives (BigRat, i64) inside a node
            return 1
        if kind == "const":
            # a negative constant counts one more node, so that among forms of equal cost
            # ``a + 2*b`` wins over ``a - (-2)*b``
            (v,) = get_callable_args(expr, Num)
            return 2 if _negative(v) else 1
        if kind == "leaf":
            return 1
        if kind == "roots":
            return 1 + sum(children_costs)
        if kind == "powi":
            n = int(get_literal_value(get_callable_args(expr, powi)[1]))
            return self.own("powi", n) + children_costs[0]
        return self.own(kind) + sum(children_costs)


def _ref(term):
    return term.__egg_typed_expr__.expr.callable


def _kinds() -> dict:
    """Callable reference -> op name of every ``Num`` / ``Roots`` constructor."""
    x = Num.leaf(0)
    out = {_ref(Num(BigRat(1, 1))): "const", _ref(x): "leaf", _ref(Roots.nil()): "roots",
           _ref(Roots.cons(x, Roots.nil())): "roots", _ref(powi(x, 2)): "powi"}
    for fn, op in EGG_OPS.items():
        if op != "powi":
            out[_ref(fn(x, x) if op in ("add", "sub", "mul", "div", "pow") else fn(x))] = op
    return out


_KINDS = _kinds()


def _negative(v) -> bool:
    try:
        return _fraction(v) < 0
    except Exception:  # noqa: BLE001 - an unusual BigRat form: no tie-break
        return False


def cost_table(cost) -> CostTable:
    """``"cycles"``, ``"ops"`` or a dict ``{op: cost}`` (overriding cycles) -> :class:`CostTable`."""
    if isinstance(cost, CostTable):
        return cost
    if isinstance(cost, str):
        if cost not in MODELS:
            raise SimplifyError(f"unknown cost model {cost!r}; valid: {sorted(MODELS)} or a dict "
                                f"{{op: cost}} with ops from {sorted(CYCLES)}.")
        return CostTable(MODELS[cost])
    if isinstance(cost, dict):
        bad = sorted(map(str, set(cost) - set(CYCLES)))
        if bad:
            raise SimplifyError(f"unknown op(s) {bad} in the cost dict; valid ops: "
                                f"{sorted(CYCLES)}.")
        neg = {k: v for k, v in cost.items() if not v >= 0}
        if neg:
            raise SimplifyError(f"op costs must be >= 0, got {neg}; give each op a cost >= 0.")
        return CostTable({**CYCLES, **{k: float(v) for k, v in cost.items()}})
    raise SimplifyError(f"cost must be 'cycles', 'ops' or a dict {{op: cost}}, got {cost!r} "
                        f"({type(cost).__name__}).")


def expression_cost(expr, cost="cycles", dag: bool = True) -> float:
    """Cost of a SymPy expression (or a list, costed together) under a model.

    Parameters
    ----------
    expr : sympy.Expr or list of sympy.Expr
    cost : {"cycles", "ops"} or dict
        A model name, or ``{op: cost}`` overriding the cycles table.
    dag : bool
        Count each distinct subexpression once (what code with common
        subexpression elimination evaluates); ``False`` counts the tree.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> expression_cost(sp.sin(x)**2 + sp.cos(x)**2)    # 2 trig, 2 squares, 1 add
    275.0
    """
    table = cost_table(cost)
    g = Graph(Leaves(), opaque=True)
    roots = [g.lower(e) for e in (expr if isinstance(expr, (list, tuple)) else [expr])]
    return table.value(table.measure(g, roots, dag))
