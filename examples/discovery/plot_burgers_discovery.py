"""
Discovering Burgers' equation from noisy measurements
=====================================================

We solve viscous Burgers :math:`u_t = -u u_x + \\nu u_{xx}` with symnum, keep
the first 70 % of the time as training data, add 5 % Gaussian noise, and ask
``sn.discover`` for the equation with the weak form of sparse regression (no
derivatives of the noisy data are taken). The discovered equation is then
solved from the first held-back snapshot and compared with the held-back
measurements: the round trip discover → solve → compare.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn
from symnum.discover import roundtrip_error, solve_like

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N, NT = (128, 81) if QUICK else (256, 161)
NU, NOISE = 0.1, 0.05

t, x = sp.symbols("t x")
u = sp.Function("u")
truth = sp.Eq(u(t, x).diff(t), -u(t, x) * u(t, x).diff(x) + NU * u(t, x).diff(x, 2))
burgers = sn.PDESystem([truth], domain={t: (0, 4), x: (0, 2 * sp.pi)},
                       initial=[sp.Eq(u(0, x), sp.sin(x) + 0.5 * sp.cos(2 * x) + 0.2)],
                       boundary=[sn.Periodic(x)])
prob = sn.discretize(burgers, sn.FiniteDifference({x: N}, order=4))
sol = sn.solve(prob, sn.Tsit5(), rtol=1e-9, atol=1e-10, saveat=np.linspace(0, 4, NT))

# %%
# Measurements: the solution on its grid, split in time, with noise on the part we learn from.
meas = sn.Measurements({"u": sol["u"]}, coords={t: sol.t, x: sol.grid[x]})
train, held = meas.split(0.7)
noisy = train.with_noise(NOISE, seed=1)
found = sn.discover(noisy, method="weak", derivative_order=2)
print("discovered:", found[0])

coeffs = sp.expand(found[0].rhs).as_coefficients_dict()
want = sp.expand(truth.rhs).as_coefficients_dict()
worst = max(abs(float(coeffs[k]) / float(want[k]) - 1) for k in want)
print(f"terms: {len(coeffs)} (true {len(want)}); worst coefficient error {100 * worst:.1f} %")

# %%
# The round trip on the held-back 30 % of the time span.
err = roundtrip_error(found, held)
print(f"relative L2 error of the discovered model on held-back data: {err:.2e}")
again = solve_like(found, held)

import matplotlib.pyplot as plt  # noqa: E402

fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
a.pcolormesh(sol.grid[x], noisy.coords[t], noisy.values["u"], shading="auto")
a.set(xlabel="x", ylabel="t", title=f"training data, {100 * NOISE:.0f} % noise")
for k in (0, len(held.coords[t]) // 2, -1):
    b.plot(sol.grid[x], again["u"][k], label=f"t={held.coords[t][k]:.2f}")
    b.plot(sol.grid[x][::4], held.values["u"][k][::4], "k.", ms=2)
b.set(xlabel="x", ylabel="u", title="held back: data (dots), found model (lines)")
b.legend(fontsize=7)
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "burgers_discovery.png"), dpi=100)

assert set(coeffs) == set(want), found  # exact structure
assert worst < 0.05, worst  # coefficients within 5 %
assert err < 2e-2, err
