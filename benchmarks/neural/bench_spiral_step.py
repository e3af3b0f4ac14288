"""B6 (research/perf.md): one training iteration of the torchdiffeq ode_demo spiral model, 1 thread.

Spiral dy/dt = y^3 A, 1000 points on [0, 25]; batch of 256 random windows of 10 points;
model y^3 -> Linear(2,50) -> tanh -> Linear(50,2); float32; rtol 1e-5, atol 1e-7; RMSprop.
Usage: python benchmarks/neural/bench_spiral_step.py [--torchdiffeq]
"""

import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
import symnum as sn  # noqa: E402
from symnum import neural  # noqa: E402

A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
t = torch.linspace(0.0, 25.0, 1000)


class Lambda(torch.nn.Module):
    def forward(self, t, y):
        return torch.mm(y ** 3, A)


with torch.no_grad():
    true_y = neural.NeuralODE(Lambda(), sn.DP5(), rtol=1e-7, atol=1e-9)(
        torch.tensor([[2.0, 0.0]]), t)


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


def batch(rng, size=256, T=10):
    s = torch.from_numpy(rng.choice(np.arange(1000 - T), size, replace=False))
    return true_y[s], t[:T], torch.stack([true_y[s + i] for i in range(T)], dim=0)


def run(make_solve, name, iters=30, warm=3):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    func = ODEFunc()
    opt = torch.optim.RMSprop(func.parameters(), lr=1e-3)
    solve, nfe = make_solve(func)
    times, nfes = [], []
    for it in range(iters + warm):
        y0, bt, by = batch(rng)
        t_start = time.perf_counter()
        opt.zero_grad()
        pred = solve(y0, bt)
        loss = torch.mean(torch.abs(pred - by))
        loss.backward()
        opt.step()
        if it >= warm:
            times.append(time.perf_counter() - t_start)
            nfes.append(nfe())
    print(f"{name:32s} median {1e3 * np.median(times):6.2f} ms  min {1e3 * np.min(times):6.2f}"
          f"  NFE {np.median(nfes):.0f}")


def symnum_solve(adjoint, solver):
    def make(func):
        ode = neural.NeuralODE(func, solver, rtol=1e-5, atol=1e-7, adjoint=adjoint)
        return ode, lambda: ode.stats.nfe
    return make


def floor(iters=200):
    func = ODEFunc()
    y = torch.randn(256, 2)
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        func(None, y).sum().backward()
        ts.append(time.perf_counter() - t0)
    print(f"MLP fwd+bwd floor per NFE: {1e6 * np.median(ts):.0f} us")


if __name__ == "__main__":
    floor()
    for solver in (sn.DP5(), sn.Tsit5()):
        for adj in ("backprop", "checkpoint"):
            run(symnum_solve(adj, solver), f"symnum {type(solver).__name__} {adj}")
    if "--torchdiffeq" in sys.argv:
        import torchdiffeq

        for name, fn in (("direct", torchdiffeq.odeint), ("adjoint", torchdiffeq.odeint_adjoint)):
            def make(func, fn=fn):
                counter = {"n": 0}

                class Counted(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.inner = func

                    def forward(self, t, y):
                        counter["n"] += 1
                        return self.inner(t, y)

                cf = Counted()

                def solve(y0, bt):
                    counter["n"] = 0
                    return fn(cf, y0, bt, rtol=1e-5, atol=1e-7, method="dopri5")
                return solve, lambda: counter["n"]
            run(make, f"torchdiffeq dopri5 {name}")
