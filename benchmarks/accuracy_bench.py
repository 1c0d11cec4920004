"""Audit accuracy on a real corpus with defects injected into copies (issue 13).

For each entry of `ENTRIES` (an audit code and a defect injector), every folder of the corpus is
copied (never modified in place), the injector writes the defect into the copy at several seeds,
and the audit is run on the copies and on the unchanged folders, with this checkout's code and,
with `--old PATH`, with another checkout (e.g. `git worktree add /tmp/tl_old HEAD`), each through
the CLI (`traitlint check ROOT --select CODE --format json`) with PYTHONPATH set to that checkout.

Reported per entry and version:
- recall: injected copies where a warning or error of the audit appears that the unchanged folder
  does not have and that points at an injected line (evidence or metric lines), over all copies
  and over the *checkable* ones (the unchanged folder has no "not checkable" info of the audit);
- alarms on the unchanged folders: folders with a warning or error of the audit, and, with `--old`,
  the folders whose alarms are new (a warning/error message the old version does not give). Each
  new alarm is printed so that a person can read it.

Injectors take (folder, rng) and return the 1-based lines they changed (empty: not applicable).
Add an audit by writing an injector and adding a row to ENTRIES.

Usage: python benchmarks/accuracy_bench.py [--corpus PATH] [--old PATH] [--seeds N] [--only CODE]...
Default corpus: ../shared/corpus/trait-interp. Without --only it runs all four issue-13 benchmarks
(TL002 here; TL102, TL301 and TL302 from benchmarks/accuracy_*.py, each exposing run, report and
headline) against the same --old checkout and ends with one table.

Measured 2026-12-02 (one run, about 13 minutes on 2 cores; old = 46762d9, the code before issue 13,
from `git worktree add /tmp/wt_head 46762d9`):

    audit  defect                                                   cases  before  after
    TL002  40% of the negative lines permuted, all folders             237     66%    86%
    TL002  ... checkable folders                                       210     75%    97%
    TL002  one pair of negative lines exchanged, all folders           237      3%    76%
    TL002  ... checkable folders                                       210      3%    86%
    TL002  known defects new_traits/brevity 33/34, harm/deception        2      0/2    2/2
    TL002  unchanged folders with a new warning or error                80       -      4
    TL102  rare sentence repeated in 20% / 30% of pairs                228      0%   100%
    TL102  unchanged folders with a warning or error                    76      72      7
    TL301  hospital domain in 45% / 30% of pairs, all folders        77/57  10%/4%  91%/91%
    TL301  ... folders it reads (4 skipped: not English, unpairable) 73/53       -  96%/98%
    TL301  courtroom domain in 45% / 30%, all folders                77/57  10%/7%  88%/91%
    TL301  ... folders it reads                                      73/53       -  93%/98%
    TL301  hospital wordings sharing no noun, 45% / 30%              77/57   6%/5%  16%/11%
    TL301  unchanged folders with a warning or error                    77      14      3
    TL302  situation clauses in 100% of pairs, matched / all folders 28/77 25%/40% 100%/90%
    TL302  ... in 60% of pairs                                       28/77  7%/26%  93%/81%
    TL302  ... in 30% of pairs                                       28/77  0%/16%  36%/36%
    TL302  unchanged folders with a warning or error                    77      22     22

The 27 TL002 copies of the 9 not-checkable folders (translations, register paraphrases, pairs that
share no content words) cannot be caught by a lexical check; those folders say "pair order not
checkable" on every run. Every new alarm on the unchanged folders was read; see the issue-13 note.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "trait-interp"


# ------------------------------------------------------------------------------------------ injectors
def _negative(folder: Path) -> Path | None:
    for name in ("negative.txt", "negative.jsonl"):
        if (folder / name).exists():
            return folder / name
    return None


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _paired_lines(folder: Path) -> tuple[Path, list[str]] | None:
    """The negative file and its lines, when both files have the same number of lines."""
    neg = _negative(folder)
    pos = folder / ("positive" + (neg.suffix if neg else ".txt"))
    if neg is None or not pos.exists():
        return None
    lines = _lines(neg)
    if len(lines) != len(_lines(pos)) or len(lines) < 4:
        return None
    return neg, lines


def permute_negatives(share: float) -> Callable[[Path, random.Random], list[int]]:
    """Move `share` of the negative lines among themselves (a derangement of the chosen lines)."""

    def inject(folder: Path, rng: random.Random) -> list[int]:
        found = _paired_lines(folder)
        if not found:
            return []
        neg, lines = found
        chosen = sorted(rng.sample(range(len(lines)), max(2, round(share * len(lines)))))
        order = chosen[:]
        while any(a == b for a, b in zip(chosen, order)):
            rng.shuffle(order)
        out = lines[:]
        for a, b in zip(chosen, order):
            out[a] = lines[b]
        neg.write_text("\n".join(out) + "\n", encoding="utf-8")
        return [i + 1 for i in chosen]

    inject.__name__ = f"permute_{round(share * 100)}pct"
    return inject


def swap_one_pair(folder: Path, rng: random.Random) -> list[int]:
    """Exchange two negative lines (half the seeds neighbours, half anywhere)."""
    found = _paired_lines(folder)
    if not found:
        return []
    neg, lines = found
    i = rng.randrange(len(lines) - 1)
    j = i + 1 if rng.random() < 0.5 else rng.choice([k for k in range(len(lines)) if k != i])
    lines[i], lines[j] = lines[j], lines[i]
    neg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted([i + 1, j + 1])


@dataclass(frozen=True)
class Entry:
    code: str
    injector: Callable[[Path, random.Random], list[int]]
    description: str


ENTRIES: list[Entry] = [
    Entry("TL002", permute_negatives(0.4), "40% of the negative lines permuted among themselves"),
    Entry("TL002", swap_one_pair, "one pair of negative lines exchanged"),
]


@dataclass(frozen=True)
class Known:
    """A real defect of the unchanged corpus that the audit must report."""

    code: str
    folder: str  # relative to the corpus
    description: str
    found: Callable[[dict], bool]


def _swapped(a: int, b: int) -> Callable[[dict], bool]:
    return lambda r: any(sorted(f.get("metric", {}).get("lines", [])) == [a, b] and f["severity"] in ("error", "warning")
                         for f in r.get("findings", []))


def _region(first: int, last: int) -> Callable[[dict], bool]:
    """A reported region that covers at least 90% of first..last."""
    want = set(range(first, last + 1))

    def check(r: dict) -> bool:
        for f in alarms(r):
            m = f.get("metric", {})
            if "first_line" in m and len(want & set(range(m["first_line"], m["last_line"] + 1))) >= 0.9 * len(want):
                return True
        return False
    return check


KNOWN: list[Known] = [
    Known("TL002", "new_traits/brevity", "negative lines 33 and 34 swapped", _swapped(33, 34)),
    Known("TL002", "harm/deception", "own-partner similarity collapses over lines 71-130", _region(71, 130)),
]


# ------------------------------------------------------------------------------------------ running
def run_cli(checkout: Path, root: Path, code: str) -> dict[str, dict]:
    """{folder path: TL-code audit result} for every trait folder under `root`, with `checkout`'s code."""
    code_py = "import sys; from traitlint.cli import main; sys.exit(main())"
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [sys.executable, "-c", code_py, "check", str(root), "--select", code, "--format", "json",
             "--no-cache", "--cache-dir", cache, "-j", "1", "--exit-zero"],
            capture_output=True, text=True, check=False, cwd=cache,  # not the repo: `-c` puts the cwd first on sys.path
            env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    report = json.loads(done.stdout)
    return {t["path"]: next(a for a in t["audits"] if a["code"] == code) for t in report["traits"]}


