"""Per-trajectory steps: each trajectory of integrate_batch takes the engine's steps alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symnum.solvers.controller import PIController, accept_factor, reject_factor
from symnum.solvers.engine import integrate
from symnum.solvers.methods import bs3, dp5, tsit5
from symnum.solvers.results import ReturnCode

torch = pytest.importorskip("torch")
from symnum.solvers.batched_engine import accept_factors, integrate_batch, reject_factors  # noqa: E402


def test_array_controller_laws_equal_the_scalar_ones():
    rng = np.random.default_rng(0)
    c = PIController.for_order(5)
    err = np.concatenate([[0.0, 1.0, 1e-12], rng.uniform(0, 1, 50)])
    old = np.concatenate([[1e-4, 1.0, 0.5], rng.uniform(1e-4, 1, 50)])
    got = accept_factors(torch, torch.tensor(err), torch.tensor(old), *c.accept_constants())
    want = [accept_factor(e, o, *c.accept_constants()) for e, o in zip(err, old)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-15)
    bad = np.concatenate([[math.nan, math.inf, 1.0 + 1e-12, 1e6], rng.uniform(1, 100, 50)])
    got = reject_factors(torch, torch.tensor(bad), c.beta1, c.safety, c.facmin)
    want = [reject_factor(e, c.beta1, c.safety, c.facmin) for e in bad]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-15)


@pytest.mark.parametrize("method", [tsit5.METHOD, dp5.METHOD, bs3.METHOD], ids=["Tsit5", "DP5", "BS3"])
def test_each_trajectory_steps_as_if_alone(method):
    rates = np.array([0.3, 2.0, 7.0, 20.0])
    A = np.array([[0.0, 1.0], [-1.0, 0.0]])
    y0 = np.array([[1.0, 0.0], [0.5, 1.0], [1.0, 1.0], [2.0, -1.0]])
    saves = np.array([0.0, 0.3, 0.9, 1.0])
    At = torch.tensor(A)
    R = torch.tensor(rates)[:, None]

    def rhs(t, y):  # a rotation with a time-dependent rate per trajectory
        return R * torch.cos(t)[:, None] * (y @ At.T)

    res = integrate_batch(rhs, torch.tensor(y0), 0.0, 1.0, method, saveat=saves, rtol=1e-9,
                          atol=1e-12)
    assert res.results == [ReturnCode.success] * 4 and res.ys.shape == (4, 4, 2)
    for b in range(4):
        one = integrate(lambda t, y: rates[b] * np.cos(t) * (A @ y), y0[b], 0.0, 1.0, method,
                        rtol=1e-9, atol=1e-12, saveat=saves)
        np.testing.assert_allclose(res.ys[b].numpy(), one.ys, atol=1e-12)
        assert res.stats["accepted"][b] == one.stats["accepted"]
        assert res.stats["rejected"][b] == one.stats["rejected"]
        assert res.stats["nfev"][b] == one.stats["nfev"]
    assert res.stats["passes"] == res.stats["steps"].max()
    ang = rates * np.sin(1.0)  # exact: rotation by the integrated rate
    exact = np.stack([[np.cos(a) * v[0] + np.sin(a) * v[1], -np.sin(a) * v[0] + np.cos(a) * v[1]]
                      for a, v in zip(ang, y0)])
    np.testing.assert_allclose(res.ys[:, -1].numpy(), exact, atol=1e-7)
