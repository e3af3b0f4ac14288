"""Importing symnum stays light: no torch, no juliacall, no egglog, no plotting or netCDF stack."""

import json
import subprocess
import sys

HEAVY = ["torch", "juliacall", "juliapkg", "matplotlib", "xarray", "h5netcdf", "netCDF4", "egglog",
         "pysindy", "pyoperon", "sklearn"]


def _loaded_after(code: str) -> list[str]:
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_symnum_is_light():
    assert _loaded_after("import symnum") == []


def test_public_names_do_not_pull_heavy_modules():
    loaded = _loaded_after("import symnum as sn\n"
                           "names = [getattr(sn, n) for n in sn.__all__]")
    assert "torch" not in loaded and "juliacall" not in loaded, loaded


def test_cli_import_is_light():
    assert _loaded_after("import symnum.cli, symnum.gallery") == []
