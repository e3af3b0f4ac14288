"""E-graph simplification: cost, time and generated-code speed against SymPy.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_simplify.py``.

Expression sets (``simplify_models.py``): (a) mass-action reaction networks
(rule-based multisite phosphorylation, a random network, a multi-substrate
enzyme), (b) the per-point right-hand side of the 2D Brusselator after the method
of lines, (c) random polynomials. For each: operation count and cycle cost (the
paper's table) as a tree and with shared subterms counted once (DAG), for the
input, ``sympy.simplify``, ``sympy.cse`` and ``sn.simplify`` (DAG and tree
extraction); the time each took; and the run time of the generated code before
and after (numba kernels over a batch of states for (a) and (c); the full
Brusselator right-hand side, N=128, discretized with and without
``simplify=True`` for (b)).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import print_table, write_json  # noqa: E402
from benchmarks.simplify_models import (brusselator_point, enzyme_network,  # noqa: E402
                                        multisite_network, random_polynomials,
                                        reaction_network)
from symnum.codegen.printers import ScalarPrinter  # noqa: E402
from symnum.simplify import expression_cost, simplify  # noqa: E402


def costs(exprs):
    """ops/cycles, tree/DAG, of a list of expressions (or of a CSE result)."""
    return {"ops_tree": expression_cost(exprs, "ops", dag=False),
            "ops_dag": expression_cost(exprs, "ops", dag=True),
            "cycles_tree": expression_cost(exprs, "cycles", dag=False),
            "cycles_dag": expression_cost(exprs, "cycles", dag=True)}


def cse_costs(exprs):
    reps, reduced = sp.cse(exprs, optimizations=None)
    flat = [v for _, v in reps] + list(reduced)
    c = costs(flat)
    # a CSE result is already a DAG: its tree cost is the cost of what the code executes
    c["cycles_tree"], c["ops_tree"] = c["cycles_dag"], c["ops_dag"]
    return c


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def batch_kernel(exprs, symbols):
    """A numba kernel evaluating ``exprs`` (after ``sympy.cse``, as code generation does)
    for every row of a batch of symbol values."""
    import numba

    pr = ScalarPrinter()
    reps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("c_"), optimizations=None)
    lines = ["def kernel(X, out):", "    for i in range(X.shape[0]):"]
    lines += [f"        {s} = X[i, {j}]" for j, s in enumerate(symbols)]
    lines += [f"        {s} = {pr.doprint(v)}" for s, v in reps]
    lines += [f"        out[i, {j}] = {pr.doprint(e)}" for j, e in enumerate(reduced)]
    ns = {"math": __import__("math")}
    exec("\n".join(lines), ns)  # source generated here from SymPy, never read from input
    fast = {"nsz", "arcp", "contract", "afn", "reassoc"}
    return numba.njit(fastmath=fast)(ns["kernel"])


def kernel_times(variants, symbols, rows=200_000, rounds=15):
    """Median run time of each variant's kernel, measured in interleaved rounds."""
    kernels = {name: batch_kernel(ex, symbols) for name, ex in variants.items()}
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 1.5, (rows, len(symbols)))
    outs = {name: np.empty((rows, len(ex))) for name, ex in variants.items()}
    for name, k in kernels.items():
        k(X, outs[name])
    times = {name: [] for name in kernels}
    for _ in range(rounds):
        for name, k in kernels.items():
            t0 = time.perf_counter()
            k(X, outs[name])
            times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(v)) for name, v in times.items()}, outs


def brusselator_rhs_time(simplify_flag, N=128):
    from benchmarks.brusselator_handwritten import initial_state
    from benchmarks.brusselator_model import brusselator_system
    import symnum as sn
    from benchmarks.brusselator_model import x, y

    t0 = time.perf_counter()
    prob = sn.discretize(brusselator_system(N), sn.FiniteDifference({x: N, y: N}, order=2),
                         simplify=simplify_flag)
    build = time.perf_counter() - t0
    f = prob.functions("numba")
    yv = initial_state(N)
    out = np.empty_like(yv)
    f.numba_rhs(2.0, yv, f.params, out)
    n = 200
    ts = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            f.numba_rhs(2.0, yv, f.params, out)
        ts.append((time.perf_counter() - t0) / n)
    return float(np.median(ts)), build, out.copy()


