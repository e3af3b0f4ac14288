"""Equation discovery: measurements in, SymPy equations out.

``sn.discover(meas, method=...)`` is the one-call entry point; each method is
also a scikit-learn style estimator (``fit`` returns ``self``, results in
attributes ending in ``_``, ``score``):

========== ======================= =============================================
method     estimator               what it does
========== ======================= =============================================
``sindy``  :class:`SINDy`          sparse regression on estimated derivatives
                                   (SINDy for ODEs, PDE-FIND for PDEs)
``weak``   :class:`WeakSINDy`      the same on the weak (integral) form: robust
                                   to noise, no derivatives of the data
``sr``     :class:`SymbolicRegression` symbolic regression of the time
                                   derivative (Operon, or PySR with Julia)
``pinn``   :class:`HiddenPINN`     a PINN learns a missing term of a known
                                   model; symbolic regression names it
``prose``  :class:`PROSE`          a pretrained transformer writes the equations
                                   of a short trajectory; refitted on the data
========== ======================= =============================================

The package itself is callable: ``sn.discover(meas, method="weak")`` is
:func:`symnum.discover.api.discover`, and ``sn.discover.WeakSINDy`` is the
estimator. Names load on first use, so ``import symnum`` pulls in neither
pysindy nor pyoperon nor torch.
"""

from __future__ import annotations

import importlib
import sys

from .._callable import CallableModule

_NAMES = {
    "Measurements": "measurements",
    "differentiate": "derivatives",
    "estimate_noise": "derivatives",
    "candidate_terms": "library",
    "evaluate_terms": "library",
    "sparse_fit": "select",
    "SINDy": "sindy",
    "WeakSINDy": "weak",
    "SymbolicRegression": "sr",
    "symbolic_regression": "sr",
    "HiddenPINN": "pinn",
    "PROSE": "prose",
    "discover": "api",
    "estimator": "api",
    "METHODS": "api",
    "roundtrip_error": "roundtrip",
    "to_system": "roundtrip",
    "solve_like": "roundtrip",
    "choose_method": "derivatives",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))


__call_target__ = "api:discover"
sys.modules[__name__].__class__ = CallableModule
