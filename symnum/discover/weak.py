"""Weak SINDy: sparse regression on the integral (weak) form of the equations.

Multiply ``u_t = Σ ξ_j ∂^a_j f_j(u)`` by a smooth test function ``φ(x)ψ(t)``
that vanishes with its derivatives at the edge of a small space-time box, and
integrate by parts::

    -∫∫ ψ'(t) φ(x) u  =  Σ_j ξ_j (-1)^|a_j| ∫∫ ψ(t) ∂^a_j φ(x) f_j(u)

No derivative of the (noisy) data is left: only integrals of the fields and of
monomials of them, against known derivatives of the test functions. The noise
averages out inside every integral, which is why the weak form recovers Burgers
at 5–20 % noise where the strong form fails (``discovery.md`` §4.3).

Library (conservative form): ``∂^a f`` with ``f`` a monomial of the fields of
degree 1..``degree`` (times an ``x_terms`` multiplier if given) and ``a`` a
derivative multi-index in space of total order 0..``derivative_order``, plus a
constant. Test functions: separable bumps ``(1 - s²)^p`` per axis on a regular
lattice (:mod:`symnum.discover.testfunctions`); with ``A^(k)`` the weighted
bump-derivative matrix of an axis, the weak column of ``∂_x^k f`` on a
``(t, x)`` grid is ``A_t^(0) F A_x^(k)ᵀ`` and the target is ``A_t^(1) U A_x^(0)ᵀ``.
Rows run over the lattice, time-major. The regression is
:func:`symnum.discover.select.sparse_fit`.

The equations are returned in strong form, ``∂_x(u²)`` expanded to
``2 u u_x`` and like terms collected, ready for ``sn.PDESystem``. The library
and the strong-form conversion are in :mod:`symnum.discover.weak_library`.
"""

from __future__ import annotations

import numbers

import numpy as np
import sympy as sp

from ..errors import DataError, DiscoveryError
from .base import Estimator, datasets
from .testfunctions import (MIN_SUPPORT_SAMPLES, auto_halfwidth, bump_matrices, default_centres,
                            time_test_functions)
from .weak_library import _library, strong_form

__all__ = ["WeakSINDy"]

# Fewer lattice points than this: the lattice is made denser. With ~60 rows (a short ODE
# record) the cross-validation of sparse_fit, five contiguous folds, became erratic on Lorenz.
_MIN_ROWS = 200
# Default bump exponents of the time axis, which carries one derivative (∫ψ u_t = -∫ψ' u).
# Dense uniform times (trapezoid rule): p = 5, so ψ'u vanishes with 3 derivatives at the
# support's edge and the trapezoid error is O(h⁶) (Euler-Maclaurin; p = 3 gives O(h⁴), which
# cost clean data 3 digits), with 21 samples per bump instead of 23 for p = 7. Few or
# irregular times (spline quadrature, exact for any p): p = 3, the lowest with a smooth ψ'
# (ψ' ~ (1 - s)²), the broadest bump for a given support, i.e. the most use of few samples.
_P_TIME, _P_TIME_SPLINE = 5, 3


