"""Julia export: the model's data and in-place right-hand side for DifferentialEquations.jl.

The generated file ``NAME.jl`` defines

* ``const NAME_n``, ``NAME_u0``, ``NAME_p`` (defaults, in ``problem.param_symbols`` order)
  and ``NAME_tspan``;
* ``NAME_rhs!(du, u, p, t)``: ``du = f(t, u, p)``, the same function as
  ``problem.functions("numpy").rhs``, with 1-based arrays;
* ``NAME_jac!(J, u, p, t)`` (problems without space axes): the dense Jacobian;
* ``NAME_jac_rows``, ``NAME_jac_cols`` (problems with space axes): the 1-based
  sparsity pattern of the Jacobian, for ``jac_prototype``.

With ``script=True`` the file ends with a complete script that solves the problem
with ``Rodas5P`` from OrdinaryDiffEq (v7: ``Rodas5P`` is among the solvers that
``using OrdinaryDiffEq`` still exports) and prints the final state. Work arrays are
allocated with ``similar(u, ...)`` so that the function accepts the dual numbers
of automatic differentiation. Padded fields have their dimensions reversed
(``P0[i1, i0]``) so that the innermost loop runs over contiguous memory.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> JuliaPrinter().doprint(sp.Max(x, 0) + x**2 / 3)
'(1/3)*x^2 + max(0.0, x)'
>>> print(export_expression([sp.sin(x)], "f", [x])["f.jl"].splitlines()[-2])
    return sin(x)
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.numbers import equal_valued
from sympy.printing.codeprinter import CodePrinter
from sympy.printing.julia import JuliaCodePrinter
from sympy.printing.precedence import precedence

from ...errors import CodegenError
from ..printers import piecewise_chain

__all__ = ["JuliaPrinter", "export_expression", "export_problem", "syntax_errors", "called_names",
           "SCRIPT_NAMES"]

LANGUAGE = "Julia"

#: SymPy function name -> Julia ``Base`` function (nothing that needs SpecialFunctions.jl).
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "asin": "asin", "acos": "acos", "atan": "atan", "acot": "acot", "asec": "asec",
    "acsc": "acsc", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "coth": "coth",
    "sech": "sech", "csch": "csch", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
    "acoth": "acoth", "asech": "asech", "acsch": "acsch", "exp": "exp", "log": "log",
    "Abs": "abs", "sign": "sign", "floor": "floor", "ceiling": "ceil", "atan2": "atan",
    "Mod": "mod",
}

#: Names the generated files call, by the package that exports them (pinned: Julia 1.10+,
#: OrdinaryDiffEq v7, SparseArrays from the standard library). Tests check every call
#: in a generated file against this list.
SCRIPT_NAMES = {
    "OrdinaryDiffEq": ("ODEFunction", "ODEProblem", "solve", "Rodas5P", "Tsit5"),
    "SparseArrays": ("sparse",),
    "Base": ("similar", "promote_type", "typeof", "eltype", "ones", "length", "println",
             "max", "min", "ifelse", "sqrt", "cbrt") + tuple(sorted(set(FUNCTIONS.values()))),
}

_KEYWORDS = {
    "baremodule", "begin", "break", "catch", "const", "continue", "do", "else", "elseif", "end",
    "export", "false", "finally", "for", "function", "global", "if", "import", "let", "local",
    "macro", "module", "quote", "return", "struct", "true", "try", "using", "while", "abstract",
    "mutable", "primitive", "type", "where", "in", "isa", "outer", "public", "pi", "im", "Inf",
    "NaN", "nothing", "missing", "e",
}


class JuliaPrinter(JuliaCodePrinter):
    """Strict scalar Julia printer (``*``, ``/``, ``^``; no broadcasting dots).

    Rationals print as float quotients ``1/3``; arguments of ``max``, ``min`` and
    ``ifelse`` that are integers print as floats so that every branch has one type.
    """

    def __init__(self, settings=None):
        super().__init__({"strict": True, "inline": True, **(settings or {})})
        self.known_functions = dict(FUNCTIONS)

    def _print_not_supported(self, expr):
        raise CodegenError(
            f"cannot generate {LANGUAGE} code for {expr!r} (node {type(expr).__name__}): "
            f"it is not a {LANGUAGE} Base function. Rewrite the expression with supported "
            f"functions ({', '.join(sorted(FUNCTIONS))}, Max, Min, Piecewise, Heaviside).")

    _print_Basic = _print_not_supported
    _print_Derivative = _print_not_supported
    _print_Integral = _print_not_supported
    _print_ImaginaryUnit = _print_not_supported
    _print_Infinity = _print_not_supported
    _print_NegativeInfinity = _print_not_supported
    _print_ComplexInfinity = _print_not_supported
    _print_NaN = _print_not_supported
    _print_MatrixBase = _print_not_supported
    _print_jn = _print_yn = _print_sinc = _print_not_supported

    def _print_Mul(self, expr):
        return CodePrinter._print_Mul(self, expr)

    def _print_Pow(self, expr):
        prec = precedence(expr)
        base, ex = expr.base, expr.exp
        if equal_valued(ex, sp.S.Half):
            return f"sqrt({self._print(base)})"
        if equal_valued(ex, -sp.S.Half):
            return f"1/sqrt({self._print(base)})"
        if equal_valued(ex, -1):
            return f"1/{self.parenthesize(base, prec)}"
        b = self.parenthesize(base, prec)
        if base.is_Integer:
            # Int^negative Int throws a DomainError in Julia
            b = self._float(base)
        if ex.is_Integer and int(ex) >= 0:
            return f"{b}^{int(ex)}"
        return f"{b}^{self.parenthesize(ex, prec)}"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):
        return repr(float(expr))

    _print_Exp1 = _print_EulerGamma = _print_Catalan = _print_GoldenRatio = _print_NumberSymbol

    def _print_Pi(self, expr):
        return "pi"

    def _float(self, a):
        return f"{int(a)}.0" if a.is_Integer else self._print(a)

    def _print_Max(self, expr):
        return f"max({', '.join(self._float(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._float(a) for a in expr.args)})"

    def _print_Piecewise(self, expr):
        return piecewise_chain(expr, LANGUAGE, self._float, self._print,
                               lambda c, v, other: f"ifelse({c}, {v}, {other})")

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return f"ifelse({x} > 0, 1.0, ifelse({x} == 0, {float(h0)!r}, 0.0))"

    def _print_atan2(self, expr):
        return f"atan({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Relational(self, expr):
        return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        return " && ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr):
        return " || ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"!({self._print(expr.args[0])})"

    def _print_Symbol(self, expr):
        return expr.name

    def doprint(self, expr, assign_to=None):
        """Print one expression (no assignment, no declarations)."""
        return self._print(sp.sympify(expr))


class _Namer:
    """Valid, unique Julia names for SymPy symbols (keywords get a trailing underscore)."""

    def __init__(self, taken=()):
        self.used = set(taken) | set(FUNCTIONS.values()) | set(SCRIPT_NAMES["Base"])
        self.map = {}

    def __call__(self, sym):
        if sym in self.map:
            return self.map[sym]
        base = re.sub(r"\W", "_", sym.name)
        if not base or base[0].isdigit():
            base = "v" + base
        if base in _KEYWORDS:
            base += "_"
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        self.map[sym] = sp.Symbol(name)
        return self.map[sym]

    def rename(self, expr):
        expr = sp.sympify(expr)
        return expr.xreplace({s: self(s) for s in expr.free_symbols if isinstance(s, sp.Symbol)})


def export_expression(exprs, name: str, args) -> dict[str, str]:
    """``NAME.jl``: ``NAME(args...)`` returning a number (one expression) or a vector.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> print(export_expression([x * y, x + y], "g", [x, y])["g.jl"].splitlines()[-2])
        return [x*y, x + y]
    """
    exprs = [sp.sympify(e) for e in exprs]
    extra = set().union(*(e.free_symbols for e in exprs)) - set(args)
    if extra:
        raise CodegenError(f"cannot generate {LANGUAGE} code: the expressions use "
                           f"{sorted(map(str, extra))} which are not among the arguments "
                           f"{[str(a) for a in args]}. Pass them in args.")
    nm = _Namer(taken=[name])
    pr = JuliaPrinter()
    argn = [nm(a).name for a in args]
    values = [pr.doprint(nm.rename(e)) for e in exprs]
    ret = values[0] if len(values) == 1 else f"[{', '.join(values)}]"
    lines = [f"# {name}: generated by symnum from SymPy. Do not edit.",
             f"function {name}({', '.join(argn)})", f"    return {ret}", "end"]
    return {f"{name}.jl": "\n".join(lines) + "\n"}


# -- ODEProblem ----------------------------------------------------------------------------

def _vector(values, per_line: int = 4, ind: str = "    ") -> str:
    vals = [repr(float(v)) for v in values]
    if len(vals) <= per_line:
        return f"[{', '.join(vals)}]"
    rows = [", ".join(vals[k:k + per_line]) for k in range(0, len(vals), per_line)]
    return "[\n" + ",\n".join(ind + r for r in rows) + ",\n]"


def _ints(values, per_line: int = 16, ind: str = "    ") -> str:
    vals = [str(int(v)) for v in values]
    rows = [", ".join(vals[k:k + per_line]) for k in range(0, len(vals), per_line)]
    return "Int[\n" + ",\n".join(ind + r for r in rows) + ",\n]" if rows else "Int[]"


class _ProgramWriter:
    """Prints a :class:`~symnum.codegen.loop_ir.Program` as an in-place Julia function."""

    ARRAYS = {"y": "u", "dy": "du", "J": "J"}

    def __init__(self, prog, func: str):
        self.prog, self.func = prog, func
        self.pr = JuliaPrinter()
        taken = ["u", "du", "p", "t", "J", "T", func] + [a.name for a in prog.arrays]
        taken += [str(v) for v in prog.loop_vars]
        self.nm = _Namer(taken=taken)
        self.nm.map[prog.time] = sp.Symbol("t")
        for v in prog.loop_vars:
            self.nm.map[v] = v
        self.lines = []

    def ref(self, r) -> str:
        name = self.ARRAYS.get(r.array, r.array)
        idx = [sp.sstr(i + 1) for i in r.index]
        if r.array.startswith("P"):
            idx = idx[::-1]
        return f"{name}[{', '.join(idx)}]"

    def stmts(self, body, ind):
        from ..loop_ir import Assign, Block, Comment, Loop, Ref

        pad = "    " * ind
        for s in body:
            if isinstance(s, Comment):
                self.lines.append(f"{pad}# {s.text}")
            elif isinstance(s, Block):
                if s.comment:
                    self.lines.append(f"{pad}# {s.comment}")
                # a scope only when the block has scalars of its own
                scoped = any(isinstance(b, Assign) and not isinstance(b.target, Ref)
                             for b in s.body)
                if scoped:
                    self.lines.append(f"{pad}let")
                self.stmts(s.body, ind + scoped)
                if scoped:
                    self.lines.append(f"{pad}end")
            elif isinstance(s, Loop):
                self.lines.append(f"{pad}for {s.var} in {s.lo}:{s.hi - 1}")
                self.stmts(s.body, ind + 1)
                self.lines.append(f"{pad}end")
            elif isinstance(s, Assign):
                tgt = self.ref(s.target) if isinstance(s.target, Ref) else self.nm(s.target).name
                val = self.ref(s.value) if isinstance(s.value, Ref) else \
                    self.pr.doprint(self.nm.rename(s.value))
                self.lines.append(f"{pad}{tgt} = {val}")
            else:  # pragma: no cover - the IR has no other statements
                raise CodegenError(f"cannot generate {LANGUAGE} code for the statement {s!r}")

    def write(self, doc: str) -> list[str]:
        prog, nm = self.prog, self.nm
        out = self.ARRAYS[prog.output.name]
        lines = ['"""', f"    {self.func}({out}, u, p, t)", "", doc, '"""',
                 f"function {self.func}({out}, u, p, t)"]
        for sym, k in prog.params:
            lines.append(f"    {nm(sym).name} = p[{k + 1}]")
        for sym, val in prog.constants:
            lines.append(f"    {nm(sym).name} = {float(val)!r}")
        if prog.arrays:
            # time and parameters enter the side fills: with dual numbers for t or p
            # (Rosenbrock time derivatives, sensitivities) the work arrays must hold them
            lines.append("    T = promote_type(eltype(u), eltype(p), typeof(t))")
        for a in prog.arrays:
            shape = ", ".join(str(m) for m in reversed(a.shape))
            shape += "," if len(a.shape) == 1 else ""
            lines.append(f"    {a.name} = similar(u, T, ({shape}))  # {a.comment}")
        self.stmts(prog.body, 2)
        return lines + ["    @inbounds begin"] + self.lines + ["    end", "    return nothing",
                                                                 "end", ""]


def export_problem(problem, name: str, *, script: bool = False) -> dict[str, str]:
    """``NAME.jl``: data, ``NAME_rhs!`` and Jacobian information of ``problem``.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
    ...                    parameters={k: 2.0}, tspan=(0, 1))
    >>> src = export_problem(sn.discretize(sys), "decay")["decay.jl"]
    >>> print("\\n".join(l for l in src.splitlines() if "du[1] =" in l))
            du[1] = -R_y_0*k_k
    """
    from ..loop_ir import jac_dense_program, rhs_program

    prog = rhs_program(problem)
    out = [f"# {name}: generated by symnum. Do not edit."]
    out += [f"# {h}" for h in prog.header]
    out += [f"# parameter p[{k + 1}]: {s}, default {float(v)!r}"
            for k, (s, v) in enumerate(zip(problem.param_symbols, problem.params))]
    out += ["", f"const {name}_n = {problem.n}",
            f"const {name}_u0 = {_vector(problem.y0)}",
            f"const {name}_p = {_vector(problem.params) if len(problem.params) else 'Float64[]'}",
            f"const {name}_tspan = ({float(problem.tspan[0])!r}, {float(problem.tspan[1])!r})",
            ""]
    out += _ProgramWriter(prog, f"{name}_rhs!").write(
        "Write du = f(t, u, p), the semi-discrete right-hand side, into `du`.")
    if problem.axes:
        S = problem.jac_sparsity.tocoo()
        out += ["# 1-based (row, column) of every structural nonzero of the Jacobian d du / d u",
                f"const {name}_jac_rows = {_ints(S.row + 1)}",
                f"const {name}_jac_cols = {_ints(S.col + 1)}", ""]
    else:
        out += _ProgramWriter(jac_dense_program(problem), f"{name}_jac!").write(
            "Write the dense Jacobian J[i, j] = d du[i] / d u[j] into `J`.")
    if script:
        out += _script(name, bool(problem.axes))
    return {f"{name}.jl": "\n".join(out).rstrip("\n") + "\n"}


def _script(name: str, sparse: bool) -> list[str]:
    lines = ["# ---- solve with DifferentialEquations.jl (OrdinaryDiffEq v7) ----",
             "using OrdinaryDiffEq"]
    if sparse:
        lines += ["using SparseArrays", "",
                  f"jac_prototype = sparse({name}_jac_rows, {name}_jac_cols, "
                  f"ones(length({name}_jac_rows)), {name}_n, {name}_n)",
                  f"f = ODEFunction({name}_rhs!; jac_prototype = jac_prototype)"]
    else:
        lines += ["", f"f = ODEFunction({name}_rhs!; jac = {name}_jac!)"]
    lines += [f"prob = ODEProblem(f, {name}_u0, {name}_tspan, {name}_p)",
              "sol = solve(prob, Rodas5P(); reltol = 1e-8, abstol = 1e-10)",
              'println("retcode = ", sol.retcode)',
              'println("t = ", sol.t[end])',
              "# the final state, one value per line",
              "for v in sol.u[end]",
              "    println(v)",
              "end"]
    return lines


# -- checking generated text -----------------------------------------------------------------

def syntax_errors(source: str) -> list[str]:
    """ERROR and MISSING nodes of tree-sitter-julia's parse of ``source`` (empty when valid).

    Needs the Python packages ``tree_sitter`` and ``tree_sitter_julia``.

    Examples
    --------
    >>> syntax_errors("f(x) = x + 1\\n")
    []
    >>> len(syntax_errors("function f(x\\n")) > 0
    True
    """
    tree = _parse(source)
    errors, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            kind = "missing" if node.is_missing else "error"
            text = source.encode()[node.start_byte:node.end_byte][:60].decode(errors="replace")
            errors.append(f"{kind} {node.type!r} at line {node.start_point[0] + 1}: {text!r}")
        stack.extend(node.children)
    return errors


def called_names(source: str) -> set[str]:
    """Names of the functions and macros called in ``source`` (from the parse tree).

    The signatures of ``function`` definitions are not calls and are left out.

    Examples
    --------
    >>> sorted(called_names("y = sin(x) + max(1, 2)\\n"))
    ['max', 'sin']
    """
    tree = _parse(source)
    names, stack = set(), [tree.root_node]
    while stack:
        node = stack.pop()
        in_signature = node.parent is not None and node.parent.type == "signature"
        if node.type in ("call_expression", "macrocall_expression") and node.children \
                and not in_signature:
            head = node.children[0]
            if head.type == "identifier":
                names.add(head.text.decode())
        stack.extend(node.children)
    return names


def _parse(source: str):
    try:
        import tree_sitter
        import tree_sitter_julia
    except ImportError as exc:  # pragma: no cover - the test extra installs both
        raise CodegenError("checking Julia syntax needs the packages tree_sitter and "
                           "tree_sitter_julia; install them with "
                           "pip install tree-sitter tree-sitter-julia") from exc
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_julia.language()))
    return parser.parse(source.encode())
