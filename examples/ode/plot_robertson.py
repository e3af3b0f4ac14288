"""
Robertson's stiff chemical kinetics
===================================

Robertson's reactions, a classic stiff test (Hairer & Wanner, *Solving ODEs II*):

.. math:: y_1' = -0.04 y_1 + 10^4 y_2 y_3, \\quad
          y_2' = 0.04 y_1 - 10^4 y_2 y_3 - 3\\cdot 10^7 y_2^2, \\quad
          y_3' = 3\\cdot 10^7 y_2^2.

Rate constants spanning eleven orders of magnitude make explicit methods crawl;
CVODE's BDF takes a few hundred steps. We check the literature values at
:math:`t = 40`: :math:`y_1 = 0.7158271`, :math:`y_2 = 9.185535\\cdot 10^{-6}`,
:math:`y_3 = 0.2841637`, and that :math:`y_1 + y_2 + y_3 = 1` holds throughout.
"""

import os

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
T_END = 40.0 if QUICK else 4e5

t = sp.Symbol("t")
y1, y2, y3 = (sp.Function(f"y{k}") for k in (1, 2, 3))
k1, k2, k3 = sp.symbols("k1 k2 k3")

robertson = sn.ODESystem(
    equations=[sp.Eq(y1(t).diff(t), -k1 * y1(t) + k3 * y2(t) * y3(t)),
               sp.Eq(y2(t).diff(t), k1 * y1(t) - k3 * y2(t) * y3(t) - k2 * y2(t) ** 2),
               sp.Eq(y3(t).diff(t), k2 * y2(t) ** 2)],
    initial={y1(0): 1, y2(0): 0, y3(0): 0},
    parameters={k1: 0.04, k2: 3e7, k3: 1e4},
    tspan=(0, T_END),
)
saveat = np.union1d(np.logspace(-5, np.log10(T_END), 60), [40.0])
sol = sn.solve(robertson, sn.CVODE(), rtol=1e-10, atol=1e-14, saveat=saveat)

at40 = int(np.argmin(np.abs(sol.t - 40.0)))
got = np.array([sol["y1"][at40], sol["y2"][at40], sol["y3"][at40]])
literature = np.array([0.7158271, 9.185535e-6, 0.2841637])
rel = np.abs(got / literature - 1)
total = sol["y1"] + sol["y2"] + sol["y3"]
print(f"t=40: {got}; relative error {rel}; {sol.stats['steps']} steps")

# %%
# On a logarithmic time axis; y2 is tiny, so each field has its own panel.
fig = sol.plot(logt=True)
out = os.environ.get("SYMNUM_GALLERY_OUT")
if out:
    fig.savefig(os.path.join(out, "robertson.png"), dpi=100)

assert sol.result.ok, sol.result.value
assert sol.t[at40] == 40.0, sol.t[at40]
assert np.abs(total - 1).max() < 1e-8
assert np.all(rel < 1e-5), rel
