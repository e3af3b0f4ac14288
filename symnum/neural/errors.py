"""Errors of :mod:`symnum.neural` (subclasses of :class:`~symnum.errors.SymnumError`).

Examples
--------
>>> from symnum.errors import SymnumError
>>> issubclass(NeuralError, SymnumError) and issubclass(NeuralError, ValueError)
True
"""

from __future__ import annotations

from ..errors import SymnumError

__all__ = ["NeuralError", "NeuralTypeError"]


class NeuralError(SymnumError, ValueError):
    """Bad options of a neural differential equation (adjoint, sampling, schedule, solver)."""


class NeuralTypeError(NeuralError, TypeError):
    """An argument of the wrong kind (e.g. a vector field that is not a ``torch.nn.Module``)."""
