"""
Heat equation against its exact solution
========================================

The heat equation :math:`u_t = D u_{xx}` on :math:`[0, 1]` with Dirichlet sides
:math:`u(t, 0) = u(t, 1) = 0` turns each sine mode :math:`\\sin(k \\pi x)` into a
decaying exponential :math:`e^{-D k^2 \\pi^2 t}`. We discretize with fourth-order
finite differences, solve with CVODE (the discrete Laplacian is stiff) and
compare with the exact solution at every saved time.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N = 21 if QUICK else 81

t, x = sp.symbols("t x")
u = sp.Function("u")
D = sp.Symbol("D")

heat = sn.PDESystem(
    equations=[sp.Eq(u(t, x).diff(t), D * u(t, x).diff(x, 2))],
    domain={t: (0, 0.2), x: (0, 1)},
    initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x) + sp.sin(3 * sp.pi * x) / 2)],
    boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)],
    parameters={D: 0.5},
)
prob = sn.discretize(heat, sn.FiniteDifference({x: N}, order=4))
sol = sn.solve(prob, sn.CVODE(), rtol=1e-9, atol=1e-11, saveat=np.linspace(0, 0.2, 9))

# %%
# The exact solution on the same grid and times.
X, T = np.meshgrid(sol.grid[x], sol.t)
exact = (np.exp(-0.5 * np.pi**2 * T) * np.sin(np.pi * X)
         + np.exp(-4.5 * np.pi**2 * T) * np.sin(3 * np.pi * X) / 2)
err = np.abs(sol["u"] - exact).max()
print(f"{N} points: max |u - exact| = {err:.2e}; {sol.stats['steps']} steps")

fig = sol.plot()
snap = fig.axes[-1]  # the snapshot panel: add the exact curves, dashed
for k in range(0, len(sol.t), 2):
    snap.plot(sol.grid[x], exact[k], "k--", lw=0.8)
snap.set_title("numeric (colour) and exact (dashed)")

out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "heat_1d.png"), dpi=100)

assert sol.result.ok, sol.result.value
assert err < (3e-4 if QUICK else 3e-6), err
