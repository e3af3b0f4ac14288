"""B5 Lorenz and B3 explicit 2D Brusselator: symnum's compiled explicit RK vs SciPy ``solve_ivp``.

Run by hand (not in tests)::

    python benchmarks/bench_explicit.py                 # B5 and B3
    python benchmarks/bench_explicit.py --only B5 --repeats 20

B5: Lorenz (sigma=10, rho=28, beta=8/3), y0=(1,0,0), t in [0, 100],
rtol=atol=1e-8, states saved every 0.1. Peers: ``solve_ivp`` LSODA, DOP853 and
RK45 with a numba-compiled right-hand side. The trajectory is chaotic, so
accuracy is read where it is still meaningful: the relative error at t=10 and
t=20 against DOP853 at rtol=atol=1e-13. symnum also runs at rtol=atol=1e-9 to
show the work at matched (or better) accuracy.

B3: explicit RK on the stiff 2D Brusselator (SciML form, N=32, periodic,
t in [0, 11.5], rtol=1e-3, atol=1e-6), hand-written numba RHS from
``benchmarks/brusselator_handwritten.py`` (shared with B1; the generated kernel
replaces it once codegen lands there). Steps are limited by stability
(~250k), so this measures per-step cost. Error: relative L2 error of the final
state against ``benchmarks/results/ref_N32.npy`` (CVODE, rtol=atol=1e-10; B1).
Peer: ``solve_ivp`` RK45 (the same Dormand--Prince pair as symnum's DP5).

Timings: median of ``--repeats`` warm runs after one cold run ("first", which
for symnum includes loading the cached compiled driver); runs whose cold run
takes longer than ``--slow`` seconds are timed once more only.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from brusselator_handwritten import TSPAN as B3_SPAN  # noqa: E402
from brusselator_handwritten import brusselator, initial_state  # noqa: E402
from harness import RESULTS, fmt_time, print_table, write_json  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.brusselator_model import brusselator_problem  # noqa: E402

from symnum.solvers.algorithm import SolveOptions  # noqa: E402
from symnum.solvers.explicit import BS3, DP5, Tsit5  # noqa: E402
from symnum.solvers.functions import ODEFunctions  # noqa: E402

LORENZ_P = np.array([10.0, 28.0, 8.0 / 3.0])
LORENZ_Y0 = np.array([1.0, 0.0, 0.0])
B5_SPAN = (0.0, 100.0)
B5_SAVE = np.linspace(0.0, 100.0, 1001)
B5_CHECK = (10.0, 20.0)


@numba.njit(cache=True)
def lorenz_into(t, u, p, out):
    out[0] = p[0] * (u[1] - u[0])
    out[1] = u[0] * (p[1] - u[2]) - u[1]
    out[2] = u[0] * u[1] - p[2] * u[2]


@numba.njit(cache=True)
def lorenz_alloc(t, u):  # what SciPy calls: numba, allocating, no Python in the body
    out = np.empty(3)
    lorenz_into(t, u, LORENZ_P, out)
    return out


def lorenz_functions() -> ODEFunctions:
    return ODEFunctions(n=3, rhs=lorenz_alloc, numba_rhs=lorenz_into, params=LORENZ_P)


def timed(fn, repeats: int, slow: float) -> dict:
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(1 if first > slow else repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "min": min(times), "n": len(times),
            "first": first, "out": out}


def rel_err(y, ref) -> float:
    return float(np.linalg.norm(y - ref) / np.linalg.norm(ref))


def bench_b5(repeats: int, slow: float) -> list[dict]:
    ref_sol = solve_ivp(lorenz_alloc, B5_SPAN, LORENZ_Y0, method="DOP853", rtol=1e-13,
                        atol=1e-13, dense_output=True)
    refs = [ref_sol.sol(t) for t in B5_CHECK]
    idx = [int(np.argmin(np.abs(B5_SAVE - t))) for t in B5_CHECK]
    f = lorenz_functions()
    rows = []

    def add(name, rtol, fn, unpack):
        r = timed(fn, repeats, slow)
        ys, steps, nfev = unpack(r.pop("out"))
        row = {"solver": name, "rtol": rtol, **r, "steps": steps, "nfev": nfev}
        for t, i, ref in zip(B5_CHECK, idx, refs):
            row[f"err@{t:g}"] = rel_err(ys[i], ref)
        rows.append(row)
        print(f"  {name:34s} {fmt_time(row['median']):>9s}  err@10={row['err@10']:.1e}",
              flush=True)

    for alg, rtol in ((Tsit5(), 1e-8), (DP5(), 1e-8), (Tsit5(), 1e-9),
                      (Tsit5(compiled=False), 1e-8)):
        opts = SolveOptions(rtol=rtol, atol=rtol, saveat=B5_SAVE, dense=False)
        label = f"symnum {alg.name}" + ("" if alg.compiled else " (Python engine)")
        add(label, rtol, lambda alg=alg, opts=opts: alg.run(f, LORENZ_Y0, B5_SPAN, opts),
            lambda raw: (raw.ys, raw.stats["steps"], raw.stats["nfev"]))
    for method in ("LSODA", "DOP853", "RK45"):
        add(f"scipy solve_ivp {method}", 1e-8,
            lambda m=method: solve_ivp(lorenz_alloc, B5_SPAN, LORENZ_Y0, method=m, rtol=1e-8,
                                       atol=1e-8, t_eval=B5_SAVE),
            lambda sol: (sol.y.T, None, sol.nfev))
    return rows


def bench_b3(repeats: int, slow: float, N: int = 32) -> list[dict]:
    # symnum runs the kernel it generates from the SymPy model; SciPy gets the hand-written
    # numba kernel (same discrete problem, same state layout)
    hand, y0 = brusselator(N), initial_state(N)
    prob = brusselator_problem(N)
    f = prob.functions()
    assert np.allclose(prob.y0, y0)
    ref_path = RESULTS / f"ref_N{N}.npy"
    if ref_path.exists():
        ref = np.load(ref_path)
    else:  # B1 writes it; without it, a tight explicit solve is accurate enough
        print(f"  {ref_path.name} missing: reference from symnum DP5 at rtol=atol=1e-10",
              flush=True)
        ref = DP5().run(f, y0, B3_SPAN, SolveOptions(rtol=1e-10, atol=1e-10, saveat=[11.5],
                                                     max_steps=10**7, dense=False)).ys[-1]
    save = np.linspace(*B3_SPAN, 24)
    rtol, atol = 1e-3, 1e-6
    rows = []
    for alg in (Tsit5(), DP5(), BS3()):
        opts = SolveOptions(rtol=rtol, atol=atol, saveat=save, dense=False, max_steps=10**7)
        r = timed(lambda alg=alg, opts=opts: alg.run(f, y0, B3_SPAN, opts), repeats, slow)
        raw = r.pop("out")
        assert raw.result.ok, raw.message
        rows.append({"solver": f"symnum {alg.name}", "rtol": rtol, **r,
                     "steps": raw.stats["steps"], "nfev": raw.stats["nfev"],
                     "err": rel_err(raw.ys[-1], ref)})
        print(f"  symnum {alg.name:27s} {fmt_time(r['median']):>9s}", flush=True)
    for method in ("RK45", "RK23"):
        r = timed(lambda m=method: solve_ivp(hand.rhs, B3_SPAN, y0, method=m, rtol=rtol, atol=atol,
                                             t_eval=save), 1, slow)
        sol = r.pop("out")
        rows.append({"solver": f"scipy solve_ivp {method}", "rtol": rtol, **r, "steps": None,
                     "nfev": sol.nfev, "err": rel_err(sol.y[:, -1], ref)})
        print(f"  scipy solve_ivp {method:18s} {fmt_time(r['median']):>9s}", flush=True)
    return rows


def ratios(rows: list[dict], ours: str, peers: str) -> None:
    """Ratio column: fastest SciPy run's median over each row's median."""
    best = min(r["median"] for r in rows if r["solver"].startswith(peers))
    for r in rows:
        r["speedup_vs_best_scipy"] = best / r["median"]


def show(rows, title, errs):
    table = [{**r, "median": fmt_time(r["median"]), "min": fmt_time(r["min"]),
              "first": fmt_time(r["first"]), "x scipy": f"{r['speedup_vs_best_scipy']:.1f}x",
              **{e: f"{r[e]:.1e}" for e in errs}} for r in rows]
    print_table(table, ["solver", "rtol", "median", "min", "first", "n", "steps", "nfev", *errs,
                        "x scipy"], title)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["B5", "B3"])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--slow", type=float, default=5.0, help="cold runs above this many "
                    "seconds are timed once more only")
    args = ap.parse_args(argv)
    meta = {"numba": numba.__version__, "threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    if args.only in (None, "B5"):
        print("B5 Lorenz, t in [0, 100], rtol=atol=1e-8 ...", flush=True)
        rows = bench_b5(args.repeats, args.slow)
        ratios(rows, "symnum", "scipy")
        show(rows, "B5 Lorenz (err: relative to DOP853 rtol=atol=1e-13)", ["err@10", "err@20"])
        write_json("bench_explicit_B5", rows, **meta)
    if args.only in (None, "B3"):
        print("\nB3 Brusselator N=32, explicit, rtol=1e-3 ...", flush=True)
        rows = bench_b3(max(1, args.repeats // 5), args.slow)
        ratios(rows, "symnum", "scipy")
        show(rows, "B3 explicit Brusselator N=32 (err: final state vs CVODE 1e-10)", ["err"])
        write_json("bench_explicit_B3", rows, **meta)


if __name__ == "__main__":
    main()
