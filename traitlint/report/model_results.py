"""Model results on disk, found for a dataset by its content hash (read as JSON, no torch, no model).

Three kinds of files hold what the model half of traitlint produced:

* ``<folder>/.traitlint/<audit>/<model>-<key>.json`` (or ``[tool.traitlint.model] results_dir``):
  a model-backed audit's results, ``{"format": 1, "identity": {"dataset": HASH, ...}, "metrics": ...}``
  plus details (every score);
* ``<vectors>/<model>/<category>/<trait>/evaluation.json`` from ``traitlint extract``
  (``dataset.content_hash``);
* ``<steering>/<model>/<category>/<trait>/<method>/results.jsonl`` from ``traitlint steer`` (its
  header names the vector's ``dataset.content_hash``).

Why match by hash and not by folder name: a report must never show the vetting of last week's
version of a dataset beside this week's audits. A folder edited since has a new hash, and its old
results simply do not appear (the page says there are none for this version).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIRNAME = ".traitlint"  # as traitlint.model.services; repeated so that reading needs no model import
RESULTS_FORMAT = 1
EVALUATION_FILE = "evaluation.json"
STEERING_RESULTS = "results.jsonl"
#: The model-backed audits' results folders, in code order.
MODEL_AUDITS = (("TL401", "scenario_vetting"), ("TL402", "response_vetting"), ("TL403", "steering_baseline"),
                ("TL404", "probe_separability"), ("TL405", "fluency_asymmetry"))


@dataclass
class StoredAudit:
    """One model-backed audit's results file for this dataset version."""

    code: str
    name: str
    path: str
    model: str  # base model (the results are keyed by it)
    judge: str | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]  # scores per side, accuracy per layer, answers, ... (the rest of the file)
    modified: float = 0.0
    status: str = "unknown"  # the audit's verdict on the stored metrics (judged again by the report)
    findings: list[Any] = field(default_factory=list)  # FindingRow


@dataclass
class Extraction:
    """One ``evaluation.json``: the held-out evaluation of every method at every layer."""

    path: str
    model: str
    trait: str
    position: str | None
    methods: dict[str, dict[str, Any]]  # method -> {"per_layer", "best_layer", "best", "baselines", "confounds..."}
    confound_features: dict[str, str]
    forced: bool
    used_pairs: int | None
    vetting: str | None


@dataclass
class SteeringRun:
    """One ``traitlint steer`` run folder: baseline, runs per (layer, ratio), the best run."""

    path: str
    model: str
    method: str | None
    judge: str | None
    threshold: float | None
    direction: int
    coherence: str
    baseline: dict[str, Any]
    runs: list[dict[str, Any]]
    best: dict[str, Any] | None
    best_reason: str | None


@dataclass
class ModelResults:
    """Everything the model half wrote for one dataset version (empty lists when nothing matched)."""

    audits: list[StoredAudit] = field(default_factory=list)
    extractions: list[Extraction] = field(default_factory=list)
    steering: list[SteeringRun] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.audits or self.extractions or self.steering)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_stored_audit(path: Path, code: str, name: str, content_hash: str) -> StoredAudit | None:
    """The results file at ``path`` when it is a traitlint results file for ``content_hash``."""
    data = _read_json(path)
    if not (isinstance(data, dict) and data.get("format") == RESULTS_FORMAT and isinstance(data.get("metrics"), dict)):
        return None
    ident = _dict(data.get("identity"))
    if ident.get("dataset") != content_hash:
        return None
    models = _dict(ident.get("models"))
    details = {k: v for k, v in data.items() if k not in ("format", "identity", "metrics")}
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0
    return StoredAudit(code, name, str(path), str(models.get("base_model") or "?"),
                       _str(ident.get("judge")) or _str(models.get("judge")), _dict(ident.get("params")),
                       data["metrics"], details, modified)


def find_stored_audits(folder: Path, content_hash: str, results_dir: Path | None = None) -> list[StoredAudit]:
    """Model-audit results for this dataset version, newest first within each audit, audits in code order."""
    root = Path(results_dir) if results_dir is not None else Path(folder) / RESULTS_DIRNAME
    out: list[StoredAudit] = []
    for code, name in MODEL_AUDITS:
        where = root / name
        if not where.is_dir():
            continue
        found = [s for s in (read_stored_audit(p, code, name, content_hash) for p in sorted(where.glob("*.json")))
                 if s is not None]
        out.extend(sorted(found, key=lambda s: (-s.modified, s.path)))
    return out


