"""Regularized neural ODEs on the 8x8 digits (research/neural_reg.md section 6.1), CPU, 1 thread.

Data: ``sklearn.datasets.load_digits`` (1797 images, ships with scikit-learn), pixels / 16
-> [0, 1], stratified 80/20 split (1437 / 360, ``random_state=0``, the same for every seed).
Model: state = the 64 pixels; ``f(t, x) = W2 [tanh(W1 [x; t] + b1); t] + b2`` (hidden 100, no
output tanh), linear classifier 64 -> 10 on ``z(1)``; tspan (0, 1); float64; symnum Tsit5
with ``atol = rtol = 1e-6``; discrete adjoint (``adjoint="backprop"``). 13 778 parameters.
Training: Adam 1e-3, batch 256 drawn with replacement from the training set, ``--steps``
(default 1000), seeds 0, 1 (``--seeds``).

Arms (weights in ``_common.py``): vanilla; ernode = ``ErrorEstimate`` (mean EEst*dt, lambda
100 -> 10); srnode = ``Stiffness`` (max, lambda 0.1 / 3.5068); local-unbiased / local-biased =
``LocalErrorEstimate(policy="consistent")`` (V3, lambda 100 -> 10). ``--arms`` may add
local-unbiased-faithful / local-biased-faithful (V1, lambda 2.5 -> 1).

Per run (own process, 1 thread, two runs at a time): training wall time, mean forward NFE per
training iteration (and the local regularizer's extra evaluations), train / test accuracy,
test NFE (one no-grad solve of the 360 test images, plain solver without regularizer). After
all training, in a quiet sequential phase in this process: prediction time = median of 21
no-grad solves of a 256-image batch (the first 256 training images), interleaved round-robin
across the trained models (3 warm-up solves each).

Usage: python benchmarks/neural/bench_digits.py [--steps N] [--seeds 0,1] [--quick]
       [--arms a,b,...] [--parallel 2] [--workdir DIR] [--aggregate-only]
Writes benchmarks/results/neural_digits.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from harness import print_table, write_json  # noqa: E402

import symnum as sn  # noqa: E402
from symnum import neural  # noqa: E402

RTOL = ATOL = 1e-6
BATCH = 256
TS = torch.tensor([0.0, 1.0], dtype=torch.float64)


def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=0.2, stratify=d.target,
                                          random_state=0)
    t = lambda a, dt: torch.as_tensor(a, dtype=dt)  # noqa: E731
    return (t(Xtr, torch.float64), t(ytr, torch.long), t(Xte, torch.float64),
            t(yte, torch.long))


class Dynamics(torch.nn.Module):
    """``f(t, x) = W2 [tanh(W1 [x; t] + b1); t] + b2``."""

    def __init__(self, n=64, hidden=100):
        super().__init__()
        self.l1 = torch.nn.Linear(n + 1, hidden).double()
        self.l2 = torch.nn.Linear(hidden + 1, n).double()

    def forward(self, t, x):
        tt = t.expand(x.shape[0], 1)
        h = torch.tanh(self.l1(torch.cat([x, tt], dim=1)))
        return self.l2(torch.cat([h, tt], dim=1))


class Classifier(torch.nn.Module):
    def __init__(self, regularizer=None):
        super().__init__()
        self.f = Dynamics()
        self.ode = neural.NeuralODE(self.f, solver=sn.Tsit5(), rtol=RTOL, atol=ATOL,
                                    adjoint="backprop", regularizer=regularizer)
        self.plain = neural.NeuralODE(self.f, solver=sn.Tsit5(), rtol=RTOL, atol=ATOL)
        self.head = torch.nn.Linear(64, 10).double()

    def forward(self, x, plain=False):
        ode = self.plain if plain else self.ode
        return self.head(ode(x, TS)[-1])


def worker(args):
    arm, seed, steps = args.arm, args.seed, args.steps
    Xtr, ytr, Xte, yte = load_data()
    torch.manual_seed(seed)
    model = Classifier(C.make_regularizer(arm, steps))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    nfe, nfe_reg = [], []

    def loss_fn(m, step):
        idx = torch.randint(0, Xtr.shape[0], (BATCH,))
        logits = m(Xtr[idx])
        nfe.append(m.ode.stats.nfe)
        nfe_reg.append(m.ode.stats.nfe_regularization)
        return torch.nn.functional.cross_entropy(logits, ytr[idx]) + m.ode.regularization

    trainer = neural.Trainer(model, opt, loss_fn, checkpoint_dir=None, progress=False)
    t0 = time.perf_counter()
    trainer.fit(steps)
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        train_acc = (model(Xtr, plain=True).argmax(1) == ytr).double().mean().item()
        test_acc = (model(Xte, plain=True).argmax(1) == yte).double().mean().item()
        test_nfe = model.plain.stats.nfe
    torch.save(model.state_dict(), args.workdir / f"{arm}_s{seed}.pt")
    row = {"arm": arm, "seed": seed, "steps": steps, "train_s": train_s,
           "train_nfe": sum(nfe) / len(nfe), "train_nfe_reg": sum(nfe_reg) / len(nfe_reg),
           "train_nfe_last": nfe[-1], "test_nfe": test_nfe, "test_acc": test_acc,
           "train_acc": train_acc, "final_loss": trainer.history[-1]["loss"],
           "policy": C.LOCAL_POLICY if arm.startswith("local") and "faithful" not in arm
           else ("faithful" if "faithful" in arm else None)}
    C.write_run(args.workdir, row)
    print(row, flush=True)


def measure_predictions(runs, workdir):
    Xtr, _, _, _ = load_data()
    xb = Xtr[:BATCH]
    models = []
    for r in runs:
        m = Classifier()
        m.load_state_dict(torch.load(workdir / f"{r['arm']}_s{r['seed']}.pt"), strict=False)
        m.eval()
        models.append(m)
    fns = [lambda m=m: m(xb, plain=True) for m in models]
    for r, t, m in zip(runs, C.time_predictions(runs, fns), models):
        r["pred_ms"] = t
        r["pred_nfe"] = m.plain.stats.nfe  # of the 256-image prediction batch
    return runs


def main():
    p = argparse.ArgumentParser()
    C.add_launch_args(p, steps=1000, workdir="/tmp/symnum_bench_neural_digits", quick_steps=300)
    args = C.parse_launch_args(p)
    if args.worker:
        return worker(args)
    arms, runs = C.launch(args, Path(__file__).resolve(), [])
    runs = measure_predictions(runs, args.workdir)
    metrics = ["test_acc", "train_acc", "test_nfe", "pred_ms", "train_s", "train_nfe",
               "train_nfe_reg"]
    agg = C.aggregate(runs, metrics, arms)
    rows = C.table_rows(agg, [("test acc %", "test_acc", "{:.2f}", 100),
                              ("train acc %", "train_acc", "{:.2f}", 100)])
    van = agg["vanilla"]
    for row, (arm, a) in zip(rows, agg.items()):
        row["acc delta pt"] = f"{100 * (a['test_acc'][0] - van['test_acc'][0]):+.2f}"
    steps = runs[0]["steps"] if runs else args.steps
    cols = ["arm", "seeds", "weight", "test acc %", "acc delta pt", "train acc %", "test NFE",
            "NFE ratio", "pred ms", "pred speed-up", "train s", "train ratio", "train NFE/it"]
    print_table(rows, cols, title=f"digits NODE, {steps} steps, Tsit5 atol=rtol=1e-6, float64, "
                f"1 thread/run, {args.parallel} runs in parallel while training")
    print_table([{"arm": r["arm"], "seed": r["seed"], "test acc %": f"{100 * r['test_acc']:.2f}",
                  "test NFE": r["test_nfe"], "pred ms": f"{r['pred_ms']:.2f}",
                  "train s": f"{r['train_s']:.1f}", "train NFE/it": f"{r['train_nfe']:.1f}",
                  "last train NFE": r["train_nfe_last"]} for r in runs],
                ["arm", "seed", "test acc %", "test NFE", "pred ms", "train s", "train NFE/it",
                 "last train NFE"], title="per run")
    lines, per_arm, er, loc = C.check_targets(
        agg, lambda arm: agg[arm]["test_acc"][0] >= van["test_acc"][0] - 0.01,
        "test acc >= vanilla - 1 pt")
    print("\ntargets (vs vanilla, means over seeds):")
    print("\n".join(lines))
    write_json("neural_digits", rows, runs=runs, steps=steps, seeds=args.seed_list,
               local_policy=C.LOCAL_POLICY, rtol=RTOL, atol=ATOL, dtype="float64",
               targets={a: {k: bool(v) for k, v in c.items()} for a, c in per_arm.items()},
               ernode_all_targets=er, local_all_targets=loc,
               aggregate=agg)


if __name__ == "__main__":
    main()
