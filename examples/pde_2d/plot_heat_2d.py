"""
2D heat equation with Dirichlet and Neumann sides
=================================================

:math:`u_t = u_{xx} + u_{yy}` on the unit square with :math:`u = 0` on the
sides :math:`x = 0, 1` (Dirichlet) and :math:`u_y = 0` on :math:`y = 0, 1`
(Neumann, insulated). Products of :math:`\\sin(k\\pi x)` and :math:`\\cos(l\\pi y)`
satisfy both, so the exact solution of

.. math:: u(0, x, y) = \\sin(\\pi x) + \\sin(\\pi x) \\cos(\\pi y)

is :math:`e^{-\\pi^2 t}\\sin(\\pi x) + e^{-2\\pi^2 t}\\sin(\\pi x)\\cos(\\pi y)`.
The Neumann conditions are plain SymPy equations on the derivative.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N = 13 if QUICK else 41
T_END = 0.1

t, x, y = sp.symbols("t x y")
u = sp.Function("u")
U = u(t, x, y)

heat = sn.PDESystem(
    equations=[sp.Eq(U.diff(t), U.diff(x, 2) + U.diff(y, 2))],
    domain={t: (0, T_END), x: (0, 1), y: (0, 1)},
    initial=[sp.Eq(u(0, x, y), sp.sin(sp.pi * x) * (1 + sp.cos(sp.pi * y)))],
    boundary=[sp.Eq(u(t, 0, y), 0), sp.Eq(u(t, 1, y), 0),
              sp.Eq(U.diff(y).subs(y, 0), 0), sp.Eq(U.diff(y).subs(y, 1), 0)],
)
prob = sn.discretize(heat, sn.FiniteDifference({x: N, y: N}, order=4))
sol = sn.solve(prob, sn.CVODE(), rtol=1e-9, atol=1e-11, saveat=np.linspace(0, T_END, 5))

# %%
# Compare with the separable exact solution at every saved time.
T, X, Y = np.meshgrid(sol.t, sol.grid[x], sol.grid[y], indexing="ij")
exact = np.sin(np.pi * X) * (np.exp(-np.pi**2 * T) + np.exp(-2 * np.pi**2 * T) * np.cos(np.pi * Y))
err = np.abs(sol["u"] - exact).max()
print(f"{N}x{N} grid: max |u - exact| = {err:.2e}; {sol.stats['steps']} steps")

fig = sol.plot()
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "heat_2d.png"), dpi=90)

assert sol.result.ok, sol.result.value
assert sol["u"].shape == (5, N, N)
assert err < (2e-3 if QUICK else 2e-5), err
