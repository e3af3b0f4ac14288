"""PROSE symbol tokenizer: round trips on classic ODE families, the documented Lorenz example, errors."""

import numpy as np
import pytest
import sympy as sp

from symnum.discover.prose.tokens import decode, encode, vocabulary
from symnum.errors import DiscoveryError

t = sp.Symbol("t")
X, Y, Z = (sp.Function(n)(t) for n in "xyz")
STATES = [X, Y, Z]


def lorenz(c):
    return [c() * (Y - X), X * (c() - Z) - Y, X * Y - c() * Z]


def lotka_volterra(c):
    return [c() * X - c() * X * Y, -c() * Y + c() * X * Y]


def van_der_pol(c):
    return [Y, c() * (1 - X**2) * Y - X]


def duffing(c):
    return [Y, -c() * Y - c() * X - c() * X**3]


def fitzhugh_nagumo(c):
    return [X - c() * X**3 - Y + c(), c() * X + c() - c() * Y]


def brusselator(c):
    return [c() + X**2 * Y - c() * X, c() * X - X**2 * Y]


def pendulum(c):
    return [Y, -c() * sp.sin(X) - c() * Y]


def sir(c):
    b, g = c(), c()
    return [-b * X * Y, b * X * Y - g * Y, g * Y]


def rossler(c):
    return [-Y - Z, X + c() * Y, c() + Z * (X - c())]


FAMILIES = [lorenz, lotka_volterra, van_der_pol, duffing, fitzhugh_nagumo,
            brusselator, pendulum, sir, rossler]


def three_digit(rng):
    """A random coefficient exact at 3 significant digits (or a small integer).

    The families give each monomial its own coefficient, so SymPy never multiplies
    two of them into a coefficient with more digits.
    """
    def c():
        if rng.random() < 0.15:
            return sp.Integer(int(rng.integers(-10, 11)) or 3)
        sign = "-" if rng.random() < 0.3 else ""
        return sp.Float(f"{sign}{rng.integers(100, 1000)}e{rng.integers(-5, 3)}")
    return c


def same(a, b):
    return sp.expand(a - b) == 0


def test_round_trip_200_random_systems():
    rng = np.random.default_rng(0)
    c = three_digit(rng)
    for k in range(200):
        family = FAMILIES[k % len(FAMILIES)]
        system = family(c)
        tokens = encode(system, STATES)
        assert set(tokens) <= set(vocabulary(max_states=3))
        back = decode(tokens, STATES)
        assert len(back) == len(system)
        for a, b in zip(system, back):
            assert same(a, b), (family.__name__, a, b, tokens)
        skel = encode(system, STATES, skeleton=True)
        assert not {"+", "-"} & set(skel) and not any(s[0] in "NE" for s in skel)
        assert set(skel) <= set(vocabulary(max_states=3))


def test_round_trip_rounds_arbitrary_coefficients():
    rng = np.random.default_rng(1)
    def c():
        return sp.Float(rng.uniform(-50, 50))
    for k in range(45):
        system = FAMILIES[k % len(FAMILIES)](c)
        tokens = encode(system, STATES)
        back = decode(tokens, STATES)
        assert encode(back, STATES) == tokens          # idempotent after rounding
        pt = {X: 0.7, Y: -1.3, Z: 0.4}
        for a, b in zip(system, back):
            va, vb = float(a.subs(pt)), float(b.subs(pt))
            scale = sum(abs(float(term.subs(pt))) for term in sp.Add.make_args(sp.expand(a)))
            assert abs(va - vb) <= 5e-3 * scale + 1e-12   # 3 digits: relative error <= 0.5%


def test_prose_lorenz_example():
    F = sp.Float
    system = [F("10.1") * (Y - X), sp.expand(X * (F("29.2") - Z) - Y), X * Y - F("2.72") * Z]
    tokens = encode(system, STATES)
    text = " ".join(tokens)
    parts = text.split(" | ")
    assert len(parts) == 3 and len(tokens) == 33               # as in discovery.md 1.3
    assert sorted(parts[0].split()) == sorted(
        "add mul + N101 E-1 u_1 mul - N101 E-1 u_0".split())
    assert parts[1] == "sub sub mul + N292 E-1 u_0 mul u_0 u_2 u_1"
    assert sorted(parts[2].split()) == sorted("add mul u_0 u_1 mul - N272 E-2 u_2".split())
    assert "+ N101 E-1" in text and "- N101 E-1" in text and "- N272 E-2" in text
    skel = encode(system, STATES, skeleton=True)
    assert len(skel) == 25 and skel.count("<PLACEHOLDER>") == 4
    assert " ".join(skel).split(" | ")[1] == "sub sub mul <PLACEHOLDER> u_0 mul u_0 u_2 u_1"
    back = decode(skel, STATES)
    assert back[0].free_symbols >= {sp.Symbol("c_0"), sp.Symbol("c_1")}
    assert sp.Symbol("c_3") in back[2].free_symbols


