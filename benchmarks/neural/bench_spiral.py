"""Regularized neural ODEs on the DiffEqFlux spiral fit (research/neural_reg.md section 6.1), CPU.

Data: ``u' = (u^3) A``, ``A = [[-0.1, 2], [-2, -0.1]]``, ``u0 = (2, 0)``; training data = the
true solution at 30 equally spaced times on [0, 1.5] (DiffEqFlux's neural-ODE tutorial; P1's
motivation example). Held-out test data = the same trajectory at the 29 midpoints between
the training times: the **test loss** is the MSE of the model's trajectory there (how well the
continuous fit holds between the observations). Also reported: the train MSE (at the 30
training times) and, for information, the forecast MSE at the next 10 sample times
t in (1.5, 2.0] (extrapolation from a single trajectory; poor for every arm).
Model: ``x^3 -> Linear(2, 50) -> tanh -> Linear(50, 2)`` (torch default init), float64,
symnum Tsit5 with ``atol = rtol = 1e-6`` (``--rtol/--atol``), discrete adjoint. Training loss
= DiffEqFlux's ``sum((pred - data)^2)`` over the 30 x 2 values, + the regularizer; Adam
(``--lr``, default 0.05 as DiffEqFlux), ``--steps`` (default 500), seeds 0, 1.

Arms and weights as in bench_digits.py (``_common.py``): vanilla; ernode (100 -> 10);
srnode (0.1 / 3.5068); local-unbiased / local-biased (policy "consistent" = V3, 100 -> 10).

Per run (own process, 1 thread, two at a time): training wall time, mean forward NFE per
iteration, train / test / forecast MSE, test NFE (one no-grad solve over [0, 1.5] saving the
29 test times, without regularizer). Afterwards, sequentially in this process: prediction
time = median of 21 such no-grad solves, interleaved round-robin across the trained models.

``--weight-scale s`` multiplies every regularization weight (a sensitivity run, written to
``neural_spiral_wscale<s>.json``): the task loss here (sum of squares, about 0.1 once
fitted) is small next to the digits weights (100 -> 10) times EEst*dt.

Usage: python benchmarks/neural/bench_spiral.py [--steps N] [--seeds 0,1] [--quick] [--lr X]
       [--weight-scale s] [--rtol r] [--atol a] [--arms a,b,...] [--parallel 2]
       [--workdir DIR] [--aggregate-only]
Writes benchmarks/results/neural_spiral.json.
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
N_TRAIN, N_FORECAST, T_TRAIN = 30, 10, 1.5
DT = T_TRAIN / (N_TRAIN - 1)
T_ALL = torch.tensor([k * DT for k in range(N_TRAIN + N_FORECAST)], dtype=torch.float64)
T_TEST = torch.tensor([0.0] + [(k + 0.5) * DT for k in range(N_TRAIN - 1)] + [T_TRAIN],
                      dtype=torch.float64)  # midpoints (plus the ends, dropped in the MSE)
U0 = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]], dtype=torch.float64)
QUALITY_TOL = 1.10  # target: test MSE <= 1.10 x vanilla's


class TrueField(torch.nn.Module):
    def forward(self, t, u):
        return (u ** 3) @ A


def true_data(ts=T_ALL):
    with torch.no_grad():
        return neural.NeuralODE(TrueField(), sn.Tsit5(), rtol=1e-10, atol=1e-10)(U0, ts)


class Field(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 50), torch.nn.Tanh(),
                                       torch.nn.Linear(50, 2)).double()

    def forward(self, t, u):
        return self.net(u ** 3)


class Model(torch.nn.Module):
    def __init__(self, regularizer=None, rtol=RTOL, atol=ATOL):
        super().__init__()
        self.f = Field()
        self.ode = neural.NeuralODE(self.f, solver=sn.Tsit5(), rtol=rtol, atol=atol,
                                    regularizer=regularizer)
        self.plain = neural.NeuralODE(self.f, solver=sn.Tsit5(), rtol=rtol, atol=atol)


def worker(args):
    arm, seed, steps = args.arm, args.seed, args.steps
    data = true_data()
    train_t, train_y = T_ALL[:N_TRAIN], data[:N_TRAIN]
    torch.manual_seed(seed)
    model = Model(C.make_regularizer(arm, steps, args.weight_scale), rtol=args.rtol,
                  atol=args.atol)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    nfe, nfe_reg = [], []

    def loss_fn(m, step):
        pred = m.ode(U0, train_t)
        nfe.append(m.ode.stats.nfe)
        nfe_reg.append(m.ode.stats.nfe_regularization)
        return ((pred - train_y) ** 2).sum() + m.ode.regularization

    trainer = neural.Trainer(model, opt, loss_fn, checkpoint_dir=None, progress=False)
    t0 = time.perf_counter()
    trainer.fit(steps)
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        test_pred = model.plain(U0, T_TEST)
        test_nfe = model.plain.stats.nfe
        pred = model.plain(U0, T_ALL)
    test_mse = ((test_pred - true_data(T_TEST))[1:-1] ** 2).mean().item()
    err = (pred - data) ** 2
    torch.save(model.state_dict(), args.workdir / f"{arm}_s{seed}.pt")
    row = {"arm": arm, "seed": seed, "steps": steps, "lr": args.lr, "rtol": args.rtol,
           "atol": args.atol, "weight_scale": args.weight_scale, "train_s": train_s,
           "train_nfe": sum(nfe) / len(nfe), "train_nfe_reg": sum(nfe_reg) / len(nfe_reg),
           "train_nfe_last": nfe[-1], "test_nfe": test_nfe,
           "train_mse": err[:N_TRAIN].mean().item(), "test_mse": test_mse,
           "forecast_mse": err[N_TRAIN:].mean().item(),
           "final_loss": trainer.history[-1]["loss"],
           "policy": C.LOCAL_POLICY if arm.startswith("local") and "faithful" not in arm
           else ("faithful" if "faithful" in arm else None)}
    C.write_run(args.workdir, row)
    print(row, flush=True)


def measure_predictions(runs, workdir):
    fns = []
    for r in runs:
        m = Model(rtol=r["rtol"], atol=r["atol"])
        m.load_state_dict(torch.load(workdir / f"{r['arm']}_s{r['seed']}.pt"), strict=False)
        m.eval()
        fns.append(lambda m=m: m.plain(U0, T_TEST))
    for r, t in zip(runs, C.time_predictions(runs, fns)):
        r["pred_ms"] = t
    return runs


def main():
    p = argparse.ArgumentParser()
    C.add_launch_args(p, steps=500, workdir="/tmp/symnum_bench_neural_spiral", quick_steps=200)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--rtol", type=float, default=RTOL)
    p.add_argument("--atol", type=float, default=ATOL)
    p.add_argument("--weight-scale", type=float, default=1.0,
                   help="multiply every regularization weight (sensitivity runs)")
    args = C.parse_launch_args(p)
    if args.worker:
        return worker(args)
    arms, runs = C.launch(args, Path(__file__).resolve(),
                          ["--lr", str(args.lr), "--rtol", str(args.rtol), "--atol",
                           str(args.atol), "--weight-scale", str(args.weight_scale)])
    runs = measure_predictions(runs, args.workdir)
    agg = C.aggregate(runs, ["test_mse", "train_mse", "forecast_mse", "test_nfe", "pred_ms",
                             "train_s", "train_nfe", "train_nfe_reg"], arms)
    van = agg["vanilla"]
    rows = C.table_rows(agg, [("test MSE", "test_mse", "{:.2e}", 1),
                              ("train MSE", "train_mse", "{:.2e}", 1),
                              ("forecast MSE", "forecast_mse", "{:.2f}", 1)],
                        scale=runs[0].get("weight_scale", 1.0))
    for row, (arm, a) in zip(rows, agg.items()):
        row["test MSE ratio"] = f"{a['test_mse'][0] / van['test_mse'][0]:.2f}"
    steps, lr = (runs[0]["steps"], runs[0]["lr"]) if runs else (args.steps, args.lr)
    cols = ["arm", "seeds", "weight", "test MSE", "test MSE ratio", "train MSE", "forecast MSE",
            "test NFE",
            "NFE ratio", "pred ms", "pred speed-up", "train s", "train ratio", "train NFE/it"]
    print_table(rows, cols, title=f"spiral NODE fit, {steps} Adam({lr}) steps, Tsit5 "
                f"atol={runs[0]['atol']} rtol={runs[0]['rtol']}, float64, 1 thread/run, "
                f"{args.parallel} runs in parallel while training")
    print_table([{"arm": r["arm"], "seed": r["seed"], "test MSE": f"{r['test_mse']:.2e}",
                  "train MSE": f"{r['train_mse']:.2e}",
                  "forecast MSE": f"{r['forecast_mse']:.2f}", "test NFE": r["test_nfe"],
                  "pred ms": f"{r['pred_ms']:.2f}", "train s": f"{r['train_s']:.1f}",
                  "train NFE/it": f"{r['train_nfe']:.1f}", "last train NFE": r["train_nfe_last"]}
                 for r in runs],
                ["arm", "seed", "test MSE", "train MSE", "forecast MSE", "test NFE", "pred ms",
                 "train s",
                 "train NFE/it", "last train NFE"], title="per run")
    lines, per_arm, er, loc = C.check_targets(
        agg, lambda arm: agg[arm]["test_mse"][0] <= QUALITY_TOL * van["test_mse"][0],
        f"test MSE <= {QUALITY_TOL:.2f}x vanilla")
    print("\ntargets (vs vanilla, means over seeds):")
    print("\n".join(lines))
    scale = runs[0].get("weight_scale", 1.0)
    name = "neural_spiral" if scale == 1.0 else f"neural_spiral_wscale{scale:g}"
    write_json(name, rows, weight_scale=scale, runs=runs, steps=steps, lr=lr,
               seeds=args.seed_list,
               local_policy=C.LOCAL_POLICY, rtol=runs[0]["rtol"], atol=runs[0]["atol"],
               dtype="float64",
               test_definition="MSE at the 29 midpoints between the 30 training times in "
               "[0, 1.5] (same trajectory from u0=(2,0)); forecast_mse: MSE at the next 10 "
               "sample times in (1.5, 2.0]",
               quality_target=f"test MSE <= {QUALITY_TOL}x vanilla",
               targets={a: {k: bool(v) for k, v in c.items()} for a, c in per_arm.items()},
               ernode_all_targets=er, local_all_targets=loc,
               aggregate=agg)


if __name__ == "__main__":
    main()
