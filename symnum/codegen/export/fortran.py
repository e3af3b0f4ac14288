"""Fortran 2008 export: a module with the model's data and its right-hand side.

The generated file ``NAME.f90`` holds ``module NAME_mod`` with

* ``integer, parameter :: n, np`` (state size, number of parameters);
* ``real(8), parameter :: y0(n), p0(max(np, 1)), tspan(2)`` (initial state, default
  parameters in ``problem.param_symbols`` order, time span);
* ``subroutine NAME_rhs(t, y, p, dy)``: ``dy = f(t, y, p)``, the same function as
  ``problem.functions("numpy").rhs``.

Padded fields are local arrays declared with lower bound 0 so that their indices are
those of :mod:`symnum.codegen.loop_ir`; their dimensions are reversed (``P0(i1, i0)``)
so that the innermost loop runs over contiguous memory (Fortran is column-major).
The file compiles with ``gfortran -std=f2008 -Wall -Werror``.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> print(FortranPrinter().doprint(sp.Max(x, 0) + sp.Rational(1, 3)))
max(0.0d0, x) + 1.0d0/3.0d0
>>> src = export_expression([sp.sin(x) / 3], "f", [x])["f.f90"]
>>> [line.strip() for line in src.splitlines() if "res =" in line]
['res = (1.0d0/3.0d0)*sin(x)']
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.numbers import equal_valued
from sympy.printing.fortran import FCodePrinter
from sympy.printing.precedence import precedence

from ...errors import CodegenError
from ..printers import piecewise_chain

__all__ = ["FortranPrinter", "export_expression", "export_problem", "wrap_line"]

LANGUAGE = "Fortran"
MAX_LINE = 132

#: SymPy function name -> Fortran 2008 intrinsic.
FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "atan2": "atan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "asinh": "asinh",
    "acosh": "acosh", "atanh": "atanh", "exp": "exp", "log": "log", "erf": "erf", "erfc": "erfc",
    "gamma": "gamma", "Abs": "abs",
}


class FortranPrinter(FCodePrinter):
    """Strict Fortran 2008 expression printer with every number in double precision.

    Integers print as ``3.0d0`` (intrinsics such as ``max`` and ``merge`` need
    arguments of one kind) except as exponents, where ``x**2`` stays exact and
    valid for negative ``x``. Rationals print as exact quotients ``1.0d0/3.0d0``.
    """

    printmethod = "_fcode"

    def __init__(self, settings=None):
        super().__init__({"standard": 2008, "source_format": "free", "strict": True,
                          **(settings or {})})
        self.known_functions = dict(FUNCTIONS)

    def _print_not_supported(self, expr):
        raise CodegenError(
            f"cannot generate {LANGUAGE} code for {expr!r} (node {type(expr).__name__}): "
            f"{LANGUAGE} has no such intrinsic. Rewrite the expression with supported "
            f"functions ({', '.join(sorted(FUNCTIONS))}, Max, Min, Piecewise, Heaviside, sign).")

    _print_Basic = _print_not_supported
    _print_Derivative = _print_not_supported
    _print_Integral = _print_not_supported
    _print_ImaginaryUnit = _print_not_supported
    _print_Infinity = _print_not_supported
    _print_NegativeInfinity = _print_not_supported
    _print_ComplexInfinity = _print_not_supported
    _print_NaN = _print_not_supported
    _print_conjugate = _print_not_supported

    def _print_Mod(self, expr):
        # modulo() takes the sign of the divisor, as SymPy's Mod
        return f"modulo({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Integer(self, expr):
        return f"{int(expr)}.0d0"

    _print_One = _print_Zero = _print_NegativeOne = _print_Integer

    def _print_int(self, expr):
        return f"{int(expr)}.0d0"

    def _print_Rational(self, expr):
        return f"{int(expr.p)}.0d0/{int(expr.q)}.0d0"

    _print_Half = _print_Rational

    def _print_Float(self, expr):
        return _real_literal(float(expr))

    def _print_NumberSymbol(self, expr):
        return _real_literal(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_Catalan = _print_GoldenRatio = \
        _print_NumberSymbol

    def _print_Pow(self, expr):
        prec = precedence(expr)
        base, ex = expr.base, expr.exp
        if equal_valued(ex, -1):
            return f"1.0d0/{self.parenthesize(base, prec)}"
        if equal_valued(ex, sp.S.Half):
            return f"sqrt({self._print(base)})"
        if equal_valued(ex, -sp.S.Half):
            return f"1.0d0/sqrt({self._print(base)})"
        if ex.is_Integer:
            e = str(int(ex))
            return f"{self.parenthesize(base, prec)}**{e if int(ex) >= 0 else f'({e})'}"
        return f"{self.parenthesize(base, prec)}**{self.parenthesize(ex, prec)}"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Piecewise(self, expr):
        # merge() evaluates both branches; the pieces are pure, so that only costs time
        return piecewise_chain(expr, LANGUAGE, self._print, self._print,
                               lambda c, v, other: f"merge({v}, {other}, {c})")

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return f"merge(1.0d0, merge({self._print(sp.Float(h0))}, 0.0d0, {x} == 0.0d0), {x} > 0.0d0)"

    def _print_sign(self, expr):
        x = self._print(expr.args[0])
        return f"merge(0.0d0, sign(1.0d0, {x}), {x} == 0.0d0)"

    def _print_Symbol(self, expr):
        return expr.name

    def doprint(self, expr, assign_to=None):
        """Print one expression on one line (no declarations, no wrapping)."""
        return self._print(sp.sympify(expr))


def _real_literal(v: float) -> str:
    """Shortest round-trip text of a float as a double-precision Fortran literal."""
    s = repr(float(v))
    if s in ("inf", "-inf", "nan"):
        raise CodegenError(f"cannot generate {LANGUAGE} code for the number {s}: {LANGUAGE} "
                           "has no literal for it. Give finite values.")
    if "e" in s:
        m, e = s.split("e")
        return f"{m if '.' in m else m + '.0'}d{int(e)}"
    return f"{s}d0"


_TOKEN = re.compile(r"\.(?:and|or|not|eqv|neqv|true|false)\."
                    r"|\d+\.\d*(?:[de][+-]?\d+)?|\d+(?:[de][+-]?\d+)?"
                    r"|\w+|\*\*|==|/=|<=|>=|\s+|.", re.I)


def wrap_line(line: str, limit: int = MAX_LINE) -> list[str]:
    """Split a free-form line into continuation lines of at most ``limit`` characters.

    Breaks only between tokens (never inside a number, name or ``.and.``); long
    comment lines become several comment lines.

    Examples
    --------
    >>> wrap_line("y = " + " + ".join(["x"] * 40), 40)[:2]
    ['y = x + x + x + x + x + x + x + x + x &', '    & + x + x + x + x + x + x + x + x &']
    """
    if len(line) <= limit:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    if line.lstrip().startswith("!"):
        import textwrap

        return textwrap.wrap(line.lstrip()[1:].strip(), limit - len(indent) - 4,
                             initial_indent=indent + "! ", subsequent_indent=indent + "!   ",
                             break_long_words=False)
    cont = indent + "    & "
    out, cur = [], [line[:len(indent)]]
    for tok in _TOKEN.findall(line[len(indent):]):
        if sum(map(len, cur)) + len(tok) > limit - 2 and "".join(cur).strip(" &"):
            # break at the last blank of the line (between terms) when there is one
            blanks = [k for k, c in enumerate(cur) if c.isspace() and k > 1]
            k = blanks[-1] if blanks and sum(map(len, cur[:blanks[-1]])) > limit // 2 \
                else len(cur)
            out.append("".join(cur[:k]).rstrip() + " &")
            rest = cur[k:]
            while rest and rest[0].isspace():
                rest.pop(0)
            cur = [cont] + rest
            if tok.isspace() and not rest:
                continue
        cur.append(tok)
    out.append("".join(cur))
    return out


def _ident(name: str) -> str:
    s = re.sub(r"\W", "_", name, flags=re.ASCII)
    if not s or not s[0].isalpha():
        s = "v" + s
    return s[:63]


class _Namer:
    """Valid, case-insensitively unique Fortran names for SymPy symbols."""

    def __init__(self, taken=()):
        self.used = {s.lower() for s in taken} | {f.lower() for f in FUNCTIONS.values()} | {
            "max", "min", "merge", "sign", "sqrt"}
        self.map = {}

    def __call__(self, sym, prefix=None):
        if sym in self.map:
            return self.map[sym]
        base = _ident(prefix or sym.name)
        name, k = base, 1
        while name.lower() in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name.lower())
        self.map[sym] = sp.Symbol(name)
        return self.map[sym]

    def rename(self, expr):
        expr = sp.sympify(expr)
        return expr.xreplace({s: self(s) for s in expr.free_symbols if isinstance(s, sp.Symbol)})


def _module(name: str, body: list[str], header: list[str], decls: list[str] = ()) -> str:
    lines = [f"! {h}" if h else "!" for h in header]
    lines += [f"module {name}_mod", "  implicit none"]
    lines += [f"  {d}" for d in decls]
    lines += ["", "contains", ""] + body + [f"end module {name}_mod"]
    out = []
    for ln in lines:
        out.extend(wrap_line(ln))
    return "\n".join(out) + "\n"


def export_expression(exprs, name: str, args) -> dict[str, str]:
    """``NAME.f90``: a module with a function (one expression) or a subroutine (several).

    One expression gives ``real(8) function NAME(args...)``; several give
    ``subroutine NAME(args..., res)`` writing ``res(1:m)``.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> src = export_expression([x * y, x + y], "g", [x, y])["g.f90"]
    >>> "subroutine g(x, y, res)" in src
    True
    """
    exprs = [sp.sympify(e) for e in exprs]
    nm = _Namer(taken=[name, "res"])
    pr = FortranPrinter()
    argn = [nm(a).name for a in args]
    extra = set().union(*(e.free_symbols for e in exprs)) - set(args)
    if extra:
        raise CodegenError(f"cannot generate {LANGUAGE} code: the expressions use "
                           f"{sorted(map(str, extra))} which are not among the arguments "
                           f"{[str(a) for a in args]}. Pass them in args.")
    body = []
    decl_args = ", ".join(argn)
    used = set().union(*(e.free_symbols for e in exprs))
    if len(exprs) == 1:
        sig = f"  function {name}({decl_args}) result(res)"
    else:
        sig = f"  subroutine {name}({', '.join(argn + ['res'])})"
    body.append(sig)
    if argn:
        body.append(f"    real(8), intent(in) :: {decl_args}")
    if len(exprs) == 1:
        body.append("    real(8) :: res")
    else:
        body.append(f"    real(8), intent(out) :: res({len(exprs)})")
    unused = [n for a, n in zip(args, argn) if a not in used]
    if unused:
        # every argument is part of the interface even where the expressions do not use it
        body.append(f"    if (.false.) res{'' if len(exprs) == 1 else '(1)'} = "
                    f"{' + '.join(unused)}")
    for k, e in enumerate(exprs):
        tgt = "res" if len(exprs) == 1 else f"res({k + 1})"
        body.append(f"    {tgt} = {pr.doprint(nm.rename(e))}")
    body.append(f"  end {'function' if len(exprs) == 1 else 'subroutine'} {name}")
    body.append("")
    header = [f"{name}: generated by symnum from SymPy. Do not edit.",
              f"arguments: {', '.join(argn) or '(none)'}"]
    return {f"{name}.f90": _module(name, body, header)}




# -- ODEProblem ----------------------------------------------------------------------------

#: Work arrays larger than this many doubles are allocatable (heap) instead of local.
_STACK_DOUBLES = 8192


def _real_array(name: str, dim: str, values, parameter: bool = True) -> list[str]:
    """Declaration of an initialised array; DATA statements when a list is too long for
    one statement (Fortran allows 255 continuation lines)."""
    vals = [_real_literal(v) for v in values]
    if len(vals) <= 1000:
        return [f"real(8), parameter :: {name}({dim}) = [{', '.join(vals)}]"]
    out = [f"real(8), protected :: {name}({dim})"]
    for k in range(0, len(vals), 500):
        chunk = vals[k:k + 500]
        out.append(f"data {name}({k + 1}:{k + len(chunk)}) / {', '.join(chunk)} /")
    return out


class _ProgramWriter:
    """Prints a :class:`~symnum.codegen.loop_ir.Program` as a Fortran subroutine."""

    def __init__(self, prog, sub: str):
        self.prog, self.sub = prog, sub
        self.pr = FortranPrinter()
        self.lines = []
        arrays = ["y", "dy", "p", "t", "j", "n", "np", "y0", "p0", "tspan", sub]
        arrays += [a.name for a in prog.arrays] + [str(v) for v in prog.loop_vars]
        self.nm = _Namer(taken=arrays)
        self.nm.map[prog.time] = sp.Symbol("t")
        for v in prog.loop_vars:
            self.nm.map[v] = v

    def ref(self, r) -> str:
        idx = list(r.index)
        if r.array in ("y", "dy"):
            return f"{r.array}({sp.sstr(idx[0] + 1)})"
        if r.array == "J":
            return f"J({sp.sstr(idx[0] + 1)}, {sp.sstr(idx[1] + 1)})"
        # padded fields: dimensions reversed so the last axis is contiguous
        return f"{r.array}({', '.join(sp.sstr(i) for i in reversed(idx))})"

    def value(self, v) -> str:
        from ..loop_ir import Ref

        if isinstance(v, Ref):
            return self.ref(v)
        return self.pr.doprint(self.nm.rename(v))

    def stmts(self, body, ind):
        from ..loop_ir import Assign, Block, Comment, Loop

        pad = "  " * ind
        for s in body:
            if isinstance(s, Comment):
                self.lines.append(f"{pad}! {s.text}")
            elif isinstance(s, Block):
                if s.comment:
                    self.lines.append(f"{pad}! {s.comment}")
                self.stmts(s.body, ind)
            elif isinstance(s, Loop):
                self.lines.append(f"{pad}do {s.var} = {s.lo}, {s.hi - 1}")
                self.stmts(s.body, ind + 1)
                self.lines.append(f"{pad}end do")
            elif isinstance(s, Assign):
                from ..loop_ir import Ref

                tgt = self.ref(s.target) if isinstance(s.target, Ref) else self.nm(s.target).name
                self.lines.append(f"{pad}{tgt} = {self.value(s.value)}")
            else:  # pragma: no cover - the IR has no other statements
                raise CodegenError(f"cannot generate {LANGUAGE} code for the statement {s!r}")

    def write(self, doc: str) -> list[str]:
        prog, nm = self.prog, self.nm
        out_name = prog.output.name
        out_dim = "n" if out_name == "dy" else "n, n"
        lines = [f"  subroutine {self.sub}(t, y, p, {out_name})",
                 f"    ! {doc}",
                 "    real(8), intent(in) :: t, y(n), p(*)",
                 f"    real(8), intent(out) :: {out_name}({out_dim})"]
        for sym, val in prog.constants:
            lines.append(f"    real(8), parameter :: {nm(sym).name} = {_real_literal(val)}")
        heap = []
        for a in prog.arrays:
            dims = ", ".join(f"0:{m - 1}" for m in reversed(a.shape))
            size = 1
            for m in a.shape:
                size *= m
            if size > _STACK_DOUBLES:
                deferred = ", ".join(":" for _ in a.shape)
                lines.append(f"    real(8), allocatable :: {a.name}({deferred})  ! {a.comment}")
                heap.append(f"    allocate({a.name}({dims}))")
            else:
                lines.append(f"    real(8) :: {a.name}({dims})  ! {a.comment}")
        params = [nm(s).name for s, _ in prog.params]
        scalars = params + [nm(s).name for s in prog.temporaries]
        if scalars:
            lines.append(f"    real(8) :: {', '.join(scalars)}")
        if prog.loop_vars:
            lines.append(f"    integer :: {', '.join(str(v) for v in prog.loop_vars)}")
        from ..loop_ir import Ref, walk

        reads_y = any(isinstance(getattr(s, "value", None), Ref) and s.value.array == "y"
                      for s in walk(prog.body))
        unused = ([] if prog.uses_time else ["t"]) + ([] if reads_y else ["y(1)"]) + \
            ([] if prog.params else ["p(1)"])
        if unused:
            first = "dy(1)" if out_name == "dy" else "J(1, 1)"
            lines.append(f"    ! {' and '.join(u.split('(')[0] for u in unused)} not used by "
                         "this model (kept for a uniform interface)")
            lines.append(f"    if (.false.) {first} = {' + '.join(unused)}")
        lines += heap
        for (s, k), name in zip(prog.params, params):
            lines.append(f"    {name} = p({k + 1})")
        self.stmts(prog.body, 2)
        return lines + self.lines + [f"  end subroutine {self.sub}", ""]


def export_problem(problem, name: str, *, script: bool = False) -> dict[str, str]:
    """``NAME.f90``: ``module NAME_mod`` with the data and ``NAME_rhs`` of ``problem``.

    For problems without space axes the module also has ``NAME_jac(t, y, p, J)``
    writing the dense Jacobian ``J(i, j) = d dy(i) / d y(j)``. ``script`` has no
    meaning for Fortran and is ignored.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
    ...                    parameters={k: 2.0}, tspan=(0, 1))
    >>> src = export_problem(sn.discretize(sys), "decay")["decay.f90"]
    >>> print("\\n".join(l for l in src.splitlines() if "dy(1) = -" in l))
        dy(1) = -R_y_0*k_k
    """
    from ..loop_ir import jac_dense_program, rhs_program

    prog = rhs_program(problem)
    header = [f"{name}: generated by symnum. Do not edit.", *prog.header]
    header += [f"parameter p({k + 1}): {s}, default {float(v)!r}"
               for k, (s, v) in enumerate(zip(problem.param_symbols, problem.params))]
    header.append(f"state y(1:n), dy(1:n); {name}_rhs(t, y, p, dy) writes dy/dt")
    npar = len(problem.param_symbols)
    decls = [f"integer, parameter :: n = {problem.n}, np = {npar}"]
    decls += _real_array("y0", "n", problem.y0)
    decls += _real_array("p0", "max(np, 1)", problem.params if npar else [0.0])
    decls += _real_array("tspan", "2", problem.tspan)
    body = _ProgramWriter(prog, f"{name}_rhs").write("dy = f(t, y, p), the semi-discrete "
                                                      "right-hand side")
    if not problem.axes:
        body += _ProgramWriter(jac_dense_program(problem), f"{name}_jac").write(
            "J(i, j) = d dy(i) / d y(j), the dense Jacobian")
    return {f"{name}.f90": _module(name, body, header, decls)}
