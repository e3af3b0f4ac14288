"""symnum: SymPy models -> e-graph simplification -> method of lines -> generated code -> adaptive solvers."""

from .errors import *  # noqa: F401,F403

__version__ = "0.1.0"
