"""Solvers: explicit tableau engine, stiff wrappers, automatic choice, ``solve`` and ``Solution``."""
# TEMPORARY while modules land
from .algorithm import Algorithm, RawSolution, SolveOptions
from .functions import ODEFunctions
from .results import ReturnCode
from .solution import Solution
from .solve import solve
for _m, _names in (("cvode", ["CVODE"]), ("explicit", ["BS3", "DP5", "Tsit5"]),
                   ("rosenbrock", ["Rosenbrock23"]), ("scipy_methods", ["BDF", "LSODA", "Radau"])):
    try:
        _mod = __import__(f"{__name__}.{_m}", fromlist=_names)
        globals().update({n: getattr(_mod, n) for n in _names})
    except ImportError:
        globals().update({n: None for n in _names})
