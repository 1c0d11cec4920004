"""TL002 pairing: equal counts, no blank lines, no identical pairs, no shifted or scrambled pairs."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from traitlint.audits.structural.alignment import align, params_from
from traitlint.audits.structural.crossmatch import crossmatch, match_params_from
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
    equal line counts, no blank lines, no pair whose two sides are identical, no run of lines where
    positive i matches negative i±k better than its own partner (a deleted or inserted line shifted
    everything after it), no lines whose partners were swapped or rotated among themselves, and no
    block of lines whose own partners are no more alike than unrelated lines.

    Shifts are found with token-set Jaccard over a window of ±`align_window` lines (plus rare-word
    candidates) and need `align_run_length` lines with the same offset. Swaps, rotations and
    unmatched blocks are found on an all-pairs matrix (folders with equal counts, up to
    `match_max_lines` pairs): IDF-weighted cosine of content words (lower-cased words minus stop
    words, plural `s` folded, IDF over every line of both files), because matched pairs often share
    their topic and named things ("Karen", "the lawnmower") more than their wording. An optimal
    assignment (`scipy.optimize.linear_sum_assignment`, ties to the own partner) is compared with the
    diagonal; each of its cycles is a group of lines that rotate among themselves. The null comes
    from the same folder: the *unrelated* cells (not the diagonal, not the assignment). A moved line
    counts when its own partner is at the unrelated level (<= their `match_own_level` quantile), its
    new partner is above the `match_new_level` quantile, beats its own partner by
    `match_margin` and every other line of its row and column by `match_distinct`, and shares at
    least `match_min_shared` uncommon words with it (in <= `match_rare_share` of the lines, or in
    <= `match_rare_floor` lines). A swapped pair (a 2-cycle) is judged as one piece of evidence:
    both directions must look moved, share `match_swap_min_shared` uncommon word each, and one of
    them be distinct (201 single swaps in the corpus's checkable folders: 154 found line by line,
    170 with this, no new alarm on the unchanged folders). A cycle with `match_min_group` such lines is reported: an error
    when every line of the cycle counts (a clean swap or rotation), a warning when only some do. A block of at least
    `match_region_min_lines` lines, `match_region_share` of them at the unrelated level, in a folder
    whose other lines are matched (`match_region_outside_matched`), with a scan-statistic Fisher
    p <= `match_region_p`, is a warning with the line range.

    Why it matters
    The vector is the mean of per-pair differences. A shifted, swapped or replaced line pairs
    unrelated texts, so the difference measures topic and wording, not the trait; an identical pair
    contributes zero and dilutes the mean. Unequal counts are almost always a deleted line somewhere
    in the middle, not at the end.

    Example
    `positive.txt` has 150 lines, `negative.txt` 149; from positive.txt:57 the best match is
    negative.txt line 56 (i-1): the shift starts there. In another folder "positive.txt lines 33
    and 34 look swapped": positive 33 (the teacher asking about a son) shares "teacher", "son",
    "interested" with negative 34 (0.31) and nothing with negative 33 (0.05), and the reverse holds
    for 34 (a coworker and lunch). In a third, "from positive.txt:69 to 130 own-partner similarity
    falls to the level of unrelated lines ... while 88% of the other lines are matched".

    What it cannot see
    Pairs that share no content words (translations, paraphrases in another register, early
    divergence with generic endings): when own partners are no more similar than unrelated lines
    (AUC below `match_min_auc`) and the assignment finds a clear partner for fewer than
    `match_scrambled_share` of the lines, the folder gets an info "not checkable" and nothing about
    its order is reported. Without word vectors, partners linked only by synonyms ("doctor" /
    "physician") look unrelated; a swap between two loosely matched pairs, or one where a direction
    shares no uncommon word (often a pair whose own lines were unrelated to begin with), is not reported; near-duplicate pairs (the same prompt twice) can trade
    partners unseen. Unequal counts or more than `match_max_lines` pairs fall back to the aligner
    (shifts, and mutual best matches within the window). A region is only reported when most of
    the rest of the folder is matched: a loosely matched folder with a bad block is not.

    How to fix
    Open both files side by side at the reported line, find the deleted, inserted, swapped or
    replaced line, and restore the pairing. Rewrite identical pairs so the sides differ in the
    trait signal.
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
        "match_own_level": 0.99,
        "match_new_level": 0.99,
        "match_margin": 0.1,
        "match_distinct": 0.05,
        "match_min_group": 2,
        "match_min_shared": 2,
        "match_swap_min_shared": 1,
        "match_rare_share": 0.05,
        "match_rare_floor": 3,
        "match_min_auc": 0.7,
        "match_scrambled_share": 0.25,
        "match_region_min_lines": 8,
        "match_region_share": 0.75,
        "match_region_p": 1e-4,
        "match_region_outside_matched": 0.7,
        "match_max_lines": 2000,
        "match_max_groups": 5,
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
            if ds.pairable and len(pos) == len(neg):
                metrics["crossmatch"] = crossmatch(pos, neg, match_params_from(params)).summary()
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
                [(ds.positive[p_line - 1].evidence(), neg_ev(p_line), neg_ev(n_line))],  # one group: the line, its partner, its match
                f"Compare {pf} and {nf} around line {p_line}: restore the missing line or delete the extra one."))
        cm = metrics.get("crossmatch")
        if cm and cm["attempted"]:
            out += self._crossmatch_findings(cm, al, params, ds, pf, nf)
        else:  # no all-pairs check (unequal counts, a very large folder): the aligner's mutual best matches
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

    def _crossmatch_findings(self, cm: dict[str, Any], al: dict[str, Any], params: dict[str, Any],
                             ds: TraitDataset, pf: str, nf: str) -> list[Finding]:
        """Swapped or rotated groups, unmatched regions, or why the folder cannot be checked."""
        if not cm["checked"]:
            return [self.finding(
                Severity.INFO, f"pair order not checkable: {cm['reason']}",
                {"not_checked": "pair order",
                 **{k: cm[k] for k in ("auc", "auc_repaired", "unrelated_p95", "unrelated_p99")}},
                params["match_min_auc"], [],
                "Nothing to fix if the pairs are meant to share no wording (translations, paraphrases); "
                "check the order of the two files by reading them side by side.")]
        shifted: set[int] = set()
        for sh in al.get("shifts", []):
            shifted.update(range(sh["positive_line"], sh["positive_line"] + sh["length"]))
        out: list[Finding] = []
        groups = []
        for g in cm["groups"]:
            moves = [m for m in g["moves"] if m["positive_line"] not in shifted]
            if len(moves) >= params["match_min_group"]:
                groups.append((g, moves))  # lines a reported shift explains are not reported twice
        cap = params["match_max_groups"]
        for g, moves in groups[:cap]:
            out.append(self._group_finding(g, moves, ds, pf, nf, cm, params))
        if len(groups) > cap:
            rest = [m for _, moves in groups[cap:] for m in moves]
            lines = sorted(m["positive_line"] for m in rest)
            out.append(self.finding(
                Severity.WARNING,
                f"{len(groups) - cap} more group(s) of lines match another line's partner better than their own: "
                f"{pf} lines " + ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else ""),
                {"groups": len(groups) - cap, "lines": lines[:50]}, params["match_margin"],
                _ordered(ds, [(pf, m["positive_line"]) for m in rest] + [(nf, m["negative_line"]) for m in rest]),
                "Restore the order of the two files: each positive's partner is among the listed negative lines."))
        for r in cm["regions"]:
            span = set(range(r["first_line"], r["last_line"] + 1))
            if len(span & shifted) * 2 > len(span):
                continue  # a shift explains it
            a, b = r["first_line"], r["last_line"]
            out.append(self.finding(
                Severity.WARNING,
                f"from {pf}:{a} to {b} own-partner similarity falls to the level of unrelated lines "
                f"({r['unmatched']} of {r['lines']} lines, median {r['own_sim_median']:.2f}; unrelated lines reach "
                f"{cm['unrelated_p95']:.2f} at the 95th percentile) while {r['outside_matched_share']:.0%} of the other "
                f"lines are matched (Fisher p={r['p']:.2g}): the negatives of this block were reordered, replaced "
                "or written for other positives",
                r, params["match_region_p"],
                _ordered(ds, [(pf, a), (nf, a), (pf, b), (nf, b)]),
                f"Read {pf} and {nf} side by side from line {a} to {b} and restore each positive's own partner."))
        return out

    def _group_finding(self, g: dict[str, Any], moves: list[dict[str, Any]], ds: TraitDataset, pf: str, nf: str,
                       cm: dict[str, Any], params: dict[str, Any]) -> Finding:
        lines = [m["positive_line"] for m in moves]
        whole = len(moves) == len(g["lines"])
        swap = whole and len(moves) == 2 and {m["negative_line"] for m in moves} == set(lines)
        detail = "; ".join(f"{pf}:{m['positive_line']} matches {nf}:{m['negative_line']} "
                           f"({m['sim']:.2f} vs {m['own_sim']:.2f} with its own partner)" for m in moves[:6])
        if swap:
            head = f"{pf} lines {lines[0]} and {lines[1]} look swapped: "
        else:
            head = (f"{len(moves)} lines rotate among themselves ({pf} lines {', '.join(map(str, lines[:10]))}"
                    + (f" and {len(lines) - 10} more" if len(lines) > 10 else "") + "): ")
        return self.finding(
            Severity.ERROR if whole else Severity.WARNING,
            head + detail + (f"; and {len(moves) - 6} more" if len(moves) > 6 else "")
            + f" (unrelated lines reach {cm['unrelated_p99']:.2f} at the 99th percentile)",
            {"lines": lines, "moves": moves, "cycle": g["lines"]}, params["match_margin"],
            _ordered(ds, [(pf, m["positive_line"]) for m in moves] + [(nf, m["negative_line"]) for m in moves]),
            "Give each listed positive line its partner back (the negative line named after it), in both files.")


def _ordered(ds: TraitDataset, where: list[tuple[str, int]]) -> list[Evidence]:
    """Evidence for (file, line) places: each once, by line, positive before negative on the same line."""
    pf = ds.positive_file or "positive.txt"
    out = []
    for file, line in sorted(set(where), key=lambda fl: (fl[1], fl[0] != pf)):
        side = ds.positive if file == pf else ds.negative
        out.append(side[line - 1].evidence() if 0 < line <= len(side) else Evidence(file, line, ""))
    return out
