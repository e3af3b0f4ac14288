"""The ``y0=`` and ``p=`` keywords of :func:`symnum.solve`: one state or parameter set, or a batch.

Shapes are checked here, once, for every backend. Values stay what they were
given (NumPy, lists, torch tensors with their autograd graph); the backend
converts them.

Examples
--------
>>> import sympy as sp, symnum as sn
>>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
>>> prob = sn.discretize(sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
...                                   parameters={k: 0.5}, tspan=(0, 1)))
>>> param_columns(prob, {"k": [1.0, 2.0, 3.0]})[1]
3
>>> initial_state(prob, None)[1] is None
True
"""

from __future__ import annotations

import numpy as np

from ..errors import SolverError

__all__ = ["param_columns", "initial_state", "batch_size", "STEPS"]

#: values of ``sn.solve(..., steps=)`` for ensembles
STEPS = ("shared", "independent")


def _shape(v) -> tuple:
    shape = getattr(v, "shape", None)
    return tuple(shape) if shape is not None else np.shape(v)


def param_columns(problem, p):
    """Parameter values in ``problem.param_symbols`` order, and the batch size (or None).

    ``p`` is None (the problem's values), a dict ``{Symbol or name: value or
    length-B sequence}`` (missing entries keep the problem's values) or an
    array of shape ``(np,)`` or ``(B, np)``. Returns ``(columns, B)``: each
    column a scalar or a length-``B`` sequence, as given.
    """
    names = [str(s) for s in problem.param_symbols]
    m = len(names)
    if p is None:
        return [float(v) for v in problem.params], None
    if isinstance(p, dict):
        cols = [float(v) for v in problem.params]
        for key, val in p.items():
            if str(key) not in names:
                raise SolverError(f"p has an entry for {key!r}, which is not a parameter of this "
                                  f"problem; its parameters are {names}. Pass p={{name: value}} "
                                  "with those names (or their SymPy symbols).")
            cols[names.index(str(key))] = val
    else:
        shape = _shape(p)
        if shape == (m,):
            cols = [p[k] for k in range(m)]
        elif len(shape) == 2 and shape[1] == m:
            cols = [p[:, k] for k in range(m)]
        else:
            raise SolverError(f"p has shape {shape} ({type(p).__name__}); this problem has {m} "
                              f"parameters {names}: pass shape ({m},), (B, {m}) for a batch, or "
                              "a dict {name: value}.")
    batch = None
    for name, v in zip(names, cols):
        shape = _shape(v)
        if len(shape) == 0:
            continue
        if len(shape) != 1:
            raise SolverError(f"the value of parameter {name} has shape {shape}; pass a number or "
                              "a 1-D sequence of length B (one value per trajectory).")
        batch = batch_size(batch, shape[0], f"parameter {name}")
    return cols, batch


def initial_state(problem, y0):
    """``(y0, B)``: the problem's state when ``y0`` is None; else ``y0`` checked to be ``(n,)`` or ``(B, n)``."""
    if y0 is None:
        return problem.y0, None
    n = problem.n
    shape = _shape(y0)
    if shape == (n,):
        return y0, None
    if len(shape) == 2 and shape[1] == n:
        return y0, batch_size(None, shape[0], "y0")
    raise SolverError(f"y0 has shape {shape} ({type(y0).__name__}) but the problem has n={n} "
                      f"unknowns; pass a flat state of shape ({n},), or (B, {n}) for a batch "
                      "(the order of problem.y0).")


def batch_size(batch, size, what) -> int:
    """Check that ``what`` has the batch size already seen (``batch``; None: none yet)."""
    if size < 1:
        raise SolverError(f"{what} has an empty batch; pass at least one trajectory.")
    if batch is not None and size != batch:
        raise SolverError(f"{what} has a batch of {size} but another input has {batch}; give "
                          "every batched input (y0 rows, parameter sequences) the same length.")
    return int(size)
