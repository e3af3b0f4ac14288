"""A small training loop with a progress bar, periodic checkpoints and exact resume.

:class:`Trainer` owns the step counter. Every ``every`` steps (and at the
end) it writes ``step_XXXXXXXX.pt`` into ``checkpoint_dir`` atomically
(temporary file, then rename): the model's and optimizer's state, the step,
the history, and the random states of torch, NumPy and Python. On
:meth:`Trainer.fit` it first loads the newest checkpoint, so a run that was
killed restarts from the last checkpoint and, as long as ``loss_fn`` draws its
randomness from those generators, repeats exactly what the killed run would
have done: the parameters after ``N`` steps are bitwise those of an
uninterrupted run.

Examples
--------
>>> import torch, tempfile
>>> torch.manual_seed(0) and None
>>> model = torch.nn.Linear(1, 1)
>>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
>>> loss = lambda m, step: ((m(torch.ones(1, 1)) - 2.0) ** 2).mean()
>>> with tempfile.TemporaryDirectory() as d:
...     tr = Trainer(model, opt, loss, checkpoint_dir=d, every=5, progress=False).fit(10)
...     again = Trainer(model, opt, loss, checkpoint_dir=d, progress=False).fit(12)
>>> tr.step, again.step, len(again.history), again.history[-1]["loss"] < 1e-3
(10, 12, 12, True)
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import numpy as np
import torch

from .errors import NeuralError, NeuralTypeError

__all__ = ["Trainer"]

_NAME = re.compile(r"step_(\d{8})\.pt$")


class Trainer:
    """Run ``loss_fn(model, step)`` -> backward -> ``optimizer.step()`` for a number of steps.

    Parameters
    ----------
    model : torch.nn.Module
    optimizer : torch.optim.Optimizer
    loss_fn : callable ``(model, step) -> loss``
        Draws its batch itself (use torch's, NumPy's global or Python's random
        generators: they are checkpointed).
    checkpoint_dir : str or Path, optional
        Where checkpoints go; ``None`` keeps nothing.
    every : int
        Checkpoint period in steps.
    keep : int
        Newest checkpoints kept (older ones are deleted).
    progress : bool
        Show a tqdm progress bar (loss, and NFE when the model has ``stats``).
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped after every optimizer step; its state is checkpointed.
    clip : float, optional
        Clip the gradient norm to this value before each step.

    Attributes
    ----------
    step : int
        Steps done so far (continues across resumes).
    history : list of dict
        ``{"step", "loss", "nfe"}`` per step.
    """

    def __init__(self, model, optimizer, loss_fn, *, checkpoint_dir=None, every: int = 100,
                 keep: int = 2, progress: bool = True, scheduler=None, clip: float | None = None):
        if not isinstance(model, torch.nn.Module):
            raise NeuralTypeError(f"model={model!r} ({type(model).__name__}) is not a "
                                  "torch.nn.Module")
        if not callable(loss_fn):
            raise NeuralTypeError("loss_fn must be a callable (model, step) -> loss tensor")
        if not (isinstance(every, int) and every > 0 and isinstance(keep, int) and keep > 0):
            raise NeuralError(f"every={every!r}, keep={keep!r} must be positive integers; pass "
                              "e.g. every=100, keep=2")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        if clip is not None and not (isinstance(clip, (int, float)) and clip > 0):
            raise NeuralError(f"clip={clip!r} must be a positive number or None")
        self.every, self.keep, self.progress = every, keep, progress
        self.scheduler, self.clip = scheduler, clip
        self.step = 0
        self.history: list = []

    # -- checkpoints -------------------------------------------------------------------------
    def checkpoints(self) -> list:
        """Checkpoint files in ``checkpoint_dir``, oldest first."""
        if self.dir is None or not self.dir.exists():
            return []
        return sorted(p for p in self.dir.iterdir() if _NAME.match(p.name))

    def save(self) -> Path | None:
        """Write a checkpoint of the current step (atomically) and prune old ones."""
        if self.dir is None:
            return None
        self.dir.mkdir(parents=True, exist_ok=True)
        state = {"step": self.step, "history": self.history,
                 "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "torch_rng": torch.get_rng_state(), "numpy_rng": np.random.get_state(),
                 "python_rng": random.getstate()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        path = self.dir / f"step_{self.step:08d}.pt"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        for old in self.checkpoints()[:-self.keep]:
            old.unlink(missing_ok=True)
        return path

    def restore(self) -> bool:
        """Load the newest checkpoint if there is one; True when it did."""
        found = self.checkpoints()
        if not found:
            return False
        state = torch.load(found[-1], weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        np.random.set_state(state["numpy_rng"])
        random.setstate(state["python_rng"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.history = int(state["step"]), list(state["history"])
        return True

    # -- training ----------------------------------------------------------------------------
    def fit(self, steps: int) -> "Trainer":
        """Train until ``self.step == steps`` (resuming from the newest checkpoint first)."""
        if not (isinstance(steps, int) and steps >= 0):
            raise NeuralError(f"steps={steps!r} must be a non-negative integer")
        self.restore()
        self.model.train()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, initial=min(self.step, steps), desc="training")
        try:
            while self.step < steps:
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model, self.step)
                loss.backward()
                if self.clip is not None:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                stats = getattr(self.model, "stats", None)
                entry = {"step": self.step, "loss": float(loss.detach()),
                         "nfe": getattr(stats, "nfe", None)}
                self.history.append(entry)
                self.step += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{entry['loss']:.3g}", nfe=entry["nfe"])
                if self.step % self.every == 0 or self.step == steps:
                    self.save()
        finally:
            if bar is not None:
                bar.close()
        return self
