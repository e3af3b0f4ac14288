"""B1: stiff 2D Brusselator (SciML form), symnum CVODE vs peers at matched accuracy.

Run by hand (not in tests)::

    python benchmarks/bench_brusselator_stiff.py              # N = 32, 64, 128
    python benchmarks/bench_brusselator_stiff.py --sizes 32 --repeats 5

Setup (``shared/research/perf.md`` sections 2.1 and 3): t in [0, 11.5],
rtol 1e-6 / atol 1e-8, single-threaded BLAS. Error = relative L2 error of the
final state against a reference from CVODE sparse direct at rtol = atol = 1e-10,
cached in ``benchmarks/results/ref_N*.npy``. Peers get the hand-written numba
RHS and the analytic sparse Jacobian (the best configuration in perf.md):

* CVODE (scikit-sundae) BDF, SuperLU_MT sparse direct, analytic Jacobian;
* SciPy ``solve_ivp`` BDF with ``jac_sparsity``;
* py-pde ``PDE.solve`` with its SciPy BDF solver and ``jac_sparsity`` (end to end;
  it recompiles its RHS on every call), if py-pde is installed.

symnum runs ``sn.solve(sn.discretize(<SymPy Brusselator>), sn.CVODE())`` (generated
kernels; ``linear_solver="auto"`` -> GMRES with the FFT
preconditioner) on the same tolerance and, when its error there is above the best
peer's, on tighter tolerances until it is not (matched accuracy, read off the
work-precision curve). Ratio = best peer's time / symnum's time at matched error.
Timings: median of ``--repeats`` warm runs after one cold run ("first");
configurations whose cold run takes more than ``--slow`` seconds get one warm run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from brusselator_handwritten import TSPAN, brusselator, initial_state  # noqa: E402
from harness import RESULTS, fmt_time, print_table, write_json  # noqa: E402

import symnum as sn  # noqa: E402
from symnum.solvers.cvode import CVODE  # noqa: E402

RTOL, ATOL = 1e-6, 1e-8
# tighter settings tried, in order, until symnum's error is <= the best peer's
MATCH_RTOLS = (5e-7, 2.5e-7, 1e-7)


def symnum_functions(N):
    """What symnum solves: the SymPy Brusselator discretized by ``sn.discretize``
    (generated kernels, exact sparse Jacobian and linear part), checked against the
    hand-written right-hand side the peers get."""
    from brusselator_model import brusselator_problem

    prob = brusselator_problem(N)
    hand, y0 = brusselator(N), initial_state(N)
    assert np.allclose(prob.y0, y0)
    ref = hand.rhs(2.0, y0)
    assert np.abs(prob.functions().rhs(2.0, y0) - ref).max() <= 1e-10 * np.abs(ref).max()
    return prob


# -- peers ---------------------------------------------------------------------
def cvode_sparse(f, y0, rtol, atol):
    """scikit-sundae CVODE BDF + SuperLU_MT + analytic Jacobian, written as a user would."""
    import scipy.sparse as sps
    from sksundae.cvode import CVODE as SunCVODE

    pattern = f.jac_sparsity
    where = sps.csr_matrix((np.arange(1, pattern.nnz + 1, dtype=float), pattern.indices,
                            pattern.indptr), shape=pattern.shape).tocsc()
    where.sort_indices()
    perm = where.data.astype(np.int64) - 1
    rhs_into, jac = f.rhs_into, f.jac

    def rhsfn(t, y, yp):
        rhs_into(t, y, yp)

    def jacfn(t, y, yp, JJ):
        JJ[:] = jac(t, y).data[perm]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solver = SunCVODE(rhsfn, jacfn=jacfn, sparsity=where, linsolver="sparse", rtol=rtol,
                          atol=atol, max_num_steps=10**6)
    res = solver.solve(np.array([TSPAN[0], TSPAN[1] / 2, TSPAN[1]]), y0)
    assert res.success, res.message
    return res.y[-1], {"nfev": int(res.nfev), "njev": int(res.njev)}


def scipy_bdf(f, y0, rtol, atol):
    from scipy.integrate import solve_ivp

    res = solve_ivp(f.rhs, TSPAN, y0, method="BDF", rtol=rtol, atol=atol,
                    jac_sparsity=f.jac_sparsity, t_eval=[TSPAN[1]])
    assert res.success, res.message
    return res.y[:, -1], {"nfev": int(res.nfev), "njev": int(res.njev), "nlu": int(res.nlu)}


def pypde_solver(N):
    """py-pde's own PDE on a periodic Cartesian grid whose cell centres are the
    DiffEqDocs nodes (x_i = i dx), so it is the same discrete problem."""
    import pde

    dx = 1.0 / (N - 1)
    grid = pde.CartesianGrid([[-dx / 2, N * dx - dx / 2]] * 2, [N, N], periodic=True)
    eq = pde.PDE({
        "u": "1 + u**2*v - 4.4*u + 10*laplace(u)"
             " + 5*heaviside(t - 1.1, 1)*heaviside(0.01 - (x-0.3)**2 - (y-0.6)**2, 1)",
        "v": "3.4*u - u**2*v + 10*laplace(v)"})
    pattern = brusselator(N).jac_sparsity

    def run(f, y0, rtol, atol):
        m = N * N
        state = pde.FieldCollection([pde.ScalarField(grid, y0[:m].reshape(N, N)),
                                     pde.ScalarField(grid, y0[m:].reshape(N, N))])
        out = eq.solve(state, t_range=TSPAN[1], solver="scipy", method="BDF", rtol=rtol,
                       atol=atol, jac_sparsity=pattern, tracker=None)
        return out.data.ravel(), {"steps": eq.diagnostics["solver"].get("steps")}
    return run


def symnum_cvode(rtol, atol):
    alg = CVODE()

    def run(prob, y0, _rtol, _atol):
        # the whole user call: sn.solve on the discretized SymPy model -> Solution
        sol = sn.solve(prob, alg, rtol=rtol, atol=atol, saveat=[TSPAN[1]])
        assert sol.result.ok, sol.result.value
        s = sol.stats
        return sol.y[-1], {k: s.get(k) for k in ("nfev", "njev", "steps", "linear_iterations",
                                                  "psolves", "linear_solver")}
    return run


# -- driver ----------------------------------------------------------------------
def reference(N):
    path = RESULTS / f"ref_N{N}.npy"
    if not path.exists():
        print(f"computing reference for N={N} (CVODE sparse, rtol=atol=1e-10) ...", flush=True)
        RESULTS.mkdir(exist_ok=True)
        y, _ = cvode_sparse(brusselator(N), initial_state(N), 1e-10, 1e-10)
        np.save(path, y)
    return np.load(path)


def measure(name, fn, f, y0, ref, rtol, atol, repeats, slow):
    t0 = time.perf_counter()
    y, info = fn(f, y0, rtol, atol)
    first = time.perf_counter() - t0
    times = []
    for _ in range(1 if first > slow else repeats):
        t0 = time.perf_counter()
        y, info = fn(f, y0, rtol, atol)
        times.append(time.perf_counter() - t0)
    err = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
    row = {"solver": name, "rtol": rtol, "atol": atol, "median": statistics.median(times),
           "min": min(times), "n": len(times), "first": first, "err": err, **info}
    print(f"  {name:52s} rtol={rtol:.1e} {fmt_time(row['median']):>9s} (n={row['n']}) "
          f"err={err:.2e}", flush=True)
    return row


def bench(N, repeats, slow, with_pypde):
    f, y0, ref = symnum_functions(N), initial_state(N), reference(N)
    peer_f = brusselator(N)
    print(f"\nN={N} ({2 * N * N} ODEs)", flush=True)
    peers = [("CVODE sparse direct (scikit-sundae, analytic J)", cvode_sparse),
             ("SciPy BDF + jac_sparsity", scipy_bdf)]
    if with_pypde:
        try:
            peers.append(("py-pde PDE.solve (SciPy BDF + jac_sparsity)", pypde_solver(N)))
        except ImportError:
            print("  py-pde is not installed: `pip install py-pde` to include it")
    rows = [dict(measure(name, fn, peer_f, y0, ref, RTOL, ATOL, repeats, slow), kind="peer")
            for name, fn in peers]
    best = min(rows, key=lambda r: r["median"])
    ours = [dict(measure("symnum CVODE() [auto: GMRES + FFT precond]", symnum_cvode(RTOL, ATOL),
                         f, y0, ref, RTOL, ATOL, repeats, slow), kind="symnum")]
    for rtol in MATCH_RTOLS:
        if ours[-1]["err"] <= best["err"]:
            break
        atol = rtol * ATOL / RTOL
        ours.append(dict(measure("symnum CVODE() [auto: GMRES + FFT precond]",
                                 symnum_cvode(rtol, atol), f, y0, ref, rtol, atol, repeats,
                                 slow), kind="symnum"))
    matched = [r for r in ours if r["err"] <= best["err"]]
    for r in rows + ours:
        r["N"] = N
        r["ratio_vs_best_peer"] = best["median"] / r["median"]
    pick = min(matched, key=lambda r: r["median"]) if matched else None
    if pick is not None:
        pick["matched"] = True
    return rows + ours, best, pick


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="32,64,128")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--slow", type=float, default=20.0,
                    help="configurations whose cold run exceeds this many seconds get one warm run")
    ap.add_argument("--no-pypde", action="store_true")
    args = ap.parse_args(argv)
    all_rows, summary = [], []
    for N in (int(s) for s in args.sizes.split(",")):
        rows, best, pick = bench(N, args.repeats, args.slow, not args.no_pypde)
        all_rows += rows
        summary.append({"N": N, "best_peer": best["solver"], "peer_time": fmt_time(best["median"]),
                        "peer_err": f"{best['err']:.2e}",
                        "symnum_time": fmt_time(pick["median"]) if pick else "-",
                        "symnum_rtol": f"{pick['rtol']:.1e}" if pick else "-",
                        "symnum_err": f"{pick['err']:.2e}" if pick else "-",
                        "ratio": f"{best['median'] / pick['median']:.1f}x" if pick else
                        "no matched run"})
    table = [{**r, "wall": fmt_time(r["median"]), "min": fmt_time(r["min"]),
              "first": fmt_time(r["first"]), "err": f"{r['err']:.2e}",
              "rtol": f"{r['rtol']:.1e}", "ratio": f"{r['ratio_vs_best_peer']:.2f}",
              "matched": "*" if r.get("matched") else ""} for r in all_rows]
    print_table(table, ["N", "solver", "rtol", "wall", "min", "n", "first", "nfev", "njev",
                        "err", "ratio", "matched"], "B1 2D Brusselator, t in [0, 11.5]")
    print_table(summary, ["N", "best_peer", "peer_time", "peer_err", "symnum_time",
                          "symnum_rtol", "symnum_err", "ratio"], "B1 at matched accuracy")
    write_json("bench_brusselator_stiff", all_rows, tspan=list(TSPAN), rtol=RTOL, atol=ATOL,
               summary=summary, blas_threads=os.environ.get("OPENBLAS_NUM_THREADS"))


if __name__ == "__main__":
    main()
