"""Rewrite rules as named groups of data.

Each group is a list of egglog rewrites; :func:`ruleset_for` joins the groups a
caller selects. Rules that are true only for some values carry a condition on
the ``positive`` / ``real`` relations, which the ``domain`` analysis (always
run) derives from the symbols' SymPy assumptions:

* ``log(a*b) = log(a) + log(b)`` and ``exp(log(a)) = a`` need ``a, b > 0``;
* ``log(exp(a)) = a`` and ``sqrt(a**2) = |a|`` need ``a`` real;
* ``|a| = a`` needs ``a > 0``.

Examples
--------
>>> sorted(GROUPS)
['ac', 'distribute', 'explog', 'fold', 'power', 'trig']
>>> len(GROUPS["trig"]) > 0
True
"""

from __future__ import annotations

from functools import lru_cache

from egglog import BigInt, BigRat, eq, i64, ne, rewrite, rule, ruleset, vars_

from .terms import Num, absf, cos, exp, log, positive, powi, real, sin, sqrt, tan, tanh

__all__ = ["GROUPS", "DEFAULT", "CHEAP", "DOMAIN", "ruleset_for"]

a, b, c, d = vars_("a b c d", Num)
p, q = vars_("p q", BigRat)
n, m = vars_("n m", i64)
ZERO, ONE, TWO = Num(BigRat(0, 1)), Num(BigRat(1, 1)), Num(BigRat(2, 1))
_0 = BigRat(0, 1)

#: commutativity and associativity of + and *, and the sign forms of - (explosive: bounded by
#: the run loop's limits)
AC = [
    rewrite(a + b).to(b + a),
    rewrite(a * b).to(b * a),
    rewrite((a + b) + c).to(a + (b + c)),
    rewrite(a + (b + c)).to((a + b) + c),
    rewrite((a * b) * c).to(a * (b * c)),
    rewrite(a * (b * c)).to((a * b) * c),
    rewrite(a - b).to(a + (-b)),
    rewrite(a + (-b)).to(a - b),
    rewrite((a - b) - c).to(a - (b + c)),
    rewrite(a - (b + c)).to((a - b) - c),
    rewrite((a + b) - c).to(a + (b - c)),
    rewrite(a + (b - c)).to((a + b) - c),
    rewrite(-(a * b)).to((-a) * b),
    rewrite(-(a * b)).to(a * (-b)),
    rewrite(a - b).to(-(b - a)),
    rewrite(a - (b - c)).to((a - b) + c),
    rewrite((a - b) + c).to(a - (b - c)),
]

#: sign normalisation, one way, towards subtraction and one outer negation, so that
#: factoring with negative coefficients extracts cleanly (cheap: always run to a fixpoint
#: before the explosive groups). The reverse forms are in ``AC``.
SIGN = [
    rewrite(-(-a)).to(a),
    rewrite(Num(BigRat(-1, 1)) * a).to(-a),
    rewrite(a * Num(BigRat(-1, 1))).to(-a),
    rewrite(a + (-b)).to(a - b),
    rewrite((-a) + b).to(b - a),
    rewrite(a - (-b)).to(a + b),
    rewrite((-a) - b).to(-(a + b)),
    rewrite((-a) * b).to(-(a * b)),
    rewrite(a * (-b)).to(-(a * b)),
    rewrite((-a) / b).to(-(a / b)),
    rewrite(a / (-b)).to(-(a / b)),
    rewrite(-(a - b)).to(b - a),
    rewrite(Num(p) * a).to(-(Num(-p) * a), p < _0),
    rewrite(a * Num(p)).to(-(Num(-p) * a), p < _0),
    rewrite(-(Num(p) * a)).to(Num(-p) * a),
]

