"""Prefix (Polish) token encoding of ODE right-hand sides, as in PROSE.

A system ``[f_0, ..., f_{d-1}]`` becomes one token list: each right-hand side in
prefix notation, the components joined by ``'|'``. The ordered state functions
become ``u_0 ... u_{d-1}``. Numbers:

* an exact integer (SymPy ``Integer``, or a ``Float`` with an integral value) in
  ``-10..10`` is one token, e.g. ``'3'``, ``'-2'``;
* any other number (rationals and constants such as ``pi`` are converted to a
  float first) is three tokens: a sign ``'+'``/``'-'``, an integer mantissa
  ``'N'`` + ``precision`` digits, and a decimal exponent ``'E-10'..'E10'`` that
  applies to the integer mantissa: ``10.1 -> '+', 'N101', 'E-1'``
  (``101 x 10^-1``). The value is rounded to ``precision`` significant digits by
  Python's correctly rounded decimal formatting of the double (ties to even on
  the exact binary value). A value whose exponent falls outside ``-10..10``
  raises :class:`~symnum.errors.DiscoveryError`.

Operators (arity): ``add sub mul div pow`` (2), ``neg inv pow2 pow3 sqrt exp log
sin cos tan`` (1). An n-ary ``Add``/``Mul`` is folded into binary nodes left to
right; a sum starts with its first term (in SymPy's printing order) whose
coefficient is not ``-1``, and a later term with coefficient exactly ``-1`` is written with
``sub``; a product with coefficient ``-1`` is ``neg``; negative powers go to a
``div`` denominator (or ``inv`` when there is no numerator); ``pow`` takes an
integer exponent token ``4..10``.

In skeleton mode every number (coefficients, constants) becomes
``'<PLACEHOLDER>'``; the integer exponent of ``pow`` is kept. :func:`decode`
turns the k-th placeholder of a sequence (counting across the whole system,
from 0) into the plain symbol ``c_k``.
"""

from __future__ import annotations

import math

import sympy as sp
from sympy.core.function import AppliedUndef

from ...errors import DiscoveryError

__all__ = ["encode", "decode", "vocabulary", "SPECIAL_TOKENS", "OPERATORS"]

SPECIAL_TOKENS = ("<PAD>", "<BOS>", "<EOS>", "<PLACEHOLDER>", "|")
OPERATORS = {
    "add": 2, "sub": 2, "mul": 2, "div": 2, "pow": 2,
    "neg": 1, "inv": 1, "pow2": 1, "pow3": 1, "sqrt": 1,
    "exp": 1, "log": 1, "sin": 1, "cos": 1, "tan": 1,
}
MAX_INT = 10
MAX_EXPONENT = 10
PLACEHOLDER = "<PLACEHOLDER>"
_FUNCTIONS = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan"}
_UNARY = {
    "neg": lambda a: -a,
    "inv": lambda a: 1 / a,
    "pow2": lambda a: a**2,
    "pow3": lambda a: a**3,
    "sqrt": sp.sqrt,
    "exp": sp.exp,
    "log": sp.log,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
}
_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


def _check_precision(precision):
    if not isinstance(precision, int) or isinstance(precision, bool) or precision < 1:
        raise DiscoveryError(f"precision must be a positive int, got {precision!r}")


def vocabulary(max_states=5, precision=3):
    """All tokens, in a fixed order.

    Parameters
    ----------
    max_states : int
        Number of state tokens ``u_0 ... u_{max_states-1}``.
    precision : int
        Significant digits of a float: ``10**precision`` mantissa tokens.

    Returns
    -------
    list of str
        Special tokens, operators, states, integers ``-10..10``, signs ``'+'``
        ``'-'``, mantissas ``N0..0 ... N9..9`` and exponents ``E-10 ... E10``.

    Examples
    --------
    >>> voc = vocabulary(max_states=3, precision=2)
    >>> voc[:5], len(voc)
    (['<PAD>', '<BOS>', '<EOS>', '<PLACEHOLDER>', '|'], 167)
    """
    _check_precision(precision)
    if not isinstance(max_states, int) or max_states < 1:
        raise DiscoveryError(f"max_states must be a positive int, got {max_states!r}")
    return (
        list(SPECIAL_TOKENS)
        + list(OPERATORS)
        + [f"u_{i}" for i in range(max_states)]
        + [str(i) for i in range(-MAX_INT, MAX_INT + 1)]
        + ["+", "-"]
        + [f"N{m:0{precision}d}" for m in range(10**precision)]
        + [f"E{e}" for e in range(-MAX_EXPONENT, MAX_EXPONENT + 1)]
    )


