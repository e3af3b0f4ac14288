"""One compiled ``Rosenbrock23`` loop per problem, cached on disk where possible.

The loop's source (:func:`~symnum.solvers.rosenbrock_numba.ros23_loop`) calls
the globals ``_rhs`` and ``_jac``. For each problem it is compiled in a small
generated module that binds them to the problem's numba dispatchers::

    _rhs = getattr(sys.modules["<rhs module>"], "rhs")
    _jac = getattr(sys.modules["<jac module>"], "jac")

    @njit(cache=True)
    def ros23_loop(p, y0, ctrl, saveat, record, dense): ...   # the source, copied

so numba inlines them and caches the machine code beside the module: a new
process loads it in a fraction of a second instead of compiling for seconds.
The module's name hashes the full source files of the ``rhs`` and ``jac``
modules and of :mod:`~symnum.solvers.rosenbrock_numba`, so editing any of them
compiles afresh instead of running stale code. (A change in a *third* module
that ``rhs`` calls into is not seen -- numba's own ``cache=True`` has the same
blind spot.) Functions that are not module attributes with a source file
(closures, doctest or REPL definitions) get the same source compiled in
process, without the disk cache.

After the first call the driver's compiled entry point is called directly: it
skips numba's argument-type dispatch, which is a noticeable share of a
microsecond-scale solve. That is safe only because the callers
(:mod:`~symnum.solvers.rosenbrock`) always pass the one signature it was
compiled for: C-contiguous float64 arrays and Python bools.

Examples
--------
>>> import numpy as np
>>> from numba import njit
>>> rhs = njit(lambda t, y, p, out: out.__setitem__(0, -p[0] * y[0]))
>>> jac = njit(lambda t, y, p, J: J.__setitem__((0, 0), -p[0]))
>>> drive = compiled_driver(rhs, jac)
>>> drive is compiled_driver(rhs, jac)
True
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


__all__ = ["compiled_driver", "TEMPLATES"]

_DRIVERS: dict = {}


class _Driver:
    """Calls a numba dispatcher, then its compiled entry point once it exists."""

    __slots__ = ("dispatcher", "entry", "cached")

    def __init__(self, dispatcher, cached: bool):
        self.dispatcher, self.entry, self.cached = dispatcher, None, cached

    def __call__(self, *args):
        entry = self.entry
        if entry is not None:
            return entry(*args)
        out = self.dispatcher(*args)
        sigs = self.dispatcher.signatures
        if len(sigs) == 1:       # numba internals: fall back to dispatch if they change
            cres = self.dispatcher.overloads.get(sigs[0])
            self.entry = getattr(cres, "entry_point", None)
        return out


#: loop kind -> (module holding the template, template name)
TEMPLATES = {"ros23": ("rosenbrock_numba", "ros23_loop"), "rodas": ("rodas_numba", "rodas_loop")}


def compiled_driver(rhs, jac, kind: str = "ros23") -> _Driver:
    """The compiled loop ``kind`` (a key of :data:`TEMPLATES`) specialized to ``rhs``, ``jac``."""
    key = (rhs, jac, kind)
    drv = _DRIVERS.get(key)
    if drv is None:
        disp = _disk_cached(rhs, jac, kind)
        drv = (_Driver(disp, True) if disp is not None
               else _Driver(_in_process(rhs, jac, kind), False))
        _DRIVERS[key] = drv
    return drv


def _template(kind):
    """``(module, template name, its source, the globals it takes from the module)``."""
    import importlib
    import inspect

    modname, name = TEMPLATES[kind]
    m = importlib.import_module(f"{__package__}.{modname}")
    code = getattr(m, name).__code__
    names = sorted(k for k in code.co_names if k in vars(m) and k not in ("_rhs", "_jac"))
    return m, name, inspect.getsource(getattr(m, name)), names


def _in_process(rhs, jac, kind):
    from numba import njit

    m, name, source, names = _template(kind)
    ns = {k: getattr(m, k) for k in names}
    ns.update(_rhs=rhs, _jac=jac)
    exec(compile(source, f"<symnum {name}>", "exec"), ns)   # our own source, not input
    return njit(ns[name])


def _module_attr(fn):
    """``(module name, attribute, file bytes)`` when ``fn`` is a module attribute with a file."""
    py = getattr(fn, "py_func", None)
    name = getattr(py, "__name__", None)
    mod = sys.modules.get(getattr(py, "__module__", None) or "")
    path = getattr(mod, "__file__", None)
    if not name or mod is None or getattr(mod, name, None) is not fn or not path:
        return None
    try:
        return mod.__name__, name, Path(path).read_bytes()
    except OSError:
        return None


def _disk_cached(rhs, jac, kind):
    import numba

    from ..codegen.cache import load_source
    from . import rosenbrock_numba

    parts = [_module_attr(rhs), _module_attr(jac)]
    if None in parts:
        return None
    try:
        m, loop, template, names = _template(kind)
    except OSError:            # no source (e.g. a zipped install): compile in process
        return None
    digest = hashlib.sha256()
    for mod, name, text in parts:
        digest.update(f"{mod}:{name}:".encode() + text)
    for helpers in {m.__file__, rosenbrock_numba.__file__}:   # the template and its helpers
        digest.update(Path(helpers).read_bytes())
    digest.update(numba.__version__.encode())
    (rmod, rname, _), (jmod, jname, _) = parts
    source = (
        f'"""{loop} for one problem, generated by symnum (safe to delete)."""\n'
        f"# inputs: {digest.hexdigest()}\n"
        "import sys\n\nfrom numba import njit\n\n"
        f"from {m.__name__} import {', '.join(names)}\n\n"
        f"_rhs = getattr(sys.modules[{rmod!r}], {rname!r})\n"
        f"_jac = getattr(sys.modules[{jmod!r}], {jname!r})\n\n\n"
        "@njit(cache=True)\n" + template)
    try:
        module, _ = load_source(source, kind)
    except OSError:            # read-only cache directory: compile in process
        return None
    return getattr(module, loop)
