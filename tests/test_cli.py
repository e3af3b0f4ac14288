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
