"""Confound audits (TL101, TL102, TL302-TL306): fixtures that must pass and must fail, plus helpers."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

import confound_data as cd
from traitlint import registry
from traitlint.config import Config
from traitlint.nlp.features import FeatureStore
from traitlint.nlp.lexicon import TraitWords, stem
from traitlint.nlp.pairdiff import diff_tokens
from traitlint.runner import Session
from traitlint.nlp.stats import paired_test, sign_test, sign_test_pvalues

pytest.importorskip("vaderSentiment")
CODES = ["TL101", "TL102", "TL302", "TL303", "TL304", "TL305", "TL306"]
FIXTURES = Path(__file__).parent / "fixtures" / "confounds"


class TextCachingStore(FeatureStore):
    """A FeatureStore that also caches per text: the generated sets reuse a few hundred sentences,
    and the invariance tests parse the same texts reordered and swapped."""

    def __init__(self) -> None:
        super().__init__(None)
        self._texts: dict = {}

    def parse(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            self._texts.update(zip(missing, super().parse(missing)))
        return [self._texts[t] for t in texts]


STORE = TextCachingStore()


def _need_nlp() -> None:
    try:
        STORE.nlp()
    except registry.SkipAudit as exc:  # pragma: no cover - CI installs the pipeline
        pytest.skip(str(exc))


def run(folder: Path, codes=CODES, params: dict | None = None):
    _need_nlp()
    session = Session(Config(select=list(codes), params=params or {}), store=STORE)
    return {c: session.run_audit(registry.get(c), folder) for c in codes}


def bad(results) -> dict[str, list]:
    """Non-info findings per audit."""
    return {c: [f for f in r.findings if f.severity.value != "info"] for c, r in results.items()}


@pytest.fixture(scope="module")
def specs():
    return cd.default_specs()


@pytest.fixture(scope="module")
def clean_results():
    return run(FIXTURES / "clean")


def test_clean_fixture_passes_every_confound_audit(clean_results):
    for code, result in clean_results.items():
        assert result.status == "passed", (code, result.reason, [f.message for f in result.findings])
        assert all(f.severity.value == "info" for f in result.findings)


def test_declared_words_are_info_in_tl101(clean_results):
    infos = [f for f in clean_results["TL101"].findings if f.severity.value == "info"]
    assert infos and "hopeful" in infos[0].message
    declared = {r["feature"] for r in infos[0].metric["declared"]}
    assert {"hopeful", "worried"} <= declared


def test_but_and_leak_is_an_error_with_evidence():
    res = run(FIXTURES / "but_and_leak", ["TL101"])["TL101"]
    assert res.status == "failed"
    errors = {f.metric["feature"]: f for f in res.findings if f.severity.value == "error"}
    assert "but" in errors and "and" in errors, list(errors)
    f = errors["but"]
    assert f.metric["side"] == "positive" and f.metric["share"] > 0.8 and f.metric["q"] <= 0.05
    assert f.evidence and all(e.file == "positive.txt" and e.line for e in f.evidence)
    assert all("but" in e.text for e in f.evidence) and len(f.evidence) <= 5
    assert f.hint


@pytest.mark.parametrize("code,expected", [("TL101", "failed"), ("TL304", "failed"), ("TL303", "failed"),
                                           ("TL302", "failed"), ("TL102", "warned"), ("TL305", "warned")])
def test_injected_confound_fails_its_audit(tmp_path, specs, code, expected):
    pos, neg = cd.clean(specs)
    p, n = INJECT[code](pos, neg, specs)
    folder = cd.write_folder(tmp_path, p, n, cd.trait_toml())
    res = run(folder, [code])[code]
    assert res.status == expected, [f.message for f in res.findings]
    worst = [f for f in res.findings if f.severity.value != "info"]
    assert worst and all(f.evidence for f in worst)
    assert any(REPORTS_INJECTED[code](f.metric) for f in worst), (code, [f.metric for f in worst])


def inject_shared_rare_word(pos: list[str], neg: list[str], specs, share: float = 0.4) -> tuple[list[str], list[str]]:
    """One rare word ("turquoise", Zipf 3.3) added to both texts of the first `share` of the pairs:
    the repeated shared context TL102 warns about (issue 13). `cd.inject_rare_word` adds it to the
    positive side only, a one-sided word that is TL101's to judge and only info in TL102."""
    k = round(share * len(pos))
    add = lambda t: t.replace(" the ", " the turquoise ", 1)
    return [add(t) if i < k else t for i, t in enumerate(pos)], [add(t) if i < k else t for i, t in enumerate(neg)]


