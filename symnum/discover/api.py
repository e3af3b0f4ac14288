"""``sn.discover``: one call from measurements to SymPy equations.

Examples
--------
>>> from symnum.discover.api import METHODS
>>> sorted(METHODS)
['pinn', 'prose', 'sindy', 'sr', 'weak']
"""

from __future__ import annotations

import importlib
import inspect

from ..errors import DiscoveryError

__all__ = ["METHODS", "discover", "estimator"]

#: method name -> (module, estimator class) inside :mod:`symnum.discover`.
METHODS = {
    "sindy": ("sindy", "SINDy"),
    "weak": ("weak", "WeakSINDy"),
    "sr": ("sr", "SymbolicRegression"),
    "pinn": ("pinn", "HiddenPINN"),
    "prose": ("prose", "PROSE"),
}


def estimator(method="sindy", **options):
    """The unfitted estimator behind ``method``, built with ``options``.

    Raises :class:`~symnum.errors.DiscoveryError` for an unknown method or an
    option the estimator does not take (the message lists the valid ones).
    """
    if not isinstance(method, str) or method not in METHODS:
        raise DiscoveryError(f"unknown discovery method {method!r}; choose one of "
                             f"{', '.join(repr(m) for m in METHODS)}.")
    module, name = METHODS[method]
    try:
        cls = getattr(importlib.import_module(f"symnum.discover.{module}"), name, None)
    except ModuleNotFoundError as exc:
        if exc.name != f"symnum.discover.{module}":
            raise
        cls = None
    if cls is None:
        raise DiscoveryError(f"method {method!r} is not available in this version of symnum.")
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = sorted(set(options) - set(params))
    if unknown and not takes_any:
        valid = [n for n, p in params.items() if p.kind is not p.VAR_POSITIONAL]
        raise DiscoveryError(f"method {method!r} does not take option(s) {', '.join(unknown)}; "
                             f"its options are: {', '.join(valid)}.")
    return cls(**options)


def discover(measurements, method="sindy", **options):
    """Discover governing equations from measurements.

    Parameters
    ----------
    measurements : Measurements or list of Measurements
        The data (several trajectories as a list, where the method allows).
    method : {"sindy", "weak", "sr", "pinn", "prose"}
        ``"sindy"``: sparse regression on estimated derivatives (PDE-FIND for
        space-time fields); ``"weak"``: the same on the weak form, for noisy
        data; ``"sr"``: symbolic regression; ``"pinn"``: a PINN learns the
        missing term of a known model (pass ``equations=``); ``"prose"``: a
        pretrained transformer reads the first two time units of a 1- to 3-state
        ODE trajectory and writes its equations, refitted on all the data.
    **options
        Passed to the estimator (:class:`~symnum.discover.sindy.SINDy`,
        :class:`~symnum.discover.weak.WeakSINDy`,
        :class:`~symnum.discover.sr.SymbolicRegression`,
        :class:`~symnum.discover.pinn.HiddenPINN`,
        :class:`~symnum.discover.prose.estimator.PROSE`).

    Returns
    -------
    list of sympy.Eq
        ``Eq(u(t, x).diff(t), rhs)`` per field, ready for ``sn.PDESystem`` or
        ``sn.ODESystem``.
    """
    return estimator(method, **options).fit(measurements).equations_
