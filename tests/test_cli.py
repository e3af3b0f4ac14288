"""The ``symnum`` command: --version, gallery runs, selection, failures, packaging."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import symnum
from symnum.cli import main

REPO = Path(__file__).resolve().parents[1]


def _symnum(*args, cwd=None, timeout=600):
    """Run the installed ``symnum`` script (or ``python -m symnum`` if it is not on disk)."""
    script = Path(sys.executable).with_name("symnum")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "symnum"]
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([*cmd, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_version():
    out = _symnum("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"symnum {symnum.__version__}"


def test_python_dash_m(capsys):
    out = subprocess.run([sys.executable, "-m", "symnum", "--version"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.startswith("symnum ")


def test_gallery_one_example(tmp_path):
    out = _symnum("gallery", "--quick", "--only", "heat_1d", "--out", tmp_path / "g")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[1/1] pde_1d/plot_heat_1d ... ok" in out.stdout
    index = (tmp_path / "g" / "index.html").read_text()
    assert "Heat equation against its exact solution" in index and "passed" in index
    figure = tmp_path / "g" / "pde_1d" / "plot_heat_1d" / "heat_1d.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert 'src="pde_1d/plot_heat_1d/heat_1d.png"' in index


def _toy_gallery(root: Path) -> Path:
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "plot_good.py").write_text(
        '"""\nA good <example>\n================\n\nDraws a line.\n"""\n'
        "import os\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\n"
        "fig.savefig(os.path.join(os.environ['SYMNUM_GALLERY_OUT'], 'line.png'))\n"
        "assert os.environ.get('SYMNUM_QUICK') == '1'\n")
    (root / "demo" / "plot_bad.py").write_text(
        '"""\nA failing example\n=================\n"""\nassert 1 + 1 == 3, "arithmetic"\n')
    return root


def test_gallery_reports_failures(tmp_path):
    root = _toy_gallery(tmp_path / "ex")
    out = _symnum("gallery", "--quick", "--examples", root, "--out", tmp_path / "g")
    assert out.returncode == 1
    assert "[1/2] demo/plot_bad ... FAILED" in out.stdout and "arithmetic" in out.stdout
    assert "[2/2] demo/plot_good ... ok" in out.stdout
    assert "1 passed, 1 failed" in out.stdout
    index = (tmp_path / "g" / "index.html").read_text()
    assert "A good &lt;example&gt;" in index  # titles are escaped, never interpreted
    assert "failed (exit 1)" in index and "AssertionError: arithmetic" in index
    assert (tmp_path / "g" / "demo" / "plot_good" / "line.png").exists()


def test_gallery_only_unknown_name(tmp_path, capsys):
    assert main(["gallery", "--only", "no_such_example", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no example named ['no_such_example']" in err and "heat_1d" in err


def test_gallery_list(capsys):
    assert main(["gallery", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "ode/plot_robertson" in listing and "Robertson" in listing


def test_gallery_missing_examples_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SYMNUM_EXAMPLES", raising=False)
    assert main(["gallery", "--examples", str(tmp_path / "nowhere"), "--list"]) == 2
    assert "cannot find the gallery scripts" in capsys.readouterr().err


@pytest.mark.slow
def test_wheel_ships_the_gallery(tmp_path):
    """``pip install .`` must carry the examples: the wheel holds symnum/_examples."""
    src = tmp_path / "src"  # build from a copy: the build leaves build/ and egg-info behind
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".*venv*", "venv", "build", "dist", "*.egg-info", "__pycache__",
        "symnum_cache", "gallery_out", "_examples"))
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                          "-w", str(tmp_path), str(src)], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    wheel, = tmp_path.glob("symnum-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).relative_to("symnum/_examples").as_posix() for n in names
               if n.startswith("symnum/_examples/") and n.endswith(".py")}
    expected = {p.relative_to(REPO / "examples").as_posix()
                for p in (REPO / "examples").glob("*/plot_*.py")}
    assert expected and expected <= shipped


# -- symnum export -----------------------------------------------------------------------
_MODEL = '''
import sympy as sp
import symnum as sn

t, x = sp.symbols("t x")
u, nu = sp.Function("u"), sp.Symbol("nu")
heat = sn.PDESystem([sp.Eq(u(t, x).diff(t), nu * u(t, x).diff(x, 2))],
                    domain={t: (0, 1), x: (0, 1)}, initial=[sp.Eq(u(0, x), sp.sin(sp.pi * x))],
                    boundary=[sp.Eq(u(t, 0), 0), sp.Eq(u(t, 1), 0)], parameters={nu: 0.1})
f = sp.sin(x) * nu
'''


def _import_file(path, name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_export_pde_file(tmp_path, capsys):
    import numpy as np

    model = tmp_path / "mymodel.py"
    model.write_text(_MODEL)
    out = tmp_path / "out"
    assert main(["export", f"{model}:heat", "--to", "numpy", "--points", "16", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "heat.py")]
    mod = _import_file(out / "heat.py", "cli_heat")
    prob = sn_discretize_heat(model)
    yv = prob.y0 + 0.01 * np.arange(prob.n)
    np.testing.assert_allclose(mod.rhs(0.2, yv), prob.functions("numpy").rhs(0.2, yv), rtol=1e-12)
    assert mod.N == 14


def sn_discretize_heat(model):
    user = _import_file(model, "cli_user_model")
    return symnum.discretize(user.heat, symnum.FiniteDifference({user.x: 16}, order=2))


def test_export_axis_points_name_and_expression(tmp_path, capsys):
    model = tmp_path / "m2.py"
    model.write_text(_MODEL)
    assert main(["export", f"{model}:heat", "--to", "torch", "--points", "x=12", "--order", "4",
                 "--name", "heat4", "--out", str(tmp_path)]) == 0
    assert "class Heat4(torch.nn.Module)" in (tmp_path / "heat4.py").read_text()
    assert main(["export", f"{model}:f", "--to", "numpy", "--out", str(tmp_path)]) == 0
    assert _import_file(tmp_path / "f.py", "cli_f").f(0.5, 0.0) == 0.0


def test_export_module_target(tmp_path, capsys):
    assert main(["export", "sympy:pi", "--to", "numpy", "--name", "piconst",
                 "--out", str(tmp_path)]) == 0
    assert "return numpy.pi" in (tmp_path / "piconst.py").read_text()


@pytest.mark.parametrize("argv, message", [
    (["{model}:nothing", "--to", "numpy"], "has no attribute 'nothing'; it defines: f, heat"),
    (["{model}:heat", "--to", "cobol"], "unknown language --to 'cobol'; valid: c, c-program"),
    (["{tmp}/missing.py:heat", "--to", "c"], "no file"),
    (["{model}:heat", "--to", "numpy"], "give the grid with --points"),
    (["{model}:heat", "--to", "numpy", "--points", "y=3"], "AXIS one of ['x']"),
    (["{model}:heat", "--to", "numpy", "--points", "many"], "must be a positive integer"),
    (["{model}:f", "--to", "numpy", "--points", "8"], "--points applies to a PDESystem"),
    (["{model}", "--to", "numpy"], "needs the form path/to/file.py:attribute"),
    (["no_such_package_xyz:obj", "--to", "numpy"], "cannot import module 'no_such_package_xyz'"),
    (["{model}:heat", "--to", "numpy", "--points", "8", "--order", "3"], "order must be an even"),
])
def test_export_errors(tmp_path, capsys, argv, message):
    model = tmp_path / "m3.py"
    model.write_text(_MODEL)
    argv = [a.format(model=model, tmp=tmp_path) for a in argv]
    assert main(["export", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symnum export: error: ") and message in err, err


def test_gallery_skips_an_example_whose_optional_package_is_missing(tmp_path, capsys,
                                                                    monkeypatch):
    topic = tmp_path / "examples" / "demo"
    topic.mkdir(parents=True)
    (topic / "plot_needs_jax.py").write_text(
        '"""\nNeeds jax\n=========\n\nSYMNUM_QUICK SYMNUM_GALLERY_OUT\n"""\n'
        "import jax.numpy as jnp\nassert jnp\n")
    from symnum import gallery

    ex = gallery.find_examples(tmp_path / "examples")[0]
    assert ex.requires == ("jax",)
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",      # as if jax were not installed
                        lambda name, *a: None if name == "jax" else real(name, *a))
    rc = main(["gallery", "--examples", str(tmp_path / "examples"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert rc == 0 and "skipped: needs jax" in out and "1 skipped" in out
    assert "skipped" in (tmp_path / "out" / "index.html").read_text()
