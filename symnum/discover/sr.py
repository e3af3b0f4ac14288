"""Symbolic regression: formulas ``y = f(X)`` found by genetic programming, as SymPy.

:func:`symbolic_regression` works on arrays; :class:`SymbolicRegression` fits
``du/dt = f(u, u_x, ...)`` to :class:`~symnum.discover.measurements.Measurements`.
The engines (pyoperon, PySR) live in :mod:`symnum.discover.sr_engines`.

Every Pareto member the engine returns is cleaned the same way:

1. ``sympy.expand``;
2. floats rounded to 6 significant digits (a whole number becomes an Integer);
3. tiny terms dropped: in every sum, a term whose RMS over the data is below
   ``1e-6`` times the RMS of the largest term of that sum; in the outermost sum
   also a term whose RMS is below ``0.1`` times the member's RMS residual (it
   cannot be told from the fitting error, and dropping it raises the mean squared
   error by about 1 %);
4. :func:`symnum.simplify.simplify` (``cost="ops"``, opaque leaves, bounded to
   0.5 s and 2000 e-graph nodes of saturation) on the members of the front when
   ``simplify=True``; the cleaned form is kept on :class:`SimplifyError`.

Its loss is then the mean squared error of the cleaned formula on the data, and its
complexity the number of nodes of the SymPy tree. ``best`` is chosen by PySR's
``model_selection="best"`` rule on that front: among members whose loss is at most
1.5 times the smallest (losses floored at ``1e-9 mean(y**2)``, below which the
rounding in step 2 dominates), the one with the largest drop of ``log(loss)`` per unit of
complexity from the previous member.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..errors import DataError, DiscoveryError
from .base import Estimator, datasets
from .sr_engines import (LOSS_FLOOR, check_operators, clean, complexity, evaluate, front_of,
                         resolve_engine, run_engine, scored, select, simplified)

__all__ = ["SRResult", "symbolic_regression", "SymbolicRegression", "complexity"]


@dataclass(frozen=True)
class SRResult:
    """Outcome of :func:`symbolic_regression`.

    Attributes
    ----------
    best : sympy.Expr
        The selected formula, in the caller's ``symbols``.
    pareto : list of (int, float, sympy.Expr)
        ``(complexity, loss, expr)`` sorted by complexity, each strictly more
        accurate than every simpler member; loss is the mean squared error on the data.
    engine : str
        ``"pyoperon"`` or ``"pysr"``.
    loss, complexity : float, int
        Those of ``best``.
    symbols : tuple
        The caller's symbols, in column order of ``X``.
    model : object
        The fitted engine estimator (``pyoperon.sklearn.SymbolicRegressor`` or
        ``pysr.PySRRegressor``).
    """

    best: sp.Expr
    pareto: list
    engine: str
    loss: float
    complexity: int
    symbols: tuple
    model: object = field(default=None, repr=False, compare=False)

    def predict(self, X, expr=None) -> np.ndarray:
        """Evaluate ``expr`` (default ``best``) on the rows of ``X`` (n, k)."""
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        return evaluate(self.best if expr is None else expr, self.symbols, X)


def symbolic_regression(X, y, symbols, *, engine="auto", max_length=20, generations=None,
                        population_size=None, operators=("add", "sub", "mul", "div"),
                        max_time=None, seed=0, threads=None, simplify=True,
                        optimizer_iterations=10) -> SRResult:
    """Search formulas ``y ~ f(X)`` and return the Pareto front as SymPy.

    Parameters
    ----------
    X : array_like, shape (n, k)
        Inputs, one column per symbol (a 1-D array is one column). Copied into a
        writeable float64 array (read-only views are accepted).
    y : array_like, shape (n,)
        Target.
    symbols : sequence of sympy.Expr or str
        What each column of ``X`` stands for: Symbols, or any SymPy leaves
        (``u(t, x)``, ``Derivative(u(t, x), x)``); strings become Symbols.
    engine : {"auto", "pyoperon", "pysr"}
        ``"auto"``: PySR when a Julia executable (``PYTHON_JULIACALL_EXE``,
        ``JULIA`` or ``julia`` on PATH) and the pysr package exist, else pyoperon.
    max_length : int
        Largest expression (nodes; PySR ``maxsize``).
    generations, population_size : int, optional
        pyoperon generations and population (default 200 and 500); PySR
        ``niterations`` and ``population_size`` (default PySR's own).
    operators : sequence of str
        From :data:`~symnum.discover.sr_engines.OPERATORS` (``"exp"``, ``"sin"``,
        ``"square"``...); constants and variables are always allowed.
    max_time : float, optional
        Wall-clock bound in seconds (pyoperon ``max_time``, rounded up to whole
        seconds; PySR ``timeout_in_seconds``). The search also stops after
        ``generations``.
    seed : int or None
        Random seed. With a seed pyoperon is reproducible for any ``threads``;
        PySR runs ``deterministic=True, parallelism="serial"``.
    threads : int, optional
        Worker threads (pyoperon ``n_threads``, PySR ``procs``); default 1.
    simplify : bool
        Pass each formula through :func:`symnum.simplify.simplify`.
    optimizer_iterations : int
        Levenberg-Marquardt (pyoperon) / BFGS (PySR) iterations per coefficient fit.

    Returns
    -------
    SRResult

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0.5, 3, size=(200, 2))
    >>> res = symbolic_regression(X, 3 * X[:, 0] * X[:, 1], [x, y], engine="pyoperon",
    ...                           generations=20, population_size=100, threads=1)
    >>> res.best
    3*x*y
    """
    X, y, syms = _as_arrays(X, y, symbols)
    name = resolve_engine(engine)
    opts = _options(name, operators, max_length, generations, population_size, max_time,
                    seed, threads, optimizer_iterations)
    run = run_engine(name, X, y, X.shape[1], opts)
    variables = sp.symbols(f"v0:{X.shape[1]}")
    members = []
    for i, raw in enumerate(run.exprs):
        if raw is sp.nan or raw.has(sp.nan, sp.zoo, sp.oo):
            continue
        engine_pred = np.asarray(run.predict(X, i), dtype=np.float64).reshape(-1)
        members.append(scored(clean(raw, variables, X, y, engine_pred), variables, X, y))
    front = front_of([m for m in members if np.isfinite(m[1])])
    if simplify:  # after the front is known: the simplifier costs ~0.1-1 s a formula
        front = front_of([scored(simplified(e), variables, X, y) for _, _, e in front])
    if not front:
        raise DiscoveryError(f"{name} returned no formula that is finite on the data; check "
                             "X and y for extreme values, or allow other operators=.")
    floor = LOSS_FLOOR * max(float(np.mean(y ** 2)), 1e-300)
    k = select(front, floor, float(np.var(y)))
    back = dict(zip(variables, syms))
    pareto = [(c, loss, e.xreplace(back)) for c, loss, e in front]
    c, loss, best = pareto[k]
    return SRResult(best, pareto, name, loss, c, tuple(syms), run.model)


def _as_arrays(X, y, symbols):
    X = np.array(X, dtype=np.float64, copy=True)  # writeable, owned: pyoperon needs both
    y = np.array(y, dtype=np.float64, copy=True).reshape(-1)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DiscoveryError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}.")
    if X.shape[0] != y.shape[0]:
        raise DiscoveryError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values; pass one "
                             "target value per row of X.")
    if isinstance(symbols, (str, sp.Basic)):
        symbols = [symbols]
    syms = [sp.Symbol(s) if isinstance(s, str) else sp.sympify(s) for s in symbols]
    if len(syms) != X.shape[1]:
        raise DiscoveryError(f"{len(syms)} symbols {syms} for {X.shape[1]} columns of X; give "
                             "one symbol per column.")
    if len(set(syms)) != len(syms):
        raise DiscoveryError(f"symbols repeat: {syms}; give distinct symbols.")
    if X.shape[0] < 3:
        raise DataError(f"symbolic regression needs at least 3 samples; got {X.shape[0]}.")
    for what, arr in (("X", X), ("y", y)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise DataError(f"{what} has {bad} NaN/inf value(s); remove those rows first.")
    return np.ascontiguousarray(X), y, syms


def _options(engine, operators, max_length, generations, population_size, max_time, seed,
             threads, optimizer_iterations) -> dict:
    ops = check_operators(operators, engine)
    for nm, val, lo in (("max_length", max_length, 3), ("generations", generations, 1),
                        ("population_size", population_size, 2), ("threads", threads, 1),
                        ("optimizer_iterations", optimizer_iterations, 0)):
        if val is None and nm not in ("max_length", "optimizer_iterations"):
            continue
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
            raise DiscoveryError(f"{nm}={val!r} must be an integer >= {lo}.")
    if max_time is not None and not (isinstance(max_time, (int, float)) and max_time > 0):
        raise DiscoveryError(f"max_time={max_time!r} must be a positive number of seconds or None.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise DiscoveryError(f"seed={seed!r} must be an integer or None.")
    return dict(operators=ops, max_length=int(max_length), generations=generations,
                population_size=population_size, max_time=max_time, seed=seed,
                threads=int(threads or 1), optimizer_iterations=int(optimizer_iterations))


#: share of each non-periodic axis trimmed at both ends with ``trim="auto"`` (as SINDy)
TRIM_FRACTION = 0.05


class SymbolicRegression(Estimator):
    """Symbolic regression of each field's time derivative: ``du/dt = f(u, u_x, ...)``.

    The target is ``meas.derivative(name, t, method=derivative)``; the features
    are the fields, their space derivatives ``∂^k u/∂x^k`` (k = 1..derivative_order,
    each space axis) and, with ``x_terms=True``, the space coordinates. Rows near the
    ends of each non-periodic axis are trimmed (derivative estimates are worst
    there) and at most ``max_samples`` rows, drawn with ``seed``, go to the search.

    Parameters
    ----------
    engine, operators, max_length, generations, population_size, max_time, seed, threads, simplify
        As in :func:`symbolic_regression`.
    derivative_order : int, optional
        Highest space derivative offered as a feature; default 0 for ODEs, 3 for PDEs.
    x_terms : bool
        Offer the space coordinates as features.
    derivative : str
        Derivative method for the data (``"auto"``, ``"fd"``, ``"savgol"``, ``"spline"``,
        ``"spectral"``); ``derivative_options`` are passed with it.
    trim : "auto" or int
        Samples dropped at both ends of each axis; ``"auto"``: 5 % of the axis and at
        least 2 (none on periodic axes).
    max_samples : int
        Rows used by the search (random subset when there are more).

    Attributes
    ----------
    equations_ : list of sympy.Eq
        ``Eq(Derivative(u(t, ...), t), f)`` per field.
    pareto_ : dict
        Field name -> ``[(complexity, loss, expr), ...]``.
    results_ : dict
        Field name -> :class:`SRResult`.
    features_ : list of sympy.Expr
        The feature expressions, in column order.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from symnum.discover.measurements import Measurements
    >>> t = sp.Symbol("t"); ts = np.linspace(0, 2, 101)
    >>> meas = Measurements({"y": np.exp(-1.5 * ts)}, coords={t: ts})
    >>> model = SymbolicRegression(engine="pyoperon", generations=10, population_size=50,
    ...                            threads=1).fit(meas)
    >>> model.equations_
    [Eq(Derivative(y(t), t), -1.5*y(t))]
    """

    def __init__(self, engine="auto", operators=("add", "sub", "mul", "div"), max_length=20,
                 generations=None, population_size=None, max_time=None, derivative_order=None,
                 x_terms=False, derivative="auto", derivative_options=None, trim="auto",
                 max_samples=2000, seed=0, threads=None, simplify=True):
        self.engine = engine
        self.operators = operators
        self.max_length = max_length
        self.generations = generations
        self.population_size = population_size
        self.max_time = max_time
        self.derivative_order = derivative_order
        self.x_terms = x_terms
        self.derivative = derivative
        self.derivative_options = derivative_options
        self.trim = trim
        self.max_samples = max_samples
        self.seed = seed
        self.threads = threads
        self.simplify = simplify

    def _features(self, meas):
        order = self.derivative_order
        order = (0 if meas.is_ode else 3) if order is None else order
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
            raise DiscoveryError(f"derivative_order={order!r} must be an integer >= 0 or None.")
        feats = []
        for name in meas.names:
            u = meas.applied[name]
            feats.append(u)
            feats += [sp.Derivative(u, (a, k)) for a in meas.space for k in range(1, order + 1)]
        return feats + (list(meas.space) if self.x_terms else [])

    def _trim(self, meas):
        if self.trim != "auto":
            if isinstance(self.trim, bool) or not isinstance(self.trim, (int, np.integer)) \
                    or self.trim < 0:
                raise DiscoveryError(f"trim={self.trim!r} must be 'auto' or an integer >= 0.")
            return int(self.trim)
        out = {}
        for a in meas.axes:
            n = meas.coords[a].size
            k = 0 if a in meas.periodic else max(2, int(TRIM_FRACTION * n))
            out[a] = k if 2 * k < n - 2 else max(0, (n - 3) // 2)
        return out

    def _grids(self, meas, feats):
        from .library import term_grids

        return term_grids(feats, meas, self.derivative, **(self.derivative_options or {}))

    def _target(self, meas, name):
        return meas.derivative(name, meas.t, method=self.derivative,
                               **(self.derivative_options or {}))

    def fit(self, meas):
        """Search one formula per field of ``meas`` (a Measurements or a list of them)."""
        from .library import flatten

        items = datasets(meas, "SymbolicRegression.fit")
        first = items[0]
        if isinstance(self.max_samples, bool) or not isinstance(self.max_samples, (int, np.integer)) \
                or self.max_samples < 10:
            raise DiscoveryError(f"max_samples={self.max_samples!r} must be an integer >= 10.")
        feats = self._features(first)
        X, Y = [], []
        for m in items:
            trim = self._trim(m)
            X.append(np.column_stack([flatten(m, g, trim) for g in self._grids(m, feats)]))
            Y.append(np.column_stack([flatten(m, self._target(m, n), trim) for n in m.names]))
        X, Y = np.vstack(X), np.vstack(Y)
        if X.shape[0] > self.max_samples:
            rows = np.random.default_rng(self.seed).choice(X.shape[0], self.max_samples,
                                                           replace=False)
            X, Y = X[np.sort(rows)], Y[np.sort(rows)]
        opts = dict(engine=self.engine, max_length=self.max_length, generations=self.generations,
                    population_size=self.population_size, operators=self.operators,
                    max_time=self.max_time, seed=self.seed, threads=self.threads,
                    simplify=self.simplify)
        self.results_ = {}
        for i, name in enumerate(first.names):
            self.results_[name] = symbolic_regression(X, Y[:, i], feats, **opts)
        self.features_ = feats
        self.names_ = list(first.names)
        self.pareto_ = {n: r.pareto for n, r in self.results_.items()}
        self.equations_ = [sp.Eq(sp.Derivative(first.applied[n], first.t), self.results_[n].best)
                           for n in self.names_]
        return self

    def _check_fitted(self):
        if not hasattr(self, "results_"):
            raise DiscoveryError("this SymbolicRegression is not fitted yet; call "
                                 "fit(measurements) first.")

    def predict(self, meas):
        """Predicted ``du/dt`` of each field on the samples of ``meas`` (name -> array)."""
        self._check_fitted()
        X = np.column_stack([g.reshape(-1) for g in self._grids(meas, self.features_)])
        return {n: r.predict(X).reshape(meas.shape) for n, r in self.results_.items()}

    def score(self, meas):
        """Mean over fields of the R² of the predicted ``du/dt`` (trimmed samples)."""
        from .library import flatten

        pred = self.predict(meas)
        trim = self._trim(meas)
        scores = []
        for name in self.names_:
            y = flatten(meas, self._target(meas, name), trim)
            p = flatten(meas, pred[name], trim)
            total = float(np.sum((y - y.mean()) ** 2))
            scores.append(1.0 - float(np.sum((y - p) ** 2)) / total if total > 0
                          else float(np.allclose(y, p)))
        return float(np.mean(scores))

    def __repr__(self):
        return (f"SymbolicRegression(engine={self.engine!r}, operators={tuple(self.operators)}, "
                f"max_length={self.max_length}, derivative={self.derivative!r})")
