"""NeuralODE: exact linear solutions, gradients of both adjoints, counters, regularizers, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

torch = pytest.importorskip("torch")

import symnum as sn  # noqa: E402
from symnum import neural  # noqa: E402
from symnum.errors import SymnumError  # noqa: E402
from symnum.solvers.engine import integrate  # noqa: E402
from symnum.solvers.methods import tsit5  # noqa: E402

torch.set_num_threads(1)
A = np.array([[-0.5, 2.0], [-2.0, -0.5]])
Y0 = np.array([[1.0, 0.5], [-0.3, 0.8], [0.2, -1.0]])  # a batch of 3 initial states


class Linear(torch.nn.Module):
    """f(t, y) = y W^T with a trainable W (row-vector batch convention)."""

    def __init__(self, W):
        super().__init__()
        self.W = torch.nn.Parameter(torch.tensor(W, dtype=torch.float64))

    def forward(self, t, y):
        return y @ self.W.T


def _ts(n=6, T=2.0):
    return torch.linspace(0.0, T, n, dtype=torch.float64)


@pytest.mark.parametrize("adjoint", ["backprop", "checkpoint"])
def test_linear_matches_expm(adjoint):
    ode = neural.NeuralODE(Linear(A), sn.Tsit5(), rtol=1e-10, atol=1e-12, adjoint=adjoint)
    ts = _ts()
    ys = ode(torch.tensor(Y0), ts)
    assert tuple(ys.shape) == (len(ts), *Y0.shape)
    exact = np.stack([Y0 @ expm(t * A).T for t in ts.numpy()])
    np.testing.assert_allclose(ys.detach().numpy(), exact, atol=1e-9)
    assert float(ode.regularization.detach()) == 0.0 and not ode.regularization.requires_grad


def _loss(ode, y0, ts):
    ys = ode(y0, ts)
    return (ys ** 2).sum() + 0.3 * ys[2].sum() + ode.regularization


@pytest.mark.parametrize("reg", [None, "error", "stiff"])
def test_gradients_backprop_checkpoint_and_finite_differences(reg):
    def make(adjoint):
        r = {None: None, "error": neural.ErrorEstimate(weight=5.0),
             "stiff": neural.Stiffness(weight=0.1, aggregate="mean")}[reg]
        return neural.NeuralODE(Linear(A), sn.DP5(), rtol=1e-7, atol=1e-9, adjoint=adjoint,
                                regularizer=r)
    ts = _ts(5, 1.5)
    grads = {}
    for adjoint in ("backprop", "checkpoint"):
        ode = make(adjoint)
        y0 = torch.tensor(Y0, requires_grad=True)
        _loss(ode, y0, ts).backward()
        grads[adjoint] = (ode.f.W.grad.clone(), y0.grad.clone())
        if adjoint == "checkpoint":
            assert ode.stats.nfe_backward == 7 * ode.stats.accepted
    for a, b in zip(grads["backprop"], grads["checkpoint"]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)
    if reg is not None:
        return  # the regularizers' step sequence is piecewise constant in W: no FD check
    ode = make("backprop")
    W0, eps = A.copy(), 1e-6
    fd = np.zeros_like(W0)
    for i in range(2):
        for j in range(2):
            vals = []
            for sgn in (1, -1):
                with torch.no_grad():
                    ode.f.W.copy_(torch.tensor(W0))
                    ode.f.W[i, j] += sgn * eps
                    vals.append(float(_loss(ode, torch.tensor(Y0), ts)))
            fd[i, j] = (vals[0] - vals[1]) / (2 * eps)
    np.testing.assert_allclose(grads["backprop"][0].numpy(), fd, rtol=1e-4, atol=1e-5)


def test_stats_counters():
    ode = neural.NeuralODE(Linear(A), sn.Tsit5(), rtol=1e-9, atol=1e-9)
    ode(torch.tensor(Y0), _ts())
    s = ode.stats
    assert s.steps == s.accepted + s.rejected and s.accepted > 3
    assert s.nfe == 6 * s.steps + 2 and s.nfe_backward == 0 and s.nfe_regularization == 0


def test_error_estimate_value_matches_engine_records():
    f = Linear(A)
    ode = neural.NeuralODE(f, sn.Tsit5(), rtol=1e-6, atol=1e-6,
                           regularizer=neural.ErrorEstimate(weight=2.0))
    ts = _ts()
    ode(torch.tensor(Y0), ts)
    assert ode.regularization.requires_grad
    res = integrate(lambda t, y: f(t, y), torch.tensor(Y0), 0.0, 2.0, tsit5.METHOD, rtol=1e-6,
                    atol=1e-6, saveat=ts.numpy(), record=True)
    err = res.records["error"].detach()
    expected = 2.0 * float((err * torch.tensor(np.abs(res.records["h"]))).mean())
    assert float(ode.regularization.detach()) == pytest.approx(expected, rel=1e-12)
    summed = neural.NeuralODE(f, rtol=1e-6, atol=1e-6,
                              regularizer=neural.ErrorEstimate(weight=2.0, aggregate="sum"))
    summed(torch.tensor(Y0), ts)
    assert float(summed.regularization.detach()) == pytest.approx(expected * len(res.records["h"]),
                                                         rel=1e-12)


def test_stiffness_estimates_dominant_eigenvalue():
    lam = 40.0
    S = np.array([[-lam, 0.0], [0.0, -1.0]])
    ode = neural.NeuralODE(Linear(S), sn.Tsit5(), rtol=1e-6, atol=1e-9,
                           regularizer=neural.Stiffness(weight=1.0))
    ode(torch.tensor([[1.0, 1.0]], dtype=torch.float64), _ts(3, 0.1))
    est = float(ode.regularization.detach())
    assert 0.7 * lam < est < 1.05 * lam, est
    assert ode.regularization.requires_grad


@pytest.mark.parametrize("sampling", ["unbiased", "biased"])
@pytest.mark.parametrize("policy", ["consistent", "faithful"])
@pytest.mark.parametrize("adjoint", ["backprop", "checkpoint"])
def test_local_error_estimate_grad_only_wrt_parameters(sampling, policy, adjoint):
    torch.manual_seed(1)
    ode = neural.NeuralODE(Linear(A), rtol=1e-6, atol=1e-6, adjoint=adjoint,
                           regularizer=neural.LocalErrorEstimate(sampling=sampling,
                                                                 policy=policy))
    y0 = torch.tensor(Y0, requires_grad=True)
    ts = _ts()
    ys = ode(y0, ts)
    assert tuple(ys.shape) == (len(ts), *Y0.shape)  # the sampled time is not in the output
    reg = ode.regularization
    assert reg.requires_grad and float(reg.detach()) > 0
    g_y0, g_W = torch.autograd.grad(reg, (y0, ode.f.W), allow_unused=True)
    assert g_y0 is None  # both policies detach the sampled state
    assert g_W is not None and float(g_W.abs().sum()) > 0
    assert ode.stats.nfe_regularization == (7 if policy == "consistent" else 8)


def test_local_biased_consistent_equals_a_global_term():
    # V3 + biased: the value is EEst_j |dt_j| of one accepted step, recomputed from y_j
    torch.manual_seed(3)
    f = Linear(A)
    loc = neural.NeuralODE(f, rtol=1e-6, atol=1e-6,
                           regularizer=neural.LocalErrorEstimate(sampling="biased"))
    loc(torch.tensor(Y0), _ts())
    res = integrate(lambda t, y: f(t, y), torch.tensor(Y0), 0.0, 2.0, tsit5.METHOD, rtol=1e-6,
                    atol=1e-6, saveat=_ts().numpy(), record=True)
    terms = (res.records["error"] * torch.tensor(np.abs(res.records["h"]))).detach().numpy()
    assert np.min(np.abs(terms - float(loc.regularization.detach())) / terms) < 1e-8


def test_schedules():
    c = neural.Constant(0.5)
    assert c(0) == c(10) == c(10**6) == 0.5
    e = neural.ExponentialDecay(100.0, 10.0, steps=50)
    assert e(0) == 100.0 and e(25) == pytest.approx(100 * 0.1 ** 0.5) and e(50) == 10.0
    assert e(500) == 10.0
    reg = neural.ErrorEstimate(weight=e)
    ode = neural.NeuralODE(Linear(A), regularizer=reg)
    y0 = torch.tensor(Y0)
    for _ in range(3):  # training-mode calls with grad advance the schedule's step
        ode(y0, _ts())
    assert int(ode.iteration) == 3
    with torch.no_grad():
        ode(y0, _ts())
    ode.eval()
    ode(y0, _ts())
    assert int(ode.iteration) == 3 and "iteration" in ode.state_dict()


def test_errors():
    with pytest.raises(SymnumError, match="adjoint='continuous' is not known; valid: "
                                          "'backprop', 'checkpoint'"):
        neural.NeuralODE(Linear(A), adjoint="continuous")
    with pytest.raises(SymnumError, match="sampling='random' is not known; valid: "
                                          "'unbiased', 'biased'"):
        neural.LocalErrorEstimate(sampling="random")
    with pytest.raises(SymnumError, match="policy='v2' is not known"):
        neural.LocalErrorEstimate(policy="v2")
    with pytest.raises(TypeError, match="is not a torch.nn.Module"):
        neural.NeuralODE(lambda t, y: -y)
    with pytest.raises(SymnumError, match="must be an adaptive explicit method"):
        neural.NeuralODE(Linear(A), solver=sn.CVODE())
    with pytest.raises(SymnumError, match="rtol=-1.0 must be a positive finite number"):
        neural.NeuralODE(Linear(A), rtol=-1.0)
    with pytest.raises(SymnumError, match="is not a neural regularizer"):
        neural.NeuralODE(Linear(A), regularizer="error")
    with pytest.raises(SymnumError, match="weight='big'"):
        neural.ErrorEstimate(weight="big")
    with pytest.raises(SymnumError, match="start and end must be > 0"):
        neural.ExponentialDecay(1.0, 0.0, steps=3)
    with pytest.raises(SymnumError, match="needs at least two times"):
        neural.NeuralODE(Linear(A))(torch.tensor(Y0), [0.0])
