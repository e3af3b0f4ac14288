"""Exact coefficients of the Rosenbrock (W-) methods, as data.

Shampine & Reichelt's ``ode23s`` pair (OrdinaryDiffEq's ``Rosenbrock23``) is
written in its own "k" form rather than a general Rosenbrock tableau: one
matrix ``W = I - h d J``, two stages advance the solution, a third stage at
the new point (FSAL: it is the next step's ``f0``) gives the error estimate::

    k1 = W \\ (f0 + h d T)                       T = df/dt (zero if autonomous)
    f1 = f(t + h/2, y + h k1 / 2)
    k2 = W \\ (f1 - k1) + k1
    y1 = y + h k2                                order 2, L-stable
    f2 = f(t + h, y1)
    k3 = W \\ (f2 - e32 (k2 - f1) - 2 (k1 - f0) + h d T)
    err = h (k1 - 2 k2 + k3) / 6                 from the embedded order 3 solution

Dense output: ``y(t + th h) = y + h (b1(th) k1 + b2(th) k2)``.

Coefficients are exact SymPy numbers, checked on creation, and converted to
floats only for the numeric loops (:meth:`Rosenbrock23Tableau.floats`).

Examples
--------
>>> tab = ROSENBROCK23
>>> round(tab.floats()["d"], 12), tab.order, tab.embedded_order
(0.292893218813, 2, 3)
>>> import sympy as sp
>>> sp.simplify(tab.dense_b1.subs(tab.theta, 1) + tab.dense_b2.subs(tab.theta, 1))
1
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

__all__ = ["Rosenbrock23Tableau", "ROSENBROCK23", "RodasTableau", "RODAS4", "RODAS5P"]

_theta = sp.Symbol("theta")


def _mul(a, b):
    """Product of two power series truncated to ``len(a)`` terms."""
    return np.convolve(a, b)[:len(a)]


def _geometric(a: float, m: int):
    """``1 / (1 - a z)`` to ``m`` terms."""
    return a ** np.arange(m)


def _r_ros23(d: float, z: float) -> float:
    k1 = z / (1 - d * z)
    k2 = (z * (1 + k1 / 2) - k1) / (1 - d * z) + k1
    return 1 + k2


def _check_stability(name: str, series, order: int, r_inf: float, tol: float = 1e-10):
    """``R(z) = exp(z) + O(z^(order+1))`` on ``y' = z y`` and ``R(-1e8) ~ 0`` (L-stability).

    Necessary conditions only (the linear test equation), checked in floats so
    that creating a tableau costs microseconds; the convergence tests check
    the order on nonlinear and non-autonomous problems.
    """
    want = np.array([1.0 / math.factorial(m) for m in range(order + 1)])
    if not np.allclose(series[:order + 1], want, rtol=tol, atol=tol):
        raise ValueError(f"{name} coefficients fail the order-{order} conditions on y' = z y: "
                         f"R(z) series {series[:order + 1]} != {want}; check the tableau data")
    if not abs(r_inf) < 1e-6:
        raise ValueError(f"{name} coefficients are not L-stable: R(-1e8) = {r_inf:g}; check "
                         "the tableau data")


@dataclass(frozen=True)
class Rosenbrock23Tableau:
    """The ``ode23s`` coefficients: ``d``, ``e32`` and the dense-output weights.

    Attributes
    ----------
    d : sympy.Expr
        Diagonal coefficient ``1 / (2 + sqrt(2))``. The method has order 2
        for any ``d``; its stability function
        ``R(z) = (1 + (1 - 2d) z + (1/2 - 2d + d^2) z^2) / (1 - d z)^2``
        vanishes at infinity (L-stability) only for a root of
        ``2 d^2 - 4 d + 1``, and this is the root below 1/2.
    e32 : sympy.Expr
        ``6 + sqrt(2)``, the coupling of the third (error) stage.
    theta : sympy.Symbol
        Free variable of the dense-output weights.
    dense_b1, dense_b2 : sympy.Expr
        ``th (1 - th) / (1 - 2d)`` and ``th (th - 2d) / (1 - 2d)``.
    order, embedded_order : int
        2 and 3.
    """

    d: sp.Expr = 1 / (2 + sp.sqrt(2))
    e32: sp.Expr = 6 + sp.sqrt(2)
    theta: sp.Symbol = _theta
    dense_b1: sp.Expr = field(default=None)
    dense_b2: sp.Expr = field(default=None)
    order: int = 2
    embedded_order: int = 3

    def __post_init__(self):
        d, th = self.d, self.theta
        if self.dense_b1 is None:
            object.__setattr__(self, "dense_b1", th * (1 - th) / (1 - 2 * d))
        if self.dense_b2 is None:
            object.__setattr__(self, "dense_b2", th * (th - 2 * d) / (1 - 2 * d))
        # cheap float check on creation; the exact one is :meth:`verify` (run by the tests)
        fd = float(d)
        g = _geometric(fd, 4)                      # 1 / (1 - d z) as a power series
        z = np.array([0.0, 1.0, 0.0, 0.0])
        k1 = _mul(z, g)
        k2 = _mul(_mul(z, 1.0 * (np.arange(4) == 0) + k1 / 2) - k1, g) + k1
        _check_stability("Rosenbrock23", 1.0 * (np.arange(4) == 0) + k2, self.order,
                         _r_ros23(fd, -1e8))

    def verify(self) -> None:
        """Check order 2, L-stability and the dense-output end points exactly (SymPy).

        Examples
        --------
        >>> ROSENBROCK23.verify()
        """
        d, th, z = self.d, self.theta, sp.Symbol("z")
        # the scalar test equation y' = z y, y = 1, h = 1: R(z) = 1 + k2 must match
        # exp(z) to O(z^3) and vanish as z -> -oo (L-stability)
        k1 = z / (1 - d * z)
        f1 = z * (1 + k1 / 2)
        k2 = (f1 - k1) / (1 - d * z) + k1
        R = sp.simplify(1 + k2)
        if sp.simplify(sp.series(R, z, 0, 3).removeO() - (1 + z + z**2 / 2)) != 0:
            raise ValueError("Rosenbrock23 coefficients fail the order-2 condition R(z) = "
                             "1 + z + z^2/2 + O(z^3); check d")
        if sp.limit(R, z, -sp.oo) != 0:
            raise ValueError("Rosenbrock23 coefficients are not L-stable (R(-oo) != 0); check d")
        ends = (self.dense_b1.subs(th, 0), self.dense_b2.subs(th, 0),
                sp.simplify(self.dense_b1.subs(th, 1)), sp.simplify(self.dense_b2.subs(th, 1)))
        if ends != (0, 0, 0, 1):
            raise ValueError("Rosenbrock23 dense output must give y at theta=0 and y + h k2 at "
                             f"theta=1; got weights {ends}")

    def floats(self) -> dict[str, float]:
        """``d``, ``e32`` and the dense-output constant ``1 / (1 - 2d)`` as float64."""
        return {"d": float(self.d), "e32": float(self.e32),
                "dense_scale": float(1 / (1 - 2 * self.d))}


#: Shampine & Reichelt, "The MATLAB ODE Suite", SIAM J. Sci. Comput. 18 (1997), Sec. 3.
ROSENBROCK23 = Rosenbrock23Tableau()


@dataclass(frozen=True)
class RodasTableau:
    """A Rosenbrock method in Hairer & Wanner's transformed form (``Rodas4``, ``Rodas5P``).

    With ``W = I / (h gamma) - J`` and stage ``s`` at ``u_s = y + sum_j A[s, j] k_j``::

        W k_s = f(t + c_s h, u_s) + h d_s T + sum_j (C[s, j] / h) k_j
        y1 = u_last + k_last            (stiffly accurate: the last stages sit at t + h)
        err = k_last                    (y1 minus the embedded solution u_last)

    Dense output ``y(th) = (1 - th) y + th (y1 + (1 - th) (K1 + th (K2 + th K3 ...)))``
    with ``K_j = sum_s H[j, s] k_s`` (``H`` has ``dense_order - 1`` rows).

    Coefficients are the published decimals taken as exact rationals; creation
    checks the shapes and, in floats, ``R(z) = exp(z) + O(z^(order+1))`` and
    ``R(-oo) = 0`` on the linear test equation.
    """

    name: str
    gamma: str
    A: tuple
    C: tuple
    c: tuple
    d: tuple
    H: tuple
    order: int
    embedded_order: int
    dense_order: int
    reference: str = ""

    def __post_init__(self):
        ex = self.exact()
        s = len(ex["c"])
        shapes = {"A": (s, s), "C": (s, s - 1), "d": (s,), "H": (self.dense_order - 1, s)}
        for key, shape in shapes.items():
            if np.shape(np.array(ex[key], dtype=object)) != shape:
                raise ValueError(f"{self.name} tableau: {key} must have shape {shape}")
        f = self.floats()
        A, C, g = f["A"], f["C"], f["gamma"]
        m = self.order + 2
        unit = 1.0 * (np.arange(m) == 0)
        z = np.roll(unit, 1)
        geo = g * _geometric(g, m)                 # gamma / (1 - gamma z)
        ks = []
        for i in range(s):
            u = unit + sum((A[i, j] * ks[j] for j in range(i)), np.zeros(m))
            rhs = _mul(z, u) + sum((C[i, j] * ks[j] for j in range(i)), np.zeros(m))
            ks.append(_mul(geo, rhs))
        R = unit + sum((A[-1, j] * ks[j] for j in range(s)), np.zeros(m)) + ks[-1]
        _check_stability(self.name, R, self.order, self._r(-1e8, f))

    @staticmethod
    def _r(z: float, f) -> float:
        A, C, g, s = f["A"], f["C"], f["gamma"], len(f["c"])
        ks = []
        for i in range(s):
            u = 1.0 + sum(A[i, j] * ks[j] for j in range(i))
            ks.append(g / (1 - g * z) * (z * u + sum(C[i, j] * ks[j] for j in range(i))))
        return 1.0 + sum(A[-1, j] * ks[j] for j in range(s)) + ks[-1]

    def exact(self) -> dict:
        """Coefficients as SymPy rationals (``A``, ``C``, ``H`` as nested lists)."""
        q = sp.Rational
        return {"gamma": q(self.gamma), "A": [[q(v) for v in row] for row in self.A],
                "C": [[q(v) for v in row] for row in self.C], "c": [q(v) for v in self.c],
                "d": [q(v) for v in self.d], "H": [[q(v) for v in row] for row in self.H]}

    def floats(self) -> dict:
        """float64 arrays for the numeric loops (``A`` padded to ``s x s``, ``C`` to ``s x s``)."""
        s = len(self.c)
        C = np.zeros((s, s))
        C[:, :s - 1] = np.array(self.C, dtype=float)
        return {"gamma": float(self.gamma), "A": np.array(self.A, dtype=float), "C": C,
                "c": np.array(self.c, dtype=float), "d": np.array(self.d, dtype=float),
                "H": np.array(self.H, dtype=float)}


def _rows(text: str) -> tuple:
    """Rows separated by ``;`` (a row may wrap over lines), entries by spaces."""
    return tuple(tuple(row.split()) for row in text.strip().rstrip(";").split(";"))


#: Hairer & Wanner's RODAS (``rodas.f``) coefficients, as in OrdinaryDiffEq's ``Rodas4``.
RODAS4 = RodasTableau(
    name="Rodas4", gamma="0.25",
    A=_rows("""
        0 0 0 0 0 0;
        1.544 0 0 0 0 0;
        0.9466785280815826 0.2557011698983284 0 0 0 0;
        3.314825187068521 2.896124015972201 0.9986419139977817 0 0 0;
        1.221224509226641 6.019134481288629 12.53708332932087 -0.6878860361058950 0 0;
        1.221224509226641 6.019134481288629 12.53708332932087 -0.6878860361058950 1 0;"""),
    C=_rows("""
        0 0 0 0 0;
        -5.6688 0 0 0 0;
        -2.430093356833875 -0.2063599157091915 0 0 0;
        -0.1073529058151375 -9.594562251023355 -20.47028614809616 0 0;
        7.496443313967647 -10.24680431464352 -33.99990352819905 11.70890893206160 0;
        8.083246795921522 -7.981132988064893 -31.52159432874371 16.31930543123136
            -6.058818238834054;"""),
    c=("0", "0.386", "0.21", "0.63", "1", "1"),
    d=("0.25", "-0.1043", "0.1035", "-0.0362", "0", "0"),
    H=_rows("""
        10.12623508344586 -7.487995877610167 -34.80091861555747 -7.992771707568823
            1.025137723295662 0;
        -0.6762803392801253 6.087714651680015 16.43084320892478 24.76722511418386
            -6.594389125716872 0;"""),
    order=4, embedded_order=3, dense_order=3,
    reference="E. Hairer and G. Wanner, Solving ODEs II, 2nd ed., Springer (1996), Sec. VI.4")

#: Steinebach's Rodas5P, OrdinaryDiffEq's default high-accuracy Rosenbrock method.
RODAS5P = RodasTableau(
    name="Rodas5P", gamma="0.21193756319429014",
    A=_rows("""
        0 0 0 0 0 0 0 0;
        3.0 0 0 0 0 0 0 0;
        2.849394379747939 0.45842242204463923 0 0 0 0 0 0;
        -6.954028509809101 2.489845061869568 -10.358996098473584 0 0 0 0 0;
        2.8029986275628964 0.5072464736228206 -0.3988312541770524 -0.04721187230404641 0
            0 0 0;
        -7.502846399306121 2.561846144803919 -11.627539656261098 -0.18268767659942256
            0.030198172008377946 0 0 0;
        -7.502846399306121 2.561846144803919 -11.627539656261098 -0.18268767659942256
            0.030198172008377946 1 0 0;
        -7.502846399306121 2.561846144803919 -11.627539656261098 -0.18268767659942256
            0.030198172008377946 1 1 0;"""),
    C=_rows("""
        0 0 0 0 0 0 0;
        -14.155112264123755 0 0 0 0 0 0;
        -17.97296035885952 -2.859693295451294 0 0 0 0 0;
        147.12150275711716 -1.41221402718213 71.68940251302358 0 0 0 0;
        165.43517024871676 -0.4592823456491126 42.90938336958603 -5.961986721573306 0 0
            0;
        24.854864614690072 -3.0009227002832186 47.4931110020768 5.5814197821558125
            -0.6610691825249471 0 0;
        30.91273214028599 -3.1208243349937974 77.79954646070892 34.28646028294783
            -19.097331116725623 -28.087943162872662 0;
        37.80277123390563 -3.2571969029072276 112.26918849496327 66.9347231244047
            -40.06618937091002 -54.66780262877968 -9.48861652309627;"""),
    c=("0", "0.6358126895828704", "0.4095798393397535", "0.9769306725060716",
       "0.4288403609558664", "1", "1", "1"),
    d=("0.21193756319429014", "-0.42387512638858027", "-0.3384627126235924",
       "1.8046452872882734", "2.325825639765069", "0", "0", "0"),
    H=_rows("""
        25.948786856663858 -2.5579724845846235 10.433815404888879 -2.3679251022685204
            0.524948541321073 1.1241088310450404 0.4272876194431874
            -0.17202221070155493;
        -9.91568850695171 -0.9689944594115154 3.0438037242978453 -24.495224566215796
            20.176138334709044 15.98066361424651 -6.789040303419874 -6.710236069923372;
        11.419903575922262 2.8879645146136994 72.92137995996029 80.12511834622643
            -52.072871366152654 -59.78993625266729 -0.15582684282751913
            4.883087185713722;"""),
    order=5, embedded_order=4, dense_order=4,
    reference="G. Steinebach, Construction of Rosenbrock-Wanner method Rodas5P and numerical "
              "benchmarks within the Julia Differential Equations package, BIT 63 (2023) 27")
