"""C99 export: expressions as functions, problems as ``NAME.h`` + ``NAME.c``.

The right-hand side is printed from the loop IR of :mod:`symnum.codegen.loop_ir`;
its semantics equal the generated NumPy ``rhs``. The code is plain C99: it compiles
with ``gcc -std=c99 -Wall -Werror -O2`` and needs only ``<math.h>``.

Generated API for a problem named ``NAME``::

    #define NAME_N  <n>         /* state size */
    #define NAME_NP <len(p)>    /* number of parameters */
    extern const double NAME_y0[NAME_N];
    extern const double NAME_p0[];        /* default parameters */
    extern const double NAME_tspan[2];
    void NAME_rhs(double t, const double *y, const double *p, double *dy);
    void NAME_jac(double t, const double *y, const double *p, double *J); /* ODE systems */

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> files = export_expression([sp.Max(x, 0) * y**2], "f", [x, y])
>>> print(files["f.c"].split("\\n\\n")[-1].strip())
double f(double x, double y)
{
    return (y*y)*fmax(0, x);
}
"""

from __future__ import annotations

import keyword
import re

import numpy as np
import sympy as sp
from sympy.printing.c import C99CodePrinter

from ...errors import CodegenError
from .. import loop_ir as ir
from ..printers import _Strict

__all__ = ["CPrinter", "export_expression", "export_problem", "print_program"]

_C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Imaginary",
}


class CPrinter(_Strict, C99CodePrinter):
    """Strict C99 printer: a node it cannot print raises :class:`CodegenError`.

    Differences from SymPy's ``C99CodePrinter``: constants such as ``pi`` print as
    double literals (``M_PI`` is not C99), small integer powers print as products
    (``x*x``), ``Piecewise`` and ``Heaviside`` print as one-line ternaries, and the
    imaginary unit is refused.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> CPrinter().doprint(x**3 + sp.pi * x / 3)
    '(x*x*x) + (1.0/3.0)*3.141592653589793*x'
    """

    target = "C"
    hint = "Rewrite the expression with functions of C99 <math.h> (exp, sin, tanh, erf, ...)."

    def __init__(self, settings=None):
        super().__init__({"strict": True, "math_macros": {}, **(settings or {})})

    def _refuse(self, expr, why):
        raise CodegenError(f"cannot generate C code for {expr!r}: {why}.")

    def _print_ImaginaryUnit(self, expr):
        self._refuse(expr, "complex numbers are not supported; keep expressions real")

    def _print_NumberSymbol(self, expr):
        return repr(float(expr))

    def _print_Float(self, flt):
        v = float(flt)
        if not np.isfinite(v):
            return "NAN" if np.isnan(v) else ("INFINITY" if v > 0 else "-INFINITY")
        s = repr(v)
        return s if any(c in s for c in ".en") else s + ".0"

    def _print_Infinity(self, expr):
        return "INFINITY"

    def _print_NegativeInfinity(self, expr):
        return "-INFINITY"

    def _print_BooleanTrue(self, expr):
        return "1"

    def _print_BooleanFalse(self, expr):
        return "0"

    def _print_Pow(self, expr):
        b, e = expr.base, expr.exp
        if e.is_Integer and 2 <= abs(int(e)) <= 3:
            prod = "*".join([self.parenthesize(b, sp.printing.precedence.PRECEDENCE["Mul"] + 1)]
                            * abs(int(e)))
            return f"({prod})" if e > 0 else f"1.0/({prod})"
        return super()._print_Pow(expr)

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"(({x} > 0) ? 1.0 : (({x} == 0) ? {self._print(sp.Float(h0))} : 0.0))"

    def _print_Piecewise(self, expr):
        out = "NAN"  # no branch holds: the value is undefined, as in SymPy
        for e, c in reversed(expr.args):
            if c == sp.true:
                out = self._print(e)
            else:
                out = f"(({self._print(c)}) ? {self._print(e)} : {out})"
        return out


# -- helpers -----------------------------------------------------------------------------

def _ident(name: str, taken: set) -> str:
    s = re.sub(r"\W", "_", name)
    if not s or s[0].isdigit():
        s = "v_" + s
    if s in _C_KEYWORDS or keyword.iskeyword(s) or s.startswith("__"):
        s += "_"
    base, k = s, 1
    while s in taken:
        s, k = f"{base}_{k}", k + 1
    taken.add(s)
    return s


def _comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /") + " */"


def _array(values, per_line=4, indent="    "):
    vals = [repr(float(v)) for v in np.ravel(values)] or ["0.0"]
    rows = [", ".join(vals[k:k + per_line]) for k in range(0, len(vals), per_line)]
    return "{\n" + ",\n".join(indent + r for r in rows) + "\n}"


def _guard(name):
    return re.sub(r"\W", "_", name).upper() + "_H"


# -- printing the loop IR -----------------------------------------------------------------

