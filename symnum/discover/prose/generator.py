"""Training data for PROSE: sampled ODE systems, their trajectories (solved by symnum), token ids.

A family of :data:`FAMILIES` is expanded into terms ``coefficient x monomial``;
each coefficient that depends on the parameters becomes a parameter of one
``sn.ODESystem`` per family, so a whole batch of sampled systems is one
``sn.solve(..., backend="torch", steps="independent")`` call. Sampled
coefficients are rounded to 3 significant digits *before* solving, so the
trajectories belong exactly to the target expressions, and
``tokens.decode(tokens.encode(e, u, precision=3), u)`` gives ``e`` back.

:func:`generate` writes shards ``shard_00000.npz, ...`` and ``manifest.json``;
:func:`load` reads them back. Data noise (:func:`add_noise`) is left to the
training loop; symbol noise (:func:`corrupt`) is baked into the ``source``
sequences.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from symnum.discover.prose import tokens
>>> rhs = sample_system("lotka_volterra", np.random.default_rng(0))
>>> rhs  # delta came out as 1.00, an exact integer: no coefficient
[-1.03*u_0*u_1 + 1.4*u_0, u_0*u_1 - 3.01*u_1]
>>> u = sp.symbols("u_0:2")
>>> tokens.decode(tokens.encode(rhs, u, precision=3), u) == rhs
True
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import sympy as sp

from ...errors import DiscoveryError
from . import tokens
from .families import (ATOL, FAMILIES, HELD_OUT_FAMILY, MAX_ABS, N_TIMES, PRECISION, RTOL, T_END,
                       TRAIN_FAMILIES, Family, Terms, round_sig)

__all__ = ["FAMILIES", "TRAIN_FAMILIES", "HELD_OUT_FAMILY", "Family", "VOCAB", "T_END", "N_TIMES",
           "MAX_LEN", "D_MAX", "sample_system", "corrupt", "add_noise", "generate", "load"]

MAX_LEN, D_MAX = 96, 3
VOCAB = tokens.vocabulary(max_states=D_MAX, precision=PRECISION)
_IDS = {tok: i for i, tok in enumerate(VOCAB)}
PAD, BOS, EOS = (_IDS[k] for k in ("<PAD>", "<BOS>", "<EOS>"))
MAX_DRAWS = 10  # systems drawn per sample kept, at most
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same call writes the same bytes
_FORMAT = 1


def _family(family):
    if isinstance(family, Family):
        return family
    if isinstance(family, str) and family in FAMILIES:
        return FAMILIES[family]
    raise DiscoveryError(f"unknown family {family!r} ({type(family).__name__}); valid families: "
                         f"{list(FAMILIES)}. Pass one of these names.")


def _spread(spread):
    try:
        lo, hi = (float(v) for v in spread)
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not 0 <= lo <= hi < 1:
        raise DiscoveryError(f"spread={spread!r} is not valid: pass spread=(low, high) with "
                             "0 <= low <= high < 1, e.g. (0, 0.1) (in distribution) or (0.1, 0.2) "
                             "(the held-back range).")
    return lo, hi


def _probability(name, p):
    if not (isinstance(p, (int, float)) and 0 <= p <= 1):
        raise DiscoveryError(f"{name}={p!r} is not a probability; pass a number in [0, 1].")
    return float(p)


def sample_system(family, rng, spread=(0, 0.1)):
    """Draw one system of a family, coefficients rounded to 3 significant digits.

    Parameters
    ----------
    family : str or Family
        A key of :data:`FAMILIES`.
    rng : numpy.random.Generator
        Source of randomness.
    spread : (float, float)
        Each canonical parameter ``p0`` becomes ``p0 (1 + s r)``, ``r = +/-1``,
        ``s ~ U(spread)``; ``(0, 0.1)`` is the training range, ``(0.1, 0.2)`` the
        held-back one.

    Returns
    -------
    list of sympy.Expr
        Expanded right-hand sides in ``u_0 .. u_{d-1}``.

    Examples
    --------
    >>> sample_system("logistic", np.random.default_rng(1), spread=(0.1, 0.2))
    [-0.633*u_0**2 + 1.02*u_0]
    """
    fam = _family(family)
    tpl = Terms.of(fam.name) if FAMILIES.get(fam.name) is fam else Terms(fam)
    coefs, _ = tpl.draw(rng, 1, _spread(spread))
    return tpl.expressions(coefs[0])


def _random_coefficient(rng):
    while True:
        c = float(round_sig(rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(-1, 0.7))[()])
        if not c.is_integer():
            return sp.Float(c)


def corrupt(expressions, rng, p_add=0.15, p_remove=0.15):
    """Symbol noise: maybe delete one additive term, then maybe insert one ``c m``.

    Parameters
    ----------
    expressions : list of sympy.Expr
        Right-hand sides in ``u_0 .. u_{d-1}`` (``d = len(expressions)``).
    rng : numpy.random.Generator
        Source of randomness.
    p_add : float
        Probability of adding ``c m`` to one random component: ``m`` a random
        monomial of degree 0..2 in the states that the component does not hold
        yet, ``c`` a random 3-digit float.
    p_remove : float
        Probability of deleting one random term of a random component with
        at least two terms (nothing happens when no component has two).

    Returns
    -------
    list of sympy.Expr
        A new list; the input is not changed.

    Examples
    --------
    >>> u0, u1 = sp.symbols("u_0:2")
    >>> corrupt([u0 - 2.5 * u1, u0], np.random.default_rng(1), p_add=1, p_remove=1)
    [u_0, u_0 + 0.339*u_1**2]
    """
    p_add, p_remove = _probability("p_add", p_add), _probability("p_remove", p_remove)
    out = [sp.sympify(e) for e in expressions]
    u = sp.symbols(f"u_0:{len(out)}")
    if rng.random() < p_remove:
        many = [i for i, e in enumerate(out) if len(sp.Add.make_args(e)) >= 2]
        if many:
            i = many[rng.integers(len(many))]
            terms = out[i].as_ordered_terms()
            del terms[rng.integers(len(terms))]
            out[i] = sp.Add(*terms)
    if rng.random() < p_add:
        i = int(rng.integers(len(out)))
        held = {t.as_coeff_Mul()[1] for t in sp.Add.make_args(out[i])}
        monomials = [sp.S.One, *u, *(u[a] * u[b] for a in range(len(u)) for b in range(a, len(u)))]
        free = [m for m in monomials if m not in held]
        if free:
            out[i] = out[i] + _random_coefficient(rng) * free[rng.integers(len(free))]
    return out


def add_noise(y, gamma, rng, dim=None):
    """Gaussian noise scaled so that ``||noise|| = gamma ||y||`` per trajectory (valid states only).

    Parameters
    ----------
    y : array_like, shape (..., T, D)
        Trajectories; states beyond a trajectory's dimension are zero.
    gamma : float
        Relative noise level (the paper uses 0.02).
    rng : numpy.random.Generator
        Source of randomness.
    dim : array_like of int, shape (...), optional
        Valid states per trajectory; by default the states that are not
        identically zero.

    Returns
    -------
    numpy.ndarray
        ``y`` plus noise, same shape and dtype; padded states stay zero.

    Examples
    --------
    >>> y = np.ones((2, 4, 3)); y[:, :, 2] = 0
    >>> noisy = add_noise(y, 0.1, np.random.default_rng(0), dim=[2, 2])
    >>> np.linalg.norm(noisy - y, axis=(1, 2)) / np.linalg.norm(y, axis=(1, 2))
    array([0.1, 0.1])
    """
    y = np.asarray(y)
    if not (isinstance(gamma, (int, float)) and gamma >= 0):
        raise DiscoveryError(f"gamma={gamma!r} is not valid; pass a number >= 0 (e.g. 0.02).")
    if y.ndim < 2:
        raise DiscoveryError(f"y has shape {y.shape}; pass trajectories of shape (..., T, D).")
    if dim is None:
        mask = np.any(y != 0, axis=-2, keepdims=True)
    else:
        mask = (np.arange(y.shape[-1]) < np.asarray(dim)[..., None])[..., None, :]
    noise = rng.standard_normal(y.shape) * mask
    scale = gamma * np.sqrt(np.sum((y * mask).astype(float) ** 2, axis=(-2, -1)))
    norm = np.sqrt(np.sum(noise ** 2, axis=(-2, -1)))
    scale = scale / np.where(norm > 0, norm, 1.0)
    return (y + noise * scale[..., None, None]).astype(y.dtype)


def _ids(seq):
    if len(seq) + 2 > MAX_LEN:
        raise DiscoveryError(f"a sequence of {len(seq) + 2} tokens (with <BOS>, <EOS>) is longer "
                             f"than MAX_LEN={MAX_LEN}: {' '.join(seq)}")
    ids = [BOS] + [_IDS[t] for t in seq] + [EOS]
    return ids + [PAD] * (MAX_LEN - len(ids))


def _make_shard(k, config):
    """Arrays of shard ``k`` and the number of systems drawn per family."""
    names, per, size = config["families"], config["n_per_family"], config["shard_size"]
    rng = np.random.default_rng(np.random.SeedSequence([config["seed"], k]))
    index = np.arange(k * size, min((k + 1) * size, per * len(names))) // per
    y = np.zeros((len(index), N_TIMES, D_MAX), np.float32)
    target = np.zeros((len(index), MAX_LEN), np.int16)
    source = np.zeros_like(target)
    drawn = {}
    for f in np.unique(index):
        tpl, rows = Terms.of(names[f]), np.flatnonzero(index == f)
        coefs, ys, drawn[names[f]] = [], [], 0
        while sum(map(len, ys)) < len(rows):
            if drawn[names[f]] >= MAX_DRAWS * len(rows):
                raise DiscoveryError(
                    f"family {names[f]!r}: only {sum(map(len, ys))} of {drawn[names[f]]} trajectories "
                    f"stayed finite, below |y| < {MAX_ABS:g} and not constant; narrow "
                    "spread=(low, high) or fix the family's initial box in families.py.")
            c, y0 = tpl.draw(rng, len(rows) - sum(map(len, ys)), config["spread"])
            traj, ok = tpl.integrate(c, y0)
            drawn[names[f]] += len(ok)
            coefs.append(c[ok])
            ys.append(traj[ok])
        y[rows, :, :tpl.family.dim] = np.concatenate(ys)
        for r, c in zip(rows, np.concatenate(coefs)):
            expr = tpl.expressions(c)
            target[r] = _ids(tokens.encode(expr, tpl.u, precision=PRECISION))
            noisy = corrupt(expr, rng, config["p_add"], config["p_remove"])
            source[r] = _ids(tokens.encode(noisy, tpl.u, precision=PRECISION, skeleton=True))
    dims = np.array([FAMILIES[names[f]].dim for f in index], np.int8)
    arrays = {"t": np.linspace(0.0, T_END, N_TIMES), "y": y, "dim": dims,
              "family": index.astype(np.int16), "target": target, "source": source}
    return arrays, drawn


def _write_atomic(path, write):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_npz(fh, arrays):
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME), buf.getvalue())


def _existing(path, config, k):
    """The ``drawn`` counts of a complete shard made with ``config``, else None."""
    try:
        with np.load(path) as f:
            meta = json.loads(str(f["meta"].item()))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return meta["drawn"] if meta.get("config") == config and meta.get("shard") == k else None


def generate(out_dir, families=TRAIN_FAMILIES, n_per_family=1000, *, seed=0, shard_size=500,
             spread=(0, 0.1), p_add=0.15, p_remove=0.15, progress=True):
    """Write sharded training data; deterministic and resumable.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing; receives ``shard_00000.npz, ...`` and ``manifest.json``.
    families : sequence of str
        Keys of :data:`FAMILIES` (default: every family but ``selkov``).
    n_per_family : int
        Trajectories per family; sample ``i`` belongs to family ``i // n_per_family``.
    seed : int
        Shard ``k`` draws from ``SeedSequence([seed, k])``.
    shard_size : int
        Samples per shard (the last one may be smaller).
    spread : (float, float)
        Parameter spread, see :func:`sample_system`.
    p_add, p_remove : float
        Symbol noise of the ``source`` sequences, see :func:`corrupt`.
    progress : bool
        Show a tqdm bar over shards.

    Returns
    -------
    dict
        The manifest: ``families``, ``vocab``, ``config``, ``shards`` (file,
        size, systems drawn per family) and ``rejection_rate`` per family.

    Notes
    -----
    Shard arrays: ``t`` (192,) float64; ``y`` (n, 192, 3) float32, zero beyond
    ``dim``; ``dim`` (n,) int8; ``family`` (n,) int16 (index into
    ``families``); ``target`` and ``source`` (n, 96) int16 token ids
    (``<BOS> ... <EOS>`` then ``<PAD>``), ``source`` being the corrupted
    skeleton; ``meta`` a JSON string (config, shard index, draws). A shard on
    disk whose ``meta`` matches the call is kept as is; files are written to a
    temporary name and moved into place.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m = generate(d, ["logistic"], 3, shard_size=2, progress=False)
    ...     data = load(d)
    >>> [s["file"] for s in m["shards"]], data["y"].shape, data["target"].dtype
    (['shard_00000.npz', 'shard_00001.npz'], (3, 192, 3), dtype('int16'))
    """
    from tqdm.auto import tqdm

    names = [families] if isinstance(families, str) else list(families)
    if not names:
        raise DiscoveryError(f"families is empty; pass some of {list(FAMILIES)}.")
    for name in names:
        if not isinstance(name, str) or name not in FAMILIES:
            raise DiscoveryError(f"unknown family {name!r} in families; valid families: "
                                 f"{list(FAMILIES)}. Pass a list of these names.")
    if len(set(names)) != len(names):
        raise DiscoveryError(f"families has duplicates: {names}; list each family once.")
    for key, v in (("n_per_family", n_per_family), ("shard_size", shard_size)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
            raise DiscoveryError(f"{key}={v!r} is not valid; pass a positive int.")
    config = {"families": names, "n_per_family": n_per_family, "seed": int(seed),
              "shard_size": shard_size, "spread": list(_spread(spread)),
              "p_add": _probability("p_add", p_add), "p_remove": _probability("p_remove", p_remove),
              "t_end": T_END, "n_times": N_TIMES, "max_len": MAX_LEN, "precision": PRECISION,
              "rtol": RTOL, "atol": ATOL, "format": _FORMAT}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total = n_per_family * len(names)
    shards, drawn = [], dict.fromkeys(names, 0)
    for k in tqdm(range(-(-total // shard_size)), disable=not progress, desc="PROSE data",
                  unit="shard"):
        path = out / f"shard_{k:05d}.npz"
        counts = _existing(path, config, k) if path.exists() else None
        if counts is None:
            arrays, counts = _make_shard(k, config)
            arrays["meta"] = np.array(json.dumps({"config": config, "shard": k, "drawn": counts},
                                                 sort_keys=True))
            _write_atomic(path, lambda fh, a=arrays: _write_npz(fh, a))
        for name, c in counts.items():
            drawn[name] += c
        shards.append({"file": path.name, "n": min(shard_size, total - k * shard_size),
                       "drawn": counts})
    manifest = {"families": names, "vocab": VOCAB, "config": config, "shards": shards,
                "rejection_rate": {n: round(1 - n_per_family / drawn[n], 4) for n in names}}
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    _write_atomic(out / "manifest.json", lambda fh: fh.write(text))
    return manifest


def load(out_dir):
    """Read what :func:`generate` wrote, every shard concatenated.

    Parameters
    ----------
    out_dir : str or Path
        The directory given to :func:`generate`.

    Returns
    -------
    dict
        ``t`` (192,), ``y``, ``dim``, ``family``, ``target``, ``source``
        (concatenated over shards, in order), ``families``, ``vocab`` and
        ``config`` from the manifest.

    Examples
    --------
    >>> load("/nonexistent")
    Traceback (most recent call last):
    ...
    symnum.errors.DiscoveryError: no manifest.json in /nonexistent; run generate('/nonexistent') first.
    """
    out = Path(out_dir)
    try:
        manifest = json.loads((out / "manifest.json").read_text())
    except FileNotFoundError:
        raise DiscoveryError(f"no manifest.json in {out_dir}; run generate({str(out_dir)!r}) "
                             "first.") from None
    parts = {}
    for shard in manifest["shards"]:
        try:
            with np.load(out / shard["file"]) as f:
                for key in ("t", "y", "dim", "family", "target", "source"):
                    parts.setdefault(key, []).append(f[key])
        except FileNotFoundError:
            raise DiscoveryError(f"{shard['file']} listed in {out / 'manifest.json'} is missing; "
                                 f"rerun generate({str(out_dir)!r}, ...) with the same arguments "
                                 "to rebuild it.") from None
    data = {key: np.concatenate(v) for key, v in parts.items() if key != "t"}
    data.update(t=parts["t"][0], families=manifest["families"], vocab=manifest["vocab"],
                config=manifest["config"])
    return data
