"""Strong-form SINDy (PDE-FIND for space-time fields): ``u_t = Θ(u, u_x, ...) ξ``.

Each field's time derivative is estimated from the data, the candidate terms
(:mod:`symnum.discover.library`) are evaluated on the same samples, and a
sparse ``ξ`` is found by :func:`symnum.discover.select.sparse_fit` (threshold
chosen by cross-validation unless given).

References: Brunton, Proctor & Kutz, PNAS 113 (2016) 3932 (SINDy); Rudy,
Brunton, Proctor & Kutz, Sci. Adv. 3 (2017) e1602614 (PDE-FIND).

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symnum.discover.measurements import Measurements
>>> t = sp.Symbol("t")
>>> ts = np.linspace(0, 2, 201)
>>> meas = Measurements({"y": np.exp(-1.5 * ts)}, coords={t: ts})
>>> SINDy(degree=2).fit(meas).equations_
[Eq(Derivative(y(t), t), -1.5*y(t))]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import DiscoveryError
from .base import Estimator, datasets
from .library import candidate_terms, flatten, term_grids
from .select import check_options, sparse_fit

__all__ = ["SINDy"]

#: share of each non-periodic axis trimmed at both ends with ``trim="auto"``.
TRIM_FRACTION = 0.05


def _round(c, digits=6):
    return float(f"{c:.{digits}g}")


class SINDy(Estimator):
    """Sparse identification of ``du/dt = f(u, u_x, ...)`` from measurements.

    Parameters
    ----------
    degree : int
        Highest degree of the field monomials in the default library.
    derivative_order : int, optional
        Highest space-derivative order (default 0 for ODE data, 3 for PDE data).
    terms : list of sympy.Expr, optional
        Use exactly these library terms instead of the default library.
    threshold : "auto" or float
        Sparsity threshold in normalised units (the share of ``u_t`` a term must
        carry), or ``"auto"``: cross-validated choice, see
        :mod:`symnum.discover.select`.
    optimizer : {"stlsq", "sr3"}
        Sparse regression (pysindy ``STLSQ`` or ``SR3`` with L0 penalty).
    derivative : {"auto", "fd", "savgol", "spline", "spectral"}
        How derivatives are estimated (:func:`symnum.discover.derivatives.differentiate`);
        ``"auto"`` uses finite differences on clean data and smoothing on noisy data.
    x_terms, extra, bias
        Library options, see :func:`symnum.discover.library.candidate_terms`.
    max_terms : int, optional
        Most terms per equation.
    trim : "auto", int or dict
        Samples dropped at each end of every axis before the regression, where
        derivative estimates are one-sided and least accurate. ``"auto"``:
        5 % of the samples, at least 2 and at least half the Savitzky–Golay
        window (a given ``window`` on every axis, a chosen one on time), on each
        non-periodic axis; none on periodic ones.
    derivative_options : dict, optional
        Passed to the differentiation (``window=``, ``smoothing=``, ``accuracy=``).
    fields : str or list of str, optional
        Fit equations for these fields only (the library may still use every
        field); default all.

    Notes
    -----
    Smoothing of noisy time series. When the time derivative is smoothed by a
    Savitzky–Golay filter (``derivative="savgol"``, or ``"auto"`` on a noisy,
    uniform time axis) and no ``window`` is given, each field's window is
    chosen among 8 log-spaced odd lengths (7 to a fifth of the samples): the
    model selected with each window is scored by how well it predicts the
    derivative from the narrowest window (nearly unbiased; its noise is the
    same for every candidate), and the best-scoring window wins
    (``windows_``). The library (fields and space derivatives) is evaluated
    once, with ``derivative_options``.

    Attributes
    ----------
    equations_ : list of sympy.Eq
        ``Eq(u(t, x).diff(t), rhs)`` per field; coefficients rounded to 6 digits.
    coefficients_ : ndarray, shape (n_fields, n_terms)
    terms_ : list of sympy.Expr
    selection_ : dict
        Field name -> :class:`~symnum.discover.select.SparseFit`.
    names_ : list of str
    windows_ : dict
        Field name -> time-derivative smoothing window chosen (None: default).
    """

    def __init__(self, degree=2, derivative_order=None, terms=None, threshold="auto",
                 optimizer="stlsq", derivative="auto", x_terms=(), extra=(), bias=True,
                 max_terms=None, trim="auto", derivative_options=None, fields=None):
        self.degree = degree
        self.derivative_order = derivative_order
        self.terms = terms
        self.threshold = threshold
        self.optimizer = optimizer
        self.derivative = derivative
        self.x_terms = x_terms
        self.extra = extra
        self.bias = bias
        self.max_terms = max_terms
        self.trim = trim
        self.derivative_options = derivative_options
        self.fields = fields

    # -- helpers ---------------------------------------------------------------
    def _options(self):
        from .derivatives import METHODS

        if self.derivative not in METHODS:
            raise DiscoveryError(f"unknown derivative method {self.derivative!r}; choose one of "
                                 f"{', '.join(map(repr, METHODS))}.")
        opts = self.derivative_options or {}
        if not isinstance(opts, dict):
            raise DiscoveryError(f"derivative_options must be a dict (e.g. {{'window': 21}}); "
                                 f"got {opts!r}.")
        return opts

    def _trim(self, meas, window=None):
        trim = self.trim
        if isinstance(trim, dict):
            return {meas._axis_sym(k): int(v) for k, v in trim.items()}
        if isinstance(trim, (int, np.integer)) and not isinstance(trim, bool) and trim >= 0:
            return int(trim)
        if trim != "auto":
            raise DiscoveryError(f"trim must be 'auto', an int >= 0 or a dict axis -> int; "
                                 f"got {trim!r}.")
        given = int(self._options().get("window") or 0)  # smooths every axis
        out = {}
        for a in meas.axes:
            n = meas.coords[a].size
            w = max(given, int(window or 0) if a == meas.t else 0)  # window: time only
            out[a] = 0 if a in meas.periodic else max(2, int(TRIM_FRACTION * n), w // 2)
            if 2 * out[a] >= n - 2:
                out[a] = max(0, (n - 3) // 2)
        return out

    def _fields(self, meas):
        if self.fields is None:
            return list(meas.names)
        fields = [self.fields] if isinstance(self.fields, str) else list(self.fields)
        unknown = [f for f in fields if f not in meas.names]
        if unknown or not fields:
            raise DiscoveryError(f"fields={self.fields!r}: the measurements have fields "
                                 f"{', '.join(meas.names)}.")
        return fields

    def _opts(self, window):
        opts = dict(self._options())
        if window is not None:
            opts["window"] = int(window)
        return opts

    def _library(self, items, terms, trim_window=None):
        return np.vstack([np.column_stack([flatten(m, g, self._trim(m, trim_window)) for g in
                                           term_grids(terms, m, self.derivative, **self._options())])
                          for m in items])

    def _targets(self, items, window=None, trim_window=None):
        return np.vstack([np.column_stack([
            flatten(m, m.derivative(n, m.t, method=self.derivative, **self._opts(window)),
                    self._trim(m, trim_window or window)) for n in self.names_]) for m in items])

    def _windows(self, items, terms):
        """Time-derivative smoothing windows to compare, or [] when there is no smoothing."""
        from .derivatives import choose_method

        if self.derivative not in ("auto", "savgol") or "window" in self._options():
            return []
        meas = items[0]
        if self.derivative == "auto" and not any(
                choose_method(meas.values[n], meas.coords[meas.t], meas.time_axis)[0] == "savgol"
                for n in meas.names):
            return []
        top = max(7, min(m.coords[m.t].size for m in items) // 5)
        return sorted({int(w) // 2 * 2 + 1 for w in np.geomspace(7, top, 8)})

    @staticmethod
    def _as_list(meas):
        return datasets(meas, "SINDy.fit")

    # -- estimator API ---------------------------------------------------------
    def fit(self, meas):
        """Fit one equation per field to ``meas`` (a Measurements or a list of them)."""
        check_options(self.threshold, self.optimizer, max_terms=self.max_terms)
        self._options()
        items = self._as_list(meas)
        first = items[0]
        self._trim(first)
        if self.terms is not None:
            terms = [sp.sympify(term) for term in self.terms]
            if not terms:
                raise DiscoveryError("terms= is empty; pass library terms or leave it None.")
        else:
            terms = candidate_terms(first, self.degree, self.derivative_order, self.x_terms,
                                    self.bias, self.extra)
        self.terms_ = terms
        self.names_ = self._fields(first)
        self.windows_ = self._choose_windows(items, terms)
        self.selection_ = {}
        self.coefficients_ = np.zeros((len(self.names_), len(terms)))
        for window in dict.fromkeys(self.windows_.values()):
            theta = self._library(items, terms, window)
            ys = self._targets(items, window)
            for i, name in enumerate(self.names_):
                if self.windows_[name] == window:
                    fit = self._fit(theta, ys[:, i], name)
                    self.selection_[name] = fit
                    self.coefficients_[i] = fit.coef
        self.applied_ = dict(first.applied)
        self.t_ = first.t
        self.equations_ = [self._equation(i, name) for i, name in enumerate(self.names_)]
        return self

    def _fit(self, theta, y, name):
        try:
            return sparse_fit(theta, y, threshold=self.threshold, optimizer=self.optimizer,
                              max_terms=self.max_terms)
        except DiscoveryError as exc:
            raise DiscoveryError(f"field {name}: {exc}") from None

    def _choose_windows(self, items, terms):
        """Per field, the smoothing window whose model best predicts a low-bias derivative.

        Wider windows lower the noise of the derivative estimates but bias them
        (peaks flattened), and spurious terms can fit that bias, so a model's own
        residual is no guide. Each window's model is instead scored against the
        derivative from the narrowest window: nearly unbiased, and its noise does
        not depend on the window being scored, so it adds the same amount to every
        score (a Savitzky–Golay first derivative gives the centre sample zero
        weight, so this noise is also independent of the library row).
        """
        windows = self._windows(items, terms)
        if len(windows) < 2:
            return {name: (windows or [None])[0] for name in self.names_}
        theta = self._library(items, terms, windows[-1])
        reference = self._targets(items, windows[0], windows[-1])
        scores = {name: {} for name in self.names_}
        for window in windows:
            ys = self._targets(items, window, windows[-1])
            for i, name in enumerate(self.names_):
                try:
                    fit = self._fit(theta, ys[:, i], name)
                except DiscoveryError:
                    continue
                scores[name][window] = float(np.linalg.norm(reference[:, i] - theta @ fit.coef))
        return {name: min(score, key=score.get, default=None) for name, score in scores.items()}

    def _equation(self, i, name):
        rhs = sp.Add(*[sp.Float(_round(c)) * term
                       for c, term in zip(self.coefficients_[i], self.terms_) if c != 0])
        return sp.Eq(sp.Derivative(self.applied_[name], self.t_), rhs)

    def _window(self, meas, name):
        """The window chosen for ``name`` if it fits the axes of ``meas``, else None (default)."""
        window = self.windows_.get(name)
        return window if window is not None and window <= min(meas.shape) else None

    def _check_fitted(self):
        if not hasattr(self, "coefficients_"):
            raise DiscoveryError("this SINDy is not fitted yet; call fit(measurements) first.")

    def predict(self, meas):
        """Predicted ``du/dt`` of each field on the samples of ``meas`` (name -> array).

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> from symnum.discover.measurements import Measurements
        >>> t = sp.Symbol("t"); ts = np.linspace(0, 1, 101)
        >>> meas = Measurements({"y": np.exp(2 * ts)}, coords={t: ts})
        >>> model = SINDy(degree=1).fit(meas)
        >>> bool(np.allclose(model.predict(meas)["y"], 2 * meas["y"], rtol=1e-4))
        True
        """
        self._check_fitted()
        out = {}
        for i, name in enumerate(self.names_):
            support = np.flatnonzero(self.coefficients_[i])
            grids = term_grids([self.terms_[j] for j in support], meas, self.derivative,
                               **self._options())
            out[name] = sum((self.coefficients_[i, j] * g for j, g in zip(support, grids)),
                            np.zeros(meas.shape))
        return out

    def score(self, meas):
        """Mean over fields of the R² of the predicted ``du/dt`` (trimmed samples)."""
        self._check_fitted()
        pred = self.predict(meas)
        scores = []
        for name in self.names_:
            window = self._window(meas, name)
            trim = self._trim(meas, window)
            y = flatten(meas, meas.derivative(name, meas.t, method=self.derivative,
                                              **self._opts(window)), trim)
            p = flatten(meas, pred[name], trim)
            total = float(np.sum((y - y.mean()) ** 2))
            scores.append(1.0 - float(np.sum((y - p) ** 2)) / total if total > 0 else
                          float(np.allclose(y, p)))
        return float(np.mean(scores))

    def __repr__(self):
        return (f"SINDy(degree={self.degree}, derivative_order={self.derivative_order}, "
                f"threshold={self.threshold!r}, optimizer={self.optimizer!r}, "
                f"derivative={self.derivative!r})")
