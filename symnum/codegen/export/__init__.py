"""Export models and expressions as standalone source code in other languages.

:func:`export` takes a SymPy expression (or several), an ``ODESystem``, a
``PDESystem`` (with a discretization method) or an ``ODEProblem`` and returns an
:class:`Export`: the generated files, ready to be written to a folder. Each
language lives in one module of this package, imported only when asked for,
that provides ``export_expression(exprs, name, args)`` and
``export_problem(problem, name, *, script=False)``.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> exp = export(sp.sin(x) * y, "numpy", name="f")
>>> exp.main
'f.py'
>>> print(str(exp).split("def ")[1].splitlines()[0])
f(x, y):
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from ...errors import CodegenError

__all__ = ["export", "Export", "LANGUAGES"]

# language -> (module of this package, file name of the main file)
_REGISTRY = {
    "c": ("c", "{name}.c"),
    "c-program": ("c_program", "{name}_main.c"),
    "fortran": ("fortran", "{name}.f90"),
    "julia": ("julia", "{name}.jl"),
    "numpy": ("numpy_export", "{name}.py"),
    "torch": ("torch_export", "{name}.py"),
    "jax": ("jax_export", "{name}.py"),
}
LANGUAGES = tuple(_REGISTRY)

# Names a generated file would shadow or that are keywords in a target language.
# Fortran is case-insensitive and has no reserved words; its names hold at most
# 63 characters, and the longest suffix added to NAME is "_main"/"_tspan".
_RESERVED = frozenset(keyword.kwlist) | frozenset((
    # C99
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while main "
    # Julia
    "baremodule begin catch do else elseif end export false finally for function global if "
    "import let local macro module quote return struct true try using while abstract mutable "
    "primitive type "
    # modules the generated Python imports
    "math numpy jnp jax torch scipy").split())
_MAX_NAME = 57
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass
class Export:
    """Generated source files of one model or expression in one language.

    Attributes
    ----------
    language : str
        One of :data:`LANGUAGES`.
    files : dict of str to str
        File name -> file text.
    main : str
        The file to read first (``str(export)`` returns its text).

    Examples
    --------
    >>> import sympy as sp
    >>> exp = export(sp.Symbol("x") ** 2, "numpy", name="square")
    >>> sorted(exp.files)
    ['square.py']
    """

    language: str
    files: dict = field(default_factory=dict)
    main: str = ""

    def __str__(self) -> str:
        return self.files[self.main]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k!r}: {len(v)} chars" for k, v in self.files.items())
        return f"Export(language={self.language!r}, main={self.main!r}, files={{{sizes}}})"

    def write(self, directory=".") -> list[Path]:
        """Write every file into ``directory`` (created if missing); returns their paths.

        Examples
        --------
        >>> import sympy as sp, tempfile
        >>> exp = export(sp.Symbol("x") + 1, "numpy", name="inc")
        >>> [p.name for p in exp.write(tempfile.mkdtemp())]
        ['inc.py']
        """
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        paths = []
        for fname, text in self.files.items():
            path = root / fname
            path.write_text(text)
            paths.append(path)
        return paths


def export(obj, language: str, *, name: str = "model", method=None, script: bool = False,
           simplify: bool = False, args=None) -> Export:
    """Generate standalone source code for ``obj`` in ``language``.

    Parameters
    ----------
    obj : sympy.Expr, list of sympy.Expr, sympy.Matrix, ODESystem, PDESystem or ODEProblem
        A system is discretized first (``sn.discretize``); a ``PDESystem`` needs ``method``.
    language : str
        One of :data:`LANGUAGES`: ``"c"``, ``"c-program"``, ``"fortran"``,
        ``"julia"``, ``"numpy"``, ``"torch"``, ``"jax"``.
    name : str
        Base name of the files and functions: a letter, then letters, digits or
        underscores, and no keyword of a target language.
    method : FiniteDifference, optional
        The discretization of a ``PDESystem``.
    script : bool
        Also emit a runnable driver where the language has one (a Julia script
        with DifferentialEquations.jl, a ``__main__`` block for NumPy).
    simplify : bool
        Simplify with :func:`symnum.simplify.simplify` first (expressions), or
        discretize with ``simplify=True`` (systems).
    args : sequence of sympy.Symbol, optional
        Argument order of an exported expression (default: its free symbols
        sorted by name). It must contain every free symbol.

    Returns
    -------
    Export

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
    >>> decay = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial=[sp.Eq(y(0), 1)],
    ...                      parameters={k: 0.5}, tspan=(0, 1))
    >>> exp = export(decay, "numpy", name="decay")
    >>> exp  # doctest: +ELLIPSIS
    Export(language='numpy', main='decay.py', files={'decay.py': ... chars})
    >>> "def rhs(t, y, p=P0):" in str(exp)
    True
    """
    lang = _language(language)
    name = _check_name(name)
    module = _module(lang)
    exprs = _expressions(obj)
    if exprs is not None:
        if method is not None:
            raise CodegenError("method= applies to a PDESystem only; an expression is exported "
                               "as it is. Drop method=.")
        if script:
            raise CodegenError("script=True applies to models (ODESystem, PDESystem, ODEProblem), "
                               "not to expressions. Drop script=True.")
        if simplify:
            exprs = [_simplifier()(e) for e in exprs]
        arglist = _check_args(exprs, args, name)
        if not hasattr(module, "export_expression"):
            others = [k for k in LANGUAGES if hasattr(_module(k), "export_expression")]
            raise CodegenError(f"the {lang!r} export takes a model (ODESystem, PDESystem, "
                               f"ODEProblem), not an expression; for an expression use one of "
                               f"{', '.join(map(repr, others))}.")
        files = module.export_expression(exprs, name, arglist)
    else:
        if args is not None:
            raise CodegenError("args= orders the arguments of an exported expression; a model's "
                               "functions take (t, y, p). Drop args=.")
        problem = _problem(obj, method, simplify)
        files = module.export_problem(problem, name, script=script)
    main = _REGISTRY[lang][1].format(name=name)
    if main not in files:
        main = next(iter(files))
    return Export(language=lang, files=dict(files), main=main)


def _module(lang):
    """The language's module, imported on first use."""
    return importlib.import_module(f".{_REGISTRY[lang][0]}", __name__)