def _float_tokens(value, precision):
    if not math.isfinite(value):
        raise DiscoveryError(f"cannot encode the non-finite number {value}")
    if value == 0:
        return ["0"]
    mantissa, exponent = f"{abs(value):.{precision - 1}e}".split("e")
    e = int(exponent) - (precision - 1)
    if not -MAX_EXPONENT <= e <= MAX_EXPONENT:
        raise DiscoveryError(
            f"cannot encode the number {value:g}: exponent E{e} is outside "
            f"E-{MAX_EXPONENT}..E{MAX_EXPONENT} at precision {precision}"
        )
    return ["+" if value > 0 else "-", "N" + mantissa.replace(".", ""), f"E{e}"]


class _Encoder:
    def __init__(self, states, precision, skeleton):
        self.names = {}
        for i, s in enumerate(states):
            self.names[s] = f"u_{i}"
        self.precision = precision
        self.skeleton = skeleton

    def number(self, expr):
        try:
            value = float(expr)
        except (TypeError, ValueError):
            raise DiscoveryError(f"cannot encode the number {expr} (not real)") from None
        if self.skeleton:
            if not math.isfinite(value):
                raise DiscoveryError(f"cannot encode the non-finite number {expr}")
            return [PLACEHOLDER]
        if value.is_integer() and abs(value) <= MAX_INT:
            return [str(int(value))]
        return _float_tokens(value, self.precision)

    def fold(self, op, items):
        tokens = [op] * (len(items) - 1)
        for item in items:
            tokens += self(item)
        return tokens

    def __call__(self, expr):
        if expr in self.names:
            return [self.names[expr]]
        if isinstance(expr, AppliedUndef) and expr.func in self.names:
            return [self.names[expr.func]]
        if expr.is_Symbol or isinstance(expr, AppliedUndef):
            raise DiscoveryError(
                f"cannot encode {expr}: not one of the states {list(self.names)}"
            )
        if expr.is_number:
            return self.number(expr)
        if expr.is_Add:
            terms = expr.as_ordered_terms()
            # lead with the first term that is not -1*(...), so that it needs no 'neg'
            lead = next((i for i, t in enumerate(terms) if t.as_coeff_Mul()[0] != -1), 0)
            terms = [terms[lead]] + terms[:lead] + terms[lead + 1:]
            tokens = self(terms[0])
            for term in terms[1:]:
                coeff, rest = term.as_coeff_Mul()
                if term.is_Mul and coeff == -1:
                    tokens = ["sub"] + tokens + self(rest)
                else:
                    tokens = ["add"] + tokens + self(term)
            return tokens
        if expr.is_Mul:
            coeff, rest = expr.as_coeff_Mul()
            if coeff == -1:
                return ["neg"] + self(rest)
            factors = sp.Mul.make_args(rest)
            num = [coeff] if coeff != 1 else []
            den = []
            for f in factors:
                if f.is_Pow and f.exp.is_Number and f.exp < 0:
                    den.append(sp.Pow(f.base, -f.exp))
                else:
                    num.append(f)
            if not den:
                return self.fold("mul", num)
            if not num:
                return ["inv"] + self.fold("mul", den)
            return ["div"] + self.fold("mul", num) + self.fold("mul", den)
        if expr.is_Pow:
            base, e = expr.args
            if e.is_Number and e < 0:
                return ["inv"] + self(sp.Pow(base, -e))
            if e == 2:
                return ["pow2"] + self(base)
            if e == 3:
                return ["pow3"] + self(base)
            if e == sp.S.Half:
                return ["sqrt"] + self(base)
            if e.is_Integer and 4 <= e <= MAX_INT:
                return ["pow"] + self(base) + [str(int(e))]
            raise DiscoveryError(
                f"cannot encode Pow node {expr}: exponent {e} is not an integer "
                f"in 2..{MAX_INT}, 1/2, or their negatives"
            )
        for func, name in _FUNCTIONS.items():
            if expr.func == func and len(expr.args) == 1:
                return [name] + self(expr.args[0])
        raise DiscoveryError(f"cannot encode {type(expr).__name__} node {expr}")


