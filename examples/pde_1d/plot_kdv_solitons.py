"""
KdV: two solitons collide and re-emerge
=======================================

The Korteweg-de Vries equation :math:`u_t + 6 u u_x + u_{xxx} = 0` carries
solitons
:math:`u = \\tfrac{c}{2}\\,\\mathrm{sech}^2\\big(\\tfrac{\\sqrt{c}}{2}(x - c t - x_0)\\big)`
that move at speed :math:`c` with amplitude :math:`c/2`. A fast soliton
(:math:`c = 4`) starts behind a slow one (:math:`c = 1`), overtakes it around
:math:`t \\approx 2.7`, and both come out with their shapes and speeds, only
shifted in phase. We check the amplitudes and speed after the collision and
the conservation of mass :math:`\\int u\\,dx`.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N = 200 if QUICK else 400
L, T_END = 40.0, 6.0
C1, C2, X1, X2 = 4.0, 1.0, 10.0, 18.0

t, x = sp.symbols("t x")
u = sp.Function("u")


def soliton(c, x0):
    return sp.Rational(1, 2) * c * sp.sech(sp.sqrt(c) / 2 * (x - x0)) ** 2


kdv = sn.PDESystem(
    equations=[sp.Eq(u(t, x).diff(t), -6 * u(t, x) * u(t, x).diff(x) - u(t, x).diff(x, 3))],
    domain={t: (0, T_END), x: (0, L)},
    initial=[sp.Eq(u(0, x), soliton(C1, X1) + soliton(C2, X2))],
    boundary=[sn.Periodic(x)],
)
prob = sn.discretize(kdv, sn.FiniteDifference({x: N}, order=4))
saveat = np.linspace(0, T_END, 61)
sol = sn.solve(prob, sn.Tsit5(), rtol=1e-7, atol=1e-9, saveat=saveat)

# %%
# After the collision (t >= 4.5) the two highest peaks are the two solitons.
U, X = sol["u"], sol.grid[x]
dx = X[1] - X[0]
late = sol.t >= 4.5
fast = X[np.argmax(U[late], axis=1)]
speed = np.polyfit(sol.t[late], fast, 1)[0]
peaks = [i for i in range(N) if U[-1, i] >= U[-1, i - 1] and U[-1, i] >= U[-1, (i + 1) % N]]
amps = sorted((U[-1, i] for i in peaks), reverse=True)[:2]
mass = U.sum(axis=1) * dx
print(f"fast speed {speed:.3f} (exact {C1}); amplitudes {amps[0]:.3f}, {amps[1]:.3f} "
      f"(exact {C1 / 2}, {C2 / 2}); mass drift {np.abs(mass - mass[0]).max():.1e}")

fig = sol.plot(times=[0, 2.0, 2.7, 3.5, 6.0])
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "kdv_solitons.png"), dpi=100)

tol = 0.05 if QUICK else 0.02
assert sol.result.ok, sol.result.value
assert abs(speed - C1) < tol * C1, speed
assert abs(amps[0] - C1 / 2) < tol * C1 / 2 and abs(amps[1] - C2 / 2) < tol * C2 / 2, amps
assert np.abs(mass - mass[0]).max() < 1e-8 * abs(mass[0]), mass
