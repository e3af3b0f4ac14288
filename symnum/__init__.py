"""symnum: SymPy models -> e-graph simplification -> method of lines -> generated code -> adaptive solvers.

Examples
--------
>>> import symnum as sn
>>> sn.SymnumError.__name__
'SymnumError'
"""

from .codegen.export import Export, export
from .discretize import FiniteDifference, ODEProblem, discretize, symbolic_discretize
from .errors import (BackendUnavailable, CodegenError, ConditionError, DiscretizationError,
                     ModelError, ParameterError, SolveFailed, SolverError, SymnumError,
                     UnknownSymbolError, UnsupportedOperatorError)
from .model import Dirichlet, Neumann, ODESystem, PDESystem, Periodic, Robin
from .solvers import (BDF, BS3, CVODE, DP5, LSODA, AutoSwitch, Radau, ReturnCode, Rodas4,
                      Rodas5P, Rosenbrock23, Solution, Tsit5, solve)

from .simplify import SimplifyError, SimplifyWarning, expression_cost, simplify

__version__ = "0.1.0"

__all__ = [
    "PDESystem", "ODESystem", "Periodic", "Dirichlet", "Neumann", "Robin",
    "FiniteDifference", "ODEProblem", "discretize", "symbolic_discretize",
    "simplify", "expression_cost", "SimplifyWarning", "SimplifyError", "export", "Export",
    "solve", "Solution", "ReturnCode",
    "Tsit5", "DP5", "BS3", "CVODE", "BDF", "Radau", "LSODA", "Rosenbrock23", "Rodas4",
    "Rodas5P", "AutoSwitch",
    "SymnumError", "ModelError", "UnknownSymbolError", "ConditionError", "ParameterError",
    "DiscretizationError", "UnsupportedOperatorError", "CodegenError", "SolverError",
    "SolveFailed", "BackendUnavailable",
]