def _extraction(path: Path, data: dict[str, Any]) -> Extraction:
    dataset = _dict(data.get("dataset"))
    model = _dict(data.get("model"))
    methods = {str(m): _dict(r) for m, r in _dict(data.get("results")).items() if isinstance(r, dict)}
    used = dataset.get("used_pairs")
    return Extraction(str(path), str(model.get("id") or model.get("name") or "?"), str(data.get("trait") or "?"),
                      _str(data.get("position")), methods,
                      {str(k): str(v) for k, v in _dict(data.get("confound_features")).items()},
                      bool(data.get("forced")), used if isinstance(used, int) else None,
                      _str(_dict(dataset.get("vetting")).get("message")))


def _steering(run_dir: Path, lines: list[dict[str, Any]]) -> SteeringRun | None:
    if not lines or lines[0].get("type") != "header":
        return None
    header = lines[0]
    vector = _dict(header.get("vector"))
    settings = _dict(header.get("settings"))
    baseline = next((x for x in lines if x.get("type") == "baseline"), {})
    runs = [x for x in lines if x.get("type") == "run" and isinstance(x.get("ratio"), (int, float))]
    best_line = next((x for x in lines if x.get("type") == "best"), {})
    threshold = settings.get("threshold")
    direction = -1 if settings.get("direction") == -1 else 1
    model = _dict(header.get("model"))
    return SteeringRun(str(run_dir), str(model.get("id") or model.get("name") or "?"), _str(vector.get("method")),
                       _str(header.get("judge")),
                       float(threshold) if isinstance(threshold, (int, float)) else None, direction,
                       str(settings.get("coherence") or "judge"), baseline, runs,
                       best_line.get("run") if isinstance(best_line.get("run"), dict) else None,
                       _str(best_line.get("reason")))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for line in text.splitlines():
        try:
            item = json.loads(line) if line.strip() else None
        except ValueError:
            return out  # a damaged line: what came before it is still the header and the runs so far
        if isinstance(item, dict):
            out.append(item)
    return out


@dataclass
class ModelIndex:
    """Extraction and steering outputs under the ``--vectors`` and ``--steering`` roots, by dataset hash.

    Built once per report: one walk of each tree, every file read once, however many folders.
    """

    extractions: dict[str, list[Extraction]] = field(default_factory=dict)
    steering: dict[str, list[SteeringRun]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    @classmethod
    def scan(cls, vectors: Path | None, steering: Path | None) -> ModelIndex:
        index = cls()
        if vectors is not None and Path(vectors).is_dir():
            for path in sorted(Path(vectors).rglob(EVALUATION_FILE)):
                data = _read_json(path)
                digest = _dict(_dict(data).get("dataset")).get("content_hash")
                if not isinstance(digest, str):
                    index.unreadable.append(f"{path}: not a traitlint evaluation.json")
                    continue
                index.extractions.setdefault(digest, []).append(_extraction(path, data))
        if steering is not None and Path(steering).is_dir():
            for path in sorted(Path(steering).rglob(STEERING_RESULTS)):
                lines = _read_jsonl(path)
                run = _steering(path.parent, lines)
                digest = _dict(_dict(lines[0].get("vector")).get("dataset")).get("content_hash") if lines else None
                if run is None or not isinstance(digest, str):
                    index.unreadable.append(f"{path}: no traitlint steer header")
                    continue
                index.steering.setdefault(digest, []).append(run)
        return index

    def for_dataset(self, folder: Path, content_hash: str, results_dir: Path | None = None) -> ModelResults:
        return ModelResults(find_stored_audits(folder, content_hash, results_dir),
                            list(self.extractions.get(content_hash, [])), list(self.steering.get(content_hash, [])))


__all__ = [
    "MODEL_AUDITS",
    "Extraction",
    "ModelIndex",
    "ModelResults",
    "SteeringRun",
    "StoredAudit",
    "find_stored_audits",
    "read_stored_audit",
]
