"""Grids of the method of lines and the plan of unknowns per field."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["Axis", "FieldPlan"]


@dataclass(frozen=True)
class Axis:
    """One space axis: ``n`` nodes on ``[lo, hi]``.

    A periodic axis excludes the repeated end point (``dx = (hi - lo)/n``); a
    non-periodic axis includes both ends (``dx = (hi - lo)/(n - 1)``). ``ghost``
    is the width of the periodic padding used by generated code.
    """

    symbol: sp.Symbol
    n: int
    lo: float
    hi: float
    periodic: bool
    ghost: int = 0

    @property
    def dx(self) -> float:
        return (self.hi - self.lo) / (self.n if self.periodic else self.n - 1)

    @property
    def coords(self) -> np.ndarray:
        return self.lo + self.dx * np.arange(self.n)


@dataclass(frozen=True)
class FieldPlan:
    """Where a field's unknowns sit: node ranges ``[start[d], stop[d])`` and state offset."""

    name: str
    index: int
    start: tuple
    stop: tuple
    offset: int

    @property
    def shape(self) -> tuple:
        return tuple(b - a for a, b in zip(self.start, self.stop))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1
