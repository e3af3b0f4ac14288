"""Hidden-term PINN (UPINN): learn the missing term of a known model, then name it.

The user writes the physics they know and an undefined function for the part
they do not, e.g. Lotka–Volterra with unknown interactions::

    Eq(x(t).diff(t), 1.3*x(t) + F(x(t), y(t))),  Eq(y(t).diff(t), -1.8*y(t) + G(x(t), y(t)))

:class:`HiddenPINN` trains a surrogate network ``u_θ(t[, x])`` of the fields
and one network ``F_φ`` per hidden function together, on

``L = λ_d mean((u_θ - u_obs)/s_u)² + λ_r mean((lhs - rhs)[u_θ, F_φ]/s_r)²``

(data at the measurements, residual at dense collocation points that need no
data; derivatives by ``torch.autograd``), Adam then L-BFGS. It then samples
``F_φ`` on the learned trajectory at the collocation points and runs
:func:`symnum.discover.sr.symbolic_regression` on the samples, which names
the term (Podina, Eastman, Kohandel, ICML 2023; the paper uses AI Feynman for
this step). The equation parsing is in :mod:`symnum.discover.pinn_parse`
(no torch); the networks and the training loop are in
:mod:`symnum.discover.pinn_nets`.

Hidden-function arguments may be fields (``x(t)``), their derivatives
(``u(t, x).diff(x)``) or the coordinates (``x``); a PDE such as
``Eq(u(t, x).diff(t), 0.1*u(t, x).diff(x, 2) + N(u(t, x), u(t, x).diff(x)))``
is written the same way. Fields without measurements are allowed (only the
equations constrain them). The regression's formulas are pruned and one is
chosen with the accuracy of the learned term in mind (:func:`choose`).

Measured (``tests/discover/test_pinn.py``, defaults, one CPU thread): the
Lotka–Volterra interactions from 20 samples per species with 1 % noise come
out as ``-0.892 x y`` and ``0.807 x y`` (true 0.9 and 0.8) in about 25 s;
Burgers' ``-u u_x`` from 9 x 64 samples with 1 % noise as ``-0.964 u u_x``
(2200 steps, 512 collocation points) in about 30 s.
"""

from __future__ import annotations

import importlib.util
import inspect
import os

import numpy as np
import sympy as sp

from ..errors import DataError, DiscoveryError
from .base import Estimator
from .pinn_parse import Hidden, Plan, parse_equations

__all__ = ["HiddenPINN", "parse_equations", "Plan", "Hidden"]


def _points(plan: Plan, meas):
    if not all(hasattr(meas, a) for a in ("names", "axes", "coords", "values", "gridded")):
        raise DataError(f"expected a symnum Measurements, got {type(meas).__name__}; build one "
                        "with sn.Measurements({'x': X, 'y': Y}, coords={t: ts}).")
    axes = [a.name for a in meas.axes]
    if sorted(axes) != sorted(c.name for c in plan.coords):
        raise DataError(f"the measurements have coordinates ({', '.join(axes)}) but the fields "
                        f"are functions of ({', '.join(c.name for c in plan.coords)}).")
    if meas.gridded:
        grids = np.meshgrid(*[np.asarray(meas.coords[a], float) for a in meas.axes], indexing="ij")
        cols = {a.name: g.ravel() for a, g in zip(meas.axes, grids)}
    else:
        cols = {a.name: np.asarray(meas.coords[a], float).ravel() for a in meas.axes}
    return np.stack([cols[c.name] for c in plan.coords], axis=1)


def measurement_arrays(plan: Plan, meas):
    """``(points, values, measured)``: coordinates ``(n, n_coords)`` in the fields' argument
    order, values ``(n, n_measured)``, and the indices of the measured fields."""
    points = _points(plan, meas)
    unknown = [n for n in meas.names if n not in plan.fields]
    if unknown:
        raise DataError(f"measured field(s) {', '.join(unknown)} are not fields of the equations "
                        f"({', '.join(plan.fields)}); rename them or add their equations.")
    measured = [i for i, f in enumerate(plan.fields) if f in meas.names]
    values = np.stack([np.asarray(meas.values[plan.fields[i]], float).ravel() for i in measured],
                      axis=1)
    return points, values, measured


def _rms(v) -> float:
    return float(np.sqrt(np.mean(np.square(v))))


