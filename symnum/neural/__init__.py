"""Neural differential equations, regularized by the adaptive solver's own heuristics.

Importing this package imports torch (``import symnum`` does not).

Examples
--------
>>> from symnum import neural
>>> sorted(neural.ADJOINTS)
['backprop', 'checkpoint']
"""

from .adjoint import ADJOINTS, Backprop, Checkpoint
from .errors import NeuralError, NeuralTypeError
from .hybrid import HybridODE
from .ode import NeuralODE, NeuralStats
from .regularizers import ErrorEstimate, LocalErrorEstimate, Regularizer, Stiffness
from .schedules import Constant, ExponentialDecay, Schedule
from .train import Trainer

__all__ = [
    "NeuralODE", "NeuralStats", "HybridODE", "Trainer",
    "ErrorEstimate", "Stiffness", "LocalErrorEstimate", "Regularizer",
    "Constant", "ExponentialDecay", "Schedule",
    "Backprop", "Checkpoint", "ADJOINTS", "NeuralError", "NeuralTypeError",
]
