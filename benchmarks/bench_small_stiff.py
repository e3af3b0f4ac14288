"""B4: a small stiff ODE (Robertson kinetics), symnum Rosenbrock23 against its peers.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_small_stiff.py [--quick]``.

Robertson (k1 = 0.04, k2 = 3e7, k3 = 1e4; y0 = (1, 0, 0); t in [0, 1e5]) at
rtol 1e-3 / atol 1e-6, as in the NumbaLSODA / SciMLBenchmarks ROBER runs
(``shared/research/perf.md`` 1.2, 2.4). Each row is the median (and min) of
many warm solves in this one process; the error is the relative L2 error of
the final state against a Radau solve at rtol 1e-12 (perf.md's metric; ``y2``
is below ``atol`` there, so a per-component relative error would measure noise).
Rows:

* symnum ``Rosenbrock23`` compiled (numba ``rhs``/``jac``), saving every step
  with dense output (the default), saving only ``t = 1e5``, and at half the
  tolerances, where its error is below LSODA's (matched accuracy);
* symnum ``Rodas4`` / ``Rodas5P`` compiled (higher order: smaller errors);
* symnum ``Rosenbrock23`` Python loop, and symnum ``CVODE`` (same functions);
* SciPy ``odeint`` (LSODA) with a Python RHS and with a numba RHS (the
  published calibration rows), and with an analytic Jacobian;
* SciPy ``solve_ivp`` BDF / Radau / LSODA with the analytic Jacobian;
* scikit-sundae ``CVODE`` directly (dense LU; finite-difference and analytic Jacobian).

A second table times the linear algebra of one Rosenbrock step at ``n = 3``
inside numba: the hand-written LU (factor once, three solves) against three
``np.linalg.solve`` calls.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import print_table, time_call, write_json  # noqa: E402
from symnum.solvers.algorithm import SolveOptions  # noqa: E402
from symnum.solvers.cvode import CVODE  # noqa: E402
from symnum.solvers.functions import ODEFunctions  # noqa: E402
from symnum.solvers.rodas import Rodas4, Rodas5P  # noqa: E402
from symnum.solvers.rosenbrock import Rosenbrock23  # noqa: E402
from symnum.solvers.rosenbrock_kernels import lu_factor, lu_solve  # noqa: E402

K1, K2, K3 = 0.04, 3e7, 1e4
P = np.array([K1, K2, K3])
Y0 = np.array([1.0, 0.0, 0.0])
T1, RTOL, ATOL = 1e5, 1e-3, 1e-6


@njit(cache=True)
def rob_rhs(t, y, p, out):
    out[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    out[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    out[2] = p[1] * y[1] * y[1]


@njit(cache=True)
def rob_jac(t, y, p, J):
    J[0, 0] = -p[0]
    J[0, 1] = p[2] * y[2]
    J[0, 2] = p[2] * y[1]
    J[1, 0] = p[0]
    J[1, 1] = -p[2] * y[2] - 2.0 * p[1] * y[1]
    J[1, 2] = -p[2] * y[1]
    J[2, 1] = 2.0 * p[1] * y[1]


def py_rhs(t, y):
    return np.array([-K1 * y[0] + K3 * y[1] * y[2],
                     K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2, K2 * y[1] ** 2])


def py_jac(t, y):
    return np.array([[-K1, K3 * y[2], K3 * y[1]],
                     [K1, -K3 * y[2] - 2 * K2 * y[1], -K3 * y[1]],
                     [0.0, 2 * K2 * y[1], 0.0]])


@njit(cache=True)
def odeint_numba_rhs(y, t):
    return np.array([-K1 * y[0] + K3 * y[1] * y[2],
                     K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2, K2 * y[1] ** 2])


def reference() -> np.ndarray:
    from scipy.integrate import solve_ivp

    r = solve_ivp(py_rhs, (0.0, T1), Y0, method="Radau", jac=py_jac, rtol=1e-12, atol=1e-20)
    return r.y[:, -1]


def contenders():
    from scipy.integrate import odeint, solve_ivp
    from sksundae.cvode import CVODE as SunCVODE

    fns = ODEFunctions(n=3, rhs=py_rhs, jac=py_jac, numba_rhs=rob_rhs, numba_jac=rob_jac,
                       params=P.copy())
    every = SolveOptions(rtol=RTOL, atol=ATOL)
    final = SolveOptions(rtol=RTOL, atol=ATOL, saveat=np.array([T1]), dense=False)
    # half the tolerances: final-state error below LSODA's at rtol 1e-3 (matched accuracy)
    matched = SolveOptions(rtol=RTOL / 2, atol=ATOL / 2, saveat=np.array([T1]), dense=False)
    ros, ros_py = Rosenbrock23(), Rosenbrock23(compiled=False)
    tt = np.array([0.0, T1])

    def sun_rhs(t, y, yp):
        yp[:] = py_rhs(t, y)

    def sun_jac(t, y, yp, JJ):
        JJ[:, :] = py_jac(t, y)

    def last(raw):
        return raw.ys[-1], raw.stats["steps"], raw.stats["nfev"]

    def ivp(method):
        def run():
            r = solve_ivp(py_rhs, (0.0, T1), Y0, method=method, jac=py_jac, rtol=RTOL, atol=ATOL)
            return r.y[:, -1], r.t.size - 1, r.nfev
        return run

    def sundae(jac):
        kw = {"jacfn": sun_jac} if jac else {}

        def run():
            r = SunCVODE(sun_rhs, rtol=RTOL, atol=ATOL, **kw).solve(tt, Y0)
            return r.y[-1], len(r.t) - 1, r.nfev
        return run

    def lsoda(rhs, dfun=None):
        def run():
            y, info = odeint(rhs, Y0, tt, rtol=RTOL, atol=ATOL, Dfun=dfun, full_output=True)
            return y[-1], int(info["nst"][-1]), int(info["nfe"][-1])
        return run

    def ours(alg, opts):
        return lambda: last(alg.run(fns, Y0, (0.0, T1), opts))

    yield "symnum Rosenbrock23 compiled, every step", True, ours(ros, every)
    yield "symnum Rosenbrock23 compiled, t=1e5 only", True, ours(ros, final)
    yield "symnum Rosenbrock23 compiled, rtol 5e-4", True, ours(ros, matched)
    yield "symnum Rodas4 compiled", True, ours(Rodas4(), final)
    yield "symnum Rodas5P compiled", True, ours(Rodas5P(), final)
    yield "symnum Rosenbrock23 Python loop", True, ours(ros_py, final)
    yield "symnum CVODE (dense)", True, ours(CVODE(), final)
    yield "SciPy odeint LSODA, Python RHS", False, lsoda(lambda y, t: py_rhs(t, y))
    yield "SciPy odeint LSODA, numba RHS", False, lsoda(odeint_numba_rhs)
    yield "SciPy odeint LSODA, Python RHS + Jac", False, lsoda(lambda y, t: py_rhs(t, y),
                                                               lambda y, t: py_jac(t, y))
    for m in ("BDF", "Radau", "LSODA"):
        yield f"SciPy solve_ivp {m} + Jac", False, ivp(m)
    yield "scikit-sundae CVODE, FD Jacobian", False, sundae(False)
    yield "scikit-sundae CVODE, analytic Jac", False, sundae(True)


@njit(cache=True)
def _hand_lu(J, hd, reps):
    n = J.shape[0]
    W = np.empty((n, n)); piv = np.empty(n, np.int64); dinv = np.empty(n); b = np.empty(n)
    s = 0.0
    for r in range(reps):
        for i in range(n):
            for j in range(n):
                W[i, j] = -hd * J[i, j]
            W[i, i] += 1.0
        lu_factor(W, piv, dinv)
        for k in range(3):
            b[:] = 1.0 + k + r * 1e-12
            lu_solve(W, piv, dinv, b)
            s += b[0]
    return s


@njit(cache=True)
def _np_solve(J, hd, reps):
    n = J.shape[0]
    W = np.empty((n, n)); b = np.empty(n)
    s = 0.0
    for r in range(reps):
        for i in range(n):
            for j in range(n):
                W[i, j] = -hd * J[i, j]
            W[i, i] += 1.0
        for k in range(3):
            b[:] = 1.0 + k + r * 1e-12
            s += np.linalg.solve(W, b)[0]
    return s


def linear_algebra_rows(reps: int) -> list[dict]:
    J = py_jac(0.0, np.array([0.9, 3e-5, 0.1]))
    rows = []
    for name, fn in (("hand-written LU + 3 solves", _hand_lu),
                     ("3 x np.linalg.solve", _np_solve)):
        fn(J, 1e-3, 10)
        best = min(_timed(lambda: fn(J, 1e-3, reps)) for _ in range(5)) / reps
        rows.append({"method (n = 3, inside numba)": name, "ns per step": f"{best * 1e9:.0f}",
                     "ns": best * 1e9})
    return rows


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(quick: bool = False) -> None:
    ref = reference()
    rows, ours = [], None
    for name, is_ours, fn in contenders():
        t0 = time.perf_counter()
        fn()                              # cold call: compile or load caches
        cold = time.perf_counter() - t0
        fast = "compiled" in name
        repeats = (200 if quick else 3000) if fast else (5 if quick else 50)
        tc = time_call(fn, repeats=repeats, warmup=2)
        y, steps, nfev = tc["result"]
        err = float(np.linalg.norm(np.asarray(y) - ref) / np.linalg.norm(ref))
        row = {"solver": name, "median_us": tc["median"] * 1e6, "min_us": tc["min"] * 1e6,
               "first_s": cold, "steps": steps, "nfev": nfev, "rel_err": err, "repeats": repeats}
        rows.append(row)
        if ours is None and is_ours:
            ours = row
    for r in rows:
        r["ratio"] = r["median_us"] / ours["median_us"]
        r["median"] = f"{r['median_us']:.1f} us"
        r["min"] = f"{r['min_us']:.1f} us"
        r["cold"] = f"{r['first_s']:.2f} s"
        r["error"] = f"{r['rel_err']:.1e}"
        r["peer/ours"] = f"{r['ratio']:.1f}x"
    print_table(rows, ["solver", "median", "min", "peer/ours", "steps", "nfev", "error", "cold"],
                title=f"B4 Robertson, rtol {RTOL:g} / atol {ATOL:g}, t in [0, {T1:g}] "
                      "(ours = first row)")
    la = linear_algebra_rows(20_000 if quick else 200_000)
    print_table(la, ["method (n = 3, inside numba)", "ns per step"],
                title="Linear algebra of one Rosenbrock23 step (1 factorization, 3 solves)")
    write_json("bench_small_stiff",
               [{k: v for k, v in r.items() if not isinstance(v, str) or k == "solver"}
                for r in rows],
               reference=list(map(float, ref)), rtol=RTOL, atol=ATOL, t1=T1,
               linear_algebra=[{"method": r["method (n = 3, inside numba)"], "ns": r["ns"]}
                               for r in la])


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