def prune(expr, X, y, evaluate, tolerance):
    """Backward elimination on the summands of ``expr``: refit their coefficients by least
    squares, then drop, one at a time, the summand whose removal raises the relative RMS error
    least, while it stays within ``tolerance`` of the refitted full sum's error (collinear
    summands that cancel along the trajectory go together). ``evaluate(X, expr)`` gives an
    expression's values at the rows of ``X``."""
    bases = [b for _, b in (a.as_coeff_Mul() for a in sp.Add.make_args(sp.expand(expr)))]
    cols = np.stack([np.broadcast_to(np.asarray(evaluate(X, b), float), y.shape)
                     for b in bases], axis=1)
    scale = _rms(y) or 1.0

    def fit(keep):
        coef = np.linalg.lstsq(cols[:, keep], y, rcond=None)[0]
        return _rms(cols[:, keep] @ coef - y) / scale, coef

    keep = list(range(len(bases)))
    limit, coef = fit(keep)
    limit += tolerance
    while len(keep) > 1:
        trials = [(*fit([j for j in keep if j != k]), k) for k in keep]
        error, c, k = min(trials, key=lambda trial: trial[0])
        if error > limit:
            break
        keep.remove(k)
        coef = c
    return sp.Add(*[sp.Float(float(f"{c:.6g}")) * bases[j] for c, j in zip(coef, keep)])


def choose(result, X, y, tolerance):
    """The formula for a hidden term from the regression's Pareto front.

    Each member is pruned (:func:`prune`) and scored by its relative RMS error
    ``e`` on the samples; the simplest member with ``e <= min(e) + tolerance``
    wins. Why: the samples come from a network that matches the true term only
    to a few per cent, so members more accurate than that fit the network's
    error, not the physics. ``tolerance`` should be about that accuracy.
    """
    scale = _rms(y) or 1.0
    members = []
    for _, _, expr in result.pareto:
        expr = prune(expr, X, y, result.predict, tolerance)
        members.append((_rms(result.predict(X, expr) - y) / scale, expr))
    best = min(e for e, _ in members)
    return next(expr for e, expr in members if e <= best + tolerance)


def _torch_side():
    if importlib.util.find_spec("torch") is None:
        raise DiscoveryError('HiddenPINN needs torch, which is not installed: '
                             'pip install "symnum[torch]".') from None
    from . import pinn_nets

    return pinn_nets


def _count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DiscoveryError(f"{name}={value!r} must be an integer >= {minimum}.")
    return int(value)


def _layers(name, value):
    if not isinstance(value, (tuple, list)) or not value:
        raise DiscoveryError(f"{name}={value!r} must be a non-empty tuple of layer widths, "
                             "e.g. (32, 32).")
    return tuple(_count(f"{name} entry", w, 1) for w in value)


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < np.inf:
        raise DiscoveryError(f"{name}={value!r} must be a positive number.")
    return float(value)


def _learning_rate(lr):
    from ..neural.errors import NeuralError
    from ..neural.schedules import ExponentialDecay, as_schedule

    if lr is None:
        return ExponentialDecay(2e-3, 2e-4, steps=3000)
    try:
        schedule = as_schedule(lr)
    except NeuralError:
        schedule = None
    if schedule is None or not schedule(0) > 0:
        raise DiscoveryError(f"lr={lr!r} must be a positive number or a symnum.neural schedule, "
                             "e.g. lr=1e-3 or lr=ExponentialDecay(2e-3, 2e-4, steps=3000).")
    return schedule


