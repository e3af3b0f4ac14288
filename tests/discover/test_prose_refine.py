"""PROSE's metrics and coefficient refit (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.discover.measurements import Measurements
from symnum.discover.prose.evaluate import coefficient_error, is_valid, same_skeleton, terms
from symnum.discover.prose.refine import refit

t = sp.Symbol("t")
X, Y = sp.Function("x"), sp.Function("y")
u0, u1 = sp.symbols("u_0 u_1")


def _lv(noise=0.0):
    eqs = [sp.Eq(X(t).diff(t), 1.3 * X(t) - 0.9 * X(t) * Y(t)),
           sp.Eq(Y(t).diff(t), 1.8 * X(t) * Y(t) - 0.8 * Y(t))]
    system = sn.ODESystem(eqs, initial={X(0): 1.0, Y(0): 0.5}, tspan=(0, 8))
    ts = np.linspace(0, 8, 401)
    meas = Measurements.from_solution(sn.solve(system, sn.Tsit5(), rtol=1e-10, atol=1e-10,
                                               saveat=ts))
    return meas.with_noise(noise, seed=1) if noise else meas


def test_terms_and_skeletons():
    assert terms(2 * u0 * (u1 - 3)) == {u0 * u1: 2.0, u0: -6.0}
    assert terms(sp.Float(1.5)) == {1: 1.5}
    assert same_skeleton([u0 - u1, u0 * u1], [2.0 * u0 + 0.5 * u1, -u0 * u1])
    assert not same_skeleton([u0 - u1, u0 * u1], [u0, u0 * u1])
    assert not same_skeleton(None, [u0])
    assert not same_skeleton([u0], [u0, u1])


def test_coefficient_error_counts_missing_terms():
    assert coefficient_error([3.0 * u0], [4.0 * u0]) == pytest.approx(0.25)
    # a missing term of size 1 against truth norm sqrt(2)
    assert coefficient_error([u0], [u0 + u1]) == pytest.approx(1 / np.sqrt(2))


def test_validity_checks_finiteness_at_random_points():
    assert is_valid([u0 * u1, sp.sin(u0)], 2)
    assert not is_valid([1 / (u0 - u0)], 1)  # zoo
    assert not is_valid([u0], 2)
    assert not is_valid(None, 1)


def test_refit_recovers_lotka_volterra_coefficients():
    skeleton = [1.0 * u0 - 1.0 * u0 * u1, 1.0 * u0 * u1 - 1.0 * u1]
    rhs = refit(skeleton, _lv())
    x, y = X(t), Y(t)
    want = [1.3 * x - 0.9 * x * y, 1.8 * x * y - 0.8 * y]
    for got, ref in zip(rhs, want):
        assert set(terms(got)) == set(terms(ref))
        assert coefficient_error([got], [ref]) < 1e-3


def test_refit_noisy_data_and_sparse_drops_spurious_term():
    skeleton = [u0 - u0 * u1 + 0.3 * u1 ** 2, u0 * u1 - u1]
    rhs = refit(skeleton, _lv(0.01), method="sparse")
    x, y = X(t), Y(t)
    assert set(terms(rhs[0])) == {x, x * y}
    assert coefficient_error(rhs, [1.3 * x - 0.9 * x * y, 1.8 * x * y - 0.8 * y]) < 0.05
    kept = refit(skeleton, _lv(0.01), method="lstsq")
    assert y ** 2 in terms(kept[0])


def test_refit_errors():
    with pytest.raises(sn.DiscoveryError, match="unknown refit method 'ridge'"):
        refit([u0, u1], _lv(), method="ridge")
    with pytest.raises(sn.DiscoveryError, match="1 expressions for 2 fields"):
        refit([u0], _lv())
