"""Fortran export: every model compiles under -std=f2008 -Wall -Werror and equals NumPy."""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symnum.codegen.export import fortran
from symnum.errors import CodegenError

from models import problems
from snapshot import assert_snapshot

GFORTRAN = shutil.which("gfortran")
needs_gfortran = pytest.mark.skipif(GFORTRAN is None, reason="gfortran is not installed")
FLAGS = ["-std=f2008", "-Wall", "-Werror", "-O2", "-fPIC"]

PROBLEMS = problems()


def _wrapper(name: str, n: int, jac: bool) -> str:
    """A bind(C) layer over the generated module, so ctypes can call it."""
    lines = [f"module {name}_c", "  use iso_c_binding, only: c_double", f"  use {name}_mod",
             "  implicit none", "contains",
             f"  subroutine c_rhs(t, y, p, dy) bind(C, name=\"{name}_c_rhs\")",
             "    real(c_double), value :: t",
             "    real(c_double), intent(in) :: y(n), p(*)",
             "    real(c_double), intent(out) :: dy(n)",
             f"    call {name}_rhs(t, y, p, dy)",
             "  end subroutine c_rhs",
             f"  subroutine c_data(y0o, p0o, tspano) bind(C, name=\"{name}_c_data\")",
             "    real(c_double), intent(out) :: y0o(n), p0o(max(np, 1)), tspano(2)",
             "    y0o = y0", "    p0o = p0", "    tspano = tspan",
             "  end subroutine c_data"]
    if jac:
        lines += [f"  subroutine c_jac(t, y, p, J) bind(C, name=\"{name}_c_jac\")",
                  "    real(c_double), value :: t",
                  "    real(c_double), intent(in) :: y(n), p(*)",
                  "    real(c_double), intent(out) :: J(n, n)",
                  f"    call {name}_jac(t, y, p, J)",
                  "  end subroutine c_jac"]
    return "\n".join(lines + [f"end module {name}_c", ""])