def alarms(result: dict) -> list[dict]:
    return [f for f in result.get("findings", []) if f["severity"] in ("error", "warning")]


def not_checkable(result: dict) -> bool:
    return any(f["severity"] == "info" and "not checkable" in f["message"] for f in result.get("findings", []))


def finding_lines(f: dict) -> set[int]:
    lines = {e["line"] for e in f.get("evidence", []) if e.get("line")}
    metric = f.get("metric") or {}
    for key in ("lines", "scattered_lines"):
        if isinstance(metric.get(key), list):
            lines.update(x for x in metric[key] if isinstance(x, int))
    if "first_line" in metric and "last_line" in metric:
        lines.update(range(metric["first_line"], metric["last_line"] + 1))
    if "positive_line" in metric and "length" in metric:
        lines.update(range(metric["positive_line"], metric["positive_line"] + metric["length"]))
    return lines


def caught(injected: dict, clean: dict, moved: list[int]) -> bool:
    before = {f["message"] for f in alarms(clean)}
    return any(f["message"] not in before and finding_lines(f) & set(moved) for f in alarms(injected))


def folders_of(corpus: Path) -> list[Path]:
    return sorted({p.parent for p in corpus.rglob("positive.*") if p.suffix in (".txt", ".jsonl")})


def run_tl002(corpus: Path, old: Path | None, seeds: int = 3) -> dict:
    """TL002: the injections of `ENTRIES` and the `KNOWN` corpus defects, printed as measured."""
    versions = {"new": ROOT} | ({"old": old.resolve()} if old else {})
    folders = folders_of(corpus)
    summary: dict = {"corpus": str(corpus), "folders": len(folders), "entries": []}
    with tempfile.TemporaryDirectory(prefix="accuracy_bench_") as tmp:
        work = Path(tmp)
        clean_root = work / "clean"
        for f in folders:
            shutil.copytree(f, clean_root / "__".join(f.relative_to(corpus).parts))
        codes = sorted({e.code for e in ENTRIES if e.code == "TL002"})
        clean = {(v, c): run_cli(path, clean_root, c) for v, path in versions.items() for c in codes}
        for code in codes:
            print(f"== {code} on {len(folders)} unchanged folders")
            for v in versions:
                res = clean[(v, code)]
                n_alarm = sum(1 for r in res.values() if alarms(r))
                print(f"  {v}: {n_alarm} folders with a warning or error; "
                      f"{sum(1 for r in res.values() if not_checkable(r))} not checkable")
            if "old" in versions:
                new_alarms = _alarms_missing_from(clean[("new", code)], clean[("old", code)], alarms)
                print(f"  new alarms (new version, not in old): {len(new_alarms)} folders")
                _print_alarms(new_alarms)
                summary[f"{code}_new_alarm_folders"] = sorted(new_alarms)
                gone = _alarms_missing_from(clean[("old", code)], clean[("new", code)], alarms)
                print(f"  alarms of the old version the new one does not give: {len(gone)} folders")
                _print_alarms(gone)
            for known in KNOWN:
                if known.code != code:
                    continue
                key = str(clean_root / "__".join(Path(known.folder).parts))
                for v in versions:
                    hit = key in clean[(v, code)] and known.found(clean[(v, code)][key])
                    print(f"  known defect {known.folder}: {known.description}: {v} {'reported' if hit else 'MISSED'}")
                    summary.setdefault("known", []).append({"folder": known.folder, "version": v, "reported": hit})
        for entry in ENTRIES:
            if entry.code != "TL002":
                continue
            name = entry.injector.__name__
            root = work / name
            truth: dict[str, list[int]] = {}
            for seed in range(seeds):
                for f in folders:
                    copy = root / f"{'__'.join(f.relative_to(corpus).parts)}__s{seed}"
                    shutil.copytree(f, copy)
                    moved = entry.injector(copy, random.Random(f"{name}/{f.name}/{seed}"))
                    if moved:
                        truth[str(copy)] = moved
                    else:
                        shutil.rmtree(copy)
            row = {"code": entry.code, "injector": name, "description": entry.description, "copies": len(truth)}
            print(f"== {entry.code} {name}: {entry.description}; {len(truth)} copies ({seeds} seeds)")
            for v, path in versions.items():
                res = run_cli(path, root, entry.code)
                hits = checkable = hits_checkable = 0
                small = [0, 0]  # caught, copies among folders of at most 20 pairs
                for copy, moved in truth.items():
                    base = clean_root / Path(copy).name.rsplit("__s", 1)[0]
                    c = clean[(v, entry.code)][str(base)]
                    hit = caught(res[copy], c, moved)
                    hits += hit
                    if len(_lines(_negative(Path(copy)))) <= 20:
                        small[0] += hit
                        small[1] += 1
                    if not not_checkable(clean[("new", entry.code)][str(base)]):
                        checkable += 1
                        hits_checkable += hit
                row[v] = {"recall": round(hits / max(1, len(truth)), 3), "caught": hits,
                          "recall_checkable": round(hits_checkable / max(1, checkable), 3),
                          "checkable_copies": checkable, "recall_small": round(small[0] / max(1, small[1]), 3),
                          "small_copies": small[1]}
                print(f"  {v}: recall {hits}/{len(truth)} = {hits / max(1, len(truth)):.0%}; "
                      f"on checkable folders {hits_checkable}/{checkable} = {hits_checkable / max(1, checkable):.0%}; "
                      f"on folders of <= 20 pairs {small[0]}/{small[1]} = {small[0] / max(1, small[1]):.0%}")
            summary["entries"].append(row)
    return summary


