"""``simplify``: SymPy in, cheaper SymPy out, by equality saturation in egglog."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings

import sympy as sp
from egglog import EGraph, greedy_dag_cost_model, union

from .check import agree
from .convert import Graph, Leaves
from .errors import SimplifyError, SimplifyWarning
from .cost import cost_table
from .rules import CHEAP, DEFAULT, GROUPS, ruleset_for
from .saturate import Report, saturate
from .seed import factored
from .terms import Num, Roots, positive, real

__all__ = ["simplify", "SimplifyWarning"]


def simplify(expr, cost="cycles", *, dag: bool = True, rules=None, max_iters: int = 12,
             node_limit: int = 20_000, time_limit: float = 3.0, check: bool = True,
             opaque: bool = False, report: bool = False):
    """Rewrite ``expr`` into an equal expression that costs less to evaluate.

    Equality saturation (egglog) under the rule groups ``rules``, then extraction
    of the cheapest equal form under ``cost``. Guaranteed: the result never costs
    more than the input under that model (``expression_cost(result, cost, dag)
    <= expression_cost(expr, cost, dag)``) and equals it at random points of the
    symbols' domain; otherwise the input is returned (with a
    :class:`SimplifyWarning` when the numbers disagree).

    Parameters
    ----------
    expr : sympy.Expr, list of sympy.Expr or sympy.Matrix
        A list or matrix is simplified in one e-graph, so shared subterms are
        found and (with ``dag=True``) counted once; the same container type
        (list for a tuple) comes back.
    cost : {"cycles", "ops"} or dict
        ``"cycles"``: approximate CPU cycles per operation (see
        :mod:`symnum.simplify.cost`); ``"ops"``: operation count; a dict
        ``{op: cost}`` overrides entries of the cycles table.
    dag : bool
        Count each distinct subexpression once (as generated code with common
        subexpression elimination evaluates it). ``False``: tree cost.
    rules : tuple of str, optional
        Rule groups, default all: ``"ac"``, ``"distribute"``, ``"fold"``,
        ``"power"``, ``"explog"``, ``"trig"``.
    max_iters, node_limit, time_limit : int, int, float
        Bounds of the saturation loop (iterations, e-graph rows, seconds); the
        report says which one stopped it.
    check : bool
        Compare input and result numerically at random points.
    opaque : bool
        Keep nodes the simplifier does not know (``Max``, ``Piecewise``...) as
        opaque leaves instead of raising :class:`SimplifyError`.
    report : bool
        Return ``(result, Report)`` instead of the result.

    Returns
    -------
    sympy.Expr (or list / Matrix), or ``(result, Report)`` with ``report=True``.
    SymPy is told not to re-evaluate the result (``evaluate=False``), so
    ``3*(z - y)`` stays factored; it prints and lambdifies as usual.

    Examples
    --------
    >>> import sympy as sp
    >>> from symnum.simplify import simplify
    >>> x, y, z = sp.symbols("x y z")
    >>> simplify(sp.sin(x)**2 + sp.cos(x)**2)
    1
    >>> simplify(3*z - 3*y)
    3*(-y + z)
    >>> out, rep = simplify(x*y + x*z, report=True)
    >>> out, rep.cost_before, rep.cost_after
    (x*(y + z), 7.0, 4.0)
    """
    t0 = time.perf_counter()
    groups = _groups(rules)
    _bounds(max_iters, node_limit, time_limit)
    table = cost_table(cost)
    exprs, rebuild = _unpack(expr)
    part = _run(exprs, table, groups, dag, opaque, check, max_iters, node_limit, time_limit)
    if part.failed:
        warnings.warn(f"sn.simplify: {part.message}", SimplifyWarning, stacklevel=2)
    result = rebuild(part.outs) if part.accepted else expr
    after = part.after if part.accepted else part.before
    rep = Report(part.stop, part.iters, part.size, time.perf_counter() - t0,
                 table.value(part.before), table.value(after), part.accepted, part.message)
    return (result, rep) if report else result


class _Part:
    """The outcome of one e-graph run on some of the expressions."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _run(exprs, table, groups, dag, opaque, check, max_iters, node_limit, time_limit) -> _Part:
    t0 = time.perf_counter()
    leaves = Leaves()
    g = Graph(leaves, opaque=opaque)
    roots = [g.lower(e) for e in exprs]
    before = table.measure(g, roots, dag)

    egraph = EGraph()
    terms = g.to_egg(roots)
    packed = terms[0] if len(terms) == 1 else _pack(terms)
    root = egraph.let("root", packed)
    for e, term in zip(exprs, terms):
        seed = factored(e)
        if seed is not None:
            (seed_term,) = g.to_egg([g.lower(seed)])
            egraph.register(union(term).with_(seed_term))
    for k, obj in enumerate(leaves.items):
        if obj.is_positive:
            egraph.register(positive(Num.leaf(k)))
        if obj.is_extended_real:
            egraph.register(real(Num.leaf(k)))
    cheap = tuple(x for x in groups if x in CHEAP)
    rest = tuple(x for x in groups if x not in CHEAP)
    stop, iters, size = saturate(egraph, ruleset_for(rest), max_iters=max_iters,
                                 node_limit=node_limit, time_limit=time_limit,
                                 cheap=ruleset_for(cheap) if cheap else None)
    outs, g2, back, after = None, None, None, None
    for cand in _extract(egraph, root, table, dag):
        got = g.from_egg(cand)
        got = [got] if len(terms) == 1 else got
        # measure what is returned: the SymPy result, lowered afresh
        memo: dict = {}
        c_outs = [g.raise_(r, memo) for r in got]
        c_g2 = Graph(leaves, opaque=True)
        c_back = [c_g2.lower(o) for o in c_outs]
        c_after = table.measure(c_g2, c_back, dag)
        if after is None or c_after < after:
            outs, g2, back, after = c_outs, c_g2, c_back, c_after

    if dag:
        # the input with sympy.cse's shared subexpressions made explicit: the cheapest form
        # code generation (which runs cse) would have reached without the e-graph
        c_outs = cse_inlined(exprs)
        c_g2 = Graph(leaves, opaque=True)
        c_back = [c_g2.lower(o) for o in c_outs]
        c_after = table.measure(c_g2, c_back, dag)
        if c_after < after:
            outs, g2, back, after = c_outs, c_g2, c_back, c_after

    accepted, failed, message = True, False, ""
    if after >= before:
        accepted, message = False, "no cheaper form found; the input is returned"
    elif check and not agree(g, roots, back, g_after=g2):
        accepted, failed = False, True
        message = ("the simplified form disagrees numerically with the input at random points "
                   "of the symbols' domain; the input is returned. Please report this "
                   "expression; pass rules=(...) without the group at fault to work around it.")
    return _Part(exprs=exprs, outs=outs, before=before, after=after, stop=stop, iters=iters,
                 size=size, accepted=accepted, failed=failed, message=message,
                 seconds=time.perf_counter() - t0)


