"""Where should ``CVODE(linear_solver="auto")`` switch between dense, sparse and Krylov?

Times the 2D Brusselator (hand-written functions, rtol 1e-6 / atol 1e-8,
t in [0, 11.5]) for growing N with each linear solver, once with the periodic
structure hint (GMRES + FFT preconditioner) and once without it (GMRES +
sparse-LU preconditioner, the non-periodic fallback). Best of 3 runs.
The thresholds ``DENSE_MAX`` and ``KRYLOV_MIN`` in
``symnum/solvers/cvode_support.py`` come from this table.

Run by hand::

    python benchmarks/bench_linear_solver_choice.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import dataclasses  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from brusselator_handwritten import TSPAN, brusselator, initial_state  # noqa: E402
from harness import fmt_time, print_table, time_call, write_json  # noqa: E402

from symnum.solvers.algorithm import SolveOptions  # noqa: E402
from symnum.solvers.cvode import CVODE  # noqa: E402

CONFIGS = [("dense", CVODE(linear_solver="dense"), True),
           ("sparse", CVODE(linear_solver="sparse"), True),
           ("krylov+fft", CVODE(linear_solver="krylov"), True),
           ("krylov+lu (non-periodic view)", CVODE(linear_solver="krylov", preconditioner="lu"),
            False)]


def main():
    opts = SolveOptions(rtol=1e-6, atol=1e-8, saveat=np.array([TSPAN[1]]), dense=False)
    rows = []
    for N in (4, 6, 8, 11, 16, 23, 32):
        f, y0 = brusselator(N), initial_state(N)
        row = {"N": N, "n": f.n}
        for name, alg, periodic in CONFIGS:
            if name == "dense" and f.n > 1200:
                continue  # minutes of O(n^3) work, and the answer is already clear
            fn = f if periodic else dataclasses.replace(f, periodic_shape=None)
            timing = time_call(lambda: alg.run(fn, y0, TSPAN, opts), repeats=3)
            row[name] = fmt_time(timing["min"])
        print(row, flush=True)
        rows.append(row)
    print_table(rows, ["N", "n"] + [c[0] for c in CONFIGS], "CVODE linear solvers, best of 3")
    write_json("bench_linear_solver_choice", rows)


if __name__ == "__main__":
    main()