#: The injection per audit (TL102's is shared by both sides since issue 13).
INJECT = {**cd.INJECTORS, "TL102": inject_shared_rare_word}

#: Per audit: does a finding's metric name the confound that was injected (feature, kind, side)?
REPORTS_INJECTED = {
    "TL101": lambda m: (m.get("feature"), m.get("kind"), m.get("side")) == ("still", "opener", "positive"),
    "TL304": lambda m: m.get("mean_negative", 0) > m.get("mean_positive", 0)
                       and m.get("longer_negative", 0) > m.get("longer_positive", 0),
    "TL303": lambda m: (m.get("person"), m.get("side")) in ((1, "positive"), (3, "negative"))
                       and m.get("scope") == "narration",
    "TL302": lambda m: m.get("mean_positive", 0) > m.get("mean_negative", 0) > -1,
    "TL102": lambda m: any("turquoise" in r.get("words", []) for r in m.get("repeated", [])),
    "TL305": lambda m: m.get("mean_positive", 0) - m.get("mean_negative", 0) >= 0.3,
}


def test_tl306_catches_a_non_trait_shortcut(tmp_path, specs):
    pos, neg = cd.clean(specs)
    p, n = cd.inject_opener(pos, neg, specs)
    res = run(cd.write_folder(tmp_path, p, n, cd.trait_toml()), ["TL306"])["TL306"]
    assert res.status == "failed"
    m = res.metrics
    assert m["accuracy"] >= 0.75 and m["p"] <= 0.05
    assert any("still" in t["feature"] for t in m["top_features"][:3])


def test_tl306_is_deterministic_and_at_chance_on_clean(clean_results):
    m = clean_results["TL306"].metrics
    assert m["accuracy"] == 0.5 and m["p"] > 0.05
    again = run(FIXTURES / "clean", ["TL306"])["TL306"].metrics
    assert again == m


def test_tl306_skips_tiny_folders(tmp_path):
    pos, neg = cd.clean(cd.default_specs(6))
    res = run(cd.write_folder(tmp_path, pos, neg, cd.trait_toml()), ["TL306"])["TL306"]
    assert res.status == "skipped" and "at least" in res.reason


def test_undeclared_trait_words_are_warnings_not_errors(tmp_path, specs):
    pos, neg = cd.clean(specs)
    folder = cd.write_folder(tmp_path, pos, neg, card=None)
    res = run(folder, ["TL101", "TL102"])
    tl101 = res["TL101"]
    assert tl101.status == "warned"
    leaks = {r["feature"] for f in tl101.findings for r in f.metric.get("leaks", [])}
    assert {"hopeful", "worried"} & leaks
    assert not [f for f in tl101.findings if f.severity.value == "error"]


def test_valence_without_card_is_a_warning(tmp_path, specs):
    # Unmatched pairs (different frames and situations): without declared words the situation cannot
    # be separated from the signal, so a valence difference is a warning, not an error.
    p = [cd.render(s, "positive", sit=cd.GOOD_NEWS[i % 3]) for i, s in enumerate(specs)]
    n = [cd.render(cd.Spec(s.subject + 3, 0, s.time + 1, s.words, s.frame + 2), "negative", sit=cd.BAD_NEWS[i % 3])
         for i, s in enumerate(specs)]
    res = run(cd.write_folder(tmp_path, p, n, card=None), ["TL302"])["TL302"]
    assert res.status == "warned"
    assert "declare" in res.findings[0].message


def test_valence_coverage_warning_when_all_situations_are_bad(tmp_path):
    specs = [cd.Spec(i, 6 + i % 6, i, i % 5, i % 4) for i in range(24)]  # BAD situations only
    pos, neg = cd.clean(specs)
    res = run(cd.write_folder(tmp_path, pos, neg, cd.trait_toml()), ["TL302"])["TL302"]
    assert res.status == "warned"
    assert "bad situations" in res.findings[0].message and "inversions" in res.findings[0].message


def test_small_length_difference_passes(tmp_path, specs):
    pos, neg = cd.clean(specs)
    neg = [n.replace(" because", " now because", 1) if i % 3 == 0 else n for i, n in enumerate(neg)]
    res = run(cd.write_folder(tmp_path, pos, neg, cd.trait_toml(extra_negative=["now"])), ["TL304"])["TL304"]
    assert res.status == "passed", [f.message for f in res.findings]
    assert res.metrics["mean_negative"] > res.metrics["mean_positive"]


