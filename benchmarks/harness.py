"""Shared timing, table and JSON helpers for the benchmarks (run by hand, not in tests).

Each benchmark script times symnum and its peers side by side in one run, prints
a table with ratios to the best peer, and writes ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def time_call(fn, repeats: int = 5, warmup: int = 1) -> dict:
    """Median/min wall time of ``fn()`` over ``repeats`` warm calls; ``first`` is the cold call."""
    first = None
    out = None
    for k in range(warmup):
        t0 = time.perf_counter()
        out = fn()
        if k == 0:
            first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "min": min(times), "n": repeats,
            "first": first, "result": out}


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def print_table(rows: list[dict], columns: list[str], title: str = "") -> None:
    """Print ``rows`` (dicts) as an aligned text table with the given columns."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
              for i, c in enumerate(columns)]
    if title:
        print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def write_json(name: str, rows: list[dict], **meta) -> Path:
    """Write rows and machine metadata to ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    clean = [{k: v for k, v in r.items() if k != "result"} for r in rows]
    doc = {"benchmark": name, "machine": platform.platform(), "python": platform.python_version(),
           "cpus": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M:%S"), **meta,
           "rows": clean}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2, default=float))
    print(f"wrote {path}")
    return path
