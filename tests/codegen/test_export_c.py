"""C export: the compiled code equals the NumPy kernels; the standalone program solves."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.codegen.export import c as cexp
from symnum.codegen.export import c_program
from symnum.errors import CodegenError

from models import brusselator_2d, problems
from snapshot import assert_snapshot

GCC = shutil.which("gcc")
CFLAGS = ["-std=c99", "-Wall", "-Werror", "-O2"]
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed")

t, x, y = sp.symbols("t x y")
u, v = sp.Function("u"), sp.Function("v")
Dc = sp.Symbol("D", positive=True)


def two_fields_all_sides():
    """2D, two fields: Dirichlet + Neumann on u, Robin + Dirichlet on v along x, periodic y."""
    U, V = u(t, x, y), v(t, x, y)
    bc = [sn.Periodic(y), sp.Eq(u(t, 0, y), sp.sin(t) * y), sn.Neumann(U, x, 1),
          sn.Robin(V, x, 0, a=1, b=2, value=y), sp.Eq(v(t, 1, y), 0)]
    sys = sn.PDESystem(
        [sp.Eq(U.diff(t), Dc * (U.diff(x, 2) + U.diff(y, 2)) + U * V - U**3
               + sp.sin(x) * U.diff(x, y)),
         sp.Eq(V.diff(t), V.diff(x, 2) + V.diff(y, 2) - U + sp.exp(-V**2) * V.diff(x))],
        domain={t: (0, 1), x: (0, 1), y: (0, 2)},
        initial=[sp.Eq(u(0, x, y), sp.cos(sp.pi * y) * x), sp.Eq(v(0, x, y), x * (1 - x) + y / 3)],
        boundary=bc, parameters={Dc: 0.3})
    return sn.discretize(sys, sn.FiniteDifference({x: 11, y: 8}, order=4))


@pytest.fixture(scope="module")
def probs():
    out = problems()
    out["two_fields_all_sides"] = two_fields_all_sides()
    return out


def _write(files, directory):
    for name, text in files.items():
        (directory / name).write_text(text)


def _shared_lib(files, stem, directory):
    _write(files, directory)
    so = directory / f"lib{stem}.so"
    subprocess.run([GCC, *CFLAGS, "-shared", "-fPIC", "-o", str(so), str(directory / f"{stem}.c"),
                    "-lm"], check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(so))


def _dptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


@pytest.fixture(scope="module")
def libs(probs, tmp_path_factory):
    if GCC is None:
        pytest.skip("gcc is not installed")
    out = {}
    for name, prob in probs.items():
        d = tmp_path_factory.mktemp(name)
        lib = _shared_lib(cexp.export_problem(prob, name), name, d)
        rhs = getattr(lib, f"{name}_rhs")  # attribute access caches argtypes, [] does not
        rhs.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
        rhs.restype = None
        out[name] = lib
    return out


ALL = list(problems()) + ["two_fields_all_sides"]


@needs_gcc
@pytest.mark.parametrize("name", ALL)
def test_rhs_matches_numpy(name, probs, libs):
    prob, lib = probs[name], libs[name]
    ref = prob.functions("numpy")
    rng = np.random.default_rng(1)
    p = np.ascontiguousarray(prob.params if len(prob.params) else np.zeros(1))
    for tt in (0.0, 0.37):
        yv = np.ascontiguousarray(prob.y0 + 0.1 * rng.standard_normal(prob.n))
        dy = np.full(prob.n, np.nan)
        getattr(lib, f"{name}_rhs")(tt, _dptr(yv), _dptr(p), _dptr(dy))
        expected = ref.rhs(tt, yv)
        scale = np.max(np.abs(expected)) + 1.0
        np.testing.assert_allclose(dy, expected, rtol=1e-12, atol=1e-12 * scale)


@needs_gcc
@pytest.mark.parametrize("name", ALL)
def test_exported_constants(name, probs, libs):
    prob, lib = probs[name], libs[name]
    y0 = np.ctypeslib.as_array((ctypes.c_double * prob.n).in_dll(lib, f"{name}_y0"))
    np.testing.assert_array_equal(y0, prob.y0)
    npar = max(len(prob.params), 1)
    p0 = np.ctypeslib.as_array((ctypes.c_double * npar).in_dll(lib, f"{name}_p0"))
    np.testing.assert_array_equal(p0, prob.params if len(prob.params) else [0.0])
    ts = np.ctypeslib.as_array((ctypes.c_double * 2).in_dll(lib, f"{name}_tspan"))
    np.testing.assert_array_equal(ts, prob.tspan)


@needs_gcc
def test_lorenz_dense_jacobian(probs, libs):
    prob, lib = probs["lorenz"], libs["lorenz"]
    jac = lib.lorenz_jac
    jac.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
    yv = np.array([1.5, -0.3, 2.0])
    J = np.full(9, np.nan)
    jac(0.2, _dptr(yv), _dptr(np.ascontiguousarray(prob.params)), _dptr(J))
    expected = prob.functions("numpy").jac(0.2, yv).toarray()
    np.testing.assert_allclose(J.reshape(3, 3), expected, rtol=1e-14, atol=1e-14)


@needs_gcc
def test_large_grid_work_arrays_on_the_heap(tmp_path):
    prob = brusselator_2d(n=230)  # 2 x 232 x 232 padded doubles > 1e5: malloc, not the stack
    files = cexp.export_problem(prob, "big")
    assert "malloc(sizeof(double[232][232]))" in files["big.c"]
    lib = _shared_lib(files, "big", tmp_path)
    lib.big_rhs.argtypes = [ctypes.c_double] + [ctypes.POINTER(ctypes.c_double)] * 3
    yv = np.ascontiguousarray(prob.y0 + 0.1 * np.random.default_rng(3).standard_normal(prob.n))
    dy = np.zeros(prob.n)
    lib.big_rhs(0.3, _dptr(yv), _dptr(np.ascontiguousarray(prob.params)), _dptr(dy))
    expected = prob.functions("numpy").rhs(0.3, yv)
    np.testing.assert_allclose(dy, expected, rtol=1e-12, atol=1e-12 * np.max(np.abs(expected)))


def test_pde_headers_have_no_dense_jacobian(probs):
    h = cexp.export_problem(probs["heat_dirichlet"], "heat")["heat.h"]
    assert "heat_rhs" in h and "heat_jac" not in h


@needs_gcc
def test_expressions_match_lambdify(tmp_path):
    a, b, c = sp.symbols("a b c")
    exprs = [sp.Max(a, b) * sp.tanh(c) + sp.Rational(1, 3) * a**2,
             sp.Piecewise((a * b, a > 0), (sp.exp(-b), c < 1), (sp.Min(a, c), True)),
             sp.Heaviside(a) + sp.sqrt(b**2 + 1) / (c**3 + 2) + sp.pi * a**-2,
             sp.Abs(a) ** sp.Rational(3, 2) - sp.erf(b) + sp.atan2(a, c)]
    files = cexp.export_expression(exprs, "many", [a, b, c])
    lib = _shared_lib(files, "many", tmp_path)
    f = lib.many
    f.argtypes = [ctypes.c_double] * 3 + [ctypes.POINTER(ctypes.c_double)]
    files1 = cexp.export_expression([exprs[0]], "one", [a, b, c])
    assert "double one(double a, double b, double c)" in files1["one.h"]
    d1 = tmp_path / "one"
    d1.mkdir()
    g = _shared_lib(files1, "one", d1).one
    g.argtypes = [ctypes.c_double] * 3
    g.restype = ctypes.c_double
    ref = sp.lambdify([a, b, c], exprs, "numpy")
    rng = np.random.default_rng(2)
    for pt in rng.uniform(-2, 2, size=(20, 3)):
        out = np.zeros(len(exprs))
        f(*pt, _dptr(out))
        np.testing.assert_allclose(out, ref(*pt), rtol=1e-13, atol=1e-13)
        assert g(*pt) == pytest.approx(ref(*pt)[0], rel=1e-13, abs=1e-13)


@needs_gcc
def test_expression_unused_argument_and_odd_names(tmp_path):
    s, k = sp.Symbol("lambda"), sp.Symbol("int")
    files = cexp.export_expression([2 * s], "f", [s, k])
    assert "(void)int_;" in files["f.c"]
    _shared_lib(files, "f", tmp_path)


@pytest.mark.parametrize("bad, shown", [(sp.besselj(0, x), "besselj"),
                                        (sp.Function("g")(x), "g"),
                                        (sp.zeta(x), "zeta"),
                                        (sp.I * x, "I")])
def test_unsupported_node_raises(bad, shown):
    with pytest.raises(CodegenError, match=rf"C code for .*{shown}"):
        cexp.export_expression([x + bad], "bad", [x])


def test_missing_argument_raises():
    with pytest.raises(CodegenError, match=r"symbols \['y'\] are not arguments"):
        cexp.export_expression([x + y], "f", [x])


@needs_gcc
@pytest.mark.parametrize("name", ["lorenz", "heat_dirichlet", "robin_neumann"])
def test_program_matches_solve(name, probs, tmp_path):
    prob = probs[name]
    files = c_program.export_problem(prob, name)
    assert set(files) == {f"{name}.h", f"{name}.c", f"{name}_main.c", "Makefile"}
    _write(files, tmp_path)
    exe = tmp_path / name
    subprocess.run([GCC, *CFLAGS, "-o", str(exe), f"{name}_main.c", f"{name}.c", "-lm"],
                   cwd=tmp_path, check=True, capture_output=True, text=True)
    res = subprocess.run([str(exe), "--rtol", "1e-10", "--atol", "1e-12", "--nout", "4"],
                         check=True, capture_output=True, text=True)
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "t," + ",".join(f"y{i}" for i in range(prob.n))
    table = np.array([[float(v) for v in row.split(",")] for row in lines[1:]])
    t0, t1 = prob.tspan
    np.testing.assert_allclose(table[:, 0], np.linspace(t0, t1, 5), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(table[0, 1:], prob.y0)
    sol = sn.solve(prob, sn.DP5(), rtol=1e-10, atol=1e-12, saveat=[t1],
                   backend="numpy:vectorized")
    expected = sol.y[-1]
    np.testing.assert_allclose(table[-1, 1:], expected, rtol=1e-6,
                               atol=1e-6 * np.max(np.abs(expected)))


@needs_gcc
def test_program_rejects_bad_options(probs, tmp_path):
    files = c_program.export_problem(probs["lorenz"], "lz")
    _write(files, tmp_path)
    subprocess.run([GCC, *CFLAGS, "-o", "lz", "lz_main.c", "lz.c", "-lm"], cwd=tmp_path,
                   check=True, capture_output=True)
    for args in (["--rtol"], ["--bogus", "1"], ["--nout", "x"], ["--tend", "-1"]):
        res = subprocess.run([str(tmp_path / "lz"), *args], capture_output=True, text=True)
        assert res.returncode == 2 and res.stdout == ""
    res = subprocess.run([str(tmp_path / "lz"), "--tend", "0.1", "--nout", "2"],
                         capture_output=True, text=True, check=True)
    assert res.stdout.strip().splitlines()[-1].startswith("0.10000000000000001,")


def test_makefile_recipe():
    mk = c_program.makefile("heat")
    assert "\t$(CC) $(CFLAGS) -o heat heat_main.c heat.c -lm" in mk


@pytest.mark.parametrize("name", ["heat_dirichlet", "mixed_2d", "lorenz"])
def test_snapshots(name, probs):
    files = cexp.export_problem(probs[name], name)
    assert_snapshot(f"c/{name}.c", files[f"{name}.c"])
    if name == "lorenz":
        assert_snapshot("c/lorenz.h", files["lorenz.h"])
