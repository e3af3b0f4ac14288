"""Training: ERNODE lowers NFE, a hybrid Lotka-Volterra model recovers its interaction terms,
and checkpoint/resume (in-process and after SIGKILL) reproduces an uninterrupted run bitwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")

import symnum as sn  # noqa: E402
from symnum import neural  # noqa: E402

torch.set_num_threads(1)
SPIRAL = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]], dtype=torch.float64)


class TrueSpiral(torch.nn.Module):
    def forward(self, t, y):
        return (y ** 3) @ SPIRAL


class SpiralNet(torch.nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.Tanh(),
                                       torch.nn.Linear(hidden, 2)).double()

    def forward(self, t, y):
        return self.net(y ** 3)


def _spiral_nfe(regularizer, seed, steps=30):
    ts = torch.linspace(0, 1.5, 30, dtype=torch.float64)
    y0 = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
    with torch.no_grad():
        data = neural.NeuralODE(TrueSpiral(), rtol=1e-8, atol=1e-8)(y0, ts)
    torch.manual_seed(seed)
    f = SpiralNet()
    ode = neural.NeuralODE(f, rtol=1e-6, atol=1e-6, regularizer=regularizer)
    opt = torch.optim.Adam(f.parameters(), lr=0.02)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((ode(y0, ts) - data) ** 2).mean() + ode.regularization
        loss.backward()
        opt.step()
    ode.eval()
    with torch.no_grad():
        ode(y0, ts)
    return ode.stats.nfe


def test_ernode_lowers_nfe_on_the_spiral():
    # measured (seeds 0-2, 40 steps): test NFE ratio 0.33, 0.34, 0.33
    for seed in (0, 1):
        vanilla = _spiral_nfe(None, seed)
        ernode = _spiral_nfe(neural.ErrorEstimate(weight=100.0), seed)
        assert ernode < 0.7 * vanilla, (seed, ernode, vanilla)


def test_hybrid_lotka_volterra_recovers_interaction_terms():
    t = sp.Symbol("t")
    x, y = sp.Function("x"), sp.Function("y")
    a, b, c, d = sp.symbols("alpha beta gamma delta")
    eqs = [sp.Eq(x(t).diff(t), a * x(t) - b * x(t) * y(t)),
           sp.Eq(y(t).diff(t), d * x(t) * y(t) - c * y(t))]
    params = {a: 1.5, b: 1.0, c: 3.0, d: 1.0}
    ts = np.linspace(0, 1, 11)
    runs = []
    for x0, y0 in [(1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (2.0, 2.0), (3.0, 1.5), (1.5, 3.0)]:
        system = sn.ODESystem(eqs, initial={x(0): x0, y(0): y0}, parameters=params,
                              tspan=(0, 1))
        sol = sn.solve(system, sn.Tsit5(), rtol=1e-10, atol=1e-10, saveat=ts)
        runs.append(np.stack([sol["x"], sol["y"]], -1))
    data = torch.tensor(np.stack(runs, 1))  # (time, initial condition, field)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(),
                              torch.nn.Linear(32, 2)).double()
    f = neural.HybridODE(system, {-b * x(t) * y(t): (net, 0), d * x(t) * y(t): (net, 1)})
    assert "nn_0" in f.source and "1.5*x" in f.source and "3.0*y" in f.source
    ode = neural.NeuralODE(f, rtol=1e-5, atol=1e-5)
    opt = torch.optim.Adam(f.parameters(), lr=0.03)
    tt = torch.tensor(ts)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = ((ode(data[0], tt) - data) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[0] / losses[-1] > 50, (losses[0], losses[-1])  # measured 220
    with torch.no_grad():
        D = data.reshape(-1, 2)
        learned = net(D)
        true = torch.stack([-D[:, 0] * D[:, 1], D[:, 0] * D[:, 1]], -1)
        rel = float(torch.linalg.norm(learned - true) / torch.linalg.norm(true))
    assert rel < 0.25, rel  # measured 0.11 on the training trajectories


def test_hybrid_errors():
    t = sp.Symbol("t")
    x = sp.Function("x")
    system = sn.ODESystem([sp.Eq(x(t).diff(t), -x(t))], initial={x(0): 1})
    with pytest.raises(sn.SymnumError, match=r"term\(s\) x\(t\)\*\*2 do not occur"):
        neural.HybridODE(system, {x(t) ** 2: torch.nn.Linear(1, 1)})
    with pytest.raises(TypeError, match="not a torch.nn.Module"):
        neural.HybridODE(system, {-x(t): lambda y: y})


# -- checkpoint / resume -------------------------------------------------------------------------

def _setup(checkpoint_dir, every=4):
    torch.manual_seed(0)
    np.random.seed(0)
    f = SpiralNet(hidden=8)
    ode = neural.NeuralODE(f, rtol=1e-5, atol=1e-5,
                           regularizer=neural.LocalErrorEstimate(
                               weight=neural.ExponentialDecay(10.0, 1.0, steps=12)))
    opt = torch.optim.Adam(ode.parameters(), lr=0.01)
    ts = torch.linspace(0, 1, 8, dtype=torch.float64)

    def loss_fn(model, step):
        y0 = torch.randn(16, 2, dtype=torch.float64) * 0.5 + torch.tensor(
            np.random.uniform(-1, 1, size=2))  # torch and numpy randomness
        target = y0 * 0.9
        return ((model(y0, ts)[-1] - target) ** 2).mean() + model.regularization

    return ode, neural.Trainer(ode, opt, loss_fn, checkpoint_dir=checkpoint_dir, every=every,
                               progress=False)


def _state(trainer):
    return ([p.detach().clone() for p in trainer.model.parameters()],
            trainer.optimizer.state_dict(), [h["loss"] for h in trainer.history])


def _assert_same(s1, s2):
    for p, q in zip(s1[0], s2[0]):
        assert torch.equal(p, q)
    o1, o2 = s1[1]["state"], s2[1]["state"]
    for k in o1:
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(torch.as_tensor(o1[k][name]), torch.as_tensor(o2[k][name]))
    assert s1[2] == s2[2]


def test_resume_is_bitwise_identical(tmp_path):
    _, whole = _setup(tmp_path / "a")
    whole.fit(12)
    _, first = _setup(tmp_path / "b")
    first.fit(6)  # "killed" after step 6: the last checkpoint is step 4, steps 5-6 are lost
    (tmp_path / "b" / "step_00000006.pt").unlink()
    torch.manual_seed(123)  # a restarted process starts from other random states
    np.random.seed(123)
    ode, resumed = _setup(tmp_path / "b")
    assert resumed.restore() and resumed.step == 4 and int(ode.iteration) == 4
    resumed.fit(12)
    assert resumed.step == 12 and len(resumed.history) == 12
    _assert_same(_state(whole), _state(resumed))


_SCRIPT = """
import sys, time, torch
sys.path.insert(0, {tests!r})
import test_training as T
ode, trainer = T._setup({ckpt!r}, every=2)
orig = trainer.loss_fn
def slow(model, step):
    if step >= 6:
        time.sleep(0.2)  # give the parent time to kill us mid-run
    return orig(model, step)
trainer.loss_fn = slow
trainer.fit(12)
"""


def test_resume_after_sigkill(tmp_path):
    ckpt = tmp_path / "ckpt"
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT.format(tests=str(Path(__file__).parent), ckpt=str(ckpt)))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and not (ckpt / "step_00000008.pt").exists():
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the child finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    names = sorted(p.name for p in ckpt.iterdir() if p.suffix == ".pt")
    assert names and names[-1] < "step_00000012.pt"
    _, resumed = _setup(ckpt, every=2)
    resumed.fit(12)
    _, whole = _setup(tmp_path / "whole", every=2)
    whole.fit(12)
    _assert_same(_state(whole), _state(resumed))
