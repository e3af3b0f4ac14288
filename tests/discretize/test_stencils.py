"""Fornberg stencils are exact: they differentiate polynomials of their degree exactly."""

import pytest
import sympy as sp

from symnum.discretize.stencils import centered, halfwidth, one_sided, upwind


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("p", [2, 4, 6])
def test_centered_exact_on_polynomials(k, p):
    offs, w = centered(k, p)
    assert len(offs) == 2 * halfwidth(k, p) + 1
    s = sp.Symbol("s")
    # exact for every monomial up to degree k + p - 1 at 0 (unit spacing)
    for deg in range(k + p):
        approx = sum(wi * sp.Integer(o) ** deg for o, wi in zip(offs, w))
        exact = sp.diff(s**deg, s, k).subs(s, 0)
        assert sp.simplify(approx - exact) == 0, (k, p, deg)


@pytest.mark.parametrize("k,p", [(1, 2), (2, 2), (2, 4), (1, 6), (2, 6)])
def test_one_sided_same_order(k, p):
    offs, w = one_sided(k, p, at=0)
    assert offs[0] == 0 and len(offs) == k + p
    for deg in range(k + p):
        approx = sum(wi * sp.Integer(o) ** deg for o, wi in zip(offs, w))
        exact = sp.factorial(k) if deg == k else 0
        assert approx == exact


def test_weights_are_exact_rationals():
    _, w = centered(2, 4)
    assert all(isinstance(v, sp.Rational) for v in w)
    assert w == (sp.Rational(-1, 12), sp.Rational(4, 3), sp.Rational(-5, 2), sp.Rational(4, 3),
                 sp.Rational(-1, 12))


def test_upwind_direction():
    assert upwind(1, -1) == ((-1, 0), (-1, 1))
    assert upwind(1, 1) == ((0, 1), (-1, 1))
    offs, w = upwind(3, -1)
    assert offs == (-2, -1, 0, 1)
