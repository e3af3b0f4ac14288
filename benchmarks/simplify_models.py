"""Expression sets for the simplification benchmark (seeded, reproducible).

* :func:`reaction_network`: mass-action kinetics of a random reaction network,
  the right-hand side a reaction-network tool such as Catalyst.jl would emit;
* :func:`brusselator_point`: the per-point right-hand side of the 2D Brusselator
  after the method of lines (what ``sn.discretize`` hands to code generation);
* :func:`random_polynomials`: dense random polynomials in a few variables.
"""

from __future__ import annotations

import random

import sympy as sp


def reaction_network(n_species: int = 24, n_reactions: int = 40, seed: int = 1):
    """``(species, rates, rhs)``: ``d[s]/dt = sum_r nu_sr k_r prod(reactants of r)``.

    Reactions are uni- and bimolecular (``A -> B``, ``A + B -> C``, ``A + B -> C + D``,
    ``2 A -> B``) with random species and positive rate constants ``k0, k1, ...``.
    """
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
            a = rng.randrange(n_species)
            reac, prod = [a, a], [rng.randrange(n_species)]
        rate = k[r] * sp.Mul(*(S[i] for i in reac))
        for i in reac:
            rhs[i] -= rate
        for i in prod:
            rhs[i] += rate
    return list(S), list(k), rhs


def brusselator_point():
    """Per-point RHS of the 2D Brusselator (5-point Laplacian, both fields)."""
    from benchmarks.brusselator_model import brusselator_problem

    prob = brusselator_problem(16)
    return [r.expr for r in prob.regions]


def random_polynomials(n: int = 8, n_vars: int = 4, n_terms: int = 10, degree: int = 4,
                       seed: int = 2):
    """``n`` random polynomials with small integer coefficients."""
    rng = random.Random(seed)
    xs = sp.symbols(f"x0:{n_vars}", real=True)
    out = []
    for _ in range(n):
        terms = []
        for _ in range(n_terms):
            c = rng.choice([-3, -2, -1, 1, 2, 3, 5])
            mono = sp.Mul(*(xs[rng.randrange(n_vars)] for _ in range(rng.randint(1, degree))))
            terms.append(c * mono)
        out.append(sp.Add(*terms))
    return out


def enzyme_network(n_substrates: int = 10):
    """``(species, rates, rhs)`` of one enzyme acting on several substrates (mass action).

    ``E + S_i <-> C_i -> E + P_i`` for ``i = 1..n``: ``3 n + 1`` species and ``3 n``
    reactions; the free enzyme ``E`` appears in every binding rate, the shape of
    signalling and metabolic networks where a few species take part in many reactions.
    """
    E = sp.Symbol("E", positive=True)
    S = sp.symbols(f"S1:{n_substrates + 1}", positive=True)
    C = sp.symbols(f"C1:{n_substrates + 1}", positive=True)
    P = sp.symbols(f"P1:{n_substrates + 1}", positive=True)
    kf = sp.symbols(f"kf1:{n_substrates + 1}", positive=True)
    kr = sp.symbols(f"kr1:{n_substrates + 1}", positive=True)
    kc = sp.symbols(f"kc1:{n_substrates + 1}", positive=True)
    bind = [kf[i] * E * S[i] for i in range(n_substrates)]
    unbind = [kr[i] * C[i] for i in range(n_substrates)]
    cat = [kc[i] * C[i] for i in range(n_substrates)]
    rhs = [sum(-bind[i] + unbind[i] + cat[i] for i in range(n_substrates))]
    rhs += [-bind[i] + unbind[i] for i in range(n_substrates)]
    rhs += [bind[i] - unbind[i] - cat[i] for i in range(n_substrates)]
    rhs += [cat[i] for i in range(n_substrates)]
    return [E, *S, *C, *P], [*kf, *kr, *kc], rhs


def multisite_network(n_sites: int = 4):
    """``(species, rates, rhs)`` of rule-based multisite phosphorylation (mass action).

    A substrate with ``n_sites`` independent sites, each phosphorylated by a kinase
    ``K`` (rate ``kp``) and dephosphorylated by a phosphatase ``F`` (rate ``kd``): one
    rule each, so every reaction of a rule shares its rate constant, as in the
    rule-based (BioNetGen-style) models behind the large benchmark networks.
    ``2**n_sites + 2`` species, ``n_sites * 2**n_sites`` reactions.
    """
    K, F = sp.symbols("K F", positive=True)
    kp, kd = sp.symbols("kp kd", positive=True)
    S = sp.symbols(f"S0:{2 ** n_sites}", positive=True)     # S[state bits]
    rhs = {s: sp.Integer(0) for s in S}
    for state in range(2 ** n_sites):
        for site in range(n_sites):
            bit = 1 << site
            if not state & bit:                             # phosphorylate the site
                r = kp * K * S[state]
                rhs[S[state]] -= r
                rhs[S[state | bit]] += r
            else:                                           # dephosphorylate it
                r = kd * F * S[state]
                rhs[S[state]] -= r
                rhs[S[state & ~bit]] += r
    # K and F are enzymes: conserved, their own rates are zero
    return [K, F, *S], [kp, kd], [rhs[s] for s in S]
