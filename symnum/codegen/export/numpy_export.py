"""Export to a standalone NumPy module (imports only ``numpy`` and ``math``).

A model becomes ``NAME.py`` with ``rhs(t, y, p=P0)`` returning ``dy/dt`` for
states of shape ``(..., N)``, and the constants ``N``, ``Y0``, ``P0``,
``PARAMS``, ``FIELDS`` and ``TSPAN``. An expression becomes ``NAME.py`` with
the function ``NAME(*args)``. The helpers here are shared by the torch and JAX
exports, which generate the same code with another array module.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> print(export_expression([sp.exp(-x**2)], "bump", [x])["bump.py"].split("\\n\\n\\n")[1])
def bump(x):
    \"\"\"exp(-x**2)\"\"\"
    return numpy.exp(-x**2)
<BLANKLINE>
"""

from __future__ import annotations

import keyword
import re

import sympy as sp

from ...errors import CodegenError
from ..mol_source import generate_source
from ..printers import JaxPrinter, TorchPrinter, VectorPrinter

__all__ = ["export_expression", "export_problem"]

# flavour -> (import lines, printer class, target name of generate_source)
FLAVORS = {
    "numpy": ("import numpy", VectorPrinter, "numpy-batched"),
    "torch": ("import torch", TorchPrinter, "torch"),
    "jax": ("import jax.numpy as jnp", JaxPrinter, "jax"),
}
_LABEL = {"numpy": "NumPy", "torch": "PyTorch", "jax": "JAX"}


def export_expression(exprs, name, args):
    """``NAME.py`` with ``def NAME(*args)`` evaluating ``exprs`` element-wise on arrays."""
    return {f"{name}.py": expression_module(exprs, name, args, "numpy")}


def export_problem(problem, name, *, script=False):
    """``NAME.py`` with ``rhs(t, y, p=P0)``, ``Y0``, ``P0``, ``TSPAN`` for ``problem``."""
    doc = model_doc(problem, name, "numpy", usage=[
        f"import {name}",
        f"dy = {name}.rhs(0.0, {name}.Y0)      # dy/dt at the initial state",
        f"dy = {name}.rhs(0.0, Y, p)           # Y of shape (..., {name}.N), other parameters",
    ])
    pre = constants(problem, "numpy")
    text = generate_source(problem, "numpy-batched", doc=doc, preamble=pre, default_p="P0")
    if script:
        text += _SCRIPT
    return {f"{name}.py": text}


_SCRIPT = '''

if __name__ == "__main__":
    # integrating needs SciPy; importing this module needs only NumPy
    from scipy.integrate import solve_ivp

    sol = solve_ivp(rhs, TSPAN, Y0, method="LSODA", rtol=1e-8, atol=1e-10)
    print(f"{sol.message} t = {sol.t[-1]!r}")
    for value in sol.y[:, -1]:
        print(repr(float(value)))
'''


# -- shared by the numpy, torch and jax exports ----------------------------------------
def model_doc(problem, name, flavor, usage, extra=""):
    """Module docstring: the model, the state layout, how to call it."""
    fields = ", ".join(f"{f.name} {tuple(f.shape) if problem.axes else ''}".rstrip()
                       for f in problem.plans)
    grid = "; ".join(f"{a.symbol} in [{a.lo!r}, {a.hi!r}], {a.n} nodes"
                     f"{', periodic' if a.periodic else ''}" for a in problem.axes)
    lines = [f"{name}: {problem.system!r}.",
             "",
             f"Exported by symnum as a standalone {_LABEL[flavor]} module.",
             f"State: N = {problem.n} values: the unknowns of each field in turn ({fields}), "
             "each in C order.",
             ]
    if grid:
        lines.append(f"Grid: {grid} (nodes fixed by boundary conditions are not in the state).")
    lines.append(f"Parameters p in the order of PARAMS = {tuple(str(s) for s in problem.param_symbols)!r}.")
    if extra:
        lines += ["", extra]
    lines += ["", "Usage::", ""] + [f"    {u}" for u in usage]
    return "\n".join(wrap(line) for line in lines) + "\n"


