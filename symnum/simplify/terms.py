"""The egglog sort of scalar expressions and the relations used by conditional rules.

``Num`` holds exact rational constants (egglog ``BigRat``), leaves (symbols,
floats, ``pi``, opaque nodes such as ``f(x)``), indexed into a Python table
kept by :mod:`symnum.simplify.convert`, and the operations the simplifier
knows. ``Roots`` packs several expressions into one term so that a list is
extracted together and shared subterms are counted once.

Examples
--------
>>> from symnum.simplify.terms import Num, powi
>>> str(powi(Num.leaf(0), 3))
'powi(Num.leaf(0), 3)'
"""

from __future__ import annotations

from egglog import BigRatLike, Expr, function, i64Like, relation

__all__ = ["Num", "Roots", "powi", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "absf",
           "positive", "real", "UNARY"]


class Num(Expr):
    """A real scalar expression."""

    def __init__(self, value: BigRatLike) -> None: ...   # exact rational constant

    @classmethod
    def leaf(cls, index: i64Like) -> Num: ...             # symbol / float / opaque node

    def __add__(self, other: Num) -> Num: ...
    def __sub__(self, other: Num) -> Num: ...
    def __mul__(self, other: Num) -> Num: ...
    def __truediv__(self, other: Num) -> Num: ...
    def __neg__(self) -> Num: ...
    def __pow__(self, other: Num) -> Num: ...            # general real power (libm pow)


class Roots(Expr):
    """A list of expressions extracted together (a cons list)."""

    @classmethod
    def nil(cls) -> Roots: ...

    @classmethod
    def cons(cls, head: Num, tail: Roots) -> Roots: ...


@function
def powi(x: Num, n: i64Like) -> Num:
    """Integer power, lowered to multiplications (binary exponentiation)."""


@function
def exp(x: Num) -> Num: ...


@function
def log(x: Num) -> Num: ...


@function
def sqrt(x: Num) -> Num: ...


@function
def sin(x: Num) -> Num: ...


@function
def cos(x: Num) -> Num: ...


@function
def tan(x: Num) -> Num: ...


@function
def tanh(x: Num) -> Num: ...


@function
def absf(x: Num) -> Num: ...


positive = relation("positive", Num)   # the value is known to be > 0
real = relation("real", Num)           # the value is known to be real

#: name -> egglog function of the one-argument operations (same names as in cost tables)
UNARY = {"exp": exp, "log": log, "sqrt": sqrt, "sin": sin, "cos": cos, "tan": tan,
         "tanh": tanh, "abs": absf}

