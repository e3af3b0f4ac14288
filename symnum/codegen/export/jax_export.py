"""Export to a standalone JAX module (imports only ``jax.numpy`` and ``math``).

A model becomes ``NAME.py`` with the pure function ``rhs(t, y, p=P0)``
returning ``dy/dt`` for states of shape ``(..., N)``; it updates arrays
functionally (``.at[...].set``), so ``jax.jit``, ``jax.grad`` and ``jax.vmap``
apply. The constants ``N``, ``Y0``, ``P0``, ``PARAMS``, ``FIELDS``, ``TSPAN`` are
plain tuples. An expression becomes ``NAME.py`` with ``def NAME(*args)``.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> "jnp.tanh(x)" in export_expression([sp.tanh(x)], "f", [x])["f.py"]
True
"""

from __future__ import annotations

from ..mol_source import generate_source
from .numpy_export import check_script, constants, expression_module, model_doc

__all__ = ["export_expression", "export_problem"]


def export_expression(exprs, name, args):
    """``NAME.py`` with ``def NAME(*args)`` evaluating ``exprs`` with ``jax.numpy``."""
    return {f"{name}.py": expression_module(exprs, name, args, "jax")}


def export_problem(problem, name, *, script=False):
    """``NAME.py`` with a jit-able ``rhs(t, y, p=P0)``."""
    check_script(script, "jax")
    doc = model_doc(problem, name, "jax", usage=[
        "import jax",
        'jax.config.update("jax_enable_x64", True)   # for float64',
        f"import {name}",
        f"f = jax.jit({name}.rhs)",
        f"dy = f(0.0, jax.numpy.asarray({name}.Y0), jax.numpy.asarray({name}.P0))",
    ])
    text = generate_source(problem, "jax", doc=doc, preamble=constants(problem, "jax"),
                           default_p="P0")
    return {f"{name}.py": text}
