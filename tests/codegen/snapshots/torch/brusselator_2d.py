"""brusselator_2d: PDESystem(fields=['u', 'v'], axes=[x, y], periodic=[True, True],
parameters={'a': 0.002, 'b': 3.4}).

Exported by symnum as a standalone PyTorch module.
State: N = 128 values: the unknowns of each field in turn (u (8, 8), v (8, 8)), each in C
order.
Grid: x in [0.0, 1.0], 8 nodes, periodic; y in [0.0, 1.0], 8 nodes, periodic (nodes fixed by
boundary conditions are not in the state).
Parameters p in the order of PARAMS = ('a', 'b').

Usage::

    from brusselator_2d import Brusselator2d, Y0
    f = Brusselator2d()                           # Brusselator2d(p=[...], trainable=True) to fit p
    y = torch.tensor(Y0, dtype=torch.float64)
    dy = f(0.0, y)                        # y of shape (..., N), float32 or float64
"""
import math
import torch

N = 128
FIELDS = ('u', 'v')
PARAMS = ('a', 'b')
P0 = (0.002, 3.4)
TSPAN = (0.0, 0.1)
Y0 = (
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 2.250840771731199, 3.5723547906108095, 4.076373546310801,
    3.8890872965260117, 3.1575453715564405, 2.0625, 0.8507378461150651,
    0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0,
    2.762395492579199, 2.762395492579199, 2.762395492579199, 2.762395492579199,
    2.762395492579199, 2.762395492579199, 2.762395492579199, 2.762395492579199,
    4.384253606658721, 4.384253606658721, 4.384253606658721, 4.384253606658721,
    4.384253606658721, 4.384253606658721, 4.384253606658721, 4.384253606658721,
    5.0028220795632565, 5.0028220795632565, 5.0028220795632565, 5.0028220795632565,
    5.0028220795632565, 5.0028220795632565, 5.0028220795632565, 5.0028220795632565,
    4.772970773009196, 4.772970773009196, 4.772970773009196, 4.772970773009196,
    4.772970773009196, 4.772970773009196, 4.772970773009196, 4.772970773009196,
    3.87516931963745, 3.87516931963745, 3.87516931963745, 3.87516931963745,
    3.87516931963745, 3.87516931963745, 3.87516931963745, 3.87516931963745,
    2.53125, 2.53125, 2.53125, 2.53125,
    2.53125, 2.53125, 2.53125, 2.53125,
    1.0440873565957616, 1.0440873565957616, 1.0440873565957616, 1.0440873565957616,
    1.0440873565957616, 1.0440873565957616, 1.0440873565957616, 1.0440873565957616,
)

# axis 0: x in [0.0, 1.0], 8 nodes, periodic
N0 = 8
G0 = 1
dx0 = 0.125
LO0 = 0.0
# axis 1: y in [0.0, 1.0], 8 nodes, periodic
N1 = 8
G1 = 1
dx1 = 0.125
LO1 = 0.0
# field u: nodes [(0, 8), (0, 8)], state [0, 64)
# field v: nodes [(0, 8), (0, 8)], state [64, 128)

def _padded(t, y, p):
    """Each field on its padded grid: sides filled, periodic ghosts copied."""
    k_a = p[0]
    k_b = p[1]
    B = y.shape[:-1]
    F0 = y.new_empty(B + (N0 + 2 * G0, N1 + 2 * G1,))
    F0[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8] = y[..., 0:64].reshape(B + (8, 8))
    F1 = y.new_empty(B + (N0 + 2 * G0, N1 + 2 * G1,))
    F1[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8] = y[..., 64:128].reshape(B + (8, 8))
    F0[..., 0:G0, :] = F0[..., N0:N0 + G0, :]
    F0[..., N0 + G0:N0 + 2 * G0, :] = F0[..., G0:2 * G0, :]
    F1[..., 0:G0, :] = F1[..., N0:N0 + G0, :]
    F1[..., N0 + G0:N0 + 2 * G0, :] = F1[..., G0:2 * G0, :]
    F0[..., :, 0:G1] = F0[..., :, N1:N1 + G1]
    F0[..., :, N1 + G1:N1 + 2 * G1] = F0[..., :, G1:2 * G1]
    F1[..., :, 0:G1] = F1[..., :, N1:N1 + G1]
    F1[..., :, N1 + G1:N1 + 2 * G1] = F1[..., :, G1:2 * G1]
    return (F0, F1,)

