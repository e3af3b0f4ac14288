"""Shared-step ensembles: every trajectory meets its own tolerance, not a batch average."""

import numpy as np
import pytest
import sympy as sp

import symnum as sn

pytest.importorskip("torch")

t = sp.Symbol("t")
y = sp.Function("y")
k = sp.Symbol("k", positive=True)
DECAY = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t) + sp.sin(3 * t))], initial=[sp.Eq(y(0), 1)],
                     parameters={k: 1.0}, tspan=(0, 2))


def exact(kv, tt):
    # y' = -k y + sin(3t), y(0) = 1
    a = 1.0 / (kv**2 + 9)
    return (1 + 3 * a) * np.exp(-kv * tt) + a * (kv * np.sin(3 * tt) - 3 * np.cos(3 * tt))


def test_hard_member_of_a_shared_batch_is_as_accurate_as_alone():
    ks = [40.0] + [0.1] * 15                     # one hard trajectory among 15 easy ones
    opts = dict(rtol=1e-5, atol=1e-8, saveat=[2.0])
    batch = sn.solve(DECAY, sn.Tsit5(), backend="torch", p={k: ks}, **opts)
    alone = sn.solve(DECAY, sn.Tsit5(), backend="torch", p={k: 40.0}, **opts)
    err_batch = abs(batch["y"][0, -1] - exact(40.0, 2.0))
    err_alone = abs(alone["y"][-1] - exact(40.0, 2.0))
    assert err_batch <= 1.5 * err_alone + 1e-14, (err_batch, err_alone)
    # the batch steps as the hard member does alone (the easy ones ride along)
    assert batch.stats["accepted"] >= 0.9 * alone.stats["accepted"]
    for j, kv in enumerate(ks):
        assert abs(batch["y"][j, -1] - exact(kv, 2.0)) < 1e-4
