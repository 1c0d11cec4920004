"""Injection benchmark for TL301 topic_imbalance (issue 13): a domain written many ways.

Over copies of the corpus folders (never the shared files), a sentence from one domain, in one of six
wordings drawn at random per pair, is prepended to both sides of a share of the pairs:

- `hospital` and `courtroom`: six wordings that share nouns with each other (a doctor, a patient's
  chart, a ward), no noun in more than half of them, so no single noun reaches 25% of the pairs;
- `hospital_disjoint`: six hospital wordings that share no noun at all (the issue's three examples
  and three more). Without word vectors nothing links them; measured to document the limit.

Strengths: 45% of the pairs in every folder, 30% in the folders with at least 40 pairs (the issue's).
A folder counts as caught when TL301 warns (or fails) on a topic/domain holding one of the injected
nouns. The unchanged folders are run too; a new alarm is a warning or error the committed code did
not give.

The committed code runs from a git worktree (`git worktree add /tmp/tl_old_TL301 HEAD`, or set
TL301_OLD), the working tree's from this checkout, both through the CLI with `-j 2`.

    .venv/bin/python benchmarks/accuracy_TL301.py [CORPUS]
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OLD = Path(os.environ.get("TL301_OLD", "/tmp/tl_old_TL301"))
CODE = "TL301"

SETS: dict[str, list[str]] = {  # original sentences, written for this benchmark
    "hospital": ["The doctor adjusted the patient's prescription.",
                 "At the pharmacy the nurse collected the medication.",
                 "Back in the recovery room the nurse checked the patient's chart.",
                 "The doctor signed the chart before the ward round.",
                 "The pharmacist refilled the prescription for the ward.",
                 "A patient on the ward waited for the medication."],
    "courtroom": ["The judge read the verdict to the jury.",
                  "In the courtroom the lawyer handed the judge a motion.",
                  "The witness took the stand while the jury watched.",
                  "Outside the courthouse the lawyer called the witness.",
                  "The clerk filed the motion before the hearing.",
                  "After the hearing the jury left the courtroom."],
    "hospital_disjoint": ["The doctor adjusted the prescription.",
                          "At the pharmacy the medication was ready.",
                          "Back in the recovery room the nurse checked the chart.",
                          "The surgeon scrubbed in for the operation.",
                          "An ambulance pulled up outside the emergency entrance.",
                          "The clinic receptionist booked a scan."],
}
NOUNS = {  # the nouns of each set as the tagger reads them (lemmas), for "caught on this domain"
    "hospital": {"doctor", "patient", "prescription", "pharmacy", "nurse", "medication", "recovery", "room",
                 "chart", "ward", "round", "pharmacist"},
    "courtroom": {"judge", "verdict", "jury", "courtroom", "lawyer", "motion", "witness", "stand", "courthouse",
                  "clerk", "hearing"},
    "hospital_disjoint": {"doctor", "prescription", "pharmacy", "medication", "recovery", "room", "nurse", "chart",
                          "surgeon", "operation", "ambulance", "emergency", "entrance", "clinic", "receptionist",
                          "scan"},
}
STRENGTHS = [(0.45, 0), (0.30, 40)]  # (share of pairs, smallest folder it is injected into)
COPIED = ("positive.txt", "negative.txt", "trait.toml", "definition.txt", "steering.json", "annotations.jsonl")


def folders(corpus: Path) -> list[Path]:
    return sorted(p.parent for p in corpus.rglob("positive.txt") if ".traitlint" not in p.parts)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def copy_folder(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    for name in COPIED:
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)


def inject(src: Path, dst: Path, wordings: list[str], share: float, seed: str) -> list[int] | None:
    """Copy `src` to `dst` with a wording prepended to both sides of round(share * n) pairs."""
    pos, neg = _lines(src / "positive.txt"), _lines(src / "negative.txt")
    n = min(len(pos), len(neg))
    if n == 0:
        return None
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(n), round(share * n)))
    copy_folder(src, dst)
    for i in chosen:
        w = wordings[rng.randrange(len(wordings))]
        pos[i], neg[i] = f"{w} {pos[i]}", f"{w} {neg[i]}"
    (dst / "positive.txt").write_text("".join(x + "\n" for x in pos), encoding="utf-8")
    (dst / "negative.txt").write_text("".join(x + "\n" for x in neg), encoding="utf-8")
    return chosen


SKIPPED: set[str] = set()
"""Folders (resolved paths) where the working tree's TL301 was skipped: not English, not pairable."""