def headline_tl002(summary: dict) -> list[dict]:
    """Rows for the table: recall per injection (all folders, checkable ones), known defects, alarms."""
    rows = []
    for e in summary["entries"]:
        for key, label in (("recall", "all folders"), ("recall_checkable", "checkable folders")):
            rows.append({"code": "TL002", "defect": f"{e['description']}, {label}",
                         "cases": e["copies"] if key == "recall" else e["new"]["checkable_copies"],
                         "before": e.get("old", {}).get(key), "after": e["new"][key]})
    for k in summary.get("known", []):
        rows.append({"code": "TL002", "defect": f"known defect {k['folder']}", "cases": 1,
                     "before" if k["version"] == "old" else "after": float(k["reported"])})
    if "TL002_new_alarm_folders" in summary:
        rows.append({"code": "TL002", "defect": "unchanged folders with a new warning or error",
                     "cases": summary["folders"], "before": None,
                     "after": len(summary["TL002_new_alarm_folders"]), "count": True})
    return _merge_known(rows)


def _merge_known(rows: list[dict]) -> list[dict]:
    """One row per known defect, with its before and after."""
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r["defect"], {"before": None, "after": None}).update(r)
    return list(out.values())


SUITES = ("TL002", "TL102", "TL301", "TL302")
"""The audits whose accuracy issue 13 measures; each has its injections and its own report."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--old", type=Path,
                    help="a checkout to compare with, e.g. `git worktree add /tmp/tl_before 46762d9` (before issue 13)")
    ap.add_argument("--seeds", type=int, default=3, help="TL002 injection seeds per folder")
    ap.add_argument("--only", choices=SUITES, action="append", help="run only these audits (repeatable)")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import accuracy_tl102
    import accuracy_TL301
    import accuracy_tl302

    old = args.old.resolve() if args.old else None
    results: dict[str, object] = {}
    rows: list[dict] = []
    for code in args.only or SUITES:
        print(f"\n######## {code}", flush=True)
        if code == "TL002":
            res = run_tl002(args.corpus, old, args.seeds)
            rows += headline_tl002(res)
        elif code == "TL102":
            res = accuracy_tl102.run(args.corpus, old)
            accuracy_tl102.report(res, args.corpus)
            rows += accuracy_tl102.headline(res)
        elif code == "TL301":
            if old is None:
                print("TL301 compares two checkouts: pass --old")
                continue
            res = accuracy_TL301.run(args.corpus, old)
            accuracy_TL301.report(res)
            rows += accuracy_TL301.headline(res)
        else:
            res = accuracy_tl302.run(args.corpus, old)
            accuracy_tl302.report(res)
            rows += accuracy_tl302.headline(res)
        results[code] = res
    print("\n######## summary: recall (share of injected copies caught) or a count of folders")
    print(f"{'audit':6s} {'defect':68s} {'cases':>6s} {'before':>7s} {'after':>7s}")
    for r in rows:
        fmt = (lambda v: "-" if v is None else str(int(v))) if r.get("count") else \
              (lambda v: "-" if v is None else f"{v:.0%}")
        print(f"{r['code']:6s} {r['defect'][:68]:68s} {r['cases']:6d} {fmt(r.get('before')):>7s} {fmt(r.get('after')):>7s}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "results": results}, indent=1, default=str) + "\n",
                             encoding="utf-8")
    return 0


def _alarms_missing_from(mine: dict, theirs: dict, alarms) -> dict[str, list[str]]:
    """Per folder name: the alarms in `mine` whose message `theirs` does not give for that folder."""
    out = {}
    for path, r in mine.items():
        their_msgs = {f["message"] for f in alarms(theirs.get(path, {}))}
        extra = [f for f in alarms(r) if f["message"] not in their_msgs]
        if extra:
            out[Path(path).name] = [f"{f['severity']}: {f['message']}" for f in extra]
    return out


def _print_alarms(by_folder: dict[str, list[str]]) -> None:
    for name, msgs in sorted(by_folder.items()):
        print(f"    {name}")
        for m in msgs:
            print(f"      {m[:300]}")



if __name__ == "__main__":
    sys.exit(main())
