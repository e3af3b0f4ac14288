"""Models: PDE and ODE systems, conditions, validation."""

from .conditions import BoundaryCondition, Dirichlet, Neumann, Periodic, Robin
from .system import ODESystem, PDESystem

__all__ = ["PDESystem", "ODESystem", "Periodic", "Dirichlet", "Neumann", "Robin", "BoundaryCondition"]
