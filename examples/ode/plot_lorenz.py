"""
Lorenz attractor
================

The Lorenz system :math:`x' = \\sigma (y - x)`, :math:`y' = x(\\rho - z) - y`,
:math:`z' = x y - \\beta z` with :math:`\\sigma = 10, \\rho = 28, \\beta = 8/3`
is chaotic: nearby trajectories separate like :math:`e^{0.9 t}`. We solve it
with Tsit5 at a working tolerance, check it against a tight DP5 reference over
the first time units (before chaos amplifies the error), and check that the
trajectory stays on the attractor's known bounding box.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
T_END = 10.0 if QUICK else 40.0

t = sp.Symbol("t")
X, Y, Z = (sp.Function(n) for n in "xyz")
sigma, rho, beta = sp.symbols("sigma rho beta")

lorenz = sn.ODESystem(
    equations=[sp.Eq(X(t).diff(t), sigma * (Y(t) - X(t))),
               sp.Eq(Y(t).diff(t), X(t) * (rho - Z(t)) - Y(t)),
               sp.Eq(Z(t).diff(t), X(t) * Y(t) - beta * Z(t))],
    initial={X(0): 1, Y(0): 0, Z(0): 0},
    parameters={sigma: 10, rho: 28, beta: sp.Rational(8, 3)},
    tspan=(0, T_END),
)
ts = np.linspace(0, T_END, int(200 * T_END) + 1)
sol = sn.solve(lorenz, sn.Tsit5(), rtol=1e-8, atol=1e-10, saveat=ts)
early = ts <= 5
ref = sn.solve(lorenz, sn.DP5(), rtol=1e-12, atol=1e-12, saveat=ts[early], tspan=(0, 5))
err = max(np.abs(sol[f][early] - ref[f]).max() for f in "xyz")
settled = sol.t >= 1  # after the transient from (1, 0, 0)
print(f"max error vs tight reference on [0, 5]: {err:.2e}; "
      f"Tsit5 {sol.stats['nfev']} RHS calls, reference {ref.stats['nfev']}")

# %%
# The butterfly (x, z) projection and the time series.
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
ax.plot(sol["x"], sol["z"], lw=0.4)
ax.set(xlabel="x", ylabel="z", title="Lorenz attractor (Tsit5)")
series = sol.plot()
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "lorenz_butterfly.png"), dpi=100)
    series.savefig(os.path.join(out, "lorenz_series.png"), dpi=100)

assert sol.result.ok and ref.result.ok
assert err < 1e-3, err
assert np.abs(sol["x"][settled]).max() < 25 and np.abs(sol["y"][settled]).max() < 30
assert 0 < sol["z"][settled].min() and sol["z"][settled].max() < 55
