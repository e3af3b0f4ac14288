"""PROSE: a multimodal transformer that reads trajectories (and optionally a symbolic guess)
and predicts the governing equations as symbols and the solution beyond the observed window.

Modules: :mod:`.tokens` (SymPy <-> prefix tokens), :mod:`.families` and
:mod:`.generator` (training data built on ``sn.solve``), :mod:`.model` (the
torch model), :mod:`.train`, :mod:`.evaluate`, :mod:`.checkpoint`,
:mod:`.inference`, :mod:`.refine` and :mod:`.estimator` (:class:`PROSE`).
Command line: ``python -m symnum.discover.prose --help``. torch is imported
only when a model is built or loaded.
"""

from __future__ import annotations

import importlib

__all__ = ["PROSE"]


def __getattr__(name):
    if name == "PROSE":
        value = importlib.import_module(f"{__name__}.estimator").PROSE
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
