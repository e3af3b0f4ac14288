"""Julia export: every model's file parses, calls only known names, and (with Julia) solves."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symnum.codegen.export import julia
from symnum.errors import CodegenError

from models import problems
from snapshot import assert_snapshot

pytest.importorskip("tree_sitter", reason="tree_sitter is not installed")
pytest.importorskip("tree_sitter_julia", reason="tree_sitter_julia is not installed")

PROBLEMS = problems()
KNOWN = {n for names in julia.SCRIPT_NAMES.values() for n in names}


@pytest.mark.parametrize("script", [False, True])
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_problem_file_parses_and_calls_known_names(name, script):
    prob = PROBLEMS[name]
    files = julia.export_problem(prob, name, script=script)
    assert list(files) == [f"{name}.jl"]
    src = files[f"{name}.jl"]
    assert julia.syntax_errors(src) == []
    calls = julia.called_names(src)
    assert calls - KNOWN - {f"{name}_rhs!", f"{name}_jac!"} == set()
    assert f"function {name}_rhs!(du, u, p, t)" in src
    assert f"const {name}_u0 = " in src and f"const {name}_tspan = " in src
    assert "@inbounds" in src
    if prob.axes:
        assert f"const {name}_jac_rows = " in src and f"function {name}_jac!" not in src
    else:
        assert f"function {name}_jac!(J, u, p, t)" in src
    if script:
        assert "using OrdinaryDiffEq" in src
        assert ("using SparseArrays" in src) == bool(prob.axes)
        assert "Rodas5P()" in src and "reltol = 1e-8, abstol = 1e-10" in src
        assert {"ODEFunction", "ODEProblem", "solve", "println"} <= calls
    else:
        assert "using " not in src and "solve(" not in src


def test_jacobian_pattern_is_the_problem_sparsity():
    prob = PROBLEMS["mixed_2d"]
    src = julia.export_problem(prob, "m")["m.jl"]

    def ints(const):
        body = src.split(f"const {const} = Int[")[1].split("]")[0]
        return np.array([int(v) for v in body.replace("\n", " ").split(",") if v.strip()])

    rows, cols = ints("m_jac_rows"), ints("m_jac_cols")
    S = np.zeros((prob.n, prob.n))
    S[rows - 1, cols - 1] = 1
    np.testing.assert_array_equal(S, prob.jac_sparsity.toarray() != 0)


def test_broken_source_is_reported():
    # the checker can fail: a missing `end` and a stray operator are both found
    assert julia.syntax_errors("function f(x)\n    x +\n") != []
    assert julia.syntax_errors("y = [1, 2\n") != []
    good = julia.export_problem(PROBLEMS["lorenz"], "lorenz")["lorenz.jl"]
    unclosed = good.replace("    return nothing\nend", "    return nothing", 1)
    assert julia.syntax_errors(unclosed) != []


def test_expression_export():
    x, y, end = sp.symbols("x y end")
    exprs = [sp.Max(x, 0) ** 2 + sp.Piecewise((y, x > 1), (0, True)) + sp.Rational(1, 3) * end,
             sp.atan2(y, x) + sp.Heaviside(x) + sp.sqrt(x**2 + 1) + 2**(-x)]
    one = julia.export_expression(exprs[:1], "one", [x, y, end])["one.jl"]
    many = julia.export_expression(exprs, "many", [x, y, end])["many.jl"]
    for src in (one, many):
        assert julia.syntax_errors(src) == []
        assert julia.called_names(src) <= KNOWN
    # a keyword argument name is renamed, and the body uses the new name
    assert "function one(x, y, end_)" in one and "(1/3)*end_" in one
    assert "ifelse(x > 1, y, 0.0)" in one and "2.0^(-x)" in many and "atan(y, x)" in many


def test_printer_output_is_scalar_julia():
    x, y = sp.symbols("x y")
    pr = julia.JuliaPrinter()
    assert pr.doprint(x * y**2 / 3) == "(1/3)*x*y^2"
    assert pr.doprint(x ** sp.Rational(3, 2)) == "x^(3/2)"
    assert pr.doprint(sp.pi * sp.exp(1) * x) == "2.718281828459045*pi*x"
    assert pr.doprint(sp.Min(x, 1)) == "min(1.0, x)"


def test_unsupported_node_is_named():
    x = sp.Symbol("x")
    with pytest.raises(CodegenError, match=r"Julia code for besselj\(0, x\)"):
        julia.export_expression([sp.besselj(0, x)], "f", [x])
    with pytest.raises(CodegenError, match=r"Julia code for erf\(x\)"):
        julia.JuliaPrinter().doprint(sp.erf(x) + 1)
    with pytest.raises(CodegenError, match=r"Julia code for g\(x\)"):
        julia.JuliaPrinter().doprint(sp.Function("g")(x))
    with pytest.raises(CodegenError, match=r"not among the arguments"):
        julia.export_expression([x * sp.Symbol("y")], "f", [x])


def test_snapshot_lorenz_script():
    text = julia.export_problem(PROBLEMS["lorenz"], "lorenz", script=True)["lorenz.jl"]
    assert_snapshot("julia/lorenz.jl", text)


def test_snapshot_heat_dirichlet():
    text = julia.export_problem(PROBLEMS["heat_dirichlet"], "heat")["heat.jl"]
    assert_snapshot("julia/heat_dirichlet.jl", text)


def test_snapshot_brusselator_2d():
    text = julia.export_problem(PROBLEMS["brusselator_2d"], "bruss")["bruss.jl"]
    assert_snapshot("julia/brusselator_2d.jl", text)


@pytest.mark.julia
@pytest.mark.parametrize("name", ["lorenz", "heat_dirichlet", "mixed_2d"])
def test_script_runs_and_matches_symnum(tmp_path, name):
    exe = os.environ.get("JULIA") or shutil.which("julia")
    if exe is None:
        pytest.skip("no julia executable on PATH")
    import symnum as sn

    prob = PROBLEMS[name]
    path = tmp_path / f"{name}.jl"
    path.write_text(julia.export_problem(prob, name, script=True)[f"{name}.jl"])
    res = subprocess.run([exe, "--startup-file=no", str(path)], capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    lines = res.stdout.splitlines()
    assert "Success" in lines[0]
    t_end = float(lines[1].split("=")[1])
    final = np.array([float(v) for v in lines[2:2 + prob.n]])
    assert t_end == pytest.approx(prob.tspan[1])
    sol = sn.solve(prob, sn.Rodas5P(), rtol=1e-9, atol=1e-11, saveat=[prob.tspan[1]])
    np.testing.assert_allclose(final, sol.y[-1], rtol=1e-5, atol=1e-7)
