"""Read CVODE's own counters (and set two tuning knobs) behind scikit-sundae.

scikit-sundae 1.2 exposes only ``nfev`` and ``njev``. The statistics a user
needs to judge a stiff solve -- steps, error-test failures, Newton and Krylov
iterations, preconditioner calls -- live in SUNDIALS' ``CVodeGet*`` functions,
and the Krylov tolerance factor (``CVodeSetEpsLin``) has no keyword. This module
finds the ``CVodeMem`` pointer inside the scikit-sundae object and calls the
bundled ``libsundials_cvode`` through :mod:`ctypes`.

Finding the pointer reads the extension object's C struct, so it is guarded
three ways before any SUNDIALS call: the ``_options`` dict and ``AuxData``
object that the garbage collector reports must sit at their declared offsets,
the stored system size must equal ``n``, and the first field of the CVODE memory
(its ``SUNContext``) must equal the context pointer stored beside it. If any
check fails (another scikit-sundae layout), :func:`attach` returns None and
the caller falls back to the counters it keeps itself; nothing is guessed.

Examples
--------
>>> import numpy as np
>>> from sksundae.cvode import CVODE
>>> def rhs(t, y, yp): yp[:] = -y
>>> solver = CVODE(rhs)
>>> _ = solver.init_step(0.0, np.ones(2))
>>> mem = attach(solver, 2)
>>> mem is None or mem.stats()["steps"] == 0
True
"""

from __future__ import annotations

import ctypes
import gc
import glob
import os

__all__ = ["attach", "CVodeHandle"]

_LIB = None
_LONG_GETTERS = {
    "steps": "CVodeGetNumSteps",
    "nfev_cvode": "CVodeGetNumRhsEvals",
    "error_test_failures": "CVodeGetNumErrTestFails",
    "nonlinear_iterations": "CVodeGetNumNonlinSolvIters",
    "nonlinear_conv_failures": "CVodeGetNumNonlinSolvConvFails",
    "linear_setups": "CVodeGetNumLinSolvSetups",
    "linear_iterations": "CVodeGetNumLinIters",
    "linear_conv_failures": "CVodeGetNumLinConvFails",
    "nfev_linear": "CVodeGetNumLinRhsEvals",
    "jtimes": "CVodeGetNumJtimesEvals",
    "prec_setups": "CVodeGetNumPrecEvals",
    "prec_solves": "CVodeGetNumPrecSolves",
}


def _library():
    global _LIB
    if _LIB is None:
        import sksundae

        root = os.path.join(os.path.dirname(sksundae.__file__), os.pardir, "scikit_sundae.libs")
        found = sorted(glob.glob(os.path.join(root, "libsundials_cvode*.so*")))
        if not found:
            _LIB = False
        else:
            lib = ctypes.CDLL(found[0])  # already loaded by sksundae: same handle
            for name in _LONG_GETTERS.values():
                fn = getattr(lib, name)
                fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_long)]
                fn.restype = ctypes.c_int
            lib.CVodeGetLastOrder.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
            lib.CVodeGetLastStep.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
            lib.CVodeSetEpsLin.argtypes = [ctypes.c_void_p, ctypes.c_double]
            lib.CVodeSetMaxNumSteps.argtypes = [ctypes.c_void_p, ctypes.c_long]
            for fn in (lib.CVodeGetLastOrder, lib.CVodeGetLastStep, lib.CVodeSetEpsLin,
                       lib.CVodeSetMaxNumSteps):
                fn.restype = ctypes.c_int
            _LIB = lib
    return _LIB or None


class CVodeHandle:
    """The live ``CVodeMem`` of one scikit-sundae solver (after ``init_step``)."""

    def __init__(self, lib, mem: int, owner):
        self._lib, self._mem, self._owner = lib, ctypes.c_void_p(mem), owner

    def stats(self) -> dict:
        """Every CVODE counter in :data:`_LONG_GETTERS` plus ``order`` and ``last_step``."""
        out = {}
        val = ctypes.c_long()
        for key, name in _LONG_GETTERS.items():
            if getattr(self._lib, name)(self._mem, ctypes.byref(val)) == 0:
                out[key] = int(val.value)
        order, h = ctypes.c_int(), ctypes.c_double()
        if self._lib.CVodeGetLastOrder(self._mem, ctypes.byref(order)) == 0:
            out["order"] = int(order.value)
        if self._lib.CVodeGetLastStep(self._mem, ctypes.byref(h)) == 0:
            out["last_step"] = float(h.value)
        return out

    def set_eps_lin(self, value: float) -> bool:
        """Krylov tolerance factor: linear residual <= value * Newton tolerance (default 0.05)."""
        return self._lib.CVodeSetEpsLin(self._mem, float(value)) == 0

    def set_max_num_steps(self, value: int) -> bool:
        """Steps allowed per call of ``CVode`` (per output time)."""
        return self._lib.CVodeSetMaxNumSteps(self._mem, int(value)) == 0


def attach(solver, n: int) -> CVodeHandle | None:
    """Return a :class:`CVodeHandle` for an initialized ``sksundae.cvode.CVODE``, or None."""
    try:
        lib = _library()
        inner = getattr(solver, "_CVODE__CVODE", solver)
        if lib is None or type(inner).__name__ != "CVODE":
            return None
        refs = gc.get_referents(inner)
        options = [o for o in refs if isinstance(o, dict) and "rhsfn" in o]
        aux = [o for o in refs if type(o).__name__ == "AuxData"]
        if len(options) != 1 or len(aux) != 1:
            return None
        nwords = type(inner).__basicsize__ // ctypes.sizeof(ctypes.c_void_p)
        words = [w or 0 for w in (ctypes.c_void_p * nwords).from_address(id(inner))]
        # declared order: mem, ctx, atol, constraints, yy, A, LS, NEQ, aux, _size,
        # _malloc, _options, _initialized
        k = words.index(id(options[0]))
        if k < 11 or words[k - 3] != id(aux[0]) or (words[k - 4] & 0xFFFFFFFF) != n:
            return None
        mem, ctx = words[k - 11], words[k - 10]
        if not mem or not ctx or ctypes.c_void_p.from_address(mem).value != ctx:
            return None
        return CVodeHandle(lib, mem, inner)
    except (ValueError, OSError, AttributeError, TypeError):  # pragma: no cover
        return None
