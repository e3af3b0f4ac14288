"""PROSE weights on disk: one ``.pt`` file with the configuration, the vocabulary, the weights and a model card.

A checkpoint is a plain dictionary of tensors, strings and numbers, so it loads
with ``torch.load(..., weights_only=True)`` (no pickled code runs). The weights
are stored in float16 and come back as float32. The small model that ships with
symnum lives in ``weights/prose_small.pt`` next to this module; its model card
(training data, size, metrics) is ``weights/MODEL_CARD.md``.

Examples
--------
>>> import tempfile, os
>>> from symnum.discover.prose.model import CONFIGS, ProseModel
>>> model = ProseModel(CONFIGS["small"])
>>> with tempfile.TemporaryDirectory() as d:
...     path = save(model, os.path.join(d, "m.pt"), card={"note": "untrained"})
...     again, card = load(path)
>>> card["note"], type(again).__name__
('untrained', 'ProseModel')
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ...errors import DiscoveryError
from . import tokens

__all__ = ["save", "load", "default_path", "default_model", "VOCAB_ARGS"]

#: the vocabulary every checkpoint uses: ``tokens.vocabulary(**VOCAB_ARGS)``.
VOCAB_ARGS = {"max_states": 3, "precision": 3}
_FORMAT = 1


def default_path() -> Path:
    """The shipped small checkpoint."""
    return Path(__file__).parent / "weights" / "prose_small.pt"


def save(model, path, card=None):
    """Write ``model`` (a :class:`~symnum.discover.prose.model.ProseModel`) to ``path`` atomically."""
    import torch

    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    blob = {"format": _FORMAT, "config": model.config.to_dict(),
            "vocab": tokens.vocabulary(**VOCAB_ARGS), "state_dict": state, "card": dict(card or {})}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)
    return path


def load(path, device="cpu"):
    """``(model, card)`` from a file written by :func:`save`; the model is in eval mode."""
    import torch

    from .model import ProseConfig, ProseModel

    path = Path(path)
    if not path.is_file():
        raise DiscoveryError(f"no PROSE checkpoint at {path}. Train one with `python -m "
                             "symnum.discover.prose train`, or leave checkpoint=None to use the "
                             "model that ships with symnum.")
    try:
        blob = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not a checkpoint
        raise DiscoveryError(f"{path} is not a PROSE checkpoint ({exc}).") from exc
    if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
        raise DiscoveryError(f"{path} is not a PROSE checkpoint of format {_FORMAT}.")
    if blob["vocab"] != tokens.vocabulary(**VOCAB_ARGS):
        raise DiscoveryError(f"{path} was written with another token vocabulary than this "
                             "version of symnum; retrain it.")
    model = ProseModel(ProseConfig.from_dict(blob["config"]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in blob["state_dict"].items()})
    return model.to(device).eval(), blob["card"]


@functools.lru_cache(maxsize=4)
def default_model(path=None, device="cpu"):
    """The model at ``path`` (default: the shipped one), loaded once per process."""
    return load(default_path() if path is None else path, device)
