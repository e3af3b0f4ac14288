"""Butcher tableaus: exact order conditions (rooted trees), validation errors, controller data."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symnum.errors import SolverError
from symnum.solvers.controller import PIController, accept_factor, reject_factor
from symnum.solvers.methods import bs3, dp5, tsit5
from symnum.solvers.order_conditions import (dense_order_residuals, density, order_residuals,
                                             trees)
from symnum.solvers.tableau import ButcherTableau, TableauError

R = sp.Rational
METHODS = [tsit5, dp5, bs3]
IDS = ["Tsit5", "DP5", "BS3"]

# Tsit5 is known only from truncated decimals (84-86 digits for a, 78 for the error weights),
# see symnum/solvers/methods/tsit5.py: its order conditions hold to ~1e-76, not exactly, and its
# published interpolant to ~1e-16. DP5 and BS3 are exact rationals: their residuals are 0.
TOL = {"Tsit5": tsit5.TOLERANCE, "DP5": 0, "BS3": 0}
DENSE_TOL = {"Tsit5": R(1, 10 ** 15), "DP5": 0, "BS3": 0}


def _max_abs(residuals) -> sp.Rational:
    return max(abs(r) for r in residuals)


def test_tree_counts_and_densities():
    assert [len(trees(k)) for k in range(1, 7)] == [1, 1, 2, 4, 9, 20]
    # the order-4 conditions: b c^3 = 1/4, b c A c = 1/8, b A c^2 = 1/12, b A A c = 1/24
    assert sorted(density(t) for t in trees(4)) == [4, 8, 12, 24]


@pytest.mark.parametrize("mod", METHODS, ids=IDS)
def test_order_conditions_hold_up_to_declared_order(mod):
    tab, m = mod.TABLEAU, mod.METHOD
    assert _max_abs(order_residuals(tab, tab.b, m.order)) <= TOL[m.name]
    assert _max_abs(order_residuals(tab, tab.b_hat, m.embedded_order)) <= TOL[m.name]
    # and the orders are not higher than declared: the next conditions fail clearly
    assert _max_abs(order_residuals(tab, tab.b, m.order + 1)) > R(1, 10 ** 6)
    assert _max_abs(order_residuals(tab, tab.b_hat, m.embedded_order + 1)) > R(1, 10 ** 6)


@pytest.mark.parametrize("mod", METHODS, ids=IDS)
def test_dense_output_order_conditions(mod):
    tab, m = mod.TABLEAU, mod.METHOD
    theta = sp.Symbol("theta")
    coeffs = [c for r in dense_order_residuals(tab, m.dense_order) if r != 0
              for c in sp.Poly(r, theta).coeffs()]
    assert (max(abs(c) for c in coeffs) if coeffs else 0) <= DENSE_TOL[m.name]
    assert tab.weights_at(1) == tab.b  # the interpolant ends exactly at the step's solution
    assert tab.weights_at(0) == (0,) * tab.stages


@pytest.mark.parametrize("mod", METHODS, ids=IDS)
def test_exact_consistency_and_fsal(mod):
    tab = mod.TABLEAU
    assert tab.fsal and tab.stages == len(tab.c)
    if mod is not tsit5:
        assert tab.tol == 0
        assert all(sum(row) == c for row, c in zip(tab.a, tab.c))
        assert sum(tab.b) == 1 and sum(tab.b_err) == 0
    num = tab.numeric(np.float32)
    assert num.a.dtype == np.float32 and num.b_dense.shape[0] == tab.stages


def test_tsit5_nodes_match_published_values():
    # c is derived from the row sums of a; it agrees with Tsitouras' nodes to the published digits
    c = [float(v) for v in tsit5.TABLEAU.c]
    assert c == [0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0]
    assert abs(sum(tsit5.TABLEAU.b) - 1) < tsit5.TOLERANCE  # not exactly 1: truncated decimals


HEUN = dict(c=[0, 1], a=[[0, 0], [1, 0]], b=["1/2", "1/2"], b_err=["-1/2", "1/2"])


@pytest.mark.parametrize("change, match", [
    (dict(c=[0, R(1, 2)]), r"row 1 of a sums to 1 but c\[1\] = 1/2"),
    (dict(b=["1/2", "1/3"]), r"sum\(b\) = 5/6 .* sum\(b\) == 1"),
    (dict(b_err=["1/2", "1/2"]), r"sum\(b_err\) = 1 .* must sum to 0"),
    (dict(a=[[0, 1], [1, 0]]), r"a\[0\]\[1\] = 1 is on or above the diagonal"),
    (dict(a=[[0, 0]]), r"a has 1 rows of lengths \[2\] but c has 2 entries; pass a as a square 2 x 2"),
    (dict(b=["1"]), r"b has 1 entries but the tableau has 2 stages"),
    (dict(b=[0.5, 0.5]), r"tableau entry 0.5 is a float; write it as a string"),
    (dict(b_dense=[["1/2"], ["1/3"]]), r"dense weight b_1\(theta=1\) = 1/3 differs from b\[1\]"),
    (dict(b_dense=[["1/2", 0], ["1/2"]]), r"b_dense needs 2 rows of equal length"),
])
def test_tableau_validation_errors(change, match):
    with pytest.raises(TableauError, match=match):
        ButcherTableau(**{**HEUN, **change})


def test_tableau_error_is_a_solver_error_and_value_error():
    with pytest.raises(SolverError):
        ButcherTableau(**{**HEUN, "b": ["1", "1"]})
    with pytest.raises(ValueError):
        ButcherTableau(**{**HEUN, "b": ["1", "1"]})


def test_tolerance_admits_truncated_decimals_only_within_it():
    almost = dict(HEUN, b=["0.5", "0.4999999999"], b_err=["-0.5", "0.4999999999"])
    ButcherTableau(**almost, tol=R(1, 10 ** 9))
    with pytest.raises(TableauError, match=r"sum\(b\)"):
        ButcherTableau(**almost, tol=R(1, 10 ** 12))


def test_no_dense_output_raises_on_use():
    with pytest.raises(TableauError, match="no dense output"):
        ButcherTableau(**HEUN).weights_at(sp.Rational(1, 2))


def test_controller_constants_and_formulas():
    c = PIController.for_order(5)
    assert (c.beta1, c.beta2, c.safety, c.facmin, c.facmax) == (0.14, 0.08, 0.9, 0.2, 10.0)
    assert dp5.METHOD.controller.beta1 == pytest.approx(0.2 - 0.75 * 0.04)
    assert accept_factor(0.0, 1.0, *c.accept_constants()) == c.facmax
    assert accept_factor(1e6, 1.0, *c.accept_constants()) == c.facmin
    assert reject_factor(float("inf"), c.beta1, c.safety, c.facmin) == c.facmin
    assert c.facmin <= reject_factor(2.0, c.beta1, c.safety, c.facmin) < 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(beta1=0.1, beta2=0.0, facmin=0.0), r"facmin=0.0 must satisfy 0 < facmin < 1"),
    (dict(beta1=0.1, beta2=0.0, facmax=0.5), r"facmax=0.5\); pass e.g. facmin=0.2"),
    (dict(beta1=0.1, beta2=0.0, safety=1.5), r"safety=1.5 must be in \(0, 1\]"),
    (dict(beta1=0.0, beta2=0.0), r"need beta1 > 0 and beta2 >= 0"),
])
def test_controller_validation_errors(kwargs, match):
    with pytest.raises(SolverError, match=match):
        PIController(**kwargs)
