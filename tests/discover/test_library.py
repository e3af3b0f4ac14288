"""Candidate library terms (SymPy) and their values on measurements."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.discover.library import candidate_terms, evaluate_terms, flatten, term_grids
from symnum.discover.measurements import Measurements

t, x, y = sp.symbols("t x y")
u, v = sp.Function("u"), sp.Function("v")
X, Y = sp.Function("x"), sp.Function("y")
U = u(t, x)


def _wave(nt=41, nx=64):
    """u = exp(-t) sin(x) on a periodic grid: every derivative is known exactly."""
    ts = np.linspace(0, 1, nt)
    xs = np.linspace(0, 2 * np.pi, nx, endpoint=False)
    field = np.exp(-ts)[:, None] * np.sin(xs)[None, :]
    return Measurements({"u": field}, coords={t: ts, x: xs}, periodic=[x]), ts, xs


def _ode():
    ts = np.linspace(0, 1, 20)
    return Measurements({"x": np.cos(ts), "y": np.sin(ts)}, coords={t: ts})


def test_ode_library_is_the_monomials():
    assert candidate_terms(_ode(), degree=2) == [1, X(t), Y(t), X(t) ** 2, X(t) * Y(t),
                                                 Y(t) ** 2]
    assert candidate_terms(_ode(), degree=1, bias=False) == [X(t), Y(t)]


def test_pde_library_follows_pde_find():
    meas, _, _ = _wave()
    terms = candidate_terms(meas)  # degree 2, derivatives up to order 3
    d = [U.diff(x, k) for k in (1, 2, 3)]
    assert terms == [1, U, U ** 2,
                     d[0], U * d[0], U ** 2 * d[0],
                     d[1], U * d[1], U ** 2 * d[1],
                     d[2], U * d[2], U ** 2 * d[2]]
    assert candidate_terms(meas, degree=1, derivative_order=1, bias=False) == [U, d[0], U * d[0]]


def test_two_dimensional_library_has_mixed_derivatives():
    ts, s = np.linspace(0, 1, 5), np.linspace(0, 1, 6)
    meas = Measurements({"u": np.zeros((5, 6, 6))}, coords={t: ts, x: s, y: s})
    W = u(t, x, y)
    terms = candidate_terms(meas, degree=1, derivative_order=2)
    for term in (W.diff(x), W.diff(y), W.diff(x, 2), W.diff(x, y), W.diff(y, 2), W * W.diff(x, y)):
        assert term in terms
    assert len(terms) == 2 + 5 * 2  # 1, u; five derivatives, each times 1 and u


def test_two_fields_products():
    ts, xs = np.linspace(0, 1, 5), np.linspace(0, 1, 8)
    meas = Measurements({"u": np.zeros((5, 8)), "v": np.zeros((5, 8))}, coords={t: ts, x: xs})
    V = v(t, x)
    terms = candidate_terms(meas, degree=2, derivative_order=1)
    assert terms[:6] == [1, U, V, U ** 2, U * V, V ** 2]
    assert U * V * V.diff(x) in terms and len(terms) == 6 + 2 * 6


def test_x_terms_and_extra_are_added_without_duplicates():
    meas, _, _ = _wave()
    terms = candidate_terms(meas, degree=1, derivative_order=1, x_terms=[x],
                            extra=[sp.sin(U), U, x * U])
    assert terms == [1, U, U.diff(x), U * U.diff(x),
                     x, x * U, x * U.diff(x), x * U * U.diff(x), sp.sin(U)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(degree=-1), "degree must be an integer >= 0; got -1"),
    (dict(degree=1.5), "degree must be an integer >= 0; got 1.5"),
    (dict(derivative_order=True), "derivative_order must be an integer >= 0; got True"),
    (dict(extra=[sp.Symbol("a") * U]), r"uses symbol\(s\) \['a'\]; only the coordinates"),
    (dict(extra=[v(t, x)]), r"uses v\(t, x\); the fields are \[u\(t, x\)\]"),
    (dict(extra=[u(t, 0)]), r"uses u\(t, 0\); the fields are"),
    (dict(extra=[U.diff(t)]), "contains a time derivative"),
    (dict(extra=[sp.Derivative(U ** 2, x)]), "only derivatives of a field itself"),
    (dict(extra=["u"]), "extra must hold SymPy expressions"),
    (dict(degree=0, derivative_order=0, bias=False), "the library is empty"),
])
def test_bad_library_options(kwargs, message):
    meas, _, _ = _wave()
    with pytest.raises(sn.DiscoveryError, match=message):
        candidate_terms(meas, **kwargs)


def test_derivatives_need_space_axes():
    with pytest.raises(sn.DiscoveryError, match="derivative_order=2 needs space axes"):
        candidate_terms(_ode(), derivative_order=2)


def test_evaluate_terms_matches_exact_values():
    meas, ts, xs = _wave()
    T, S = np.meshgrid(ts, xs, indexing="ij")
    exact = np.exp(-T) * np.sin(S)
    terms = [sp.Integer(1), U * U.diff(x), U.diff(x, 2), x * U, sp.sin(U), sp.exp(-t) * U]
    theta = evaluate_terms(terms, meas, derivative="spectral")
    assert theta.shape == (ts.size * xs.size, len(terms))
    want = [np.ones_like(exact), exact * np.exp(-T) * np.cos(S), -exact, S * exact,
            np.sin(exact), np.exp(-T) * exact]
    for col, w in zip(theta.T, want):
        np.testing.assert_allclose(col, w.ravel(), atol=1e-10)


def test_rows_are_ordered_with_time_slowest():
    """Contiguous row blocks are time intervals, whatever the array axis of time."""
    ts, xs = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    field = np.add.outer(xs, 10 * ts)  # axes (x, t)
    meas = Measurements({"u": field}, coords={x: xs, t: ts})
    theta = evaluate_terms([U], meas)
    np.testing.assert_allclose(theta[:, 0], np.add.outer(10 * ts, xs).ravel())
    grid = term_grids([U], meas)[0]
    assert grid.shape == (3, 4)
    np.testing.assert_allclose(flatten(meas, grid, trim={t: 1}),
                               np.add.outer(10 * ts[1:3], xs).ravel())
    np.testing.assert_allclose(flatten(meas, grid, trim=1), 10 * ts[1:3] + xs[1])


def test_ode_terms_need_no_derivatives():
    meas = _ode()
    theta = evaluate_terms(candidate_terms(meas, degree=2), meas)
    ts = meas.coords[t]
    np.testing.assert_allclose(theta[:, 4], np.cos(ts) * np.sin(ts))


def test_non_finite_term_raises_data_error():
    meas, _, _ = _wave()
    with pytest.raises(sn.DataError, match=r"the library term log\(u\(t, x\)\) is not finite"):
        evaluate_terms([sp.log(U)], meas)
