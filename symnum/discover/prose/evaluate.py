"""PROSE's metrics: operator error, valid expressions, exact skeletons, coefficient error.

* **operator relative L2**: ``sqrt(sum (y_hat - y)^2 / sum y^2)`` of the operator
  decoder's forecast on ``t in [2, 6]`` against the clean trajectory (the
  paper's data metric);
* **valid**: the decoded sequence is a system of ``dim`` expressions that are
  finite at 50 random points of ``[-5, 5]^d`` (the paper's test points);
* **exact skeleton**: every component has the same set of terms as the truth
  (the monomials and functions of the expanded right-hand side, coefficients
  dropped): the structure, independent of the order the terms are written in;
* **coefficient error**: on exact skeletons, the relative L2 error of the
  coefficient vector, ``||c_hat - c|| / ||c||``.

Examples
--------
>>> import sympy as sp
>>> u0, u1 = sp.symbols("u_0 u_1")
>>> same_skeleton([1.5 * u0 - 0.9 * u0 * u1], [-0.91 * u0 * u1 + 1.52 * u0])
True
>>> round(coefficient_error([1.5 * u0 - 0.9 * u0 * u1], [1.5 * u0 - 1.0 * u0 * u1]), 4)
0.0555
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

__all__ = ["terms", "same_skeleton", "coefficient_error", "is_valid", "evaluate"]


def terms(expr):
    """``{term: coefficient}`` of an expanded expression (``1`` for the constant)."""
    out = {}
    for term, coef in sp.expand(sp.sympify(expr)).as_coefficients_dict().items():
        if coef != 0:
            out[term] = out.get(term, 0) + float(coef)
    return out


def same_skeleton(pred, true):
    """Whether every component of ``pred`` has exactly the terms of ``true``'s."""
    return (pred is not None and len(pred) == len(true)
            and all(set(terms(p)) == set(terms(q)) for p, q in zip(pred, true)))


def coefficient_error(pred, true):
    """``||c_hat - c|| / ||c||`` over all terms of all components (missing terms count as 0)."""
    num = den = 0.0
    for p, q in zip(pred, true):
        cp, cq = terms(p), terms(q)
        for k in set(cp) | set(cq):
            num += (cp.get(k, 0.0) - cq.get(k, 0.0)) ** 2
            den += cq.get(k, 0.0) ** 2
    return float(np.sqrt(num / max(den, 1e-300)))


def is_valid(exprs, dim, seed=0):
    """Finite at 50 random points of ``[-5, 5]^dim`` (and ``dim`` components)."""
    if exprs is None or len(exprs) != dim:
        return False
    if any(e.has(sp.zoo, sp.oo, -sp.oo, sp.nan) for e in exprs):
        return False
    states = sp.symbols(f"u_0:{dim}")
    points = np.random.default_rng(seed).uniform(-5, 5, (50, dim))
    with np.errstate(all="ignore"):
        for e in exprs:
            val = np.asarray(sp.lambdify(states, e, "numpy")(*points.T), dtype=complex)
            if np.any(~np.isfinite(val)):
                return False
    return True


def evaluate(model, data, *, noise=0.01, with_source=False, n=None, batch_size=128, seed=0,
             progress=False):
    """Metrics of ``model`` on generated data (``generator.load(dir)``), overall and per family.

    The first ``n`` systems (all by default) are used, each with fresh noise of
    relative level ``noise`` and, if ``with_source``, its corrupted symbolic guess.

    Returns
    -------
    dict
        ``operator_rel_l2`` (median), ``valid``, ``exact_skeleton`` (fractions),
        ``coefficient_error`` (median over exact skeletons), ``seconds_per_system``,
        ``n`` and ``per_family`` (the same keys per family name).
    """
    import torch

    from .inference import T_IN, decode
    from .train import Batcher

    batcher = Batcher(data)
    total = len(batcher) if n is None else min(int(n), len(batcher))
    out_times = batcher.t[batcher.out]
    vocab = data["vocab"]
    rows = []
    state = np.random.get_state()
    np.random.seed(seed)
    start = time.perf_counter()
    try:
        for lo in range(0, total, batch_size):
            idx = np.arange(lo, min(total, lo + batch_size))
            b = batcher.sample(model, len(idx), noise=noise, with_source=with_source, index=idx)
            with torch.no_grad():
                seqs = model.generate(b["x"], b["x_mask"], b["src"], torch.as_tensor(
                    batcher.dim[idx]), max_len=data["target"].shape[1])
                q = torch.as_tensor(out_times / T_IN, dtype=torch.float32).expand(len(idx), -1)
                pred, _ = model(b["x"], b["x_mask"], b["src"], b["tgt"][:, :1], q)
            pred = pred.numpy() * b["scale"].numpy()[:, None, None]
            for k, i in enumerate(idx):
                d = int(batcher.dim[i])
                true_y = batcher.y[i, batcher.out, :d]
                op = float(np.sqrt(np.sum((pred[k, :, :d] - true_y) ** 2) / np.sum(true_y ** 2)))
                true = decode([vocab[j] for j in batcher.target[i] if j > 2], d)
                got = decode(seqs[k], d)
                ok = is_valid(got, d)
                exact = ok and same_skeleton(got, true)
                rows.append({"family": data["families"][int(data["family"][i])], "op": op,
                             "valid": ok, "exact": exact,
                             "coef": coefficient_error(got, true) if exact else np.nan})
            if progress:
                print(f"evaluated {len(rows)}/{total}", flush=True)
    finally:
        np.random.set_state(state)
    seconds = (time.perf_counter() - start) / max(1, total)
    result = _summary(rows)
    result.update(seconds_per_system=seconds, per_family={
        f: _summary([r for r in rows if r["family"] == f])
        for f in sorted({r["family"] for r in rows})})
    return result


def _summary(rows):
    if not rows:
        return {"n": 0}
    coef = [r["coef"] for r in rows if r["exact"]]
    return {"n": len(rows), "operator_rel_l2": float(np.median([r["op"] for r in rows])),
            "valid": float(np.mean([r["valid"] for r in rows])),
            "exact_skeleton": float(np.mean([r["exact"] for r in rows])),
            "coefficient_error": float(np.median(coef)) if coef else float("nan")}
