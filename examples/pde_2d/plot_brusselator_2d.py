"""
2D Brusselator: a stiff reaction-diffusion oscillator
=====================================================

The Brusselator in the form of the SciML benchmarks,

.. math:: u_t = 1 + u^2 v - 4.4 u + \\alpha \\nabla^2 u + f(x, y, t), \\qquad
          v_t = 3.4 u - u^2 v + \\alpha \\nabla^2 v,

on the periodic unit square with :math:`\\alpha = 10` and a forcing
:math:`f = 5` inside a disc of radius 0.1 around :math:`(0.3, 0.6)` from
:math:`t = 1.1`. Strong diffusion makes it stiff; CVODE uses the exact sparse
Jacobian that symnum derives symbolically (sparse LU). Diffusion keeps the
fields nearly uniform, so the domain mean follows the limit cycle of the
Brusselator: a coarse reference grid must show the same oscillation.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N, T_END = (12, 8.0) if QUICK else (32, 11.5)

t, x, y = sp.symbols("t x y")
u, v = sp.Function("u"), sp.Function("v")
alpha = sp.Symbol("alpha")
lap = lambda w: w.diff(x, 2) + w.diff(y, 2)  # noqa: E731
U, V = u(t, x, y), v(t, x, y)
forcing = sp.Piecewise((5, ((x - 0.3) ** 2 + (y - 0.6) ** 2 <= 0.01) & (t >= 1.1)), (0, True))

bruss = sn.PDESystem(
    equations=[sp.Eq(U.diff(t), 1 + U**2 * V - 4.4 * U + alpha * lap(U) + forcing),
               sp.Eq(V.diff(t), 3.4 * U - U**2 * V + alpha * lap(V))],
    domain={t: (0, T_END), x: (0, 1), y: (0, 1)},
    initial=[sp.Eq(u(0, x, y), 22 * (y * (1 - y)) ** sp.Rational(3, 2)),
             sp.Eq(v(0, x, y), 27 * (x * (1 - x)) ** sp.Rational(3, 2))],
    boundary=[sn.Periodic(x), sn.Periodic(y)],
    parameters={alpha: 10},
)
saveat = np.linspace(0, T_END, 116)


def mean_u(n):
    prob = sn.discretize(bruss, sn.FiniteDifference({x: n, y: n}, order=2))
    sol = sn.solve(prob, sn.CVODE(linear_solver="sparse"), rtol=1e-6, atol=1e-8, saveat=saveat)
    assert sol.result.ok, sol.result.value
    return sol, sol["u"].mean(axis=(1, 2))


sol, mean = mean_u(N)
_, coarse = mean_u(6)  # a coarse reference grid
print(f"{N}x{N}: {sol.stats['steps']} steps, {sol.stats['njev']} Jacobians "
      f"({sol.stats.get('linear_solver', '?')} linear solver)")

fig = sol.plot(times=np.linspace(0, T_END, 4))
fig2, ax = plt.subplots(figsize=(7, 3), layout="constrained")
ax.plot(sol.t, mean, label=f"{N}x{N}")
ax.plot(sol.t, coarse, "--", label="6x6 reference")
ax.set(xlabel="t", ylabel="mean of u", title="domain mean of u")
ax.legend()
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "brusselator_2d.png"), dpi=90)
    fig2.savefig(os.path.join(out, "brusselator_mean.png"), dpi=90)

# %%
# Oscillation: the domain mean of u falls, spikes above 3 and falls again; the
# fields stay bounded; the coarse grid puts the spike at the same time and height.
top = int(np.argmax(mean))
print(f"mean u: peak {mean[top]:.2f} at t = {sol.t[top]:.2f}, "
      f"troughs {mean[:top].min():.2f} and {mean[top:].min():.2f}")
assert mean[top] > 3 and mean[:top].min() < 0.7 and mean[top:].min() < 0.7
assert 0 <= sol["u"].min() and sol["u"].max() < 10 and 0 <= sol["v"].min() < sol["v"].max() < 10
ctop = int(np.argmax(coarse))
print(f"coarse: peak {coarse[ctop]:.2f} at t = {sol.t[ctop]:.2f}")
assert abs(sol.t[ctop] - sol.t[top]) < 0.2 and abs(coarse[ctop] / mean[top] - 1) < 0.1