def test_quoted_person_is_a_warning(tmp_path, specs):
    pos, neg = cd.clean(specs)
    p = [x + ' "I will fix it," she said' for x in pos]
    n = [x + ' "She will fix it," she said' for x in neg]
    res = run(cd.write_folder(tmp_path, p, n, cd.trait_toml()), ["TL303"])["TL303"]
    sev = {(f.metric["scope"], f.severity.value) for f in res.findings}
    assert ("quoted", "warning") in sev and not any(s == "error" for _, s in sev)


def test_unpairable_folder_is_skipped_not_crashed(tmp_path):
    folder = cd.write_folder(tmp_path, ["a b c", "d e f"], ["a b c"], cd.trait_toml())
    for code, res in run(folder).items():
        assert res.status == "skipped", (code, res.reason)


def test_metrics_are_json_serialisable(clean_results, tmp_path, specs):
    pos, neg = cd.clean(specs)
    p, n = cd.inject_length(pos, neg, specs)
    for res in [*clean_results.values(), *run(cd.write_folder(tmp_path, p, n, cd.trait_toml())).values()]:
        text = json.dumps(res.to_dict(), allow_nan=False)
        assert "NaN" not in text


def test_config_params_change_the_verdict(tmp_path, specs):
    pos, neg = cd.clean(specs)
    p, n = inject_shared_rare_word(pos, neg, specs, share=0.15)
    folder = cd.write_folder(tmp_path, p, n, cd.trait_toml())
    assert run(folder, ["TL102"])["TL102"].status == "warned"
    assert run(folder, ["TL102"], {"TL102": {"max_share": 0.5}})["TL102"].status == "passed"


# --- helpers -----------------------------------------------------------------------------------
def test_stem_covers_inflections_not_other_derivations():
    assert stem("hopefully") == stem("hopeful")
    assert stem("worried") == stem("worry") == stem("worrying")
    assert stem("encouraged") == stem("encourage")
    assert stem("hopeless") != stem("hopeful")


def test_trait_words_match_tokens_lemmas_and_phrases():
    tw = TraitWords(["hopeful", "no problem", "!"], ["can't", "worried"])
    text = "Hopefully no problem! I can't stop, she worries"
    words = ["Hopefully", "no", "problem", "!", "I", "ca", "n't", "stop", ",", "she", "worries"]
    lemmas = ["hopefully", "no", "problem", "!", "I", "can", "not", "stop", ",", "she", "worry"]
    m = tw.match(text, words, lemmas)
    assert m.mask == [True, True, True, True, False, True, True, False, False, False, True]
    assert m.found == {"hopeful", "no problem", "!", "can't", "worried"}
    assert tw.entry_for("hopeless") is None


def test_pairdiff_splits_shared_and_differing_tokens():
    d = diff_tokens("I feel hopeful about it".split(), "I feel very worried about it".split())
    assert d.positive_diff == (2,) and d.negative_diff == (2, 3)
    assert d.positive_shared == (0, 1, 3, 4)
    assert 0 < d.shared_ratio < 1
    same = diff_tokens(["a", "b"], ["A", "b"])
    assert same.shared_ratio == 1.0 and not same.positive_diff


def test_sign_test_pvalues_match_scalar_test():
    for b, c in itertools.product(range(12), range(12)):
        assert abs(sign_test_pvalues([b], [c])[0] - sign_test(b, c).p) < 1e-12


def test_paired_test_small_tied_samples_match_scipy():
    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(3, 14))
        x, y = rng.integers(0, 4, n), rng.integers(0, 4, n)
        d = (x - y)[(x - y) != 0]
        if d.size == 0:
            continue
        assert abs(paired_test(x, y).p - float(st.wilcoxon(d).pvalue)) < 1e-9


def _function_word_profile(specs):
    """Sides that differ only by one inserted function word per pair (positive: the/that/to/with/by,
    negative: up/off/out/so/just), placed after the first word so openers and closers stay shared."""
    pos, neg = cd.clean(specs)
    a, b = ["the", "that", "to", "with", "by"], ["up", "off", "out", "so", "just"]
    def insert(text: str, word: str) -> str:
        head, _, rest = text.partition(" ")
        return f"{head} {word} {rest}"
    return ([insert(t, a[i % 5]) for i, t in enumerate(pos)], [insert(t, b[i % 5]) for i, t in enumerate(neg)])


