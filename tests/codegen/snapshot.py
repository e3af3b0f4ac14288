"""Snapshot files of generated code, stored under ``tests/codegen/snapshots``.

A change to generated code shows as a diff of these files. To accept a change,
run the tests with ``SYMNUM_UPDATE_SNAPSHOTS=1`` and commit the rewritten files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with the stored file ``snapshots/name`` (writing it on request)."""
    path = SNAPSHOTS / name
    if os.environ.get("SYMNUM_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with SYMNUM_UPDATE_SNAPSHOTS=1 to write it, "
                    "then review and commit it.")
    expected = path.read_text()
    if expected != text:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"stored/{name}", f"generated/{name}", n=2))
        pytest.fail(f"generated code differs from snapshot {name} (rerun with "
                    f"SYMNUM_UPDATE_SNAPSHOTS=1 to accept):\n{diff[:6000]}")
