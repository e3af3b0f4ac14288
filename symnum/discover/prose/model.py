"""The PROSE network in torch: data + symbol encoders, fusion, operator and symbol decoders.

A scaled-down copy of the PROSE ODE model (Liu et al.; see
``research/discovery.md`` section 1.2): one token per time sample goes through a
data encoder (no positions), the skeleton of a symbolic guess through a symbol
encoder (sinusoidal positions), both through a fusion encoder with a modality
embedding. The operator decoder evaluates the solution at query times (each
query cross-attends to the fused *data* tokens only, queries never see one
another), the symbol decoder writes the equations in prefix tokens, cross-attending
to all fused tokens. :meth:`ProseModel.generate` decodes greedily under the
grammar of :mod:`.grammar`, with cached keys and values, so every finished
sequence is a well-formed system.

Examples
--------
>>> import torch
>>> from symnum.discover.prose.model import CONFIGS, ProseModel
>>> _ = torch.manual_seed(0)
>>> model = ProseModel(CONFIGS["small"]).eval()
>>> t = torch.linspace(0, 1.9, 32).expand(2, -1)
>>> y = torch.zeros(2, 32, 3); y[0, :, 0] = torch.sin(t[0]); y[1, :, :2] = 1.0
>>> x, scale = model.features(t, y, torch.tensor([1, 2]))
>>> x_mask = torch.zeros(2, 32, dtype=torch.bool)
>>> src = torch.zeros(2, 1, dtype=torch.long)  # no symbolic guess
>>> y_pred, logits = model(x, x_mask, src, torch.ones(2, 1, dtype=torch.long), t / 2.0)
>>> tuple(y_pred.shape), tuple(logits.shape)
((2, 32, 3), (2, 1, 1067))
>>> seqs = model.generate(x, x_mask, src, torch.tensor([1, 2]))
>>> [seq.count("|") for seq in seqs]
[0, 1]
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from . import tokens
from .grammar import PrefixGrammar

__all__ = ["ProseConfig", "CONFIGS", "features", "ProseModel", "PAD", "BOS", "EOS"]

PAD, BOS, EOS = 0, 1, 2


@dataclasses.dataclass
class ProseConfig:
    """Sizes of a :class:`ProseModel`.

    Examples
    --------
    >>> cfg = ProseConfig(width=64)
    >>> ProseConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    vocab_size: int = 1067
    d_max: int = 3
    width: int = 128
    heads: int = 4
    ffn: int = 512
    data_layers: int = 2
    symbol_layers: int = 2
    fusion_layers: int = 2
    operator_layers: int = 2
    decoder_layers: int = 2
    max_len: int = 96
    dropout: float = 0.0

    def to_dict(self):
        """Plain dict (JSON-able)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict`; unknown keys raise ``TypeError`` naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise TypeError(f"unknown ProseConfig fields {unknown}; valid ones: {sorted(names)}")
        return cls(**d)


#: "small" trains on 2 CPU cores; "base" is meant for a GPU.
CONFIGS = {
    "small": ProseConfig(width=96, heads=4, ffn=256, data_layers=2, symbol_layers=1,
                         fusion_layers=2, operator_layers=2, decoder_layers=2),
    "base": ProseConfig(width=256, heads=8, ffn=1024, data_layers=3, symbol_layers=3,
                        fusion_layers=4, operator_layers=4, decoder_layers=4, dropout=0.1),
}


def features(t, y, dim, t_in=None):
    """Data token features, one token per time sample.

    Parameters
    ----------
    t : Tensor (N,) or (B, N)
        Times relative to the window start.
    y : Tensor (B, N, d_max)
        States, zero beyond ``dim`` (and at padded samples).
    dim : Tensor or sequence (B,)
        Number of states of each system.
    t_in : float, optional
        Time unit; default :data:`.inference.T_IN` (the input window length).

    Returns
    -------
    x : Tensor (B, N, 2 * d_max + 2)
        ``[t / t_in, y / scale, log10(scale), valid-state mask]``.
    scale : Tensor (B,)
        Max ``|y|`` over valid states, at least 1e-6.

    Examples
    --------
    >>> x, scale = features(torch.arange(4.0), torch.ones(1, 4, 3), torch.tensor([2]), t_in=2.0)
    >>> x[0, 1].tolist(), scale.tolist()
    ([0.5, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0], [1.0])
    """
    if t_in is None:
        from .inference import T_IN as t_in
    y = torch.as_tensor(y, dtype=torch.float32)
    b, n, d_max = y.shape
    t = torch.as_tensor(t, dtype=y.dtype, device=y.device).expand(b, n)
    dim = torch.as_tensor(dim, device=y.device).reshape(b)
    valid = torch.arange(d_max, device=y.device) < dim[:, None]  # (B, d_max)
    y = y * valid[:, None, :]
    scale = y.abs().amax(dim=(1, 2)).clamp_min(1e-6)
    x = torch.cat([(t / t_in)[..., None], y / scale[:, None, None],
                   torch.log10(scale)[:, None, None].expand(b, n, 1),
                   valid[:, None, :].to(y.dtype).expand(b, n, d_max)], dim=-1)
    return x, scale


def _sinusoids(length, width):
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(1e4) / width))
    pe = torch.zeros(length, width)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: width // 2])
    return pe


def _encoder(cfg, layers):
    layer = nn.TransformerEncoderLayer(cfg.width, cfg.heads, cfg.ffn, cfg.dropout, "gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(cfg.width),
                                 enable_nested_tensor=False)


class _OperatorLayer(nn.Module):
    """Cross-attention from the queries to the data tokens, then an FFN; no self-attention."""

    def __init__(self, cfg):
        super().__init__()
        self.norm_q, self.norm_ff = nn.LayerNorm(cfg.width), nn.LayerNorm(cfg.width)
        self.attn = nn.MultiheadAttention(cfg.width, cfg.heads, cfg.dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(cfg.width, cfg.ffn), nn.GELU(), nn.Dropout(cfg.dropout),
                                nn.Linear(cfg.ffn, cfg.width), nn.Dropout(cfg.dropout))

    def forward(self, q, memory, mask):
        h = self.norm_q(q)
        q = q + self.attn(h, memory, memory, key_padding_mask=mask, need_weights=False)[0]
        return q + self.ff(self.norm_ff(q))


def _heads(x, h):
    b, n, w = x.shape
    return x.view(b, n, h, w // h).transpose(1, 2)


class ProseModel(nn.Module):
    """PROSE: operator (solution) and symbol (equation) prediction from trajectory data.

    Parameters
    ----------
    config : ProseConfig

    Examples
    --------
    >>> model = ProseModel(CONFIGS["small"])
    >>> round(sum(p.numel() for p in model.parameters()) / 1e6, 2)  # million parameters
    0.97
    """

    features = staticmethod(features)

    def __init__(self, config):
        super().__init__()
        cfg = self.config = config
        w = cfg.width
        if w % cfg.heads:
            raise ValueError(f"width={w} is not a multiple of heads={cfg.heads}")
        n_in = 2 * cfg.d_max + 2
        self.data_embed = nn.Sequential(nn.Linear(n_in, w), nn.GELU(), nn.Linear(w, w))
        self.data_encoder = _encoder(cfg, cfg.data_layers)
        self.embed = nn.Embedding(cfg.vocab_size, w, padding_idx=PAD)  # source, target and head
        nn.init.normal_(self.embed.weight, std=w ** -0.5)
        self.register_buffer("positions", _sinusoids(cfg.max_len, w), persistent=False)
        self.symbol_encoder = _encoder(cfg, cfg.symbol_layers)
        self.modality = nn.Embedding(2, w)
        self.fusion = _encoder(cfg, cfg.fusion_layers)
        self.query_embed = nn.Linear(1, w)
        self.operator_layers = nn.ModuleList(
            _OperatorLayer(cfg) for _ in range(cfg.operator_layers))
        self.operator_norm = nn.LayerNorm(w)
        self.operator_head = nn.Linear(w, cfg.d_max)
        layer = nn.TransformerDecoderLayer(w, cfg.heads, cfg.ffn, cfg.dropout, "gelu",
                                           batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, cfg.decoder_layers, norm=nn.LayerNorm(w))
        self._grammar = None

    # -- pieces -------------------------------------------------------------------------------
    def _symbols(self, ids, offset=0):
        n = ids.shape[1]
        if offset + n > self.config.max_len:
            raise ValueError(f"token sequence of length {offset + n} is longer than "
                             f"max_len={self.config.max_len}")
        return self.embed(ids) * math.sqrt(self.config.width) + self.positions[offset:offset + n]

    def encode(self, x, x_mask, src):
        """Fused features ``(memory, memory_mask, n_data)``; ``src`` may be all PAD or None."""
        x_mask = x_mask.bool()
        data = self.data_encoder(self.data_embed(x), src_key_padding_mask=x_mask)
        data = data + self.modality.weight[0]
        if src is None or src.shape[1] == 0:
            memory, mask = data, x_mask
        else:
            src_mask = src == PAD
            # an all-PAD row would give NaN in the symbol encoder: let it attend to its first
            # (PAD) token there; the fusion masks the whole row anyway
            enc_mask = src_mask.clone()
            enc_mask[:, 0] &= ~src_mask.all(dim=1)
            sym = self.symbol_encoder(self._symbols(src), src_key_padding_mask=enc_mask)
            memory = torch.cat([data, sym + self.modality.weight[1]], dim=1)
            mask = torch.cat([x_mask, src_mask], dim=1)
        memory = self.fusion(memory, src_key_padding_mask=mask)
        return memory, mask, x.shape[1]

    def operator(self, memory, mask, n_data, query_t):
        """Predicted states ``(B, Q, d_max)`` in units of ``scale`` at ``query_t`` (B, Q)."""
        q = self.query_embed(query_t[..., None].to(memory.dtype))
        data, data_mask = memory[:, :n_data], mask[:, :n_data]
        for layer in self.operator_layers:
            q = layer(q, data, data_mask)
        return self.operator_head(self.operator_norm(q))

    def symbol_logits(self, memory, mask, tgt_in):
        """Next-token logits ``(B, L, V)`` for the target prefix ``tgt_in`` (starts with BOS)."""
        n = tgt_in.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool, device=tgt_in.device).triu(1)
        h = self.decoder(self._symbols(tgt_in), memory, tgt_mask=causal, tgt_is_causal=True,
                         memory_key_padding_mask=mask)
        return h @ self.embed.weight.T

    def forward(self, x, x_mask, src, tgt_in, query_t):
        """Operator prediction and symbol logits.

        Parameters
        ----------
        x : Tensor (B, N, 2 * d_max + 2)
            From :func:`features`.
        x_mask : Tensor (B, N) bool
            True at padded samples (every row keeps at least one sample).
        src : Tensor (B, S) int64
            Skeleton token ids of the symbolic guess, PAD=0; a row of PAD (or S=0) = no guess.
        tgt_in : Tensor (B, L) int64
            Decoder input: ``<BOS>`` + target tokens (teacher forcing).
        query_t : Tensor (B, Q)
            Query times divided by the time unit of :func:`features`.

        Returns
        -------
        y_pred : Tensor (B, Q, d_max)
            States at ``query_t`` divided by ``scale``.
        logits : Tensor (B, L, vocab_size)
        """
        memory, mask, n_data = self.encode(x, x_mask, src)
        y_pred = self.operator(memory, mask, n_data, query_t)
        return y_pred, self.symbol_logits(memory, mask, tgt_in)

    # -- decoding -----------------------------------------------------------------------------
    def grammar(self):
        """The :class:`.grammar.PrefixGrammar` of the vocabulary this model uses."""
        if self._grammar is None:
            vocab = tokens.vocabulary(max_states=self.config.d_max, precision=3)
            if len(vocab) != self.config.vocab_size:
                raise ValueError(f"vocab_size={self.config.vocab_size} does not match the "
                                 f"{len(vocab)} tokens of "
                                 f"vocabulary(max_states={self.config.d_max})")
            self._grammar = PrefixGrammar(vocab)
        return self._grammar

    def _cross_cache(self, memory):
        caches = []
        for layer in self.decoder.layers:
            attn = layer.multihead_attn
            w = self.config.width
            k, v = F.linear(memory, attn.in_proj_weight[w:], attn.in_proj_bias[w:]).chunk(2, dim=-1)
            caches.append((_heads(k, self.config.heads), _heads(v, self.config.heads)))
        return caches

    def _step(self, ids, pos, self_cache, cross_cache, bias):
        """Hidden state of the newest token (B, 1, w) with cached keys/values (inference only)."""
        h_n, w = self.config.heads, self.config.width
        x = self._symbols(ids[:, None], offset=pos)
        for layer, (k_self, v_self), (k_mem, v_mem) in zip(self.decoder.layers, self_cache,
                                                            cross_cache):
            sa = layer.self_attn
            q, k, v = F.linear(layer.norm1(x), sa.in_proj_weight, sa.in_proj_bias).chunk(3, dim=-1)
            k_self[:, :, pos] = _heads(k, h_n)[:, :, 0]
            v_self[:, :, pos] = _heads(v, h_n)[:, :, 0]
            a = F.scaled_dot_product_attention(_heads(q, h_n), k_self[:, :, :pos + 1],
                                               v_self[:, :, :pos + 1])
            x = x + sa.out_proj(a.transpose(1, 2).reshape(-1, 1, w))
            ca = layer.multihead_attn
            q = F.linear(layer.norm2(x), ca.in_proj_weight[:w], ca.in_proj_bias[:w])
            a = F.scaled_dot_product_attention(_heads(q, h_n), k_mem, v_mem, attn_mask=bias)
            x = x + ca.out_proj(a.transpose(1, 2).reshape(-1, 1, w))
            x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
        return self.decoder.norm(x)

    @torch.no_grad()
    def generate(self, x, x_mask, src, dim, max_len=96):
        """Greedy decoding under the prefix grammar, batched.

        Parameters
        ----------
        x, x_mask, src
            As in :meth:`forward`.
        dim : Tensor or sequence (B,)
            Number of components of each system (1..d_max).
        max_len : int
            Most tokens per sequence, ``<BOS>`` and ``<EOS>`` included (as in the training
            targets); at most ``config.max_len``.

        Returns
        -------
        list of list of str
            Tokens of each system without ``<BOS>``/``<EOS>``: ``dim[b]`` prefix trees joined
            by ``'|'``. The grammar's length budget makes every sequence end in time, so
            ``tokens.decode(seq, states)`` gives ``dim[b]`` expressions.
        """
        max_len = min(int(max_len), self.config.max_len)
        was_training, threads = self.training, torch.get_num_threads()
        self.eval()
        # each step is a handful of tiny ops, which one thread runs fastest; with more, every
        # op waits on a thread barrier, up to 60x slower when another process holds a core
        torch.set_num_threads(1)
        try:
            dims = [int(d) for d in torch.as_tensor(dim).reshape(-1)]
            return self._generate(x, x_mask, src, dims, max_len)
        finally:
            torch.set_num_threads(threads)
            self.train(was_training)

    def _generate(self, x, x_mask, src, dims, max_len):
        grammar = self.grammar()
        b, w, h_n = x.shape[0], self.config.width, self.config.heads
        memory, mask, _ = self.encode(x, x_mask, src)
        cross = self._cross_cache(memory)
        bias = torch.zeros(mask.shape, dtype=memory.dtype, device=memory.device)
        bias = bias.masked_fill(mask, float("-inf"))[:, None, None, :]
        shape = (b, h_n, max_len, w // h_n)
        cache = [(memory.new_zeros(shape), memory.new_zeros(shape)) for _ in self.decoder.layers]
        category = torch.tensor(grammar.token_category, device=memory.device)
        states = [grammar.start(d, max_len - 1) for d in dims]
        ids = torch.full((b,), BOS, dtype=torch.long, device=memory.device)
        out = [[] for _ in range(b)]
        for pos in range(max_len - 1):
            hidden = self._step(ids, pos, cache, cross, bias)[:, 0]
            logits = hidden @ self.embed.weight.T
            allowed = torch.tensor([s.allowed() for s in states], device=memory.device)
            logits = logits.masked_fill(~allowed[:, category], float("-inf"))
            ids = logits.argmax(dim=-1)
            for i, tok in enumerate(ids.tolist()):
                if not states[i].finished:
                    states[i].push(tok)
                    if not states[i].finished:
                        out[i].append(grammar.vocab[tok])
            if all(s.finished for s in states):
                break
        return out
