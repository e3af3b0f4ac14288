"""Generated source files live in a cache directory and are imported from there.

The directory is ``$SYMNUM_CACHE_DIR`` or ``~/.cache/symnum``; each module is
named by the hash of its source, so a model compiles once (numba caches its
machine code beside the file) and the user can read what runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["cache_dir", "load_source"]


def cache_dir() -> Path:
    """The directory holding generated modules (created on first use)."""
    root = os.environ.get("SYMNUM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "symnum")
    path = Path(root) / "generated"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_source(source: str, stem: str):
    """Write ``source`` to ``<cache>/<stem>_<hash>.py`` (if new) and import it.

    Returns ``(module, path)``.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    name = f"symnum_gen_{stem}_{digest}"
    if name in sys.modules:
        mod = sys.modules[name]
        return mod, mod.__file__
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod, str(path)