def encode(equations, states, *, precision=3, skeleton=False):
    """Encode an ODE system as a list of prefix tokens.

    Parameters
    ----------
    equations : list of sympy.Expr or sympy.Eq
        Right-hand sides, or ``Eq(Derivative(x(t), t), rhs)`` (its ``rhs`` is used).
        A single expression is taken as a one-equation system.
    states : list
        The ordered state functions (``x(t)``, or the undefined function ``x``) or
        symbols that appear in the equations; the i-th becomes ``u_i``.
    precision : int
        Significant digits kept for a non-integer number (``N`` + that many digits).
    skeleton : bool
        Replace every number by ``'<PLACEHOLDER>'``.

    Returns
    -------
    list of str
        The components' prefix tokens joined by ``'|'``.

    Raises
    ------
    DiscoveryError
        An unsupported node (named in the message), a symbol that is not a
        state, or a number outside the encodable range.

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> x, y = sp.Function("x")(t), sp.Function("y")(t)
    >>> " ".join(encode([y, sp.Float("-10.1") * x + 2 * x * y], [x, y]))
    'u_1 | add mul mul 2 u_0 u_1 mul - N101 E-1 u_0'
    >>> " ".join(encode([sp.Float("-10.1") * x + 2 * x * y], [x, y], skeleton=True))
    'add mul mul <PLACEHOLDER> u_0 u_1 mul <PLACEHOLDER> u_0'
    """
    _check_precision(precision)
    if isinstance(equations, (sp.Basic, int, float)):
        equations = [equations]
    states = list(states)
    if len(set(states)) != len(states):
        raise DiscoveryError(f"states are not distinct: {states}")
    encoder = _Encoder(states, precision, skeleton)
    tokens = []
    for i, eq in enumerate(equations):
        if isinstance(eq, sp.Eq):
            eq = eq.rhs
        if i:
            tokens.append("|")
        tokens += encoder(sp.sympify(eq))
    if not tokens:
        raise DiscoveryError("cannot encode an empty system")
    return tokens


class _Decoder:
    def __init__(self, tokens, states):
        self.tokens = tokens
        self.states = {f"u_{i}": s for i, s in enumerate(states)}
        self.pos = 0
        self.n_placeholders = 0

    def next(self, needed_by):
        if self.pos >= len(self.tokens):
            raise DiscoveryError(f"too few operands: the sequence ends inside {needed_by!r}")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def float_number(self, sign):
        mant = self.next(f"the number starting with {sign!r}")
        expo = self.next(f"the number starting with {sign!r}")
        if not (mant[:1] == "N" and mant[1:].isdigit()):
            raise DiscoveryError(f"expected a mantissa token 'N...' after sign {sign!r}, got {mant!r}")
        try:
            e = int(expo[1:]) if expo[:1] == "E" else None
        except ValueError:
            e = None
        if e is None:
            raise DiscoveryError(f"expected an exponent token 'E...' after {mant!r}, got {expo!r}")
        return sp.Float(f"{sign}{int(mant[1:])}e{e}")

    def __call__(self, needed_by="the expression"):
        tok = self.next(needed_by)
        if tok in OPERATORS:
            args = [self(tok) for _ in range(OPERATORS[tok])]
            if tok == "pow" and not args[1].is_Integer:
                raise DiscoveryError(f"the exponent of 'pow' must be an integer token, got {args[1]}")
            if len(args) == 1:
                return _UNARY[tok](args[0])
            return _BINARY[tok](*args)
        if tok in self.states:
            return self.states[tok]
        if tok == PLACEHOLDER:
            k = self.n_placeholders
            self.n_placeholders += 1
            return sp.Symbol(f"c_{k}")
        if tok in ("+", "-"):
            return self.float_number(tok)
        try:
            value = int(tok)
        except ValueError:
            value = None
        if value is not None and abs(value) <= MAX_INT and tok == str(value):
            return sp.Integer(value)
        raise DiscoveryError(f"unknown token {tok!r} at position {self.pos - 1}")


def decode(tokens, states):
    """Decode prefix tokens back into SymPy right-hand sides (inverse of :func:`encode`).

    Parameters
    ----------
    tokens : list of str or str
        As returned by :func:`encode` (a str is split on whitespace).
    states : list
        The objects that ``u_0, u_1, ...`` stand for.

    Returns
    -------
    list of sympy.Expr
        One expression per component. Floats decode to ``sympy.Float``; the k-th
        ``'<PLACEHOLDER>'`` (counted over the whole system) to ``Symbol('c_k')``.

    Raises
    ------
    DiscoveryError
        Unknown token, too few operands, leftover tokens, an empty component,
        or a state index beyond ``states``.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> decode("add mul - N101 E-1 u_0 u_1 | inv u_0", [x, y])
    [-10.1*x + y, 1/x]
    """
    if isinstance(tokens, str):
        tokens = tokens.split()
    tokens = list(tokens)
    decoder = _Decoder(tokens, list(states))
    components = []
    while True:
        start = decoder.pos
        if start >= len(tokens) or tokens[start] == "|":
            raise DiscoveryError(f"empty component at position {start}")
        components.append(decoder())
        if decoder.pos == len(tokens):
            return components
        if tokens[decoder.pos] != "|":
            raise DiscoveryError(
                f"leftover tokens after a complete expression at position {decoder.pos}: "
                f"{' '.join(tokens[decoder.pos:decoder.pos + 5])!r}"
            )
        decoder.pos += 1
