"""Training PROSE on generated data, with progress, checkpoints and exact resume.

Each step draws a batch from the generated shards (:mod:`.generator`) and
makes it harder the way the model will meet real data:

* observation noise: each trajectory gets the paper's relative noise
  (``||noise|| = gamma ||y||``) with ``gamma`` uniform in ``[0, max_noise]``;
* sparse sampling: a random 16 to 64 of the 64 samples of the input window
  ``t in [0, 2)`` are kept (the data encoder is a set encoder: time is a feature);
* a symbolic guess (the corrupted skeleton of the shard's ``source``) with
  probability ``p_source``, none otherwise.

The loss is the paper's ``data_weight * L_data + L_text``: ``L_data`` the
relative squared error of the operator decoder at ``n_query`` random times in
``t in [2, 6]``, ``L_text`` the cross-entropy of the symbol decoder (teacher
forcing). Adam with linear warm-up and cosine decay, gradient clipping at 1.
The loop is :class:`symnum.neural.train.Trainer`: a killed run resumes from
its newest checkpoint and repeats exactly what it would have done.

Command line: ``python -m symnum.discover.prose train DATA RUN --steps 20000``
(see :mod:`symnum.discover.prose.__main__`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ...errors import DiscoveryError
from .inference import D_MAX, N_IN, T_IN, inputs

__all__ = ["Batcher", "make_model", "train", "export", "losses"]


class Batcher:
    """Random training batches from loaded shards (``generator.load(dir)``).

    Draws its randomness from NumPy's global generator (checkpointed by the
    trainer, so a resumed run draws the same batches).
    """

    def __init__(self, data, *, max_noise=0.05, min_keep=16, n_query=32, p_source=0.5):
        self.t = np.asarray(data["t"], dtype=float)
        self.y = np.asarray(data["y"], dtype=np.float32)
        self.dim = np.asarray(data["dim"], dtype=np.int64)
        self.target = np.asarray(data["target"], dtype=np.int64)
        self.source = np.asarray(data["source"], dtype=np.int64)
        self.n_in = int(np.count_nonzero(self.t < T_IN))
        if self.n_in > N_IN:
            raise DiscoveryError(f"the data have {self.n_in} samples in t < {T_IN}; the model "
                                 f"takes at most {N_IN}.")
        self.out = np.flatnonzero(self.t >= T_IN)
        self.max_noise, self.min_keep = float(max_noise), int(min_keep)
        self.n_query, self.p_source = int(n_query), float(p_source)

    def __len__(self):
        return len(self.dim)

    @staticmethod
    def noisy(y, dim, gamma):
        """``y`` (B, T, D_MAX) with relative noise ``gamma[b]`` on each trajectory's valid states
        (:func:`~symnum.discover.prose.generator.add_noise` at level 1, scaled per trajectory)."""
        from .generator import add_noise

        return y + np.asarray(gamma)[:, None, None] * (add_noise(y, 1.0, np.random, dim) - y)

    def sample(self, model, batch_size, noise=None, with_source=None, index=None):
        """One batch as model tensors (a dict). ``noise`` fixes gamma; ``with_source`` forces
        the symbolic guess on or off (default: random); ``index`` picks the systems and keeps
        all their input samples (for evaluation)."""
        import torch

        idx = (np.random.randint(len(self), size=batch_size) if index is None
               else np.asarray(index))
        batch_size = len(idx)
        dim = self.dim[idx]
        y_in = self.y[idx, :self.n_in].astype(float)
        gamma = (np.random.uniform(0, self.max_noise, batch_size) if noise is None
                 else np.full(batch_size, float(noise)))
        y_in = self.noisy(y_in, dim, gamma)
        keep = (np.random.randint(self.min_keep, self.n_in + 1, size=batch_size)
                if index is None else np.full(batch_size, self.n_in))
        order = np.argsort(np.random.random((batch_size, self.n_in)), axis=1)
        mask = np.argsort(order, axis=1) >= keep[:, None]  # a random `keep` samples stay
        t_in = np.broadcast_to(self.t[:self.n_in], (batch_size, self.n_in))
        x, x_mask, scale = inputs(model, t_in, y_in, mask, dim)
        q = np.sort(self.out[np.argsort(np.random.random((batch_size, self.out.size)),
                                        axis=1)[:, :self.n_query]], axis=1)
        y_q = torch.as_tensor(self.y[idx[:, None], q], dtype=torch.float32) / scale[:, None, None]
        use = (np.random.random(batch_size) < self.p_source if with_source is None
               else np.full(batch_size, bool(with_source)))
        src = np.where(use[:, None], self.source[idx], 0)
        src = src[:, :max(1, int(np.max(np.count_nonzero(src, axis=1))))]
        tgt = self.target[idx]
        tgt = tgt[:, :int(np.max(np.count_nonzero(tgt, axis=1)))]
        valid = torch.as_tensor(np.arange(D_MAX)[None, :] < dim[:, None])
        return {"x": x, "x_mask": x_mask, "src": torch.as_tensor(src), "tgt": torch.as_tensor(tgt),
                "query_t": torch.as_tensor(self.t[q] / T_IN, dtype=torch.float32), "y_q": y_q,
                "valid": valid, "scale": scale, "index": idx}


def losses(model, batch):
    """``(L_data, L_text)`` of one batch (see the module docstring)."""
    import torch

    pred, logits = model(batch["x"], batch["x_mask"], batch["src"], batch["tgt"][:, :-1],
                         batch["query_t"])
    v = batch["valid"][:, None, :].float()
    err = ((pred - batch["y_q"]) ** 2 * v).sum(dim=(1, 2))
    ref = (batch["y_q"] ** 2 * v).sum(dim=(1, 2)).clamp_min(1e-8)
    l_data = (err / ref).mean()
    out = batch["tgt"][:, 1:]
    l_text = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               out.reshape(-1), ignore_index=0)
    return l_data, l_text


def make_model(config="small", **overrides):
    """A fresh model from a preset name (``"small"``, ``"base"``) or a ProseConfig."""
    from dataclasses import replace

    from .model import CONFIGS, ProseConfig, ProseModel

    if isinstance(config, str):
        if config not in CONFIGS:
            raise DiscoveryError(f"unknown PROSE configuration {config!r}; choose one of "
                                 f"{', '.join(map(repr, CONFIGS))}.")
        config = CONFIGS[config]
    if not isinstance(config, ProseConfig):
        raise DiscoveryError(f"config must be a preset name or a ProseConfig; got {config!r}.")
    return ProseModel(replace(config, **overrides))


def _schedule(warmup, steps, floor=0.05):
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        frac = min(1.0, (step - warmup) / max(1, steps - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))
    return factor


def train(data_dir, run_dir, *, steps=20000, config="small", batch_size=64, lr=1e-3,
          warmup=500, data_weight=6.0, max_noise=0.05, p_source=0.5, seed=0, every=500,
          progress=True, threads=None, device="auto"):
    """Train (or resume training) a PROSE model; returns ``(model, trainer)``.

    ``run_dir`` holds the trainer's checkpoints (``step_*.pt``); rerunning the
    same call after an interruption continues from the newest one. ``steps`` is
    the total, so a larger value later extends a finished run (the learning-rate
    schedule is defined by it: keep it fixed within one run). ``device="auto"``
    trains on a CUDA GPU when torch sees one (batches are drawn on the CPU).
    """
    import random

    import torch

    from ...neural.train import Trainer
    from .generator import load

    if threads:
        torch.set_num_threads(int(threads))
    data = load(data_dir)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = make_model(config).to(device)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = {"config": model.config.to_dict(), "data": str(data_dir), "steps": steps,
                "batch_size": batch_size, "lr": lr, "warmup": warmup, "data_weight": data_weight,
                "max_noise": max_noise, "p_source": p_source, "seed": seed,
                "families": list(data["families"]), "n_train": int(len(data["dim"]))}
    (run_dir / "settings.json").write_text(json.dumps(settings, indent=2))
    batcher = Batcher(data, max_noise=max_noise, p_source=p_source)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(warmup, steps))

    def loss_fn(m, step):
        batch = {k: v.to(device) if torch.is_tensor(v) else v
                 for k, v in batcher.sample(m, batch_size).items()}
        l_data, l_text = losses(m, batch)
        return data_weight * l_data + l_text

    trainer = Trainer(model, opt, loss_fn, checkpoint_dir=run_dir, every=every,
                      progress=progress, scheduler=sched, clip=1.0)
    trainer.fit(steps)
    model.cpu().eval()
    return model, trainer


def export(run_dir, out, card=None):
    """Write the newest checkpoint of a training run as a model file
    (:func:`symnum.discover.prose.checkpoint.save`); returns its path."""
    import torch

    from .checkpoint import save
    from .model import ProseConfig, ProseModel

    run_dir = Path(run_dir)
    found = sorted(run_dir.glob("step_*.pt"))
    if not found or not (run_dir / "settings.json").is_file():
        raise DiscoveryError(f"{run_dir} holds no training run (settings.json and step_*.pt); "
                             "train one with `python -m symnum.discover.prose train`.")
    settings = json.loads((run_dir / "settings.json").read_text())
    state = torch.load(found[-1], map_location="cpu", weights_only=False)
    model = ProseModel(ProseConfig.from_dict(settings["config"]))
    model.load_state_dict(state["model"])
    losses_tail = [h["loss"] for h in state["history"][-200:]]
    info = {"training": {k: v for k, v in settings.items() if k != "config"},
            "steps_done": int(state["step"]),
            "final_loss": float(np.mean(losses_tail)) if losses_tail else None,
            "parameters": int(sum(p.numel() for p in model.parameters()))}
    info.update(card or {})
    return save(model, out, card=info)
