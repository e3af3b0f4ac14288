"""Export to a standalone PyTorch module (imports only ``torch`` and ``math``).

A model becomes ``NAME.py`` with ``class CamelName(torch.nn.Module)``:
``forward(t, y)`` returns ``dy/dt`` for states of shape ``(..., N)`` in float32
or float64 on any device; the parameters are the ``torch.nn.Parameter`` ``p``
(trainable on request, for fitting). The plain function ``rhs(t, y, p)`` and
the constants ``N``, ``Y0``, ``P0``, ``PARAMS``, ``FIELDS``, ``TSPAN`` are there too.
An expression becomes ``NAME.py`` with ``def NAME(*args)`` on tensors.

Examples
--------
>>> camel("heat_dirichlet")
'HeatDirichlet'
"""

from __future__ import annotations

from ..mol_source import generate_source
from .numpy_export import check_script, constants, expression_module, model_doc

__all__ = ["export_expression", "export_problem", "camel"]


def camel(name: str) -> str:
    """``heat_1d`` -> ``Heat1d``: the class name of an exported model."""
    return "".join(w[:1].upper() + w[1:] for w in name.split("_") if w) or "Model"


def export_expression(exprs, name, args):
    """``NAME.py`` with ``def NAME(*args)`` evaluating ``exprs`` on tensors."""
    return {f"{name}.py": expression_module(exprs, name, args, "torch")}


def export_problem(problem, name, *, script=False):
    """``NAME.py`` with a ``torch.nn.Module`` whose ``forward(t, y)`` is ``dy/dt``."""
    check_script(script, "torch")
    cls = camel(name)
    doc = model_doc(problem, name, "torch", usage=[
        f"from {name} import {cls}, Y0",
        f"f = {cls}()                           # {cls}(p=[...], trainable=True) to fit p",
        "y = torch.tensor(Y0, dtype=torch.float64)",
        "dy = f(0.0, y)                        # y of shape (..., N), float32 or float64",
    ])
    text = generate_source(problem, "torch", doc=doc, preamble=constants(problem, "torch"),
                           default_p="P0")
    text += _CLASS.format(cls=cls, name=name)
    return {f"{name}.py": text}


_CLASS = '''

class {cls}(torch.nn.Module):
    """Right-hand side of {name}: ``forward(t, y)`` returns dy/dt with the shape of y.

    Parameters
    ----------
    p : sequence of float or tensor, optional
        Parameter values in the order of PARAMS (default: P0).
    trainable : bool
        Whether ``self.p`` (a torch.nn.Parameter) takes gradients.
    """

    def __init__(self, p=None, trainable=False):
        super().__init__()
        p = torch.as_tensor(P0 if p is None else p, dtype=torch.float64).detach().clone()
        if p.shape != (len(PARAMS),):
            raise ValueError(f"p has shape {{tuple(p.shape)}}; give {{len(PARAMS)}} values in "
                             f"the order {{PARAMS}}.")
        self.p = torch.nn.Parameter(p, requires_grad=trainable)

    def forward(self, t, y):
        """dy/dt at time t for states y of shape (..., N)."""
        return rhs(t, y, self.p.to(y))

    def y0(self, dtype=torch.float64, device=None):
        """The initial state as a tensor."""
        return torch.tensor(Y0, dtype=dtype, device=device)
'''
