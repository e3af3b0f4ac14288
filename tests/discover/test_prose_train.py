"""PROSE training: batches, losses, exact resume, export/load, evaluation, command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import symnum as sn
from symnum.discover.prose import checkpoint
from symnum.discover.prose.__main__ import main
from symnum.discover.prose.evaluate import evaluate
from symnum.discover.prose.generator import generate, load
from symnum.discover.prose.train import Batcher, export, losses, make_model, train

TINY = {"width": 32, "heads": 2, "ffn": 64, "data_layers": 1, "symbol_layers": 1,
        "fusion_layers": 1, "operator_layers": 1, "decoder_layers": 1}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("prose_data")
    generate(out, families=["lotka_volterra", "lorenz", "logistic"], n_per_family=6, seed=3,
             shard_size=6, progress=False)
    return out


def test_batches_follow_the_data(data_dir):
    data = load(data_dir)
    model = make_model("small", **TINY)
    np.random.seed(0)
    b = Batcher(data, max_noise=0.0).sample(model, 8, with_source=False)
    assert b["x"].shape[:2] == b["x_mask"].shape == (8, 64)
    assert int((~b["x_mask"]).sum(dim=1).min()) >= 16  # at least min_keep samples stay
    assert b["query_t"].min() >= 1.0  # t >= 2 in units of T_IN = 2
    assert torch.all(b["src"] == 0)  # no symbolic guess
    i = int(b["index"][0])
    d = int(data["dim"][i])
    # noise-free targets are the clean states in units of the input scale
    scale = float(np.abs(data["y"][i, :64, :d]).max())
    assert float(b["scale"][0]) == pytest.approx(scale, rel=1e-5)
    with_src = Batcher(data).sample(model, 8, with_source=True, index=[0, 1, 2, 3, 4, 5, 6, 7])
    assert torch.all(with_src["src"][:, 0] == 1)  # <BOS>
    l_data, l_text = losses(model, b)
    assert l_data > 0 and l_text > 0 and torch.isfinite(l_data + l_text)


def test_noise_level_is_relative_to_each_trajectory(data_dir):
    data = load(data_dir)
    y = data["y"][:4].astype(float)
    np.random.seed(1)
    noisy = Batcher.noisy(y, data["dim"][:4], np.array([0.0, 0.01, 0.02, 0.05]))
    ratio = np.linalg.norm(noisy - y, axis=(1, 2)) / np.linalg.norm(y, axis=(1, 2))
    assert ratio == pytest.approx([0.0, 0.01, 0.02, 0.05], rel=1e-6, abs=1e-12)


def test_training_resumes_exactly_and_exports(data_dir, tmp_path):
    run = tmp_path / "run"
    kw = dict(steps=6, config=make_model("small", **TINY).config, batch_size=4, every=3,
              progress=False, warmup=2)
    model, trainer = train(data_dir, run, **kw)
    assert trainer.step == 6 and len(trainer.history) == 6
    final = {k: v.clone() for k, v in model.state_dict().items()}
    # an interrupted run: drop the last checkpoint, run again -> resumes at step 3
    newest = sorted(run.glob("step_*.pt"))[-1]
    newest.unlink()
    again, trainer2 = train(data_dir, run, **kw)
    assert trainer2.step == 6
    for k, v in again.state_dict().items():
        assert torch.equal(v, final[k]), k
    path = export(run, tmp_path / "m.pt", card={"note": "test"})
    loaded, card = checkpoint.load(path)
    assert card["note"] == "test" and card["steps_done"] == 6
    assert card["training"]["families"] == ["lotka_volterra", "lorenz", "logistic"]
    for k, v in loaded.state_dict().items():  # float16 storage
        assert torch.allclose(v, final[k], rtol=1e-2, atol=1e-3), k


def test_evaluate_reports_metrics_per_family(data_dir, tmp_path):
    model = make_model("small", **TINY).eval()
    result = evaluate(model, load(data_dir), noise=0.01)
    assert result["n"] == 18 and set(result["per_family"]) == {"lotka_volterra", "lorenz",
                                                                "logistic"}
    for key in ("valid", "exact_skeleton"):
        assert 0.0 <= result[key] <= 1.0
    assert result["operator_rel_l2"] > 0


def test_bad_inputs(tmp_path):
    with pytest.raises(sn.DiscoveryError, match="unknown PROSE configuration 'huge'"):
        make_model("huge")
    with pytest.raises(sn.DiscoveryError, match="no PROSE checkpoint at"):
        checkpoint.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(sn.DiscoveryError, match="is not a PROSE checkpoint"):
        checkpoint.load(tmp_path / "junk.pt")
    with pytest.raises(sn.DiscoveryError, match="holds no training run"):
        export(tmp_path, tmp_path / "m.pt")


def test_command_line_generate_and_evaluate(tmp_path, capsys):
    out = tmp_path / "d"
    assert main(["generate", str(out), "--per-family", "2", "--families", "logistic",
                 "sir", "--shard-size", "2"]) == 0
    assert json.loads((out / "manifest.json").read_text())["families"] == ["logistic", "sir"]
    model = make_model("small", **TINY)
    checkpoint.save(model, tmp_path / "m.pt")
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "m.pt"), str(out), "--noise", "0.02"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 4