def cse_inlined(exprs):
    """``exprs`` rebuilt from ``sympy.cse`` without evaluation, so that each common
    subexpression is one shared subtree (``F*kd*S3`` becomes ``(F*kd)*S3``).

    >>> import sympy as sp
    >>> F, kd, a, b = sp.symbols("F kd a b")
    >>> cse_inlined([F*kd*a, F*kd*b])
    [a*(F*kd), b*(F*kd)]
    """
    reps, reduced = sp.cse(list(exprs), optimizations=None)
    sub: dict = {}

    def rebuild(e):
        if e in sub:
            return sub[e]
        if not e.args or e.is_Atom:
            return e
        args = [rebuild(a) for a in e.args]
        try:
            return e.func(*args, evaluate=False)
        except TypeError:
            return e.func(*args)

    for s, v in reps:
        sub[s] = rebuild(v)
    return [rebuild(r) for r in reduced]


def _extract(egraph, root, table, dag):
    """Candidate extractions: the tree-cost optimum and, for ``dag``, egglog's greedy DAG one.

    egglog 13.2's greedy DAG extractor can panic on large e-graphs (a missing
    best node while rebuilding the term); then the tree-cost candidate alone is
    used, measured with the DAG cost.
    """
    yield egraph.extract(root, cost_model=table.egg_model)
    if dag:
        try:
            with _quiet_stderr():
                got = egraph.extract(root, cost_model=greedy_dag_cost_model(table.egg_model))
        except BaseException as exc:        # pyo3 PanicException derives from BaseException
            if type(exc).__name__ != "PanicException":
                raise
        else:
            yield got


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (where Rust prints a panic's message) for the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):     # no real fd 2: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _groups(rules) -> tuple[str, ...]:
    if rules is None:
        return DEFAULT
    if isinstance(rules, str):
        rules = (rules,)
    bad = [r for r in rules if r not in GROUPS]
    if bad:
        raise SimplifyError(f"unknown rule group(s) {bad}; valid: {sorted(GROUPS)}, e.g. "
                            f"rules=('ac', 'fold').")
    return tuple(r for r in GROUPS if r in rules)


def _bounds(max_iters, node_limit, time_limit) -> None:
    for name, v in (("max_iters", max_iters), ("node_limit", node_limit),
                    ("time_limit", time_limit)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise SimplifyError(f"{name} must be a number >= 0, got {v!r} ({type(v).__name__}).")


def _pack(terms):
    out = Roots.nil()
    for t in reversed(terms):
        out = Roots.cons(t, out)
    return out


def _unpack(expr):
    if isinstance(expr, sp.MatrixBase):
        shape, cls = expr.shape, type(expr)
        return [sp.sympify(e) for e in expr], lambda outs: cls(*shape, outs)
    if isinstance(expr, (list, tuple)):
        return [sp.sympify(e) for e in expr], list
    return [sp.sympify(expr)], lambda outs: outs[0]
