"""Discretization methods (objects, not option strings)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..errors import DiscretizationError

__all__ = ["FiniteDifference"]


@dataclass(frozen=True)
class FiniteDifference:
    """Finite differences on a uniform grid, for the method of lines.

    Parameters
    ----------
    points : dict
        ``{x: N, ...}``: nodes per space axis. A periodic axis of ``N`` points
        excludes the repeated end point; a non-periodic one includes both ends.
    order : int
        Even accuracy order of every stencil (2, 4, 6, ...). Centred stencils
        come from exact Fornberg weights; near non-periodic sides one-sided
        stencils of the same order are used, and conditions use one-sided
        first-derivative stencils of the same order.
    upwind : bool or int
        Discretize advection terms ``c * du/dx`` with upwind-biased stencils
        chosen by the sign of ``c`` at each node (``True``: first order; an
        int: that order).

    Examples
    --------
    >>> import sympy as sp
    >>> FiniteDifference({sp.Symbol("x"): 64}, order=4).order
    4
    """

    points: dict = field(default_factory=dict)
    order: int = 2
    upwind: bool | int = False

    def __post_init__(self):
        if not isinstance(self.order, int) or self.order < 2 or self.order % 2:
            raise DiscretizationError(
                f"FiniteDifference(order={self.order!r}): the order must be an even integer >= 2 "
                "(2, 4, 6, ...)."
            )
        if not isinstance(self.points, dict) or not self.points:
            raise DiscretizationError(
                f"FiniteDifference(points={self.points!r}): give the nodes per axis, e.g. {{x: 128}}."
            )
        for k, v in self.points.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 3:
                raise DiscretizationError(
                    f"FiniteDifference: axis {k} has {v!r} points; give an integer >= 3."
                )
        if self.upwind is not False and not (self.upwind is True or
                                             (isinstance(self.upwind, int) and self.upwind >= 1)):
            raise DiscretizationError(f"FiniteDifference(upwind={self.upwind!r}): use False, True "
                                      "or a positive integer order.")

    @property
    def upwind_order(self) -> int:
        return 0 if self.upwind is False else (1 if self.upwind is True else int(self.upwind))

    def npoints(self, axis: sp.Symbol) -> int:
        for k, v in self.points.items():
            if k == axis or str(k) == str(axis):
                return v
        raise DiscretizationError(
            f"FiniteDifference has no number of points for the axis {axis}; pass "
            f"FiniteDifference({{{axis}: N, ...}}) with every space axis."
        )
