"""Tests of the PROSE torch model and its grammar-constrained decoding."""

import io
import time

import pytest

torch = pytest.importorskip("torch")
sp = pytest.importorskip("sympy")

from symnum.discover.prose import tokens  # noqa: E402
from symnum.discover.prose.grammar import PrefixGrammar  # noqa: E402
from symnum.discover.prose.model import (  # noqa: E402
    BOS, CONFIGS, EOS, PAD, ProseConfig, ProseModel, features,
)

VOCAB = tokens.vocabulary(max_states=3, precision=3)
INDEX = {tok: i for i, tok in enumerate(VOCAB)}
TINY = ProseConfig(width=32, heads=2, ffn=64, data_layers=1, symbol_layers=1, fusion_layers=1,
                   operator_layers=1, decoder_layers=1)
STATES = sp.symbols("u_0:3")


@pytest.fixture(autouse=True)
def _one_thread():
    # these models are tiny: one thread is fastest, and two threads crawl when another
    # process holds a core (every op waits on a barrier)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _inputs(b=3, n=16, s=7, seed=0, dims=None):
    g = torch.Generator().manual_seed(seed)
    dims = torch.tensor(dims if dims is not None else [1 + i % 3 for i in range(b)])
    t = torch.linspace(0, 1.9, n).expand(b, n)
    y = torch.randn(b, n, 3, generator=g) * 3
    x, scale = features(t, y, dims, t_in=2.0)
    x_mask = torch.zeros(b, n, dtype=torch.bool)
    src = torch.randint(5, len(VOCAB), (b, s), generator=g)
    src[:, 0] = BOS
    return x, x_mask, src, dims, scale


def _model(cfg=TINY, seed=0):
    torch.manual_seed(seed)
    return ProseModel(cfg).eval()


def test_features():
    y = torch.zeros(2, 4, 3)
    y[0, :, 0] = torch.tensor([1.0, -4.0, 2.0, 0.0])
    y[0, :, 2] = 100.0  # beyond dim: ignored
    y[1, :, :] = 1e-9
    x, scale = features(torch.arange(4.0), y, [1, 3], t_in=2.0)
    assert x.shape == (2, 4, 8)
    assert scale.tolist() == pytest.approx([4.0, 1e-6])
    assert x[0, :, 0].tolist() == [0.0, 0.5, 1.0, 1.5]
    assert x[0, :, 1].tolist() == [0.25, -1.0, 0.5, 0.0]
    assert x[0, :, 3].abs().max() == 0
    assert x[0, 0, 4].item() == pytest.approx(torch.log10(torch.tensor(4.0)).item())
    assert x[0, 0, 5:].tolist() == [1.0, 0.0, 0.0] and x[1, 0, 5:].tolist() == [1.0, 1.0, 1.0]


def test_shapes_and_parameter_count():
    model = _model(CONFIGS["small"])
    x, x_mask, src, _, _ = _inputs()
    y_pred, logits = model(x, x_mask, src, torch.randint(0, 1067, (3, 11)), torch.rand(3, 5))
    assert y_pred.shape == (3, 5, 3) and logits.shape == (3, 11, 1067)
    for name, cfg in CONFIGS.items():
        n = sum(p.numel() for p in ProseModel(cfg).parameters())
        print(f"ProseModel({name!r}): {n / 1e6:.2f} M parameters")
    assert 0.5e6 < sum(p.numel() for p in model.parameters()) < 3e6


