"""
The missing term of Lotka–Volterra, from 20 noisy samples
=========================================================

Prey :math:`x` grow at rate 1.3 and predators :math:`y` die at rate 1.8; how
they interact is unknown. We write what we know and leave undefined functions
:math:`F(x, y)`, :math:`G(x, y)` for the rest, measure each species 20 times
over :math:`t \\in [0, 3]` with 1 % noise, and let ``sn.discover(...,
method="pinn")`` train a network for the solution and one per hidden term
against the data and the physics residual; symbolic regression (Operon) then
names each hidden term. The truth is :math:`F = -0.9 x y`, :math:`G = 0.8 x y`.
"""

import os

import numpy as np
import sympy as sp
import torch

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
torch.set_num_threads(1)  # tiny networks: one thread is fastest

t = sp.Symbol("t")
X, Y, F, G = (sp.Function(n) for n in ("x", "y", "F", "G"))
truth = sn.ODESystem([sp.Eq(X(t).diff(t), 1.3 * X(t) - 0.9 * X(t) * Y(t)),
                      sp.Eq(Y(t).diff(t), 0.8 * X(t) * Y(t) - 1.8 * Y(t))],
                     initial={X(0): 1.0, Y(0): 1.0}, tspan=(0, 3))
ts = np.linspace(0, 3, 20)
sol = sn.solve(truth, sn.DP5(), rtol=1e-10, atol=1e-10, saveat=ts)
meas = sn.Measurements({"x": sol["x"], "y": sol["y"]}, coords={t: ts}).with_noise(0.01, seed=0)

# %%
# The known physics, with the unknown interaction left as F and G.
known = [sp.Eq(X(t).diff(t), 1.3 * X(t) + F(X(t), Y(t))),
         sp.Eq(Y(t).diff(t), -1.8 * Y(t) + G(X(t), Y(t)))]
pinn = sn.discover.HiddenPINN(known, progress=False, seed=0,
                              iterations=1500 if QUICK else 3000,
                              sr_options={"generations": 50, "population_size": 300,
                                          "max_length": 10})
pinn.fit(meas)
for name, formula in pinn.hidden_.items():
    print(f"{name}(x, y) = {formula}")
beta = -float(sp.expand(pinn.hidden_["F"]).coeff(X(t) * Y(t)))
gamma = float(sp.expand(pinn.hidden_["G"]).coeff(X(t) * Y(t)))
print(f"beta = {beta:.4f} (true 0.9), gamma = {gamma:.4f} (true 0.8)")

# %%
# The completed model solved past the data, against the true dynamics.
later = np.linspace(0, 6, 121)
found = sn.solve(sn.ODESystem(pinn.equations_, initial={X(0): 1.0, Y(0): 1.0}, tspan=(0, 6)),
                 sn.DP5(), rtol=1e-9, atol=1e-9, saveat=later)
ref = sn.solve(truth, sn.DP5(), rtol=1e-10, atol=1e-10, saveat=later, tspan=(0, 6))
err = max(np.abs(found[f] - ref[f]).max() / np.abs(ref[f]).max() for f in "xy")
print(f"completed model to t = 6 (twice the data span): max relative error {err:.2e}")

import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for f, c in (("x", "C0"), ("y", "C1")):
    ax.plot(later, ref[f], c, lw=1, label=f"{f} true")
    ax.plot(later, found[f], c + "--", lw=2, label=f"{f} discovered")
    ax.plot(ts, meas.values[f], c + "o", ms=4)
ax.axvline(3, color="gray", lw=0.5)
ax.set(xlabel="t", title="20 noisy samples per species (dots) → completed model")
ax.legend(fontsize=7, ncol=2)
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "lotka_volterra_pinn.png"), dpi=100)

assert set(sp.expand(pinn.hidden_["F"]).as_coefficients_dict()) == {X(t) * Y(t)}, pinn.hidden_
assert set(sp.expand(pinn.hidden_["G"]).as_coefficients_dict()) == {X(t) * Y(t)}, pinn.hidden_
assert abs(beta - 0.9) < 0.09 and abs(gamma - 0.8) < 0.08  # within 10 %
assert err < 0.1, err
