"""Cost models on SymPy expressions: cycles table, ops, user dict, tree vs DAG."""

import pytest
import sympy as sp

from symnum.simplify import CYCLES, SimplifyError, expression_cost, simplify

x, y = sp.symbols("x y")


def test_cycles_table_values():
    assert CYCLES["mul"] == 3 and CYCLES["div"] == 24 and CYCLES["pow"] == 100
    assert expression_cost(x * y + 1, "cycles") == 4
    assert expression_cost(x / y, "cycles") == 24
    assert expression_cost(x**y, "cycles") == 100
    assert expression_cost(sp.sin(x) + sp.exp(x) + sp.log(x), "cycles") == 134 + 18 + 124 + 2


@pytest.mark.parametrize("n,muls", [(2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (15, 6)])
def test_integer_power_costs_binary_exponentiation(n, muls):
    assert expression_cost(x**n, "ops") == muls
    assert expression_cost(x**-n, "cycles") == 3 * muls + 24


def test_dag_counts_shared_subterms_once():
    e = sp.exp(x + y) * sp.sin(x + y)
    assert expression_cost(e, "ops", dag=True) == 4
    assert expression_cost([x * y + 1, x * y + 2], "ops", dag=False) == 4


def test_user_dict_overrides_cycles():
    assert expression_cost(x * y + x, {"mul": 10}) == 11
    out, rep = simplify(x * y + x * 2, {"mul": 10}, report=True)
    assert rep.cost_after <= rep.cost_before


def test_bad_cost_models_raise():
    with pytest.raises(SimplifyError, match=r"unknown cost model 'flops'.*'cycles'"):
        expression_cost(x, "flops")
    with pytest.raises(SimplifyError, match=r"unknown op\(s\) \['mult'\].*valid ops"):
        expression_cost(x, {"mult": 2})
    with pytest.raises(SimplifyError, match="must be >= 0"):
        expression_cost(x, {"mul": -1})
    with pytest.raises(SimplifyError, match="cost must be"):
        expression_cost(x, 3)
