"""Symbolic-regression engines behind :func:`symnum.discover.sr.symbolic_regression`,
and the reading and cleaning of what they return.

Two adapters with one shape, ``run(X, y, n_vars, options) -> EngineRun``:

* ``pyoperon`` (a core dependency): ``pyoperon.sklearn.SymbolicRegressor`` with
  two objectives (R², length: an NSGA-II Pareto front) and Levenberg-Marquardt
  coefficient tuning (``optimizer_iterations=10``; its default 0 turns tuning off).
* ``pysr`` (optional, needs Julia): ``pysr.PySRRegressor`` with
  ``model_selection="best"``, read from its ``equations_`` DataFrame
  (``sympy_format`` column, the ``equation`` string as a fallback).

Engine output is text or SymPy in the engine's variable names; it is read with
``sympy.parse_expr`` under an explicit table of names (never ``eval`` of the
text), ``^`` becoming ``**``. ``pysr`` is imported only after a Julia executable
was found, since importing it without Julia tries to download one.

Examples
--------
>>> import sympy as sp
>>> v = sp.symbols("v0 v1")
>>> parse_engine_string("((-0.5) + (2.0 * X1) ^ 2)", "pyoperon", v)
4.0*v0**2 - 0.5
>>> parse_engine_string("square(x0) * inv(x1)", "pysr", v)
v0**2/v1
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from ..errors import BackendUnavailable, DiscoveryError

__all__ = ["ENGINES", "OPERATORS", "EngineRun", "julia_executable", "resolve_engine",
           "check_operators", "parse_engine_string", "run_engine", "clean", "simplified",
           "scored", "front_of", "select", "evaluate", "complexity"]

#: engine names; "auto" picks PySR when Julia and pysr are present, else pyoperon
ENGINES = ("auto", "pyoperon", "pysr")


@dataclass(frozen=True)
class _Op:
    arity: int
    operon: str | None  # pyoperon ``allowed_symbols`` name
    pysr: str | None    # PySR operator name


#: operators understood by ``operators=``: name -> arity and the name in each engine
#: (None: that engine lacks it)
OPERATORS = {
    "add": _Op(2, "add", "+"), "sub": _Op(2, "sub", "-"), "mul": _Op(2, "mul", "*"),
    "div": _Op(2, "div", "/"), "pow": _Op(2, "pow", "^"),
    "square": _Op(1, "square", "square"), "cube": _Op(1, None, "cube"),
    "exp": _Op(1, "exp", "exp"), "log": _Op(1, "log", "log"), "sqrt": _Op(1, "sqrt", "sqrt"),
    "cbrt": _Op(1, "cbrt", None), "abs": _Op(1, "abs", "abs"),
    "sin": _Op(1, "sin", "sin"), "cos": _Op(1, "cos", "cos"), "tan": _Op(1, "tan", "tan"),
    "sinh": _Op(1, "sinh", "sinh"), "cosh": _Op(1, "cosh", "cosh"),
    "tanh": _Op(1, "tanh", "tanh"), "asin": _Op(1, "asin", "asin"),
    "acos": _Op(1, "acos", "acos"), "atan": _Op(1, "atan", "atan"),
    "min": _Op(2, "fmin", "min"), "max": _Op(2, "fmax", "max"),
}

# Names the pyoperon infix formatter prints (log1p prints as log(a+1), aq as
# a/sqrt(1+b^2), fmin/fmax as min/max; powers with ^).
_OPERON_NAMES = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "cbrt": sp.cbrt, "abs": sp.Abs,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sinh": sp.sinh, "cosh": sp.cosh,
    "tanh": sp.tanh, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "min": sp.Min, "max": sp.Max,
}

# PySR's ``sympy_mappings`` (pysr/export_sympy.py, PySR 2.x), copied because that
# module cannot be imported without Julia.
_PYSR_NAMES = {
    "div": lambda x, y: x / y,
    "mult": lambda x, y: x * y,
    "sqrt": lambda x: sp.sqrt(x),
    "sqrt_abs": lambda x: sp.sqrt(abs(x)),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "plus": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "neg": lambda x: -x,
    "inv": lambda x: 1 / x,
    "pow": lambda x, y: x**y,
    "pow_abs": lambda x, y: abs(x) ** y,
    "cos": sp.cos, "sin": sp.sin, "tan": sp.tan,
    "cosh": sp.cosh, "sinh": sp.sinh, "tanh": sp.tanh, "exp": sp.exp,
    "acos": sp.acos, "asin": sp.asin, "atan": sp.atan,
    "acosh": lambda x: sp.acosh(x),
    "acosh_abs": lambda x: sp.acosh(abs(x) + 1),
    "asinh": sp.asinh,
    "atanh": lambda x: sp.atanh(sp.Mod(x + 1, 2) - sp.S(1)),
    "atanh_clip": lambda x: sp.atanh(sp.Mod(x + 1, 2) - sp.S(1)),
    "abs": sp.Abs, "mod": sp.Mod, "erf": sp.erf, "erfc": sp.erfc,
    "log": lambda x: sp.log(x),
    "log10": lambda x: sp.log(x, 10),
    "log2": lambda x: sp.log(x, 2),
    "log1p": lambda x: sp.log(x + 1),
    "log_abs": lambda x: sp.log(abs(x)),
    "log10_abs": lambda x: sp.log(abs(x), 10),
    "log2_abs": lambda x: sp.log(abs(x), 2),
    "log1p_abs": lambda x: sp.log(abs(x) + 1),
    "floor": sp.floor, "ceil": sp.ceiling, "sign": sp.sign, "gamma": sp.gamma,
    "round": lambda x: sp.ceiling(x - 0.5),
    "max": lambda x, y: sp.Piecewise((y, x < y), (x, True)),
    "min": lambda x, y: sp.Piecewise((x, x < y), (y, True)),
    "greater": lambda x, y: sp.Piecewise((1.0, x > y), (0.0, True)),
    "cond": lambda x, y: sp.Piecewise((y, x > 0), (0.0, True)),
    "relu": lambda x: sp.Piecewise((0.0, x < 0), (x, True)),
}

# the only globals parse_expr sees: number and symbol constructors, no builtins
_GLOBALS = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
            "Symbol": sp.Symbol, "__builtins__": {}}


@dataclass
class EngineRun:
    """What an engine returns: candidate expressions in the variables ``v0..``."""

    engine: str
    exprs: list                 # SymPy, one per Pareto member of the engine
    complexity: list            # the engine's own complexity of each
    predict: object             # predict(X, i) -> the engine's prediction of member i
    model: object = field(repr=False, default=None)  # the fitted engine estimator


def julia_executable() -> str | None:
    """Path of an existing Julia executable (``PYTHON_JULIACALL_EXE``, ``JULIA``, or
    ``julia`` on PATH), or None. Never imports juliacall or touches the network."""
    for var in ("PYTHON_JULIACALL_EXE", "JULIA"):
        path = os.environ.get(var)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("julia")


def resolve_engine(engine: str) -> str:
    """``"auto"`` -> ``"pysr"`` when Julia and the pysr package exist, else ``"pyoperon"``.

    >>> resolve_engine("pyoperon")
    'pyoperon'
    """
    if engine not in ENGINES:
        raise DiscoveryError(f"engine={engine!r} ({type(engine).__name__}) is not a symbolic "
                             f"regression engine; choose one of {list(ENGINES)}.")
    if engine == "auto":
        has_pysr = importlib.util.find_spec("pysr") is not None  # finds, does not import
        return "pysr" if julia_executable() and has_pysr else "pyoperon"
    return engine


def check_operators(operators, engine: str) -> list[str]:
    """Validate ``operators`` against :data:`OPERATORS` and the engine's own set."""
    if isinstance(operators, str):
        operators = [s.strip() for s in operators.split(",") if s.strip()]
    ops = list(operators)
    for op in ops:
        if op not in OPERATORS:
            raise DiscoveryError(f"unknown operator {op!r} in operators=; valid names: "
                                 f"{sorted(OPERATORS)}.")
        if getattr(OPERATORS[op], engine if engine == "pysr" else "operon") is None:
            have = sorted(k for k, v in OPERATORS.items()
                          if getattr(v, engine if engine == "pysr" else "operon"))
            raise DiscoveryError(f"operator {op!r} is not available in engine {engine!r}; "
                                 f"it has {have}. Drop it or choose another engine=.")
    if not any(OPERATORS[o].arity == 2 for o in ops):
        raise DiscoveryError(f"operators={ops} has no binary operator; include at least "
                             "'add' and 'mul'.")
    return ops


