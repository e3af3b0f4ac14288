"""The ``symnum`` command.

``symnum gallery [--out DIR] [--quick] [--only NAME ...]`` runs every gallery
example in its own process, collects the figures they write, and writes
``DIR/index.html``; it exits non-zero when an example fails.
``symnum --version`` prints the version. Arguments are parsed by argparse;
no text is ever evaluated.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
symnum ...
0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import SymnumError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``symnum`` command."""
    parser = argparse.ArgumentParser(
        prog="symnum",
        description="symnum: SymPy models -> method of lines -> generated code -> solvers.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    g = sub.add_parser("gallery", help="run the example gallery and write an HTML index",
                       description="Run every gallery example (each in its own process), "
                                   "collect its figures and write OUT/index.html.")
    g.add_argument("--out", default="gallery_out", type=Path,
                   help="folder for figures, logs and index.html (default: gallery_out)")
    g.add_argument("--quick", action="store_true",
                   help="quick mode (SYMNUM_QUICK=1): small grids and short spans")
    g.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these examples (e.g. heat_1d or pde_1d/plot_heat_1d)")
    g.add_argument("--list", action="store_true", help="list the examples and exit")
    g.add_argument("--examples", type=Path, metavar="DIR",
                   help="folder of example topics (default: the packaged gallery)")
    g.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                   help="time limit of one example (default: 900)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``symnum`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"symnum {__version__}")
        return 0
    if args.command == "gallery":
        try:
            return _gallery(args)
        except SymnumError as exc:
            print(f"symnum gallery: error: {exc}", file=sys.stderr)
            return 2
    parser.print_help()
    return 0


def _gallery(args) -> int:
    from . import gallery

    if args.timeout <= 0:
        raise gallery.GalleryError(f"--timeout must be positive, got {args.timeout}.")
    root = gallery.examples_root(args.examples)
    examples = gallery.select(gallery.find_examples(root), args.only)
    if args.list:
        for ex in examples:
            print(f"{ex.key:40s} {ex.title}")
        return 0
    out: Path = args.out
    n = len(examples)
    mode = "quick" if args.quick else "full"
    print(f"symnum gallery: {n} example(s) from {root} in {mode} mode -> {out}", flush=True)
    outcomes = []
    t0 = time.perf_counter()
    try:
        for i, ex in enumerate(examples, 1):
            print(f"[{i}/{n}] {ex.key} ...", end=" ", flush=True)
            o = gallery.run_example(ex, out, quick=args.quick, timeout=args.timeout)
            outcomes.append(o)
            word = "ok" if o.ok else "FAILED"
            print(f"{word} ({o.seconds:.1f} s, {len(o.figures)} figure(s))", flush=True)
            if not o.ok:
                print("    " + o.tail.replace("\n", "\n    "), flush=True)
            gallery.write_index(out, outcomes, quick=args.quick, version=__version__)
    except KeyboardInterrupt:
        index = gallery.write_index(out, outcomes, quick=args.quick, version=__version__)
        print(f"\ninterrupted; {len(outcomes)} of {n} done, index at {index}", file=sys.stderr)
        return 130
    index = gallery.write_index(out, outcomes, quick=args.quick, version=__version__)
    failed = [o.example.key for o in outcomes if not o.ok]
    print(f"{n - len(failed)} passed, {len(failed)} failed in {time.perf_counter() - t0:.1f} s; "
          f"index: {index}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
