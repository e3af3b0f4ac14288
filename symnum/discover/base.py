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

from ..errors import DiscoveryError

__all__ = ["Estimator"]


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