class _Writer:
    """Prints a :class:`~symnum.codegen.loop_ir.Program` as C statements."""

    def __init__(self, prog: ir.Program, n: int):
        self.prog, self.n = prog, n
        self.pr = CPrinter()
        self.lines = []
        self.ind = 1
        self.heap = set()

    def emit(self, s=""):
        self.lines.append("    " * self.ind + s if s else "")

    def index(self, ref: ir.Ref) -> str:
        if ref.array == "J":
            i, j = ref.index
            return f"J[{self.pr.doprint(sp.expand(i * self.n + j))}]"
        return ref.array + "".join(f"[{self.pr.doprint(i)}]" for i in ref.index)

    def value(self, v):
        return self.index(v) if isinstance(v, ir.Ref) else self.pr.doprint(v)

    def block(self, body):
        for s in body:
            self.stmt(s)

    def stmt(self, s):
        if isinstance(s, ir.Comment):
            self.emit(_comment(s.text))
        elif isinstance(s, ir.Assign):
            if isinstance(s.target, ir.Ref):
                self.emit(f"{self.index(s.target)} = {self.value(s.value)};")
            else:
                self.emit(f"const double {s.target} = {self.value(s.value)};")
        elif isinstance(s, ir.Loop):
            v = s.var
            self.emit(f"for (int {v} = {s.lo}; {v} < {s.hi}; ++{v}) {{")
            self.ind += 1
            self.block(s.body)
            self.ind -= 1
            self.emit("}")
        elif isinstance(s, ir.Block):
            if s.comment:
                self.emit(_comment(s.comment))
            scoped = any(isinstance(x, ir.Assign) and not isinstance(x.target, ir.Ref)
                         for x in s.body)
            if scoped:
                self.emit("{")
                self.ind += 1
            self.block(s.body)
            if scoped:
                self.ind -= 1
                self.emit("}")
        else:  # pragma: no cover - the IR has no other statements
            raise CodegenError(f"cannot generate C code for the statement {s!r}.")

    def function(self, signature: str, doc: str) -> str:
        prog = self.prog
        head = [_comment(doc), signature, "{"]
        self.ind = 1
        if not prog.uses_time:
            self.emit(f"(void){prog.time};")
        if not prog.params:
            self.emit("(void)p;")
        for s, k in prog.params:
            self.emit(f"const double {s} = p[{k}];")
        for s, v in prog.constants:
            self.emit(f"const double {s} = {self.pr.doprint(sp.Float(v))};")
        size = sum(int(np.prod(a.shape)) for a in prog.arrays)
        for a in prog.arrays:
            dims = "".join(f"[{d}]" for d in a.shape)
            if size > 100_000:
                self.heap.add(a.name)
                inner = "".join(f"[{d}]" for d in a.shape[1:])
                self.emit(f"double (*{a.name}){inner} = malloc(sizeof(double{dims}));  "
                          + _comment(a.comment))
            else:
                self.emit(f"double {a.name}{dims};  {_comment(a.comment)}")
        if self.heap:
            cond = " || ".join(f"!{a}" for a in sorted(self.heap))
            self.emit(f"if ({cond}) {{")
            for a in sorted(self.heap):
                self.emit(f"    free({a});")
            self.emit("    return;")
            self.emit("}")
        self.emit()
        self.block(prog.body)
        for a in sorted(self.heap):
            self.emit(f"free({a});")
        return "\n".join(head + self.lines + ["}"]) + "\n"


def print_program(prog: ir.Program, signature: str, doc: str) -> tuple:
    """C text of one IR function and whether it needs ``<stdlib.h>`` (heap work arrays)."""
    w = _Writer(prog, prog.n)
    text = w.function(signature, doc)
    return text, bool(w.heap)


# -- public API ------------------------------------------------------------------------------

