"""Registers the solver tests' problem modules before the tests import them.

``stiff_problems.py`` and ``numba_problems.py`` are loaded by path (test
folders are not packages, and this does not depend on how pytest puts them on
``sys.path``) under the fixed names ``symnum_tests_stiff_problems`` and
``symnum_tests_numba_problems``; a test imports them by those names. A fixed
name keeps the numba kernels module attributes, so the compiled Rosenbrock
loops built on them are cached on disk between test runs (see
``symnum/solvers/rosenbrock_compiled.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _register(stem: str) -> None:
    name = f"symnum_tests_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{stem}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_register("stiff_problems")
_register("numba_problems")          # uses stiff_problems
