"""Method of lines: grids, Fornberg stencils, lowering to :class:`ODEProblem`."""

from .method import FiniteDifference
from .mol import discretize, symbolic_discretize
from .problem import ODEProblem

__all__ = ["FiniteDifference", "ODEProblem", "discretize", "symbolic_discretize"]