#: distribution (expansion) and factoring, numeric coefficients included
DISTRIBUTE = [
    rewrite(a * b + a * c).to(a * (b + c)),
    rewrite(a * b - a * c).to(a * (b - c)),
    rewrite(a * (b + c)).to(a * b + a * c),
    rewrite(a * (b - c)).to(a * b - a * c),
    rewrite(a * b + a).to(a * (b + ONE)),
    rewrite(a * b - a).to(a * (b - ONE)),
    rewrite(a - a * b).to(a * (ONE - b)),
    rewrite(a / c + b / c).to((a + b) / c),
    rewrite(a / c - b / c).to((a - b) / c),
    rewrite((a + b) / c).to(a / c + b / c),
    rewrite((a * b) / c).to(a * (b / c)),
    rewrite(a * (b / c)).to((a * b) / c),
    rewrite(Num(p) * a + Num(q) * b).to(Num(p) * (a - b), eq(q).to(-p)),
    # the common factor on either side, without commutativity
    rewrite(b * a + c * a).to((b + c) * a),
    rewrite(b * a - c * a).to((b - c) * a),
    rewrite(a * b + c * a).to(a * (b + c)),
    rewrite(a * b - c * a).to(a * (b - c)),
    rewrite(b * a + a * c).to(a * (b + c)),
    rewrite(b * a - a * c).to(a * (b - c)),
    # the second term of a chain of sums, without associativity
    rewrite((d + a * b) + a * c).to(d + a * (b + c)),
    rewrite((d - a * b) - a * c).to(d - a * (b + c)),
    rewrite((d + a * b) - a * c).to(d + a * (b - c)),
    rewrite((d - a * b) + a * c).to(d + a * (c - b)),
]

#: exact constant folding and identities
FOLD = [
    rewrite(Num(p) + Num(q)).to(Num(p + q)),
    rewrite(Num(p) - Num(q)).to(Num(p - q)),
    rewrite(Num(p) * Num(q)).to(Num(p * q)),
    rewrite(Num(p) / Num(q)).to(Num(p / q), ne(q).to(_0)),
    rewrite(-Num(p)).to(Num(-p)),
    rewrite(absf(Num(p))).to(Num(abs(p))),
    rewrite(a / Num(p)).to(a * Num(BigRat(1, 1) / p), ne(p).to(_0)),
    rewrite(a + ZERO).to(a),
    rewrite(a - ZERO).to(a),
    rewrite(ZERO - a).to(-a),
    rewrite(a * ONE).to(a),
    rewrite(a * ZERO).to(ZERO),
    rewrite(a / ONE).to(a),
    rewrite(a - a).to(ZERO),
    rewrite(a + a).to(TWO * a),
    rewrite(TWO * a).to(a + a),
    rewrite(a * Num(p) + a).to(a * Num(p + BigRat(1, 1))),
    rewrite(Num(p) * (Num(q) * a)).to(Num(p * q) * a),
    rewrite(absf(a)).to(a, positive(a)),
    rewrite(absf(-a)).to(absf(a)),
    rewrite(a / a).to(ONE, positive(a)),
]

#: integer and real powers
POWER = [
    rewrite(a * a).to(powi(a, 2)),
    rewrite(powi(a, 2)).to(a * a),
    rewrite(powi(a, n) * a).to(powi(a, n + 1)),
    rewrite(powi(a, n) * powi(a, m)).to(powi(a, n + m), ne(n + m).to(i64(0))),
    rewrite(powi(a, n) * powi(b, n)).to(powi(a * b, n)),
    rewrite(powi(powi(a, n), m)).to(powi(a, n * m)),
    rewrite(powi(a, 1)).to(a),
    rewrite(ONE / powi(a, n)).to(powi(a, i64(0) - n)),
    rewrite(powi(a, n) / a).to(powi(a, n - 1), ne(n).to(i64(1))),
    rewrite((a ** b) * (a ** c)).to(a ** (b + c)),
    rewrite(sqrt(a) * sqrt(a)).to(a),
    rewrite(powi(sqrt(a), 2)).to(a),
    rewrite(sqrt(powi(a, 2))).to(absf(a), real(a)),
    rewrite(sqrt(a) * sqrt(b)).to(sqrt(a * b), positive(a), positive(b)),
    rewrite(a ** Num(BigRat(1, 2))).to(sqrt(a)),
]

