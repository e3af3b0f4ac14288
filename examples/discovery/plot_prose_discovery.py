"""
Equations and a forecast from two time units of a noisy trajectory (PROSE)
==========================================================================

A pretrained multimodal transformer (PROSE) reads the first two time units of
a trajectory and writes down the system that produced it, as symbols, and
predicts the solution for the four time units after it. Its structure is then
refitted on the data (least squares on the predicted terms only) and the
result is an ordinary SymPy system that ``sn.solve`` integrates.

Here: a Van der Pol oscillator with mu = 1.05, 1 % noise. The model that ships
with symnum knows twelve families of 1- to 3-state systems (see its model card,
``symnum/discover/prose/weights/MODEL_CARD.md``).
"""

import os

import numpy as np
import sympy as sp
import torch

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
torch.set_num_threads(1)
t = sp.Symbol("t")
X, Y = sp.Function("x"), sp.Function("y")
mu = 1.05
truth = sn.ODESystem([sp.Eq(X(t).diff(t), Y(t)),
                      sp.Eq(Y(t).diff(t), mu * (1 - X(t) ** 2) * Y(t) - X(t))],
                     initial={X(0): 1.5, Y(0): -0.5}, tspan=(0, 6))
ts = np.linspace(0, 6, 192)
sol = sn.solve(truth, sn.Tsit5(), rtol=1e-10, atol=1e-10, saveat=ts)
clean = sn.Measurements({"x": sol["x"], "y": sol["y"]}, coords={t: ts})
meas = clean.with_noise(0.01, seed=0)

# %%
# The model's structure and its own coefficients, then the refitted system.
prose = sn.discover.estimator("prose").fit(meas)
print("decoded tokens:", " ".join(prose.tokens_))
for eq in prose.model_equations_:
    print("model:  ", eq)
for eq in prose.equations_:
    print("refit:  ", eq)

# %%
# Its forecast (the operator decoder) and the refitted system solved past the data.
later = ts[ts >= 2]
forecast = prose.forecast(meas, later)
found = sn.solve(sn.ODESystem(prose.equations_, initial={X(0): 1.5, Y(0): -0.5}, tspan=(0, 6)),
                 sn.Tsit5(), rtol=1e-9, atol=1e-9, saveat=ts)
err_solve = max(np.abs(found[f] - sol[f]).max() / np.abs(sol[f]).max() for f in "xy")
err_fc = max(np.abs(forecast[f] - sol[f][ts >= 2]).max() / np.abs(sol[f]).max() for f in "xy")
print(f"refitted system solved on [0, 6]: max relative error {err_solve:.2e}")
print(f"operator forecast on [2, 6]:      max relative error {err_fc:.2e}")

# %%
# The structure the model reads off at higher noise (skipped in quick mode).
for noise in [] if QUICK else [0.02, 0.05]:
    noisy = clean.with_noise(noise, seed=1)
    print(f"{noise:.0%} noise:", sn.discover(noisy, method="prose"))

import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for f, c in (("x", "C0"), ("y", "C1")):
    ax.plot(ts, meas.values[f], c + ".", ms=3, alpha=0.5)
    ax.plot(ts, found[f], c, lw=1.5, label=f"{f}: refitted system")
    ax.plot(later, forecast[f], c + "--", lw=2, label=f"{f}: PROSE forecast")
ax.axvspan(0, 2, color="gray", alpha=0.1, lw=0)
ax.set(xlabel="t", title="the model reads t < 2 (shaded); dots: noisy data")
ax.legend(fontsize=7, ncol=2)
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "prose_discovery.png"), dpi=100)

x, y = X(t), Y(t)
want = [y, mu * y - mu * x ** 2 * y - x]
for eq, w in zip(prose.equations_, want):
    assert set(sp.expand(eq.rhs).as_coefficients_dict()) == set(
        sp.expand(w).as_coefficients_dict()), prose.equations_
assert err_solve < 0.05, err_solve
