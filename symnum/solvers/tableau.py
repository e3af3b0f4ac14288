"""Butcher tableaus as validated exact data, and the method record that binds one to a stepper.

A :class:`ButcherTableau` holds exact SymPy rationals and is checked when it is
created (as diffrax's ``ButcherTableau``): ``a`` strictly lower triangular with
row sums equal to ``c``, ``sum(b) == 1``, ``sum(b_err) == 0``, and a dense
output that reaches ``b`` at ``theta = 1``. Floats appear only in
:meth:`ButcherTableau.numeric`, at the backend.

A dense output is stored as a matrix ``b_dense`` of shape ``(stages, degree)``:
row ``i`` holds the coefficients of ``theta, theta^2, ..., theta^degree`` of the
weight polynomial ``b_i(theta)``, so that one step gives the continuous solution
``y(t + theta h) = y + h sum_i b_i(theta) k_i``.

Examples
--------
>>> import sympy as sp
>>> R = sp.Rational
>>> heun = ButcherTableau(c=[0, 1], a=[[0, 0], [1, 0]], b=[R(1, 2), R(1, 2)],
...                       b_err=[R(-1, 2), R(1, 2)])
>>> heun.stages, heun.fsal
(2, False)
>>> heun.numeric().b
array([0.5, 0.5])
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sympy as sp

from ..errors import SolverError

__all__ = ["TableauError", "ButcherTableau", "NumericTableau", "RKMethod", "exact"]


class TableauError(SolverError):
    """A Butcher tableau is inconsistent (shapes, row sums, weight sums)."""


def exact(value) -> sp.Rational:
    """Exact rational of ``value``: an int, a Rational, or a decimal/fraction *string*.

    Floats are refused, because a binary float is not the decimal that was published.

    Examples
    --------
    >>> exact("0.161"), exact("-1/66"), exact("1.5e-3")
    (161/1000, -1/66, 3/2000)
    >>> exact(0.1)
    Traceback (most recent call last):
    ...
    symnum.solvers.tableau.TableauError: tableau entry 0.1 is a float; write it as a string ('0.1') or sympy.Rational so it stays exact
    """
    if isinstance(value, str):
        return sp.Rational(value.replace(" ", ""))
    if isinstance(value, (numbers.Integral, sp.Rational)):
        return sp.Rational(value)
    if isinstance(value, float):
        raise TableauError(f"tableau entry {value!r} is a float; write it as a string "
                           f"('{value!r}') or sympy.Rational so it stays exact")
    raise TableauError(f"tableau entry {value!r} ({type(value).__name__}) is not an exact "
                       "rational; pass an int, sympy.Rational or a decimal string")


def _vector(values) -> tuple:
    return tuple(exact(v) for v in values)


class NumericTableau(NamedTuple):
    """Float arrays of a tableau (``a`` is ``(s, s)``, ``b_dense`` ``(s, degree)`` or ``None``)."""

    c: np.ndarray
    a: np.ndarray
    b: np.ndarray
    b_err: np.ndarray
    b_dense: np.ndarray | None


@dataclass(frozen=True, repr=False)
class ButcherTableau:
    """Explicit Runge--Kutta tableau with an embedded error estimate, in exact rationals.

    Parameters
    ----------
    c : sequence
        Nodes, length ``s``.
    a : sequence of sequences
        Stage matrix, ``s x s``, strictly lower triangular (explicit method).
    b : sequence
        Weights of the propagated solution.
    b_err : sequence
        Error weights ``b - b_hat`` (``b_hat`` the embedded method); ``h sum
        b_err_i k_i`` is the local error estimate.
    b_dense : sequence of sequences, optional
        ``(s, degree)`` coefficients of ``theta^1 .. theta^degree`` of each
        dense-output weight ``b_i(theta)``.
    tol : Rational
        Tolerance of the consistency checks. ``0`` (exact) for every tableau
        with rational coefficients; nonzero only for a tableau known from
        truncated published decimals, which must say why where it is built.

    Attributes
    ----------
    stages : int
        ``s``.
    fsal : bool
        First same as last: the last stage is evaluated at the new solution
        (``a[-1] == b`` and ``c[-1] == 1``), so it is the next step's first stage.

    Raises
    ------
    TableauError
        On a shape mismatch, a nonzero entry on or above the diagonal, a row
        sum that differs from ``c``, ``sum(b) != 1``, ``sum(b_err) != 0``, or
        a dense output whose weights at ``theta = 1`` differ from ``b``.

    Examples
    --------
    >>> ButcherTableau(c=[0, 1], a=[[0, 0], [1, 0]], b=["0.5", "0.4"], b_err=[0, 0])
    Traceback (most recent call last):
    ...
    symnum.solvers.tableau.TableauError: sum(b) = 9/10 but a consistent method needs sum(b) == 1; fix the weights b
    """

    c: tuple
    a: tuple
    b: tuple
    b_err: tuple
    b_dense: tuple | None = None
    tol: sp.Rational = sp.Integer(0)
    stages: int = field(init=False)
    fsal: bool = field(init=False)

    def __repr__(self) -> str:  # the coefficients are long rationals; show the shape
        dense = "none" if self.b_dense is None else f"degree {len(self.b_dense[0])}"
        return f"ButcherTableau(stages={self.stages}, fsal={self.fsal}, dense={dense})"

    def __post_init__(self):
        put = object.__setattr__  # frozen: normalise the inputs once, here
        put(self, "c", _vector(self.c))
        put(self, "b", _vector(self.b))
        put(self, "b_err", _vector(self.b_err))
        put(self, "tol", exact(self.tol))
        s = len(self.c)
        rows = tuple(_vector(row) for row in self.a)
        put(self, "a", rows)
        if len(rows) != s or any(len(r) != s for r in rows):
            raise TableauError(f"a has {len(rows)} rows of lengths {[len(r) for r in rows]} but c "
                               f"has {s} entries; pass a as a square {s} x {s} matrix")
        for name in ("b", "b_err"):
            if len(getattr(self, name)) != s:
                raise TableauError(f"{name} has {len(getattr(self, name))} entries but the "
                                   f"tableau has {s} stages; pass {s} weights")
        for i, row in enumerate(rows):
            upper = [j for j in range(i, s) if row[j] != 0]
            if upper:
                raise TableauError(f"a[{i}][{upper[0]}] = {row[upper[0]]} is on or above the "
                                   "diagonal; an explicit method needs a strictly lower "
                                   "triangular a")
            if abs(sum(row) - self.c[i]) > self.tol:
                raise TableauError(f"row {i} of a sums to {sum(row)} but c[{i}] = {self.c[i]};"
                                   f" make the row sum equal c[{i}] (or derive c from a)")
        if abs(sum(self.b) - 1) > self.tol:
            raise TableauError(f"sum(b) = {sum(self.b)} but a consistent method needs "
                               "sum(b) == 1; fix the weights b")
        if abs(sum(self.b_err)) > self.tol:
            raise TableauError(f"sum(b_err) = {sum(self.b_err)} but b_err = b - b_hat must "
                               "sum to 0; fix b_err")
        if self.b_dense is not None:
            dense = tuple(_vector(row) for row in self.b_dense)
            put(self, "b_dense", dense)
            if len(dense) != s or len({len(r) for r in dense}) != 1:
                raise TableauError(f"b_dense needs {s} rows of equal length (one polynomial "
                                   "per stage); got row lengths "
                                   f"{[len(r) for r in dense]}")
            for i, row in enumerate(dense):
                if abs(sum(row) - self.b[i]) > self.tol:
                    raise TableauError(f"dense weight b_{i}(theta=1) = {sum(row)} differs from "
                                       f"b[{i}] = {self.b[i]}; the interpolant must end at the "
                                       "step's solution")
        put(self, "stages", s)
        put(self, "fsal", bool(abs(self.c[-1] - 1) <= self.tol and self.b[-1] == 0
                               and rows[-1][: s - 1] == self.b[: s - 1]))

    @property
    def b_hat(self) -> tuple:
        """Weights of the embedded method, ``b - b_err``."""
        return tuple(b - e for b, e in zip(self.b, self.b_err))

    def weights_at(self, theta) -> tuple:
        """Exact dense-output weights ``b_i(theta)`` (SymPy expressions in ``theta``).

        Examples
        --------
        >>> from symnum.solvers.methods.bs3 import TABLEAU
        >>> TABLEAU.weights_at(1) == TABLEAU.b
        True
        """
        if self.b_dense is None:
            raise TableauError("this tableau has no dense output (b_dense is None); "
                               "use a method that defines one")
        return tuple(sum(coef * theta ** (p + 1) for p, coef in enumerate(row))
                     for row in self.b_dense)

    def numeric(self, dtype=np.float64) -> NumericTableau:
        """The tableau as float arrays of ``dtype``: the only place floats are made.

        Examples
        --------
        >>> from symnum.solvers.methods.dp5 import TABLEAU
        >>> TABLEAU.numeric().a.shape, TABLEAU.numeric().b_dense.shape
        ((7, 7), (7, 5))
        """
        cache = self.__dict__.setdefault("_numeric_cache", {})  # SymPy -> float is slow
        key = np.dtype(dtype).str
        if key in cache:
            return cache[key]

        def arr(x):
            return np.array([[float(v) for v in r] for r in x] if x and isinstance(x[0], tuple)
                            else [float(v) for v in x], dtype=dtype)

        out = NumericTableau(arr(self.c), arr(self.a), arr(self.b), arr(self.b_err),
                             None if self.b_dense is None else arr(self.b_dense))
        for v in out:
            if v is not None:
                v.flags.writeable = False  # shared by every solve
        cache[key] = out
        return out


@dataclass(frozen=True, repr=False)
class RKMethod:
    """One explicit method: a tableau bound to its orders and default step controller.

    Attributes
    ----------
    name : str
    tableau : ButcherTableau
    order : int
        Order of the propagated solution.
    embedded_order : int
        Order of ``b_hat`` (the error estimate is ``O(h^(embedded_order + 1))``).
    dense_order : int
        Order of the dense output ``b_i(theta)``.
    controller : symnum.solvers.controller.PIController
        Default step-size controller constants.
    reference : str
    """

    name: str
    tableau: ButcherTableau
    order: int
    embedded_order: int
    dense_order: int
    controller: object
    reference: str = ""

    def __repr__(self) -> str:
        return (f"RKMethod({self.name!r}, order={self.order}, "
                f"embedded_order={self.embedded_order}, dense_order={self.dense_order})")
