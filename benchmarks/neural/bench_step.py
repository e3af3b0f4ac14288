"""B6 (research/perf.md): one training iteration of the torchdiffeq ode_demo spiral model, 1 thread.

Setup (as perf.md B6): spiral ``dy/dt = y^3 A`` from (2, 0), 1000
points on [0, 25] (reference solution by symnum DP5 at 1e-9); a batch = 256 random windows of
10 consecutive points (the 256 window starts are the initial conditions); model
``y^3 -> Linear(2, 50) -> tanh -> Linear(50, 2)`` (normal(0, 0.1) weights, zero biases);
**float32**; dopri5 with rtol 1e-5, atol 1e-7; loss mean |pred - data|; RMSprop 1e-3.

Contenders (each with its own copy of the same initial model and optimizer, fed the same
batch every round): symnum DP5 backprop (discrete adjoint), symnum DP5 checkpoint (the
O(steps x state)-memory option), symnum Tsit5 backprop / checkpoint (for information),
torchdiffeq 0.2.5 ``odeint`` dopri5 (direct backprop), torchdiffeq ``odeint_adjoint`` dopri5
(continuous adjoint, O(1) memory), torchode dopri5 (``AutoDiffAdjoint``, IntegralController,
per-sample step sizes), and the MLP autograd floor (forward NFE x one f forward+backward on
the 256 x 2 batch). Every f call is counted by one wrapper (forward and backward NFE).

Timing: ``--rounds`` rounds (default 200, after 10 warm-up rounds); in each round every
contender does one full iteration (zero_grad, solve, loss, backward, optimizer step), in an
order rotated every round (ABAB...), so machine noise hits all alike. Reported: median ms per
iteration over rounds, and the median over rounds of the per-round time ratios.

Usage: python benchmarks/neural/bench_step.py [--rounds N] [--no-torchode]
Writes benchmarks/results/neural_step.json.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import print_table, write_json  # noqa: E402

import symnum as sn  # noqa: E402
from symnum import neural  # noqa: E402

RTOL, ATOL = 1e-5, 1e-7
A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
T = torch.linspace(0.0, 25.0, 1000)
BATCH, WINDOW = 256, 10


class TrueField(torch.nn.Module):
    def forward(self, t, y):
        return torch.mm(y ** 3, A)


class ODEFunc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 50), torch.nn.Tanh(),
                                       torch.nn.Linear(50, 2))
        for m in self.net.modules():
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.normal_(m.weight, mean=0, std=0.1)
                torch.nn.init.constant_(m.bias, val=0)

    def forward(self, t, y):
        return self.net(y ** 3)


class Counted(torch.nn.Module):
    """Counts the calls of ``inner`` (the parameters are ``inner``'s)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.n = 0

    def forward(self, t, y):
        self.n += 1
        return self.inner(t, y)


class Contender:
    def __init__(self, name, build, base):
        self.name = name
        self.func = Counted(copy.deepcopy(base))
        self.opt = torch.optim.RMSprop(self.func.parameters(), lr=1e-3)
        self.solve = build(self.func)
        self.times, self.nfe_f, self.nfe_b = [], [], []

    def iteration(self, y0, bt, by, record):
        t_start = time.perf_counter()
        self.opt.zero_grad()
        self.func.n = 0
        pred = self.solve(y0, bt)
        nf = self.func.n
        loss = torch.mean(torch.abs(pred - by))
        loss.backward()
        self.opt.step()
        elapsed = time.perf_counter() - t_start
        if record:
            self.times.append(elapsed)
            self.nfe_f.append(nf)
            self.nfe_b.append(self.func.n - nf)


def symnum_build(solver, adjoint):
    def build(func):
        ode = neural.NeuralODE(func, solver, rtol=RTOL, atol=ATOL, adjoint=adjoint)
        return lambda y0, bt: ode(y0, bt)
    return build


def torchdiffeq_build(adjoint):
    import torchdiffeq

    fn = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint

    def build(func):
        return lambda y0, bt: fn(func, y0, bt, rtol=RTOL, atol=ATOL, method="dopri5")
    return build


def torchode_build(func):
    import torchode as to

    term = to.ODETerm(func)
    solver = to.AutoDiffAdjoint(to.Dopri5(term=term),
                                to.IntegralController(atol=ATOL, rtol=RTOL, term=term))

    def solve(y0, bt):
        flat = y0.reshape(y0.shape[0], -1)  # torchode wants (batch, features)
        sol = solver.solve(to.InitialValueProblem(y0=flat, t_eval=bt.expand(y0.shape[0], -1)))
        return sol.ys.transpose(0, 1).reshape(bt.shape[0], *y0.shape)
    return solve


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-torchode", action="store_true")
    args = p.parse_args()

    with torch.no_grad():
        true_y = neural.NeuralODE(TrueField(), sn.DP5(), rtol=1e-7, atol=1e-9)(
            torch.tensor([[2.0, 0.0]]), T)
    torch.manual_seed(0)
    base = ODEFunc()
    builds = [("symnum DP5 backprop", symnum_build(sn.DP5(), "backprop")),
              ("symnum DP5 checkpoint", symnum_build(sn.DP5(), "checkpoint")),
              ("symnum Tsit5 backprop", symnum_build(sn.Tsit5(), "backprop")),
              ("symnum Tsit5 checkpoint", symnum_build(sn.Tsit5(), "checkpoint")),
              ("torchdiffeq dopri5 direct", torchdiffeq_build(False)),
              ("torchdiffeq dopri5 adjoint", torchdiffeq_build(True))]
    torchode_version = None
    if not args.no_torchode:
        try:
            import torchode

            torchode_version = torchode.__version__
            builds.append(("torchode dopri5", torchode_build))
        except ImportError:
            print("torchode not installed: skipped")
    contenders = [Contender(name, b, base) for name, b in builds]

    floor_func = copy.deepcopy(base)
    floor_y = torch.randn(BATCH, 2)
    floor_per_call = []

    rng = np.random.default_rng(0)
    n = len(contenders)
    t0 = time.perf_counter()
    for r in range(args.warmup + args.rounds):
        s = torch.from_numpy(rng.choice(np.arange(1000 - WINDOW), BATCH, replace=False))
        y0, bt = true_y[s], T[:WINDOW]
        by = torch.stack([true_y[s + i] for i in range(WINDOW)], dim=0)
        record = r >= args.warmup
        order = [(k + r) % n for k in range(n)]
        if r % 2:
            order.reverse()
        for k in order:
            contenders[k].iteration(y0, bt, by, record)
        # the floor: 10 x one f forward + backward (parameters and input), median of them
        calls = []
        for _ in range(10):
            ts = time.perf_counter()
            floor_func.zero_grad()
            floor_func(None, floor_y).sum().backward()
            calls.append(time.perf_counter() - ts)
        if record:
            floor_per_call.append(statistics.median(calls))
    wall = time.perf_counter() - t0

    med = {c.name: 1e3 * statistics.median(c.times) for c in contenders}
    ref = {c.name: c for c in contenders}
    floor_us = 1e6 * statistics.median(floor_per_call)
    sym_nfe = statistics.median(ref["symnum DP5 backprop"].nfe_f)
    floor_ms = sym_nfe * floor_us / 1e3

    def round_ratio(a, b):
        """Median over rounds of time(b) / time(a) (how many times faster a is than b)."""
        return statistics.median(tb / ta for ta, tb in zip(ref[a].times, ref[b].times))

    def per_nfe_ratio(a, b):
        """As round_ratio, on time per forward NFE (corrects for unequal step counts)."""
        return statistics.median((tb / nb) / (ta / na) for ta, tb, na, nb in zip(
            ref[a].times, ref[b].times, ref[a].nfe_f, ref[b].nfe_f))

    rows = []
    tdq = "torchdiffeq dopri5 direct"
    for c in contenders:
        rows.append({"contender": c.name, "ms/iter": f"{med[c.name]:.2f}",
                     "min ms": f"{1e3 * min(c.times):.2f}",
                     "NFE fwd": f"{statistics.median(c.nfe_f):.0f}",
                     "NFE fwd range": f"{min(c.nfe_f)}-{max(c.nfe_f)}",
                     "NFE bwd": f"{statistics.median(c.nfe_b):.0f}",
                     "x floor": f"{med[c.name] / floor_ms:.2f}",
                     "speed-up vs tdq direct": f"{round_ratio(c.name, tdq):.2f}x",
                     "speed-up vs tdq adjoint":
                         f"{round_ratio(c.name, 'torchdiffeq dopri5 adjoint'):.2f}x",
                     "ms_median": med[c.name], "nfe_fwd_median": statistics.median(c.nfe_f),
                     "nfe_bwd_median": statistics.median(c.nfe_b), "nfe_fwd_all": c.nfe_f,
                     "ms_all": [round(1e3 * x, 3) for x in c.times]})
    rows.append({"contender": "MLP autograd floor (NFE x f fwd+bwd)", "ms/iter": f"{floor_ms:.2f}",
                 "NFE fwd": f"{sym_nfe:.0f}", "x floor": "1.00",
                 "ms_median": floor_ms, "floor_us_per_call": floor_us})
    cols = ["contender", "ms/iter", "min ms", "NFE fwd", "NFE fwd range", "NFE bwd", "x floor",
            "speed-up vs tdq direct", "speed-up vs tdq adjoint"]
    print_table(rows, cols, title=f"B6 spiral training iteration, 2->50->2, batch {BATCH}, "
                f"float32, dopri5 rtol {RTOL} atol {ATOL}, 1 thread, median of {args.rounds} "
                f"interleaved rounds ({wall:.0f} s); floor {floor_us:.0f} us per f fwd+bwd")

    nfe_sym = statistics.median(ref["symnum DP5 backprop"].nfe_f)
    nfe_tdq = statistics.median(ref[tdq].nfe_f)
    equal_nfe = abs(nfe_sym / nfe_tdq - 1.0) <= 0.10
    r_direct = round_ratio("symnum DP5 backprop", tdq)
    r_adj = round_ratio("symnum DP5 checkpoint", "torchdiffeq dopri5 adjoint")
    r_ck_direct = round_ratio("symnum DP5 checkpoint", tdq)
    targets = {
        f"equal NFE (symnum DP5 {nfe_sym:.0f} vs torchdiffeq {nfe_tdq:.0f}, within 10%)": equal_nfe,
        f"symnum DP5 backprop >= 2x faster than torchdiffeq direct ({r_direct:.2f}x)":
            r_direct >= 2.0,
        f"symnum DP5 checkpoint >= 5x faster than torchdiffeq adjoint ({r_adj:.2f}x)": r_adj >= 5.0,
        f"symnum DP5 backprop <= 1.5x the MLP floor ({med['symnum DP5 backprop'] / floor_ms:.2f}x)":
            med["symnum DP5 backprop"] <= 1.5 * floor_ms,
    }
    pn_direct = per_nfe_ratio("symnum DP5 backprop", tdq)
    pn_adj = per_nfe_ratio("symnum DP5 checkpoint", "torchdiffeq dopri5 adjoint")
    same = sum(a == b for a, b in zip(ref["symnum DP5 backprop"].nfe_f, ref[tdq].nfe_f))
    print(f"\n(information: symnum DP5 checkpoint vs torchdiffeq direct: {r_ck_direct:.2f}x; "
          f"rounds with equal forward NFE, symnum DP5 vs torchdiffeq: {same}/{args.rounds}; "
          f"per forward NFE: backprop vs direct {pn_direct:.2f}x, checkpoint vs adjoint "
          f"{pn_adj:.2f}x)")
    print("targets:")
    for k, v in targets.items():
        print(f"  {k:80s} {'PASS' if v else 'FAIL'}")
    write_json("neural_step", rows, rounds=args.rounds, dtype="float32", rtol=RTOL, atol=ATOL,
               batch=BATCH, torchode=torchode_version, floor_us_per_call=floor_us,
               ratio_backprop_vs_direct=r_direct, ratio_checkpoint_vs_adjoint=r_adj,
               ratio_checkpoint_vs_direct=r_ck_direct, per_nfe_ratio_backprop_vs_direct=pn_direct,
               per_nfe_ratio_checkpoint_vs_adjoint=pn_adj, rounds_equal_nfe=same,
               targets={k: bool(v) for k, v in targets.items()}, wall_s=wall)


if __name__ == "__main__":
    main()
