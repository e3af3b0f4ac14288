"""``sn.export`` dispatcher: languages, validation messages, Export files and writing."""

import importlib.util

import numpy as np
import pytest
import sympy as sp

import symnum as sn
from symnum.codegen.export import LANGUAGES, Export, export
from symnum.errors import CodegenError

from models import heat_dirichlet, lorenz

t, x, y = sp.symbols("t x y")
u = sp.Function("u")


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _heat_system():
    return sn.PDESystem([sp.Eq(u(t, x).diff(t), u(t, x).diff(x, 2))], domain={t: (0, 1), x: (0, 1)},
                        initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                        boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)])


def test_languages():
    assert LANGUAGES == ("c", "c-program", "fortran", "julia", "numpy", "torch", "jax")


@pytest.mark.parametrize("language", [None, "rust", 3])
def test_unknown_language_lists_the_valid_ones(language):
    with pytest.raises(CodegenError, match=r"unknown export language .*valid: 'c', 'c-program', "
                                           r"'fortran', 'julia', 'numpy', 'torch', 'jax'"):
        export(sp.sin(x), language)


def test_pde_without_method_says_how():
    with pytest.raises(CodegenError, match=r"needs a discretization: pass method=, e\.g\. "
                                           r"method=sn\.FiniteDifference\(\{x: 64\}, order=2\)"):
        export(_heat_system(), "numpy")


def test_pde_with_method_is_discretized():
    exp = export(_heat_system(), "numpy", method=sn.FiniteDifference({x: 11}, order=2), name="h")
    assert "N = 9" in exp.files["h.py"]


@pytest.mark.parametrize("obj", [object(), {"a": 1}, sp.Eq(x, 1), [sp.sin(x), "cos(x)"], []])
def test_unsupported_objects(obj):
    with pytest.raises(CodegenError, match="cannot export"):
        export(obj, "numpy")


def test_strings_are_never_parsed():
    with pytest.raises(CodegenError, match="strings are never parsed"):
        export("sin(x)", "numpy")


@pytest.mark.parametrize("name", ["1abc", "_x", "a-b", "a b", "", "é", 5])
def test_bad_names(name):
    with pytest.raises(CodegenError, match="not an identifier in every target language"):
        export(sp.sin(x), "numpy", name=name)


@pytest.mark.parametrize("name", ["for", "end", "double", "numpy", "torch", "Function", "math"])
def test_reserved_names(name):
    with pytest.raises(CodegenError, match="keyword or module name"):
        export(sp.sin(x), "numpy", name=name)


def test_long_name():
    with pytest.raises(CodegenError, match="Fortran allows"):
        export(sp.sin(x), "numpy", name="a" * 80)


def test_args_validation():
    with pytest.raises(CodegenError, match=r"lacks the free symbols \['y'\]"):
        export(sp.sin(x) * y, "numpy", args=[x])
    with pytest.raises(CodegenError, match="more than once"):
        export(sp.sin(x), "numpy", args=[x, x])
    with pytest.raises(CodegenError, match="must hold SymPy symbols"):
        export(sp.sin(x), "numpy", args=["x"])
    with pytest.raises(CodegenError, match="also an argument"):
        export(sp.sin(x), "numpy", name="x")
    with pytest.raises(CodegenError, match="orders the arguments of an exported expression"):
        export(lorenz(), "numpy", args=[x])


def test_option_misuse():
    with pytest.raises(CodegenError, match="method= applies to a PDESystem only"):
        export(sp.sin(x), "numpy", method=sn.FiniteDifference({x: 8}))
    with pytest.raises(CodegenError, match="already discretized"):
        export(heat_dirichlet(), "numpy", method=sn.FiniteDifference({x: 8}))
    with pytest.raises(CodegenError, match="an ODESystem needs no discretization"):
        export(lorenz(), "numpy", method=sn.FiniteDifference({x: 8}))
    with pytest.raises(CodegenError, match="script=True applies to models"):
        export(sp.sin(x), "numpy", script=True)
    with pytest.raises(CodegenError, match="simplify=True needs the system"):
        export(heat_dirichlet(), "numpy", simplify=True)
    with pytest.raises(CodegenError, match="torch export has no script form"):
        export(lorenz(), "torch", script=True)


def test_args_fix_the_order(tmp_path):
    exp = export([x - y, x * y], "numpy", name="f", args=[y, x])
    assert "def f(y, x):" in str(exp)
    f = _import(exp.write(tmp_path)[0], "f_order").f
    assert f(2.0, 5.0) == (3.0, 10.0)


def test_default_args_sorted_by_name():
    b, a = sp.symbols("b a")
    assert "def g(a, b, x):" in str(export(a + b * x, "numpy", name="g"))


def test_matrix_and_numbers():
    assert "return (numpy.sin(x), 2*x)" in str(export(sp.Matrix([sp.sin(x), 2 * x]), "numpy"))
    assert "return 2.5" in str(export(2.5, "numpy"))


def test_export_object_and_write_round_trip(tmp_path):
    exp = export(lorenz(), "numpy", name="lorenz")
    assert isinstance(exp, Export) and exp.language == "numpy" and exp.main == "lorenz.py"
    assert str(exp) == exp.files["lorenz.py"]
    assert "lorenz.py" in repr(exp) and "chars" in repr(exp)
    paths = exp.write(tmp_path / "new" / "dir")
    assert [p.name for p in paths] == ["lorenz.py"]
    assert paths[0].read_text() == str(exp)
    mod = _import(paths[0], "lorenz_round_trip")
    assert mod.N == 3 and mod.PARAMS == ("beta", "rho", "sigma")
    np.testing.assert_allclose(mod.rhs(0.0, mod.Y0), [-10.0, 28.0, 0.0])


def test_language_name_is_case_insensitive():
    assert export(sp.sin(x), "NumPy").language == "numpy"


def test_simplify_expression():
    pytest.importorskip("egglog")
    try:
        from symnum.simplify import simplify  # noqa: F401
    except ImportError:
        pytest.skip("symnum.simplify is not importable")
    exp = export(sp.sin(x) ** 2 + sp.cos(x) ** 2 + x, "numpy", name="s", simplify=True)
    assert "def s(x):" in str(exp)


def test_simplify_system(tmp_path):
    import inspect

    if "simplify" not in inspect.signature(sn.discretize).parameters:
        with pytest.raises(CodegenError, match=r"needs sn\.discretize\(\.\.\., simplify=True\)"):
            export(lorenz(), "numpy", simplify=True)
        return
    pytest.importorskip("egglog")
    exp = export(lorenz(), "numpy", name="lorenz_s", simplify=True)
    mod = _import(exp.write(tmp_path)[0], "lorenz_simplified")
    ref = sn.discretize(lorenz()).functions("numpy").rhs
    yv = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(mod.rhs(0.5, yv), ref(0.5, yv), rtol=1e-12)


def test_program_languages_need_a_model():
    import importlib

    if hasattr(importlib.import_module("symnum.codegen.export.c_program"), "export_expression"):
        pytest.skip("c-program exports expressions too")
    with pytest.raises(CodegenError, match="the 'c-program' export takes a model.*use one of 'c'"):
        export(sp.sin(x), "c-program")


@pytest.mark.parametrize("language", ["fortran", "julia"])
def test_piecewise_without_default_piece_is_refused(language):
    xs = sp.Symbol("x")
    with pytest.raises(sn.CodegenError, match="no default piece"):
        sn.export(sp.Piecewise((xs, xs > 0)), language, name="f")