class HiddenPINN(Estimator):
    """Learn the hidden terms of known equations with a PINN, then name them by symbolic regression.

    Parameters
    ----------
    equations : list of sympy.Eq
        ``Eq(u.diff(t[, k]), rhs)`` per field; each unknown term an undefined
        function of fields, field derivatives or coordinates.
    parameters : dict, optional
        ``{symbol or name: number}`` for symbols in the equations.
    hidden : list of str or Function, optional
        The hidden functions, only as a check (default: every undefined
        function that is not a field).
    hidden_layers, surrogate_layers : tuple of int
        tanh layer widths of each hidden network and of the surrogate.
    collocation : int or array, optional
        Residual points: a count (default 256 evenly spaced times for ODEs,
        2048 Halton points in the data's box for PDEs) or an array
        ``(n, n_coords)`` in the fields' argument order.
    iterations, lbfgs_iterations : int
        Adam steps (3000), then L-BFGS steps (300).
    lr : float or symnum.neural.Schedule, optional
        Adam learning rate, a number or a schedule of the step; default
        ``ExponentialDecay(2e-3, 2e-4, steps=3000)``. The default does not
        depend on ``iterations``, so a run continued with more iterations
        from a checkpoint matches one that ran them in one go.
    data_weight, residual_weight : float
        ``λ_d`` and ``λ_r`` of the scaled losses (1 and 1).
    tolerance : float
        Expected relative RMS accuracy of the learned hidden terms (0.05): each
        formula of the regression loses the summands it can spare within this
        error, and the simplest formula within this error of the most accurate
        one is kept (see :func:`choose`).
    sr_options : dict, optional
        Passed to :func:`symnum.discover.sr.symbolic_regression` (``seed``
        defaults to ``seed``).
    seed : int
        Seeds the network initialisation, the Halton points and the regression.
    checkpoint : str or Path, optional
        File written every ``checkpoint_every`` steps and at the end; ``fit``
        continues from it when it exists (exact resume).
    checkpoint_every : int
    progress : bool
        tqdm progress bar.
    device : str
        torch device, e.g. ``"cpu"`` or ``"cuda"``.

    Attributes
    ----------
    equations_ : list of sympy.Eq
        The equations (parameters substituted) with the hidden functions
        replaced by the formulas found.
    hidden_ : dict
        Hidden function name -> formula in its arguments (``-0.9*x(t)*y(t)``).
    pareto_ : dict
        Name -> ``[(complexity, loss, formula), ...]`` from the regression.
    samples_ : dict
        Name -> ``(X, y)``: the hidden network's inputs and outputs on the
        learned trajectory, as regressed.
    history_ : list of dict
        ``{"iteration", "loss", "data", "residual"}`` per step.
    model_ : torch.nn.Module
        The trained networks (``model_.surrogate``, ``model_.hidden``).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t"); x, F = sp.Function("x"), sp.Function("F")
    >>> pinn = HiddenPINN([sp.Eq(x(t).diff(t), -x(t) + F(x(t)))], iterations=500)
    >>> pinn.iterations, pinn.surrogate_layers
    (500, (32, 32, 32))
    """

    def __init__(self, equations=None, parameters=None, hidden=None, hidden_layers=(32, 32),
                 surrogate_layers=(32, 32, 32), collocation=None, iterations=3000,
                 lbfgs_iterations=300, lr=None, data_weight=1.0, residual_weight=1.0,
                 tolerance=0.05, sr_options=None, seed=0, checkpoint=None, checkpoint_every=500,
                 progress=True, device="cpu"):
        self.equations, self.parameters, self.hidden = equations, parameters, hidden
        self.hidden_layers, self.surrogate_layers = hidden_layers, surrogate_layers
        self.collocation, self.iterations, self.lbfgs_iterations = (collocation, iterations,
                                                                    lbfgs_iterations)
        self.lr, self.data_weight, self.residual_weight = lr, data_weight, residual_weight
        self.tolerance, self.sr_options, self.seed = tolerance, sr_options, seed
        self.checkpoint, self.checkpoint_every = checkpoint, checkpoint_every
        self.progress, self.device = progress, device

    def _checked(self, plan):
        opts = {"hidden_layers": _layers("hidden_layers", self.hidden_layers),
                "surrogate_layers": _layers("surrogate_layers", self.surrogate_layers),
                "adam": _count("iterations", self.iterations, 0),
                "lbfgs": _count("lbfgs_iterations", self.lbfgs_iterations, 0),
                "every": _count("checkpoint_every", self.checkpoint_every, 1),
                "seed": _count("seed", self.seed, 0),
                "data_weight": _positive("data_weight", self.data_weight),
                "residual_weight": _positive("residual_weight", self.residual_weight),
                "tolerance": _positive("tolerance", self.tolerance)}
        c = self.collocation
        if c is None:
            c = 256 if len(plan.coords) == 1 else 2048
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            c = _count("collocation", c, 2)
        else:
            c = np.array(c, dtype=float)
            if c.ndim == 1 and len(plan.coords) == 1:
                c = c[:, None]
            if c.ndim != 2 or c.shape[1] != len(plan.coords) or not np.isfinite(c).all():
                raise DiscoveryError(f"collocation= must be a count or a finite array of shape "
                                     f"(n, {len(plan.coords)}) with columns "
                                     f"({', '.join(map(str, plan.coords))}); got shape {c.shape}.")
        opts["collocation"] = c
        if self.sr_options is not None and not isinstance(self.sr_options, dict):
            raise DiscoveryError(f"sr_options={self.sr_options!r} must be a dict of "
                                 "symbolic_regression options, e.g. {'max_length': 10}.")
        from .sr import symbolic_regression

        opts["sr"] = {"seed": opts["seed"], **(self.sr_options or {})}
        valid = list(inspect.signature(symbolic_regression).parameters)[3:]
        unknown = sorted(set(opts["sr"]) - set(valid))
        if unknown:
            raise DiscoveryError(f"sr_options {', '.join(unknown)} are not options of "
                                 f"symbolic_regression; valid: {', '.join(valid)}.")
        if self.checkpoint is not None and not isinstance(self.checkpoint, (str, os.PathLike)):
            raise DiscoveryError(f"checkpoint={self.checkpoint!r} must be a file path or None.")
        return opts

    def fit(self, measurements):
        """Train on ``measurements`` (a :class:`~symnum.discover.measurements.Measurements`),
        then name each hidden function; returns ``self``."""
        plan = parse_equations(self.equations, self.parameters, self.hidden)
        points, values, measured = measurement_arrays(plan, measurements)
        opts = self._checked(plan)
        nets = _torch_side()
        lr = _learning_rate(self.lr)
        torch = nets.torch
        device = nets.device(self.device)
        sc = nets.scales(plan, measurements, values, measured)
        colloc = nets.collocation_points(opts["collocation"], sc["lo"], sc["hi"], opts["seed"])
        generator = torch.Generator().manual_seed(opts["seed"])
        model = nets.PINN(plan, sc, opts["surrogate_layers"], opts["hidden_layers"],
                          generator).to(device)

        def tensor(a):
            return torch.as_tensor(a, dtype=torch.float64, device=device)

        loss_fn = nets.make_loss(model, tensor(points), tensor(values), measured, tensor(colloc),
                                 opts["data_weight"], opts["residual_weight"])
        key = nets.fingerprint([sp.srepr(e) for e in plan.residuals], plan.derivs,
                               [h.inputs for h in plan.hidden.values()],
                               opts["surrogate_layers"], opts["hidden_layers"], repr(lr),
                               opts["data_weight"], opts["residual_weight"], opts["seed"],
                               points, values, colloc)
        self.history_ = nets.train(model, loss_fn, adam=opts["adam"], lbfgs=opts["lbfgs"],
                                   lr=lr, checkpoint=self.checkpoint,
                                   every=opts["every"], progress=self.progress, key=key,
                                   generator=generator)
        self.model_, self.plan_ = model, plan
        self.samples_ = nets.sample_hidden(model, tensor(colloc), 1000)
        self._name_terms(plan, opts["sr"])
        return self

    def _name_terms(self, plan, options):
        from .sr import symbolic_regression

        self.hidden_, self.pareto_ = {}, {}
        for name, h in plan.hidden.items():
            X, y = self.samples_[name]
            result = symbolic_regression(X, y, list(h.symbols), **options)
            back = dict(zip(h.symbols, h.applied.args))
            self.hidden_[name] = choose(result, X, y, self.tolerance).xreplace(back)
            self.pareto_[name] = [(c, loss, e.xreplace(back)) for c, loss, e in result.pareto]
        found = {h.applied: self.hidden_[n] for n, h in plan.hidden.items()}
        self.equations_ = [sp.Eq(eq.lhs, eq.rhs.xreplace(found)) for eq in plan.equations]

    def predict(self, measurements) -> dict:
        """The surrogate's fields at the coordinates of ``measurements``: name -> array shaped
        like the measured arrays."""
        if not hasattr(self, "model_"):
            raise DiscoveryError("this HiddenPINN is not fitted yet; call fit(measurements) first.")
        import torch

        points = _points(self.plan_, measurements)
        p = next(self.model_.parameters())
        with torch.no_grad():
            u = self.model_.surrogate(torch.as_tensor(points, dtype=p.dtype, device=p.device))
        shape = tuple(len(measurements.coords[a]) for a in measurements.axes) \
            if measurements.gridded else (points.shape[0],)
        return {f: u[:, i].cpu().numpy().reshape(shape) for i, f in enumerate(self.plan_.fields)}

    def score(self, measurements) -> float:
        """Mean R² of the surrogate against the measured fields."""
        pred = self.predict(measurements)
        r2 = []
        for name in measurements.names:
            obs = np.asarray(measurements.values[name], float)
            r2.append(1.0 - np.sum((pred[name] - obs) ** 2) / np.sum((obs - obs.mean()) ** 2))
        return float(np.mean(r2))
