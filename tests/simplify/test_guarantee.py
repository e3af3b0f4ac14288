"""The guarantee (never costlier, numerically equal), the warning path and the run bounds."""

import random
import warnings

import pytest
import sympy as sp
from egglog import rewrite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symnum.simplify import SimplifyError, SimplifyWarning, expression_cost, rules, simplify
from symnum.simplify.terms import Num, exp

x, y, z = sp.symbols("x y z")
p = sp.Symbol("p", positive=True)
SYMS = (x, y, z, p)
U = {"evaluate": False}


def _expr(draw, depth):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(SYMS + (sp.Integer(2), sp.Rational(-1, 3), sp.Integer(3))))
    kind = draw(st.sampled_from(["+", "*", "-", "/", "pow", "exp", "sin", "cos"]))
    a = _expr(draw, depth - 1)
    if kind in ("exp", "sin", "cos"):
        return getattr(sp, kind)(a, **U)
    if kind == "pow":
        return sp.Pow(a, draw(st.integers(2, 3)), **U)
    b = _expr(draw, depth - 1)
    if kind == "+":
        return sp.Add(a, b, **U)
    if kind == "-":
        return sp.Add(a, sp.Mul(-1, b, **U), **U)
    if kind == "*":
        return sp.Mul(a, b, **U)
    return sp.Mul(a, sp.Pow(b, -1, **U), **U) if b != 0 else a


exprs = st.composite(lambda draw: _expr(draw, 4))()


def _close(e, out, seed):
    rng = random.Random(seed)
    for _ in range(3):
        pt = {s: rng.uniform(0.5, 2.0) * (1 if s.is_positive or rng.random() < .5 else -1)
              for s in SYMS}
        try:
            want = complex(e.evalf(30, subs=pt))
        except (ZeroDivisionError, TypeError):
            continue
        if abs(want) > 1e12 or want != want:
            continue
        got = complex(out.evalf(30, subs=pt))
        assert abs(got - want) <= 1e-7 * (1 + abs(want))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs)
def test_never_costlier_and_numerically_equal(e):
    for dag in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("error", SimplifyWarning)
            out = simplify(e, dag=dag, max_iters=5, time_limit=1.0)
        assert expression_cost(out, dag=dag) <= expression_cost(e, dag=dag)
    _close(e, out, 0)


def test_wrong_rule_is_caught_and_input_returned(monkeypatch):
    a = rules.a
    monkeypatch.setitem(rules.GROUPS, "fold", [*rules.FOLD, rewrite(exp(a)).to(a)])  # false
    rules.ruleset_for.cache_clear()
    try:
        e = sp.exp(x) + y
        with pytest.warns(SimplifyWarning, match="disagrees numerically"):
            out, rep = simplify(e, report=True)
        assert out is e and not rep.accepted
        out = simplify(e, check=False)                 # unchecked: the wrong rule shows
        assert not out.has(sp.exp)
    finally:
        rules.ruleset_for.cache_clear()


def test_no_cheaper_form_returns_input():
    e = x + y
    out, rep = simplify(e, report=True)
    assert out is e and not rep.accepted and rep.cost_after == rep.cost_before


def test_stop_reasons_are_reported():
    e = sp.expand((x + y + z + 1) ** 3)
    assert simplify(e, max_iters=2, report=True)[1].stop_reason == "iteration limit"
    assert simplify(e, node_limit=50, report=True)[1].stop_reason == "node limit"
    assert simplify(e, time_limit=0.0, report=True)[1].stop_reason == "time limit"
    rep = simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2, report=True)[1]
    assert rep.stop_reason == "saturated" and rep.iterations >= 1 and rep.egraph_size > 0


def test_bad_options_raise():
    with pytest.raises(SimplifyError, match=r"unknown rule group\(s\) \['algebra'\]"):
        simplify(x, rules=("algebra",))
    with pytest.raises(SimplifyError, match="max_iters must be a number >= 0"):
        simplify(x, max_iters=-1)
