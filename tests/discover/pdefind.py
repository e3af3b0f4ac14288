"""Load the PDE-FIND example fields (tests/data/pdefind) as ``Measurements``."""

from __future__ import annotations

import pathlib

import numpy as np
import scipy.io
import sympy as sp

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "pdefind"

t, x = sp.symbols("t x")
u = sp.Function("u")
U = u(t, x)
Ux = [U.diff(x, k) if k else U for k in range(5)]

#: the known equations, as ``rhs`` of u_t = rhs
TRUTH = {
    "burgers": -U * Ux[1] + sp.Rational(1, 10) * Ux[2],
    "kdv": -6 * U * Ux[1] - Ux[3],
    "kuramoto_sivishinky": -U * Ux[1] - Ux[2] - Ux[4],
}


def load_arrays(name):
    """``(ts, xs, field)`` with ``field`` shaped ``(len(ts), len(xs))``."""
    d = scipy.io.loadmat(DATA / f"{name}.mat")
    if name == "kuramoto_sivishinky":
        ts, xs, field = d["tt"], d["x"], d["uu"]
    else:
        ts, xs, field = d["t"], d["x"], d["usol"]
    return (np.ravel(ts).astype(float), np.ravel(xs).astype(float),
            np.ascontiguousarray(np.real(field).T, dtype=float))


def load(name, noise=0.0, seed=0, every=(1, 1)):
    """The file as ``Measurements`` (optionally noisy, strided by ``every=(in t, in x)``)."""
    from symnum.discover.measurements import Measurements

    ts, xs, field = load_arrays(name)
    st, sx = every
    meas = Measurements({"u": field[::st, ::sx]}, coords={t: ts[::st], x: xs[::sx]})
    return meas.with_noise(noise, seed=seed) if noise else meas
