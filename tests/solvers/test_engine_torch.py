"""The array-generic engine runs unchanged on torch tensors (values, autograd, dense, records)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from symnum.solvers.engine import StepInfo, integrate
from symnum.solvers.methods import bs3, dp5, tsit5
from symnum.solvers.results import ReturnCode

torch = pytest.importorskip("torch")

A = np.array([[-0.5, 2.0, 0.0], [-2.0, -0.5, 0.3], [0.1, 0.0, -1.0]])
Y0 = np.array([1.0, 0.5, -0.3])
T = 2.0


def _rhs_torch(At):
    return lambda t, y: At @ y


@pytest.mark.parametrize("method", [tsit5.METHOD, dp5.METHOD, bs3.METHOD],
                         ids=["Tsit5", "DP5", "BS3"])
def test_torch_matches_numpy_and_expm(method):
    At = torch.tensor(A)
    saves = np.array([0.0, 0.5, 1.3, T])
    res_t = integrate(_rhs_torch(At), torch.tensor(Y0), 0.0, T, method, rtol=1e-9, atol=1e-11,
                      saveat=saves)
    res_n = integrate(lambda t, y: A @ y, Y0, 0.0, T, method, rtol=1e-9, atol=1e-11,
                      saveat=saves)
    assert isinstance(res_t.ys, torch.Tensor) and res_t.ys.dtype == torch.float64
    assert res_t.result is ReturnCode.success and res_t.stats["steps"] == res_n.stats["steps"]
    exact = np.stack([expm(t * A) @ Y0 for t in saves])
    np.testing.assert_allclose(res_t.ys.numpy(), exact, atol=1e-7)
    np.testing.assert_allclose(res_t.ys.numpy(), res_n.ys, atol=1e-10)


def test_gradient_flows_through_the_solve():
    y0 = torch.tensor(Y0, requires_grad=True)
    res = integrate(_rhs_torch(torch.tensor(A)), y0, 0.0, T, tsit5.METHOD, rtol=1e-10,
                    atol=1e-12, saveat=np.array([T]))
    res.ys[-1].sum().backward()
    # d sum(expm(T A) y0) / d y0 = expm(T A)^T 1
    np.testing.assert_allclose(y0.grad.numpy(), expm(T * A).T @ np.ones(3), atol=1e-7)


def test_dense_output_records_and_callback_on_torch():
    seen = []
    y0 = torch.tensor(Y0, requires_grad=True)
    res = integrate(_rhs_torch(torch.tensor(A)), y0, 0.0, T, dp5.METHOD, rtol=1e-8, atol=1e-10,
                    record=True, callback=seen.append)
    assert res.result.ok and len(seen) == res.stats["accepted"] == len(res.ts) - 1
    assert isinstance(seen[0], StepInfo) and seen[-1].t == T
    err, stiff = res.records["error"], res.records["stiffness"]
    assert isinstance(err, torch.Tensor) and err.requires_grad  # differentiable regularizer
    assert bool((err <= 1).all()) and bool((stiff > 0).all())
    err.sum().backward()
    assert y0.grad is not None and torch.isfinite(y0.grad).all()
    mid = res.dense(np.array([0.77]))
    assert isinstance(mid, torch.Tensor)
    np.testing.assert_allclose(mid.detach().numpy()[0], expm(0.77 * A) @ Y0, atol=1e-7)


def test_float32_stays_float32():
    res = integrate(_rhs_torch(torch.tensor(A, dtype=torch.float32)),
                    torch.tensor(Y0, dtype=torch.float32), 0.0, T, tsit5.METHOD, rtol=1e-4,
                    atol=1e-6)
    assert res.ys.dtype == torch.float32 and res.result.ok
    np.testing.assert_allclose(res.ys[-1].numpy(), expm(T * A) @ Y0, atol=1e-3)
