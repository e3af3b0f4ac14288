"""Shared pieces of the neural-ODE regularization benchmarks (bench_digits.py, bench_spiral.py).

* the five arms (vanilla, ERNODE, SRNODE, local unbiased, local biased) and their weights;
* a job runner: each (arm, seed) run is a separate ``python <script> --worker ...``
  process with one thread, at most ``parallel`` at once, writing one JSON line and
  the trained state dict into a work directory;
* the aggregation (mean +- sd over seeds), the ratios to vanilla and the target checks.

Weights (research/neural_reg.md section 6.1):
  ERNODE       ErrorEstimate(mean EEst_j*dt_j), lambda 100 -> 10 exponential decay over training;
  SRNODE       Stiffness(max over steps), lambda 0.1 constant divided by Tsit5's stability
               size 3.5068 (P1's code: max |eig| / 3.5068 with lambda 0.1), i.e. weight 0.0285;
  local-*      LocalErrorEstimate(policy="consistent" = V3), lambda 100 -> 10 (as ERNODE).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmarks/ (harness)

ARMS = ("vanilla", "ernode", "srnode", "local-unbiased", "local-biased")
EXTRA_ARMS = ("local-unbiased-faithful", "local-biased-faithful")
LOCAL_POLICY = "consistent"
TSIT5_STABILITY = 3.5068


def make_regularizer(arm: str, steps: int, scale: float = 1.0):
    """The regularizer of an arm (None for vanilla); ``scale`` multiplies every weight."""
    from symnum import neural

    decay = neural.ExponentialDecay(100.0 * scale, 10.0 * scale, steps=max(int(steps), 1))
    if arm == "vanilla":
        return None
    if arm == "ernode":
        return neural.ErrorEstimate(weight=decay)
    if arm == "srnode":
        return neural.Stiffness(weight=neural.Constant(0.1 * scale / TSIT5_STABILITY))
    if arm in ("local-unbiased", "local-biased"):
        return neural.LocalErrorEstimate(weight=decay, sampling=arm.split("-")[1],
                                         policy=LOCAL_POLICY)
    if arm in EXTRA_ARMS:  # V1, the official code's detach policy, with P2's weights
        return neural.LocalErrorEstimate(weight=neural.ExponentialDecay(2.5 * scale, 1.0 * scale,
                                                                        steps=steps),
                                         sampling=arm.split("-")[1], policy="faithful")
    raise SystemExit(f"unknown arm {arm!r}; valid: {ARMS + EXTRA_ARMS}")


def weight_text(arm: str, scale: float = 1.0) -> str:
    if scale != 1.0:
        return f"{scale:g} x " + weight_text(arm)
    return {"vanilla": "-", "ernode": "100->10 exp", "srnode": "0.1/3.5068 const",
            "local-unbiased": f"100->10 exp ({LOCAL_POLICY})",
            "local-biased": f"100->10 exp ({LOCAL_POLICY})",
            "local-unbiased-faithful": "2.5->1 exp (faithful)",
            "local-biased-faithful": "2.5->1 exp (faithful)"}[arm]


def run_jobs(script: Path, jobs: list, workdir: Path, extra: list, parallel: int = 2) -> None:
    """Run ``script --worker --arm A --seed S --workdir D *extra``, ``parallel`` at once."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    pending = list(jobs)
    running = []
    t_start = time.perf_counter()
    while pending or running:
        while pending and len(running) < parallel:
            arm, seed = pending.pop(0)
            log = open(workdir / f"{arm}_s{seed}.log", "w")
            cmd = [sys.executable, str(script), "--worker", "--arm", arm, "--seed", str(seed),
                   "--workdir", str(workdir), *extra]
            running.append((arm, seed, subprocess.Popen(cmd, env=env, stdout=log,
                                                        stderr=subprocess.STDOUT), log))
            print(f"[{time.perf_counter() - t_start:7.1f} s] start {arm} seed {seed}", flush=True)
        time.sleep(0.5)
        for item in list(running):
            arm, seed, proc, log = item
            if proc.poll() is not None:
                log.close()
                running.remove(item)
                status = "done" if proc.returncode == 0 else f"FAILED rc={proc.returncode}"
                print(f"[{time.perf_counter() - t_start:7.1f} s] {status} {arm} seed {seed}",
                      flush=True)
                if proc.returncode != 0:
                    print((workdir / f"{arm}_s{seed}.log").read_text()[-3000:])


def add_launch_args(p, steps: int, workdir: str, quick_steps: int) -> None:
    """The command-line options every training benchmark shares (``--quick``: ``quick_steps``, seed 0)."""
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--quick", action="store_true", help=f"{quick_steps} steps, seed 0")
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=Path(workdir))
    p.add_argument("--aggregate-only", action="store_true")
    p.add_argument("--worker", action="store_true")
    p.add_argument("--arm")
    p.add_argument("--seed", type=int)
    p.set_defaults(quick_steps=quick_steps)


