"""Boundary-condition helpers and the parsed form every condition is reduced to.

Conditions are plain SymPy equations; the helpers only build them:

* Dirichlet ``Eq(u(t, 0), g)``,
* Neumann ``Eq(u(t, x).diff(x).subs(x, 0), g)``,
* Robin ``Eq(b * u_x + a * u, g)`` at one side,
* :class:`Periodic` marks an axis periodic.

Examples
--------
>>> import sympy as sp
>>> t, x = sp.symbols("t x"); u = sp.Function("u")
>>> Neumann(u(t, x), x, at=1)
Eq(Subs(Derivative(u(t, x), x), x, 1), 0)
>>> Robin(u(t, x), x, at=0, a=2, b=1, value=3)
Eq(2*u(t, 0) + Subs(Derivative(u(t, x), x), x, 0), 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["Periodic", "Dirichlet", "Neumann", "Robin", "BoundaryCondition"]


@dataclass(frozen=True)
class Periodic:
    """Mark the space axis ``axis`` (a SymPy symbol) periodic.

    A periodic axis of ``N`` points excludes the repeated end point.

    Examples
    --------
    >>> import sympy as sp
    >>> Periodic(sp.Symbol("x"))
    Periodic(axis=x)
    """

    axis: sp.Symbol


def Dirichlet(field, axis, at, value=0):
    """``field = value`` on the side ``axis = at``; returns a SymPy ``Eq``.

    Examples
    --------
    >>> import sympy as sp
    >>> t, x = sp.symbols("t x"); u = sp.Function("u")
    >>> Dirichlet(u(t, x), x, at=0, value=sp.sin(t))
    Eq(u(t, 0), sin(t))
    """
    return sp.Eq(field.subs(axis, at), value)


def Neumann(field, axis, at, value=0):
    """``d field / d axis = value`` on the side ``axis = at``; returns a SymPy ``Eq``."""
    return sp.Eq(field.diff(axis).subs(axis, at), value)


def Robin(field, axis, at, a, b, value=0):
    """``a * field + b * d field / d axis = value`` on the side ``axis = at``."""
    return sp.Eq(a * field.subs(axis, at) + b * field.diff(axis).subs(axis, at), value)


@dataclass(frozen=True)
class BoundaryCondition:
    """A parsed condition ``a * u + b * du/dx = g`` on one side of one axis.

    ``a`` and ``b`` are constants (numbers or parameters); ``g`` may depend on
    time, the other space coordinates and parameters. ``side`` is 0 (low end)
    or 1 (high end). ``source`` is the user's equation, for messages.
    """

    field: str
    axis: int
    side: int
    a: sp.Expr
    b: sp.Expr
    g: sp.Expr
    source: sp.Eq

    def differentiated_in_time(self, t, field_name: str) -> "BoundaryCondition":
        """The condition on the time derivative (for a wave equation's velocity field)."""
        return BoundaryCondition(field_name, self.axis, self.side, self.a, self.b,
                                 sp.diff(self.g, t), self.source)
