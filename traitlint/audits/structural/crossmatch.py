"""Match every positive line against every negative line: swapped, rotated and unmatched pairs.

`alignment` finds shifts (a deleted or inserted line) with token-set Jaccard in a window; that needs
the two sides of a pair to share their wording. Real matched pairs often share only their topic and
their named things ("Karen", "the lawnmower", "the campsite"), so here the similarity is IDF-weighted
content words: lower-cased word tokens minus a small stop-word list, a plural `s` dropped, each
token weighted by log(N/df) over all lines of the folder (both files), cosine between the lines.
Tokens that occur in a single line cannot link two lines and are dropped. No spaCy: structural
audits must run without the NLP pipeline.

On that n x n matrix an optimal assignment (`scipy.optimize.linear_sum_assignment`, ties going to
the own partner) pairs each positive with one negative. Where it leaves the diagonal, its cycles are
the lines that rotate among themselves. Every folder has some chance cycles (loose pairs matched to
the best of many unrelated lines), so each moved line must pass a null taken from the same folder:
the *unrelated* similarities, every cell except the diagonal and the assignment. A moved line is
*confident* when

- its own partner looks unrelated: own similarity <= the `own_level` (0.99) quantile of unrelated cells;
- its new partner does not: new similarity > the `new_level` (0.99) quantile;
- the new partner is distinct: it beats every other line in its row and column by `distinct`;
- it beats its own partner by `margin`;
- and the two share at least `min_shared` uncommon content words (one shared rare word between two
  short lines gives a high cosine by chance: "coordinated likes" / "coordinated schedules").

The defaults were chosen on the trait-interp corpus (benchmarks/accuracy_bench.py; 210 injected
swaps in checkable folders): an own level of 0.95 instead of 0.99 finds 147 instead of 158 swaps
with the same alarms on the unchanged folders; `rare_floor` 3 instead of 2 finds 160; `min_shared`
1 instead of 2 finds about 173 but adds alarms in four loosely matched folders (alignment/gaming,
chirp/refusal, formality_variations/academic and general) that reading shows to be coincidences,
as does `rare_share` 0.1 (alignment/gaming).

The region check uses the same null on the diagonal: a line is *unmatched* when its own-partner
similarity is at the unrelated level (<= the 95th percentile), *matched* when above the 99th. The
run (starting and ending on an unmatched line, at least `region_min_lines` long, at least
`region_share` unmatched) whose unmatched rate differs most from the rest of the folder's (binomial
log-likelihood ratio, a scan statistic) is reported when the rest is matched (`region_outside_matched`)
and a one-sided Fisher test of unmatched inside vs outside is below `region_p`; then the next run
in what is left. A folder whose own partners are no better than unrelated lines (the AUC of own vs
unrelated similarity below `min_auc`) cannot be checked this way, and says so, unless the assignment
finds a clear new partner for `scrambled_share` of its lines (a shuffled folder).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: Function words that carry no topic (kept short on purpose: content words are the signal).
STOP_WORDS = frozenset("""
a an the and or but if then so of to in on at by for with from as is are was were be been being am
it its this that these those there here i me my mine we us our you your he him his she her they them their
what which who whom whose not no do does did done have has had having will would can could should shall may
might must just than too very up down out over into about s t d ll m re ve also all any some
""".split())  # noqa: SIM905 (a word list reads better as text)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def content_words(text: str) -> frozenset[str]:
    """Lower-cased word tokens minus stop words, a plural `s`/`ies` folded (a set: presence, not counts)."""
    out = set()
    for w in _WORD.findall(text.casefold()):
        if w in STOP_WORDS:
            continue
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


def similarity_matrix(positive: Sequence[str], negative: Sequence[str]) -> Any:
    """IDF-weighted cosine between every positive (rows) and every negative (columns) line."""
    return _similarity(positive, negative)[0]


def _similarity(positive: Sequence[str], negative: Sequence[str]) -> tuple[Any, list[frozenset[str]],
                                                                           list[frozenset[str]], dict[str, int]]:
    """The matrix, each line's content words and their document frequencies."""
    import numpy as np

    pos = [content_words(t) for t in positive]
    neg = [content_words(t) for t in negative]
    df: dict[str, int] = {}
    for doc in (*pos, *neg):
        for w in doc:
            df[w] = df.get(w, 0) + 1
    n_docs = len(pos) + len(neg)
    vocab = {w: k for k, w in enumerate(sorted(w for w, c in df.items() if c >= 2))}
    idf = np.array([math.log(n_docs / df[w]) for w in sorted(vocab)], dtype=float)

    def unit_rows(docs: list[frozenset[str]]) -> Any:
        m = np.zeros((len(docs), len(vocab)))
        for i, doc in enumerate(docs):
            cols = [vocab[w] for w in doc if w in vocab]
            m[i, cols] = idf[cols]
        norm = np.linalg.norm(m, axis=1, keepdims=True)
        norm[norm == 0] = 1.0
        return m / norm

    if not vocab:
        return np.zeros((len(pos), len(neg))), pos, neg, df
    return unit_rows(pos) @ unit_rows(neg).T, pos, neg, df


