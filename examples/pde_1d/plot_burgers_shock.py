"""
Viscous Burgers equation forming a shock
========================================

:math:`u_t + u u_x = \\nu u_{xx}` on a periodic interval with :math:`u(0, x) = \\sin x`.
The inviscid characteristics cross at :math:`t = 1`; a small viscosity keeps the
front smooth but steep, of width about :math:`2\\nu`. The central stencils
of the advection term are skew-symmetric, so the discrete mass
:math:`\\sum_i u_i \\Delta x` is conserved to round-off, which we check together
with the steepening of the gradient.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N, NU = (128, 0.05) if QUICK else (512, 0.01)
T_END = 2.0

t, x = sp.symbols("t x")
u = sp.Function("u")
nu = sp.Symbol("nu")

burgers = sn.PDESystem(
    equations=[sp.Eq(u(t, x).diff(t), -u(t, x) * u(t, x).diff(x) + nu * u(t, x).diff(x, 2))],
    domain={t: (0, T_END), x: (0, 2 * sp.pi)},
    initial=[sp.Eq(u(0, x), sp.sin(x))],
    boundary=[sn.Periodic(x)],
    parameters={nu: NU},
)
prob = sn.discretize(burgers, sn.FiniteDifference({x: N}, order=4))
sol = sn.solve(prob, sn.Tsit5(), rtol=1e-7, atol=1e-9, saveat=np.linspace(0, T_END, 21))

# %%
# Mass and the steepest gradient at each saved time.
U = sol["u"]
X = sol.grid[x]
dx = X[1] - X[0]
mass = U.sum(axis=1) * dx
slope = np.abs(np.gradient(U, dx, axis=1)).max(axis=1)
print(f"N={N}, nu={NU}: max |u_x| from {slope[0]:.2f} to {slope[-1]:.2f}; "
      f"mass drift {np.abs(mass - mass[0]).max():.1e}; {sol.stats['nfev']} RHS calls")

fig = sol.plot(times=[0, 0.5, 1.0, 1.5, 2.0])
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "burgers_shock.png"), dpi=100)

assert sol.result.ok, sol.result.value
assert slope[-1] > (4 if QUICK else 20) * slope[0], slope  # the front has steepened
assert np.abs(mass - mass[0]).max() < 1e-9, mass  # mass conserved
assert abs(X[np.argmax(np.abs(np.gradient(U[-1], dx)))] - np.pi) < 4 * dx  # front at x = pi
