"""With DAG cost the result is never worse than what ``sympy.cse`` alone reaches."""

import sympy as sp

from symnum.simplify import expression_cost, simplify
from symnum.simplify.api import cse_inlined


def multisite(n_sites):
    """Rule-based multisite phosphorylation: every reaction of a rule shares its rate."""
    K, F, kp, kd = sp.symbols("K F kp kd", positive=True)
    S = sp.symbols(f"S0:{2 ** n_sites}", positive=True)
    rhs = {s: sp.Integer(0) for s in S}
    for state in range(2 ** n_sites):
        for site in range(n_sites):
            bit = 1 << site
            other, r = (state | bit, kp * K * S[state]) if not state & bit else \
                (state & ~bit, kd * F * S[state])
            rhs[S[state]] -= r
            rhs[S[other]] += r
    return [rhs[s] for s in S]


def cse_ops(exprs):
    reps, reduced = sp.cse(exprs, optimizations=None)
    return expression_cost([v for _, v in reps] + list(reduced), "ops", dag=True)


def test_cse_inlined_is_the_input_with_shared_subtrees():
    exprs = multisite(3)
    inl = cse_inlined(exprs)
    assert all(sp.expand(a - b) == 0 for a, b in zip(exprs, inl))
    # the shared products are counted once: the same op count as cse's own output
    assert expression_cost(inl, "ops", dag=True) == cse_ops(exprs)
    assert expression_cost(inl, "ops", dag=True) < expression_cost(exprs, "ops", dag=True)


def test_dag_result_never_worse_than_sympy_cse():
    exprs = multisite(3)
    out = simplify(exprs, dag=True, max_iters=4, time_limit=2.0)
    assert expression_cost(out, "ops", dag=True) <= cse_ops(exprs)
    assert all(sp.expand(a - b) == 0 for a, b in zip(exprs, out))


def test_tree_cost_of_a_rule_based_network_drops_by_half():
    exprs = multisite(3)
    out = simplify(exprs, dag=False, max_iters=6, time_limit=3.0)
    assert expression_cost(out, dag=False) <= 0.5 * expression_cost(exprs, dag=False)
    assert all(sp.expand(a - b) == 0 for a, b in zip(exprs, out))
