"""Compile an ODEProblem's generated source into :class:`ODEFunctions`."""

from __future__ import annotations

import numpy as np

from ..solvers.functions import ODEFunctions
from .cache import load_source
from .mol_source import generate_source

__all__ = ["compile_problem"]


def compile_problem(problem, target: str = "numba") -> ODEFunctions:
    """Generate, write and import the RHS/Jacobian modules of ``problem``.

    ``target="numba"`` compiles fused loops (default); ``"numpy"`` uses the
    vectorized module for everything. The NumPy module is always built too: it
    reconstructs full fields for solutions.
    """
    from ..errors import CodegenError

    if target not in ("numba", "numpy"):
        raise CodegenError(f"unknown code target {target!r}; valid: 'numba', 'numpy'.")
    np_mod, np_path = load_source(generate_source(problem, "numpy"), "numpy")
    files = {"numpy": np_path}
    mod = np_mod
    if target == "numba":
        mod, nb_path = load_source(generate_source(problem, "numba"), "numba")
        files["numba"] = nb_path
    p = problem.params
    n = problem.n
    _, _, _, ncoo = problem._jac_plan
    kernel = mod.rhs
    jv = np_mod.jac_values  # vectorized: no compile cost, and Jacobians are evaluated rarely

    def rhs(t, y):
        out = np.empty(n)
        kernel(float(t), np.ascontiguousarray(y, dtype=float), p, out)
        return out

    def rhs_into(t, y, out):
        kernel(float(t), y, p, out)

    def jac(t, y):
        vals = np.empty(ncoo)
        jv(float(t), np.ascontiguousarray(y, dtype=float), p, vals)
        return problem.jacobian_from_values(vals)

    periodic_shape = None
    if problem.axes and all(a.periodic for a in problem.axes):
        periodic_shape = tuple(a.n for a in problem.axes)
    fns = ODEFunctions(
        n=n, rhs=rhs, rhs_into=rhs_into, jac=jac, jac_sparsity=problem.jac_sparsity,
        linear_part=problem.linear_part, periodic_shape=periodic_shape,
        nfields=len(problem.plans), numba_rhs=mod.rhs if target == "numba" else None,
        params=p, source_files=files,
    )
    if target == "numba" and not problem.axes and hasattr(fns, "numba_jac"):
        fns.numba_jac = mod.jac_dense
    fns.numpy_module = np_mod
    fns.module = mod
    return fns
