"""B2: the 2D Brusselator right-hand side alone, generated kernels vs hand-written ones.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_rhs.py``. Compares, in one
run and on the same state, symnum's generated numba kernel and its generated
vectorized NumPy module against a hand-written fused numba loop
(``brusselator_handwritten.py``) and a hand-written sliced NumPy RHS.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.brusselator_handwritten import brusselator, initial_state  # noqa: E402
from benchmarks.brusselator_model import brusselator_problem  # noqa: E402
from benchmarks.harness import print_table, write_json  # noqa: E402
from symnum.codegen.compile import compile_problem  # noqa: E402


def numpy_handwritten(N):
    dx = 1.0 / (N - 1)
    xs = np.arange(N) * dx
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    disk = ((X - 0.3) ** 2 + (Y - 0.6) ** 2 <= 0.01).astype(float)
    c = 10.0 / dx**2
    lap = np.empty((N, N))

    def lap_into(a, out):
        out[1:-1, :] = a[:-2, :] + a[2:, :]
        out[0, :] = a[-1, :] + a[1, :]
        out[-1, :] = a[-2, :] + a[0, :]
        out[:, 1:-1] += a[:, :-2] + a[:, 2:]
        out[:, 0] += a[:, -1] + a[:, 1]
        out[:, -1] += a[:, -2] + a[:, 0]
        out -= 4 * a

    def rhs(t, y, out):
        u = y[: N * N].reshape(N, N)
        v = y[N * N:].reshape(N, N)
        du = out[: N * N].reshape(N, N)
        dv = out[N * N:].reshape(N, N)
        u2v = u * u * v
        lap_into(u, lap)
        du[...] = 1 + u2v - 4.4 * u + c * lap + (5.0 * disk if t >= 1.1 else 0.0)
        lap_into(v, lap)
        dv[...] = 3.4 * u - u2v + c * lap

    return rhs


def per_call(fn, n):
    fn()
    best = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t0) / n)
    return float(np.median(best))


def main(sizes=(128, 256)):
    rows = []
    for N in sizes:
        prob = brusselator_problem(N)
        gen = compile_problem(prob, "numba")
        vec = compile_problem(prob, "numpy")
        hand = brusselator(N)
        y = initial_state(N)
        out = np.empty_like(y)
        ref = hand.rhs(2.0, y)
        hnp = numpy_handwritten(N)
        calls = {
            "symnum generated numba": lambda: gen.numba_rhs(2.0, y, gen.params, out),
            "symnum generated NumPy": lambda: vec.rhs_into(2.0, y, out),
            "hand-written numba": lambda: hand.numba_rhs(2.0, y, hand.params, out),
            "hand-written NumPy (sliced)": lambda: hnp(2.0, y, out),
        }
        n = max(20, int(2e6 / y.size))
        res = {}
        for name, fn in calls.items():
            fn()
            err = float(np.abs(out - ref).max() / np.abs(ref).max())
            res[name] = (per_call(fn, n), err)
        for name, (sec, err) in res.items():
            rows.append({"N": N, "implementation": name, "us_per_call": round(sec * 1e6, 2),
                         "vs_hand_numba": round(sec / res["hand-written numba"][0], 2),
                         "speedup_vs_numpy": round(res["hand-written NumPy (sliced)"][0] / sec, 2),
                         "max_rel_diff": f"{err:.1e}"})
    print_table(rows, ["N", "implementation", "us_per_call", "vs_hand_numba", "speedup_vs_numpy",
                       "max_rel_diff"], title="B2: Brusselator RHS (median of 7 blocks)")
    write_json("bench_rhs", rows)


if __name__ == "__main__":
    main()
