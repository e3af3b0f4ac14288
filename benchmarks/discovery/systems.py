"""Data generators of the equation-discovery benchmark: nine systems with known equations.

Every data set is made by symnum itself (``sn.ODESystem`` / ``sn.PDESystem`` ->
``sn.discretize(sn.FiniteDifference(...))`` -> ``sn.solve``) and cached as
``benchmarks/results/cache/<name>.npz`` (regenerated when the recipe below
changes, or with ``refresh=True``).

ODEs (4 initial conditions each, 2001 samples per trajectory):

* ``lorenz``: x' = 10(y - x), y' = 28x - xz - y, z' = xy - 8/3 z; t in [0, 10]
* ``lotka_volterra``: x' = 1.3x - 0.9xy, y' = 1.8xy - 0.8y; t in [0, 20]
* ``van_der_pol``: x' = y, y' = 2y - 2x^2 y - x; t in [0, 20]
* ``duffing`` (unforced, damped, double well): x' = y, y' = -0.2y + x - x^3; t in [0, 20]

PDEs (periodic in x, 256 points kept, 201 snapshots):

* ``burgers``: u_t = -u u_x + 0.1 u_xx; x in [-8, 8), t in [0, 10], u0 = exp(-(x + 2)^2)
* ``kdv``: u_t = -6 u u_x - u_xxx; x in [0, 40), t in [0, 6], two solitons (c = 4, 1) collide
* ``kuramoto_sivashinsky``: u_t = -u u_x - u_xx - u_xxxx; x in [0, 32 pi), t in [0, 100]
* ``allen_cahn``: u_t = 0.5 u_xx + u - u^3; x in [0, 50), t in [0, 6], small random start
* ``fitzhugh_nagumo`` (two species, excitable, Rinzel's constants; v does not diffuse):
  u_t = u_xx + u - u^3/3 - v, v_t = 0.08 u - 0.064 v + 0.056; x in [0, 100), t in [0, 40];
  three stimuli launch pulses both ways that collide and annihilate

Discovery options (the same for every method): library ``degree`` 2, or 3 where the truth is
cubic (Van der Pol, Duffing, Allen-Cahn, FitzHugh-Nagumo); ``derivative_order`` 3 (symnum's
default for PDEs) except 4 for Kuramoto-Sivashinsky, which needs u_xxxx.

Solvers: Tsit5 (ODEs, Burgers, KdV: CVODE's BDF is slow on KdV's imaginary spectrum) and
CVODE BDF (the stiff ones: Kuramoto-Sivashinsky, Allen-Cahn, FitzHugh-Nagumo), rtol 1e-9.
All PDEs are periodic in x. They are solved on a grid twice as fine as the one
kept (order-8 central differences; the kept grid is every second node), so the
data follow the continuum equation closely (``python systems.py --check`` prints
the residual of the true equation on the kept data, with spectral space
derivatives and a centred time difference from two extra saved times).

:func:`load` returns ``(measurements, truth, options)``: a
``symnum.discover.Measurements`` (PDEs) or a list of them (one per initial
condition, ODEs), the true equations as ``Eq(u(t, x).diff(t), rhs)`` in the
applied-function form the estimators return, and the options passed to
``sn.discover`` (library ``degree`` and ``derivative_order``).

Run ``python benchmarks/discovery/systems.py [--check] [--refresh] [names...]``
to generate (and check) the data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import symnum as sn  # noqa: E402

CACHE = ROOT / "benchmarks" / "results" / "cache"
RECIPE_VERSION = 1  # bump when a recipe changes in a way its spec string does not show

t, x = sp.symbols("t x")
ODE_SYSTEMS = ("lorenz", "lotka_volterra", "van_der_pol", "duffing")
PDE_SYSTEMS = ("burgers", "kdv", "kuramoto_sivashinsky", "allen_cahn", "fitzhugh_nagumo")
SYSTEMS = ODE_SYSTEMS + PDE_SYSTEMS


@dataclass
class Recipe:
    """How to make one data set (everything that goes into the cache key)."""

    name: str
    fields: list            # field names, in state order
    rhs: dict               # field name -> right-hand side in the applied functions
    options: dict           # options for sn.discover (degree, derivative_order)
    # ODE
    initial: list = field(default_factory=list)   # list of tuples, one per trajectory
    tspan: tuple = (0.0, 1.0)
    n_t: int = 2001
    # PDE
    length: tuple = (0.0, 1.0)       # x interval (periodic, right end excluded)
    n_x: int = 256                   # kept nodes
    refine: int = 2                  # solve on refine * n_x nodes
    fd_order: int = 8
    u0: dict = field(default_factory=dict)    # field -> SymPy expression of x
    solver: str = "Tsit5"
    rtol: float = 1e-9
    atol: float = 1e-11

    @property
    def kind(self) -> str:
        return "ode" if self.initial else "pde"

    def functions(self):
        return {n: sp.Function(n) for n in self.fields}

    def applied(self):
        args = (t,) if self.kind == "ode" else (t, x)
        return {n: f(*args) for n, f in self.functions().items()}

    def truth(self) -> list:
        """``[Eq(u(t, x).diff(t), rhs), ...]`` in the order of ``fields``."""
        a = self.applied()
        return [sp.Eq(a[n].diff(t), self.rhs[n]) for n in self.fields]

    def spec(self) -> str:
        """A string that changes whenever the recipe does (the cache key)."""
        d = {k: v for k, v in self.__dict__.items() if k not in ("rhs", "u0")}
        d["rhs"] = {k: sp.srepr(v) for k, v in self.rhs.items()}
        d["u0"] = {k: sp.srepr(v) for k, v in self.u0.items()}
        d["version"] = RECIPE_VERSION
        return json.dumps(d, sort_keys=True, default=str)


def _smooth_random(length, modes, amplitude, seed):
    """A deterministic smooth periodic function of x: a few random Fourier modes."""
    rng = np.random.default_rng(seed)
    expr = 0
    for k in range(1, modes + 1):
        a = float(np.round(rng.normal(0, amplitude / np.sqrt(k)), 4))
        ph = float(np.round(rng.uniform(0, 2 * np.pi), 4))
        expr += a * sp.cos(2 * sp.pi * k * x / length + ph)
    return expr


def recipe(name: str) -> Recipe:
    """The recipe of one system (see the module docstring for the table)."""
    if name == "lorenz":
        X, Y, Z = (sp.Function(n)(t) for n in "xyz")
        return Recipe(name, ["x", "y", "z"],
                      {"x": 10 * (Y - X), "y": 28 * X - X * Z - Y,
                       "z": X * Y - sp.Rational(8, 3) * Z},
                      {"degree": 2},
                      initial=[(-8.0, 7.0, 27.0), (0.5, -1.0, 20.0), (6.0, 3.0, 10.0),
                               (-3.0, -5.0, 35.0)],
                      tspan=(0.0, 10.0), n_t=2001)
    if name == "lotka_volterra":
        X, Y = (sp.Function(n)(t) for n in "xy")
        return Recipe(name, ["x", "y"],
                      {"x": sp.Rational(13, 10) * X - sp.Rational(9, 10) * X * Y,
                       "y": sp.Rational(18, 10) * X * Y - sp.Rational(8, 10) * Y},
                      {"degree": 2},
                      initial=[(0.5, 1.0), (1.0, 0.5), (1.5, 2.0), (0.3, 0.3)],
                      tspan=(0.0, 20.0), n_t=2001)
    if name == "van_der_pol":
        X, Y = (sp.Function(n)(t) for n in "xy")
        return Recipe(name, ["x", "y"], {"x": Y, "y": 2 * Y - 2 * X ** 2 * Y - X},
                      {"degree": 3},
                      initial=[(2.0, 0.0), (0.1, 0.0), (-1.0, 3.0), (3.0, -2.0)],
                      tspan=(0.0, 20.0), n_t=2001)
    if name == "duffing":
        X, Y = (sp.Function(n)(t) for n in "xy")
        return Recipe(name, ["x", "y"],
                      {"x": Y, "y": -sp.Rational(1, 5) * Y + X - X ** 3},
                      {"degree": 3},
                      initial=[(0.5, 0.0), (-1.5, 0.5), (2.0, 0.0), (0.0, 1.2)],
                      tspan=(0.0, 20.0), n_t=2001)
    u = sp.Function("u")(t, x)
    if name == "burgers":
        return Recipe(name, ["u"], {"u": -u * u.diff(x) + sp.Rational(1, 10) * u.diff(x, 2)},
                      {"degree": 2, "derivative_order": 3},
                      length=(-8.0, 8.0), u0={"u": sp.exp(-(x + 2) ** 2)},
                      tspan=(0.0, 10.0), n_t=201)
    if name == "kdv":
        def soliton(c, x0):
            return sp.Rational(1, 2) * c * sp.sech(sp.sqrt(c) / 2 * (x - x0)) ** 2
        return Recipe(name, ["u"], {"u": -6 * u * u.diff(x) - u.diff(x, 3)},
                      {"degree": 2, "derivative_order": 3},
                      length=(0.0, 40.0), u0={"u": soliton(4, 10) + soliton(1, 18)},
                      tspan=(0.0, 6.0), n_t=201)
    if name == "kuramoto_sivashinsky":
        L = 32 * sp.pi
        return Recipe(name, ["u"],
                      {"u": -u * u.diff(x) - u.diff(x, 2) - u.diff(x, 4)},
                      {"degree": 2, "derivative_order": 4},
                      length=(0.0, float(L)),
                      u0={"u": sp.cos(x / 16) * (1 + sp.sin(x / 16))},
                      tspan=(0.0, 100.0), n_t=201, solver="CVODE", rtol=1e-9, atol=1e-11)
    if name == "allen_cahn":
        return Recipe(name, ["u"], {"u": sp.Rational(1, 2) * u.diff(x, 2) + u - u ** 3},
                      {"degree": 3, "derivative_order": 3},
                      length=(0.0, 50.0), u0={"u": _smooth_random(50.0, 8, 0.3, seed=1)},
                      tspan=(0.0, 6.0), n_t=201, solver="CVODE")
    if name == "fitzhugh_nagumo":
        # excitable FitzHugh-Nagumo (Rinzel's constants): three stimuli launch pulses in both
        # directions that collide and annihilate; v does not diffuse.
        v = sp.Function("v")(t, x)
        L = 100.0
        u_rest, v_rest = -1.1994, -0.6243
        stimuli = sum(3 * sp.exp(-(x - p) ** 2 / 2) for p in (0.15 * L, 0.4 * L, 0.8 * L))
        refractory = sp.exp(-(x - 0.4 * L - 3) ** 2 / 4)  # makes the middle pulse one-sided
        return Recipe(name, ["u", "v"],
                      {"u": u.diff(x, 2) + u - u ** 3 / 3 - v,
                       "v": sp.Rational(8, 100) * u - sp.Rational(64, 1000) * v
                       + sp.Rational(56, 1000)},
                      {"degree": 3, "derivative_order": 3},
                      length=(0.0, L), u0={"u": u_rest + stimuli, "v": v_rest + refractory},
                      tspan=(0.0, 40.0), n_t=201, solver="CVODE")
    raise SystemExit(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")


def _algorithm(name):
    return {"Tsit5": sn.Tsit5, "CVODE": sn.CVODE, "Rodas5P": sn.Rodas5P, "DP5": sn.DP5}[name]()


def _solve_ode(r: Recipe):
    funcs = r.functions()
    eqs = [sp.Eq(funcs[n](t).diff(t), r.rhs[n]) for n in r.fields]
    system = sn.ODESystem(eqs, initial={funcs[n](0): v for n, v in zip(r.fields, r.initial[0])},
                          tspan=r.tspan)
    prob = sn.discretize(system)
    ts = np.linspace(*r.tspan, r.n_t)
    trajs, stats = [], []
    for ic in r.initial:
        sol = sn.solve(prob, _algorithm(r.solver), rtol=r.rtol, atol=r.atol, saveat=ts,
                       y0=np.array(ic, dtype=float))
        if not sol.result.ok:
            raise RuntimeError(f"{r.name}: solve from {ic} failed: {sol.result.value}")
        trajs.append({n: np.asarray(sol[n], dtype=float) for n in r.fields})
        stats.append(int(sol.stats.get("nfev", -1)))
    return ts, None, trajs, stats


def _pde_system(r: Recipe, t_end=None):
    funcs = r.functions()
    eqs = [sp.Eq(funcs[n](t, x).diff(t), r.rhs[n]) for n in r.fields]
    t0 = sp.nsimplify(r.tspan[0])
    t1 = r.tspan[1] if t_end is None else t_end
    return sn.PDESystem(eqs, domain={t: (t0, t1), x: r.length},
                        initial=[sp.Eq(funcs[n](t0, x), r.u0[n]) for n in r.fields],
                        boundary=[sn.Periodic(x)])


def _solve_pde(r: Recipe, saveat):
    n_fine = r.n_x * r.refine
    prob = sn.discretize(_pde_system(r, t_end=float(saveat[-1])),
                         sn.FiniteDifference({x: n_fine}, order=r.fd_order))
    sol = sn.solve(prob, _algorithm(r.solver), rtol=r.rtol, atol=r.atol, saveat=saveat,
                   max_steps=2_000_000)
    if not sol.result.ok:
        raise RuntimeError(f"{r.name}: solve failed: {sol.result.value}")
    xs = np.asarray(sol.grid[x], dtype=float)[::r.refine]
    fields = {n: np.asarray(sol[n], dtype=float)[:, ::r.refine] for n in r.fields}
    for n, U in fields.items():
        if not np.all(np.isfinite(U)):
            raise RuntimeError(f"{r.name}: field {n} has non-finite values")
    return xs, fields, int(sol.stats.get("nfev", -1))


@dataclass
class SystemData:
    """One generated data set: arrays, truth and discovery options."""

    name: str
    kind: str
    fields: list
    t: np.ndarray
    x: np.ndarray | None
    trajectories: list          # list of {field: array}; ODE (n_t,), PDE (n_t, n_x)
    truth: list
    options: dict
    seconds: float              # generation time (0 when read from the cache)
    cached: bool

    def measurements(self):
        """``Measurements`` (PDE, periodic in x) or a list of them, one per trajectory (ODE)."""
        from symnum.discover.measurements import Measurements

        coords = {t: self.t} if self.kind == "ode" else {t: self.t, x: self.x}
        periodic = () if self.kind == "ode" else (x,)
        out = [Measurements({n: v for n, v in tr.items()}, coords=coords, periodic=periodic)
               for tr in self.trajectories]
        return out if self.kind == "ode" else out[0]


def generate(name: str, refresh: bool = False, cache: bool = True) -> SystemData:
    """Make (or read from the cache) the data of system ``name``."""
    r = recipe(name)
    path = CACHE / f"{name}.npz"
    spec = r.spec()
    if cache and not refresh and path.exists():
        with np.load(path, allow_pickle=False) as z:
            if str(z["spec"]) == spec:
                n_traj = int(z["n_traj"])
                trajs = [{n: z[f"{n}_{k}"] for n in r.fields} for k in range(n_traj)]
                xs = z["x"] if r.kind == "pde" else None
                return SystemData(name, r.kind, r.fields, z["t"], xs, trajs, r.truth(),
                                  dict(r.options), float(z["seconds"]), True)
    t0 = time.perf_counter()
    if r.kind == "ode":
        ts, xs, trajs, _ = _solve_ode(r)
    else:
        ts = np.linspace(*r.tspan, r.n_t)
        xs, fields, _ = _solve_pde(r, ts)
        trajs = [fields]
    seconds = time.perf_counter() - t0
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        arrays = {f"{n}_{k}": tr[n] for k, tr in enumerate(trajs) for n in r.fields}
        np.savez_compressed(path, spec=np.array(spec), t=ts,
                            x=xs if xs is not None else np.zeros(0),
                            n_traj=np.array(len(trajs)), seconds=np.array(seconds), **arrays)
    return SystemData(name, r.kind, r.fields, ts, xs, trajs, r.truth(), dict(r.options),
                      seconds, False)


def load(name: str, refresh: bool = False):
    """``(measurements, truth, options)`` of system ``name`` (see the module docstring)."""
    data = generate(name, refresh=refresh)
    return data.measurements(), data.truth, data.options


# -- checking the data against the true equation -------------------------------------------

def _spectral_derivative(U, length, order):
    n = U.shape[-1]
    k = 2 * np.pi * np.fft.fftfreq(n, d=length / n)
    mult = (1j * k) ** order
    if order % 2 and n % 2 == 0:
        mult[n // 2] = 0.0
    return np.real(np.fft.ifft(mult * np.fft.fft(U, axis=-1), axis=-1))


def check(name: str) -> dict:
    """Relative residual of the true equation on the kept data.

    ODEs: the true right-hand side against a 4th-order central difference in
    time. PDEs: space derivatives spectral on the kept grid, ``u_t`` from two
    extra solves saved at ``t +- 1e-4``.
    """
    data = generate(name)
    r = recipe(name)
    out = {"system": name, "gen_s": round(data.seconds, 2)}
    if data.kind == "ode":
        res = []
        h = data.t[1] - data.t[0]
        for tr in data.trajectories:
            env = {sp.Function(n)(t): tr[n] for n in r.fields}
            for n in r.fields:
                f = sp.lambdify(list(env), r.rhs[n], "numpy")
                rhs = np.broadcast_to(f(*env.values()), tr[n].shape)
                v = tr[n]
                dv = (-v[4:] + 8 * v[3:-1] - 8 * v[1:-3] + v[:-4]) / (12 * h)
                res.append(np.linalg.norm(dv - rhs[2:-2]) / np.linalg.norm(dv))
        out["residual"] = float(max(res))
        return out
    eps = 1e-4
    inner = data.t[1:-1]
    _, plus, _ = _solve_pde(r, np.concatenate([[data.t[0]], inner + eps]))
    _, minus, _ = _solve_pde(r, np.concatenate([[data.t[0]], inner - eps]))
    L = r.length[1] - r.length[0]
    res = []
    for n in r.fields:
        ut = (plus[n][1:] - minus[n][1:]) / (2 * eps)
        values = {}
        for m in r.fields:
            U = data.trajectories[0][m][1:-1]
            values[sp.Function(m)(t, x)] = U
            for k in range(1, 5):
                values[sp.Function(m)(t, x).diff(x, k)] = _spectral_derivative(U, L, k)
        expr = r.rhs[n]
        derivs = sorted(expr.atoms(sp.Derivative), key=str)
        syms = sp.symbols(f"_d0:{len(derivs)}")
        e2 = expr.subs(dict(zip(derivs, syms)))
        funcs = [sp.Function(m)(t, x) for m in r.fields]
        fsyms = sp.symbols(f"_f0:{len(funcs)}")
        e2 = e2.subs(dict(zip(funcs, fsyms)))
        f = sp.lambdify(list(fsyms) + list(syms), e2, "numpy")
        rhs = f(*[values[a] for a in funcs], *[values[d] for d in derivs])
        res.append(np.linalg.norm(ut - rhs) / np.linalg.norm(ut))
        out[f"ux_std_{n}"] = float(np.std(_spectral_derivative(data.trajectories[0][n], L, 1)))
    out["residual"] = float(max(res))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", default=list(SYSTEMS))
    ap.add_argument("--refresh", action="store_true", help="regenerate even if cached")
    ap.add_argument("--check", action="store_true",
                    help="print the residual of the true equation on the data")
    args = ap.parse_args(argv)
    for name in args.names:
        t0 = time.perf_counter()
        data = generate(name, refresh=args.refresh)
        wall = time.perf_counter() - t0
        shapes = {n: data.trajectories[0][n].shape for n in data.fields}
        source = "cache" if data.cached else "new"
        print(f"{name:22s} generated in {data.seconds:7.2f} s ({source}, {wall:.2f} s now); "
              f"{len(data.trajectories)} trajectory(ies), shapes {shapes}",
              flush=True)
        if args.check:
            print("   ", check(name), flush=True)


if __name__ == "__main__":
    main()
