"""The gallery is a test: every example runs in quick mode and ends with its own assertions."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from symnum.gallery import find_examples

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = find_examples(EXAMPLES_DIR)


def test_examples_are_found():
    topics = {e.key.split("/")[0] for e in EXAMPLES}
    assert {"ode", "pde_1d", "pde_2d"} <= topics
    assert len(EXAMPLES) >= 7


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.key for e in EXAMPLES])
def test_example_form(example):
    """sphinx-gallery form: an RST title docstring, and the script ends with an assertion."""
    source = example.path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    doc = ast.get_docstring(tree)
    assert doc, "the script needs a docstring with an RST title"
    lines = doc.splitlines()
    assert set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), lines[:2]
    assert isinstance(tree.body[-1], ast.Assert), "the script must end with an assertion"
    assert "SYMNUM_QUICK" in source and "SYMNUM_GALLERY_OUT" in source
    assert len(source.splitlines()) <= 90


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.key for e in EXAMPLES])
def test_example_runs_quick(example, gallery_env, tmp_path):
    proc = subprocess.run([sys.executable, str(example.path)], cwd=tmp_path, env=gallery_env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (f"{example.key} failed:\n{proc.stdout[-3000:]}\n"
                                  f"{proc.stderr[-3000:]}")
    figures = list(tmp_path.glob("*.png"))
    assert figures, f"{example.key} wrote no figure into SYMNUM_GALLERY_OUT"
    assert all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)
