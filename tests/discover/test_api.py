"""``sn.discover`` dispatch and the round trip: discover -> solve -> compare."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.discover.api import METHODS, discover, estimator
from symnum.discover.measurements import Measurements
from symnum.discover.roundtrip import roundtrip_error, to_system

t, x = sp.symbols("t x")
X, Y = sp.Function("x"), sp.Function("y")
u = sp.Function("u")


def _lotka_volterra(tspan=(0, 12), n=1201, start=(1.0, 0.5)):
    eqs = [sp.Eq(X(t).diff(t), 1.1 * X(t) - 0.4 * X(t) * Y(t)),
           sp.Eq(Y(t).diff(t), 0.1 * X(t) * Y(t) - 0.4 * Y(t))]
    sys = sn.ODESystem(eqs, initial={X(0): 10 * start[0], Y(0): 10 * start[1]}, tspan=tspan)
    ts = np.linspace(*tspan, n)
    sol = sn.solve(sys, sn.DP5(), rtol=1e-11, atol=1e-11, saveat=ts)
    return eqs, Measurements({"x": sol["x"], "y": sol["y"]}, coords={t: ts})


def _burgers(nu=0.1, n=128, tspan=(0, 2), nt=101):
    eqs = [sp.Eq(u(t, x).diff(t), -u(t, x) * u(t, x).diff(x) + nu * u(t, x).diff(x, 2))]
    sys = sn.PDESystem(eqs, domain={t: tspan, x: (0, 2 * sp.pi)},
                       initial=[sp.Eq(u(0, x), sp.sin(x) + 0.5 * sp.cos(2 * x))],
                       boundary=[sn.Periodic(x)])
    prob = sn.discretize(sys, sn.FiniteDifference({x: n}, order=4))
    sol = sn.solve(prob, sn.Tsit5(), rtol=1e-10, atol=1e-10, saveat=np.linspace(*tspan, nt))
    return eqs, Measurements({"u": sol["u"]}, coords={t: sol.t, x: sol.grid[x]})


def test_methods_table_lists_the_issue_methods():
    assert set(METHODS) == {"sindy", "weak", "sr", "pinn", "prose"}


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(sn.DiscoveryError, match=r"unknown discovery method 'lasso'.*'sindy'.*'weak'"):
        estimator("lasso")


def test_unknown_option_lists_the_estimators_options():
    with pytest.raises(sn.DiscoveryError, match=r"does not take option\(s\) trehshold.*threshold"):
        estimator("sindy", trehshold=0.1)


def test_estimator_follows_sklearn_conventions():
    est = estimator("sindy", degree=2)
    _, meas = _lotka_volterra()
    assert est.fit(meas) is est
    assert hasattr(est, "equations_") and isinstance(est.score(meas), float)


def test_roundtrip_error_is_small_for_the_truth_and_large_for_a_wrong_model():
    eqs, meas = _lotka_volterra()
    train, held = meas.split(0.75)
    assert roundtrip_error(eqs, held) < 1e-6
    wrong = [eqs[0], sp.Eq(Y(t).diff(t), 0.1 * X(t) * Y(t) - 0.5 * Y(t))]
    assert roundtrip_error(wrong, held) > 1e-2


def test_ode_round_trip_discover_solve_compare():
    eqs, meas = _lotka_volterra()
    train, held = meas.split(0.75)
    found = discover(train, method="sindy")
    assert [e.lhs for e in found] == [e.lhs for e in eqs]
    for got, want in zip(found, eqs):
        assert sp.Poly(got.rhs, X(t), Y(t)).monoms() == sp.Poly(want.rhs, X(t), Y(t)).monoms()
    assert roundtrip_error(found, held) < 1e-3


def test_pde_round_trip_discover_solve_compare():
    eqs, meas = _burgers()
    train, held = meas.split(0.6)
    found = discover(train, method="sindy", derivative_order=2)
    rhs = sp.expand(found[0].rhs)
    assert set(rhs.as_coefficients_dict()) == set(sp.expand(eqs[0].rhs).as_coefficients_dict())
    assert roundtrip_error(found, held) < 1e-2
    # the same solve with a 30 % wrong viscosity is visibly worse
    wrong = [sp.Eq(eqs[0].lhs, eqs[0].rhs.subs(0.1, 0.13))]
    assert roundtrip_error(wrong, held) > 3 * roundtrip_error(found, held)


def test_to_system_takes_domain_and_grid_from_the_data():
    _, meas = _burgers(n=64, nt=11)
    system, method = to_system([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))], meas)
    assert [float(v) for v in system.tspan] == [0.0, 2.0]
    assert np.isclose(system.bounds[0][1], 2 * np.pi)  # periodic: the end point is implied
    prob = sn.discretize(system, method)
    assert np.allclose(prob.grid[x], meas.coords[x])


def test_round_trip_refuses_scattered_data():
    pts = np.linspace(0, 1, 20)
    meas = Measurements({"u": np.sin(pts)}, coords={t: pts, x: pts[::-1].copy()}, scattered=True)
    with pytest.raises(sn.DataError, match="gridded"):
        to_system([sp.Eq(u(t, x).diff(t), u(t, x))], meas)


def test_prose_estimator_and_its_options():
    est = estimator("prose", refit="sparse")
    assert type(est).__name__ == "PROSE" and est.get_params()["refit"] == "sparse"
    assert sn.discover.PROSE is type(est)
    with pytest.raises(sn.DiscoveryError, match="does not take option.*threshold"):
        estimator("prose", threshold=0.1)


@pytest.mark.parametrize("method", ["sindy", "weak", "sr", "pinn"])
def test_estimators_clone_and_set_params_like_scikit_learn(method):
    from sklearn.base import clone

    est = estimator(method)
    params = est.get_params()
    assert params and clone(est).get_params() == params
    name = next(iter(params))
    assert est.set_params(**{name: params[name]}) is est
    with pytest.raises(sn.DiscoveryError, match=r"has no parameter\(s\) bogus; its parameters are"):
        est.set_params(bogus=1)
