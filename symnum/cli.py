"""The ``symnum`` command.

``symnum gallery [--out DIR] [--quick] [--only NAME ...]`` runs every gallery
example in its own process, collects the figures they write, and writes
``DIR/index.html``; it exits non-zero when an example fails.
``symnum export TARGET --to LANG [--out DIR] [--name NAME] [--points N | AXIS=N ...]
[--order P] [--script] [--simplify]`` writes a model or expression as code in
LANG (one of ``symnum.codegen.export.LANGUAGES``). TARGET is
``path/to/file.py:attribute`` or ``package.module:attribute`` naming a SymPy
expression, ``ODESystem``, ``PDESystem`` or ``ODEProblem``; the file or module is
imported, as pytest or uvicorn import user code. A ``PDESystem`` is discretized
with ``--points`` per axis (one number for every axis, or ``x=64 y=32``) and
stencils of accuracy ``--order`` (default 2). The files go to ``--out`` (default:
the current folder) and their paths are printed.
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
import importlib
import importlib.util
import sys
import time
from pathlib import Path

from . import __version__
from .errors import CodegenError, SymnumError

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
    x = sub.add_parser("export", help="write a model or expression as C, Fortran, Julia, "
                                      "NumPy, PyTorch or JAX code",
                       description="Import TARGET (path/to/file.py:attribute or "
                                   "package.module:attribute) and write it as code in LANG.")
    x.add_argument("target", metavar="TARGET",
                   help="file.py:attribute or package.module:attribute")
    x.add_argument("--to", required=True, metavar="LANG", dest="language",
                   help="language: " + ", ".join(_languages()))
    x.add_argument("--out", default=Path("."), type=Path, metavar="DIR",
                   help="folder for the files (default: the current folder)")
    x.add_argument("--name", default=None,
                   help="base name of files and functions (default: the attribute's name)")
    x.add_argument("--points", nargs="+", metavar="N|AXIS=N",
                   help="grid points of a PDESystem: one number for every axis, or AXIS=N each")
    x.add_argument("--order", type=int, default=2, help="accuracy order of the stencils (default: 2)")
    x.add_argument("--script", action="store_true",
                   help="also write a runnable driver where the language has one")
    x.add_argument("--simplify", action="store_true", help="simplify with e-graphs first")
    return parser


def _languages():
    from .codegen.export import LANGUAGES

    return LANGUAGES


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
    if args.command == "export":
        try:
            return _export(args)
        except SymnumError as exc:
            print(f"symnum export: error: {exc}", file=sys.stderr)
            return 2
    parser.print_help()
    return 0


def _load_target(target: str):
    """The object named by ``file.py:attr`` or ``package.module:attr``, imported, never evaluated."""
    where, sep, attr = target.rpartition(":")
    if not sep or not where or not attr:
        raise CodegenError(f"TARGET {target!r} needs the form path/to/file.py:attribute or "
                           "package.module:attribute.")
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.is_file():
            raise CodegenError(f"no file {str(path)!r} (from TARGET {target!r}).")
        modname = "symnum_export_target_" + "".join(c if c.isalnum() else "_" for c in path.stem)
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.resolve().parent))  # let the file import its neighbours
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise CodegenError(f"importing {str(path)!r} failed: {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise CodegenError(f"cannot import module {where!r} (from TARGET {target!r}): {exc}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n in vars(module) if not n.startswith("_"))
            raise CodegenError(f"{where!r} has no attribute {attr!r}; it defines: "
                               f"{', '.join(names[:30]) or 'nothing'}.")
        obj = getattr(obj, part)
    return obj, attr.split(".")[-1]


def _points(values, system):
    """``--points`` as a FiniteDifference points dict for ``system``'s axes."""
    axes = list(system.axes)
    if len(values) == 1 and "=" not in values[0]:
        n = _count(values[0])
        return {a: n for a in axes}
    points = {}
    for v in values:
        key, eq, num = v.partition("=")
        match = [a for a in axes if str(a) == key]
        if not eq or not match:
            raise CodegenError(f"--points {v!r}: give AXIS=N with AXIS one of "
                               f"{[str(a) for a in axes]}, or a single N for every axis.")
        points[match[0]] = _count(num)
    missing = [str(a) for a in axes if a not in points]
    if missing:
        raise CodegenError(f"--points gives no number for the axes {missing}; add "
                           + " ".join(f"{m}=64" for m in missing) + ".")
    return points


def _count(text):
    if not text.isdigit():
        raise CodegenError(f"--points {text!r}: a number of points must be a positive integer.")
    return int(text)


def _export(args) -> int:
    from .codegen.export import LANGUAGES, export
    from .discretize import FiniteDifference
    from .model import PDESystem

    if args.language.lower() not in LANGUAGES:
        raise CodegenError(f"unknown language --to {args.language!r}; valid: "
                           f"{', '.join(LANGUAGES)}.")
    obj, attr = _load_target(args.target)
    method = None
    if isinstance(obj, PDESystem):
        if not args.points:
            raise CodegenError("TARGET is a PDESystem: give the grid with --points, e.g. "
                               f"--points 64 or --points {' '.join(f'{a}=64' for a in obj.axes)}.")
        method = FiniteDifference(_points(args.points, obj), order=args.order)
    elif args.points:
        raise CodegenError(f"--points applies to a PDESystem; {attr!r} is a "
                           f"{type(obj).__name__}. Drop --points.")
    exp = export(obj, args.language, name=args.name or attr, method=method, script=args.script,
                 simplify=args.simplify)
    for path in exp.write(args.out):
        print(path)
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
            if o.skipped:
                print(f"skipped: {o.skipped}", flush=True)
                gallery.write_index(out, outcomes, quick=args.quick, version=__version__)
                continue
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
    skipped = [o.example.key for o in outcomes if o.skipped]
    print(f"{n - len(failed) - len(skipped)} passed, {len(failed)} failed"
          + (f", {len(skipped)} skipped" if skipped else "")
          + f" in {time.perf_counter() - t0:.1f} s; index: {index}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
