"""One compiled Rosenbrock loop per problem and method, cached on disk where possible.

The loop's source (:func:`~symnum.solvers.rosenbrock_numba.rosenbrock_loop`)
calls the globals ``_rhs`` and ``_jac`` and runs the method named by the
global ``METHOD``. For each problem and method it is compiled in a small
generated module that binds them::

    from symnum.solvers.rosenbrock_numba import _arrays, ...   # its other globals
    METHOD = 0
    _rhs = getattr(sys.modules["<rhs module>"], "rhs")
    _jac = getattr(sys.modules["<jac module>"], "jac")

    @njit(cache=True)
    def rosenbrock_loop(p, y0, ctrl, tab, saveat, record, dense): ...   # copied

with a copy of each function of that module that calls ``_rhs`` or ``_jac``,
so numba inlines them and caches the machine code beside the module: a new
process loads it in a fraction of a second instead of compiling for seconds.
The module's name hashes the full source files of the ``rhs`` and ``jac``
modules and of every module whose code the loop contains, so editing any of
them compiles afresh instead of running stale code. (A change in a *third*
module that ``rhs`` calls into is not seen -- numba's own ``cache=True`` has
the same blind spot.) Functions that are not module attributes with a source
file (closures, doctest or REPL definitions) get the same source compiled in
process, without the disk cache.

After the first call the driver's compiled entry point is called directly: it
skips numba's argument-type dispatch, which is a noticeable share of a
microsecond-scale solve. That is safe only because the callers
(:mod:`~symnum.solvers.rosenbrock`) always pass the one signature it was
compiled for: C-contiguous float64 arrays, the method's ``tab`` tuple (always
the same types for a method) and Python bools.

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
import types
from pathlib import Path


__all__ = ["compiled_driver", "METHODS"]

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


#: method kind -> the name of its ``METHOD`` value in :mod:`~symnum.solvers.rosenbrock_numba`
METHODS = {"ros23": "ROS23", "rodas": "RODAS"}


def compiled_driver(rhs, jac, kind: str = "ros23") -> _Driver:
    """The compiled loop for method ``kind`` (a key of :data:`METHODS`) and ``rhs``, ``jac``."""
    key = (rhs, jac, kind)
    drv = _DRIVERS.get(key)
    if drv is None:
        disp = _disk_cached(rhs, jac, kind)
        drv = (_Driver(disp, True) if disp is not None
               else _Driver(_in_process(rhs, jac, kind), False))
        _DRIVERS[key] = drv
    return drv


def _template():
    """``(functions compiled per problem, {name: object} of the globals they use)``.

    The functions are those of :mod:`~symnum.solvers.rosenbrock_numba` that call
    ``_rhs`` or ``_jac``; every other global they use is imported from there,
    except the ones each copy binds (``_rhs``, ``_jac``, ``METHOD``).
    """
    from . import rosenbrock_numba as m

    funcs = {k: f for k, f in vars(m).items() if isinstance(f, types.FunctionType)
             and f.__module__ == m.__name__ and {"_rhs", "_jac"} & set(f.__code__.co_names)}
    used = {k for f in funcs.values() for k in f.__code__.co_names}
    names = {k: getattr(m, k) for k in sorted(used - set(funcs) - {"_rhs", "_jac", "METHOD"})
             if hasattr(m, k)}          # (attribute names are in co_names too)
    return funcs, names


def _in_process(rhs, jac, kind):
    import inspect

    from numba import njit

    from . import rosenbrock_numba

    funcs, names = _template()
    ns = dict(names, _rhs=rhs, _jac=jac, METHOD=getattr(rosenbrock_numba, METHODS[kind]))
    for name, fn in funcs.items():       # our own source, not input
        exec(compile(inspect.getsource(fn), f"<symnum {name}>", "exec"), ns)
    for name in funcs:                   # numba resolves the globals when it compiles
        ns[name] = njit(ns[name])
    return ns["rosenbrock_loop"]


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
    import inspect

    import numba

    from ..codegen.cache import load_source
    from . import rosenbrock_numba

    parts = [_module_attr(rhs), _module_attr(jac)]
    if None in parts:
        return None
    funcs, names = _template()
    try:
        sources = [inspect.getsource(fn) for fn in funcs.values()]
    except OSError:            # no source (e.g. a zipped install): compile in process
        return None
    digest = hashlib.sha256()
    for mod, name, text in parts:
        digest.update(f"{mod}:{name}:".encode() + text)
    # every module whose code the loop contains: numba's cache of the generated module
    # would not see a change there
    used = {rosenbrock_numba.__name__}
    for obj in names.values():
        fn = getattr(obj, "py_func", obj)
        if isinstance(fn, types.FunctionType):
            used.add(fn.__module__)
    for mod in sorted(used):
        digest.update(Path(sys.modules[mod].__file__).read_bytes())
    digest.update(numba.__version__.encode())
    (rmod, rname, _), (jmod, jname, _) = parts
    source = (
        f'"""The Rosenbrock loop ({kind}) for one problem, generated by symnum (safe to '
        'delete)."""\n'
        f"# inputs: {digest.hexdigest()}\n"
        "import sys\n\nfrom numba import njit\n\n"
        f"from {rosenbrock_numba.__name__} import {', '.join(names)}\n\n"
        f"METHOD = {getattr(rosenbrock_numba, METHODS[kind])}\n"
        f"_rhs = getattr(sys.modules[{rmod!r}], {rname!r})\n"
        f"_jac = getattr(sys.modules[{jmod!r}], {jname!r})\n"
        + "".join(f"\n\n@njit(cache=True)\n{src}" for src in sources))
    try:
        module, _ = load_source(source, kind)
    except OSError:            # read-only cache directory: compile in process
        return None
    return module.rosenbrock_loop
