"""Registry, configuration, runner and statistics: the layer every front end and audit builds on."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats as st

from traitlint import registry
from traitlint.nlp import stats
from traitlint.config import Config, ConfigError, from_table, load_config
from traitlint.nlp.features import FeatureStore
from traitlint.finding import Severity
from traitlint.runner import Session, status_of


def write_folder(path: Path, pos: list[str], neg: list[str], extra: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (path / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")
    for name, text in (extra or {}).items():
        (path / name).write_text(text, encoding="utf-8")
    return path


# registry ------------------------------------------------------------------------------------
def test_every_audit_is_documented_like_a_ruff_rule():
    audits = registry.all_audits()
    assert audits, "no audits registered"
    codes = [a.code for a in audits]
    names = [a.name for a in audits]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for audit in audits:
        assert audit.code.startswith("TL") and audit.code[2:].isdigit(), audit.code
        assert audit.name.isidentifier() and audit.name == audit.name.lower(), audit.name
        assert audit.summary and audit.rationale and audit.fix, audit.code
        doc = audit.doc()
        for section in ("What it does", "Why it matters", "Example", "How to fix"):
            assert section in doc, f"{audit.code} doc lacks {section!r}"
        assert isinstance(audit.severity, Severity)
        json.dumps(audit.params)  # defaults must be serialisable for `traitlint audits` / JSON


def test_selection_by_prefix_name_and_all():
    pc = registry.get("TL004")
    assert pc is registry.get("pair_count")
    assert registry.matches("TL0", pc) and registry.matches("ALL", pc) and registry.matches("pair_count", pc)
    assert not registry.matches("TL1", pc) and not registry.matches("pair", pc)


def test_register_rejects_clashing_codes():
    class Clash(registry.Audit):
        code, name = "TL004", "some_other_name"

    with pytest.raises(ValueError):
        registry.register(Clash)


# config --------------------------------------------------------------------------------------
def test_config_select_ignore_params_and_per_trait_ignores(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.traitlint]\nselect = ["TL0"]\nignore = ["TL007"]\n'
        '[tool.traitlint.params.pair_count]\nmin_pairs = 10\n'
        '[tool.traitlint.per-trait-ignores]\n"emotions/*" = ["TL004"]\n', encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    cfg = load_config(sub)
    assert cfg.source == tmp_path / "pyproject.toml"
    enabled = {a.code for a in cfg.enabled_audits()}
    assert "TL004" in enabled and "TL007" not in enabled and not any(c.startswith("TL1") for c in enabled)
    pc = registry.get("TL004")
    assert cfg.params_for(pc) == {"min_pairs": 10, "hard_min_pairs": 20}
    assert cfg.trait_ignore(pc, "datasets/traits/emotions/joy") == "emotions/*"
    assert cfg.trait_ignore(pc, "datasets/traits/mental_state/joy") is None
    cfg.validate()


@pytest.mark.parametrize("table, needle", [
    ({"select": ["TL999"]}, "TL999"),
    ({"params": {"nope": {}}}, "nope"),
    ({"params": {"TL004": {"min_pair": 3}}}, "min_pair"),
    ({"select": 3}, "select"),
])
def test_config_errors_are_usage_errors(table, needle):
    with pytest.raises(ConfigError, match=needle):
        from_table(table).validate()


def test_config_without_pyproject_is_default(tmp_path):
    cfg = load_config(tmp_path)
    assert cfg.select == ["ALL"] and cfg.ignore == [] and cfg.source is None


# runner --------------------------------------------------------------------------------------
def test_trait_toml_ignore_needs_a_reason(tmp_path):
    pairs = [f"line {i} up" for i in range(5)]
    with_reason = write_folder(tmp_path / "a", pairs, [p + " down" for p in pairs],
                               {"trait.toml": '[traitlint]\nignore = { TL004 = "pilot set" }\n'})
    without = write_folder(tmp_path / "b", pairs, [p + " down" for p in pairs],
                           {"trait.toml": '[traitlint]\nignore = { TL004 = "" }\n'})
    session = Session(Config(select=["TL004"]))
    r1 = session.run_audit(registry.get("TL004"), with_reason)
    assert r1.status == "skipped" and "pilot set" in r1.reason
    r2 = session.run_audit(registry.get("TL004"), without)
    assert r2.status == "failed"  # 5 pairs < hard minimum, and the empty-reason ignore is not applied
    messages = [f.message for f in r2.findings]
    assert any("without a reason" in m for m in messages)
    assert r2.findings[0].evidence[0].file == "trait.toml" and r2.findings[0].evidence[0].line == 2


def test_unpairable_folder_skips_pair_audits_with_reason(tmp_path):
    folder = write_folder(tmp_path / "t", ["a", "b", "c"], ["a"])
    result = Session().run_audit(registry.get("TL004"), folder)
    assert result.status == "skipped"
    assert "3 lines" in result.reason and "1" in result.reason


def test_crashing_audit_becomes_error_status_not_exception(tmp_path):
    class Boom(registry.Audit):
        code, name, summary = "TL999", "boom_test_only", "crashes"

        def compute(self, ctx, params):
            raise RuntimeError("kaboom")

    folder = write_folder(tmp_path / "t", ["a x"], ["a y"])
    result = Session().run_audit(Boom, folder)
    assert result.status == "error" and "kaboom" in result.findings[0].message
    assert result.failed()


def test_status_of_findings():
    from traitlint.finding import Finding

    def f(sev):
        return Finding("TL0", "x", sev, "m")

    assert status_of([]) == "passed"
    assert status_of([f(Severity.INFO)]) == "passed"
    assert status_of([f(Severity.INFO), f(Severity.WARNING)]) == "warned"
    assert status_of([f(Severity.WARNING), f(Severity.ERROR)]) == "failed"


def test_runner_never_writes_into_trait_folders(tmp_path):
    folder = write_folder(tmp_path / "t", ["one up", "two up"], ["one down", "two down"])
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    Session(store=FeatureStore(tmp_path / "cache")).run([tmp_path])
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert before == after


# stats ---------------------------------------------------------------------------------------
def test_sign_test_matches_scipy_binomial():
    for b, c in [(18, 2), (5, 5), (0, 7), (30, 11)]:
        t = stats.sign_test(b, c)
        assert math.isclose(t.p, st.binomtest(b, b + c, 0.5).pvalue)
        assert t.share == b / (b + c)
    assert stats.sign_test(0, 0).p == 1.0


def test_bh_matches_reference_values():
    # reference: R p.adjust(c(0.01, 0.04, 0.03, 0.5), "BH")
    assert [round(q, 6) for q in stats.bh_adjust([0.01, 0.04, 0.03, 0.5])] == [0.04, 0.053333, 0.053333, 0.5]
    q = stats.bh_adjust([0.2, 0.001, 0.9])
    assert q[1] < q[0] < q[2] <= 1.0


def test_paired_test_effect_direction_and_symmetry():
    pos = [5, 7, 9, 11, 6, 8, 10, 12]
    neg = [3, 4, 8, 7, 5, 6, 9, 8]
    a, b = stats.paired_test(pos, neg), stats.paired_test(neg, pos)
    assert a.effect > 0 and math.isclose(a.effect, -b.effect) and math.isclose(a.p, b.p)
    assert math.isclose(a.p, st.wilcoxon([x - y for x, y in zip(pos, neg)]).pvalue)
    same = stats.paired_test([1, 2, 3], [1, 2, 3])
    assert same.p == 1.0 and same.effect == 0.0 and same.dz == 0.0
    constant = stats.paired_test([2, 2, 2], [1, 1, 1])  # zero spread: dz is capped, never inf/NaN
    json.dumps(constant.__dict__, allow_nan=False)
    assert constant.effect == 1.0 and constant.dz == 99.0 and constant.p == 0.25
    assert stats.paired_test([1, 1, 1], [2, 2, 2]).dz == -99.0
    json.dumps(stats.paired_test([], []).__dict__, allow_nan=False)


def test_auc_and_contingency():
    assert stats.auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert stats.auc([1, 2], [1, 2]) == 0.5
    assert stats.chi2_contingency_p([[10, 0], [0, 10]]) < 0.001
    assert stats.chi2_contingency_p([[5, 5], [5, 5]]) == 1.0
    assert stats.chi2_contingency_p([[5, 5]]) == 1.0


def test_strict_must_be_a_boolean():
    assert from_table({"strict": True}).strict is True
    with pytest.raises(ConfigError, match="strict"):
        from_table({"strict": "no"})
