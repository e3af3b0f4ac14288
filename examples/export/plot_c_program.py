"""
A model as a standalone C program
=================================

Fisher–KPP fronts, :math:`u_t = D u_{xx} + r u (1 - u)` on :math:`[0, 40]` with
no-flux sides, exported by ``sn.export(model, "c-program")`` as plain C99: the
method-of-lines right-hand side, and a ``main`` with an adaptive
Dormand–Prince 5(4) driver that writes the solution as CSV. We compile it with
the system's C compiler, run it, and check it against ``sn.solve`` on the same
grid. The front's speed tends to the theoretical :math:`2\\sqrt{rD}`.
"""

import csv
import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
import sympy as sp

import symnum as sn

QUICK = os.environ.get("SYMNUM_QUICK") == "1"
N = 161 if QUICK else 401
T_END = 8.0 if QUICK else 16.0

t, x = sp.symbols("t x")
u = sp.Function("u")
D, r = sp.symbols("D r", positive=True)
U = u(t, x)

fisher = sn.PDESystem(
    equations=[sp.Eq(U.diff(t), D * U.diff(x, 2) + r * U * (1 - U))],
    domain={t: (0, T_END), x: (0, 40)},
    initial=[sp.Eq(u(0, x), sp.exp(-x**2))],
    boundary=[sn.Neumann(U, x, 0), sn.Neumann(U, x, 40)],
    parameters={D: 1.0, r: 1.0},
)
prob = sn.discretize(fisher, sn.FiniteDifference({x: N}, order=2))
program = sn.export(prob, "c-program", name="fisher")
print("files:", ", ".join(sorted(program.files)))

cc = shutil.which("cc") or shutil.which("gcc")
ts = np.linspace(0, T_END, 9)
ref = sn.solve(prob, sn.DP5(), rtol=1e-9, atol=1e-11, saveat=ts)
if cc is None:
    print("no C compiler found: showing the generated source only")
    print(str(program)[:2000])
    rows = None
else:
    with tempfile.TemporaryDirectory() as build:
        program.write(build)
        exe = os.path.join(build, "fisher")
        subprocess.run([cc, "-O2", "-std=c99", "-o", exe, os.path.join(build, "fisher_main.c"),
                        os.path.join(build, "fisher.c"), "-lm"], check=True)
        out = subprocess.run([exe, "--rtol", "1e-9", "--atol", "1e-11", "--nout", "8"],
                             check=True, capture_output=True, text=True).stdout
    table = np.array([[float(v) for v in row] for row in list(csv.reader(io.StringIO(out)))[1:]])
    rows = table[:, 1:]
    # side nodes are not in the state: unpack fills them from the Neumann conditions
    full = np.array([prob.layout.unpack(tk, yk)["u"][0] for tk, yk in zip(table[:, 0], rows)])
    err = np.abs(full - ref["u"]).max()
    print(f"C program vs sn.solve, max difference over {len(ts)} times: {err:.1e}")

# %%
# Front position (where u = 1/2) and its speed against 2 sqrt(rD) = 2.
xs = ref.grid[x]
front = [np.interp(0.5, sol_k[::-1], xs[::-1]) for sol_k in ref["u"]]
speed = np.polyfit(ts[len(ts) // 2:], front[len(ts) // 2:], 1)[0]
print(f"front speed over the second half: {speed:.3f} (theory 2 for a sharp front, reached slowly)")

import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for k, tk in enumerate(ts):
    ax.plot(xs, ref["u"][k], color=plt.cm.viridis(k / (len(ts) - 1)), label=f"t={tk:g}")
    if rows is not None:
        ax.plot(xs[::20], full[k][::20], "k.", ms=3)
ax.set(xlabel="x", ylabel="u", title="Fisher–KPP: sn.solve (lines), exported C program (dots)")
ax.legend(fontsize=7, ncol=3)
out_dir = os.environ.get("SYMNUM_GALLERY_OUT")
if out_dir:
    fig.savefig(os.path.join(out_dir, "fisher_c_program.png"), dpi=100)

assert ref.result.ok
if rows is not None:
    assert err < 1e-6, err
assert 1.6 < speed < 2.05, speed
