"""Sign normalisation, the greedy seed, and a small mass-action network."""

import random

import sympy as sp

from symnum.simplify import expression_cost, simplify
from symnum.simplify.seed import factored

x, y, z, a, b = sp.symbols("x y z a b")
U = {"evaluate": False}


def same(u, v):
    return sp.expand(u - v) == 0


def test_negative_coefficient_factors_cleanly():
    e = -2 * x * y - 2 * x * z
    out = simplify(e, dag=False)
    want = sp.Mul(-2, x, sp.Add(y, z, **U), **U)
    assert expression_cost(out, dag=False) <= expression_cost(want, dag=False)  # or -(x + x)*...
    assert same(out, e)
    assert "(-2)" not in str(out) and "- -" not in str(out)


def test_minus_a_negation_becomes_a_sum():
    e = sp.Add(a, sp.Mul(-1, sp.Mul(-1, b, **U), **U), **U)     # a - (-b)
    out = simplify(e)
    assert out == a + b or same(out, a + b)
    assert expression_cost(out) == 1


def test_double_negation_and_minus_one():
    e = sp.Mul(-1, sp.Mul(-1, x, **U), **U) * y               # -(-x) * y
    out = simplify(sp.Mul(sp.Mul(-1, sp.Mul(-1, x, **U), **U), y, **U))
    assert same(out, x * y) and expression_cost(out) == 3
    assert same(e, x * y)


def test_all_negative_sum_pulls_one_sign():
    e = -x * y - x * z - x * a
    out = simplify(e, dag=False)
    assert expression_cost(out, dag=False) <= expression_cost(
        sp.Mul(-1, x, sp.Add(y, z, a, **U), **U), dag=False)
    assert same(out, e)


def test_seed_is_equal_and_deterministic():
    e = 3 * x * y + x * z - 2 * y * z + a
    s = factored(e)
    assert same(s, e) and factored(e) == s
    assert factored(x + y) is None


def reaction_network(n_species, n_reactions, seed=1):
    """Mass-action right-hand side (a copy of benchmarks/simplify_models.py's generator)."""
    rng = random.Random(seed)
    S = sp.symbols(f"S0:{n_species}", positive=True)
    k = sp.symbols(f"k0:{n_reactions}", positive=True)
    rhs = [sp.Integer(0)] * n_species
    for r in range(n_reactions):
        kind = rng.choice(["uni", "bind", "exchange", "dimer"])
        if kind == "uni":
            reac, prod = [rng.randrange(n_species)], [rng.randrange(n_species)]
        elif kind == "bind":
            reac, prod = rng.sample(range(n_species), 2), [rng.randrange(n_species)]
        elif kind == "exchange":
            reac, prod = rng.sample(range(n_species), 2), rng.sample(range(n_species), 2)
        else:
            i = rng.randrange(n_species)
            reac, prod = [i, i], [rng.randrange(n_species)]
        rate = k[r] * sp.Mul(*(S[i] for i in reac))
        for i in reac:
            rhs[i] -= rate
        for i in prod:
            rhs[i] += rate
    return rhs


def test_reaction_network_tree_cost_drops_by_a_fifth():
    rhs = reaction_network(8, 12)
    out = simplify(rhs, dag=False)
    before, after = expression_cost(rhs, dag=False), expression_cost(out, dag=False)
    assert after <= 0.8 * before
    assert all(same(o, e) for o, e in zip(out, rhs))
    assert simplify(rhs, dag=False) == out                     # deterministic


def test_reaction_network_dag_never_worse_than_input_or_cse():
    rhs = reaction_network(8, 12)
    out = simplify(rhs)
    assert expression_cost(out) <= expression_cost(rhs)
    reps, reduced = sp.cse(rhs)
    cse_ops = expression_cost([*[v for _, v in reps], *reduced], "ops", dag=True)
    assert expression_cost(out, "ops", dag=True) <= cse_ops
