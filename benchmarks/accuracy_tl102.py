"""TL102 accuracy (issue 13): rare sentences repeated verbatim in the shared context of many pairs.

For every trait folder of a corpus (copies; the corpus is never written), each of three rare
sentences ("The lantern flickered.", "Somewhere a kettle whistled.", "The old clocktower chimed
twice.") is prepended verbatim to both texts of 20% and of 30% of the pairs (a seeded choice per
folder and wording). An injection is found when TL102 warns (or fails) with a finding whose
features name one of the sentence's words (the old code reports lemmas: "flicker", "whistle",
"chime" count too). The unchanged folders are linted as they are: the warnings there are what
TL102 says about ordinary folders. Both the committed code (a git worktree of HEAD, run with
PYTHONPATH) and the working tree are run, through the CLI, in one call.

Usage: python benchmarks/accuracy_tl102.py [CORPUS] [--old PATH] [--json FILE]
Default corpus: ../shared/corpus/trait-interp. `--old`: a checkout of the code to compare with
(default /tmp/tl_old_tl102, made with `git worktree add /tmp/tl_old_tl102 HEAD` if missing).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ["The lantern flickered.", "Somewhere a kettle whistled.", "The old clocktower chimed twice."]
STRENGTHS = [0.2, 0.3]
#: Word forms and lemmas that name an injected sentence in a finding's features (lower case).
NAMES = {
    SENTENCES[0]: {"lantern", "flickered", "flicker"},
    SENTENCES[1]: {"somewhere", "kettle", "whistled", "whistle"},
    SENTENCES[2]: {"old", "clocktower", "chimed", "chime", "twice"},
}
TRAIT_FILES = ("positive.txt", "negative.txt")


def default_corpus() -> Path:
    return ROOT.parent / "shared" / "corpus" / "trait-interp"


def trait_folders(corpus: Path) -> list[Path]:
    return sorted(p.parent for p in corpus.rglob("positive.txt") if (p.parent / "negative.txt").is_file())


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def inject(src: Path, dst: Path, sentence: str, share: float, seed: int) -> list[int]:
    """Copy the folder `src` to `dst` with `sentence` prepended to both texts of `share` of the
    pairs (non-empty lines on both sides); returns the 1-based lines changed."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".traitlint*"))
    pos, neg = _lines(src / "positive.txt"), _lines(src / "negative.txt")
    n = min(len(pos), len(neg))
    usable = [i for i in range(n) if pos[i].strip() and neg[i].strip()]
    k = max(1, round(share * n))
    chosen = sorted(random.Random(seed).sample(usable, min(k, len(usable))))
    for i in chosen:
        pos[i], neg[i] = f"{sentence} {pos[i]}", f"{sentence} {neg[i]}"
    (dst / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (dst / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")
    return [i + 1 for i in chosen]


def lint(root: Path, pythonpath: Path | None, cache: Path) -> dict[str, dict]:
    """TL102 on every folder under `root` with the code at `pythonpath` (None: this checkout);
    {folder relative to root: audit result dict}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(pythonpath or ROOT)
    cmd = [sys.executable, "-c", "import sys; from traitlint.cli import main; sys.exit(main())", "check", str(root),
           "--select", "TL102", "--format", "json", "-j", "2", "--exit-zero", "--cache-dir", str(cache)]
    out = subprocess.run(cmd, env=env, cwd=str(root), capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"traitlint failed ({out.returncode}): {out.stderr[-2000:]}")
    report = json.loads(out.stdout)
    results = {}
    for trait in report["traits"]:
        for audit in trait["audits"]:
            if audit["code"] == "TL102":
                path = Path(trait["path"])
                path = path if path.is_absolute() else root / path  # the CLI runs in `root`
                results[str(path.resolve().relative_to(root.resolve()))] = audit
    return results


def _problems(audit: dict) -> list[dict]:
    return [f for f in audit.get("findings", []) if f["severity"] in ("warning", "error")]


def found(audit: dict, sentence: str) -> bool:
    names = NAMES[sentence]
    return any(str(x).lower() in names for f in _problems(audit) for x in f.get("features") or [])


def _old_checkout(path: Path) -> Path:
    if not (path / "traitlint").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", str(path), "HEAD"], check=True,
                       capture_output=True)
    return path


def run(corpus: Path, old: Path | None = Path("/tmp/tl_old_tl102")) -> dict:
    """Recall per strength and wording, and the warnings on the unchanged folders, for the old code
    (`old`; None: skip it) and this checkout."""
    folders = trait_folders(corpus)
    versions = {"after": None} if old is None else {"before": _old_checkout(old), "after": None}
    with tempfile.TemporaryDirectory(prefix="tl102_bench_") as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        conditions: dict[str, tuple[str, float] | None] = {"clean": None}
        for share in STRENGTHS:
            for w, sentence in enumerate(SENTENCES):
                conditions[f"{share:.0%}/{w}"] = (sentence, share)
        for name, cond in conditions.items():
            root = tmp / name.replace("/", "_").replace("%", "")
            for k, f in enumerate(folders):
                rel = f.relative_to(corpus)
                if cond is None:
                    shutil.copytree(f, root / rel, ignore=shutil.ignore_patterns(".traitlint*"))
                else:
                    inject(f, root / rel, cond[0], cond[1], seed=1000 * k + SENTENCES.index(cond[0]))
        lints = {v: {name: lint(tmp / name.replace("/", "_").replace("%", ""), path, cache)
                     for name in conditions} for v, path in versions.items()}
    out: dict = {"folders": len(folders), "sentences": SENTENCES, "strengths": STRENGTHS}
    for v, by_cond in lints.items():
        clean = by_cond["clean"]
        judged = sorted(r for r, a in clean.items() if a["status"] not in ("skipped", "error"))
        warned = sorted(r for r in judged if _problems(clean[r]))
        recall = {}
        for share in STRENGTHS:
            per = {}
            for w, sentence in enumerate(SENTENCES):
                res = by_cond[f"{share:.0%}/{w}"]
                hits = [r for r in judged if r in res and found(res[r], sentence)]
                per[sentence] = {"found": len(hits), "of": len(judged), "missed": sorted(set(judged) - set(hits))}
            total = sum(p["found"] for p in per.values())
            recall[f"{share:.0%}"] = {"recall": round(total / max(1, sum(p["of"] for p in per.values())), 4),
                                      "per_sentence": per}
        out[v] = {"judged": len(judged), "clean_warned": len(warned), "clean_warned_folders": warned,
                  "clean_messages": {r: [f["message"] for f in _problems(clean[r])] for r in warned},
                  "recall": recall}
    if "before" in out:
        out["new_alarms"] = sorted(set(out["after"]["clean_warned_folders"]) - set(out["before"]["clean_warned_folders"]))
        out["gone_alarms"] = len(set(out["before"]["clean_warned_folders"]) - set(out["after"]["clean_warned_folders"]))
    return out


def report(res: dict, corpus: Path) -> None:
    """Print what `run` measured, and every warning left on the unchanged folders."""
    print(f"TL102 on {res['folders']} folders of {corpus}")
    for v in ("before", "after"):
        if v not in res:
            continue
        r = res[v]
        rec = ", ".join(f"{s}: {x['recall']:.0%} (" + " / ".join(f"{p['found']}/{p['of']}" for p in x["per_sentence"].values())
                        + ")" for s, x in r["recall"].items())
        print(f"  {v:6s} recall {rec}; unchanged folders warned: {r['clean_warned']} of {r['judged']}")
    if "new_alarms" in res:
        print(f"  new alarms on unchanged folders: {len(res['new_alarms'])} {res['new_alarms']}; "
              f"alarms gone: {res['gone_alarms']}")
    for folder, msgs in res["after"]["clean_messages"].items():
        for m in msgs:
            print(f"    after, {folder}: {m}")


def headline(res: dict) -> list[dict]:
    """Rows for the shared benchmark's table."""
    rows = []
    for share in res["after"]["recall"]:
        rows.append({"code": "TL102", "defect": f"rare sentence repeated in {share} of pairs",
                     "cases": sum(p["of"] for p in res["after"]["recall"][share]["per_sentence"].values()),
                     "before": res["before"]["recall"][share]["recall"] if "before" in res else None,
                     "after": res["after"]["recall"][share]["recall"]})
    rows.append({"code": "TL102", "defect": "unchanged folders with a warning or error", "cases": res["after"]["judged"],
                 "before": res["before"]["clean_warned"] if "before" in res else None,
                 "after": res["after"]["clean_warned"], "count": True})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=default_corpus())
    ap.add_argument("--old", type=Path, default=Path("/tmp/tl_old_tl102"))
    ap.add_argument("--no-old", action="store_true", help="run only this checkout")
    ap.add_argument("--json", type=Path, help="also write the full result here")
    args = ap.parse_args(argv)
    res = run(args.corpus, None if args.no_old else args.old)
    report(res, args.corpus)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
