"""The ODE families of the PROSE training data: right-hand sides, canonical parameters, initial boxes.

Each :class:`Family` is data: a right-hand side built from state symbols and
parameters, the canonical parameter values, and a box ``(low, high)`` per state
from which initial conditions are drawn. Parameters and boxes are chosen so that
every family moves visibly and stays bounded on ``t`` in ``[0, 6]`` at the
canonical values +/- 20 % (the rejection rate per family is in the manifest
that :func:`~symnum.discover.prose.generator.generate` writes). ``selkov`` is the family
left out of training (:data:`HELD_OUT_FAMILY`).

Examples
--------
>>> import sympy as sp
>>> fam = FAMILIES["lotka_volterra"]
>>> u = sp.symbols("u_0:2")
>>> fam.dim, fam.rhs(u, fam.params)
(2, [-1.0*u_0*u_1 + 1.5*u_0, 1.0*u_0*u_1 - 3.0*u_1])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from . import tokens

__all__ = ["Family", "FAMILIES", "TRAIN_FAMILIES", "HELD_OUT_FAMILY", "Terms", "round_sig",
           "T_END", "N_TIMES", "PRECISION"]

T_END, N_TIMES, PRECISION = 6.0, 192, 3  # time span [0, T_END], saved times, significant digits
RTOL, ATOL, MAX_STEPS = 1e-7, 1e-9, 20_000
MAX_ABS, MIN_STD = 1e3, 1e-3  # rejected: max |y| >= MAX_ABS, or every state's std < MIN_STD


@dataclass(frozen=True)
class Family:
    """One ODE family.

    Parameters
    ----------
    name : str
        Registry key.
    dim : int
        Number of states (1..3).
    params : dict
        Parameter name -> canonical float.
    rhs : callable
        ``rhs(u, p) -> list of sympy.Expr``: ``u`` the state symbols
        ``u_0 .. u_{dim-1}``, ``p`` a mapping name -> value or symbol.
    ic : tuple of (float, float)
        ``(low, high)`` per state: initial conditions are uniform in this box.

    Examples
    --------
    >>> FAMILIES["logistic"].ic
    ((0.05, 3.5),)
    """

    name: str
    dim: int
    params: dict
    rhs: Callable
    ic: tuple

    def symbols(self):
        """``(u, p)``: the state symbols and ``{name: Symbol(name)}`` of the parameters.

        Examples
        --------
        >>> u, p = FAMILIES["logistic"].symbols()
        >>> FAMILIES["logistic"].rhs(u, p)
        [r*u_0 - r*u_0**2/K]
        """
        u = sp.symbols(f"u_0:{self.dim}")
        return u, {k: sp.Symbol(k) for k in self.params}


def _linear2(u, p):
    return [p["a"] * u[0] + p["b"] * u[1], p["c"] * u[0] + p["d"] * u[1]]


def _lotka_volterra(u, p):
    return [p["alpha"] * u[0] - p["beta"] * u[0] * u[1],
            p["delta"] * u[0] * u[1] - p["gamma"] * u[1]]


def _van_der_pol(u, p):
    return [u[1], sp.expand(p["mu"] * (1 - u[0] ** 2) * u[1]) - u[0]]


def _duffing(u, p):
    return [u[1], -p["delta"] * u[1] - p["alpha"] * u[0] - p["beta"] * u[0] ** 3]


def _lorenz(u, p):
    return [sp.expand(p["sigma"] * (u[1] - u[0])),
            p["rho"] * u[0] - u[0] * u[2] - u[1],
            u[0] * u[1] - p["beta"] * u[2]]


def _fitzhugh_nagumo(u, p):
    return [u[0] - u[0] ** 3 / 3 - u[1] + p["I"],
            sp.expand((u[0] + p["a"] - p["b"] * u[1]) / p["tau"])]


def _brusselator(u, p):
    return [p["a"] + u[0] ** 2 * u[1] - (p["b"] + 1) * u[0],
            p["b"] * u[0] - u[0] ** 2 * u[1]]


def _pendulum(u, p):
    return [u[1], -p["b"] * u[1] - p["w2"] * sp.sin(u[0])]


def _sir(u, p):
    return [-p["beta"] * u[0] * u[1],
            p["beta"] * u[0] * u[1] - p["gamma"] * u[1],
            p["gamma"] * u[1]]


def _rossler(u, p):
    return [-u[1] - u[2], u[0] + p["a"] * u[1], p["b"] + u[2] * u[0] - p["c"] * u[2]]


def _logistic(u, p):
    return [p["r"] * u[0] - p["r"] / p["K"] * u[0] ** 2]


def _selkov(u, p):
    return [-u[0] + p["a"] * u[1] + u[0] ** 2 * u[1],
            p["b"] - p["a"] * u[1] - u[0] ** 2 * u[1]]


def _sprott_b(u, p):
    return [p["a"] * u[1] * u[2], u[0] - p["b"] * u[1], p["c"] - u[0] * u[1]]


_TABLE = [
    # name, rhs, canonical parameters, initial box per state
    ("linear2", _linear2, {"a": -0.1, "b": 2.0, "c": -1.5, "d": -0.3}, ((-2, 2), (-2, 2))),
    ("lotka_volterra", _lotka_volterra, {"alpha": 1.5, "beta": 1.0, "gamma": 3.0, "delta": 1.0},
     ((0.5, 4.0), (0.5, 3.0))),
    ("van_der_pol", _van_der_pol, {"mu": 1.0}, ((-2, 2), (-2, 2))),
    ("duffing", _duffing, {"delta": 0.3, "alpha": -1.0, "beta": 1.0}, ((-2, 2), (-2, 2))),
    ("lorenz", _lorenz, {"sigma": 10.0, "rho": 28.0, "beta": 8 / 3},
     ((-10, 10), (-10, 10), (10, 40))),
    ("fitzhugh_nagumo", _fitzhugh_nagumo, {"a": 0.7, "b": 0.8, "tau": 3.0, "I": 0.5},
     ((-2, 2), (-1, 2))),
    ("brusselator", _brusselator, {"a": 1.0, "b": 3.0}, ((0.5, 3.0), (0.5, 3.0))),
    ("pendulum", _pendulum, {"b": 0.3, "w2": 4.0}, ((-2.5, 2.5), (-2, 2))),
    ("sir", _sir, {"beta": 3.0, "gamma": 0.8}, ((0.6, 1.0), (0.01, 0.2), (0.0, 0.2))),
    ("rossler", _rossler, {"a": 0.2, "b": 0.2, "c": 5.7}, ((-5, 5), (-5, 5), (0, 1))),
    ("logistic", _logistic, {"r": 1.2, "K": 2.0}, ((0.05, 3.5),)),
    ("selkov", _selkov, {"a": 0.08, "b": 0.6}, ((0.1, 2.5), (0.1, 2.5))),
    ("sprott_b", _sprott_b, {"a": 0.4, "b": 1.2, "c": 1.0}, ((-2, 2), (-2, 2), (-2, 2))),
]

#: name -> :class:`Family`, in a fixed order (the manifest's family indices follow it)
FAMILIES = {name: Family(name, len(ic), dict(params), rhs, tuple(tuple(map(float, b)) for b in ic))
            for name, rhs, params, ic in _TABLE}
#: the family left out of training
HELD_OUT_FAMILY = "selkov"
#: every family but :data:`HELD_OUT_FAMILY`
TRAIN_FAMILIES = tuple(k for k in FAMILIES if k != HELD_OUT_FAMILY)


def round_sig(values):
    """Round to ``PRECISION`` significant digits exactly as :func:`tokens.encode` prints numbers.

    Examples
    --------
    >>> round_sig([8 / 3, -0.0123456, 28.04]).tolist()
    [2.67, -0.0123, 28.0]
    """
    return np.array([float(f"{v:.{PRECISION - 1}e}") for v in np.ravel(values)]
                    ).reshape(np.shape(values))


def _number(value):
    """A SymPy number that survives the token round trip: small integers become ``Integer``."""
    if float(value).is_integer() and abs(value) <= tokens.MAX_INT:
        return sp.Integer(int(value))
    return sp.Float(float(value))


class Terms:
    """A family as terms ``coefficient x monomial``, and one symnum problem over the coefficients.

    A coefficient that depends on the parameters is *free*: it is sampled,
    rounded with :func:`round_sig`, and becomes the parameter ``k_j`` of one
    ``sn.ODESystem``, so a batch of sampled systems is one torch solve. The
    other coefficients (``-1`` in Lorenz, ``-1/3`` in FitzHugh--Nagumo) are
    rounded once and stay fixed.

    Parameters
    ----------
    family : Family

    Examples
    --------
    >>> T = Terms.of("lorenz")
    >>> [(T.terms[k][1], T.terms[k][2]) for k in T.free]  # the free coefficients
    [(sigma, u_1), (-sigma, u_0), (rho, u_0), (-beta, u_2)]
    >>> T.expressions([9.5, -9.5, 27.1, -2.7])
    [-9.5*u_0 + 9.5*u_1, -u_0*u_2 + 27.1*u_0 - u_1, u_0*u_1 - 2.7*u_2]
    """

    def __init__(self, family):
        self.family = family
        self.u, psym = family.symbols()
        params = set(psym.values())
        self.terms = []  # (component, coefficient: expression in the parameters or number, monomial)
        for i, e in enumerate(family.rhs(self.u, psym)):
            coeffs = {}
            for term in sp.Add.make_args(sp.expand(e)):
                c, mono = term.as_independent(*self.u, as_Add=False)
                coeffs[mono] = coeffs.get(mono, 0) + c
            for mono, c in coeffs.items():
                fixed = not (c.free_symbols & params)
                self.terms.append((i, _number(round_sig(float(c))[()]) if fixed else c, mono))
        self.free = [k for k, (_, c, _) in enumerate(self.terms) if not c.is_number]
        self.names = [f"k_{j}" for j in range(len(self.free))]
        self._coefficients = sp.lambdify(list(psym.values()), [self.terms[k][1] for k in self.free])

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def of(name):
        """The (cached) :class:`Terms` of the registered family ``name``."""
        return Terms(FAMILIES[name])

    def draw(self, rng, n, spread):
        """``(coefficients (n, n_free), y0 (n, dim))``: each parameter p0 (1 + s r), rounded."""
        p0 = np.array(list(self.family.params.values()))
        s = rng.uniform(spread[0], spread[1], (n, len(p0)))
        r = rng.choice([-1.0, 1.0], (n, len(p0)))
        cols = self._coefficients(*(p0 * (1 + s * r)).T)
        coefs = round_sig(np.stack([np.broadcast_to(np.asarray(c, float), (n,)) for c in cols], 1))
        low, high = np.array(self.family.ic).T
        return coefs, rng.uniform(low, high, (n, self.family.dim))

    def expressions(self, coefs):
        """The right-hand sides for one row of free coefficients."""
        values = dict(zip(self.free, coefs))
        out = [sp.S.Zero] * self.family.dim
        for k, (i, c, mono) in enumerate(self.terms):
            out[i] += (_number(values[k]) if k in values else c) * mono
        return out

    @functools.cached_property
    def problem(self):
        """The ``sn.ODEProblem`` with parameters ``k_j`` (built once)."""
        import symnum as sn

        t = sp.Symbol("t")
        U = [sp.Function(f"u_{i}")(t) for i in range(self.family.dim)]
        k = dict(zip(self.free, sp.symbols(self.names)))
        rhs = [sp.S.Zero] * self.family.dim
        for j, (i, c, mono) in enumerate(self.terms):
            rhs[i] += k.get(j, c) * mono.subs(dict(zip(self.u, U)))
        system = sn.ODESystem([sp.Eq(Ui.diff(t), f) for Ui, f in zip(U, rhs)],
                              initial={Ui.subs(t, 0): 0 for Ui in U},
                              parameters={s: 1.0 for s in k.values()}, tspan=(0, T_END))
        return sn.discretize(system)

    def integrate(self, coefs, y0):
        """``(y (n, N_TIMES, dim), ok (n,))``: one batched torch solve, then the rejection rules."""
        import symnum as sn

        prob = self.problem
        sol = sn.solve(prob, sn.Tsit5(), backend="torch", y0=y0, steps="independent",
                       p={name: coefs[:, j] for j, name in enumerate(self.names)},
                       saveat=np.linspace(0.0, T_END, N_TIMES), rtol=RTOL, atol=ATOL,
                       max_steps=MAX_STEPS)
        order = [prob.names.index(f"u_{i}") for i in range(self.family.dim)]
        y = np.asarray(sol.y, dtype=float)[..., order]
        with np.errstate(invalid="ignore"):
            ok = (np.array([r.ok for r in sol.results]) & np.isfinite(y).all(axis=(1, 2))
                  & (np.abs(y).max(axis=(1, 2), initial=0) < MAX_ABS)
                  & (y.std(axis=1) >= MIN_STD).any(axis=1))
        return y, ok
