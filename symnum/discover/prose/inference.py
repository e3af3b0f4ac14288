"""From trajectories to PROSE's two outputs: token sequences and the operator forecast.

The model was trained on trajectories observed on ``t in [0, T_IN)`` (times
relative to the first sample), at most ``N_IN`` samples, with 1 to 3 states.
:func:`window` cuts a user's series to that frame; :func:`inputs` pads a batch
of windows into the model's tensors (the same function builds training
batches); :func:`run` decodes the equations (grammar-constrained greedy
decoding, so every sequence is a well-formed system) and evaluates the
operator decoder at query times.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0, 5, 501)
>>> tw, yw = window(t, np.c_[np.sin(t), np.cos(t)])
>>> float(tw.max()) < T_IN, yw.shape
(True, (64, 2))
"""

from __future__ import annotations

import numpy as np

from ...errors import DataError, DiscoveryError
from . import tokens
from .checkpoint import VOCAB_ARGS

__all__ = ["T_IN", "N_IN", "D_MAX", "window", "inputs", "source_ids", "run", "decode", "STATES"]

T_IN = 2.0
N_IN = 64
D_MAX = 3
MAX_LEN = 96
#: the state symbols ``u_0, u_1, u_2`` the decoded expressions use.
STATES = None


def _states():
    global STATES
    if STATES is None:
        import sympy as sp

        STATES = list(sp.symbols(f"u_0:{D_MAX}"))
    return STATES


def _vocab():
    vocab = tokens.vocabulary(**VOCAB_ARGS)
    return vocab, {tok: i for i, tok in enumerate(vocab)}


def window(t, y, n=N_IN):
    """The samples with ``t - t[0] < T_IN`` (all of them on a shorter series), at most ``n``
    of them evenly spread; returns ``(t - t[0], y)``."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if t.ndim != 1 or y.shape[0] != t.size:
        raise DataError(f"times of shape {t.shape} do not match states of shape {y.shape}.")
    if not 1 <= y.shape[1] <= D_MAX:
        raise DataError(f"PROSE handles systems of 1 to {D_MAX} states; these data have "
                        f"{y.shape[1]}. Use method='sindy' or 'weak' for larger systems.")
    rel = t - t[0]
    keep = np.flatnonzero(rel < T_IN)
    if keep.size < 8:
        raise DataError(f"PROSE needs at least 8 samples in its input window t - t0 < {T_IN:g}; "
                        f"these data have {keep.size}. Give denser samples.")
    if keep.size > n:
        keep = keep[np.unique(np.round(np.linspace(0, keep.size - 1, n)).astype(int))]
    return rel[keep], y[keep]


def inputs(model, t, y, mask, dim):
    """Model tensors from padded arrays: ``t (B, N)``, ``y (B, N, D_MAX)`` (zero beyond ``dim``),
    ``mask (B, N)`` True where a sample is padding, ``dim (B,)``.

    Returns ``(x, x_mask, scale)``: token features, padding mask and each system's scale (the
    operator decoder predicts ``y / scale``).
    """
    import torch

    t = torch.from_numpy(np.array(t, dtype=np.float32))  # copies: inputs may be read-only views
    y = torch.from_numpy(np.array(y, dtype=np.float32))
    mask = torch.from_numpy(np.array(mask, dtype=bool))
    dim = torch.from_numpy(np.array(dim, dtype=np.int64))
    y = y.masked_fill(mask[..., None], 0.0)
    x, scale = model.features(t, y, dim)
    return x, mask, scale


def source_ids(expressions, length=None):
    """Token ids ``<BOS> skeleton <EOS>`` of a symbolic guess (expressions in ``u_0..``)."""
    vocab, index = _vocab()
    seq = ["<BOS>", *tokens.encode(list(expressions), _states()[:len(expressions)],
                                   skeleton=True), "<EOS>"]
    if len(seq) > MAX_LEN:
        raise DiscoveryError(f"the symbolic guess is {len(seq)} tokens long; at most {MAX_LEN} fit.")
    return [index[tok] for tok in seq]


def decode(seq, dim):
    """The expressions of a decoded token list, or None when it is not a valid system of
    ``dim`` finite expressions."""
    try:
        exprs = tokens.decode(list(seq), _states()[:dim])
    except DiscoveryError:
        return None
    if len(exprs) != dim or any(not e.is_finite and e.is_finite is not None for e in exprs):
        return None
    return exprs


def run(model, windows, sources=None, query=None):
    """Decode equations and (optionally) forecast, for a batch of windows.

    Parameters
    ----------
    model : ProseModel
    windows : list of (t, y)
        As returned by :func:`window`.
    sources : list of (list of int or None), optional
        Symbolic guesses as token ids (:func:`source_ids`), None for no guess.
    query : array, optional
        Times (relative to each window's start) where the operator decoder is evaluated.

    Returns
    -------
    (list of list of str, ndarray or None)
        The token sequences, and the forecast ``(B, len(query), D_MAX)`` in data units.
    """
    import torch

    b = len(windows)
    n = max(len(tw) for tw, _ in windows)
    t = np.zeros((b, n))
    y = np.zeros((b, n, D_MAX))
    mask = np.ones((b, n), dtype=bool)
    dim = np.array([yw.shape[1] for _, yw in windows])
    for i, (tw, yw) in enumerate(windows):
        t[i, :len(tw)], y[i, :len(tw), :yw.shape[1]], mask[i, :len(tw)] = tw, yw, False
    srcs = [s or [] for s in (sources or [None] * b)]
    src = np.zeros((b, max(1, max(len(s) for s in srcs))), dtype=np.int64)
    for i, s in enumerate(srcs):
        src[i, :len(s)] = s
    with torch.no_grad():
        x, x_mask, scale = inputs(model, t, y, mask, dim)
        seqs = model.generate(x, x_mask, torch.as_tensor(src), torch.as_tensor(dim),
                              max_len=MAX_LEN)
        forecast = None
        if query is not None:
            q = torch.as_tensor(np.asarray(query, dtype=np.float32)).expand(b, -1)
            src_t = torch.as_tensor(src)
            tgt = torch.ones((b, 1), dtype=torch.long)  # <BOS>: the symbol decoder is not needed
            pred, _ = model(x, x_mask, src_t, tgt, q / T_IN)
            forecast = (pred * scale[:, None, None]).numpy()
    return seqs, forecast
