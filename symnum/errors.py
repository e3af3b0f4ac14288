"""Exceptions raised by symnum.

Every error a user can trigger is a :class:`SymnumError`. Domain classes also
subclass the matching built-in (``ValueError``, ``TypeError``, ``RuntimeError``)
so that generic ``except ValueError`` code keeps working.

Messages say what was received, what is valid, and the exact fix.

Examples
--------
>>> from symnum.errors import ModelError, SymnumError
>>> issubclass(ModelError, SymnumError) and issubclass(ModelError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "SymnumError",
    "ModelError",
    "UnknownSymbolError",
    "ConditionError",
    "ParameterError",
    "DiscretizationError",
    "UnsupportedOperatorError",
    "CodegenError",
    "SolverError",
    "SolveFailed",
    "BackendUnavailable",
    "DataError",
    "DiscoveryError",
]


class SymnumError(Exception):
    """Base class of every error raised by symnum on bad input or failed work."""


class ModelError(SymnumError, ValueError):
    """A model (``PDESystem`` / ``ODESystem``) is malformed."""


class UnknownSymbolError(ModelError):
    """An equation uses a symbol or function that the model does not define."""


class ConditionError(ModelError):
    """An initial or boundary condition is missing, duplicated or misplaced."""


class ParameterError(ModelError):
    """A parameter has no numeric value, or a value of the wrong kind."""


class DiscretizationError(SymnumError, ValueError):
    """A model cannot be discretized with the requested method or grid."""


class UnsupportedOperatorError(DiscretizationError):
    """An operator in an equation is not supported by the discretizer."""


class CodegenError(SymnumError, ValueError):
    """A printer met an expression node it cannot translate."""


class SolverError(SymnumError, ValueError):
    """Bad solver options (tolerances, time span, algorithm)."""


class SolveFailed(SymnumError, RuntimeError):
    """A solve did not reach the end of its time span (raised with ``throw=True``).

    The :class:`~symnum.solvers.solution.Solution` is attached as ``.solution``.
    """

    def __init__(self, message: str, solution=None):
        super().__init__(message)
        self.solution = solution


class BackendUnavailable(SymnumError, RuntimeError):
    """A requested backend (device, library, Julia) is not available here."""


class DataError(SymnumError, ValueError):
    """Measurements are malformed: NaN, mismatched shapes, too few points, a bad grid."""


class DiscoveryError(SymnumError, ValueError):
    """A discovery method cannot run with these options, or found no equation."""
