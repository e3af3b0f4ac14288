"""``discretize(..., simplify=True)`` keeps the right-hand side's values."""

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.simplify import expression_cost

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
import models  # noqa: E402


@pytest.mark.parametrize("build", ["heat_dirichlet", "brusselator_2d", "burgers_upwind"])
def test_simplified_rhs_matches(build, monkeypatch):
    real = sn.discretize
    plain = getattr(models, build)()
    monkeypatch.setattr(sn, "discretize", lambda *a, **k: real(*a, **k, simplify={"time_limit": 1.0}))
    fast = getattr(models, build)()
    y = np.random.default_rng(0).uniform(0.5, 1.5, plain.n)
    f0, f1 = plain.functions("numpy").rhs, fast.functions("numpy").rhs
    assert np.allclose(f1(0.05, y), f0(0.05, y), rtol=1e-12, atol=1e-12)
    before = sum(expression_cost(r.expr) for r in plain.regions)
    after = sum(expression_cost(r.expr) for r in fast.regions)
    assert after <= before


def test_symbolic_discretize_accepts_simplify():
    t, x = sp.symbols("t x")
    u = sp.Function("u")
    heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))], domain={t: (0, 1), x: (0, 1)},
                        initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                        boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])
    prob = sn.symbolic_discretize(heat, sn.FiniteDifference({x: 11}, order=2), simplify=True)
    assert prob.n == 9
