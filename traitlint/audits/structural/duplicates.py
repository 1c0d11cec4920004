"""TL003 duplicates: the same prefill twice in a file, across the two files, or across trait folders."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from traitlint.audits.structural.text import normalize
from traitlint.context import AuditContext, Corpus
from traitlint.dataset import Prompt
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register

_INDEX_KEY = "TL003:corpus-index"


def _key(prompt: Prompt) -> str:
    return normalize(prompt.full_text)


def _corpus_index(corpus: Corpus) -> dict[str, set[str]]:
    """normalised prefill -> names of the folders holding it (built once per run)."""
    index: dict[str, set[str]] = defaultdict(set)
    for ds in corpus.datasets:
        for prompt in (*ds.positive, *ds.negative):
            key = _key(prompt)
            if key:
                index[key].add(ds.name)
    return index


def _groups(prompts: list[Prompt]) -> list[list[Prompt]]:
    """Prompts sharing a normalised key, for keys seen more than once, in first-line order."""
    by_key: dict[str, list[Prompt]] = defaultdict(list)
    for p in prompts:
        key = _key(p)
        if key:
            by_key[key].append(p)
    return [g for g in by_key.values() if len(g) > 1]


@register
class Duplicates(Audit):
    """What it does
    Finds prefills written twice: within one file, across the two files at different line numbers
    (a text labelled positive in one pair and negative in another), and across the trait folders
    of one run. Lines are compared after normalisation: lower-case, collapsed whitespace, no
    punctuation at the ends (JSONL: system prompt and prompt together).

    Why it matters
    A repeated line counts twice in the mean, so the vector leans towards its accidents. A text on
    both sides contradicts itself and cancels out. Two traits built from the same prefills share
    their confounds, and their vectors look more alike than the traits are.

    Severities: a repeat within a file is a `warning`, an `error` when the extra copies reach
    `error_share` of the file; a text on both sides at different lines is an `error`; lines shared
    with other folders are a `warning` when they reach `cross_folder_share` of this folder's
    lines, `info` below.

    Example
    `positive.txt:12` and `positive.txt:87` are the same sentence up to case and a final period.

    How to fix
    Delete one copy (and its partner line in the other file), or rewrite it as a new scenario.
    """

    code = "TL003"
    name = "duplicates"
    summary = "No prefill repeated within a file, across the two files, or across trait folders."
    rationale = "Repeats weight the mean towards their accidents; a text on both sides cancels out."
    fix = "Delete the copy together with its partner line, or write a new scenario in its place."
    severity = Severity.WARNING
    params = {"error_share": 0.1, "cross_folder_share": 0.05}
    requires = frozenset({"prefills"})
    corpus_level = True

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        within = {}
        for side in ("positive", "negative"):
            prompts = ds.side(side)
            groups = _groups(prompts)
            within[side] = {
                "lines": len(prompts),
                "extra_copies": sum(len(g) - 1 for g in groups),
                "groups": [[p.line for p in g] for g in groups][:50],
                "exact": sum(1 for g in groups if len({p.full_text for p in g}) == 1),
            }
        neg_by_key: dict[str, list[int]] = defaultdict(list)
        for p in ds.negative:
            if _key(p):
                neg_by_key[_key(p)].append(p.line)
        across = []
        for p in ds.positive:
            others = [n for n in neg_by_key.get(_key(p), []) if n != p.line]
            if others:
                across.append({"positive_line": p.line, "negative_lines": others[:10]})
        # Keyed by corpus size: a front end that adds folders later gets a fresh index.
        index = ctx.corpus.memo(f"{_INDEX_KEY}:{len(ctx.corpus.datasets)}", lambda: _corpus_index(ctx.corpus))
        shared: dict[str, list[list[Any]]] = defaultdict(list)
        n_shared = 0
        for p in (*ds.positive, *ds.negative):
            folders = index.get(_key(p), set()) - {ds.name}
            if folders:
                n_shared += 1
                for folder in folders:
                    shared[folder].append([p.file, p.line])
        return {"within": within, "across_files": across[:100], "across_files_count": len(across),
                "cross_folder": {k: v[:20] for k, v in sorted(shared.items())},
                "cross_folder_counts": {k: len(v) for k, v in sorted(shared.items())},
                "cross_folder_lines": n_shared, "lines": len(ds.positive) + len(ds.negative)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        out: list[Finding] = []

        def ev(file: str, line: int) -> Evidence:
            side = ds.positive if file == ds.positive_file else ds.negative
            return side[line - 1].evidence() if 0 < line <= len(side) else Evidence(file, line, "")

        for side in ("positive", "negative"):
            m = metrics["within"][side]
            if not m["extra_copies"]:
                continue
            file = getattr(ds, f"{side}_file") or f"{side}.txt"
            share = m["extra_copies"] / max(m["lines"], 1)
            severity = Severity.ERROR if share >= params["error_share"] else Severity.WARNING
            shown = "; ".join("=".join(map(str, g)) for g in m["groups"][:5])
            evidence = [[ev(file, line) for line in g[:2]] for g in m["groups"][:3]]  # a group each
            out.append(self.finding(
                severity, f"{m['extra_copies']} repeated line(s) in {file} ({share:.0%} of {m['lines']}): lines {shown}"
                + (f" and {len(m['groups']) - 5}{'+' if len(m['groups']) >= 50 else ''} more groups"
                   if len(m["groups"]) > 5 else ""),  # metrics keep the first 50 groups
                {**m, "share": round(share, 4)}, params["error_share"], evidence))
        if metrics["across_files_count"]:
            items = metrics["across_files"]
            pf, nf = ds.positive_file, ds.negative_file
            shown = ", ".join(f"{pf}:{a['positive_line']}={nf}:{a['negative_lines'][0]}" for a in items[:5])
            evidence = [(ev(pf, a["positive_line"]), ev(nf, a["negative_lines"][0])) for a in items[:3]]
            out.append(self.finding(
                Severity.ERROR, f"{metrics['across_files_count']} prefill(s) appear on both sides at different lines: {shown}",
                {"across_files": metrics["across_files_count"], "pairs": items[:20]}, 0, evidence,
                "A text cannot be both positive and negative: rewrite one copy or delete its pair."))
        counts = metrics["cross_folder_counts"]
        if counts:
            share = metrics["cross_folder_lines"] / max(metrics["lines"], 1)
            severity = Severity.WARNING if share >= params["cross_folder_share"] else Severity.INFO
            folders = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
            first = next(iter(sorted(metrics["cross_folder"].items(), key=lambda kv: -len(kv[1]))))[1]
            out.append(self.finding(
                severity, f"{metrics['cross_folder_lines']} prefill(s) ({share:.0%}) also appear in other trait folders: "
                f"{folders}" + (f" and {len(counts) - 5} more folders" if len(counts) > 5 else ""),
                {"shared_lines": metrics["cross_folder_lines"], "share": round(share, 4), "folders": counts},
                params["cross_folder_share"], [ev(f, line) for f, line in first[:5]],
                "Write new prefills for this trait; shared texts make two traits' vectors share confounds."))
        return out