@dataclass(frozen=True)
class MatchParams:
    """Thresholds for `crossmatch` (TL002 exposes them as `match_*` params).

    own_level: a moved line's own partner must look unrelated: at most this quantile of unrelated cells;
    new_level: its new partner must not: above this quantile;
    margin: the new partner must beat the own partner by this much (cosine).
    distinct: ... and every other line in its row and column by this much.
    min_group: confident lines a cycle needs to be reported (2: a swapped pair).
    min_shared: ... and each new pair must share this many uncommon content words (one shared rare word
        between short lines gives a high cosine by chance);
    swap_min_shared: a 2-cycle (swapped pair) whose lines fail the per-line rule is still reported
        when both directions look moved and share this many uncommon words each, and one is
        distinct (0 turns it off);
    rare_share: uncommon: in at most this share of the folder's lines ...
    rare_floor: ... or in at most this many lines (3: the pair and one more; small folders).
    min_auc: below this AUC of own-partner vs unrelated similarity the folder is "not checkable"...
    scrambled_share: ... unless this share of its lines move confidently (the folder was shuffled).
    region_min_lines: shortest run of unmatched lines reported as a region.
    region_share: share of the run's lines that must be unmatched.
    region_p: one-sided Fisher p-value the run must reach (unmatched inside vs outside).
    region_outside_matched: share of the lines outside the run whose own partner is clearly matched
        (above the unrelated 99th percentile): "the rest of the folder is matched".
    max_lines: larger folders skip the n x n check (the assignment is O(n^3)).
    """

    own_level: float = 0.99
    new_level: float = 0.99
    margin: float = 0.1
    distinct: float = 0.05
    min_group: int = 2
    min_shared: int = 2
    swap_min_shared: int = 1
    rare_share: float = 0.05
    rare_floor: int = 3
    min_auc: float = 0.7
    scrambled_share: float = 0.25
    region_min_lines: int = 8
    region_share: float = 0.75
    region_p: float = 1e-4
    region_outside_matched: float = 0.7
    max_lines: int = 2000


@dataclass
class Group:
    """A cycle of the assignment: `lines` (0-based positives, cycle order), `partner[i]` its new negative."""

    lines: list[int]
    confident: list[int]
    partner: dict[int, int]
    new_sim: dict[int, float]
    own_sim: dict[int, float]


@dataclass
class Crossmatch:
    attempted: bool = False  # the matrix was computed (equal counts, not too many lines)
    checked: bool = False
    reason: str = ""
    auc: float = 0.0
    auc_repaired: float = 0.0  # with confidently moved lines counted at their new partner
    unrelated_p95: float = 0.0
    unrelated_p99: float = 0.0
    moved: int = 0
    gain: float = 0.0
    groups: list[Group] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    matched_share: float = 0.0

    def summary(self) -> dict[str, Any]:
        """JSON-ready metrics (1-based line numbers); groups ordered by their first line."""
        return {
            "attempted": self.attempted, "checked": self.checked, "reason": self.reason, "auc": round(self.auc, 3), "auc_repaired": round(self.auc_repaired, 3),
            "unrelated_p95": round(self.unrelated_p95, 3), "unrelated_p99": round(self.unrelated_p99, 3),
            "moved": self.moved, "gain": round(self.gain, 3), "matched_share": round(self.matched_share, 3),
            "groups": [
                {"lines": sorted(i + 1 for i in g.lines), "confident": sorted(i + 1 for i in g.confident),
                 "moves": [{"positive_line": i + 1, "negative_line": g.partner[i] + 1,
                            "sim": round(g.new_sim[i], 3), "own_sim": round(g.own_sim[i], 3)}
                           for i in sorted(g.confident)]}
                for g in self.groups
            ],
            "regions": self.regions,
        }


def _auc(own: Any, unrelated: Any) -> float:
    """P(own > unrelated) + P(tie)/2, by ranks (Mann-Whitney)."""
    import numpy as np

    if not len(own) or not len(unrelated):
        return 0.0
    both = np.concatenate([own, unrelated])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    # average ranks over ties
    i = 0
    while i < len(both):
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    r_own = ranks[: len(own)].sum()
    n1, n2 = len(own), len(unrelated)
    return float((r_own - n1 * (n1 + 1) / 2) / (n1 * n2))


