"""Detection power: each confound from issue 3, injected into 60% of the pairs of an otherwise clean
set, makes its audit fail (warn, for the warning-level audits) at 20, 50 and 150 pairs; and the
measured power table (the smallest detected share, benchmarks/power_table.py, quoted in each audit's
docstring) holds at its boundary: detected at that share, not at the share 10 points below.

Why 60%: real defects are partial (an author slips into a habit for part of a batch); an audit that
only fires at 85-100% misses them. The injections are the mild, realistic form of each confound:
a booster alone (no "!!"), ordinary good/bad situations, pronouns switched on one side only.
"""
from __future__ import annotations

import random

import pytest

import confound_data as cd
from test_confounds import run

RATE = 0.6
#: First-person subjects of `cd.SUBJECTS` and their third-person switch ("I" -> "She", "my" -> "her").
THIRD = {2: ("She", "she"), 3: ("They", "they"), 6: ("Her sister", "her sister"), 7: ("Their lab", "their lab")}


def _chosen(n: int, rate: float, seed: int = 0) -> set[int]:
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return set(idx[: int(round(rate * n))])


def _opener(specs, pos, neg, sel):
    return [("Still, " + p) if i in sel else p for i, p in enumerate(pos)], neg


def _rare_word(specs, pos, neg, sel):
    """A rare word in both texts of the selected pairs: repeated shared context (TL102, issue 13)."""
    add = lambda t: t.replace(" the ", " the turquoise ", 1)
    return [add(p) if i in sel else p for i, p in enumerate(pos)], [add(q) if i in sel else q for i, q in enumerate(neg)]


def _valence(specs, pos, neg, sel):
    p = [cd.render(s, "positive", sit=cd.GOOD[i % 6]) if i in sel else pos[i] for i, s in enumerate(specs)]
    q = [cd.render(s, "negative", sit=cd.BAD[i % 6]) if i in sel else neg[i] for i, s in enumerate(specs)]
    return p, q


def _person(specs, pos, neg, sel):
    """First-person pronouns switched to third person on the negative side, in the selected pairs
    that have a first-person subject (half the texts name their subject instead, "The team ...",
    so a share of pairs switches about half that share of the texts)."""
    q = [cd.render(s, "negative", subject=THIRD[s.subject % 8]) if i in sel and s.subject % 8 in THIRD else neg[i]
         for i, s in enumerate(specs)]
    return pos, q


def _length(specs, pos, neg, sel):
    return pos, [(cd.NEUTRAL_SENTENCES[i % 3] + " " + q) if i in sel else q for i, q in enumerate(neg)]


def _intensity(specs, pos, neg, sel):
    p = [cd.render(s, "positive", word="extremely " + cd.WORDS[s.words % len(cd.WORDS)][0]) if i in sel else pos[i]
         for i, s in enumerate(specs)]
    return p, neg


CASES = {"TL101": (_opener, "failed"), "TL102": (_rare_word, "warned"), "TL302": (_valence, "failed"),
         "TL303": (_person, "failed"), "TL304": (_length, "failed"), "TL305": (_intensity, "warned")}


@pytest.mark.parametrize("n", [20, 50, 150])
@pytest.mark.parametrize("code", sorted(CASES))
def test_partial_injection_fails_target_audit(code: str, n: int) -> None:
    specs = cd.default_specs(n)
    pos, neg = cd.clean(specs)
    inject, expected = CASES[code]
    p, q = inject(specs, pos, neg, _chosen(n, RATE))
    res = run(cd.write_folder(None, p, q, cd.trait_toml()), [code])[code]
    assert res.status == expected, (code, n, res.metrics, [f.message for f in res.findings])


