"""Find, run and index the example gallery (used by ``symnum gallery``).

The gallery scripts live in the repository's ``examples/<topic>/plot_<name>.py``.
A wheel built by ``pip install .`` carries a copy of them as package data in
``symnum/_examples`` (``setup.py`` copies them at build time); an editable or
source checkout uses the repository folder directly. Each script runs in its
own Python process with ``SYMNUM_GALLERY_OUT`` set to a folder for its figures
(and ``SYMNUM_QUICK=1`` in quick mode); titles are read from the docstrings
with :mod:`ast`, never by executing text.

Examples
--------
>>> src = "'''\\nDecay\\n=====\\n\\nA first example.\\n'''\\nx = 1\\n"
>>> ex = Example.from_source(Path("examples/ode/plot_decay.py"), src)
>>> ex.key, ex.title, ex.description
('ode/plot_decay', 'Decay', 'A first example.')
"""

from __future__ import annotations

import ast
import datetime as _dt
import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SymnumError

__all__ = ["Example", "Outcome", "examples_root", "find_examples", "select", "run_example",
           "write_index", "GalleryError"]

FIGURE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")

#: Optional packages an example may import, with how to get them; an example whose
#: optional package is missing is skipped (not failed), with this hint.
OPTIONAL = {"torch": 'pip install "symnum[torch]"', "jax": 'pip install "symnum[jax]"'}


def _optional_imports(tree) -> tuple[str, ...]:
    """Top-level names of the :data:`OPTIONAL` packages a script imports."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return tuple(sorted(found & set(OPTIONAL)))


def missing_requirements(ex: "Example") -> list[str]:
    """The optional packages ``ex`` needs that this Python cannot import."""
    import importlib.util

    return [m for m in ex.requires if importlib.util.find_spec(m) is None]


class GalleryError(SymnumError, ValueError):
    """The gallery's examples cannot be found or selected."""


@dataclass(frozen=True)
class Example:
    """One gallery script: where it is, its ``topic/stem`` key, and its docstring title."""

    path: Path
    key: str
    title: str
    description: str = ""
    requires: tuple = ()

    @classmethod
    def from_source(cls, path: Path, source: str) -> "Example":
        doc, requires = "", ()
        try:
            tree = ast.parse(source, filename=str(path))
            doc = ast.get_docstring(tree) or ""
            requires = _optional_imports(tree)
        except SyntaxError:
            pass  # still listed; running it will report the error
        lines = [ln.strip() for ln in doc.splitlines()]
        title = next((ln for ln in lines if ln), path.stem)
        rest = lines[lines.index(title) + 1:] if title in lines else []
        if rest and rest[0] and set(rest[0]) <= set("=-~^*#"):
            rest = rest[1:]
        para: list[str] = []
        for ln in rest:
            if ln:
                para.append(ln)
            elif para:
                break
        return cls(path=path, key=f"{path.parent.name}/{path.stem}", title=title,
                   description=" ".join(para), requires=requires)

    @property
    def short(self) -> str:
        """The stem without its ``plot_`` prefix (``heat_1d``)."""
        return self.path.stem.removeprefix("plot_")


@dataclass
class Outcome:
    """What running one example gave."""

    example: Example
    ok: bool
    seconds: float
    returncode: int | None
    figures: list[Path] = field(default_factory=list)
    log: Path | None = None
    tail: str = ""
    skipped: str = ""       # why it did not run (a missing optional package), else ""


def examples_root(explicit: str | Path | None = None) -> Path:
    """The folder holding the gallery's topic folders.

    ``explicit`` (``--examples DIR``) if given, else ``$SYMNUM_EXAMPLES`` if set,
    else the copy packaged in the installed wheel (``symnum/_examples``), then
    the repository checkout beside the package (``<repo>/examples``). A folder
    counts when it holds ``<topic>/plot_*.py`` scripts.
    """
    here = Path(__file__).resolve().parent
    if explicit:  # asked for by name: that folder or an error, never a silent fallback
        candidates = [Path(explicit)]
    elif os.environ.get("SYMNUM_EXAMPLES"):
        candidates = [Path(os.environ["SYMNUM_EXAMPLES"])]
    else:
        candidates = [here / "_examples", here.parent / "examples"]
    for c in candidates:
        if c.is_dir() and any(c.glob("*/plot_*.py")):
            return c
    raise GalleryError(
        "cannot find the gallery scripts; looked in " + ", ".join(map(str, candidates)) +
        " (a folder of <topic>/plot_*.py scripts). Reinstall with `pip install .` from "
        "the repository, or pass --examples DIR."
    )


def find_examples(root: Path) -> list[Example]:
    """Every ``<topic>/plot_*.py`` under ``root``, sorted by topic then name."""
    paths = sorted(root.glob("*/plot_*.py"))
    return [Example.from_source(p, p.read_text(encoding="utf-8")) for p in paths]


def select(examples: list[Example], only: list[str] | None) -> list[Example]:
    """Keep the examples named in ``only`` (key, stem, or stem without ``plot_``)."""
    if not only:
        return list(examples)
    chosen, unknown = [], []
    for name in only:
        name = name.removesuffix(".py")
        hits = [e for e in examples if name in (e.key, e.path.stem, e.short)]
        if not hits:
            unknown.append(name)
        chosen += [h for h in hits if h not in chosen]
    if unknown:
        raise GalleryError(f"no example named {unknown}; valid names: "
                           f"{[e.short for e in examples]} (or their topic/plot_ keys).")
    return [e for e in examples if e in chosen]  # gallery order


