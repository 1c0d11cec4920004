"""Text that both sides of a pair share cannot separate the sides (issue 13): adding the same sentence
to both sides of any pairs must change no confound verdict.

The folders are realistic clean pairs with zero, one or two injected confounds; the shared text is a
neutral sentence (no person, no valence, no intensity, words the pairs do not otherwise use), put
before or after the text of a hypothesis-chosen subset of pairs.
"""
from __future__ import annotations

import confound_data as cd
import pytest

from test_confounds import run

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as S

#: the audits whose verdicts must not move (TL302 has its own property in test_confound_invariance)
CODES = ["TL101", "TL303", "TL304", "TL305", "TL306"]
SHARED = ["The archive occupies a converted granary beside the canal.",
          "Forms were stamped in triplicate at the front counter.",
          "A gravel path runs along the eastern boundary wall."]

spec_st = S.builds(cd.Spec, S.integers(0, 7), S.integers(0, 15), S.integers(0, 3), S.integers(0, 4),
                   S.integers(0, 3))


def verdicts(results) -> dict[str, object]:
    """Each audit's status; for TL306 also its accuracy and p, which must be identical: its features
    are counts and sums, so shared text leaves every per-pair difference unchanged.

    TL304: its paired statistics and AUC must be identical. Its status may move only through its
    one documented length-relative input, `rel_diff` (the mean difference over the mean length,
    which shared text makes longer): the status is compared when `rel_diff` sits on the same side
    of both of its thresholds in the two folders, which `shared_text_changes_no_confound_verdict`
    checks pairwise."""
    out: dict[str, object] = {c: r.status for c, r in results.items()}
    m = results["TL306"].metrics
    out["TL306 numbers"] = (m.get("accuracy"), m.get("p"), m.get("features"))
    length = results["TL304"].metrics
    out["TL304 numbers"] = tuple(length.get(k) for k in ("auc", "mean_diff", "p", "rank_biserial"))
    return out


def _length_band(results) -> tuple[bool, bool]:
    """Where TL304's relative difference sits against its two thresholds."""
    rel = abs(results["TL304"].metrics.get("rel_diff", 0.0))
    return rel >= 0.1, rel >= 0.15


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.lists(spec_st, min_size=20, max_size=32),
       S.lists(S.sampled_from(["TL101", "TL303", "TL304", "TL305"]), max_size=2, unique=True),
       S.data())
def test_shared_text_changes_no_confound_verdict(specs, codes, data):
    pos, neg = cd.inject_many(specs, codes)
    n = len(pos)
    chosen = data.draw(S.sets(S.integers(0, n - 1), min_size=1, max_size=n), label="pairs")
    sentence = data.draw(S.sampled_from(SHARED), label="sentence")
    before = data.draw(S.booleans(), label="before")

    def add(t: str) -> str:
        return f"{sentence} {t}" if before else f"{t} {sentence}"

    pos2 = [add(t) if i in chosen else t for i, t in enumerate(pos)]
    neg2 = [add(t) if i in chosen else t for i, t in enumerate(neg)]
    card = cd.trait_toml()
    base_results = run(cd.write_folder(None, pos, neg, card), CODES)
    shared_results = run(cd.write_folder(None, pos2, neg2, card), CODES)
    base, shared = verdicts(base_results), verdicts(shared_results)
    if _length_band(base_results) != _length_band(shared_results):
        base.pop("TL304"), shared.pop("TL304")  # moved by the documented dilution only (see verdicts)
    assert shared == base