#: (audit, n) -> smallest injected share detected, as measured by benchmarks/power_table.py.
POWER = {
    ("TL101", 20): 0.3, ("TL101", 50): 0.2, ("TL101", 150): 0.1,
    ("TL102", 20): 0.2, ("TL102", 50): 0.2, ("TL102", 150): 0.2,
    ("TL302", 20): 0.4, ("TL302", 50): 0.4, ("TL302", 150): 0.4,
    ("TL303", 20): 0.6, ("TL303", 50): 0.5, ("TL303", 150): 0.5,
    ("TL304", 20): 0.4, ("TL304", 50): 0.4, ("TL304", 150): 0.4,
    ("TL305", 20): 0.5, ("TL305", 50): 0.5, ("TL305", 150): 0.5,
}
LEVEL = {"failed": 2, "warned": 1, "passed": 0}


def detected(code: str, n: int, share: float) -> bool:
    """Whether `code` reaches its expected status with its confound injected into `share` of n pairs."""
    specs = cd.default_specs(n)
    pos, neg = cd.clean(specs)
    inject, expected = CASES[code]
    p, q = inject(specs, pos, neg, _chosen(n, share))
    status = run(cd.write_folder(None, p, q, cd.trait_toml()), [code])[code].status
    return LEVEL.get(status, -1) >= LEVEL[expected]


@pytest.mark.parametrize(("code", "n"), sorted(POWER))
def test_power_table_boundary(code: str, n: int) -> None:
    smallest = POWER[(code, n)]
    assert detected(code, n, smallest), f"{code} at n={n} no longer detects {smallest:.0%}: update the power table"
    below = round(smallest - 0.1, 1)
    if below > 0:
        assert not detected(code, n, below), (
            f"{code} at n={n} now detects {below:.0%}: more power (update POWER, the audit docstring) or a looser rule")


def test_person_switch_is_caught_although_half_the_texts_have_no_pronoun() -> None:
    """Regression: "I"/"we"/"my" -> "she"/"they"/"her" on every first-person negative passed TL303,
    because only 50% of texts have a narrating pronoun and the old gate wanted 50% of *all* texts."""
    specs = cd.default_specs(50)
    pos, neg = cd.clean(specs)
    p, q = _person(specs, pos, neg, set(range(50)))
    res = run(cd.write_folder(None, p, q, cd.trait_toml()), ["TL303"])["TL303"]
    errors = [f for f in res.findings if f.severity.value == "error"]
    assert errors, res.metrics
    assert any(f.metric["person"] == 1 and f.metric["side"] == "positive" for f in errors)
    assert all(e.file in ("positive.txt", "negative.txt") and e.line for f in errors for e in f.evidence)


def test_booster_alone_on_one_side_is_an_intensity_mismatch() -> None:
    """Regression: "extremely hopeful" vs "worried" in every pair passed TL305 (mean difference 0.99 <
    1.0: the words' VADER valences pulled the total below one booster). Modifiers are tested alone."""
    specs = cd.default_specs(50)
    pos, neg = cd.clean(specs)
    p, q = _intensity(specs, pos, neg, set(range(50)))
    res = run(cd.write_folder(None, p, q, cd.trait_toml()), ["TL305"])["TL305"]
    assert res.status == "warned", res.metrics
    mt = res.metrics["modifier_test"]
    assert mt["mean_diff"] == pytest.approx(1.0) and mt["q"] <= 0.05
    assert "modifiers alone" in res.findings[0].message


def test_quote_frequency_alone_is_not_a_person_confound() -> None:
    """Negatives quote first-person speech more often only because they quote more often, while the
    positives' quotes are first person too: not flagged through the marked-texts share."""
    specs = cd.default_specs(40)
    pos, neg = cd.clean(specs)
    p = [(t + ' "I will manage," she said') if i < 6 else t for i, t in enumerate(pos)]
    q = [(t + ' "I will manage," she said') if i < 16 else t for i, t in enumerate(neg)]
    q = [(t + ' "It will pass," she said') if 16 <= i < 20 else t for i, t in enumerate(q)]
    res = run(cd.write_folder(None, p, q, cd.trait_toml()), ["TL303"])["TL303"]
    row = next(r for r in res.metrics["features"] if r["scope"] == "quoted" and r["person"] == 1)
    assert row["marked_share_positive"] >= row["marked_share_negative"]
    assert not [f for f in res.findings if f.metric.get("scope") == "quoted" and f.metric.get("person") == 1]