# -- validation ------------------------------------------------------------------------
def _language(language) -> str:
    if isinstance(language, str) and language.lower() in _REGISTRY:
        return language.lower()
    raise CodegenError(f"unknown export language {language!r} ({type(language).__name__}); "
                       f"valid: {', '.join(map(repr, LANGUAGES))}.")


def _check_name(name) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise CodegenError(
            f"export name {name!r} is not an identifier in every target language; use a letter "
            "followed by letters, digits or underscores, e.g. name='heat_1d'.")
    if name.lower() in _RESERVED:
        raise CodegenError(f"export name {name!r} is a keyword or module name in a target "
                           f"language; pick another, e.g. name='{name}_model'.")
    if len(name) > _MAX_NAME:
        raise CodegenError(f"export name {name!r} has {len(name)} characters; Fortran allows "
                           f"{_MAX_NAME} here. Use a shorter name=.")
    return name


def _expressions(obj):
    """``obj`` as a list of SymPy expressions, or None when it is a model."""
    if isinstance(obj, str):
        raise CodegenError(f"cannot export the string {obj!r}: strings are never parsed. Build "
                           "the expression with SymPy (e.g. sp.sin(x) * y) and pass it.")
    if isinstance(obj, sp.MatrixBase):
        return list(obj)
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [sp.Float(obj)]
    if isinstance(obj, sp.Expr):
        return [obj]
    if isinstance(obj, (list, tuple)):
        bad = [e for e in obj if not isinstance(e, (sp.Expr, int, float)) or isinstance(e, bool)]
        if not obj or bad:
            raise CodegenError(
                f"cannot export {obj!r}: a list must hold SymPy expressions"
                + (f"; got {bad[0]!r} ({type(bad[0]).__name__})." if bad else ", and it is empty."))
        return [sp.sympify(e) for e in obj]
    return None


def _check_args(exprs, args, name):
    free = set().union(*(e.free_symbols for e in exprs))
    if args is None:
        arglist = sorted(free, key=lambda s: s.name)
    else:
        arglist = list(args) if not isinstance(args, sp.Symbol) else [args]
        bad = [a for a in arglist if not isinstance(a, sp.Symbol)]
        if bad:
            raise CodegenError(f"args= must hold SymPy symbols; got {bad[0]!r} "
                               f"({type(bad[0]).__name__}).")
        dup = sorted({a.name for a in arglist if arglist.count(a) > 1})
        if dup:
            raise CodegenError(f"args= names {dup} more than once; give each symbol once.")
        missing = sorted((s for s in free if s not in arglist), key=lambda s: s.name)
        if missing:
            raise CodegenError(
                f"args= lacks the free symbols {[s.name for s in missing]} of the expression; "
                f"pass args={[s.name for s in sorted(free, key=lambda s: s.name)]} in the order "
                "you want.")
    if any(a.name == name for a in arglist):
        raise CodegenError(f"export name {name!r} is also an argument of the expression; "
                           f"choose another name=, e.g. name='{name}_fn'.")
    return arglist


def _simplifier():
    try:
        from ...simplify import simplify
    except ImportError as exc:
        raise CodegenError(f"simplify=True needs symnum.simplify, which failed to import ({exc}); "
                           "export with simplify=False.") from None
    return simplify


def _problem(obj, method, simplify):
    from ...discretize import ODEProblem, discretize
    from ...model import ODESystem, PDESystem

    if isinstance(obj, ODEProblem):
        if method is not None:
            raise CodegenError("method= applies to a PDESystem; this ODEProblem is already "
                               "discretized. Drop method=.")
        if simplify:
            raise CodegenError("simplify=True needs the system: pass the ODESystem/PDESystem to "
                               "export, or build the problem with sn.discretize(system, method, "
                               "simplify=True).")
        return obj
    if isinstance(obj, PDESystem):
        if method is None:
            axes = ", ".join(f"{a}: 64" for a in obj.axes)
            raise CodegenError(
                "exporting a PDESystem needs a discretization: pass method=, e.g. "
                f"method=sn.FiniteDifference({{{axes}}}, order=2).")
    elif isinstance(obj, ODESystem):
        if method is not None:
            raise CodegenError("an ODESystem needs no discretization; drop method=.")
    else:
        raise CodegenError(
            f"cannot export {type(obj).__name__} ({obj!r:.80}); pass a SymPy expression, a list "
            "or Matrix of them, an sn.ODESystem, an sn.PDESystem (with method=) or an "
            "sn.ODEProblem.")
    if not simplify:
        return discretize(obj, method)
    if "simplify" not in inspect.signature(discretize).parameters:
        raise CodegenError("simplify=True for a system needs sn.discretize(..., simplify=True), "
                           "which this version of symnum lacks; export with simplify=False.")
    return discretize(obj, method, simplify=True)
