"""``sn.simplify`` and ``sn.discover`` are packages that can be called like their main function."""

import numpy as np
import sympy as sp

import symnum as sn


def test_simplify_package_is_callable_and_its_submodules_import():
    import symnum.simplify.api as api

    x, y = sp.symbols("x y")
    e = x * y + x * y**2
    assert sn.simplify(e, "ops") == api.simplify(e, "ops")
    assert sn.expression_cost(sn.simplify(e, "ops"), "ops") <= sn.expression_cost(e, "ops")
    from symnum.simplify.saturate import Report

    assert sn.simplify.Report is Report  # the package's names are still reached through it


def test_discover_package_is_callable_and_its_submodules_import():
    import symnum.discover.sindy as sindy

    t = sp.Symbol("t")
    ts = np.linspace(0, 2, 201)
    meas = sn.Measurements({"y": np.exp(-0.5 * ts)}, coords={t: ts})
    assert sn.discover(meas) == sindy.SINDy().fit(meas).equations_
    assert sn.discover.SINDy is sindy.SINDy
