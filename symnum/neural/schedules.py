"""Weight schedules of the regularizers: a function of the training iteration.

The papers use a constant weight (SRNODE) or an exponential decay
``lambda(k) = start * exp(-r k)`` with ``r = ln(start / end) / steps``
(ERNODE: 100 -> 10 over training; local regularization: 2.5 -> 1.0).

Examples
--------
>>> s = ExponentialDecay(100.0, 10.0, steps=1000)
>>> s(0), round(s(500), 6), round(s(1000), 6), round(s(5000), 6)
(100.0, 31.622777, 10.0, 10.0)
>>> Constant(2.5)(7)
2.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import NeuralError, NeuralTypeError

__all__ = ["Schedule", "Constant", "ExponentialDecay", "as_schedule"]


class Schedule:
    """A weight as a function of the iteration ``k >= 0``: call it with ``k``."""

    def __call__(self, k: int) -> float:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Schedule):
    """The same weight at every iteration.

    Examples
    --------
    >>> Constant(0.1)(0) == Constant(0.1)(10**6) == 0.1
    True
    """

    value: float

    def __post_init__(self):
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value)
                and self.value >= 0):
            raise NeuralError(f"weight={self.value!r} must be a finite number >= 0; "
                              "pass e.g. weight=1.0")

    def __call__(self, k: int) -> float:
        return float(self.value)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """``start * (end / start)^(k / steps)`` for ``k <= steps``, then ``end`` (it may also increase).

    Examples
    --------
    >>> ExponentialDecay(2.5, 1.0, steps=10)(10)
    1.0
    >>> ExponentialDecay(1.0, 0.0, steps=10)
    Traceback (most recent call last):
    ...
    symnum.neural.errors.NeuralError: ExponentialDecay(start=1.0, end=0.0): start and end must be > 0 (an exponential never reaches 0); pass e.g. ExponentialDecay(100.0, 10.0, steps=1000)
    """

    start: float
    end: float
    steps: int

    def __post_init__(self):
        if not (self.start > 0 and self.end > 0):
            raise NeuralError(f"ExponentialDecay(start={self.start!r}, end={self.end!r}): start "
                              "and end must be > 0 (an exponential never reaches 0); pass e.g. "
                              "ExponentialDecay(100.0, 10.0, steps=1000)")
        if not (isinstance(self.steps, int) and self.steps > 0):
            raise NeuralError(f"ExponentialDecay(steps={self.steps!r}) needs a positive integer "
                              "number of iterations; pass e.g. steps=1000")

    def __call__(self, k: int) -> float:
        if k >= self.steps:
            return float(self.end)
        return float(self.start * math.exp(math.log(self.end / self.start) * k / self.steps))


def as_schedule(weight) -> Schedule:
    """A :class:`Schedule` from a number or a schedule (anything else raises).

    Examples
    --------
    >>> as_schedule(3)(0)
    3.0
    """
    if isinstance(weight, Schedule):
        return weight
    if isinstance(weight, (int, float)) and not isinstance(weight, bool):
        return Constant(float(weight))
    raise NeuralTypeError(f"weight={weight!r} ({type(weight).__name__}) is neither a number nor "
                          "a Schedule; pass e.g. weight=1.0 or weight=ExponentialDecay(100.0, "
                          "10.0, steps=1000)")
