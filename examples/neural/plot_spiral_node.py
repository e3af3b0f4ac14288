"""
Spiral neural ODE: vanilla vs ERNODE
====================================

We fit a neural ODE ``dy/dt = NN(y^3)`` to the spiral ``dy/dt = y^3 A``,
``A = [[-0.1, 2], [-2, -0.1]]``, ``y(0) = (2, 0)`` on ``[0, 1.5]`` (the
DiffEqFlux / torchdiffeq demo), once plainly and once with ERNODE: the
mean over accepted steps of the solver's own tolerance-scaled error
estimate times the step size, added to the loss (Pal et al., ICML 2021).
The adaptive solver needs far fewer right-hand-side evaluations (NFE) to
solve the regularized model. The price is fit: in this short run its error is
higher (quick mode: NFE 404 -> 152, MSE 0.30 -> 1.4); the weight schedule sets
the trade-off.
"""

import os

import torch

import symnum as sn
from symnum import neural

torch.set_num_threads(1)
QUICK = os.environ.get("SYMNUM_QUICK") == "1"
STEPS = 60 if QUICK else 300
A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]], dtype=torch.float64)


class TrueSpiral(torch.nn.Module):
    def forward(self, t, y):
        return (y ** 3) @ A


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                       torch.nn.Linear(16, 2)).double()

    def forward(self, t, y):
        return self.net(y ** 3)


ts = torch.linspace(0, 1.5, 30, dtype=torch.float64)
y0 = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
with torch.no_grad():
    data = neural.NeuralODE(TrueSpiral(), sn.Tsit5(), rtol=1e-8, atol=1e-8)(y0, ts)


def fit(regularizer):
    torch.manual_seed(0)
    ode = neural.NeuralODE(Net(), sn.Tsit5(), rtol=1e-6, atol=1e-6, regularizer=regularizer)
    opt = torch.optim.Adam(ode.parameters(), lr=0.02)
    nfe = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((ode(y0, ts) - data) ** 2).mean() + ode.regularization
        loss.backward()
        opt.step()
        nfe.append(ode.stats.nfe)
    ode.eval()
    with torch.no_grad():
        pred = ode(y0, ts)
    return ode, pred, float(((pred - data) ** 2).mean()), nfe


schedule = neural.ExponentialDecay(10.0, 1.0, steps=STEPS)
runs = {"vanilla": fit(None), "ERNODE": fit(neural.ErrorEstimate(weight=schedule))}
for name, (ode, _, mse, _) in runs.items():
    print(f"{name:8s} test NFE {ode.stats.nfe:4d}  MSE {mse:.3g}")

# %%
# Trajectories and the NFE of the training solves.
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax1.plot(data[:, 0, 0], data[:, 0, 1], "k.", label="data")
for name, (_, pred, _, nfe) in runs.items():
    ax1.plot(pred[:, 0, 0], pred[:, 0, 1], label=name)
    ax2.plot(nfe, label=name)
ax1.set(xlabel="y1", ylabel="y2", title="fitted spiral")
ax2.set(xlabel="training iteration", ylabel="NFE of the forward solve", title="solver cost")
ax1.legend(), ax2.legend()
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "spiral_node.png"), dpi=100)

vanilla_nfe, er_nfe = runs["vanilla"][0].stats.nfe, runs["ERNODE"][0].stats.nfe
assert er_nfe < 0.8 * vanilla_nfe, (er_nfe, vanilla_nfe)
assert runs["ERNODE"][2] < 3.0 and runs["vanilla"][2] < 3.0
