"""Detect misaligned pairs: a shift (a deleted or inserted line) or a scrambled order.

Matched pairs share most of their words by design, so for an aligned folder positive line i is
most similar to negative line i. After a deleted line every later positive i matches negative
i±1 better than its own partner: a sharp drop on the diagonal next to a high off-diagonal. We
look for that with token-set Jaccard, checking only a window of ±k lines plus a few rare-token
candidates from an inverted index, so the cost is O(n·k), not O(n²).
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from traitlint.audits.structural.text import TokenIndex, jaccard, tokens


@dataclass(frozen=True)
class AlignParams:
    """Thresholds for `align` (documented defaults; TL002 exposes them as audit params).

    window: offsets ±window are always compared (the shift a deleted line causes is ±1).
    min_match: a better match elsewhere must reach this Jaccard to count (pairs share text).
    margin: ... and beat the line's own partner by at least this much.
    run_length: lines with the same offset needed to call a shift (one odd pair is noise).
    max_gap: lines without a clear match allowed between two lines of one run.
    scramble_share: share of lines matching elsewhere (outside shifts) that makes the order "scrambled".
    min_scattered: scattered mismatches (outside shifts) reported when the folder's pairs share text.
    """

    window: int = 3
    min_match: float = 0.3
    margin: float = 0.1
    run_length: int = 3
    max_gap: int = 3
    scramble_share: float = 0.3
    min_scattered: int = 5


@dataclass
class Shift:
    """A run of positive lines (0-based `start`, `length`) whose best match is negative line i+offset."""

    start: int
    offset: int
    length: int
    matched: int = 0  # lines in the run that clearly match the shifted partner (gaps allowed)


@dataclass
class Alignment:
    diagonal: list[float]
    best_index: list[int | None]
    best_sim: list[float]
    shifts: list[Shift] = field(default_factory=list)
    scattered: list[int] = field(default_factory=list)
    scrambled: bool = False
    median_diagonal_aligned: float = 0.0
    median_best: float = 0.0

    def summary(self) -> dict[str, Any]:
        """JSON-ready metrics (1-based line numbers)."""
        return {
            "shifts": [
                {"positive_line": s.start + 1, "negative_line": s.start + s.offset + 1, "offset": s.offset,
                 "length": s.length, "matched": s.matched, "sim": round(self.best_sim[s.start], 3),
                 "own_sim": round(self.diagonal[s.start], 3)}
                for s in self.shifts
            ],
            "scattered_lines": [i + 1 for i in self.scattered[:50]],
            "scattered": len(self.scattered),
            "scrambled": self.scrambled,
            "median_diagonal_aligned": round(self.median_diagonal_aligned, 3),
            "median_best": round(self.median_best, 3),
        }


def align(positive: Sequence[str], negative: Sequence[str], params: AlignParams | None = None) -> Alignment:
    """Compare positive line i with negative lines i-k..i+k (and rare-token candidates)."""
    p = params or AlignParams()
    pos = [tokens(t) for t in positive]
    neg = [tokens(t) for t in negative]
    index = TokenIndex(neg)
    m = len(neg)
    diagonal, best_index, best_sim, off = [], [], [], []
    for i, q in enumerate(pos):
        diag = jaccard(q, neg[i]) if i < m else 0.0
        j, sim = index.best(q, extra=range(max(0, i - p.window), min(m, i + p.window + 1)))
        if i < m and (j is None or diag >= sim):
            j, sim = i, diag  # ties go to the line's own partner
        diagonal.append(diag)
        best_index.append(j)
        best_sim.append(sim)
        off.append(j is not None and j != i and sim >= p.min_match and sim - diag >= p.margin)
    result = Alignment(diagonal, best_index, best_sim)

    in_run = [False] * len(pos)
    runs: list[list[int]] = []
    for i in range(len(pos)):
        if not off[i]:
            continue
        offset = best_index[i] - i  # type: ignore[operator]
        last = runs[-1] if runs else None
        if last and best_index[last[-1]] - last[-1] == offset and i - last[-1] <= p.max_gap + 1:  # type: ignore[operator]
            last.append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) >= p.run_length:
            offset = best_index[run[0]] - run[0]  # type: ignore[operator]
            start = run[0]
            # The first shifted lines may match weakly; walk back while the shifted partner still
            # beats the own partner, so the report points where the shift starts.
            while start - 1 >= 0 and 0 <= start - 1 + offset < m and not in_run[start - 1] and \
                    jaccard(pos[start - 1], neg[start - 1 + offset]) > diagonal[start - 1]:
                start -= 1
            result.shifts.append(Shift(start, offset, run[-1] - start + 1, len(run)))
            for k in range(start, run[-1] + 1):
                in_run[k] = True
    # Outside runs, keep only mutual best matches: in templated folders many positives resemble
    # one generic negative; a true swap is a line pair that each prefer the other.
    reverse = TokenIndex(pos)
    n_pos = len(pos)

    def mutual(i: int) -> bool:
        j = best_index[i]
        back, _ = reverse.best(neg[j], extra=range(max(0, j - p.window), min(n_pos, j + p.window + 1)))  # type: ignore[index]
        return back == i

    result.scattered = [i for i in range(n_pos) if off[i] and not in_run[i] and mutual(i)]

    aligned = [diagonal[i] for i in range(min(len(pos), m)) if not off[i] and pos[i]]
    result.median_diagonal_aligned = statistics.median(aligned) if aligned else 0.0
    result.median_best = statistics.median(best_sim) if best_sim else 0.0
    n = sum(1 for q in pos if q)
    result.scrambled = bool(n) and len(result.scattered) >= max(p.run_length, p.scramble_share * n) \
        and result.median_best >= p.min_match
    return result


def params_from(values: dict[str, Any]) -> AlignParams:
    """AlignParams from an audit's params dict (keys prefixed `align_` there)."""
    defaults = asdict(AlignParams())
    return AlignParams(**{k: values.get(f"align_{k}", v) for k, v in defaults.items()})