def test_tl306_function_word_profile_is_a_confound_for_states_but_the_trait_for_styles(tmp_path):
    specs = cd.default_specs(60)
    pos, neg = _function_word_profile(specs)
    state = run(cd.write_folder(tmp_path, pos, neg, cd.trait_toml(), name="state"), ["TL306"])["TL306"]
    assert state.status == "failed", state.metrics
    assert state.metrics["function_words"] is True
    assert any(t["feature"].startswith("word:") for t in state.metrics["top_features"])

    style_card = cd.trait_toml().replace('type = "state"', 'type = "style"')
    style = run(cd.write_folder(tmp_path, pos, neg, style_card, name="style"), ["TL306"])["TL306"]
    assert style.metrics["function_words"] is False
    assert style.status == "passed", style.metrics
    assert not any(t["feature"].startswith("word:") for t in style.metrics["top_features"])


def test_tl305_declared_boosters_are_the_signal_not_extra_intensity(tmp_path):
    """A confidence-style set: 'definitely' vs 'possibly' is a booster vs a dampener in every pair.
    Undeclared, TL305 warns; declared as the trait's words, the modifiers are the trait and it passes."""
    subjects = ["The bridge", "Our budget", "The river", "Her thesis", "The vaccine", "My cousin", "The app",
                "Their league", "The orchard", "His novel"]
    verbs = ["will", "should", "is going to", "can", "would"]
    ends = ["reach the target by spring and", "hold up under review because", "change the plan so that",
            "finish early, which means", "surprise the committee when"]
    pos, neg = [], []
    for i in range(50):
        head = f"{subjects[i % 10]} {verbs[i % 5]}"
        tail = f"{ends[(i // 10) % 5]} {['we', 'they', 'she', 'he', 'I'][i % 5]} {['saw', 'heard', 'read', 'knew', 'noted'][(i // 5) % 5]}"
        pos.append(f"{head} definitely {tail} item {i}")
        neg.append(f"{head} possibly {tail} item {i}")
    plain = run(cd.write_folder(tmp_path, pos, neg, '[trait]\ntype = "belief"\n', name="undeclared"), ["TL305"])["TL305"]
    assert plain.status == "warned", plain.metrics
    card = '[trait]\ntype = "belief"\n[trait.words]\npositive = ["definitely"]\nnegative = ["possibly"]\n'
    declared = run(cd.write_folder(tmp_path, pos, neg, card, name="declared"), ["TL305"])["TL305"]
    assert declared.status == "passed", declared.metrics
    assert declared.metrics["components"]["modifiers"] == {"positive": 0.0, "negative": 0.0}


def test_declared_inflected_word_does_not_exempt_a_different_word_with_its_stem():
    words = TraitWords(["lasting", "worried"], [])
    assert words.entry_for("last", "last") is None  # "last night" is not the declared "lasting"
    assert words.entry_for("lasting", "lasting") == "lasting"
    assert words.entry_for("worried", "worry") == "worried"  # the token's own surface form matches
    assert words.entry_for("worrying", "worry") == "worried"  # an inflection of the same stem
    assert TraitWords(["worry"], []).entry_for("worries", "worry") == "worry"


def test_clitic_entries_match_inside_contractions():
    tw = TraitWords([], ["n't", "'ll"])
    words = ["I", "ca", "n't", "go", "and", "we", "'ll", "see", ",", "not", "now"]
    m = tw.match("I can't go and we'll see, not now", words, words)
    assert [w for w, hit in zip(words, m.mask) if hit] == ["n't", "'ll"]
    assert m.found == {"n't", "'ll"}


def test_tl101_reports_a_content_word_opener_once_as_an_error(tmp_path, specs):
    pos, neg = cd.clean(specs)
    p = [("Luckily, " + t) if i < int(0.85 * len(pos)) else t for i, t in enumerate(pos)]
    res = run(cd.write_folder(tmp_path, p, neg, cd.trait_toml()), ["TL101"])["TL101"]
    about = [f for f in res.findings if "luckily" in f.message.lower()]
    assert [f.severity.value for f in about] == ["error"], [f.message for f in about]
    assert "opener" in about[0].message and about[0].evidence[0].text.startswith("Luckily,")