def main():
    S, k, net = reaction_network(20, 40)
    Se, ke, enz = enzyme_network(10)
    Sm, km, multi = multisite_network(5)
    sets = {
        "(a) rule-based multisite phosphorylation, 34 species, 160 reactions":
            (multi, list(Sm) + list(km)),
        "(a') random reaction network, 20 species, 40 reactions": (net, list(S) + list(k)),
        "(a'') enzyme network, 31 species, 30 reactions": (enz, list(Se) + list(ke)),
        "(b) Brusselator per-point RHS": (brusselator_point(), None),
        "(c) 8 random polynomials, 4 variables, degree 4": (random_polynomials(), None),
    }
    rows = []
    for label, (exprs, symbols) in sets.items():
        exprs = [e for e in exprs if e != 0]
        variants = {"input": exprs}
        base = costs(exprs)
        rows.append({"set": label, "method": "input", **base, "seconds": 0.0})
        ss_out, ss_t = timed(lambda: [sp.simplify(e) for e in exprs])
        rows.append({"set": label, "method": "sympy.simplify", **costs(ss_out), "seconds": ss_t})
        _, cse_t = timed(lambda: sp.cse(exprs, optimizations=None))
        rows.append({"set": label, "method": "sympy.cse", **cse_costs(exprs), "seconds": cse_t})
        for dag in (True, False):
            (out, rep), t = timed(lambda: simplify(exprs, dag=dag, report=True,
                                                   opaque="Brusselator" in label))
            name = f"sn.simplify ({'DAG' if dag else 'tree'})"
            rows.append({"set": label, "method": name, **costs(list(out)), "seconds": t,
                         "stop": rep.stop_reason})
            rows.append({"set": label, "method": name + " + cse", **cse_costs(list(out)),
                         "seconds": t})
            variants[f"sn.simplify {'DAG' if dag else 'tree'}"] = list(out)
        for r in rows:
            if r["set"] == label:
                r["cycles_tree_vs_input"] = round(r["cycles_tree"] / base["cycles_tree"], 3)
                r["cycles_dag_vs_input"] = round(r["cycles_dag"] / base["cycles_dag"], 3)
        if symbols is None and "polynomials" in label:
            symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
        if symbols is not None:
            times, outs = kernel_times(variants, symbols)
            for name, sec in times.items():
                err = float(np.abs(outs[name] - outs["input"]).max() / np.abs(outs["input"]).max())
                rows.append({"set": label, "method": f"generated kernel (cse), 200k rows: {name}",
                             "kernel_ms": round(sec * 1e3, 3),
                             "kernel_speedup": round(times["input"] / sec, 2),
                             "max_rel_diff": f"{err:.1e}"})
    t_off, b_off, o_off = brusselator_rhs_time(False)
    t_on, b_on, o_on = brusselator_rhs_time(True)
    err = float(np.abs(o_off - o_on).max() / np.abs(o_off).max())
    label = "(b) Brusselator RHS N=128 (generated numba)"
    rows.append({"set": label, "method": "discretize", "kernel_ms": round(t_off * 1e3, 4),
                 "seconds": b_off})
    rows.append({"set": label, "method": "discretize(simplify=True)",
                 "kernel_ms": round(t_on * 1e3, 4), "seconds": b_on,
                 "kernel_speedup": round(t_off / t_on, 2), "max_rel_diff": f"{err:.1e}"})
    for r in rows:
        for key in ("cycles_tree", "cycles_dag", "ops_tree", "ops_dag"):
            if key in r:
                r[key] = int(r[key])
        if "seconds" in r:
            r["seconds"] = round(r["seconds"], 3)
    print_table(rows, ["set", "method", "ops_tree", "ops_dag", "cycles_tree", "cycles_dag",
                       "cycles_tree_vs_input", "cycles_dag_vs_input", "seconds", "stop",
                       "kernel_ms", "kernel_speedup", "max_rel_diff"],
                title="Simplification: cost (ops, cycles; tree and DAG), time, generated code")
    write_json("bench_simplify", rows)


if __name__ == "__main__":
    main()