def export_expression(exprs, name: str, args) -> dict:
    """C function(s) evaluating ``exprs`` at ``args``.

    One expression gives ``double NAME(double a, ...)``; several give
    ``void NAME(double a, ..., double *out)`` writing ``out[0..m-1]``.

    Parameters
    ----------
    exprs : list of sympy.Expr
    name : str
        Function and file stem.
    args : list of sympy.Symbol
        Arguments in order.

    Returns
    -------
    dict
        ``{"NAME.h": ..., "NAME.c": ...}``.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> print(export_expression([sp.sin(x), x / 3], "g", [x])["g.h"].splitlines()[-3])
    void g(double x, double *out);
    """
    exprs = [sp.sympify(e) for e in exprs]
    name = _ident(name, set())
    taken = {name, "out"}
    rename = {a: sp.Symbol(_ident(str(a), taken), real=True) for a in args}
    free = set().union(*(e.free_symbols for e in exprs)) if exprs else set()
    missing = sorted(map(str, free - set(args)))
    if missing:
        raise CodegenError(f"cannot generate C code for {exprs}: symbols {missing} are not "
                           f"arguments {[str(a) for a in args]}; pass them in args.")
    exprs = [e.xreplace(rename) for e in exprs]
    pr = CPrinter()
    params = ", ".join(f"double {rename[a]}" for a in args)
    single = len(exprs) == 1
    sig = (f"double {name}({params or 'void'})" if single
           else f"void {name}({params + ', ' if params else ''}double *out)")
    tmp = sp.numbered_symbols("tmp", cls=sp.Symbol, real=True,
                              exclude=set(rename.values()))
    reps, body = sp.cse(exprs, symbols=tmp, optimizations=None)
    used = set()
    for e in body + [v for _, v in reps]:
        used |= e.free_symbols
    lines = [f"    (void){rename[a]};" for a in args if rename[a] not in used]
    lines += [f"    const double {s} = {pr.doprint(v)};" for s, v in reps]
    if single:
        lines.append(f"    return {pr.doprint(body[0])};")
    else:
        lines += [f"    out[{k}] = {pr.doprint(b)};" for k, b in enumerate(body)]
    doc = "\n".join(f" *   {'' if single else f'out[{k}] = '}{e}" for k, e in enumerate(exprs))
    shown = ", ".join(map(str, rename.values()))
    c = (f"/* Generated by symnum. Do not edit.\n *\n * {name}({shown}):\n"
         f"{doc}\n */\n#include <math.h>\n\n#include \"{name}.h\"\n\n{sig}\n{{\n"
         + "\n".join(lines) + "\n}\n")
    g = _guard(name)
    h = (f"/* Generated by symnum. Do not edit. */\n#ifndef {g}\n#define {g}\n\n"
         f"{sig};\n\n#endif /* {g} */\n")
    return {f"{name}.h": h, f"{name}.c": c}


def export_problem(problem, name: str, *, script: bool = False) -> dict:
    """``NAME.h`` and ``NAME.c``: initial state, parameters and the right-hand side in C99.

    Parameters
    ----------
    problem : ODEProblem
    name : str
        Prefix of every exported symbol and the file stem.
    script : bool
        Ignored (C has no script form; see ``c-program`` for a standalone solver).

    Returns
    -------
    dict
        ``{"NAME.h": ..., "NAME.c": ...}``.

    Examples
    --------
    >>> import sympy as sp, symnum as sn
    >>> t = sp.Symbol("t"); y = sp.Function("y"); k = sp.Symbol("k")
    >>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -k * y(t))], initial={y(0): 1},
    ...                    parameters={k: 2.0}, tspan=(0, 1))
    >>> files = export_problem(sn.discretize(sys), "decay")
    >>> "void decay_rhs(double t, const double *y, const double *p, double *dy)" in files["decay.h"]
    True
    """
    del script
    name = _ident(name, set())
    rhs = ir.rhs_program(problem)
    np_ = len(problem.param_symbols)
    nodes_doc = [" * " + line for line in rhs.header]
    pnames = ", ".join(str(s) for s in problem.param_symbols) or "none"
    rhs_sig = f"void {name}_rhs(double t, const double *y, const double *p, double *dy)"
    jac_sig = f"void {name}_jac(double t, const double *y, const double *p, double *J)"
    parts = []
    rhs_text, heap = print_program(rhs, rhs_sig,
                                   "dy = dy/dt at time t, state y, parameters p.")
    parts.append(rhs_text)
    if not problem.axes:
        jac_text, _ = print_program(ir.jac_dense_program(problem), jac_sig,
                                    f"J = d(dy/dt)/dy, dense, row-major: J[i*{problem.n} + j].")
        parts.append(jac_text)
    g = _guard(name)
    h = ["/* Generated by symnum. Do not edit.", " *", *nodes_doc, " */",
         f"#ifndef {g}", f"#define {g}", "",
         f"#define {name}_N {problem.n}  /* state size */",
         f"#define {name}_NP {np_}  /* parameters: {pnames} */", "",
         f"extern const double {name}_y0[{name}_N];  /* initial state */",
         f"extern const double {name}_p0[];  /* default parameters */",
         f"extern const double {name}_tspan[2];", "",
         _comment("dy = dy/dt at time t, state y, parameters p (in the order of the p0 comment)."),
         rhs_sig + ";"]
    if not problem.axes:
        h += [_comment(f"Dense Jacobian J[i*{name}_N + j] = d dy[i] / d y[j]."), jac_sig + ";"]
    h += ["", f"#endif /* {g} */", ""]
    params = problem.params if np_ else [0.0]
    ts = ", ".join(repr(float(v)) for v in problem.tspan)
    c = ["/* Generated by symnum. Do not edit.", " *", *nodes_doc, " */",
         "#include <math.h>"] + (["#include <stdlib.h>"] if heap else []) + [
         "", f'#include "{name}.h"', "",
         f"const double {name}_y0[{name}_N] = {_array(problem.y0)};", "",
         _comment(f"parameters: {pnames}"),
         f"const double {name}_p0[] = {_array(params)};", "",
         f"const double {name}_tspan[2] = {{{ts}}};", ""]
    return {f"{name}.h": "\n".join(h), f"{name}.c": "\n".join(c) + "\n" + "\n".join(parts)}
