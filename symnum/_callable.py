"""Packages that can be called like their main function.

``sn.discover(meas)`` and ``sn.simplify(expr)`` call a function, while
``sn.discover.WeakSINDy`` and ``import symnum.simplify.api`` still reach the
package: the package module's class becomes :class:`CallableModule`, which
forwards calls to the function named by the package's ``__call_target__``
(``"module:function"``, imported on the first call).
"""

from __future__ import annotations

import importlib
import types

__all__ = ["CallableModule"]


class CallableModule(types.ModuleType):
    """A module whose call runs ``__call_target__`` (``"submodule:function"``)."""

    def __call__(self, *args, **kwargs):
        module, _, name = self.__call_target__.partition(":")
        return getattr(importlib.import_module(f"{self.__name__}.{module}"), name)(*args, **kwargs)
