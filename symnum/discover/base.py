"""scikit-learn estimator conventions for the discovery estimators.

``get_params`` / ``set_params`` read the constructor's parameters, so
``sklearn.base.clone`` and parameter sweeps work without symnum importing
scikit-learn.

Examples
--------
>>> from symnum.discover.base import Estimator
>>> class Fit(Estimator):
...     def __init__(self, degree=2, threshold="auto"):
...         self.degree, self.threshold = degree, threshold
>>> Fit().set_params(degree=3).get_params()
{'degree': 3, 'threshold': 'auto'}
"""

from __future__ import annotations

import inspect

from ..errors import DataError, DiscoveryError

__all__ = ["Estimator", "datasets"]


class Estimator:
    """Mixin: parameters are the constructor's arguments, stored under the same names."""

    @classmethod
    def _param_names(cls):
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep=True):
        """The constructor's parameters and their current values."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters by name; returns ``self``."""
        valid = self._param_names()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise DiscoveryError(f"{type(self).__name__} has no parameter(s) "
                                 f"{', '.join(unknown)}; its parameters are: {', '.join(valid)}.")
        for name, value in params.items():
            setattr(self, name, value)
        return self


def datasets(measurements, who):
    """One :class:`~symnum.discover.measurements.Measurements` or a list of them (several
    trajectories) as a checked, non-empty list with the same fields, time and axes.

    ``who`` names the caller in the error, e.g. ``"SINDy.fit"``.
    """
    from .measurements import Measurements

    items = list(measurements) if isinstance(measurements, (list, tuple)) else [measurements]
    if not items or not all(isinstance(m, Measurements) for m in items):
        raise DataError(f"{who} needs a Measurements or a non-empty list of them; got "
                        f"{type(measurements).__name__}.")
    first = items[0]
    for m in items[1:]:
        if m.names != first.names or set(m.axes) != set(first.axes) or m.t != first.t:
            raise DataError(f"all trajectories must have the same fields and coordinates; got "
                            f"{first.names} on {first.axes} and {m.names} on {m.axes}.")
    return items