def launch(args, script: Path, extra: list):
    """Train every (arm, seed) in worker processes unless ``--aggregate-only``; return
    ``(arms, runs)`` read back from the work directory."""
    arms, seeds = args.arm_list, args.seed_list
    if not args.aggregate_only:
        for old in args.workdir.glob("*"):
            old.unlink()
        jobs = [(a, s) for s in seeds for a in arms]
        t0 = time.perf_counter()
        run_jobs(script, jobs, args.workdir, ["--steps", str(args.steps), *extra], args.parallel)
        print(f"training phase: {time.perf_counter() - t0:.0f} s")
    return arms, [r for r in read_runs(args.workdir) if r["arm"] in arms]


def parse_launch_args(p):
    """Parse, apply ``--quick``, split ``arm_list``/``seed_list`` and create the work directory."""
    args = p.parse_args()
    if args.quick:
        args.steps, args.seeds = args.quick_steps, "0"
    args.arm_list = args.arms.split(",")
    args.seed_list = [int(s) for s in args.seeds.split(",")]
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def read_runs(workdir: Path) -> list:
    rows = []
    for p in sorted(workdir.glob("*.jsonl")):
        for line in p.read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def write_run(workdir: Path, row: dict) -> None:
    with open(workdir / f"{row['arm']}_s{row['seed']}.jsonl", "w") as fh:
        fh.write(json.dumps(row) + "\n")


def _ms(values):
    m = statistics.mean(values)
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    return m, s


def aggregate(runs: list, metrics: list, arms: list) -> dict:
    """{arm: {metric: (mean, sd), "n": seeds}} over the runs of each arm."""
    out = {}
    for arm in arms:
        rs = [r for r in runs if r["arm"] == arm]
        if not rs:
            continue
        out[arm] = {"n": len(rs), "seeds": sorted(r["seed"] for r in rs)}
        for m in metrics:
            vals = [r[m] for r in rs if r.get(m) is not None]
            out[arm][m] = _ms(vals) if vals else (math.nan, math.nan)
    return out


def pm(ms, fmt="{:.1f}"):
    m, s = ms
    return f"{fmt.format(m)} ± {fmt.format(s)}"


def check_targets(agg: dict, quality_ok, quality_text: str, candidates=("ernode",),
                  local_arms=("local-unbiased", "local-biased")) -> tuple:
    """PASS/FAIL of the regularization targets for each candidate arm.

    Targets (issue text): test NFE <= 0.5x vanilla, quality within bounds (``quality_ok(arm)``),
    prediction >= 2x faster, training time <= 0.7x vanilla; for ERNODE and for at least one
    local variant.
    """
    van = agg["vanilla"]
    lines, per_arm = [], {}
    for arm in list(candidates) + list(local_arms):
        if arm not in agg:
            continue
        a = agg[arm]
        nfe_r = a["test_nfe"][0] / van["test_nfe"][0]
        sp = van["pred_ms"][0] / a["pred_ms"][0]
        tr = a["train_s"][0] / van["train_s"][0]
        checks = {"NFE <= 0.5x": nfe_r <= 0.5, quality_text: bool(quality_ok(arm)),
                  "prediction >= 2x faster": sp >= 2.0, "training <= 0.7x": tr <= 0.7}
        per_arm[arm] = checks
        for name, ok in checks.items():
            lines.append(f"  {arm:16s} {name:28s} {'PASS' if ok else 'FAIL'}")
    er = all(per_arm.get("ernode", {"x": False}).values())
    loc = any(all(per_arm[a].values()) for a in local_arms if a in per_arm)
    lines.append(f"  => ERNODE meets all targets: {'PASS' if er else 'FAIL'}; "
                 f"a local variant meets all targets: {'PASS' if loc else 'FAIL'}")
    return lines, per_arm, er, loc


def table_rows(agg: dict, quality: list, extra_cols=(), scale: float = 1.0) -> list:
    """Rows for print_table: quality metrics (name, key, fmt, scale), NFE, times, ratios."""
    van = agg.get("vanilla")
    rows = []
    for arm, a in agg.items():
        row = {"arm": arm, "seeds": a["n"],
               "weight": weight_text(arm, scale) if arm != "vanilla" else "-"}
        for name, key, fmt, factor in quality:
            m, s = a[key]
            row[name] = pm((m * factor, s * factor), fmt)
        row["test NFE"] = pm(a["test_nfe"], "{:.1f}")
        row["pred ms"] = pm(a["pred_ms"], "{:.2f}")
        row["train s"] = pm(a["train_s"], "{:.1f}")
        row["train NFE/it"] = f"{a['train_nfe'][0]:.1f}"
        for name, key, fmt in extra_cols:
            row[name] = fmt.format(a[key][0])
        if van:
            row["NFE ratio"] = f"{a['test_nfe'][0] / van['test_nfe'][0]:.2f}"
            row["pred speed-up"] = f"{van['pred_ms'][0] / a['pred_ms'][0]:.2f}x"
            row["train ratio"] = f"{a['train_s'][0] / van['train_s'][0]:.2f}"
        rows.append(row)
    return rows


def time_predictions(models: list, solve_fns: list, rounds: int = 21, warmup: int = 3) -> list:
    """Median ms of ``solve_fns[i]()`` over ``rounds``, interleaved round-robin across models."""
    import torch

    times = [[] for _ in models]
    with torch.no_grad():
        for fn in solve_fns:
            for _ in range(warmup):
                fn()
        for _ in range(rounds):
            for i, fn in enumerate(solve_fns):
                t0 = time.perf_counter()
                fn()
                times[i].append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times]
