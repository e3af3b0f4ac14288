"""Backend names, parsed as ``name[:args]`` (py-pde style): ``"numpy"``, ``"torch:cuda"``.

The spec names where the right-hand side runs; the number type is the
``dtype=`` keyword of :func:`symnum.solve` (``"float64"``, the default, or
``"float32"``, torch only):

=====================  ==========================================================
``"numpy"``            generated numba kernels (the embedded default)
``"numpy:vectorized"`` generated pure-NumPy slices
``"auto"``             the best available backend (currently ``"numpy"``)
``"torch"``            generated torch code on the CPU (same as ``"torch:cpu"``)
``"torch:cuda"``       generated torch code on the current CUDA device
``"torch:cuda:N"``     ... on CUDA device ``N``
``"julia"``            juliacall (not available in this version)
=====================  ==========================================================

Examples
--------
>>> parse_backend("numpy")
('numpy', '')
>>> parse_backend("torch:cuda")
('torch', 'cuda')
>>> resolve_backend("torch:cuda:1", dtype="float32")
BackendSpec(name='torch', target='torch', device='cuda:1', dtype='float32')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BackendUnavailable, SolverError

__all__ = ["BACKENDS", "SPECS", "DTYPES", "BackendSpec", "parse_backend", "resolve_backend",
           "code_target"]

# name -> one-line description; the single source of valid names for messages
BACKENDS = {
    "numpy": "embedded default: generated numba kernels (\"numpy:vectorized\" for pure NumPy)",
    "auto": "the best available backend (currently numpy)",
    "torch": "PyTorch tensors on CPU or CUDA (\"torch:cuda\")",
    "julia": "Julia's ModelingToolkit/DifferentialEquations through juliacall",
}
# every accepted spec, by backend name: the source of the lists in error messages
SPECS = {
    "numpy": ("numpy", "numpy:vectorized"),
    "auto": ("auto",),
    "torch": ("torch", "torch:cpu", "torch:cuda", "torch:cuda:<N>"),
    "julia": ("julia",),
}
#: number types of ``sn.solve(..., dtype=)``; the first is the default
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend: ``name``, code ``target`` (``numba``/``numpy``/``torch``), ``device``, ``dtype``."""

    name: str
    target: str
    device: str = "cpu"
    dtype: str = "float64"


def parse_backend(spec) -> tuple[str, str]:
    """Split ``"name:args"`` and check the name against :data:`BACKENDS`."""
    if not isinstance(spec, str):
        raise SolverError(f"backend must be a string such as 'numpy'; got {spec!r} "
                          f"({type(spec).__name__}). Valid: {sorted(BACKENDS)}.")
    name, _, args = spec.partition(":")
    if name not in BACKENDS:
        raise SolverError(f"unknown backend {spec!r}; valid backends: {sorted(BACKENDS)}. "
                          f"Specs: {_all_specs()}.")
    return name, args


def _all_specs() -> str:
    return ", ".join(repr(s) for forms in SPECS.values() for s in forms)


def _dtype_name(dtype) -> str:
    """``"float64"``/``"float32"`` from a string, NumPy or torch dtype (None: float64)."""
    if dtype is None:
        return DTYPES[0]
    name = str(getattr(dtype, "name", dtype)).removeprefix("torch.")
    aliases = {"double": "float64", "float": "float32", "f8": "float64", "f4": "float32"}
    name = aliases.get(name, name)
    if name not in DTYPES:
        raise SolverError(f"dtype={dtype!r} ({type(dtype).__name__}) is not supported; valid: "
                          f"{', '.join(map(repr, DTYPES))} (float32 only with backend='torch').")
    return name


def resolve_backend(spec, dtype=None) -> BackendSpec:
    """Parse ``spec`` and ``dtype`` into a :class:`BackendSpec` (torch is not imported here).

    Raises :class:`~symnum.errors.SolverError` for a malformed spec or dtype,
    listing the valid ones, and :class:`~symnum.errors.BackendUnavailable` for
    a known backend this version cannot run (``"julia"``).

    Examples
    --------
    >>> resolve_backend("numpy")
    BackendSpec(name='numpy', target='numba', device='cpu', dtype='float64')
    >>> resolve_backend("torch").device
    'cpu'
    """
    name, args = parse_backend(spec)
    dt = _dtype_name(dtype)
    if name == "torch":
        if args in ("", "cpu"):
            device = "cpu"
        elif re.fullmatch(r"cuda(:\d+)?", args):
            device = args
        else:
            raise SolverError(f"unknown device {args!r} in backend {spec!r}; valid torch specs: "
                              f"{', '.join(map(repr, SPECS['torch']))}. Pass the number type "
                              "as dtype='float32', not in the spec.")
        return BackendSpec("torch", "torch", device, dt)
    target = code_target(spec)
    if dt != "float64":
        raise SolverError(f"backend={spec!r} computes in float64; got dtype={dtype!r}. Pass "
                          "backend='torch' (or 'torch:cuda') for float32.")
    return BackendSpec(name, target, "cpu", dt)


def code_target(spec) -> str:
    """The code target (``"numba"``, ``"numpy"`` or ``"torch"``) of a backend spec."""
    name, args = parse_backend(spec)
    if name in ("numpy", "auto"):
        if args in ("", "numba"):
            return "numba"
        if args == "vectorized":
            return "numpy"
        raise SolverError(f"unknown option {args!r} of the numpy backend; valid: "
                          f"{', '.join(map(repr, SPECS['numpy']))}.")
    if name == "torch":
        return "torch"
    raise BackendUnavailable(
        f"the {name!r} backend is not available in this version of symnum; use "
        "backend='numpy' (the embedded default) or backend='torch'."
    )