def rhs(t, y, p=P0):
    """dy/dt for states y of shape (..., n); p: parameters in the order of PARAMS."""
    t = torch.as_tensor(t, dtype=y.dtype, device=y.device)
    k_a = p[0]
    k_b = p[1]
    F0, F1, = _padded(t, y, p)
    B = y.shape[:-1]
    O0 = y.new_empty(B + (8, 8))
    O1 = y.new_empty(B + (8, 8))
    x_x = (LO0 + dx0 * torch.arange(0, 8, dtype=y.dtype, device=y.device)).reshape(-1, 1,)
    x_y = (LO1 + dx1 * torch.arange(0, 8, dtype=y.dtype, device=y.device)).reshape(1, -1,)
    R_u_m1_p0 = F0[..., G0 + -1:G0 + 7, G1 + 0:G1 + 8]
    R_u_p0_m1 = F0[..., G0 + 0:G0 + 8, G1 + -1:G1 + 7]
    R_u_p0_p0 = F0[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8]
    R_u_p0_p1 = F0[..., G0 + 0:G0 + 8, G1 + 1:G1 + 9]
    R_u_p1_p0 = F0[..., G0 + 1:G0 + 9, G1 + 0:G1 + 8]
    R_v_p0_p0 = F1[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8]
    _c0 = -2*R_u_p0_p0
    O0[..., 0:8, 0:8] = R_u_p0_p0**2*R_v_p0_p0 - R_u_p0_p0*(k_b + 1) + k_a*((R_u_p0_m1 + R_u_p0_p1 + _c0)/dx1**2 + (R_u_m1_p0 + R_u_p1_p0 + _c0)/dx0**2) + 1
    x_x = (LO0 + dx0 * torch.arange(0, 8, dtype=y.dtype, device=y.device)).reshape(-1, 1,)
    x_y = (LO1 + dx1 * torch.arange(0, 8, dtype=y.dtype, device=y.device)).reshape(1, -1,)
    R_u_p0_p0 = F0[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8]
    R_v_m1_p0 = F1[..., G0 + -1:G0 + 7, G1 + 0:G1 + 8]
    R_v_p0_m1 = F1[..., G0 + 0:G0 + 8, G1 + -1:G1 + 7]
    R_v_p0_p0 = F1[..., G0 + 0:G0 + 8, G1 + 0:G1 + 8]
    R_v_p0_p1 = F1[..., G0 + 0:G0 + 8, G1 + 1:G1 + 9]
    R_v_p1_p0 = F1[..., G0 + 1:G0 + 9, G1 + 0:G1 + 8]
    _c0 = -2*R_v_p0_p0
    O1[..., 0:8, 0:8] = -R_u_p0_p0**2*R_v_p0_p0 + R_u_p0_p0*k_b + k_a*((R_v_p0_m1 + R_v_p0_p1 + _c0)/dx1**2 + (R_v_m1_p0 + R_v_p1_p0 + _c0)/dx0**2)
    return torch.cat([O0.reshape(B + (64,)), O1.reshape(B + (64,))], dim=-1)

def full_fields(t, y, p):
    """Each field on the full grid (sides filled), with the batch axes of y."""
    t = torch.as_tensor(t, dtype=y.dtype, device=y.device)
    F0, F1, = _padded(t, y, p)
    return (F0[..., G0:G0 + N0, G1:G1 + N1].clone(), F1[..., G0:G0 + N0, G1:G1 + N1].clone(),)


class Brusselator2d(torch.nn.Module):
    """Right-hand side of brusselator_2d: ``forward(t, y)`` returns dy/dt with the shape of y.

    Parameters
    ----------
    p : sequence of float or tensor, optional
        Parameter values in the order of PARAMS (default: P0).
    trainable : bool
        Whether ``self.p`` (a torch.nn.Parameter) takes gradients.
    """

    def __init__(self, p=None, trainable=False):
        super().__init__()
        p = torch.as_tensor(P0 if p is None else p, dtype=torch.float64).detach().clone()
        if p.shape != (len(PARAMS),):
            raise ValueError(f"p has shape {tuple(p.shape)}; give {len(PARAMS)} values in "
                             f"the order {PARAMS}.")
        self.p = torch.nn.Parameter(p, requires_grad=trainable)

    def forward(self, t, y):
        """dy/dt at time t for states y of shape (..., N)."""
        return rhs(t, y, self.p.to(y))

    def y0(self, dtype=torch.float64, device=None):
        """The initial state as a tensor."""
        return torch.tensor(Y0, dtype=dtype, device=device)