class WeakSINDy(Estimator):
    """Weak-form SINDy estimator (scikit-learn conventions).

    Parameters
    ----------
    degree : int
        Highest degree of the monomials ``f`` of the fields.
    derivative_order : int, optional
        Highest total order of the space derivatives ``∂^a f``; default 3 for
        PDEs, 0 for ODEs (must be 0 or None there).
    threshold : "auto" or float
        Passed to :func:`~symnum.discover.select.sparse_fit` (``"auto"``:
        cross-validated choice of the sparsity).
    optimizer : {"stlsq", "sr3"}
        Passed to :func:`~symnum.discover.select.sparse_fit`.
    n_subdomains : int or dict, optional
        Number of test-function centres per axis (a dict maps an axis Symbol to
        its count). Default: neighbouring centres half a half-width apart.
    width : float or dict, optional
        Half-width of the test functions as a fraction (0, 0.5) of each axis's
        length (a dict maps an axis Symbol to its fraction). Default: chosen per
        axis from the data's spectrum, see
        :func:`~symnum.discover.testfunctions.auto_halfwidth`.
    p : int or dict, optional
        Exponent of the bumps ``(1 - s²)^p``, one int for every axis or a dict
        axis -> int; must exceed the derivative order moved onto that axis
        (``derivative_order`` in space, 1 in time). Default in space
        ``derivative_order + 4``: the bump's ``k``-th derivative meets the edge of
        its support like ``(1 - s)^(p - k)``, and the trapezoid error of the
        highest-order column falls like ``h^(p - k + 1)``; with ``p - k = 4`` clean
        Burgers, KdV and Kuramoto–Sivashinsky come out exact to 6 digits. Default
        in time 5, or 3 on few or irregular samples (only ``∂_t`` moves there; see
        ``_P_TIME``). Time axes with few
        or irregular samples (down to 5 snapshots) use the cubic-spline quadrature
        of :func:`~symnum.discover.testfunctions.time_test_functions`.
    bias : bool
        Include a constant term.
    x_terms : sequence of sympy.Expr
        Multipliers in the coordinates (e.g. ``[x]``): adds ``∂^a (g f)`` for every
        multiplier ``g`` and monomial ``f`` (``g`` alone when ``bias``).
    mixed : bool
        Include mixed space derivatives (``∂_x ∂_y``) when there are several space axes.

    Attributes
    ----------
    equations_ : list of sympy.Eq
        ``Eq(u(t, x).diff(t), rhs)`` per field, strong form, like terms collected,
        Float coefficients rounded to 6 significant digits.
    terms_ : list of sympy.Expr
        The library in conservative form (``Derivative(u(t, x)**2, x)`` unevaluated).
    coefficients_ : ndarray, shape (n_fields, n_terms)
        Coefficients of ``terms_``.
    selection_ : list of SparseFit
        The regression result per field.
    names_ : list of str
        The fields, in the order of ``equations_`` and ``coefficients_``.
    halfwidth_ : dict
        Axis Symbol -> half-width of the test functions (coordinate units), first data set.
    n_subdomains_ : dict
        Axis Symbol -> number of centres, first data set.
    p_ : dict
        Axis Symbol -> the bump exponent used.
    quadrature_ : dict
        Axis Symbol -> ``"trapezoid"`` or ``"spline"``, first data set.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symnum.discover.measurements import Measurements
    >>> t, x = sp.symbols("t x")
    >>> ts, xs = np.linspace(0, 2, 81), np.linspace(0, 2 * np.pi, 128, endpoint=False)
    >>> U = (np.exp(-0.5 * ts)[:, None] * np.sin(xs)            # u_t = 0.5 u_xx
    ...      + np.exp(-2.0 * ts)[:, None] * np.cos(2 * xs))
    >>> model = WeakSINDy(degree=1, derivative_order=2, bias=False)
    >>> model.fit(Measurements({"u": U}, coords={t: ts, x: xs})).equations_
    [Eq(Derivative(u(t, x), t), 0.5*Derivative(u(t, x), (x, 2)))]
    """

    def __init__(self, degree=2, derivative_order=None, threshold="auto", optimizer="stlsq",
                 n_subdomains=None, width=None, p=None, bias=True, x_terms=(), mixed=True):
        self.degree = degree
        self.derivative_order = derivative_order
        self.threshold = threshold
        self.optimizer = optimizer
        self.n_subdomains = n_subdomains
        self.width = width
        self.p = p
        self.bias = bias
        self.x_terms = x_terms
        self.mixed = mixed

    # -- public API -----------------------------------------------------------
    def fit(self, measurements):
        """Fit to one :class:`~symnum.discover.measurements.Measurements` or a list (rows stacked)."""
        from .select import sparse_fit

        data = _as_list(measurements)
        first = data[0]
        self._setup(first)
        thetas, targets = [], {n: [] for n in first.names}
        for k, meas in enumerate(data):
            theta, lhs, halfwidth, counts, (quad, ps) = self._weak_system(meas)
            if k == 0:
                self.halfwidth_, self.n_subdomains_ = halfwidth, counts
                self.quadrature_, p_fit = quad, ps
            thetas.append(theta)
            for n in first.names:
                targets[n].append(lhs[n])
        theta = np.vstack(thetas)
        self.p_ = p_fit
        self.selection_ = [sparse_fit(theta, np.concatenate(targets[n]), threshold=self.threshold,
                                      optimizer=self.optimizer) for n in first.names]
        self.coefficients_ = np.array([s.coef for s in self.selection_])
        self.equations_ = [sp.Eq(sp.Derivative(first.applied[n], first.t),
                                 strong_form(self.terms_, c))
                           for n, c in zip(first.names, self.coefficients_)]
        return self

    def weak_form(self, measurements):
        """The weak system of ``measurements``: ``(theta, {name: target})``.

        ``theta`` is (n_test_functions, n_terms) with columns in the order of
        ``terms_``; the target of a field is ``∫∫ φψ u_t = -∫∫ φψ' u``. The test
        functions have the fitted half-widths (and counts, when ``n_subdomains``
        was given).
        """
        self._check_fitted()
        meas = _as_list(measurements)[0]
        self._check_compatible(meas)
        theta, lhs = self._weak_system(meas, self.halfwidth_)[:2]
        return theta, lhs

    def predict(self, measurements):
        """Weak-form prediction per field: ``theta @ coef``, one value per test function.

        This is the right-hand side of the weak system, to compare with the
        targets of :meth:`weak_form`, not ``u_t`` at the samples: weak SINDy never
        differentiates the data.
        """
        theta, _ = self.weak_form(measurements)
        return {n: theta @ c for n, c in zip(self._names, self.coefficients_)}

    def score(self, measurements):
        """Mean over fields of the R² of the weak-form prediction against the weak target."""
        theta, lhs = self.weak_form(measurements)
        scores = []
        for n, c in zip(self._names, self.coefficients_):
            b = lhs[n]
            ss = float(np.sum((b - b.mean()) ** 2))
            res = float(np.sum((b - theta @ c) ** 2))
            scores.append(1.0 - res / ss if ss > 0 else float(res == 0))
        return float(np.mean(scores))

    def __repr__(self):
        return (f"WeakSINDy(degree={self.degree}, derivative_order={self.derivative_order}, "
                f"threshold={self.threshold!r}, optimizer={self.optimizer!r}, "
                f"n_subdomains={self.n_subdomains!r}, width={self.width!r}, p={self.p!r})")

    # -- setup ----------------------------------------------------------------
    def _setup(self, meas):
        degree, order = self.degree, self.derivative_order
        if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 1:
            raise DiscoveryError(f"degree must be an int >= 1; got {degree!r}.")
        if order is None:
            order = 0 if meas.is_ode else 3
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 0:
            raise DiscoveryError(f"derivative_order must be an int >= 0 or None; got {order!r}.")
        if meas.is_ode and order:
            raise DiscoveryError(f"derivative_order={order} but the measurements have no space "
                                 "axis (an ODE); leave derivative_order=None.")
        self._order = int(order)
        self.names_ = list(meas.names)
        self._names, self._t, self._space = self.names_, meas.t, list(meas.space)
        self._axes = [meas.t, *meas.space]  # array axis order inside this module
        self.p_ = self._check_p()
        self._width = _per_axis(self.width, self._axes, "width", _check_width)
        self._counts = _per_axis(self.n_subdomains, self._axes, "n_subdomains", _check_count)
        self._multipliers = self._check_multipliers()
        self._library = _library(meas, self.degree, self._order, self.bias, self._multipliers,
                                 self.mixed)
        self.terms_ = [term for term, _, _, _ in self._library]

    def _check_p(self):
        top = {a: 1 if i == 0 else max(self._order, 1) for i, a in enumerate(self._axes)}
        given = _per_axis(self.p, self._axes, "p", lambda a, v: v)
        out = {}
        for a in self._axes:
            if a == self._t and a not in given:  # chosen per data set (see _P_TIME)
                continue
            p = given.get(a, self._order + 4)
            if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p <= top[a]:
                where = "" if not isinstance(self.p, dict) else f" for axis {a}"
                raise DiscoveryError(f"p{where} must be an int greater than the highest "
                                     f"derivative order on the test functions ({top[a]}); "
                                     f"got {p!r}.")
            out[a] = int(p)
        return out

    def _check_multipliers(self):
        out = []
        for g in self.x_terms:
            g = sp.sympify(g)
            extra = g.free_symbols - set(self._axes)
            if extra or g.atoms(sp.Function):
                raise DiscoveryError(f"x_terms entry {g} must be an expression in the coordinates "
                                     f"{self._axes} only; remove {sorted(map(str, extra)) or g}.")
            out.append(g)
        return out

    def _check_fitted(self):
        if not hasattr(self, "coefficients_"):
            raise DiscoveryError("this WeakSINDy is not fitted yet; call fit(measurements) first.")

    def _check_compatible(self, meas):
        if not getattr(meas, "gridded", False):
            raise DataError("weak SINDy integrates over a grid; got scattered measurements. Use "
                            "method=\"pinn\" (or interpolate the points to a grid: "
                            "meas.to_grid({t: nt, x: nx})).")
        if list(meas.names) != self._names or meas.t != self._t or list(meas.space) != self._space:
            raise DataError(f"measurements with fields {list(meas.names)}, time {meas.t} and space "
                            f"{list(meas.space)} do not match the first data set (fields "
                            f"{self._names}, time {self._t}, space {self._space}).")

    # -- the weak system ------------------------------------------------------
    def _weak_system(self, meas, halfwidth=None):
        self._check_compatible(meas)
        values = {n: np.moveaxis(meas.values[n], meas.time_axis, 0) for n in meas.names}
        mats, halfwidths, counts, quad = self._test_functions(meas, values, halfwidth)
        t_mats = [mats[0][0]] + [m[0] for m in mats[1:]]
        lhs = {n: _project(v, [mats[0][1]] + [m[0] for m in mats[1:]]) for n, v in values.items()}
        grids = np.meshgrid(*[meas.coords[a] for a in self._axes], indexing="ij", sparse=True)
        factor = {g: sp.lambdify(self._axes, g, "numpy")(*grids) for g in self._multipliers}
        columns = []
        for _, exponents, g, orders in self._library:
            f = np.ones(values[self._names[0]].shape)
            for n, e in zip(self._names, exponents):
                if e:
                    f = f * values[n] ** e
            if g is not None:
                f = f * factor[g]
            use = list(t_mats)
            for i, k in enumerate(orders):
                use[i + 1] = mats[i + 1][k]
            columns.append(_project(f, use))
        return np.column_stack(columns), lhs, halfwidths, counts, quad

    def _test_functions(self, meas, values, halfwidth):
        arrays = list(values.values())
        mats, halfwidths, counts, quad, ps = [], {}, {}, {}, dict(self.p_)
        for i, a in enumerate(self._axes):
            y = meas.coords[a]
            length = float(y[-1] - y[0])
            quad[a] = "trapezoid"
            if i == 0:  # time: few or irregular snapshots -> spline quadrature
                width = halfwidth[a] / length if halfwidth is not None else self._width.get(a)
                p = self.p_.get(a, _P_TIME)
                ode = not self._space  # ODE rule for the spline width: see time_test_functions
                h, quad[a] = time_test_functions(arrays, y, i, p, f"axis {a}", width, ode)
                if quad[a] == "spline" and a not in self.p_:
                    p = _P_TIME_SPLINE
                    h = time_test_functions(arrays, y, i, p, f"axis {a}", width, ode)[0]
                ps[a] = p
            elif halfwidth is not None:
                h = halfwidth[a]
            elif a in self._width:
                h = self._width[a] * length
            else:
                h = auto_halfwidth(arrays, y, i, self.p_[a], name=f"axis {a}")
            inside = int(np.count_nonzero((y > y[0] + h) & (y < y[-1] - h)))
            if inside < 1 or h <= 0:
                raise DataError(f"axis {a} (from {y[0]:g} to {y[-1]:g}, {y.size} samples) is too "
                                f"short for test functions of half-width {h:g}; pass a smaller "
                                "width or more samples.")
            halfwidths[a] = h
            counts[a] = self._counts.get(a) or min(default_centres(y, h), inside)
        inside = {a: int(np.count_nonzero((meas.coords[a] > meas.coords[a][0] + halfwidths[a])
                                          & (meas.coords[a] < meas.coords[a][-1] - halfwidths[a])))
                  for a in self._axes}
        _densify(counts, self._axes, self._counts, inside)
        for i, a in enumerate(self._axes):
            if i == 1:  # time bumps over wide gaps were dropped: make space up for the rows
                _densify(counts, self._axes[1:], self._counts, inside)
            spline = quad[a] == "spline"
            mats.append(bump_matrices(meas.coords[a], halfwidths[a], counts[a], ps[a],
                                      1 if i == 0 else self._order, quad[a],
                                      MIN_SUPPORT_SAMPLES if spline else 0))
            if mats[-1][0].shape[0] == 0:
                raise DataError(f"axis {a}: no test function of half-width {halfwidths[a]:g} "
                                f"holds {MIN_SUPPORT_SAMPLES} samples; the gaps between the "
                                f"{meas.coords[a].size} samples are too wide. Give more samples.")
            counts[a] = mats[-1][0].shape[0]
        return mats, halfwidths, counts, (quad, ps)


