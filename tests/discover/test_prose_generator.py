"""PROSE data generator: token round trips, coefficient ranges, symbol and data noise, shards."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from symnum.discover.prose import generator as gen
from symnum.discover.prose import tokens
from symnum.errors import DiscoveryError

pytest.importorskip("torch")

SMALL = dict(families=["logistic", "pendulum", "sir"], n_per_family=3, shard_size=4, seed=7,
             progress=False)


def n_terms(exprs):
    return [len(sp.Add.make_args(e)) for e in exprs]


# -- families and sampling ----------------------------------------------------------------------

def test_registry():
    assert len(gen.FAMILIES) >= 13 and gen.HELD_OUT_FAMILY == "selkov"
    assert set(gen.TRAIN_FAMILIES) == set(gen.FAMILIES) - {"selkov"}
    for fam in gen.FAMILIES.values():
        assert 1 <= fam.dim <= gen.D_MAX and len(fam.ic) == fam.dim
        assert all(lo < hi for lo, hi in fam.ic)
    assert len(gen.VOCAB) == 1067


@pytest.mark.parametrize("name", list(gen.FAMILIES))
def test_every_family_round_trips_through_tokens(name):
    fam = gen.FAMILIES[name]
    u = sp.symbols(f"u_0:{fam.dim}")
    rng = np.random.default_rng(0)
    for spread in [(0, 0.1), (0.1, 0.2)]:
        for _ in range(20):
            rhs = gen.sample_system(name, rng, spread)
            seq = tokens.encode(rhs, u, precision=3)
            assert tokens.decode(seq, u) == rhs, (rhs, seq)
            assert len(seq) + 2 <= gen.MAX_LEN
            assert rhs[0].free_symbols <= set(u)


@pytest.mark.parametrize("spread", [(0, 0.1), (0.1, 0.2)])
def test_coefficient_ranges(spread):
    # linear2 and lotka_volterra: every coefficient is plus or minus one parameter
    cases = {"linear2": lambda u: {("a", 0, u[0]), ("b", 0, u[1]), ("c", 1, u[0]), ("d", 1, u[1])},
             "lotka_volterra": lambda u: {("alpha", 0, u[0]), ("beta", 0, -u[0] * u[1]),
                                          ("delta", 1, u[0] * u[1]), ("gamma", 1, -u[1])}}
    rng = np.random.default_rng(1)
    for name, terms in cases.items():
        fam = gen.FAMILIES[name]
        u = sp.symbols(f"u_0:{fam.dim}")
        rel = {p: [] for p in fam.params}
        for _ in range(300):
            rhs = gen.sample_system(name, rng, spread)
            for p, i, mono in terms(u):
                sign, m = mono.as_coeff_Mul()
                coeff = rhs[i].as_coefficients_dict()[m] * sign
                rel[p].append(float(coeff) / fam.params[p] - 1)
        for p, r in rel.items():
            r = np.abs(r)
            # rounding to 3 significant digits moves a value by at most 0.5 % of it
            assert r.min() >= spread[0] - 0.006 and r.max() <= spread[1] + 0.006, (name, p)
            assert r.max() > spread[1] - 0.02  # the range is used
        signs = np.sign(rel["alpha" if name == "lotka_volterra" else "a"])
        assert (signs > 0).any() and (signs < 0).any()


def test_sampling_is_deterministic():
    a = gen.sample_system("lorenz", np.random.default_rng(3))
    b = gen.sample_system("lorenz", np.random.default_rng(3))
    assert a == b and a != gen.sample_system("lorenz", np.random.default_rng(4))


# -- symbol noise ---------------------------------------------------------------------------------

def test_corrupt_adds_and_removes_terms():
    rng = np.random.default_rng(2)
    for _ in range(30):
        rhs = gen.sample_system("lorenz", rng)
        before = n_terms(rhs)
        assert gen.corrupt(rhs, rng, p_add=0, p_remove=0) == rhs
        added = gen.corrupt(rhs, rng, p_add=1, p_remove=0)
        assert sum(n_terms(added)) == sum(before) + 1
        assert sum(a != b for a, b in zip(added, rhs)) == 1
        removed = gen.corrupt(rhs, rng, p_add=0, p_remove=1)
        assert sum(n_terms(removed)) == sum(before) - 1
        both = gen.corrupt(rhs, rng, p_add=1, p_remove=1)
        assert sum(n_terms(both)) == sum(before)
        assert n_terms(rhs) == before  # the input is untouched
        u = sp.symbols("u_0:3")
        skel = tokens.encode(added, u, skeleton=True)
        assert skel.count("<PLACEHOLDER>") >= 1 and tokens.decode(skel, u)


def test_corrupt_added_term_is_a_low_degree_monomial():
    u0, = sp.symbols("u_0:1")
    rng = np.random.default_rng(0)
    for _ in range(20):
        (out,) = gen.corrupt([2.5 * u0], rng, p_add=1, p_remove=0)
        new = out - 2.5 * u0
        coeff, mono = new.as_coeff_Mul()
        assert isinstance(coeff, sp.Float) and mono in (1, u0**2)


# -- data noise -----------------------------------------------------------------------------------

def test_add_noise_norm_ratio_is_gamma():
    rng = np.random.default_rng(0)
    y = np.zeros((5, 192, 3))
    dim = np.array([1, 2, 3, 2, 1])
    for b, d in enumerate(dim):
        y[b, :, :d] = rng.normal(size=(192, d)) + 3
    for gamma in (0.0, 0.02, 0.5):
        for kw in ({"dim": dim}, {}):
            noisy = gen.add_noise(y, gamma, rng, **kw)
            ratio = np.linalg.norm(noisy - y, axis=(1, 2)) / np.linalg.norm(y, axis=(1, 2))
            assert np.allclose(ratio, gamma, rtol=1e-12, atol=1e-15)
            for b, d in enumerate(dim):
                assert (noisy[b, :, d:] == 0).all()
    one = gen.add_noise(y[0], 0.1, rng)  # a single trajectory (T, D)
    assert np.isclose(np.linalg.norm(one - y[0]) / np.linalg.norm(y[0]), 0.1)
    assert gen.add_noise(y.astype(np.float32), 0.1, rng).dtype == np.float32


# -- shards ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("prose") / "a"
    manifest = gen.generate(out, **SMALL)
    return out, manifest


def test_generate_files_shapes_dtypes(small):
    out, manifest = small
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "shard_00000.npz",
                                                     "shard_00001.npz", "shard_00002.npz"]
    disk = json.loads((out / "manifest.json").read_text())
    assert disk == json.loads(json.dumps(manifest))
    assert disk["families"] == SMALL["families"] and disk["vocab"] == gen.VOCAB
    assert [s["n"] for s in disk["shards"]] == [4, 4, 1]
    assert set(disk["rejection_rate"]) == set(SMALL["families"])
    with np.load(out / "shard_00000.npz") as f:
        assert f["t"].shape == (192,) and f["t"].dtype == np.float64
        assert f["y"].shape == (4, 192, 3) and f["y"].dtype == np.float32
        assert f["dim"].dtype == np.int8 and f["family"].dtype == np.int16
        assert f["target"].shape == f["source"].shape == (4, 96)
        assert f["target"].dtype == f["source"].dtype == np.int16
    data = gen.load(out)
    assert data["y"].shape == (9, 192, 3) and data["t"][-1] == gen.T_END
    assert list(data["family"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert list(data["dim"]) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    for b in range(9):
        d = data["dim"][b]
        assert (data["y"][b, :, d:] == 0).all() and np.isfinite(data["y"][b]).all()
        assert np.abs(data["y"][b]).max() < 1e3
        for key in ("target", "source"):
            ids = list(data[key][b])
            assert ids[0] == gen.BOS and ids.count(gen.EOS) == 1
            end = ids.index(gen.EOS)
            assert all(i == gen.PAD for i in ids[end + 1:]) and gen.PAD not in ids[:end]
            seq = [gen.VOCAB[i] for i in ids[1:end]]
            assert len(tokens.decode(seq, sp.symbols("u_0:3"))) == d
            if key == "source":
                assert not any(t in ("+", "-") or t.startswith("N") for t in seq)


def test_trajectories_match_scipy_on_decoded_targets(small):
    data = gen.load(small[0])
    for b in range(len(data["y"])):
        d = int(data["dim"][b])
        ids = list(data["target"][b])
        seq = [gen.VOCAB[i] for i in ids[1:ids.index(gen.EOS)]]
        u = sp.symbols(f"u_0:{d}")
        f = sp.lambdify([u], tokens.decode(seq, u))
        y = data["y"][b, :, :d].astype(float)
        ref = solve_ivp(lambda t, x: f(x), (0, gen.T_END), y[0], t_eval=data["t"], rtol=1e-11,
                        atol=1e-12, method="DOP853").y.T
        assert np.linalg.norm(y - ref) / np.linalg.norm(ref) < 1e-3, (b, seq)


def test_generate_is_deterministic_and_resumes(small, tmp_path):
    out, manifest = small
    again = tmp_path / "b"
    assert gen.generate(again, **SMALL) == manifest
    for name in ("manifest.json", "shard_00000.npz", "shard_00001.npz", "shard_00002.npz"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    (again / "shard_00001.npz").unlink()
    stamps = {n: (again / n).stat().st_mtime_ns for n in ("shard_00000.npz", "shard_00002.npz")}
    assert gen.generate(again, **SMALL) == manifest
    assert (again / "shard_00001.npz").read_bytes() == (out / "shard_00001.npz").read_bytes()
    assert {n: (again / n).stat().st_mtime_ns for n in stamps} == stamps
    assert not [p for p in again.iterdir() if p.name.endswith(".tmp")]


def test_generate_rebuilds_a_shard_made_with_another_config(small, tmp_path):
    out, manifest = small
    other = tmp_path / "c"
    shutil.copytree(out, other)
    before = (other / "shard_00000.npz").read_bytes()
    gen.generate(other, **{**SMALL, "seed": 8})
    assert (other / "shard_00000.npz").read_bytes() != before
    assert json.loads((other / "manifest.json").read_text())["config"]["seed"] == 8


# -- errors ---------------------------------------------------------------------------------------

def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(DiscoveryError, match=r"unknown family 'lorentz'.*valid families: \['linear2'"):
        gen.sample_system("lorentz", rng)
    with pytest.raises(DiscoveryError, match=r"unknown family 'lorentz' in families; valid"):
        gen.generate("/nonexistent/never", ["lorenz", "lorentz"], progress=False)
    with pytest.raises(DiscoveryError, match=r"families has duplicates"):
        gen.generate("/nonexistent/never", ["lorenz", "lorenz"], progress=False)
    for bad in [(0.2, 0.1), (0, 1.5), (-0.1, 0.1), "wide", (0.1,)]:
        with pytest.raises(DiscoveryError, match=r"spread=.* is not valid: pass spread=\(low, high\) "
                                                 r"with 0 <= low <= high < 1"):
            gen.sample_system("lorenz", rng, spread=bad)
    with pytest.raises(DiscoveryError, match=r"spread=\(0.3, 0.2\) is not valid"):
        gen.generate("/nonexistent/never", spread=(0.3, 0.2), progress=False)
    with pytest.raises(DiscoveryError, match=r"p_add=2 is not a probability; pass a number in \[0, 1\]"):
        gen.corrupt([sp.Symbol("u_0")], rng, p_add=2)
    with pytest.raises(DiscoveryError, match=r"n_per_family=0 is not valid; pass a positive int"):
        gen.generate("/nonexistent/never", n_per_family=0, progress=False)
    with pytest.raises(DiscoveryError, match=r"gamma=-1 is not valid"):
        gen.add_noise(np.ones((4, 2)), -1, rng)
    with pytest.raises(DiscoveryError, match=r"no manifest.json in .*; run generate"):
        gen.load("/nonexistent/never")
    with pytest.raises(DiscoveryError, match=r"longer than MAX_LEN=96"):
        gen._ids(["u_0"] * 95)


def test_load_names_a_missing_shard(small, tmp_path):
    other = tmp_path / "d"
    shutil.copytree(small[0], other)
    (other / "shard_00002.npz").unlink()
    with pytest.raises(DiscoveryError, match=r"shard_00002.npz listed in .* is missing; rerun"):
        gen.load(other)


def test_generate_gives_up_after_ten_draws_per_sample(monkeypatch, tmp_path):
    def reject_all(self, coefs, y0):
        return np.zeros((len(coefs), gen.N_TIMES, self.family.dim)), np.zeros(len(coefs), bool)

    monkeypatch.setattr(gen.Terms, "integrate", reject_all)
    with pytest.raises(DiscoveryError, match=r"family 'logistic': only 0 of 30 trajectories stayed "
                                             r"finite.*narrow spread=\(low, high\)"):
        gen.generate(tmp_path, ["logistic"], 3, progress=False)
    assert not list(tmp_path.iterdir())