def _build(tmp_path, name: str, files: dict[str, str], extra: str = "") -> ctypes.CDLL:
    srcs = []
    for fname, text in files.items():
        (tmp_path / fname).write_text(text)
        srcs.append(str(tmp_path / fname))
    if extra:
        (tmp_path / f"{name}_c.f90").write_text(extra)
        srcs.append(str(tmp_path / f"{name}_c.f90"))
    lib = tmp_path / f"lib{name}.so"
    res = subprocess.run([GFORTRAN, *FLAGS, "-shared", "-o", str(lib), *srcs], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return ctypes.CDLL(str(lib))


def _ptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


@needs_gfortran
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_problem_module_matches_numpy(tmp_path, name):
    prob = PROBLEMS[name]
    files = fortran.export_problem(prob, name)
    assert list(files) == [f"{name}.f90"]
    text = files[f"{name}.f90"]
    assert all(len(line) <= 132 for line in text.splitlines())
    assert "implicit none" in text
    jac = not prob.axes
    lib = _build(tmp_path, name, files, _wrapper(name, prob.n, jac))
    # data: y0, p0 and tspan as stored in the module
    y0, p0, ts = np.empty(prob.n), np.empty(max(len(prob.params), 1)), np.empty(2)
    getattr(lib, f"{name}_c_data")(_ptr(y0), _ptr(p0), _ptr(ts))
    np.testing.assert_array_equal(y0, prob.y0)
    np.testing.assert_array_equal(p0[:len(prob.params)], prob.params)
    np.testing.assert_array_equal(ts, prob.tspan)
    # rhs on random states at two times
    rhs = getattr(lib, f"{name}_c_rhs")
    rhs.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
    ref = prob.functions("numpy")
    rng = np.random.default_rng(1)
    p = np.ascontiguousarray(prob.params if len(prob.params) else np.zeros(1))
    for t in (0.0, 0.37):
        y = prob.y0 + 0.1 * rng.standard_normal(prob.n)
        dy = np.full(prob.n, np.nan)
        rhs(t, _ptr(y), _ptr(p), _ptr(dy))
        want = ref.rhs(t, y)
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(dy, want, rtol=1e-12, atol=1e-12 * scale)
        if jac:
            cjac = getattr(lib, f"{name}_c_jac")
            cjac.argtypes = rhs.argtypes
            J = np.full((prob.n, prob.n), np.nan, order="F")
            cjac(t, _ptr(y), _ptr(p), J.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
            Jref = np.asarray(ref.jac(t, y).todense()) if hasattr(ref.jac(t, y), "todense") \
                else np.asarray(ref.jac(t, y))
            np.testing.assert_allclose(J, Jref, rtol=1e-12, atol=1e-12)


@needs_gfortran
def test_expression_export_matches_lambdify(tmp_path):
    x, y, lam = sp.symbols("x y lambda")
    exprs = [sp.sin(x) * sp.exp(-y) / 3 + sp.Max(x, 0) ** 2 - sp.Min(y, x, 1),
             sp.Piecewise((x**2, x > 0.2), (sp.cos(y), y < 0), (lam, True)) + sp.Heaviside(x - y),
             sp.sqrt(x**2 + 1) * sp.tanh(y) + sp.Rational(1, 3) * lam + sp.pi * sp.atan2(y, x)
             + sp.Mod(x, 2) + (x + y) ** -2]
    args = [lam, x, y]
    # one expression: a function; several: a subroutine writing res(:)
    one = fortran.export_expression(exprs[:1], "one", args)
    many = fortran.export_expression(exprs, "many", args)
    wrap = "\n".join([
        "module both_c", "  use iso_c_binding, only: c_double", "  use one_mod", "  use many_mod",
        "  implicit none", "contains",
        "  function c_one(a, b, c) bind(C, name=\"c_one\") result(r)",
        "    real(c_double), value :: a, b, c", "    real(c_double) :: r",
        "    r = one(a, b, c)", "  end function c_one",
        "  subroutine c_many(a, b, c, r) bind(C, name=\"c_many\")",
        "    real(c_double), value :: a, b, c",
        f"    real(c_double), intent(out) :: r({len(exprs)})",
        "    call many(a, b, c, r)", "  end subroutine c_many", "end module both_c", ""])
    lib = _build(tmp_path, "both", {**one, **many}, wrap)
    lib.c_one.restype = ctypes.c_double
    lib.c_one.argtypes = [ctypes.c_double] * 3
    lib.c_many.argtypes = [ctypes.c_double] * 3 + [ctypes.POINTER(ctypes.c_double)]
    f = sp.lambdify(args, exprs, "math")
    rng = np.random.default_rng(2)
    for a, b, c in rng.uniform(-2, 2, size=(20, 3)):
        want = np.array(f(a, b, c), dtype=float)
        assert lib.c_one(a, b, c) == pytest.approx(want[0], rel=1e-13, abs=1e-13)
        out = np.empty(len(exprs))
        lib.c_many(a, b, c, _ptr(out))
        np.testing.assert_allclose(out, want, rtol=1e-13, atol=1e-13)


def test_unsupported_node_is_named():
    x = sp.Symbol("x")
    with pytest.raises(CodegenError, match=r"Fortran code for besselj\(0, x\)"):
        fortran.export_expression([sp.besselj(0, x) + x], "f", [x])
    with pytest.raises(CodegenError, match=r"Fortran code for f\(x\)"):
        fortran.FortranPrinter().doprint(sp.Function("f")(x))
    with pytest.raises(CodegenError, match=r"not among the arguments"):
        fortran.export_expression([x * sp.Symbol("y")], "f", [x])


def test_long_lines_wrap_between_tokens():
    line = "    dy(1) = " + " + ".join(f"1.25d-3*R_u_p{k}" for k in range(40))
    parts = fortran.wrap_line(line)
    assert all(len(p) <= 132 for p in parts) and len(parts) > 1
    assert all(p.endswith(" &") for p in parts[:-1])
    # breaks fall between tokens: the pieces, joined, hold the same tokens
    joined = " ".join(p.rstrip(" &").lstrip().lstrip("& ") for p in parts)
    assert joined.replace(" ", "") == line.replace(" ", "")
    assert all(not p.rstrip(" &")[-1].isalnum() or not q.lstrip(" &")[0].isalnum()
               for p, q in zip(parts, parts[1:]))


def test_snapshot_heat_dirichlet():
    text = fortran.export_problem(PROBLEMS["heat_dirichlet"], "heat")["heat.f90"]
    assert_snapshot("fortran/heat_dirichlet.f90", text)


def test_snapshot_lorenz():
    text = fortran.export_problem(PROBLEMS["lorenz"], "lorenz")["lorenz.f90"]
    assert_snapshot("fortran/lorenz.f90", text)


@needs_gfortran
def test_large_grid_uses_heap_arrays_and_data_statements(tmp_path):
    from models import brusselator_2d

    prob = brusselator_2d(n=92)  # padded 94 x 94 > 8192 doubles, y0 longer than 1000
    files = fortran.export_problem(prob, "big")
    text = files["big.f90"]
    assert "allocatable :: P0(:, :)" in text and "data y0(1:500)" in text
    lib = _build(tmp_path, "big", files, _wrapper("big", prob.n, False))
    rhs = lib.big_c_rhs
    rhs.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
    y = prob.y0 + 0.1 * np.random.default_rng(3).standard_normal(prob.n)
    dy = np.empty(prob.n)
    rhs(0.1, _ptr(y), _ptr(np.ascontiguousarray(prob.params)), _ptr(dy))
    want = prob.functions("numpy").rhs(0.1, y)
    np.testing.assert_allclose(dy, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    y0 = np.empty(prob.n)
    lib.big_c_data(_ptr(y0), _ptr(np.empty(2)), _ptr(np.empty(2)))
    np.testing.assert_array_equal(y0, prob.y0)


@needs_gfortran
def test_names_that_differ_only_in_case_stay_distinct(tmp_path):
    # Fortran names are case-insensitive: parameters a and A must not become one variable
    import symnum as sn

    t = sp.Symbol("t")
    X, Y = sp.Function("X")(t), sp.Function("x")(t)
    a, A = sp.symbols("a A")
    sys = sn.ODESystem([sp.Eq(X.diff(t), a * Y - X), sp.Eq(Y.diff(t), A * X * t)],
                       initial={X.subs(t, 0): 1, Y.subs(t, 0): 2},
                       parameters={a: 2.0, A: -3.0}, tspan=(0, 1))
    prob = sn.discretize(sys)
    lib = _build(tmp_path, "cases", fortran.export_problem(prob, "cases"),
                 _wrapper("cases", prob.n, True))
    lib.cases_c_rhs.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
    y, dy = np.array([0.3, -0.7]), np.empty(2)
    lib.cases_c_rhs(0.5, _ptr(y), _ptr(np.ascontiguousarray(prob.params)), _ptr(dy))
    np.testing.assert_allclose(dy, prob.functions("numpy").rhs(0.5, y), rtol=1e-14)
