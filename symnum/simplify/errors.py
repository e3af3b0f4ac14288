"""The simplifier's error and warning (importable without loading egglog)."""

from __future__ import annotations

from ..errors import SymnumError

__all__ = ["SimplifyError", "SimplifyWarning"]


class SimplifyError(SymnumError, ValueError):
    """An expression holds a node the simplifier cannot represent, or bad options."""


class SimplifyWarning(UserWarning):
    """The simplified form failed the numerical check; the input was returned."""
