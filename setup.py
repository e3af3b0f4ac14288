"""Build hook: ship the gallery scripts (examples/) inside the wheel as symnum/_examples.

Everything else is configured in pyproject.toml. ``symnum gallery`` finds the
packaged copy after ``pip install .`` and the repository's examples/ folder in
an editable or source checkout (see symnum/gallery.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithExamples(build_py):
    """build_py that also copies examples/<topic>/* into <build>/symnum/_examples."""

    def run(self):
        super().run()
        src = HERE / "examples"
        if getattr(self, "editable_mode", False) or not src.is_dir():
            return  # editable installs read the repository's examples/ directly
        dst = Path(self.build_lib) / "symnum" / "_examples"
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithExamples})
