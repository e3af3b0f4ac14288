"""Bad models are rejected at construction with a SymnumError naming the culprit and fix."""

import pytest
import sympy as sp

import symnum as sn

t, x, y = sp.symbols("t x y")
u, v, k = sp.Function("u"), sp.Function("v"), sp.Function("k")
nu, a = sp.symbols("nu a")


def heat(**kw):
    args = dict(equations=[sp.Eq(u(t, x).diff(t), nu * u(t, x).diff(x, 2))],
                domain={t: (0, 1), x: (0, 1)}, initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)], parameters={nu: 0.1})
    args.update(kw)
    return sn.PDESystem(**args)


def test_valid_model_builds():
    assert heat().fields == ["u"]


def test_unknown_symbol_is_named():
    with pytest.raises(sn.UnknownSymbolError, match=r"undefined symbol\(s\) a\b.*parameters"):
        heat(equations=[sp.Eq(u(t, x).diff(t), a * nu * u(t, x).diff(x, 2))])


def test_unknown_function_is_named():
    with pytest.raises(sn.UnknownSymbolError, match=r"function k which is not a field"):
        heat(equations=[sp.Eq(u(t, x).diff(t), k(x) * u(t, x).diff(x, 2))])


def test_field_without_initial_condition():
    with pytest.raises(sn.ConditionError, match=r"field u has no initial condition; add sp.Eq\(u\(0, x\)"):
        heat(initial=[])


def test_velocity_without_initial_condition():
    with pytest.raises(sn.ConditionError, match=r"field u_t has no initial condition"):
        heat(equations=[sp.Eq(u(t, x).diff(t, 2), u(t, x).diff(x, 2))])


def test_side_without_condition():
    with pytest.raises(sn.ConditionError, match=r"no condition on the side x = 1.*sn.Periodic\(x\)"):
        heat(boundary=[sp.Eq(u(t, 0), 0)])


def test_two_conditions_on_one_side():
    with pytest.raises(sn.ConditionError, match=r"two conditions on one side.*keep one"):
        heat(boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0),
                       sp.Eq(u(t, x).diff(x).subs(x, 0), 1)])


def test_condition_outside_domain():
    with pytest.raises(sn.ConditionError, match=r"x = 2, outside the domain \[0, 1\]"):
        heat(boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 2), 0)])


def test_condition_inside_domain():
    with pytest.raises(sn.ConditionError, match=r"inside the domain, not on a side"):
        heat(boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, sp.Rational(1, 2)), 0)])


def test_condition_on_periodic_axis():
    with pytest.raises(sn.ConditionError, match=r"periodic axis x"):
        heat(boundary=[sn.Periodic(x), sp.Eq(u(t, 0), 0)])


def test_parameter_without_numeric_value():
    with pytest.raises(sn.ParameterError, match=r"parameter nu has no numeric value.*parameters="):
        heat(parameters={nu: a})


def test_unsupported_operator():
    with pytest.raises(sn.UnsupportedOperatorError, match=r"Integral.*does not support"):
        heat(equations=[sp.Eq(u(t, x).diff(t), sp.Integral(u(t, x), x))])


def test_unsupported_function():
    with pytest.raises(sn.UnsupportedOperatorError, match=r"besselj"):
        heat(equations=[sp.Eq(u(t, x).diff(t), sp.besselj(0, u(t, x)))])


def test_nonlinear_boundary_condition():
    with pytest.raises(sn.UnsupportedOperatorError, match=r"not linear in u"):
        heat(boundary=[sp.Eq(u(t, 0) ** 2, 1), sp.Eq(u(t, 1), 0)])


def test_field_with_wrong_arguments():
    with pytest.raises(sn.ModelError, match=r"must be written with the arguments \(t, x\)"):
        heat(equations=[sp.Eq(u(t, x).diff(t), u(x, t))])


def test_derivative_order_grid_cannot_carry():
    sys = heat(equations=[sp.Eq(u(t, x).diff(t), -u(t, x).diff(x, 4))],
               boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)], parameters={})
    with pytest.raises(sn.DiscretizationError, match=r"x has 5 points, too few for a derivative of order 4"):
        sn.discretize(sys, sn.FiniteDifference({x: 5}, order=4))


def test_odd_order_rejected():
    with pytest.raises(sn.DiscretizationError, match=r"order must be an even integer"):
        sn.FiniteDifference({x: 10}, order=3)


def test_missing_axis_in_method():
    sys2 = sn.PDESystem([sp.Eq(u(t, x, y).diff(t), u(t, x, y).diff(x, 2) + u(t, x, y).diff(y, 2))],
                        domain={t: (0, 1), x: (0, 1), y: (0, 1)},
                        initial=[sp.Eq(u(0, x, y), 0)], boundary=[sn.Periodic(x), sn.Periodic(y)])
    with pytest.raises(sn.DiscretizationError, match=r"no number of points for the axis y"):
        sn.discretize(sys2, sn.FiniteDifference({x: 8}))


def test_pde_needs_method():
    with pytest.raises(sn.DiscretizationError, match=r"needs a method.*FiniteDifference"):
        sn.discretize(heat())


def test_ode_initial_dict_and_missing():
    yy = sp.Function("y")
    with pytest.raises(sn.ConditionError, match=r"field y has no initial condition"):
        sn.ODESystem([sp.Eq(yy(t).diff(t), -yy(t))], initial={})


def test_errors_subclass_builtins():
    assert issubclass(sn.ConditionError, ValueError)
    assert issubclass(sn.SolveFailed, RuntimeError)
    assert issubclass(sn.DiscretizationError, sn.SymnumError)
