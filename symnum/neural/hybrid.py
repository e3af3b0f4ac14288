"""Hybrid models (universal differential equations): an ODESystem with chosen terms replaced by networks.

``HybridODE(system, {term: network})`` is a vector field ``f(t, y)`` (a
``torch.nn.Module``, so it plugs into :class:`~symnum.neural.NeuralODE`):
the known part of every right-hand side is printed to torch code by
:class:`~symnum.codegen.printers.TorchPrinter` (parameters substituted by
their values), and each replaced term is the output of a network applied to
the whole state ``y`` (last axis = the system's fields, in ``system.fields``
order). A term matches a summand of a right-hand side exactly (after
expansion), or anything ``rhs.subs(term, ...)`` finds. A value
``(network, i)`` takes output ``i`` of the network (a network shared by
several terms is evaluated once per call); a bare ``network`` must return
one value per state row (shape ``(..., 1)`` or ``(...)``).

Examples
--------
>>> import sympy as sp, torch, symnum as sn
>>> t = sp.Symbol("t"); x = sp.Function("x"); k = sp.Symbol("k")
>>> sys = sn.ODESystem([sp.Eq(x(t).diff(t), -k * x(t) + x(t) ** 2)], initial={x(0): 1},
...                    parameters={k: 2.0})
>>> net = torch.nn.Linear(1, 1).double()
>>> f = HybridODE(sys, {x(t) ** 2: net})
>>> print(f.source.splitlines()[-1].strip())
return torch.stack([nn_0 - 2.0*x], dim=-1)
>>> tuple(f(0.0, torch.ones(3, 1, dtype=torch.float64)).shape)
(3, 1)
"""

from __future__ import annotations

import sympy as sp
import torch

from ..codegen.printers import TorchPrinter
from .errors import NeuralError, NeuralTypeError

__all__ = ["HybridODE"]


class HybridODE(torch.nn.Module):
    """Vector field of ``system`` with the terms in ``networks`` replaced by network outputs.

    Parameters
    ----------
    system : ODESystem
    networks : dict
        ``{term: module}`` or ``{term: (module, output_index)}``; ``term`` a
        SymPy expression in the system's ``x(t)`` notation.

    Attributes
    ----------
    source : str
        The generated torch code of ``known(t, y, nn)``.
    fields : list of str
    """

    def __init__(self, system, networks: dict):
        super().__init__()
        if not hasattr(system, "rhs") or not hasattr(system, "fields"):
            raise NeuralTypeError(f"system={system!r} is not an ODESystem; pass "
                                  "sn.ODESystem(...)")
        if not isinstance(networks, dict) or not networks:
            raise NeuralError("networks must be a non-empty dict {term: module}; e.g. "
                              "{beta * x(t) * y(t): torch.nn.Sequential(...)}")
        self.fields = list(system.fields)
        tsym = system.t
        state_syms = {f: sp.Symbol(f) for f in self.fields}
        apps = {sp.Function(f)(tsym): state_syms[f] for f in self.fields}
        modules, slots = [], []
        for k, (term, net) in enumerate(networks.items()):
            module, index = net if isinstance(net, tuple) else (net, None)
            if not isinstance(module, torch.nn.Module):
                raise NeuralTypeError(f"the network for term {term} is {module!r} "
                                      f"({type(module).__name__}), not a torch.nn.Module")
            if not any(module is m for m in modules):
                modules.append(module)
            slots.append((next(i for i, m in enumerate(modules) if m is module), index))
        self.nets = torch.nn.ModuleList(modules)
        self._slots = slots
        placeholders = [sp.Symbol(f"nn_{k}") for k in range(len(slots))]
        exprs, used = [], set()
        for f in self.fields:
            rhs = sp.expand(system.rhs[f])
            for k, term in enumerate(networks):
                term_e = sp.expand(sp.sympify(term))
                summands = sp.Add.make_args(rhs)
                if term_e in summands:
                    rhs = sp.Add(*[placeholders[k] if s == term_e else s for s in summands])
                    used.add(k)
                else:
                    new = rhs.subs(term_e, placeholders[k])
                    if new != rhs:
                        rhs = new
                        used.add(k)
            exprs.append(rhs.subs(apps).subs(system.parameters))
        missing = [str(term) for k, term in enumerate(networks) if k not in used]
        if missing:
            raise NeuralError(f"term(s) {', '.join(missing)} do not occur in the right-hand "
                              f"sides {dict(system.rhs)}; pass terms exactly as they appear")
        printer = TorchPrinter()
        lines = ["def known(t, y, nn):"]
        lines += [f"    {s} = y[..., {i}]" for i, s in enumerate(state_syms.values())]
        lines += [f"    nn_{k} = nn[{k}]" for k in range(len(slots))]
        zero = "torch.zeros_like(y[..., 0])"
        body = []
        for e in exprs:
            code = printer.doprint(e)
            if not (e.free_symbols & (set(state_syms.values()) | set(placeholders))):
                code = f"({code}) + {zero}"  # a constant right-hand side still needs the batch shape
            body.append(code)
        lines.append(f"    return torch.stack([{', '.join(body)}], dim=-1)")
        self.source = "\n".join(lines)
        namespace = {"torch": torch, "math": __import__("math")}
        exec(compile(self.source, "<symnum.neural.HybridODE>", "exec"), namespace)
        self._known = namespace["known"]

    def terms(self, y: torch.Tensor) -> list:
        """The network outputs, one tensor of shape ``y.shape[:-1]`` per replaced term."""
        outs = [net(y) for net in self.nets]
        vals = []
        for m, index in self._slots:
            o = outs[m]
            vals.append(o[..., index] if index is not None else o.reshape(y.shape[:-1]))
        return vals

    def forward(self, t, y):
        return self._known(t, y, self.terms(y))
