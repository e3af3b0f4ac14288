"""heat_dirichlet: PDESystem(fields=['u'], axes=[x], periodic=[False], parameters={'nu': 0.5}).

Exported by symnum as a standalone NumPy module.
State: N = 19 values: the unknowns of each field in turn (u (19,)), each in C order.
Grid: x in [0.0, 1.0], 21 nodes (nodes fixed by boundary conditions are not in the state).
Parameters p in the order of PARAMS = ('nu',).

Usage::

    import heat_dirichlet
    dy = heat_dirichlet.rhs(0.0, heat_dirichlet.Y0)      # dy/dt at the initial state
    dy = heat_dirichlet.rhs(0.0, Y, p)           # Y of shape (..., heat_dirichlet.N), other parameters
"""
import math
import numpy

N = 19
FIELDS = ('u',)
PARAMS = ('nu',)
P0 = numpy.array((0.5,))
TSPAN = (0.0, 0.1)
Y0 = numpy.array((
    0.15643446504023087, 0.3090169943749474, 0.4539904997395468, 0.5877852522924731,
    0.7071067811865475, 0.8090169943749475, 0.8910065241883678, 0.9510565162951535,
    0.9876883405951378, 1.0, 0.9876883405951377, 0.9510565162951535,
    0.8910065241883679, 0.8090169943749475, 0.7071067811865476, 0.5877852522924732,
    0.45399049973954647, 0.3090169943749475, 0.15643446504023098,
))

# axis 0: x in [0.0, 1.0], 21 nodes, with sides
N0 = 21
G0 = 0
dx0 = 0.05
LO0 = 0.0
# field u: nodes [(1, 20)], state [0, 19)

def _padded(t, y, p):
    """Each field on its padded grid: sides filled, periodic ghosts copied."""
    k_nu = p[0]
    B = y.shape[:-1]
    F0 = numpy.empty(B + (N0 + 2 * G0,))
    F0[..., G0 + 1:G0 + 20] = y[..., 0:19].reshape(B + (19,))
    F0[..., G0 + 0] = numpy.sin(t)
    F0[..., G0 + 20] = 0
    return (F0,)

def rhs(t, y, p=P0):
    """dy/dt for states y of shape (..., n); p: parameters in the order of PARAMS."""
    y = numpy.asarray(y)
    k_nu = p[0]
    F0, = _padded(t, y, p)
    B = y.shape[:-1]
    O0 = numpy.empty(B + (19,))
    x_x = (LO0 + dx0 * numpy.arange(1, 20)).reshape(-1,)
    R_u_m1 = F0[..., G0 + 0:G0 + 19]
    R_u_p0 = F0[..., G0 + 1:G0 + 20]
    R_u_p1 = F0[..., G0 + 2:G0 + 21]
    O0[..., 0:19] = k_nu*(R_u_m1 - 2*R_u_p0 + R_u_p1)/dx0**2
    return O0.reshape(B + (19,))

def full_fields(t, y, p):
    """Each field on the full grid (sides filled), with the batch axes of y."""
    F0, = _padded(t, y, p)
    return (F0[..., G0:G0 + N0].copy(),)
