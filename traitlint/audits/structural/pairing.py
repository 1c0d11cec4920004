"""TL002 pairing: equal counts, no blank lines, no identical pairs, no shifted or scrambled pairs."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from traitlint.audits.structural.alignment import align, params_from
from traitlint.audits.structural.text import squash
from traitlint.context import AuditContext
from traitlint.dataset import PAIRING_CODE, TraitDataset
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register


def _sides(ds: TraitDataset) -> tuple[list[str], list[str]]:
    """Texts as the model sees them (system prompt + prompt for JSONL)."""
    return [p.full_text for p in ds.positive], [p.full_text for p in ds.negative]


@register
class Pairing(Audit):
    """What it does
    Checks that line i of the positive file really is the partner of line i of the negative file:
    equal line counts, no blank lines, no pair whose two sides are identical, and no run of lines
    where positive i matches negative i±k better than its own partner (a deleted or inserted line
    shifted everything after it) or a scrambled order.

    Why it matters
    The vector is the mean of per-pair differences. A shifted file pairs unrelated texts, so the
    difference measures topic and wording, not the trait; an identical pair contributes zero and
    dilutes the mean. Unequal counts are almost always a deleted line somewhere in the middle,
    not at the end.

    Example
    `positive.txt` has 150 lines, `negative.txt` 149; from positive.txt:57 the best match is
    negative.txt line 56 (i-1): the shift starts there. Shifts are found with token-set Jaccard
    over a window of ±`align_window` lines (plus rare-word candidates), and need `align_run_length`
    lines with the same offset, so one odd pair is not reported. Scattered mismatches count only
    when the two lines are each other's best match. Folders whose pairs share few words (early
    divergence, translations) cannot be checked this way and are not reported.

    How to fix
    Open both files side by side at the reported line, find the deleted or inserted line, and
    restore the pairing. Rewrite identical pairs so the sides differ in the trait signal.
    """

    code = "TL002"
    name = "pairing"
    summary = "Line i of positive matches line i of negative: equal counts, no blanks, no identical or shifted pairs."
    rationale = "A shifted or identical pair makes the difference vector measure wording, not the trait."
    fix = "Restore the one-to-one line pairing at the reported line; rewrite identical pairs."
    severity = Severity.ERROR
    params = {
        "align_window": 3,
        "align_min_match": 0.3,
        "align_margin": 0.1,
        "align_run_length": 3,
        "align_max_gap": 3,
        "align_scramble_share": 0.3,
        "align_min_scattered": 5,
    }
    requires = frozenset()  # count and blank-line findings must appear for unpairable folders too

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        metrics: dict[str, Any] = {"positive_lines": len(ds.positive), "negative_lines": len(ds.negative),
                                   "pairable": ds.pairable, "identical_pairs": [],
                                   "load_findings": sum(1 for f in ds.load_findings if f.code == PAIRING_CODE)}
        if ds.pairable:
            metrics["identical_pairs"] = [
                p.index + 1 for p in ds.pairs
                if squash(p.positive.full_text) == squash(p.negative.full_text) and p.positive.full_text.strip()
            ]
        if ds.positive and ds.negative:
            pos, neg = _sides(ds)
            metrics["alignment"] = align(pos, neg, params_from(params)).summary()
        return metrics

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        out = [replace(f, evidence=list(f.evidence)) for f in ds.load_findings if f.code == PAIRING_CODE]
        pf, nf = ds.positive_file or "positive.txt", ds.negative_file or "negative.txt"
        same = metrics["identical_pairs"]
        if same:
            ev = []
            for line in same[:3]:
                ev += [ds.positive[line - 1].evidence(), ds.negative[line - 1].evidence()]
            out.append(self.finding(
                Severity.ERROR, f"{len(same)} pair(s) with identical positive and negative text: lines "
                + ", ".join(map(str, same[:10])) + (f" and {len(same) - 10} more" if len(same) > 10 else ""),
                {"identical_pairs": len(same), "lines": same[:50]}, 0, ev,
                "Rewrite one side so the pair differs in the trait signal, or delete the pair from both files."))
        al = metrics.get("alignment")
        if not al:
            return out

        def neg_ev(line: int) -> Evidence:
            return ds.negative[line - 1].evidence() if 0 < line <= len(ds.negative) else Evidence(nf, line, "")

        for shift in al["shifts"]:
            p_line, n_line, k = shift["positive_line"], shift["negative_line"], shift["offset"]
            end = p_line + shift["length"] - 1
            cause = (f"a line was deleted from {nf} or inserted into {pf} near line {min(p_line, n_line)}" if k < 0
                     else f"a line was inserted into {nf} or deleted from {pf} near line {p_line}")
            out.append(self.finding(
                Severity.ERROR,
                f"pairs shifted: from {pf}:{p_line} to {end} the best match is {nf} line i{k:+d} "
                f"(line {n_line}, similarity {shift['sim']:.2f} vs {shift['own_sim']:.2f} with its own partner); {cause}",
                shift, params["align_margin"],
                [ds.positive[p_line - 1].evidence(), neg_ev(p_line), neg_ev(n_line)],
                f"Compare {pf} and {nf} around line {p_line}: restore the missing line or delete the extra one."))
        if al["scrambled"]:
            lines = al["scattered_lines"]
            out.append(self.finding(
                Severity.ERROR,
                f"pair order looks scrambled: {al['scattered']} positive lines match a different negative line "
                f"better than their own partner (median best-match similarity {al['median_best']:.2f})",
                {k: al[k] for k in ("scattered", "median_best", "median_diagonal_aligned")},
                params["align_scramble_share"], [ds.positive[i - 1].evidence() for i in lines[:5]],
                "The two files were sorted or shuffled independently: restore the original line order on both sides."))
        elif al["scattered"] >= params["align_min_scattered"]:
            lines = al["scattered_lines"]
            out.append(self.finding(
                Severity.WARNING,
                f"{al['scattered']} pairs match another line better than their own partner (mutual best match): "
                f"{pf} lines " + ", ".join(map(str, lines[:10]))
                + (f" and {al['scattered'] - 10} more" if al["scattered"] > 10 else ""),
                {k: al[k] for k in ("scattered", "scattered_lines", "median_diagonal_aligned")},
                params["align_min_scattered"], [ds.positive[i - 1].evidence() for i in lines[:5]],
                "Check these lines against the other file: their partners may have been swapped."))
        return out
