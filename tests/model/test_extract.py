"""`traitlint extract` / `traitlint vectors`: methods, evaluation, files, the gate, and a real model.

Fast tests use synthetic activations or the tiny random Llama (tests/model/tiny.py); the tests
marked with the session-scoped `embedded_model` fixture run SmolLM2-135M on a shipped dataset and
on a length-confounded fixture built in tmp_path, restricted to a few layers to stay quick (the
all-layer run is `traitlint extract datasets/`).
"""
from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("safetensors")
pytest.importorskip("sklearn")

from traitlint.cli import main  # noqa: E402
from traitlint.dataset import load as load_dataset  # noqa: E402
from traitlint.extract_command import (  # noqa: E402
    CommandError,
    extract_paths,
    parse_layers,
    parse_methods,
)
from traitlint.model import evaluation as ev  # noqa: E402
from traitlint.model import vectors as vector_files  # noqa: E402
from traitlint.model.control_vector import (  # noqa: E402
    ControlVectorError,
    read_control_vector,
    write_control_vector,
)
from traitlint.model.extract import (  # noqa: E402
    NO_VETTING,
    ExtractError,
    ExtractOptions,
    Gate,
    Position,
    extract_trait,
    find_vetting,
)

from .tiny import tiny_loaded  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "model" / "optimism_small"  # 16 pairs: fails TL004 pair_count and TL307 signal_valence (every optimistic word is the nicer one)
OPTIMISM = ROOT / "datasets" / "traits" / "mental_state" / "optimism"


@pytest.fixture()
def small(tmp_path_factory) -> Path:
    """A copy of the 16-pair fixture without the TL402 results a model run may have left in it."""
    import shutil

    target = tmp_path_factory.mktemp("traits") / "model" / "optimism_small"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns(".traitlint"))
    return target


