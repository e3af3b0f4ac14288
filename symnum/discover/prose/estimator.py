"""``PROSE``: the trained multimodal transformer as a discovery estimator.

``sn.discover(meas, method="prose")`` reads the first two time units of each
trajectory (at most 64 samples: the frame the model was trained in, see
:mod:`.inference`), decodes a system of equations with the model that ships
with symnum (or a checkpoint of your own), and refits the coefficients of that
structure on all the data (:mod:`.refine`). An optional symbolic ``guess``
(a possibly wrong or incomplete model; its coefficients are ignored) is given
to the model's symbol encoder. With several trajectories, the structure most
of them agree on wins.

The model knows the families it was trained on (see ``weights/MODEL_CARD.md``):
on other systems it returns the closest structure it knows, which the refit
cannot repair. Check the result, e.g. with
:func:`symnum.discover.roundtrip.roundtrip_error`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import sympy as sp

from ...errors import DataError, DiscoveryError
from ..base import Estimator, datasets
from . import inference, tokens
from .evaluate import terms as expression_terms

__all__ = ["PROSE"]


def _round(expr, digits=6):
    return expr.xreplace({f: sp.Float(f"{float(f):.{digits}g}") for f in expr.atoms(sp.Float)})


class PROSE(Estimator):
    """Equations (and a forecast) of a 1- to 3-state ODE system from a short trajectory.

    Parameters
    ----------
    checkpoint : str or Path, optional
        A checkpoint written by :func:`symnum.discover.prose.checkpoint.save`;
        default: the small model shipped with symnum.
    guess : list of sympy.Eq or sympy.Expr, optional
        A symbolic guess, one right-hand side per field in the measurements'
        functions (``x(t)``); only its structure is used.
    refit : {"lstsq", "sparse"} or None
        How the coefficients of the predicted structure are fitted to the data
        (:func:`~symnum.discover.prose.refine.refit`); None keeps the model's.
    derivative : str
        Derivative estimate used by the refit.
    device : str
        torch device of the model.

    Attributes
    ----------
    equations_ : list of sympy.Eq
        ``Eq(Derivative(x(t), t), rhs)`` per field, refitted coefficients.
    model_equations_ : list of sympy.Eq
        The same with the model's own coefficients.
    tokens_ : list of str
        The decoded prefix tokens.
    skeleton_ : list of str
        Their skeleton (numbers replaced by ``<PLACEHOLDER>``).
    agreement_ : float
        Share of the trajectories whose decoded structure is the chosen one.
    names_ : list of str
    """

    def __init__(self, checkpoint=None, guess=None, refit="lstsq", derivative="auto",
                 device="cpu"):
        self.checkpoint = checkpoint
        self.guess = guess
        self.refit = refit
        self.derivative = derivative
        self.device = device

    def _model(self):
        from .checkpoint import default_model

        path = None if self.checkpoint is None else str(self.checkpoint)
        return default_model(path, self.device)[0]

    def _windows(self, items):
        first = items[0]
        if not first.is_ode:
            raise DataError(f"PROSE discovers ODE systems; these measurements have space axes "
                            f"({', '.join(map(str, first.space))}). Use method='sindy' or 'weak'.")
        if not first.gridded:
            raise DataError("PROSE needs time series, not scattered samples; use "
                            "Measurements.to_grid first.")
        return [inference.window(m.coords[m.t], np.column_stack([m.values[n] for n in m.names]))
                for m in items]

    def _source(self, first):
        if self.guess is None:
            return None
        guess = list(self.guess) if isinstance(self.guess, (list, tuple)) else [self.guess]
        if len(guess) != len(first.names):
            raise DiscoveryError(f"guess has {len(guess)} right-hand sides for "
                                 f"{len(first.names)} fields ({', '.join(first.names)}).")
        subs = {first.applied[n]: sp.Symbol(f"u_{i}") for i, n in enumerate(first.names)}
        rhs = [(g.rhs if isinstance(g, sp.Eq) else sp.sympify(g)).xreplace(subs) for g in guess]
        return inference.source_ids(rhs)

    def fit(self, measurements):
        """Decode the structure from the data, then refit its coefficients."""
        from .refine import METHODS, refit

        if self.refit is not None and self.refit not in METHODS:
            raise DiscoveryError(f"unknown refit {self.refit!r}; choose one of "
                                 f"{', '.join(map(repr, METHODS))} or None.")
        items = datasets(measurements, "PROSE.fit")
        first = items[0]
        windows = self._windows(items)
        source = self._source(first)
        seqs, _ = inference.run(self._model(), windows, [source] * len(windows))
        dim = len(first.names)
        decoded = [(seq, inference.decode(seq, dim)) for seq in seqs]
        decoded = [(seq, e) for seq, e in decoded if e is not None]
        if not decoded:
            raise DiscoveryError("the PROSE model produced no valid system for these data; try "
                                 "method='sindy' or 'weak'.")
        key = [tuple(frozenset(expression_terms(e)) for e in exprs) for _, exprs in decoded]
        best, count = Counter(key).most_common(1)[0]
        seq, exprs = decoded[key.index(best)]
        self.names_ = list(first.names)
        self.tokens_ = list(seq)
        self.skeleton_ = tokens.encode(exprs, inference._states()[:dim], skeleton=True)
        self.agreement_ = count / len(seqs)
        subs = {sp.Symbol(f"u_{i}"): first.applied[n] for i, n in enumerate(first.names)}
        lhs = [sp.Derivative(first.applied[n], first.t) for n in first.names]
        self.model_equations_ = [sp.Eq(d, e.xreplace(subs)) for d, e in zip(lhs, exprs)]
        rhs = ([e.xreplace(subs) for e in exprs] if self.refit is None
               else refit(exprs, items, method=self.refit, derivative=self.derivative))
        self.equations_ = [sp.Eq(d, _round(r)) for d, r in zip(lhs, rhs)]
        self._first = first
        return self

    def forecast(self, measurements, times):
        """The operator decoder's prediction at absolute ``times`` from the start of
        ``measurements`` (one trajectory): ``{name: values}``. Trained for
        ``t - t0`` in ``[2, 6]``; outside that it extrapolates."""
        items = datasets(measurements, "PROSE.forecast")
        (tw, yw), = self._windows(items[:1])
        t0 = float(items[0].coords[items[0].t][0])
        _, pred = inference.run(self._model(), [(tw, yw)], None,
                                query=np.asarray(times, dtype=float) - t0)
        return {n: pred[0, :, i] for i, n in enumerate(items[0].names)}

    def __repr__(self):
        return (f"PROSE(checkpoint={self.checkpoint!r}, refit={self.refit!r}, "
                f"derivative={self.derivative!r})")
