"""ODESystem details not covered by the error tests."""

import numpy as np
import sympy as sp

import symnum as sn


def test_initial_condition_at_a_float_start_time_matches_the_time_span():
    t = sp.Symbol("t")
    y = sp.Function("y")
    sys = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0.0): 1.0}, tspan=(0.0, 1.5))
    sol = sn.solve(sys, sn.DP5(), rtol=1e-10, atol=1e-12, saveat=[0.0, 1.5])
    assert np.isclose(sol["y"][-1], np.exp(-1.5), rtol=1e-8)