def _fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p for the table [[a, b], [c, d]]: P(X >= a), X hypergeometric."""
    row, col, total = a + b, a + c, a + b + c + d
    denom = math.comb(total, col)
    return sum(math.comb(row, x) * math.comb(total - row, col - x)
               for x in range(a, min(row, col) + 1)) / denom


def _cycles(assignment: Sequence[int]) -> list[list[int]]:
    seen = [False] * len(assignment)
    out = []
    for start in range(len(assignment)):
        if seen[start] or assignment[start] == start:
            continue
        cycle, j = [], start
        while not seen[j]:
            seen[j] = True
            cycle.append(j)
            j = assignment[j]
        out.append(cycle)
    return out


def _regions(own: Any, p95: float, p99: float, p: MatchParams) -> list[dict[str, Any]]:
    """Runs of unmatched own partners (at the unrelated level) in an otherwise matched folder."""
    n = len(own)
    unmatched = [bool(v <= p95) for v in own]
    # scan statistic: the run (starting and ending on an unmatched line, at least `region_min_lines`
    # long and `region_share` unmatched) whose unmatched rate differs most from the rest of the
    # folder's, by the binomial log-likelihood ratio; then the best run in what is left
    import numpy as np

    u = np.asarray(unmatched, dtype=float)
    found: list[tuple[int, int]] = []
    free = np.ones(n, dtype=bool)

    def xlogy(x: Any, y: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, x * np.log(np.where(y > 0, y, 1.0)), 0.0)

    while True:
        total_k, best, best_llr = float(u[free].sum()), (0, -1), 0.0
        m = int(free.sum())
        stops = [n] * (n + 1)  # stops[a]: the first taken line at or after a
        for i in range(n - 1, -1, -1):
            stops[i] = stops[i + 1] if free[i] else i
        for a in range(n):
            if not (free[a] and unmatched[a]):
                continue
            k = np.cumsum(u[a:stops[a]])
            length = np.arange(1, len(k) + 1, dtype=float)
            out_k, out_len = total_k - k, m - length
            llr = (xlogy(k, k / length) + xlogy(length - k, (length - k) / length)
                   + xlogy(out_k, out_k / np.maximum(out_len, 1)) + xlogy(out_len - out_k, (out_len - out_k) / np.maximum(out_len, 1))
                   - xlogy(total_k, total_k / m) - xlogy(m - total_k, (m - total_k) / m))
            ok = (np.asarray(unmatched[a:stops[a]]) & (length >= p.region_min_lines)
                  & (k >= p.region_share * length - 1e-9) & (out_len >= 1))
            if ok.any():
                j = int(np.argmax(np.where(ok, llr, -np.inf)))
                if llr[j] > best_llr:
                    best, best_llr = (a, a + j), float(llr[j])
        if best[1] < best[0]:
            break
        found.append(best)
        free[best[0]:best[1] + 1] = False
    out = []
    total_unmatched = sum(unmatched)
    for a, b in sorted(found):
        length = b - a + 1
        inside = sum(unmatched[a:b + 1])
        outside_lines = n - length
        outside = total_unmatched - inside
        if length < p.region_min_lines or inside < p.region_share * length or outside_lines < p.region_min_lines:
            continue
        matched_outside = sum(1 for i in range(n) if not a <= i <= b and own[i] > p99)
        if matched_outside < p.region_outside_matched * outside_lines:
            continue  # the rest of the folder is not matched either: nothing to contrast with
        pval = _fisher_greater(inside, length - inside, outside, outside_lines - outside)
        if pval > p.region_p:
            continue
        out.append({"first_line": a + 1, "last_line": b + 1, "lines": length, "unmatched": inside,
                    "own_sim_median": round(float(sorted(own[a:b + 1])[length // 2]), 3),
                    "outside_matched_share": round(matched_outside / outside_lines, 3), "p": float(f"{pval:.3g}")})
    return out


def crossmatch(positive: Sequence[str], negative: Sequence[str], params: MatchParams | None = None) -> Crossmatch:
    """Assignment-based check of a folder whose two files have the same number of lines."""
    import numpy as np

    p = params or MatchParams()
    n = len(positive)
    result = Crossmatch()
    if n != len(negative) or n < 3:
        result.reason = "needs equal line counts and at least 3 pairs"
        return result
    if n > p.max_lines:
        result.reason = f"more than {p.max_lines} pairs: the all-pairs check is skipped"
        return result
    from scipy.optimize import linear_sum_assignment

    result.attempted = True

    sim, pos_words, neg_words, df = _similarity(positive, negative)
    rare_df = max(p.rare_floor, int(p.rare_share * 2 * n))

    def shared(i: int, j: int) -> int:
        """Content words line i and negative j share that few other lines have."""
        return sum(1 for w in pos_words[i] & neg_words[j] if df[w] <= rare_df)
    idx = np.arange(n)
    # a tiny bonus on the diagonal: among equally good assignments the own partner wins
    _, assign = linear_sum_assignment(-(sim + 1e-9 * np.eye(n)))
    related = np.zeros((n, n), dtype=bool)
    related[idx, idx] = True
    related[idx, assign] = True
    unrelated = sim[~related]
    own = sim[idx, idx]
    if unrelated.size == 0:
        result.reason = "too few pairs"
        return result
    p95, p99 = float(np.quantile(unrelated, 0.95)), float(np.quantile(unrelated, 0.99))
    own_level, new_level = float(np.quantile(unrelated, p.own_level)), float(np.quantile(unrelated, p.new_level))
    result.unrelated_p95, result.unrelated_p99 = p95, p99
    result.auc = _auc(own, sim[~np.eye(n, dtype=bool)])
    result.moved = int((assign != idx).sum())
    result.gain = float(sim[idx, assign].sum() - own.sum())
    result.matched_share = float((own > p99).mean())
    result.checked = True

    masked = np.where(related, -np.inf, sim)
    row_best = masked.max(axis=1)
    col_best = masked.max(axis=0)

    def moved(i: int, min_shared: int) -> bool:
        """Line i looks moved: its own partner at the unrelated level, its new one above it, by
        `margin`, sharing `min_shared` uncommon words."""
        j = int(assign[i])
        new, mine = float(sim[i, j]), float(own[i])
        return mine <= own_level and new > new_level and new - mine >= p.margin and shared(i, j) >= min_shared

    def distinct(i: int) -> bool:
        """Its new partner beats the other lines of its row and column (all but the own and new partner)."""
        j = int(assign[i])
        return float(sim[i, j]) - max(float(row_best[i]), float(col_best[j])) >= p.distinct

    for cycle in _cycles([int(j) for j in assign]):
        confident = [i for i in cycle if moved(i, p.min_shared) and distinct(i)]
        # A swapped pair shows itself twice (i prefers j's negative and j prefers i's), so a 2-cycle is
        # judged as one piece of evidence: both directions moved with `swap_min_shared` uncommon words
        # each, one of them distinct. On the trait-interp corpus (201 single swaps in checkable
        # folders): 154 found line by line, 170 with this, no new group on any unchanged folder.
        if len(cycle) == 2 and len(confident) < 2 and p.swap_min_shared:
            swap = all(moved(i, p.swap_min_shared) for i in cycle) and any(distinct(i) for i in cycle)
            confident = list(cycle) if swap else []
        if len(confident) >= p.min_group:
            result.groups.append(Group(cycle, confident, {i: int(assign[i]) for i in cycle},
                                       {i: float(sim[i, assign[i]]) for i in cycle}, {i: float(own[i]) for i in cycle}))
    result.groups.sort(key=lambda g: min(g.confident))
    confident = sum(len(g.confident) for g in result.groups)
    # checkable is a property of the wording, not of the order: lines that moved confidently count
    # with their new partner, so a loose folder whose order was scrambled is not called uncheckable
    partner = idx.copy()
    for g in result.groups:
        for i in g.confident:
            partner[i] = g.partner[i]
    result.auc_repaired = _auc(sim[idx, partner], sim[~np.eye(n, dtype=bool)]) if result.groups else result.auc
    if result.auc_repaired < p.min_auc and confident < p.scrambled_share * n:
        # own partners at the unrelated level: a few chance groups are expected; only a scramble of
        # a large share of the folder (the assignment finds many confident partners) is credible
        result.groups = []
        result.checked = False
        result.reason = (f"own partners are no more similar than unrelated lines (AUC {result.auc_repaired:.2f} < {p.min_auc}): "
                         "the pairs share almost no content words, so swapped or scrambled lines cannot be seen")
        return result
    result.regions = _regions(own, p95, p99, p)
    return result


def match_params_from(values: dict[str, Any]) -> MatchParams:
    """MatchParams from an audit's params dict (keys prefixed `match_` there)."""
    defaults = asdict(MatchParams())
    return MatchParams(**{k: values.get(f"match_{k}", v) for k, v in defaults.items()})