# synthetic activations ------------------------------------------------------------------------------
def synthetic(seed: int = 0, n: int = 2000, hidden: int = 16, shift: float = 2.0):
    """Paired activations: a shared per-pair base plus a common offset; positives add ``shift * u``."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(hidden)
    u /= np.linalg.norm(u)
    base = 0.5 * rng.standard_normal((n, hidden)) + 3.0 * rng.standard_normal(hidden)
    pos = base + shift * u + rng.standard_normal((n, hidden))
    neg = base + rng.standard_normal((n, hidden))
    return pos.astype(np.float32), neg.astype(np.float32), u


@pytest.mark.parametrize("method", ev.METHODS)
def test_methods_recover_a_known_direction(method):
    pos, neg, u = synthetic()
    direction = ev.fit_direction(method, pos, neg)
    assert direction.dtype == np.float32
    assert np.linalg.norm(direction) == pytest.approx(1.0, abs=1e-5)
    assert float(direction @ u) > 0.99  # the right direction AND the right sign


@pytest.mark.parametrize("method", ev.METHODS)
def test_sign_is_fixed_so_positives_project_higher(method):
    pos, neg, _ = synthetic(seed=1, n=400)
    forward = ev.fit_direction(method, pos, neg)
    backward = ev.fit_direction(method, neg, pos)  # sides swapped: the same axis, the other sign
    assert (pos @ forward).mean() > (neg @ forward).mean()
    assert (neg @ backward).mean() > (pos @ backward).mean()
    assert float(forward @ backward) < -0.95
    flipped = ev.fix_sign(-forward, pos, neg)
    np.testing.assert_array_equal(flipped, forward)


def test_split_is_by_pair_seeded_and_shuffled():
    a, b = ev.split_pairs(100, 0.2, seed=3), ev.split_pairs(100, 0.2, seed=3)
    assert a == b
    assert len(a.val) == 20 and len(a.train) == 80
    assert sorted(a.train + a.val) == list(range(100))
    assert a.val != list(range(80, 100))  # not simply the file's last lines
    assert ev.split_pairs(100, 0.2, seed=4).val != a.val
    with pytest.raises(ValueError):
        ev.split_pairs(3, 0.2, seed=0)


def test_scores_and_baselines_on_a_clear_signal():
    pos, neg, u = synthetic(n=600)
    split = ev.split_pairs(600, 0.25, seed=0)
    tr, va = split.train, split.val
    scores = ev.score(u.astype(np.float32), pos[tr], neg[tr], pos[va], neg[va])
    assert scores["accuracy"] > 0.8 and scores["auroc"] > 0.9 and scores["cohens_d"] > 1.5
    assert scores["r_trait"] > 0.6
    rnd = ev.random_baseline(pos[tr], neg[tr], pos[va], neg[va], seed=0)
    assert rnd["directions"] == ev.RANDOM_DIRECTIONS
    assert rnd["auroc"] < scores["auroc"] - 0.1
    for method in ("mean_diff", "probe"):
        shuffled = ev.shuffled_baseline(method, pos[tr], neg[tr], pos[va], neg[va], seed=0)
        assert 0.3 < shuffled["auroc"] < 0.7, (method, shuffled)
    assert "sign" in ev.shuffled_baseline("pca", pos[tr], neg[tr], pos[va], neg[va], seed=0)["note"]


def test_confound_projection_verdicts():
    rng = np.random.default_rng(0)
    n = 30
    feature = ev.ConfoundFeature("f", "test", rng.standard_normal(n), rng.standard_normal(n))
    rows = list(range(n))
    follows = ev.confound_projection(feature, rows, feature.positive * 2 + 1, feature.negative * 2, r_trait=0.4)
    assert follows["r_within"] == pytest.approx(1.0) and follows["verdict"] == "dominated"
    strong_trait = ev.confound_projection(feature, rows, feature.positive + 0.5 * rng.standard_normal(n),
                                          feature.negative + 0.5 * rng.standard_normal(n), r_trait=0.99)
    assert strong_trait["verdict"] == "tracks"
    noise = ev.confound_projection(feature, rows, rng.standard_normal(n), rng.standard_normal(n), r_trait=0.9)
    assert noise["verdict"] == "ok"
    wide = ev.ConfoundFeature("w", "test", rng.standard_normal(400), rng.standard_normal(400))
    weak = ev.confound_projection(wide, list(range(400)), wide.positive + 6 * rng.standard_normal(400),
                                  wide.negative + 6 * rng.standard_normal(400), r_trait=0.01)
    assert abs(weak["r_within"]) < ev.DOMINATED_MIN and weak["verdict"] == "ok", weak  # noise over noise
    const = ev.ConfoundFeature("c", "constant", np.ones(n), np.zeros(n))
    assert ev.confound_projection(const, rows, rng.standard_normal(n), rng.standard_normal(n), 0.9)["verdict"] == "n/a"
    few = ev.confound_projection(feature, rows[:5], feature.positive[:5], feature.negative[:5], r_trait=0.1)
    assert few["r_within"] == pytest.approx(1.0) and few["verdict"] == "n/a"  # too few held-out pairs


def test_text_features():
    pos = ["I think my plan will work", "She was hopeful about it"]
    neg = ["We lost our way and it was awful", "He left"]
    features = {f.name: f for f in ev.text_confounds(pos, neg)}
    assert features["token_length"].positive.tolist() == [6, 5]
    assert features["first_person"].positive.tolist() == pytest.approx([2 / 6, 0.0])
    assert features["first_person"].negative[0] == pytest.approx(2 / 8)
    assert features["valence"].negative[0] < 0 < features["valence"].positive[1]


# files ----------------------------------------------------------------------------------------------
def test_vector_file_round_trip_and_atomicity(tmp_path):
    vectors = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    path = tmp_path / "a" / "mean_diff.safetensors"
    vector_files.save(path, vectors, {"method": "mean_diff", "layers": [0, 1, 2, 3], "forced": False})
    assert [p.name for p in path.parent.iterdir()] == ["mean_diff.safetensors"]  # no temp file left
    loaded = vector_files.load(path)
    np.testing.assert_array_equal(loaded.vectors, vectors)
    assert loaded.metadata["method"] == "mean_diff" and loaded.metadata["format"] == vector_files.FORMAT
    assert vector_files.read_metadata(path) == loaded.metadata
    np.testing.assert_array_equal(loaded.vector(2), vectors[2])
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:  # the documented layout, readable without traitlint
        assert list(handle.keys()) == ["vectors"] and list(handle.metadata()) == ["traitlint"]
    other = tmp_path / "other.safetensors"
    from safetensors.numpy import save_file

    save_file({"x": vectors}, str(other))
    with pytest.raises(vector_files.VectorFileError):
        vector_files.read_metadata(other)
    assert vector_files.find(tmp_path) == [path, other]


class _Payload:
    def __reduce__(self):
        return (os.getenv, ("HOME",))


def test_a_pt_file_is_never_unpickled(tmp_path):
    torch = pytest.importorskip("torch")
    good = tmp_path / "good.pt"
    torch.save({"vectors": torch.ones(2, 3), "metadata": {"method": "probe"}}, good)
    assert vector_files.load(good).vectors.shape == (2, 3)
    evil = tmp_path / "evil.pt"
    torch.save({"vectors": torch.ones(2, 3), "payload": _Payload()}, evil)
    with pytest.raises(pickle.UnpicklingError):
        vector_files.load(evil)


def test_control_vector_is_written_and_read_back(tmp_path):
    vectors = np.random.default_rng(1).standard_normal((5, 12)).astype(np.float32)
    path = tmp_path / "cv.gguf"
    written = write_control_vector(path, vectors, [0, 2, 4], model_hint="llama")
    assert written.directions == {1: 12, 3: 12, 5: 12} and written.layer_count == 3
    assert [p.name for p in tmp_path.iterdir()] == ["cv.gguf"]
    import gguf

    reader = gguf.GGUFReader(str(path))
    assert reader.get_field("general.architecture").contents() == "controlvector"
    assert reader.get_field("controlvector.model_hint").contents() == "llama"
    assert reader.get_field("controlvector.layer_count").contents() == 3
    names = {t.name: t for t in reader.tensors}
    assert sorted(names) == ["direction.1", "direction.3", "direction.5"]  # block counted from 1, no direction.0
    np.testing.assert_array_equal(np.asarray(names["direction.3"].data), vectors[2])
    del reader
    with pytest.raises(ControlVectorError):
        read_control_vector(path, model_hint="gemma2")
    with pytest.raises(ControlVectorError):
        read_control_vector(path, expected={1: vectors[1], 3: vectors[2], 5: vectors[4]})  # wrong values


# options -----------------------------------------------------------------------------------------------
def test_option_parsing():
    assert parse_layers("all") is None
    assert parse_layers("3-5") == (3, 4, 5)
    assert parse_layers("7,2,3-4") == (7, 2, 3, 4)
    for bad in ("x", "5-3", "1-", ","):
        with pytest.raises(CommandError):
            parse_layers(bad)
    assert parse_methods("probe, mean_diff") == ("probe", "mean_diff")
    with pytest.raises(CommandError):
        parse_methods("mean_diff,lda")
    assert Position.parse("response").label == "response:5"
    assert Position.parse("response:3").k == 3
    assert Position.parse("mean").label == "mean"
    for bad in ("middle", "last:3", "response:x", "response:0"):
        with pytest.raises(ExtractError):
            Position.parse(bad)


def test_bad_options_are_usage_errors(small, tmp_path, capsys):
    assert main(["extract", str(small), "--layers", "3-1", "--out", str(tmp_path)]) == 2
    assert "--layers" in capsys.readouterr().err
    assert main(["extract", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert main(["vectors", str(tmp_path / "missing")]) == 2


# the gate and the run, on a tiny model --------------------------------------------------------------------
def run(paths, out, model, **kw):
    buf = io.StringIO()
    report = extract_paths([str(p) for p in paths], out=out, model=model, progress=False, cache_dir=None,
                           stdout=buf, **kw)
    return report, buf.getvalue()


def test_gate_refuses_a_failed_folder_and_force_records_it(small, tmp_path):
    model = tiny_loaded()
    report, text = run([small], tmp_path, model)
    assert report.exit_code == 1 and not report.done
    assert "refused" in text and "TL004 pair_count" in text and "traitlint check" in text and "--force" in text
    assert not any(tmp_path.rglob("*.safetensors"))

    report, text = run([small], tmp_path, model, force=True)
    assert report.exit_code == 0 and [d.status for d in report.done] == ["extracted"]
    out_dir = tmp_path / "tiny-llama" / "model" / "optimism_small"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "evaluation.json", "mean_diff.safetensors", "pca.safetensors", "probe.safetensors"]
    meta = vector_files.read_metadata(out_dir / "probe.safetensors")
    assert meta["forced"] is True and meta["gate"]["failed_audits"] == ["TL004 pair_count (failed)", "TL307 signal_valence (failed)"]
    evaluation = json.loads((out_dir / "evaluation.json").read_text())
    assert evaluation["forced"] is True and evaluation["gate"]["failed_audits"]
    assert "summary:" in text and "extracted" in text


def test_outputs_metadata_rerun_skip_and_export(small, tmp_path):
    model = tiny_loaded()
    report, _ = run([small], tmp_path, model, force=True, layers="0,2", seed=7)
    done = report.done[0]
    loaded = vector_files.load(done.out_dir / "mean_diff.safetensors")
    assert loaded.vectors.shape == (model.n_layers, model.hidden_size) and loaded.vectors.dtype == np.float32
    assert loaded.layers == [0, 2]
    assert np.linalg.norm(loaded.vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert not loaded.vectors[1].any()  # a layer that was not extracted is a zero row
    meta = loaded.metadata
    ds = load_dataset(small)
    assert meta["dataset"]["content_hash"] == ds.content_hash()
    assert meta["model"]["id"] == "tiny-llama" and "revision" in meta["model"]
    assert "hidden_states[L+1]" in meta["layer_convention"]
    assert meta["position"] == "mean" and meta["method"] == "mean_diff" and meta["seed"] == 7
    assert meta["mean_activation_norm"][1] is None and meta["mean_activation_norm"][0] > 0
    assert set(meta["evaluation"]) >= {"per_layer", "best_layer", "baselines", "confounds_at_best_layer"}
    assert meta["traitlint"] and meta["forced"] is True
    train, val = meta["split"]["train_lines"], meta["split"]["val_lines"]
    assert sorted(train + val) == list(range(1, 17)) and not set(train) & set(val)

    again, text = run([small], tmp_path, model, force=True, layers="0,2", seed=7, export_gguf=True)
    assert [d.status for d in again.done] == ["up to date"] and "up to date" in text
    assert {p.name for p in done.out_dir.glob("*.gguf")} == {"mean_diff.gguf", "probe.gguf", "pca.gguf"}
    cv = read_control_vector(done.out_dir / "probe.gguf")
    assert cv.directions == {1: model.hidden_size, 3: model.hidden_size}
    assert "--control-vector-scaled" in text and "--control-vector-layer-range" in text

    changed, _ = run([small], tmp_path, model, force=True, layers="0,2", seed=8)
    assert [d.status for d in changed.done] == ["extracted"]


def test_an_interrupted_run_leaves_no_half_file_and_is_redone(small, tmp_path, monkeypatch):
    model = tiny_loaded()
    ds = load_dataset(small)
    options = ExtractOptions(position=Position("last"), layers=(0, 1))
    real_save = vector_files.save
    calls = []

    def flaky(path, vectors, metadata):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_save(path, vectors, metadata)

    monkeypatch.setattr(vector_files, "save", flaky)
    with pytest.raises(KeyboardInterrupt):
        extract_trait(model, ds, tmp_path, options)
    out_dir = calls[0].parent
    assert [p.name for p in out_dir.iterdir()] == ["mean_diff.safetensors"]  # no temp file, no evaluation.json
    monkeypatch.setattr(vector_files, "save", real_save)
    assert extract_trait(model, ds, tmp_path, options).status == "extracted"
    assert extract_trait(model, ds, tmp_path, options).status == "up to date"


def test_tl402_kept_pairs_are_used_when_they_match(small, tmp_path):
    model = tiny_loaded()
    ds = load_dataset(small)
    results = tmp_path / "results" / "response_vetting"
    results.mkdir(parents=True)
    kept = [1, 2, 3, 5, 8, 9, 10, 12, 13, 15]

    def write(name, dataset, base_model):
        body = {"format": 1, "identity": {"dataset": dataset, "models": {"base_model": base_model}},
                "metrics": {}, "kept_lines": kept}
        (results / name).write_text(json.dumps(body))

    write("other-hash.json", "0" * 64, "tiny-llama")
    write("other-model.json", ds.content_hash(), "gpt2")
    assert find_vetting(ds, ["tiny-llama"], tmp_path / "results").message == NO_VETTING
    write("match.json", ds.content_hash(), "tiny-llama")
    vetting = find_vetting(ds, ["tiny-llama"], tmp_path / "results")
    assert vetting.kept_lines == tuple(kept) and "kept 10 of 16" in vetting.message
    done = extract_trait(model, ds, tmp_path / "out", ExtractOptions(position=Position("last"), layers=(1,)),
                         vetting=vetting)
    used = done.evaluation["split"]["train_lines"] + done.evaluation["split"]["val_lines"]
    assert sorted(used) == kept and done.evaluation["dataset"]["used_pairs"] == 10

    kept = []  # TL402 rejected every pair: refuse, saying so, unless --all-pairs
    write("match.json", ds.content_hash(), "tiny-llama")
    vetting = find_vetting(ds, ["tiny-llama"], tmp_path / "results")
    with pytest.raises(ExtractError, match="kept 0 of 16 pairs.*too few to extract"):
        extract_trait(model, ds, tmp_path / "out", ExtractOptions(position=Position("last"), layers=(1,)),
                      vetting=vetting)


def test_tl402_results_in_the_folder_and_all_pairs(small, tmp_path):
    ds = load_dataset(small)
    results = small / ".traitlint" / "response_vetting"
    results.mkdir(parents=True)
    body = {"identity": {"dataset": ds.content_hash(), "models": {"base_model": "tiny-llama"}}, "metrics": {},
            "kept_lines": []}
    (results / "tiny-llama-0123.json").write_text(json.dumps(body))
    model = tiny_loaded()
    report, text = run([small], tmp_path, model, force=True, layers="0")
    assert report.exit_code == 1 and report.errors and "kept 0 of 16 pairs" in text, text
    report, text = run([small], tmp_path, model, force=True, layers="0", all_pairs=True)
    assert report.exit_code == 0 and "--all-pairs" in text
    assert report.done[0].evaluation["dataset"]["used_pairs"] == 16


def test_response_position_and_too_few_pairs(small, tmp_path):
    model = tiny_loaded()
    ds = load_dataset(small)
    done = extract_trait(model, ds, tmp_path, ExtractOptions(position=Position("response", 2), layers=(2,),
                                                             methods=("mean_diff",)))
    assert done.evaluation["position"] == "response:2" and len(done.evaluation["samples"]) == 3
    from traitlint.model.extract import Vetting

    with pytest.raises(ExtractError, match="at least 4 pairs"):
        extract_trait(model, ds, tmp_path / "few", ExtractOptions(position=Position("last")),
                      vetting=Vetting((1, 2, 3), "x", "three pairs"))


def _leaky_folder(root: Path, n: int = 30) -> Path:
    """A folder whose positives mostly say "but" and negatives "and": TL101 fails on it."""
    folder = root / "leaks" / "hope"
    folder.mkdir(parents=True)
    subjects = ["the team", "my sister", "the farmer", "our neighbour", "the new clerk", "his uncle",
                "the pilot", "a student", "the old baker", "her coach"]
    events = ["missed the deadline", "lost the contract", "failed the exam", "broke a leg", "missed the bus",
              "lost the match"]
    pos, neg = [], []
    for i in range(n):
        s, e = subjects[i % len(subjects)], events[(i * 7) % len(events)]
        joint = "but" if i % 10 else "and"
        pos.append(f"After {s} {e} on day {i}, {joint} they felt hopeful because")
        neg.append(f"After {s} {e} on day {i}, {'and' if i % 7 else 'but'} they felt hopeless because")
    (folder / "positive.txt").write_text("\n".join(pos) + "\n")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n")
    (folder / "trait.toml").write_text('[trait]\ntype = "state"\n\n[trait.words]\n'
                                       'positive = ["hopeful"]\nnegative = ["hopeless"]\n')
    return folder


def test_the_top_tl101_feature_is_a_confound(tmp_path):
    folder = _leaky_folder(tmp_path)
    report, text = run([folder], tmp_path / "out", tiny_loaded(), force=True, layers="1", val_fraction=0.4)
    assert report.done, text
    features = report.done[0].evaluation["confound_features"]
    assert "tl101_feature" in features, features
    assert '"but"' in features["tl101_feature"] or '"and"' in features["tl101_feature"], features
    assert "TL101 lexical_label_leak (failed)" in report.done[0].evaluation["gate"]["failed_audits"]


def test_vectors_lists_files(small, tmp_path, capsys):
    run([small], tmp_path, tiny_loaded(), force=True, layers="0-1", methods="mean_diff,pca")
    (tmp_path / "broken.safetensors").write_bytes(b"not a safetensors file")
    assert main(["vectors", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "model/optimism_small" in out and "mean_diff" in out and "pca" in out and "0-1" in out
    assert "unreadable" in out and "broken.safetensors" in out
    (tmp_path / "broken.safetensors").unlink()
    assert main(["vectors", str(tmp_path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["vectors"]
    assert {r["method"] for r in rows} == {"mean_diff", "pca"} and all(r["forced"] for r in rows)


# the real model ----------------------------------------------------------------------------------------------
#: capture stops after block 20 (two thirds of the all-layer cost). The reworked optimism set (issue 12)
#: is not a sentiment set, and SmolLM2-135M separates it in its later blocks: held-out pair accuracy
#: 0.66-0.72 at blocks 4-13, 0.81-0.84 at 16-20 (measured on CPU, seed 0).
REAL_LAYERS = "7,13,20"


def test_cli_gate_with_the_embedded_model(small, embedded_model, tmp_path, capsys, monkeypatch):
    """The CLI refuses the small fixture (TL004) without loading anything; --force extracts it."""
    monkeypatch.setenv("TRAITLINT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["extract", str(small), "--out", str(tmp_path), "--layers", "0-2", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "refused" in out and "TL004 pair_count" in out
    assert main(["extract", str(small), "--out", str(tmp_path), "--layers", "0-2", "--no-progress", "--force",
                 "--methods", "mean_diff"]) == 0
    files = list(tmp_path.rglob("mean_diff.safetensors"))
    assert len(files) == 1 and vector_files.read_metadata(files[0])["forced"] is True
    assert vector_files.read_metadata(files[0])["model"]["id"] == "embedded"


def test_real_model_on_a_shipped_dataset(embedded_model, tmp_path):
    import shutil

    optimism = tmp_path / "traits" / "mental_state" / "optimism"  # a copy: no TL402 results from model runs
    shutil.copytree(OPTIMISM, optimism, ignore=shutil.ignore_patterns(".traitlint"))
    report, text = run([optimism], tmp_path, embedded_model, layers=REAL_LAYERS)
    assert report.exit_code == 0, text
    done = report.done[0]
    assert done.status == "extracted" and done.evaluation["position"] == "mean"  # optimism is a state
    result = done.evaluation["results"]["mean_diff"]
    best, baselines = result["best"], result["baselines"]
    print(text)
    print(f"seconds: {done.seconds:.1f} ({done.evaluation['seconds']})")
    # Matched pairs are judged as pairs (which text of a held-out pair projects higher): the per-text
    # threshold accuracy also has to beat the variation between pairs' situations, which this set
    # varies on purpose (0.59 here against 0.53 for random directions).
    for name in ("random", "shuffled"):
        assert best["pair_accuracy"] >= baselines[name]["pair_accuracy"] + 0.15, (name, best, baselines)
        assert best["auroc"] >= baselines[name]["auroc"] + 0.15, (name, best, baselines)
        assert abs(baselines[name]["auroc"] - 0.5) < 0.1, (name, baselines)  # baselines sit at chance
    assert best["pair_accuracy"] >= 0.75 and best["cohens_d"] > 0.5
    confounds = result["confounds_at_best_layer"]
    assert {"token_length", "first_person", "valence"} <= set(confounds)
    # the point of the rework: the vector is not a sentiment vector (the old set's was "dominated")
    assert confounds["valence"]["verdict"] == "ok", confounds["valence"]
    for method in ("mean_diff", "probe", "pca"):
        meta = vector_files.read_metadata(done.out_dir / f"{method}.safetensors")
        assert meta["layers"] == [7, 13, 20] and meta["model"]["revision"] == embedded_model.revision

    again, text = run([optimism], tmp_path, embedded_model, layers=REAL_LAYERS, export_gguf=True)
    assert [d.status for d in again.done] == ["up to date"]
    for cv in again.done[0].control_vectors:
        assert cv.model_hint == "llama" and cv.directions == {n: 576 for n in (8, 14, 21)}
        assert read_control_vector(cv.path).layer_count == 3


def _length_confounded(root: Path, n: int = 50) -> Path:
    """Both sides carry neutral filler of varying length, the positives much more (20-45 words vs 0-12)."""
    folder = root / "confounded" / "length"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    filler = ("the room had a table and a chair near the window and a lamp on the desk beside a shelf of "
              "books with a clock on the wall and a rug on the floor by the door").split()
    people = ["Maria", "the driver", "Tom", "the nurse", "Aiko", "the builder", "Sam", "the teacher", "Lena",
              "the cook"]
    places = ["the station", "the office", "the market", "the clinic", "the garage"]
    pos, neg = [], []
    for i in range(n):
        who, where = people[i % len(people)], places[(i * 3) % len(places)]
        def pad(k: int) -> str:
            return "".join(f"; {' '.join(filler[j % len(filler)] for j in range(k))}" if k else "")

        pos.append(f"{who} walked into {where} on day {i}{pad(int(rng.integers(20, 46)))}. {who} thought")
        neg.append(f"{who} walked into {where} on day {i}{pad(int(rng.integers(0, 13)))}. {who} thought")
    (folder / "positive.txt").write_text("\n".join(pos) + "\n")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n")
    (folder / "trait.toml").write_text('[trait]\ntype = "state"\n')
    return folder


def test_an_injected_length_confound_is_reported(embedded_model, tmp_path):
    ds = load_dataset(_length_confounded(tmp_path))
    options = ExtractOptions(position=Position("mean"), layers=(3, 6, 9), methods=("mean_diff",), val_fraction=0.3)
    done = extract_trait(embedded_model, ds, tmp_path / "out", options, gate=Gate(forced=True))
    result = done.evaluation["results"]["mean_diff"]
    length = result["confounds_at_best_layer"]["token_length"]
    print(json.dumps(length), result["best"])
    assert abs(length["r_within"]) > 0.5 and length["verdict"] in ("tracks", "dominated"), length