def test_padding_changes_nothing():
    model = _model()
    x, x_mask, src, _, _ = _inputs()
    tgt, q = torch.randint(5, 1067, (3, 9)), torch.rand(3, 4)
    y0, l0 = model(x, x_mask, src, tgt, q)
    x2 = torch.cat([x, torch.randn(3, 5, 8)], dim=1)
    m2 = torch.cat([x_mask, torch.ones(3, 5, dtype=torch.bool)], dim=1)
    src2 = torch.cat([src, torch.zeros(3, 4, dtype=torch.long)], dim=1)
    y1, l1 = model(x2, m2, src2, tgt, q)
    torch.testing.assert_close(y1, y0, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(l1, l0, atol=1e-5, rtol=1e-5)
    # padding inside a batch: row 0 shorter than row 1, compared with row 0 alone
    x_mask3 = x_mask.clone()
    x_mask3[0, 10:] = True
    y3, l3 = model(x, x_mask3, src, tgt, q)
    y4, l4 = model(x[:1, :10], x_mask[:1, :10], src[:1], tgt[:1], q[:1])
    torch.testing.assert_close(y3[:1], y4, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(l3[:1], l4, atol=1e-5, rtol=1e-5)


def test_queries_are_independent():
    model = _model()
    x, x_mask, src, _, _ = _inputs()
    tgt, q = torch.randint(5, 1067, (3, 4)), torch.rand(3, 6)
    y_all, _ = model(x, x_mask, src, tgt, q)
    y_one, _ = model(x, x_mask, src, tgt, q[:, 2:3])
    torch.testing.assert_close(y_all[:, 2:3], y_one, atol=1e-6, rtol=1e-6)


def test_symbol_decoder_is_causal():
    model = _model()
    x, x_mask, src, _, _ = _inputs()
    tgt, q = torch.randint(5, 1067, (3, 12)), torch.rand(3, 2)
    _, l0 = model(x, x_mask, src, tgt, q)
    tgt2 = tgt.clone()
    tgt2[:, 7:] = torch.randint(5, 1067, (3, 5))
    _, l1 = model(x, x_mask, src, tgt2, q)
    torch.testing.assert_close(l1[:, :7], l0[:, :7], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(l1[:, 7:], l0[:, 7:])


def test_all_pad_source_is_finite_and_means_no_source():
    model = _model()
    x, x_mask, _, dims, _ = _inputs()
    tgt, q = torch.randint(5, 1067, (3, 5)), torch.rand(3, 3)
    outs = [model(x, x_mask, src, tgt, q) for src in
            (torch.zeros(3, 6, dtype=torch.long), torch.zeros(3, 0, dtype=torch.long), None)]
    for y_pred, logits in outs:
        assert torch.isfinite(y_pred).all() and torch.isfinite(logits).all()
        torch.testing.assert_close(y_pred, outs[0][0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(logits, outs[0][1], atol=1e-5, rtol=1e-5)
    model.train()
    y_pred, logits = model(x, x_mask, torch.zeros(3, 6, dtype=torch.long), tgt, q)
    (y_pred.sum() + logits.logsumexp(-1).sum()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model.generate(x, x_mask, torch.zeros(3, 6, dtype=torch.long), dims)


def test_greedy_decoding_matches_forward():
    """The cached step-by-step decoder picks the argmax of the full forward's masked logits."""
    model = _model(CONFIGS["small"], seed=1)
    x, x_mask, src, dims, _ = _inputs()
    grammar = model.grammar()
    category = torch.tensor(grammar.token_category)
    for i, seq in enumerate(model.generate(x, x_mask, src, dims)):
        ids = [BOS] + [INDEX[t] for t in seq] + [EOS]
        _, logits = model(x[i:i + 1], x_mask[i:i + 1], src[i:i + 1], torch.tensor([ids[:-1]]),
                          torch.zeros(1, 1))
        state = grammar.start(int(dims[i]), 95)
        for pos, tok in enumerate(ids[1:]):
            allowed = torch.tensor(state.allowed())[category]
            assert logits[0, pos].masked_fill(~allowed, float("-inf")).argmax().item() == tok
            state.push(tok)


def _random_model(seed):
    model = _model(CONFIGS["small"], seed)
    if seed % 2:  # sharper logits, so that the greedy choices vary more
        with torch.no_grad():
            model.embed.weight.mul_(8.0)
    return model


def test_generated_sequences_always_decode():
    lengths = []
    for seed in range(100):
        model = _random_model(seed)
        dims = [1 + (seed + i) % 3 for i in range(4)]
        x, x_mask, src, dims, _ = _inputs(b=4, n=12, s=5, seed=seed, dims=dims)
        src[seed % 4] = PAD
        for seq, d in zip(model.generate(x, x_mask, src, dims), dims.tolist()):
            assert len(seq) <= 94 and "<PLACEHOLDER>" not in seq
            exprs = tokens.decode(seq, STATES[:d])
            assert len(exprs) == d
            names = {str(s) for e in exprs for s in e.free_symbols}
            assert names <= {f"u_{i}" for i in range(d)}
            lengths.append(len(seq))
    assert max(lengths) > 40  # some runaway trees were cut by the length budget


def test_grammar_budget_forces_leaves():
    grammar = PrefixGrammar(VOCAB)
    state = grammar.start(dim=1, budget=4)  # e.g. 'add u_0 u_0 <EOS>'
    allowed = dict(zip(grammar.categories, state.allowed()))
    assert allowed["binary"] and allowed["u_0"] and not allowed["u_1"] and not allowed["eos"]
    state.push(INDEX["add"])
    allowed = dict(zip(grammar.categories, state.allowed()))
    assert allowed["u_0"] and allowed["int"] and not allowed["unary"] and not allowed["sign"]
    for tok in ["pow", "u_0"]:
        state = grammar.start(dim=1, budget=20)
        state.push(INDEX["pow"])
        state.push(INDEX[tok])
    ok = [grammar.categories[c] for c, flag in enumerate(state.allowed()) if flag]
    assert ok == ["pow_exponent"]


def test_overfit_one_system():
    torch.manual_seed(0)
    model = ProseModel(TINY)
    x, x_mask, src, _, _ = _inputs(b=1, dims=[2])
    target = "add mul - N250 E-3 u_0 u_1 | sub u_0 pow2 u_1".split()
    ids = torch.tensor([[BOS] + [INDEX[t] for t in target] + [EOS]])
    q = torch.rand(1, 8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        y_pred, logits = model(x, x_mask, src, ids[:, :-1], q)
        loss = (torch.nn.functional.cross_entropy(logits[0], ids[0, 1:])
                + (y_pred - q[..., None]).square().mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.generate(x, x_mask, src, [2]) == [target]


def test_config_round_trip_and_errors():
    cfg = CONFIGS["base"]
    assert ProseConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(TypeError, match="unknown ProseConfig fields \\['depth'\\]"):
        ProseConfig.from_dict({**cfg.to_dict(), "depth": 3})
    with pytest.raises(ValueError, match="width=30 is not a multiple of heads=4"):
        ProseModel(ProseConfig(width=30, heads=4))
    model = _model()
    x, x_mask, _, _, _ = _inputs()
    with pytest.raises(ValueError, match="longer than max_len=96"):
        model(x, x_mask, torch.ones(3, 97, dtype=torch.long), torch.ones(3, 2, dtype=torch.long),
              torch.rand(3, 1))


def test_state_dict_round_trip():
    model = _model()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    again = ProseModel(ProseConfig.from_dict(model.config.to_dict())).eval()
    again.load_state_dict(torch.load(buf, weights_only=True))
    x, x_mask, src, dims, _ = _inputs()
    tgt, q = torch.randint(5, 1067, (3, 5)), torch.rand(3, 3)
    for a, b in zip(model(x, x_mask, src, tgt, q), again(x, x_mask, src, tgt, q)):
        assert torch.equal(a, b)
    assert model.generate(x, x_mask, src, dims) == again.generate(x, x_mask, src, dims)


def test_generation_speed_small():
    model = _model(CONFIGS["small"])
    x, x_mask, src, dims, _ = _inputs(b=1, n=64, s=40, dims=[3])
    model.generate(x, x_mask, src, dims)
    best = min(_timed(lambda: model.generate(x, x_mask, src, dims)) for _ in range(3))
    assert best < 0.2  # 0.05 s on an idle CPU; loose here because the test machine is shared


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
