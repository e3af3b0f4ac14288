"""Backend names, parsed as ``name[:args]`` (py-pde style): ``"numpy"``, ``"torch:cuda"``.

Examples
--------
>>> parse_backend("numpy")
('numpy', '')
>>> parse_backend("torch:cuda")
('torch', 'cuda')
"""

from __future__ import annotations

from ..errors import BackendUnavailable, SolverError

__all__ = ["BACKENDS", "parse_backend", "code_target"]

# name -> one-line description; the single source of valid names for messages
BACKENDS = {
    "numpy": "embedded default: generated numba kernels (\"numpy:vectorized\" for pure NumPy)",
    "auto": "the best available backend (currently numpy)",
    "torch": "PyTorch tensors on CPU or CUDA (\"torch:cuda\")",
    "julia": "Julia's ModelingToolkit/DifferentialEquations through juliacall",
}


def parse_backend(spec) -> tuple[str, str]:
    """Split ``"name:args"`` and check the name against :data:`BACKENDS`."""
    if not isinstance(spec, str):
        raise SolverError(f"backend must be a string such as 'numpy'; got {spec!r} "
                          f"({type(spec).__name__}). Valid: {sorted(BACKENDS)}.")
    name, _, args = spec.partition(":")
    if name not in BACKENDS:
        raise SolverError(f"unknown backend {spec!r}; valid backends: {sorted(BACKENDS)}.")
    return name, args


def code_target(spec) -> str:
    """The code target (``"numba"`` or ``"numpy"``) for an embedded backend spec."""
    name, args = parse_backend(spec)
    if name in ("numpy", "auto"):
        if args in ("", "numba"):
            return "numba"
        if args == "vectorized":
            return "numpy"
        raise SolverError(f"unknown option {args!r} of the numpy backend; valid: "
                          "'numpy', 'numpy:vectorized'.")
    raise BackendUnavailable(
        f"the {name!r} backend is not available in this version of symnum; use "
        "backend='numpy' (the embedded default)."
    )