def lint(root: Path, pythonpath: Path, cache: Path) -> dict[str, list[dict[str, Any]]]:
    """folder path -> TL301 warning/error findings, from the CLI run with the given code on sys.path.
    Folders where the audit was skipped (it says why) are added to `SKIPPED` for this checkout."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "TRAITLINT_CACHE_DIR": str(cache)}
    cli = "import sys; from traitlint.cli import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", cli, "check", str(root), "--select", CODE,
                           "--format", "json", "-j", "2"], capture_output=True, text=True, env=env, cwd=root)
    if not proc.stdout.strip():
        raise RuntimeError(f"traitlint from {pythonpath} printed nothing: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    out: dict[str, list[dict[str, Any]]] = {}
    for trait in data["traits"]:
        found = []
        key = str((root / trait["path"]).resolve())  # paths are printed relative to cwd
        for audit in trait["audits"]:
            found += [f for f in audit.get("findings", []) if f.get("severity") in ("warning", "error")]
            if audit.get("status") == "skipped" and pythonpath == ROOT:
                SKIPPED.add(key)
        out[key] = found
    return out


def _caught(findings: list[dict[str, Any]], nouns: set[str]) -> bool:
    return any(nouns & {w.strip() for w in str((f.get("metric") or {}).get("topic", "")).split(",")}
               for f in findings)


def run(corpus: Path, old: Path = OLD) -> dict[str, Any]:
    """Recall per (set, strength) and new alarms on the unchanged folders, `old` checkout vs working tree."""
    srcs = folders(corpus)
    work = Path(tempfile.mkdtemp(prefix="acc_tl301_"))
    cache = work / "cache"
    plan: list[tuple[str, float, Path]] = []
    for name, wordings in SETS.items():
        for share, smallest in STRENGTHS:
            for src in srcs:
                if len(_lines(src / "positive.txt")) < smallest:
                    continue
                rel = src.relative_to(corpus)
                dst = work / "injected" / f"{name}_{int(share * 100)}" / rel
                if inject(src, dst, wordings, share, f"{name}/{share}/{rel}") is not None:
                    plan.append((name, share, dst.resolve()))
    for src in srcs:
        copy_folder(src, work / "clean" / src.relative_to(corpus))
    results: dict[str, Any] = {"recall": {}, "clean": {}}
    runs = {}
    for label, path in (("before", old), ("after", ROOT)):
        runs[label] = {**lint(work / "injected", path, cache), **lint(work / "clean", path, cache)}
    for name in SETS:
        for share, _ in STRENGTHS:
            cases = [p for n_, s, p in plan if n_ == name and s == share]
            row = {"folders": len(cases)}
            for label in runs:
                row[label] = sum(_caught(runs[label].get(str(p), []), NOUNS[name]) for p in cases)
            readable = [p for p in cases if str(p) not in SKIPPED]
            row["readable"] = len(readable)
            row["after_readable"] = sum(_caught(runs["after"].get(str(p), []), NOUNS[name]) for p in readable)
            row["missed_after"] = [str(p.relative_to((work / "injected").resolve())) for p in cases
                                   if not _caught(runs["after"].get(str(p), []), NOUNS[name])]
            results["recall"][f"{name} {int(share * 100)}%"] = row
    clean = {str(src.relative_to(corpus)): (work / "clean" / src.relative_to(corpus)).resolve() for src in srcs}
    for label in runs:
        results["clean"][label] = {k: [f["message"] for f in runs[label].get(str(p), [])] for k, p in clean.items()
                                   if runs[label].get(str(p))}
    before = results["clean"]["before"]
    results["clean"]["new_alarms"] = {k: [m for m in v if m not in before.get(k, [])]
                                      for k, v in results["clean"]["after"].items()
                                      if [m for m in v if m not in before.get(k, [])]}
    results["clean"]["folders"] = len(clean)
    shutil.rmtree(work, ignore_errors=True)
    return results


def report(r: dict[str, Any]) -> None:
    """Print what `run` measured: recall per injection, what was missed, the unchanged folders' alarms."""
    print(f"{'injection':28s} {'folders':>7s} {'before':>12s} {'after':>12s} {'after, folders TL301 reads':>28s}")
    for key, row in r["recall"].items():
        n, m = row["folders"], row["readable"]
        print(f"{key:28s} {n:7d} {row['before']:5d} ({row['before'] / n:4.0%}) {row['after']:5d} ({row['after'] / n:4.0%})"
              f" {row['after_readable']:9d} of {m:3d} ({row['after_readable'] / max(1, m):4.0%})")
    for key, row in r["recall"].items():
        if not key.endswith("_disjoint 45%") and not key.endswith("_disjoint 30%"):
            print(f"missed after, {key}: {', '.join(m.split('/', 1)[1] for m in row['missed_after'])}")
    c = r["clean"]
    print(f"\nunchanged folders: {c['folders']}; with a TL301 warning before: {len(c['before'])}, "
          f"after: {len(c['after'])}; new alarms: {sum(len(v) for v in c['new_alarms'].values())} "
          f"in {len(c['new_alarms'])} folders")
    for k, msgs in c["new_alarms"].items():
        for m in msgs:
            print(f"  NEW {k}: {m}")
    for k, msgs in c["before"].items():
        for m in msgs:
            if m not in c["after"].get(k, []):
                print(f"  GONE {k}: {m}")


def headline(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the shared benchmark's table."""
    rows = []
    for key, row in r["recall"].items():
        rows.append({"code": CODE, "defect": f"domain sentence, {key}, all folders", "cases": row["folders"],
                     "before": row["before"] / max(1, row["folders"]), "after": row["after"] / max(1, row["folders"])})
        rows.append({"code": CODE, "defect": f"domain sentence, {key}, folders it reads (not skipped)",
                     "cases": row["readable"], "before": None,
                     "after": row["after_readable"] / max(1, row["readable"])})
    c = r["clean"]
    rows.append({"code": CODE, "defect": "unchanged folders with a warning or error", "cases": c["folders"],
                 "before": len(c["before"]), "after": len(c["after"]), "count": True})
    return rows


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus/trait-interp")
    if not (OLD / "traitlint").is_dir():
        sys.exit(f"no committed checkout at {OLD}: git worktree add {OLD} HEAD")
    report(run(corpus))


if __name__ == "__main__":
    main()
