"""Model results on disk for report tests, written by the same code `traitlint extract`/`steer` and the
model audits use, on synthetic activations and scores: realistic files without running a model.

`evaluate` (numpy + scikit-learn) fits and scores the real methods on random activations with a
planted trait direction; `write_run_dir` writes a steering run folder exactly as `traitlint steer`
does; the audit results files have the shape `ModelServices.store_results` writes.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from traitlint.dataset import load

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)> \u202eevil'


def copy_fixture(name: str, dest: Path) -> Path:
    """A copy of a shipped fixture folder (tests never write next to the shipped data)."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def make_hostile(folder: Path) -> None:
    """Put markup and a bidi override into the first positive prefill (still one line)."""
    path = folder / "positive.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = f"{lines[0]} {HOSTILE}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def content_hash(folder: Path) -> str:
    return load(folder).content_hash()


def write_audit_result(folder: Path, audit: str, code: str, digest: str, metrics: dict, details: dict,
                       params: dict, model: str = "embedded", key: str = "0123456789abcdef") -> Path:
    path = folder / ".traitlint" / audit / f"{model}-{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    identity = {"audit": code, "traitlint": "0.1.0", "dataset": digest, "definition": "d", "steering": "s",
                "models": {"base_model": model, "instruct_model": model, "judge": "local", "generator": "local",
                           "dtype": "auto"}, "params": params, "judge": "local:embedded"}
    path.write_text(json.dumps({"format": 1, "identity": identity, "metrics": metrics, **details}), encoding="utf-8")
    return path


def write_vetting(folder: Path, digest: str, separation: float = 40.0, key: str = "0123456789abcdef",
                  n: int = 24) -> Path:
    """TL401 scenario-vetting results: positives around 50 + separation/2, negatives around 50 - separation/2."""
    rng = np.random.default_rng(1)
    pos = np.clip(50 + separation / 2 + rng.normal(0, 10, n), 0, 100).round(2).tolist()
    neg = np.clip(50 - separation / 2 + rng.normal(0, 10, n), 0, 100).round(2).tolist()
    mp, mn = float(np.mean(pos)), float(np.mean(neg))
    table = {"positive": {"n": n, "scored": n, "mean": round(mp, 2), "pass_rate": round(float(np.mean(np.array(pos) >= 60)), 3)},
             "negative": {"n": n, "scored": n, "mean": round(mn, 2), "pass_rate": round(float(np.mean(np.array(neg) <= 40)), 3)},
             "separation": round(mp - mn, 2)}
    metrics = {"table": table, "unscored": {"n": 2 * n, "errors": 0, "low_mass": 0, "reasons": []},
               "vetted_pairs": n, "pairs": n, "failing": []}
    params = {"pos_min": 60.0, "neg_max": 40.0, "min_separation": 25.0, "min_pass_rate": 0.6, "max_unscored": 0.2,
              "max_pairs": 0}
    details = {"vetted_lines": list(range(1, n + 1)), "scores": {"positive": pos, "negative": neg}, "errors": []}
    return write_audit_result(folder, "scenario_vetting", "TL401", digest, metrics, details, params, key=key)


def write_probe(folder: Path, digest: str, layers: int = 8) -> Path:
    accs = [round(0.55 + 0.4 * min(1.0, i / (layers / 2)), 3) for i in range(layers)]
    best = int(np.argmax(accs))
    metrics = {"pooling": "mean", "layers": layers, "best_layer": best, "best_accuracy": accs[best],
               "accuracy_by_layer": accs, "pairs": 24}
    return write_audit_result(folder, "probe_separability", "TL404", digest, metrics, {},
                              {"min_accuracy": 0.8, "folds": 5, "c": 1.0, "min_pairs": 10})


def write_evaluation(root: Path, folder: Path, digest: str, n_layers: int = 6, hidden: int = 16,
                     model: str = "embedded") -> Path:
    """An evaluation.json as `traitlint extract` writes it, from the real evaluation on planted activations."""
    from traitlint.model.evaluation import evaluate, split_pairs, text_confounds

    ds = load(folder)
    n = len(ds.pairs)
    rng = np.random.default_rng(0)
    direction = rng.standard_normal(hidden)
    base = rng.standard_normal((n, n_layers, hidden))
    strength = np.linspace(0.2, 2.0, n_layers)[None, :, None]
    pos = base + strength * direction + rng.normal(0, 0.5, base.shape)
    neg = base - strength * direction + rng.normal(0, 0.5, base.shape)
    layers = list(range(n_layers))
    split = split_pairs(n, 0.4, 0)
    confounds = text_confounds([p.positive.text for p in ds.pairs], [p.negative.text for p in ds.pairs])
    results = evaluate(pos, neg, layers, split, ("mean_diff", "probe"), 0, confounds)
    trait = "/".join(folder.resolve().parts[-2:])
    evaluation = {
        "format": 1, "key": "k", "traitlint": "0.1.0", "trait": trait,
        "dataset": {"content_hash": digest, "folder": str(folder), "pairs": n, "used_pairs": n,
                    "vetting": {"source": None, "message": "no TL402 response vetting for this dataset"}},
        "model": {"id": model, "name": model, "revision": None, "model_type": "llama", "n_layers": n_layers,
                  "hidden_size": hidden, "dtype": "float32"},
        "layers": layers, "position": "mean", "seed": 0, "val_fraction": 0.4, "forced": False,
        "gate": {"forced": False, "failed_audits": []}, "suggested": {"method": "mean_diff", "layer": 3},
        "methods": ["mean_diff", "probe"], "confound_features": {f.name: f.description for f in confounds},
        "results": {m: {**r.summary(), "confounds": r.confounds} for m, r in results.items()},
    }
    path = root / model / trait / "evaluation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(evaluation, indent=1), encoding="utf-8")
    return path


def write_steering(root: Path, folder: Path, digest: str, model: str = "embedded", method: str = "mean_diff") -> Path:
    """A run folder as `traitlint steer` writes it: baseline and four runs on one layer."""
    from traitlint.model.steer_results import write_run_dir
    from traitlint.model.steer_search import Answer, Run

    def answers(trait: float, coherence: float) -> list[Answer]:
        return [Answer(f"question {i}?", f"answer {i}", trait=trait + i, coherence=coherence,
                       proxies={"repeated_3gram_rate": 0.0, "compression_ratio": 1.5}) for i in range(3)]

    baseline = Run(None, 0.0, 0.0, answers(12.0, 90.0))
    runs = [Run(3, r, r * 10, answers(12 + 60 * r, 95 - 40 * r)) for r in (0.3, 0.5, 0.7, 0.9)]
    trait = "/".join(folder.resolve().parts[-2:])
    header = {"trait": trait, "traitlint": "0.1.0", "identity": {"format": 1},
              "vector": {"path": "v.safetensors", "trait": trait, "method": method,
                         "dataset": {"content_hash": digest, "folder": str(folder)}},
              "model": {"id": model, "name": model, "n_layers": 6, "hidden_size": 16},
              "judge": "local:embedded",
              "settings": {"layers": [3], "direction": 1, "threshold": 70.0, "coherence": "judge", "mode": "ratios"}}
    run_dir = root / model / trait / method
    write_run_dir(run_dir, header, baseline, runs, 1, 70.0)
    return run_dir