def run_example(ex: Example, out: Path, *, quick: bool, timeout: float | None) -> Outcome:
    """Run one script in a fresh Python process; its figures land in ``out/<topic>/<stem>``."""
    folder = out / ex.key
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    missing = missing_requirements(ex)
    if missing:
        why = "needs " + ", ".join(f"{m} ({OPTIONAL[m]})" for m in missing)
        return Outcome(ex, True, 0.0, None, skipped=why)
    env = dict(os.environ, SYMNUM_GALLERY_OUT=str(folder.resolve()), MPLBACKEND="Agg",
               PYTHONUNBUFFERED="1")
    env.pop("SYMNUM_QUICK", None)
    if quick:
        env["SYMNUM_QUICK"] = "1"
    log = folder / "log.txt"
    t0 = time.perf_counter()
    rc: int | None
    with open(log, "w", encoding="utf-8") as fh:
        try:
            rc = subprocess.run([sys.executable, str(ex.path.resolve())], cwd=folder, env=env,
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = None
            fh.write(f"\n[symnum gallery] timed out after {timeout} s\n")
    seconds = time.perf_counter() - t0
    figures = sorted(p for p in folder.iterdir() if p.suffix.lower() in FIGURE_SUFFIXES)
    ok = rc == 0 and bool(figures)
    tail = ""
    if not ok:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        if rc == 0:
            lines.append("[symnum gallery] the script wrote no figure into SYMNUM_GALLERY_OUT")
        tail = "\n".join(lines[-25:])
    return Outcome(ex, ok, seconds, rc, figures, log, tail)


def write_index(out: Path, outcomes: list[Outcome], *, quick: bool, version: str) -> Path:
    """Write ``out/index.html`` (and ``out/gallery.json``) for the outcomes so far."""
    out.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    passed = sum(o.ok and not o.skipped for o in outcomes)
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>symnum gallery</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>symnum gallery</h1>",
        f'<p class="meta">symnum {esc(version)} &middot; {stamp} &middot; '
        f'{"quick" if quick else "full"} mode &middot; {passed} of {len(outcomes)} passed'
        f" &middot; {sum(o.seconds for o in outcomes):.1f} s in all</p>",
        "<ul class=\"toc\">",
    ]
    for o in outcomes:
        parts.append(f'<li><a href="#{esc(o.example.key)}">{esc(o.example.title)}</a> '
                     f'<span class="{_cls(o)}">{_word(o)}</span></li>')
    parts.append("</ul>")
    for o in outcomes:
        ex = o.example
        parts += [f'<section id="{esc(ex.key)}">',
                  f"<h2>{esc(ex.title)}</h2>",
                  f'<p class="meta"><code>{esc(ex.key)}.py</code> &middot; '
                  f'<span class="{_cls(o)}">{_word(o)}</span> &middot; {o.seconds:.2f} s'
                  + (f' &middot; <a href="{esc(_rel(o.log, out))}">log</a>' if o.log else "")
                  + "</p>"]
        if ex.description:
            parts.append(f"<p>{_rst_inline(ex.description)}</p>")
        for fig in o.figures:
            parts.append(f'<img src="{esc(_rel(fig, out))}" alt="{esc(ex.title)}">')
        if o.tail:
            parts.append(f"<pre>{esc(o.tail)}</pre>")
        parts.append("</section>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    summary = [{"key": o.example.key, "title": o.example.title, "ok": o.ok,
                "skipped": o.skipped,
                "seconds": round(o.seconds, 3), "returncode": o.returncode,
                "figures": [_rel(f, out) for f in o.figures]} for o in outcomes]
    (out / "gallery.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return index


def _rst_inline(text: str) -> str:
    """Escaped HTML of a docstring paragraph: RST math and literals as <code>, *x* as <em>.

    >>> _rst_inline("see *ODEs II*, :math:`a<b` and ``f(x)``")
    'see <em>ODEs II</em>, <code>a&lt;b</code> and <code>f(x)</code>'
    """
    out = html.escape(text, quote=False)
    out = re.sub(r":math:`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"``([^`]+)``", r"<code>\1</code>", out)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", out)


def _word(o: Outcome) -> str:
    if o.skipped:
        return f"skipped: {o.skipped}"
    if o.ok:
        return "passed"
    return "timed out" if o.returncode is None else f"failed (exit {o.returncode})"


def _cls(o: Outcome) -> str:
    return "skip" if o.skipped else "ok" if o.ok else "fail"


def _rel(p: Path, out: Path) -> str:
    return Path(os.path.relpath(p, out)).as_posix()


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}h1{margin-bottom:.2em}.meta{color:#555}.ok{color:#17803d;font-weight:600}"
    ".fail{color:#b42318;font-weight:600}.skip{color:#8a6d00}section{border-top:1px solid #ddd;margin-top:2em}"
    "img{max-width:100%;display:block;margin:1em 0;border:1px solid #eee}"
    "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:85%}.toc li{margin:.2em 0}"
)
