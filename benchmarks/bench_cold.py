"""B1-cold: SymPy model to first solution in a fresh process (2D Brusselator, N = 32).

Run: ``python benchmarks/bench_cold.py``. Each measurement is a new Python
process that imports symnum, builds the SymPy model, discretizes, generates
and compiles code and solves to t = 11.5 (rtol 1e-6) with the default
algorithm. "cold cache" uses an empty generated-code cache (numba compiles
everything); "warm cache" reuses the files a previous process wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import print_table, write_json  # noqa: E402

SCRIPT = r"""
import time, json, sys
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import symnum as sn
from benchmarks.brusselator_model import brusselator_problem
prob = brusselator_problem({N})
t1 = time.perf_counter()
sol = sn.solve(prob, rtol=1e-6, atol=1e-8, saveat=[11.5])
t2 = time.perf_counter()
print(json.dumps({{"total": t2 - t0, "model_and_discretize": t1 - t0, "solve_incl_compile": t2 - t1,
                  "alg": type(sol.algorithm).__name__, "ok": sol.result.ok}}))
"""


def run(N, cache):
    env = dict(os.environ, SYMNUM_CACHE_DIR=cache, OPENBLAS_NUM_THREADS="1")
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=root, N=N)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(N=32):
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold cache", "warm cache", "warm cache"):
            r = run(N, cache)
            rows.append({"N": N, "run": label, "total_s": round(r["total"], 2),
                         "model+discretize_s": round(r["model_and_discretize"], 2),
                         "solve_incl_compile_s": round(r["solve_incl_compile"], 2),
                         "alg": r["alg"], "ok": r["ok"], "target_s": 5.0, "py-pde_first_call_s": 21})
    print_table(rows, list(rows[0]), title="B1-cold: fresh process, SymPy model -> first solution")
    write_json("bench_cold", rows)


if __name__ == "__main__":
    main()
