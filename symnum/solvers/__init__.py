"""Solvers: explicit tableau engine, stiff wrappers, automatic choice, ``solve`` and ``Solution``."""

from .algorithm import Algorithm, RawSolution, SolveOptions
from .auto import choose_algorithm
from .auto_switch import AutoSwitch
from .cvode import CVODE
from .explicit import BS3, DP5, Tsit5
from .functions import ODEFunctions
from .results import ReturnCode
from .rodas import Rodas4, Rodas5P
from .rosenbrock import Rosenbrock23
from .scipy_methods import BDF, LSODA, Radau
from .solution import Solution
from .solve import solve

__all__ = ["Algorithm", "RawSolution", "SolveOptions", "ODEFunctions", "ReturnCode", "Solution",
           "solve", "choose_algorithm", "AutoSwitch", "Tsit5", "DP5", "BS3", "CVODE", "BDF",
           "Radau", "LSODA", "Rosenbrock23", "Rodas4", "Rodas5P"]