#: exp / log identities, each valid under its condition
EXPLOG = [
    rewrite(exp(a) * exp(b)).to(exp(a + b)),
    rewrite(exp(a + b)).to(exp(a) * exp(b)),
    rewrite(exp(a) / exp(b)).to(exp(a - b)),
    rewrite(exp(ZERO)).to(ONE),
    rewrite(log(ONE)).to(ZERO),
    rewrite(powi(exp(a), n)).to(exp(Num(BigRat(BigInt(n), BigInt(1))) * a)),
    rewrite(exp(log(a))).to(a, positive(a)),
    rewrite(log(exp(a))).to(a, real(a)),
    rewrite(log(a * b)).to(log(a) + log(b), positive(a), positive(b)),
    rewrite(log(a) + log(b)).to(log(a * b), positive(a), positive(b)),
    rewrite(log(a / b)).to(log(a) - log(b), positive(a), positive(b)),
    rewrite(log(a) - log(b)).to(log(a / b), positive(a), positive(b)),
    rewrite(log(sqrt(a))).to(log(a) * Num(BigRat(1, 2)), positive(a)),
]

#: Pythagorean, double-angle and quotient identities
TRIG = [
    rewrite(powi(sin(a), 2) + powi(cos(a), 2)).to(ONE),
    rewrite(ONE - powi(sin(a), 2)).to(powi(cos(a), 2)),
    rewrite(ONE - powi(cos(a), 2)).to(powi(sin(a), 2)),
    rewrite(powi(cos(a), 2) - powi(sin(a), 2)).to(cos(TWO * a)),
    rewrite(cos(TWO * a)).to(powi(cos(a), 2) - powi(sin(a), 2)),
    rewrite(sin(a) * cos(a)).to(Num(BigRat(1, 2)) * sin(TWO * a)),
    rewrite(sin(TWO * a)).to(TWO * (sin(a) * cos(a))),
    rewrite(sin(a) / cos(a)).to(tan(a)),
    rewrite(tan(a) * cos(a)).to(sin(a)),
    rewrite(sin(-a)).to(-sin(a)),
    rewrite(cos(-a)).to(cos(a)),
    rewrite(tan(-a)).to(-tan(a)),
    rewrite(tanh(-a)).to(-tanh(a)),
]

#: the groups a caller can select with ``rules=(...)``
GROUPS = {"ac": AC, "distribute": DISTRIBUTE, "fold": FOLD + SIGN, "power": POWER, "explog": EXPLOG,
          "trig": TRIG}
DEFAULT = tuple(GROUPS)
#: groups that terminate: run to a fixpoint in every iteration, before the others
CHEAP = ("fold",)

#: the always-run analysis: which classes are known real / positive. Each rule matches
#: existing nodes only (``eq(e).to(...)``), so the analysis never adds terms.
(e,) = vars_("e", Num)
DOMAIN = ruleset(
    rule(eq(e).to(Num(p))).then(real(e)),
    rule(eq(e).to(Num(p)), p > _0).then(positive(e)),
    rule(positive(a)).then(real(a)),
    *(rule(eq(e).to(f(a, b)), real(a), real(b)).then(real(e)) for f in (
        Num.__add__, Num.__sub__, Num.__mul__, Num.__truediv__)),
    *(rule(eq(e).to(f(a, b)), positive(a), positive(b)).then(positive(e)) for f in (
        Num.__add__, Num.__mul__, Num.__truediv__)),
    *(rule(eq(e).to(f(a)), real(a)).then(real(e)) for f in (
        Num.__neg__, sin, cos, tan, tanh, absf)),
    rule(eq(e).to(exp(a)), real(a)).then(positive(e)),
    rule(eq(e).to(powi(a, n)), real(a)).then(real(e)),
    rule(eq(e).to(powi(a, n)), positive(a)).then(positive(e)),
    rule(eq(e).to(sqrt(a)), positive(a)).then(positive(e)),
    rule(eq(e).to(log(a)), positive(a)).then(real(e)),
    rule(eq(e).to(a ** b), positive(a), real(b)).then(positive(e)),
    name="domain",
)


@lru_cache(maxsize=None)
def ruleset_for(groups: tuple[str, ...]):
    """One egglog ruleset joining ``groups`` (names from :data:`GROUPS`)."""
    return ruleset(*(r for g in groups for r in GROUPS[g]), name="rewrites_" + "_".join(groups))