def parse_engine_string(text: str, engine: str, variables) -> sp.Expr:
    """Read one model string of ``engine`` into SymPy in ``variables``.

    pyoperon names variables ``X1..Xn`` (1-based), PySR ``x0..x{n-1}``. Parsing
    uses ``parse_expr`` with an explicit name table and no builtins; a name
    outside the table raises :class:`DiscoveryError`.
    """
    if engine == "pyoperon":
        names = {f"X{i + 1}": v for i, v in enumerate(variables)}
        table = _OPERON_NAMES
    else:
        names = {f"x{i}": v for i, v in enumerate(variables)}
        table = _PYSR_NAMES
    local = {**table, **names}
    text = text.replace("^", "**")
    bare = re.sub(r"(?<![A-Za-z_0-9])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", " ", text)
    unknown = sorted(set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", bare)) - set(local))
    if unknown:
        raise DiscoveryError(f"cannot read the {engine} model {text!r}: unknown name(s) "
                             f"{', '.join(map(repr, unknown))}.")
    expr = parse_expr(text, local_dict=local, global_dict=dict(_GLOBALS),
                      transformations=standard_transformations)
    return sp.sympify(expr)


def run_engine(engine: str, X, y, n_vars: int, opts: dict) -> EngineRun:
    """Run ``engine`` ("pyoperon" or "pysr") on writeable float64 ``X``, ``y``."""
    return _run_pyoperon(X, y, n_vars, opts) if engine == "pyoperon" else _run_pysr(X, y, n_vars, opts)


def _run_pyoperon(X, y, n_vars, opts) -> EngineRun:
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError as exc:  # a core dependency; a broken install lands here
        raise DiscoveryError(f"pyoperon cannot be imported ({exc}); reinstall symnum's "
                             "dependencies: pip install 'pyoperon>=0.6'.") from None
    variables = sp.symbols(f"v0:{n_vars}")
    symbols = [OPERATORS[o].operon for o in opts["operators"]]
    max_time = opts["max_time"]
    reg = SymbolicRegressor(
        allowed_symbols=",".join(symbols + ["constant", "variable"]),
        objectives=["r2", "length"],           # two objectives: a Pareto front (NSGA-II)
        optimizer_iterations=opts["optimizer_iterations"],  # default 0 = no coefficient tuning
        population_size=opts["population_size"] or 500,
        generations=opts["generations"] or 200,
        max_evaluations=10**15,                # bounded by generations and max_time instead
        max_length=opts["max_length"], max_depth=10,
        n_threads=opts["threads"],
        random_state=opts["seed"],
        max_time=None if max_time is None else max(1, int(math.ceil(max_time))),
    )
    reg.fit(X, y)
    trees = [m["tree"] for m in reg.pareto_front_]
    names = [f"X{i + 1}" for i in range(n_vars)]
    texts = [reg.get_model_string(tr, precision=17, names=names) for tr in trees]
    exprs = _read_all(texts, "pyoperon", variables)
    return EngineRun("pyoperon", exprs, [int(m["complexity"]) for m in reg.pareto_front_],
                     lambda Xn, i: reg.evaluate_model(trees[i], Xn), reg)


def _run_pysr(X, y, n_vars, opts) -> EngineRun:
    if julia_executable() is None:
        raise BackendUnavailable(
            "engine='pysr' needs Julia, and no Julia executable was found (PYTHON_JULIACALL_EXE, "
            "JULIA, or julia on PATH). Install Julia >= 1.10 (https://julialang.org/downloads) "
            "and `pip install pysr`, or use engine='pyoperon'.")
    if importlib.util.find_spec("pysr") is None:
        raise BackendUnavailable("engine='pysr' needs the pysr package: pip install pysr "
                                 "(or use engine='pyoperon').")
    try:
        from pysr import PySRRegressor
    except Exception as exc:  # juliacall set-up failures arrive as many types
        raise BackendUnavailable(f"pysr failed to load Julia ({type(exc).__name__}: {exc}); "
                                 "check the Julia installation, or use engine='pyoperon'.") from None
    variables = sp.symbols(f"v0:{n_vars}")
    ops = opts["operators"]
    seed = opts["seed"]
    kw = dict(
        binary_operators=[OPERATORS[o].pysr for o in ops if OPERATORS[o].arity == 2],
        unary_operators=[OPERATORS[o].pysr for o in ops if OPERATORS[o].arity == 1],
        maxsize=opts["max_length"], model_selection="best",
        optimizer_iterations=opts["optimizer_iterations"],
        timeout_in_seconds=opts["max_time"], verbosity=0, progress=False,
    )
    if opts["generations"]:
        kw["niterations"] = opts["generations"]
    if opts["population_size"]:
        kw["population_size"] = opts["population_size"]
    if seed is not None:  # reproducible only with deterministic=True and a serial search
        kw.update(random_state=seed, deterministic=True, parallelism="serial")
    else:
        kw.update(parallelism="multithreading", procs=opts["threads"])
    with tempfile.TemporaryDirectory(prefix="symnum-pysr-") as tmp:
        model = PySRRegressor(output_directory=tmp, **kw)
        model.fit(X, y, variable_names=[f"x{i}" for i in range(n_vars)])
    table = model.equations_
    rename = {sp.Symbol(f"x{i}"): v for i, v in enumerate(variables)}
    exprs = []
    for _, row in table.iterrows():
        e = row.get("sympy_format")
        if isinstance(e, sp.Basic):
            exprs.append(e.xreplace(rename))
        else:
            exprs.extend(_read_all([str(row["equation"])], "pysr", variables, strict=True))
    return EngineRun("pysr", exprs, [int(c) for c in table["complexity"]],
                     lambda Xn, i: model.predict(Xn, index=i), model)


def _read_all(texts, engine, variables, strict=False):
    """Parse every model string; a member the table cannot read (a ``nan`` constant)
    becomes ``nan`` and is dropped later, unless none can be read at all."""
    out = []
    for text in texts:
        try:
            out.append(parse_engine_string(text, engine, variables))
        except (DiscoveryError, SyntaxError, TypeError) as exc:
            if strict:
                raise DiscoveryError(f"cannot read the {engine} model {text!r}: {exc}") from None
            out.append(sp.nan)
    if texts and all(e is sp.nan for e in out):
        raise DiscoveryError(f"none of the {engine} models could be read, e.g. {texts[0]!r}.")
    return out


# -- engine output -> clean SymPy (the rules are in symnum.discover.sr's docstring) --

_SIG = 6            # significant digits kept in coefficients
_REL_DROP = 1e-6    # term RMS / largest term RMS in the same sum
_RESID_DROP = 0.1   # outer term RMS / member RMS residual
LOSS_FLOOR = 1e-9   # losses below this times mean(y**2) count as equal


def complexity(expr) -> int:
    """Number of nodes of the SymPy tree (each operation, symbol and number is one).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> complexity(2.5 * sp.exp(-x))   # Mul(2.5, exp(Mul(-1, x)))
    6
    """
    return sum(1 for _ in sp.preorder_traversal(expr))


def evaluate(expr, symbols, X) -> np.ndarray:
    """``expr`` at the rows of ``X`` as a float array of length n (constants broadcast)."""
    f = sp.lambdify(list(symbols), expr, "numpy")
    with np.errstate(all="ignore"):
        out = f(*(X[:, j] for j in range(X.shape[1])))
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()


def _rms(v) -> float:
    return float(np.sqrt(np.mean(np.square(v)))) if np.all(np.isfinite(v)) else np.inf


def _round(expr):
    """Floats to ``_SIG`` significant digits; whole numbers become Integers."""
    rep = {}
    for f in expr.atoms(sp.Float):
        r = float(f"{float(f):.{_SIG}g}")
        rep[f] = sp.Integer(int(r)) if r.is_integer() and abs(r) < 1e15 else sp.Float(r, 15)
    return expr.xreplace(rep)


def scored(expr, variables, X, y):
    """``(complexity, mean squared error on (X, y), expr)``; a non-finite error is inf."""
    loss = float(np.mean((evaluate(expr, variables, X) - y) ** 2))
    return (complexity(expr), loss if np.isfinite(loss) else np.inf, expr)


def clean(raw, variables, X, y, engine_pred):
    """Expand, round to ``_SIG`` digits, drop tiny terms (rules 1-3 of :mod:`symnum.discover.sr`).

    ``engine_pred`` is the engine's own prediction of this member on ``X``; its
    residual sets the cut for terms of the outermost sum.
    """
    expr = _round(sp.expand(raw))
    resid = _rms(engine_pred - y)

    def prune(e, outer):
        if not e.args:
            return e
        args = [prune(a, False) for a in e.args]
        if not e.is_Add:
            return e.func(*args)
        sizes = [_rms(evaluate(a, variables, X)) for a in args]
        cut = _REL_DROP * max(sizes)
        if outer and np.isfinite(resid):
            cut = max(cut, _RESID_DROP * resid)
        kept = [a for a, s in zip(args, sizes) if s > cut] or [args[int(np.argmax(sizes))]]
        return sp.Add(*kept)

    return prune(expr, True)


def simplified(expr):
    """:func:`symnum.simplify.simplify` under the "ops" cost, bounded; the input on failure."""
    from ..simplify import simplify
    from ..simplify.errors import SimplifyError, SimplifyWarning

    if expr.is_Atom:
        return expr
    try:
        with warnings.catch_warnings():
            # the simplifier returns its input when its own check fails; that is our fallback
            warnings.simplefilter("ignore", SimplifyWarning)
            out = simplify(expr, "ops", opaque=True, time_limit=0.5, node_limit=2000)
    except SimplifyError:
        return expr
    return _doubled(out)


def _doubled(e):
    """``a + a`` (which the "ops" cost ties with ``2*a``) written as ``2*a``."""
    if not e.args:
        return e
    args = [_doubled(a) for a in e.args]
    if e.is_Add and len(args) > 1 and all(a == args[0] for a in args):
        return sp.Mul(len(args), args[0], evaluate=False)
    return e.func(*args, evaluate=False) if e.is_Add or e.is_Mul else e.func(*args)


def front_of(members):
    """Sorted by complexity, duplicates removed, each strictly better than all simpler."""
    out, seen = [], set()
    for c, loss, e in sorted(members, key=lambda m: (m[0], m[1])):
        key = sp.srepr(e)
        if key in seen or (out and loss >= out[-1][1]):
            continue
        seen.add(key)
        out.append((c, loss, e))
    return out


def select(front, floor, base) -> int:
    """PySR's ``model_selection="best"`` with losses floored at ``floor``."""
    losses = np.maximum([m[1] for m in front], floor)
    ok = losses <= 1.5 * losses.min()
    # each score is measured from the previous member; the first from the constant
    # model mean(y) (complexity 1, loss var(y)), which the front may not contain
    prev_c, prev_loss = 1, max(base, floor)
    scores = np.zeros(len(front))
    for i, (c, _, _) in enumerate(front):
        scores[i] = -np.log(losses[i] / prev_loss) / max(c - prev_c, 1)
        prev_c, prev_loss = c, losses[i]
    scores[~ok] = -np.inf
    return int(np.argmax(scores))  # first maximum: the simplest of equal scores
