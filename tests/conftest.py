"""Shared pytest setup: markers ``slow``, ``gpu`` and ``julia``.

* ``gpu`` tests are skipped unless torch is installed and sees a CUDA device.
* ``julia`` tests are skipped unless a Julia executable exists
  (``PYTHON_JULIACALL_EXE``, ``JULIA``, or ``julia`` on PATH); detection never
  imports juliacall or touches the network.
* ``slow`` tests run by default; ``pytest -m "not slow"`` leaves them out.

Plots are drawn with the Agg backend so that tests never need a display.
"""

from __future__ import annotations

import functools
import os
import shutil

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@functools.lru_cache(maxsize=None)
def cuda_available() -> bool:
    """True when torch imports and reports a CUDA device (torch is imported only here)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@functools.lru_cache(maxsize=None)
def julia_executable() -> str | None:
    """Path of an existing Julia executable, or None."""
    for var in ("PYTHON_JULIACALL_EXE", "JULIA"):
        path = os.environ.get(var)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("julia")


def pytest_collection_modifyitems(config, items):
    skip_gpu = skip_julia = None
    for item in items:
        if "gpu" in item.keywords:
            if skip_gpu is None:  # decided once, and only if some test asks for it
                skip_gpu = (None if cuda_available() else
                            pytest.mark.skip(reason="needs torch with a CUDA device"))
            if skip_gpu is not None:
                item.add_marker(skip_gpu)
        if "julia" in item.keywords:
            if skip_julia is None:
                skip_julia = (None if julia_executable() else
                              pytest.mark.skip(reason="needs a Julia executable "
                                               "(PYTHON_JULIACALL_EXE, JULIA or julia on PATH)"))
            if skip_julia is not None:
                item.add_marker(skip_julia)


@pytest.fixture
def gallery_env(tmp_path):
    """Environment for running gallery scripts: quick mode, figures into ``tmp_path``."""
    env = dict(os.environ, SYMNUM_QUICK="1", SYMNUM_GALLERY_OUT=str(tmp_path),
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    return env


def _register_codegen_models() -> None:
    """Load ``tests/codegen/models.py`` once as ``symnum_tests_codegen_models`` (by path:
    test folders are not packages), for tests in other folders that share its models."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "symnum_tests_codegen_models"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parent / "codegen" / "models.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_register_codegen_models()