def test_numbers_and_precision():
    x = sp.Symbol("x")
    assert encode([sp.Integer(-2) * x], [x]) == ["mul", "-2", "u_0"]
    assert encode([sp.Integer(11)], [x]) == ["+", "N110", "E-1"]
    assert encode([sp.Rational(1, 3) * x], [x]) == ["mul", "+", "N333", "E-3", "u_0"]
    assert encode([sp.pi], [x], precision=5) == ["+", "N31416", "E-4"]
    assert encode([sp.Float(0.125)], [x], precision=2) == ["+", "N12", "E-2"]   # half to even
    assert encode([sp.Float(3.0) * x], [x]) == ["mul", "3", "u_0"]
    assert decode(["+", "N31416", "E-4"], [x]) == [sp.Float("3.1416")]
    assert encode(sp.Eq(sp.Derivative(X, t), -X), [X]) == ["neg", "u_0"]
    assert encode([X], [sp.Function("x")]) == ["u_0"]          # undefined function as state


def test_operators_round_trip():
    x, y, z = sp.symbols("x y z")
    exprs = [x / y, 2 / x, x**-2, -x / (y * z), sp.sqrt(x), x**4, x**-7, sp.exp(-x),
             1 / sp.sqrt(x), sp.log(x) * sp.tan(y), sp.cos(x + y**3), x - y - z,
             -x - y, sp.Float("0.5") * x / y]
    tokens = encode(exprs, [x, y, z])
    for op in ["div", "inv", "pow2", "pow3", "pow", "sqrt", "exp", "log", "tan", "cos",
               "neg", "sub", "mul", "add"]:
        assert op in tokens
    for a, b in zip(exprs, decode(tokens, [x, y, z])):
        assert same(a, b), (a, b)


def test_vocabulary():
    voc = vocabulary()
    assert voc == vocabulary() and len(voc) == len(set(voc)) == 1069
    assert voc[:5] == ["<PAD>", "<BOS>", "<EOS>", "<PLACEHOLDER>", "|"]
    for tok in ["N000", "N999", "E-10", "E10", "-10", "10", "u_4", "+", "-", "pow"]:
        assert tok in voc
    assert "u_5" not in voc and len(vocabulary(precision=2)) == 1069 - 900


def test_encode_errors():
    x, y = sp.symbols("x y")
    with pytest.raises(DiscoveryError, match="Abs node"):
        encode([sp.Abs(x)], [x])
    with pytest.raises(DiscoveryError, match="not one of the states"):
        encode([x * y], [x])
    with pytest.raises(DiscoveryError, match="Pow node"):
        encode([x**y], [x, y])
    with pytest.raises(DiscoveryError, match="Pow node"):
        encode([x**11], [x])
    with pytest.raises(DiscoveryError, match="outside E-10"):
        encode([sp.Float(1e-12) * x], [x])
    with pytest.raises(DiscoveryError, match="not real"):
        encode([sp.I * x], [x])
    with pytest.raises(DiscoveryError, match="precision"):
        encode([x], [x], precision=0)


@pytest.mark.parametrize("tokens, message", [
    ("add u_0", "too few operands"),
    ("mul + N101", "too few operands"),
    ("foo", "unknown token 'foo'"),
    ("u_3", "unknown token 'u_3'"),
    ("11", "unknown token '11'"),
    ("u_0 u_0", "leftover tokens"),
    ("u_0 |", "empty component"),
    ("| u_0", "empty component"),
    ("+ 3 E1", "mantissa"),
    ("+ N101 u_0", "exponent"),
    ("pow u_0 u_0", "integer token"),
])
def test_decode_errors(tokens, message):
    with pytest.raises(DiscoveryError, match=message):
        decode(tokens, [sp.Symbol("x")])
