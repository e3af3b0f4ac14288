"""Torch side of :class:`~symnum.discover.pinn.HiddenPINN`: scaled networks, the loss, training.

Only ``HiddenPINN.fit`` imports this module (it imports torch at the top).

Scaling. Inputs and outputs of every network are scaled from the data, so
that the networks see O(1) numbers whatever the units: coordinates map to
``[-1, 1]``; a field is ``mean + std * net``; a derivative ``∂^a u`` is scaled
by ``std(u) Π ω_j^{a_j}``, where ``ω_j = rms(∂_j u) / std(u)`` is a
characteristic frequency estimated by finite differences of the measurements
along axis ``j`` (``2 / span`` for scattered data). Each residual is divided by
the scale of its left-hand side, and a hidden network's output scale is the
largest residual scale of the equations it appears in. This is a heuristic:
finite differences of noisy data on a fine grid overestimate ω, which only
shrinks the affected inputs; the networks still train.

Training. ``iterations`` Adam steps, then ``lbfgs_iterations`` L-BFGS steps
(strong Wolfe line search, one L-BFGS iteration per step) on fixed collocation
points, so a step draws no random numbers. A checkpoint holds the networks,
both optimizers, the step, the history and the state of the generator that
initialised the networks; loading it and continuing gives bitwise the
parameters of an uninterrupted run (CPU, same torch). The loop is this
module's own rather than :class:`symnum.neural.Trainer`, which has no
closure-driven L-BFGS phase and keeps checkpoint directories, not one file.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np
import torch

from ..codegen.printers import TorchPrinter
from ..errors import BackendUnavailable, CodegenError, DiscoveryError

__all__ = ["ScaledMLP", "PINN", "scales", "collocation_points", "train", "sample_hidden"]

_DT = torch.float64


class ScaledMLP(torch.nn.Module):
    """``out_shift + out_scale * mlp((x - in_shift) / in_scale)`` with tanh hidden layers;
    Xavier-normal weights drawn from ``generator`` (torch's global generator is untouched)."""

    def __init__(self, n_in, n_out, layers, in_shift, in_scale, out_shift, out_scale, generator):
        super().__init__()
        sizes = [n_in, *layers, n_out]
        self.linears = torch.nn.ModuleList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            lin = torch.nn.utils.skip_init(torch.nn.Linear, a, b, dtype=_DT)
            with torch.no_grad():
                lin.weight.copy_(torch.randn(b, a, generator=generator, dtype=_DT)
                                 * math.sqrt(2.0 / (a + b)))
                lin.bias.zero_()
            self.linears.append(lin)
        for name, value in (("in_shift", in_shift), ("in_scale", in_scale),
                            ("out_shift", out_shift), ("out_scale", out_scale)):
            self.register_buffer(name, torch.as_tensor(np.asarray(value, float), dtype=_DT))

    def forward(self, x):
        h = (x - self.in_shift) / self.in_scale
        for lin in self.linears[:-1]:
            h = torch.tanh(lin(h))
        return self.out_shift + self.out_scale * self.linears[-1](h)


def device(name):
    """``torch.device(name)``, checked."""
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise DiscoveryError(f"device={name!r} is not a torch device; use 'cpu' or 'cuda'.") \
            from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable(f"device={name!r}, but torch sees no CUDA device; use "
                                 "device='cpu'.")
    return dev


def _compile(residuals):
    """``f(v, zero) -> (n, n_eq)`` from the residuals (TorchPrinter code, as in HybridODE)."""
    printer = TorchPrinter()
    used = sorted({s.name for e in residuals for s in e.free_symbols})
    try:
        body = [f"({printer.doprint(e)}) + zero" for e in residuals]
    except CodegenError as exc:
        raise DiscoveryError(f"the known part of the equations cannot be evaluated in torch: "
                             f"{exc}") from None
    source = "\n".join(["def residuals(v, zero):", *[f"    {n} = v[{n!r}]" for n in used],
                        f"    return torch.stack([{', '.join(body)}], dim=-1)"])
    namespace = {"torch": torch, "math": math}
    exec(compile(source, "<symnum.discover.HiddenPINN>", "exec"), namespace)
    return namespace["residuals"]


class PINN(torch.nn.Module):
    """Surrogate ``u_θ(coords)`` and the hidden networks ``F_φ``, with the residual of ``plan``."""

    def __init__(self, plan, sc, surrogate_layers, hidden_layers, generator):
        super().__init__()
        self.plan = plan
        self.surrogate = ScaledMLP(len(plan.coords), len(plan.fields), surrogate_layers,
                                   sc["coord_shift"], sc["coord_scale"], sc["field_shift"],
                                   sc["field_scale"], generator)
        self.hidden = torch.nn.ModuleDict({
            h.output: ScaledMLP(len(h.inputs), 1, hidden_layers, *sc["hidden_in"][name], 0.0,
                                sc["hidden_out"][name], generator)
            for name, h in plan.hidden.items()})
        self.register_buffer("residual_scale", torch.as_tensor(sc["residual_scale"], dtype=_DT))
        self._residuals = _compile(plan.residuals)

    def values(self, c):
        """Coordinates, fields, derivatives and hidden outputs at the points ``c`` (n, n_coords),
        by placeholder name; ``c`` must require grad when the plan has derivatives."""
        u = self.surrogate(c)
        v = {f"c_{j}": c[:, j] for j in range(c.shape[1])}
        v.update({f"f_{i}": u[:, i] for i in range(u.shape[1])})
        grads = {}

        def grad(i, multi):  # gradient of ∂^multi u_i with respect to all coordinates
            if (i, multi) not in grads:
                base = u[:, i] if not multi else grad(i, multi[:-1])[:, multi[-1]]
                grads[i, multi] = torch.autograd.grad(base.sum(), c, create_graph=True)[0]
            return grads[i, multi]

        for name, (i, multi) in self.plan.derivs.items():
            v[name] = grad(i, multi[:-1])[:, multi[-1]]
        for h in self.plan.hidden.values():
            v[h.output] = self.hidden[h.output](torch.stack([v[a] for a in h.inputs], -1))[:, 0]
        return u, v

    def residual(self, c):
        """Scaled residuals ``(lhs - rhs) / scale`` at ``c``, shape (n, n_equations)."""
        c = c.detach().requires_grad_(True)
        _, v = self.values(c)
        return self._residuals(v, torch.zeros_like(c[:, 0])) / self.residual_scale


def scales(plan, meas, values, measured):
    """The scaling constants (see the module docstring) as a dict of NumPy values."""
    nc, nf = len(plan.coords), len(plan.fields)
    order = [next(a for a in meas.axes if a.name == c.name) for c in plan.coords]
    lo = np.array([np.min(meas.coords[a]) for a in order])
    hi = np.array([np.max(meas.coords[a]) for a in order])
    half = np.where(hi > lo, (hi - lo) / 2, 1.0)
    mean, std = np.zeros(nf), np.ones(nf)
    omega = np.full((nf, nc), np.nan)
    for col, i in enumerate(measured):
        mean[i], s = values[:, col].mean(), values[:, col].std()
        std[i] = s if s > 0 else max(abs(mean[i]), 1.0)
        arr = np.asarray(meas.values[plan.fields[i]], float)
        for j, a in enumerate(order):
            axis = list(meas.axes).index(a)
            if meas.gridded and arr.shape[axis] >= 3:
                g = np.gradient(arr, np.asarray(meas.coords[a], float), axis=axis)
                omega[i, j] = np.sqrt(np.mean(g ** 2)) / std[i]
    fallback = 1.0 / half
    for j in range(nc):  # unmeasured fields, scattered data, flat fields
        col = omega[:, j]
        good = col[np.isfinite(col) & (col > 0)]
        omega[:, j] = np.where(np.isfinite(col) & (col > 0), col,
                               np.median(good) if good.size else fallback[j])
    dscale = {n: std[i] * np.prod([omega[i, j] for j in m]) for n, (i, m) in plan.derivs.items()}
    jt = plan.coords.index(plan.t)
    res_scale = np.array([std[i] * omega[i, jt] ** k for i, k in plan.lhs])
    shifts = {f"c_{j}": ((lo[j] + hi[j]) / 2, half[j]) for j in range(nc)}
    shifts.update({f"f_{i}": (mean[i], std[i]) for i in range(nf)})
    shifts.update({n: (0.0, s) for n, s in dscale.items()})
    hidden_in, hidden_out = {}, {}
    for name, h in plan.hidden.items():
        hidden_in[name] = tuple(np.array(z) for z in zip(*[shifts[a] for a in h.inputs]))
        hidden_out[name] = max(s for s, e in zip(res_scale, plan.residuals)
                               if any(x.name == h.output for x in e.free_symbols))
    return {"coord_shift": (lo + hi) / 2, "coord_scale": half, "lo": lo, "hi": hi,
            "field_shift": mean, "field_scale": std, "residual_scale": res_scale,
            "hidden_in": hidden_in, "hidden_out": hidden_out}


def collocation_points(spec, lo, hi, seed):
    """``spec`` points in the box ``[lo, hi]``: an evenly spaced grid in time for ODEs, a
    scrambled Halton set otherwise; an array is taken as it is."""
    if isinstance(spec, np.ndarray):
        return spec
    if len(lo) == 1:
        return np.linspace(lo[0], hi[0], spec)[:, None]
    from scipy.stats import qmc

    return qmc.scale(qmc.Halton(len(lo), rng=seed).random(spec), lo, hi)


def fingerprint(*parts) -> str:
    """A hash of what makes a checkpoint reusable (equations, networks, data, options)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(np.ascontiguousarray(p).tobytes() if isinstance(p, np.ndarray) else
                 repr(p).encode())
    return h.hexdigest()


def _save(path, state):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a killed run leaves the previous checkpoint intact


def _load(path, key):
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
        raise DiscoveryError(f"cannot read the checkpoint {path} ({exc}); delete it or pass "
                             "another checkpoint=.") from None
    if state.get("fingerprint") != key:
        raise DiscoveryError(f"the checkpoint {path} was written for a different problem "
                             "(equations, networks, options or data differ); delete it or pass "
                             "another checkpoint=.")
    return state


def train(model, loss_fn, *, adam, lbfgs, lr, checkpoint, every, progress, key, generator):
    """Adam for ``adam`` steps (learning rate ``lr(step)``, a schedule), then L-BFGS, up to step ``adam + lbfgs``; resumes from and
    writes ``checkpoint``. Returns the history: ``{"iteration", "loss", "data", "residual"}``."""
    params = list(model.parameters())
    opt_adam = torch.optim.Adam(params, lr=lr(0))
    opt_lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=1, history_size=50,
                                  line_search_fn="strong_wolfe")
    path = None if checkpoint is None else Path(checkpoint)
    step, history = 0, []
    if path is not None and path.exists():
        state = _load(path, key)
        model.load_state_dict(state["model"])
        opt_adam.load_state_dict(state["adam"])
        opt_lbfgs.load_state_dict(state["lbfgs"])
        generator.set_state(state["rng"])
        step, history = int(state["iteration"]), list(state["history"])
    total = adam + lbfgs
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=min(step, total), desc="HiddenPINN")
    try:
        while step < total:
            if step < adam:
                for group in opt_adam.param_groups:  # a function of the step: nothing to save
                    group["lr"] = lr(step)
                opt_adam.zero_grad()
                loss, parts = loss_fn()
                loss.backward()
                opt_adam.step()
            else:
                first = []

                def closure():
                    opt_lbfgs.zero_grad()
                    loss, parts = loss_fn()
                    loss.backward()
                    first.append(parts)
                    return loss

                opt_lbfgs.step(closure)
                parts = first[0]
            if not math.isfinite(parts["loss"]):
                raise DiscoveryError(f"training diverged at iteration {step} (loss "
                                     f"{parts['loss']}); lower lr= or rescale the data.")
            history.append({"iteration": step, **parts})
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{parts['loss']:.3g}", phase="adam" if step <= adam
                                else "lbfgs")
            if path is not None and (step % every == 0 or step == total):
                _save(path, {"fingerprint": key, "iteration": step, "history": history,
                             "model": model.state_dict(), "adam": opt_adam.state_dict(),
                             "lbfgs": opt_lbfgs.state_dict(), "rng": generator.get_state()})
    finally:
        if bar is not None:
            bar.close()
    return history


def make_loss(model, points, values, measured, colloc, data_weight, residual_weight):
    """``loss_fn() -> (loss, parts)`` for :func:`train`."""
    scale = model.surrogate.out_scale[measured]

    def loss_fn():
        u = model.surrogate(points)[:, measured]
        data = (((u - values) / scale) ** 2).mean()
        residual = (model.residual(colloc) ** 2).mean()
        loss = data_weight * data + residual_weight * residual
        return loss, {"loss": loss.item(), "data": data.item(), "residual": residual.item()}

    return loss_fn


def sample_hidden(model, colloc, max_samples):
    """``{name: (X, y)}``: each hidden network's inputs and output on the learned trajectory
    (at most ``max_samples`` evenly spaced collocation points)."""
    idx = np.unique(np.linspace(0, colloc.shape[0] - 1, min(max_samples, colloc.shape[0]))
                    .round().astype(int))
    c = colloc[idx].detach().requires_grad_(True)
    _, v = model.values(c)
    out = {}
    for name, h in model.plan.hidden.items():
        X = np.stack([v[a].detach().cpu().numpy() for a in h.inputs], axis=1)
        out[name] = (X, v[h.output].detach().cpu().numpy())
    return out
