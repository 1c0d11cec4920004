"""Injection benchmark for TL302 valence_confound (issue 13): situation valence in matched pairs.

Over copies of the corpus folders (never the shared files), a good-news clause ("After we won the
contract,", "With the test results back clear,", ...) is put before every positive and a bad-news
clause before every negative, in 100% of the pairs and in 60% of them (plus 30%, for the curve),
and TL302 is run on the copies and on unchanged copies, with the committed code (a git worktree of
HEAD, `--old`) and with the working tree, in one run.

Matched folders are those where most pairs share at least half their tokens (TL302's
`separable_share` >= 0.5 on the unchanged copy): the issue's case, "situation valence in matched
pairs". A copy counts as caught when TL302 reports a situation-valence finding pointing at the positive side
(the side given the good news). Recall is given over every folder and over the folders whose
unchanged copy has no situation-valence finding of its own (there the injection is the only thing to
find). Alarms on unchanged folders: the folders whose unchanged copy warns or fails now but passed
before, each listed so that a person can read it.

    .venv/bin/python benchmarks/accuracy_tl302.py [--corpus DIR] [--old /tmp/tl_old_TL302] [-j 2]

`run(corpus)` returns the numbers as a dict (for the shared benchmark).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path("/work/shared/corpus/trait-interp")
CODE = "TL302"

#: Good and bad news clauses, several wordings; the i-th pair gets GOOD[i % 8] and BAD[(i + 3) % 8], so
#: the two clauses of a pair are not parallel rewrites of each other. The first of each VADER scores
#: 0.0 (its lexicon has no "promotion" or "layoffs"): kept, as real situations are worded that way too.
GOOD = ["After the promotion came through,", "With the test results back clear,", "Now that the loan was finally approved,",
        "Once the surgery had gone well,", "After we won the contract,", "With the whole family safe and healthy,",
        "Since the adoption was approved,", "After the best week we had had in years,"]
BAD = ["After the layoffs were announced,", "With the biopsy results back bad,", "Now that the loan had been denied,",
       "Once the surgery had gone wrong,", "After we lost the contract,", "With the house badly damaged by the flood,",
       "Since the funeral was on Friday,", "After the worst week we had had in years,"]
STRENGTHS = (1.0, 0.6, 0.3)
#: Openers lower-cased after a clause ("After we won the contract, the review ..."); names keep their case.
LOWER = {"the", "a", "an", "my", "our", "we", "she", "he", "they", "it", "his", "her", "their", "your", "you",
         "when", "after", "as", "at", "in", "on", "this", "that", "there", "one", "during", "today", "last",
         "yesterday", "every", "some", "for", "while", "before", "since", "once", "if", "all", "no", "two"}


def folders(corpus: Path) -> list[Path]:
    return sorted(p.parent for p in corpus.rglob("positive.txt") if (p.parent / "negative.txt").exists())


def _after_clause(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first.lower().strip(",.") in LOWER else text


def inject_lines(pos: list[str], neg: list[str], share: float, seed: int) -> tuple[list[str], list[str], list[int]]:
    """`pos`/`neg` with good/bad clauses before the lines of `share` of the pairs (seeded pick)."""
    n = min(len(pos), len(neg))
    idx = [i for i in range(n) if pos[i].strip() and neg[i].strip()]
    random.Random(seed).shuffle(idx)
    chosen = sorted(idx[: round(share * len(idx))])
    p, q = list(pos), list(neg)
    for k, i in enumerate(chosen):
        p[i] = f"{GOOD[k % len(GOOD)]} {_after_clause(pos[i])}"
        q[i] = f"{BAD[(k + 3) % len(BAD)]} {_after_clause(neg[i])}"
    return p, q, chosen


def _read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def build(corpus: Path, out: Path) -> dict[str, list[tuple[str, Path]]]:
    """Copies: out/unchanged/<rel> and out/s<pct>/<rel>, with the clause injected."""
    made: dict[str, list[tuple[str, Path]]] = {"unchanged": []}
    for f in folders(corpus):
        rel = f.relative_to(corpus)
        dst = out / "unchanged" / rel
        shutil.copytree(f, dst, ignore=shutil.ignore_patterns(".traitlint"))
        made["unchanged"].append((str(rel), dst))
        pos, neg = _read(f / "positive.txt"), _read(f / "negative.txt")
        for s in STRENGTHS:
            key = f"s{int(s * 100)}"
            d = out / key / rel
            shutil.copytree(f, d, ignore=shutil.ignore_patterns(".traitlint"))
            p, q, _ = inject_lines(pos, neg, s, seed=len(str(rel)) + int(s * 100))
            (d / "positive.txt").write_text("\n".join(p), encoding="utf-8")
            (d / "negative.txt").write_text("\n".join(q), encoding="utf-8")
            made.setdefault(key, []).append((str(rel), d))
    return made


def check(root: Path, pythonpath: Path | None, jobs: int) -> dict[str, dict[str, Any]]:
    """TL302 on every folder under `root`: path -> the audit's JSON result."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    cmd = [sys.executable, "-c", "import sys; from traitlint.cli import main; sys.argv[0] = 'traitlint'; sys.exit(main())", "check", str(root), "--select", CODE, "--format", "json", "-j", str(jobs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(pythonpath or ROOT), check=False)
    if not proc.stdout.strip():
        raise RuntimeError(f"traitlint check failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    out = {}
    for t in data["traits"]:
        for a in t["audits"]:
            if a["code"] == CODE:
                out[str(Path(t["path"]).resolve())] = a
    return out


def side_findings(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings that say situation valence predicts a side (not the coverage warning)."""
    return [f for f in result.get("findings", []) if f["severity"] != "info"
            and ("predicts the side" in f["message"])]


def caught(result: dict[str, Any]) -> bool:
    for f in side_findings(result):
        if f["metric"].get("side") == "positive" or f["message"].startswith("situation valence predicts the side: positive"):
            return True
    return False


def _summary(made, results) -> dict[str, Any]:
    unchanged = {rel: results[str(p.resolve())] for rel, p in made["unchanged"]}
    quiet = {rel for rel, r in unchanged.items() if not side_findings(r)}
    # matched folders: most pairs share at least half their tokens (TL302's `separable_share`)
    matched = {rel for rel, r in unchanged.items() if r.get("metrics", {}).get("separable_share", 0) >= 0.5}
    rep: dict[str, Any] = {"folders": len(unchanged),
                           "unchanged_alarms": sorted(rel for rel, r in unchanged.items() if r["status"] in ("warned", "failed")),
                           "unchanged_quiet_on_side": len(quiet), "matched": len(matched)}
    for key, rows in made.items():
        if key == "unchanged":
            continue
        hits = {rel: caught(results[str(p.resolve())]) for rel, p in rows}
        rep[key] = {"recall": round(sum(hits.values()) / len(hits), 4),
                    "recall_quiet": round(sum(hits[r] for r in quiet) / max(1, len(quiet)), 4),
                    "recall_matched": round(sum(hits[r] for r in matched) / max(1, len(matched)), 4),
                    "missed_matched": sorted(r for r in matched if not hits[r]),
                    "missed": sorted(r for r, h in hits.items() if not h)}
    return rep


def run(corpus: Path = CORPUS, old: Path | None = Path("/tmp/tl_old_TL302"), jobs: int = 2) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tl302_bench_") as tmp:
        made = build(corpus, Path(tmp))
        out: dict[str, Any] = {}
        for label, pp in (("before", old), ("after", ROOT)):
            if pp is None or not (pp / "traitlint").exists():
                continue
            results = check(Path(tmp), pp, jobs)
            out[label] = _summary(made, results)
            out[label]["unchanged_results"] = {rel: {"status": results[str(p.resolve())]["status"],
                                                     "messages": [f["message"] for f in results[str(p.resolve())]["findings"]]}
                                               for rel, p in made["unchanged"]}
        if "before" in out and "after" in out:
            b = {r for r in out["before"]["unchanged_alarms"]}
            a = {r for r in out["after"]["unchanged_alarms"]}
            out["new_alarms"] = sorted(a - b)
            out["gone_alarms"] = sorted(b - a)
            out["new_alarm_messages"] = {r: out["after"]["unchanged_results"][r]["messages"] for r in sorted(a - b)}
            # new findings (by kind: the first words of the message) on unchanged folders, warned before or not
            kind = lambda m: m.split(":")[0]
            out["new_findings"] = {
                r: [m for m in res["messages"] if kind(m) not in {kind(x) for x in out["before"]["unchanged_results"][r]["messages"]}]
                for r, res in out["after"]["unchanged_results"].items()}
            out["new_findings"] = {r: m for r, m in out["new_findings"].items() if m}
        return out


def report(res: dict[str, Any]) -> None:
    """Print what `run` measured."""
    for label in ("before", "after"):
        if label not in res:
            continue
        r = res[label]
        print(f"{label}: {r['folders']} folders, {len(r['unchanged_alarms'])} unchanged folders warn/fail")
        for s in STRENGTHS:
            k = f"s{int(s * 100)}"
            print(f"  injected in {s:.0%} of pairs: recall {r[k]['recall_matched']:.1%} (the {r['matched']} matched "
                  f"folders), {r[k]['recall']:.1%} (all), {r[k]['recall_quiet']:.1%} (the {r['unchanged_quiet_on_side']} "
                  f"folders without a side finding of their own); missed (matched) {r[k]['missed_matched']}")
    if "new_alarms" in res:
        print(f"new alarms on unchanged folders: {len(res['new_alarms'])}; gone: {len(res['gone_alarms'])} {res['gone_alarms']}")
        for r, msgs in res["new_alarm_messages"].items():
            print(f"  {r}: {msgs}")
        print(f"new findings on unchanged folders (any status): {len(res['new_findings'])}")
        for r, msgs in res["new_findings"].items():
            print(f"  {r}: {msgs}")


def headline(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the shared benchmark's table: recall on matched folders and on all, per strength."""
    rows = []
    for s in STRENGTHS:
        k = f"s{int(s * 100)}"
        for which, label in (("recall_matched", "matched folders"), ("recall", "all folders")):
            rows.append({"code": CODE, "defect": f"situation clauses in {s:.0%} of pairs, {label}",
                         "cases": res["after"]["matched" if which == "recall_matched" else "folders"],
                         "before": res.get("before", {}).get(k, {}).get(which), "after": res["after"][k][which]})
    rows.append({"code": CODE, "defect": "unchanged folders with a warning or error", "cases": res["after"]["folders"],
                 "before": len(res["before"]["unchanged_alarms"]) if "before" in res else None,
                 "after": len(res["after"]["unchanged_alarms"]), "count": True})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--old", type=Path, default=Path("/tmp/tl_old_TL302"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write the full result here")
    args = ap.parse_args()
    res = run(args.corpus, args.old, args.j)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    report(res)


if __name__ == "__main__":
    main()