def _densify(counts, axes, fixed, inside):
    """Few rows (short records, ODEs, dropped time bumps): more centres on ``axes``."""
    total = int(np.prod(list(counts.values())))
    if total < _MIN_ROWS:
        scale = (_MIN_ROWS / total) ** (1 / len(axes))
        for a in axes:
            if a not in fixed:
                counts[a] = max(counts[a], min(inside[a], int(np.ceil(counts[a] * scale))))


# -- helpers --------------------------------------------------------------------
def _project(f, mats):
    """Apply ``mats[i]`` along axis ``i`` of ``f``; rows of the result flattened time-major."""
    for i, m in enumerate(mats):
        f = np.moveaxis(np.tensordot(f, m, axes=([i], [1])), -1, i)
    return f.ravel()


def _as_list(measurements):
    data = datasets(measurements, "WeakSINDy.fit")
    for meas in data:
        if not meas.gridded:
            raise DataError("weak SINDy integrates over a grid; got scattered measurements. Use "
                            "method=\"pinn\" (or interpolate the points to a grid: "
                            "meas.to_grid({t: nt, x: nx})).")
    return data


def _check_width(a, w):
    if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 < w < 0.5:
        raise DiscoveryError(f"width for axis {a} must be a fraction of the axis length in "
                             f"(0, 0.5); got {w!r}.")
    return float(w)


def _check_count(a, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise DiscoveryError(f"n_subdomains for axis {a} must be an int >= 1; got {n!r}.")
    return int(n)


def _per_axis(option, axes, name, check):
    """``None`` -> {}; a scalar -> every axis; a dict -> its axes (keys Symbols or names)."""
    if option is None:
        return {}
    if not isinstance(option, dict):
        return {a: check(a, option) for a in axes}
    by_name = {str(a): a for a in axes}
    out = {}
    for key, value in option.items():
        a = by_name.get(str(key))
        if a is None:
            raise DiscoveryError(f"{name} names axis {key!r}, which is not one of the axes "
                                 f"{', '.join(map(str, axes))}.")
        out[a] = check(a, value)
    return out