def wrap(line, width=92):
    """Break a long docstring line at spaces."""
    if line.startswith("    "):
        return line
    out, cur = [], ""
    for word in line.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    out.append(cur)
    return "\n".join(out)


def float_tuple(values, per_line=4):
    """A tuple literal of exact float reprs, a few per line."""
    vals = [repr(float(v)) for v in values]
    if len(vals) <= per_line:
        return "(" + ", ".join(vals) + ("," if len(vals) == 1 else "") + ")"
    rows = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return "(\n" + "".join(f"    {r},\n" for r in rows) + ")"


def constants(problem, flavor):
    """Module constants: sizes, names, initial state, default parameters, time span."""
    names = tuple(str(s) for s in problem.param_symbols)
    y0, p0 = float_tuple(problem.y0), float_tuple(problem.params)
    if flavor == "numpy":
        y0, p0 = f"numpy.array({y0})", f"numpy.array({p0})"
    return "\n".join([
        f"N = {problem.n}",
        f"FIELDS = {tuple(problem.names)!r}",
        f"PARAMS = {names!r}",
        f"P0 = {p0}",
        f"TSPAN = {tuple(float(v) for v in problem.tspan)!r}",
        f"Y0 = {y0}",
    ]) + "\n"


def identifiers(symbols, taken=()):
    """Symbol -> a Python identifier derived from its name, unique and no keyword."""
    out, used = {}, set(taken)
    for s in symbols:
        base = re.sub(r"\W", "_", s.name)
        if not base or base[0].isdigit() or keyword.iskeyword(base):
            base = f"a_{base}"
        ident, k = base, 1
        while ident in used:
            ident, k = f"{base}_{k}", k + 1
        used.add(ident)
        out[s] = ident
    return out


def expression_module(exprs, name, args, flavor):
    """A module defining ``NAME(*args)``: one value, or a tuple for several expressions."""
    imports, printer_cls, _ = FLAVORS[flavor]
    ids = identifiers(args, taken={name, "math", "numpy", "torch", "jnp"})
    safe = {s: sp.Symbol(ids[s]) for s in args}
    exprs = [sp.sympify(e).xreplace(safe) for e in exprs]
    temps = sp.numbered_symbols("_c", exclude=set(safe.values()))
    reps, body = sp.cse(exprs, symbols=temps, optimizations=None)
    pr = printer_cls() if flavor == "numpy" else printer_cls(scalars=())
    lines = []
    for s, v in reps:
        lines.append(f"    {s} = {pr.doprint(v)}")
        if flavor != "numpy":
            (pr.scalars.add if pr.is_scalar(v) else pr.scalars.discard)(s)
    out = [pr.doprint(b) for b in body]
    shown = "; ".join(sp.sstr(e) for e in exprs)
    shown = shown if len(shown) <= 300 else shown[:297] + "..."
    sig = ", ".join(ids[s] for s in args)
    kind = {"numpy": "floats or NumPy arrays", "torch": "tensors",
            "jax": "JAX arrays or floats"}[flavor]
    ret = out[0] if len(out) == 1 else "(" + ", ".join(out) + ")"
    what = "one value" if len(out) == 1 else f"a tuple of {len(out)} values"
    return "\n".join([
        f'"""{name}({sig}): exported by symnum as a standalone {_LABEL[flavor]} function.',
        "",
        wrap(f"Arguments are {kind} (they broadcast); returns {what}, element-wise."),
        '"""',
        "import math",
        imports,
        "",
        "",
        f"def {name}({sig}):",
        f'    """{shown}"""',
        *lines,
        f"    return {ret}",
        "",
    ])


def check_script(script, flavor):
    if script:
        raise CodegenError(f"the {flavor} export has no script form; use script=True with "
                           "'numpy', 'julia' or 'c-program', or drop script=True.")
