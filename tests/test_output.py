"""Output a person can triage (issue 14, part B): grouped text, concise, --statistics, -q; folder-level
findings on a file in GitHub and SARIF, SARIF relatedLocations and notifications for skipped audits;
per-feature suppressions in trait.toml and baselines.

Reporter tests build results by hand; CLI tests lint copies of the front-end fixture folders with
the test-only audits (tests/fixtures/frontends/fake_audits.py) plus `WordLeak` below, whose findings
name features the way TL101's do.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traitlint import baseline as baseline_mod
from traitlint import registry
from traitlint.cli import main
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit
from traitlint.reporters import RunReport, folder_file, render
from traitlint.reporters.text import cut_list
from traitlint.runner import AuditResult, TraitResult
from traitlint.suppress import Suppressed, SuppressRule
from traitlint.suppress import apply as apply_suppressions

FIXTURES = Path(__file__).parent / "fixtures" / "frontends"
PYPROJECT = (FIXTURES / "pyproject.toml").read_text(encoding="utf-8")


class WordLeak(Audit):
    """What it does
    Test-only: an error per listed word found only in positive.txt, one grouped warning for the
    `group` words (findings that name features, as TL101's do)."""

    code = "TX950"
    name = "word_leak"
    summary = "Test-only: words only on the positive side."
    fix = "Use the word on both sides."
    severity = Severity.ERROR
    params = {"words": ["calmly", "quietly", "serenely"], "group": ["steadily", "patiently"]}
    requires = frozenset({"pairs"})

    def compute(self, ctx, params):
        def only_positive(word):
            pos = [p for p in ctx.dataset.positive if word in p.text.split()]
            neg = [p for p in ctx.dataset.negative if word in p.text.split()]
            return pos[0].line if pos and not neg else None
        return {"words": {w: only_positive(w) for w in params["words"]},
                "group": {w: only_positive(w) for w in params["group"]}}

    def judge(self, metrics, params, ctx):
        out = []
        for word, line in metrics["words"].items():
            if line is not None:
                out.append(self.finding(Severity.ERROR, f'word "{word}" only in positive.txt (line {line})', {},
                                        None, [ctx.dataset.positive[line - 1].evidence()], features=[word]))
        group = [w for w, line in metrics["group"].items() if line is not None]
        if group:
            out.append(self.finding(Severity.WARNING, f"{len(group)} content words lean positive: {', '.join(group)}",
                                    {}, None, [], features=group))
        return out


def _fake_audits():
    spec = importlib.util.spec_from_file_location("traitlint_test_fake_audits_output", FIXTURES / "fake_audits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    saved, loaded = registry._REGISTRY, registry._loaded
    _fake_audits().install()
    registry.register(WordLeak)
    shutil.copytree(FIXTURES / "datasets", tmp_path / "datasets")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    yield tmp_path
    registry._REGISTRY = saved
    registry._loaded = loaded


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


ALPHA = "datasets/traits/good/alpha"
BROKEN = "datasets/traits/bad/broken"


def finding(severity="error", evidence=(), code="TL101", features=(), message="leak") -> Finding:
    return Finding(code, "lexical_label_leak", Severity.parse(severity), message, {}, None, list(evidence),
                   "fix it", list(features))


# grouped text ------------------------------------------------------------------------------------
def test_text_groups_findings_under_a_folder_header_with_skips_beside_it():
    skipped = [AuditResult(f"TL{200 + i}", f"audit{i}", "skipped", reason="cannot pair prefills: 3 vs 2 lines")
               for i in range(14)]
    a = TraitResult("d/a", [AuditResult("TL101", "lexical_label_leak", "failed",
                                        [finding(evidence=[Evidence("positive.txt", 4, "Luckily, it")])]),
                            AuditResult("TL004", "pair_count", "warned", [finding("warning", code="TL004")]),
                            *skipped[:2]])
    b = TraitResult("d/b", [AuditResult("TL101", "lexical_label_leak", "passed"), *skipped])
    lines = render("text", RunReport([a, b])).splitlines()
    header_a = lines.index("d/a: 1 error, 1 warning; audits: 0 passed, 1 warned, 1 failed, 2 skipped")
    header_b = lines.index("d/b: 0 errors, 0 warnings; audits: 1 passed, 14 skipped")
    assert lines[header_a + 1] == "  d/a/positive.txt:4: TL101 [error] leak"
    assert "    d/a/positive.txt:4  Luckily, it" in lines
    # a's skips are in a's block, before b's header, on one line naming both codes
    skip_a = lines.index("  skipped 2 audits (TL200, TL201): cannot pair prefills: 3 vs 2 lines")
    assert header_a < skip_a < header_b
    # fourteen audits skipped for one reason: one line, every code named
    codes = ", ".join(f"TL{200 + i}" for i in range(14))
    assert lines[header_b + 1] == f"  skipped 14 audits ({codes}): cannot pair prefills: 3 vs 2 lines"
    assert sum("cannot pair prefills" in line for line in lines) == 2
    assert lines[-1].startswith("Checked 2 trait folders")


def test_a_single_skip_names_the_audit_and_clean_folders_are_only_counted():
    clean = TraitResult("d/clean", [AuditResult("TL101", "lexical_label_leak", "passed")])
    one = TraitResult("d/one", [AuditResult("TL205", "plan_coverage", "skipped", reason="no [plan] in trait.toml")])
    out = render("text", RunReport([clean, one]))
    assert "  skipped TL205 plan_coverage: no [plan] in trait.toml" in out
    assert "d/clean" not in out
    assert "d/clean: 0 errors" in render("text", RunReport([clean, one], show_passing=True))


def test_cut_lists_say_how_many_were_left_out():
    assert cut_list([str(i) for i in range(160)], 10) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 150 more"
    assert cut_list(["a", "b"], 10) == "a, b"
    many = finding(evidence=[Evidence("positive.txt", i, f"line {i}") for i in range(1, 9)])
    out = render("text", RunReport([TraitResult("d/a", [AuditResult("TL101", "x", "failed", [many])])]))
    assert "    ... and 3 more" in out and "line 5" in out and "line 6" not in out
    skips = [AuditResult(f"TL{300 + i}", "x", "skipped", reason="r") for i in range(25)]
    out = render("text", RunReport([TraitResult("d/a", skips)]))
    assert "skipped 25 audits (TL300, " in out and "TL319 and 5 more): r" in out


# statistics, concise, quiet -----------------------------------------------------------------------
def _corpus_report(**kw) -> RunReport:
    a = TraitResult("d/a", [AuditResult("TL101", "lexical_label_leak", "failed",
                                        [finding(evidence=[Evidence("positive.txt", 2, "t")]), finding("warning"),
                                         finding("info")]),
                            AuditResult("TL304", "length_confound", "failed",
                                        [Finding("TL304", "length_confound", Severity.ERROR, "long\nlonger")])])
    b = TraitResult("d/b", [AuditResult("TL101", "lexical_label_leak", "failed", [finding()])])
    return RunReport([a, b], **kw)


def test_statistics_count_per_code_with_the_audit_name():
    lines = render("text", _corpus_report(statistics=True)).splitlines()
    assert lines[0] == "3  TL101  lexical_label_leak  (2 errors, 1 warning; 2 folders)"
    assert lines[1] == "1  TL304  length_confound     (1 error; 1 folder)"
    assert not any("leak" == line.split(" ")[-1] for line in lines)  # no findings listed
    rows = json.loads(render("json", _corpus_report(statistics=True)))
    assert rows[0] == {"code": "TL101", "name": "lexical_label_leak", "count": 3, "error": 2, "warning": 1,
                       "info": 0, "folders": 2}
    with_info = json.loads(render("json", _corpus_report(statistics=True, show_info=True)))
    assert with_info[0]["count"] == 4 and with_info[0]["info"] == 1


def test_concise_is_one_line_per_finding():
    r = _corpus_report()
    r.results[1].results.append(AuditResult("TL205", "plan_coverage", "skipped", reason="no plan"))
    lines = render("concise", r).splitlines()
    assert lines == [
        "d/a/positive.txt:2: TL101 [error] leak",
        "d/a: TL101 [warning] leak",
        "d/a: TL304 [error] long longer",
        "d/b: TL101 [error] leak",
        "d/b: skipped TL205 plan_coverage: no plan",
        lines[-1],
    ]
    assert lines[-1].startswith("Checked 2 trait folders") and "(--show-info lists the info findings.)" in lines[-1]


def test_quiet_prints_only_the_summary_and_qq_nothing():
    for fmt in ("text", "concise"):
        assert render(fmt, _corpus_report(quiet=1)).splitlines() == [render(fmt, _corpus_report()).splitlines()[-1]
                                                                    .replace(" (--show-info lists the info findings.)", "")]
        assert render(fmt, _corpus_report(quiet=2)) == ""
    assert _corpus_report(quiet=2).exit_code() == 1


def test_cli_concise_statistics_quiet(repo, capsys):
    code, out, _ = run(capsys, "check", "datasets", "--output-format", "concise")
    assert code == 1
    assert f"{ALPHA}/negative.txt:3: TX904 [error] the third pair is suspicious" in out.splitlines()
    assert not any(line.startswith("  ") for line in out.splitlines())  # no evidence, metric or hint lines
    assert run(capsys, "check", "datasets", "--format", "concise")[1] == out  # --format still works
    code, out, _ = run(capsys, "check", "datasets", "--statistics")
    assert code == 1 and any(line.split() == ["1", "TX904", "error_third_line", "(1", "error;", "1", "folder)"]
                             for line in out.splitlines()), out
    code, out, _ = run(capsys, "check", "datasets", "-q")
    assert code == 1 and len(out.splitlines()) == 1 and out.startswith("Checked 4 trait folders")
    code, out, _ = run(capsys, "check", "datasets", "-qq")
    assert code == 1 and out == ""
    code, _, err = run(capsys, "check", "datasets", "--statistics", "--format", "sarif")
    assert code == 2 and "--statistics works with the text, concise and json formats" in err


# GitHub ------------------------------------------------------------------------------------------
def test_github_folder_level_findings_point_at_a_file_of_the_folder(repo, capsys):
    _, out, _ = run(capsys, "check", ALPHA, "--format", "github")  # TX905 fails a corpus of one folder
    line = next(line for line in out.splitlines() if "title=TX905 corpus_size" in line)
    assert line.startswith(f"::error file={ALPHA}/positive.txt,title=TX905 corpus_size::{ALPHA}: the corpus holds 1")


def test_folder_file_prefers_the_file_the_audit_reads(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    for name in ("positive.txt", "definition.txt", "trait.toml"):
        (folder / name).write_text("x\n", encoding="utf-8")

    class Definition(WordLeak):
        code, requires = "TX951", frozenset({"definition"})

    assert folder_file(str(folder), "TX951", [Definition]) == str(folder / "definition.txt")
    assert folder_file(str(folder), "TX950", [WordLeak]) == str(folder / "positive.txt")
    (folder / "positive.txt").unlink()
    assert folder_file(str(folder), "TX950", [WordLeak]) == str(folder / "trait.toml")
    assert folder_file(str(tmp_path / "missing"), "TX950", [WordLeak]) == str(tmp_path / "missing")


def test_github_info_only_with_show_info_and_skips_are_annotated():
    results = [TraitResult("d/a", [AuditResult("TL101", "lexical_label_leak", "passed", [finding("info")]),
                                   AuditResult("TL205", "plan_coverage", "skipped", reason="no [plan] in trait.toml"),
                                   AuditResult("TL004", "pair_count", "skipped", reason="ignored in trait.toml: pilot")])]
    out = render("github", RunReport(results))
    assert "::notice file=d/a,title=TL101" not in out
    assert "::warning file=d/a,title=TL205 plan_coverage skipped::d/a: TL205 not checked: no [plan] in trait.toml" in out
    assert "::notice file=d/a,title=TL004 pair_count skipped::d/a: TL004 not checked: ignored in trait.toml: pilot" in out
    assert "::notice file=d/a,title=TL101 lexical_label_leak::d/a: leak" in render("github", RunReport(results, show_info=True))


# SARIF -------------------------------------------------------------------------------------------
def _sarif(results, **kw):
    return json.loads(render("sarif", RunReport(results, **kw)))["runs"][0]


def test_sarif_extra_evidence_goes_to_related_locations():
    evidence = [Evidence("negative.txt", 7, "neg"), Evidence("positive.txt", 7, "pos"), Evidence("positive.txt", 9)]
    run0 = _sarif([TraitResult("d/a", [AuditResult("TL101", "x", "failed", [finding(evidence=evidence)])])])
    result = run0["results"][0]
    assert [l["physicalLocation"]["artifactLocation"]["uri"] for l in result["locations"]] == ["d/a/negative.txt"]
    related = result["relatedLocations"]
    assert [(r["id"], r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"])
            for r in related] == [(1, "d/a/positive.txt", 7), (2, "d/a/positive.txt", 9)]
    assert related[0]["message"] == {"text": "pos"} and "message" not in related[1]
    single = _sarif([TraitResult("d/a", [AuditResult("TL101", "x", "failed", [finding(evidence=evidence[:1])])])])
    assert "relatedLocations" not in single["results"][0]


def test_sarif_reports_skipped_and_errored_audits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d" / "a").mkdir(parents=True)
    (tmp_path / "d" / "a" / "positive.txt").write_text("x\n", encoding="utf-8")
    skipped = AuditResult("TL205", "plan_coverage", "skipped", reason="no [plan] in trait.toml")
    ignored = AuditResult("TL004", "pair_count", "skipped", reason="ignored in trait.toml: pilot")
    run0 = _sarif([TraitResult("d/a", [skipped, ignored])])
    invocation = run0["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("warning", "TL205 plan_coverage skipped in d/a: no [plan] in trait.toml"),
        ("note", "TL004 pair_count skipped in d/a: ignored in trait.toml: pilot")]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "d/a/positive.txt"
    crashed = AuditResult("TL306", "cross_distribution", "error", [finding(code="TL306")], reason="RuntimeError: boom")
    invocation = _sarif([TraitResult("d/a", [skipped, crashed])])["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [n["level"] for n in invocation["toolExecutionNotifications"]] == ["warning", "error"]
    assert "toolExecutionNotifications" not in _sarif([TraitResult("d/a", [AuditResult("TL1", "x", "passed")])])[
        "invocations"][0]


def test_sarif_folder_level_finding_is_located_at_a_file(repo, capsys):
    _, out, _ = run(capsys, "check", ALPHA, "--format", "sarif")
    result = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "TX905")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f"{ALPHA}/positive.txt"


# suppressions ------------------------------------------------------------------------------------
RULE = SuppressRule("TL101", "but", "contrast is the trait here", 3)


def test_suppression_of_a_feature_leaves_the_others():
    but, luckily = finding(features=["but"], message="but"), finding(features=["luckily"], message="luckily")
    plain = finding(message="no features")
    kept, suppressed, problems = apply_suppressions("TL101", "lexical_label_leak", [but, luckily, plain], [RULE])
    assert kept == [luckily, plain] and [s.finding for s in suppressed] == [but] and problems == []
    assert suppressed[0].reason == "contrast is the trait here"
    # another audit's findings are not touched, and the entry is not stale there
    assert apply_suppressions("TL102", "vocabulary_clustering", [but], [RULE]) == ([but], [], [])


def test_a_grouped_finding_is_suppressed_only_when_every_feature_is():
    group = finding("warning", features=["but", "yet"], message="2 words")
    kept, suppressed, _ = apply_suppressions("TL101", "x", [group], [RULE])
    assert not suppressed and kept[0].features == ["yet"] and kept[0].message == '2 words (suppressed in trait.toml: "but")'
    both = [RULE, SuppressRule("TL101", "YET", "also the trait", 7)]
    kept, suppressed, _ = apply_suppressions("TL101", "x", [group], both)
    assert kept == [] and suppressed[0].reason == "contrast is the trait here; also the trait"


def test_incomplete_and_stale_suppressions_are_reported():
    _, _, problems = apply_suppressions("TL101", "x", [finding(features=["and"])],
                                        [SuppressRule("TL101", "but", "", 3), SuppressRule("TL101", "", "why", 6), RULE])
    messages = [p.message for p in problems]
    assert messages == ['trait.toml suppresses TL101 feature "but" without a reason; the suppression is not applied',
                        "trait.toml suppresses TL101 without a feature; the suppression is not applied",
                        'trait.toml suppresses TL101 feature "but", which matches no TL101 finding: remove the entry']
    assert all(p.severity is Severity.WARNING and p.evidence[0].file == "trait.toml" for p in problems)
    assert [p.evidence[0].line for p in problems] == [3, 6, 3]
    # an audit that did not run cannot tell a stale entry
    assert apply_suppressions("TL101", "x", [], [RULE], ran=False)[2] == []


words = st.lists(st.sampled_from(["but", "and", "yet", "so", "still"]), min_size=1, max_size=3, unique=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, max_size=6), st.lists(st.sampled_from(["but", "and", "yet", "so", "still"]), unique=True))
def test_suppression_partitions_findings(feature_lists, suppressed_words):
    findings = [finding(features=f, message=str(i)) for i, f in enumerate(feature_lists)]
    rules = [SuppressRule("TL101", w, "r") for w in suppressed_words]
    kept, suppressed, _ = apply_suppressions("TL101", "x", findings, rules)
    assert len(kept) + len(suppressed) == len(findings)
    assert all(set(s.finding.features) <= set(suppressed_words) for s in suppressed)
    assert all(f.features and not set(f.features) & set(suppressed_words) for f in kept)
    assert Suppressed.from_dict(suppressed[0].to_dict()).to_dict() == suppressed[0].to_dict() if suppressed else True


def _card(repo: Path, text: str) -> None:
    (repo / ALPHA / "trait.toml").write_text('[trait]\ntype = "state"\n\n' + text, encoding="utf-8")


def test_cli_suppressions_do_not_fail_and_are_counted(repo, capsys):
    code, out, _ = run(capsys, "check", ALPHA, "--select", "TX950", "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["findings"]["error"] == 2
    _card(repo, '[[traitlint.suppress]]\ncode = "TX950"\nfeature = "calmly"\nreason = "calm is the trait"\n\n'
                '[[traitlint.suppress]]\ncode = "TX950"\nfeature = "quietly"\nreason = "so is quiet"\n')
    code, out, _ = run(capsys, "check", ALPHA, "--select", "TX950", "--format", "json")
    data = json.loads(out)
    audit = data["traits"][0]["audits"][0]
    assert code == 0 and audit["status"] == "warned"  # the grouped warning stays
    assert [s["features"] for s in audit["suppressed"]] == [["calmly"], ["quietly"]]
    assert audit["suppressed"][0]["suppressed_by"] == [{"code": "TX950", "feature": "calmly", "reason": "calm is the trait"}]
    assert data["summary"]["suppressed"] == 2 and data["summary"]["findings"]["error"] == 0
    _, text, _ = run(capsys, "check", ALPHA, "--select", "TX950")
    assert f"{ALPHA}: 0 errors, 1 warning, 2 suppressed; audits: 0 passed, 1 warned" in text
    assert '  suppressed 1 TX950 finding ("calmly") in trait.toml: calm is the trait' in text
    assert "(2 suppressed)." in text.splitlines()[-1]
    _, sarif, _ = run(capsys, "check", ALPHA, "--select", "TX950", "--format", "sarif")
    held = [r for r in json.loads(sarif)["runs"][0]["results"] if "suppressions" in r]
    assert len(held) == 2 and held[0]["suppressions"][0]["justification"].endswith("calm is the trait")


def test_cli_suppression_without_reason_or_match_warns(repo, capsys):
    _card(repo, '[[traitlint.suppress]]\ncode = "TX950"\nfeature = "calmly"\n\n'
                '[[traitlint.suppress]]\ncode = "TX950"\nfeature = "never-there"\nreason = "old"\n')
    code, out, _ = run(capsys, "check", ALPHA, "--select", "TX950", "--format", "json")
    findings = json.loads(out)["traits"][0]["audits"][0]["findings"]
    messages = [f["message"] for f in findings if f["severity"] == "warning"]
    assert code == 1  # "calmly" is not suppressed without a reason
    assert any("without a reason" in m for m in messages) and any("matches no TX950 finding" in m for m in messages)
    lines = [f["evidence"][0]["line"] for f in findings if f["evidence"] and f["evidence"][0]["file"] == "trait.toml"]
    assert lines == [4, 8]


# baselines ---------------------------------------------------------------------------------------
def test_baseline_round_trip_reports_only_new_findings(repo, capsys):
    code, _, err = run(capsys, "check", "datasets", "--write-baseline", "baseline.json")
    assert code == 0 and "wrote" in err and "baseline.json" in err  # written, then applied: nothing new
    data = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert data["traitlint_baseline"] == 1 and ALPHA in data["folders"]
    assert {"code": "TX950", "feature": "calmly"}.items() <= data["folders"][ALPHA][0].items()
    code, out, _ = run(capsys, "check", "datasets", "--baseline", "baseline.json")
    assert code == 0 and "baselined)." in out.splitlines()[-2] and out.splitlines()[-1] == "No new findings."
    # renumber every line: a new first pair; then a new leak ("serenely") appears
    for side, text in (("positive", "The kettle whistled, and I serenely"), ("negative", "The kettle whistled, and I")):
        path = repo / ALPHA / f"{side}.txt"
        path.write_text(text + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = run(capsys, "check", "datasets", "--baseline", "baseline.json", "--format", "json")
    data = json.loads(out)
    new = [f["message"] for t in data["traits"] for a in t["audits"] for f in a["findings"] if f["severity"] != "info"]
    assert code == 1 and new == ['word "serenely" only in positive.txt (line 1)'], new
    assert data["summary"]["baselined"] >= 4


def test_baseline_counts_repeated_findings():
    def result(n):
        return [TraitResult("d/a", [AuditResult("TL002", "pairing", "failed",
                                                [Finding("TL002", "pairing", Severity.ERROR, f"line {i} is blank",
                                                         evidence=[Evidence("positive.txt", i, "")])
                                                 for i in range(n)])])]
    recorded = baseline_mod.to_dict(result(2), Path.cwd())["folders"]["d/a"]
    assert recorded[0]["count"] == 2
    fb = baseline_mod.FolderBaseline(counts={recorded[0]["fingerprint"]: 2})
    now = result(3)
    baselined = baseline_mod.apply(now, baseline_mod.Baseline({"d/a": fb}, Path.cwd()))
    assert baselined == 2 and len(now[0].results[0].findings) == 1 and now[0].results[0].status == "failed"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.floats(0, 1, allow_nan=False))
def test_fingerprint_ignores_numbers_not_words(a, b, share):
    one = Finding("TL304", "length_confound", Severity.ERROR, f"mean {a} vs {b} tokens ({share:.0%})",
                  evidence=[Evidence("positive.txt", a + 1, "a line")])
    two = Finding("TL304", "length_confound", Severity.ERROR, f"mean {b} vs {a} tokens ({share / 2:.1%})",
                  evidence=[Evidence("positive.txt", b + 1, "a line")])
    assert baseline_mod.fingerprint(one) == baseline_mod.fingerprint(two)
    other = Finding("TL304", "length_confound", Severity.ERROR, f"mean {a} vs {b} words",
                    evidence=[Evidence("positive.txt", a + 1, "a line")])
    assert baseline_mod.fingerprint(other) != baseline_mod.fingerprint(one)
    edited = Finding(one.code, one.name, one.severity, one.message, evidence=[Evidence("positive.txt", 1, "edited")])
    assert baseline_mod.fingerprint(edited) != baseline_mod.fingerprint(one)


def test_bad_baseline_is_a_usage_error(repo, capsys):
    (repo / "baseline.json").write_text('{"traitlint_baseline": 1,\n "folders": [}', encoding="utf-8")
    code, _, err = run(capsys, "check", "datasets", "--baseline", "baseline.json")
    assert code == 2 and "baseline.json:2: not valid JSON" in err and len(err.strip().splitlines()) == 1
    (repo / "baseline.json").write_text('{"findings": []}', encoding="utf-8")
    code, _, err = run(capsys, "check", "datasets", "--baseline", "baseline.json")
    assert code == 2 and "not a traitlint baseline" in err
    code, _, err = run(capsys, "check", "datasets", "--baseline", "missing.json")
    assert code == 2 and "missing.json: no such baseline file" in err


def test_baseline_never_hides_an_errored_audit():
    crashed = AuditResult("TL306", "cross_distribution", "error", [finding(code="TL306")], reason="boom")
    results = [TraitResult("d/a", [crashed])]
    data = baseline_mod.to_dict(results, Path.cwd())
    assert data["folders"] == {}
    fb = baseline_mod.FolderBaseline(counts={baseline_mod.fingerprint(crashed.findings[0]): 1})
    assert baseline_mod.apply(results, baseline_mod.Baseline({"d/a": fb}, Path.cwd())) == 0
    assert crashed.status == "error" and crashed.findings


# records -----------------------------------------------------------------------------------------
def test_finding_features_round_trip_and_old_shape():
    f = finding(features=["but", "yet"])
    assert Finding.from_dict(f.to_dict()) == f and f.to_dict()["features"] == ["but", "yet"]
    assert "features" not in finding().to_dict()
    old = {k: v for k, v in f.to_dict().items() if k != "features"}
    assert Finding.from_dict(old).features == []
    with pytest.raises(ValueError, match="features"):
        Finding.from_dict({**f.to_dict(), "features": "but"})


# the real TL101 ----------------------------------------------------------------------------------
def test_tl101_suppressed_for_one_feature_only(tmp_path, store):
    """README's broken copy of optimism ("Luckily," opening 120 positives): suppressing "luckily"
    clears TL101; a second entry for a word that does not leak is reported as stale."""
    from traitlint.config import Config
    from traitlint.runner import Session

    folder = tmp_path / "optimism"
    shutil.copytree(Path(__file__).resolve().parents[1] / "datasets" / "traits" / "mental_state" / "optimism", folder)
    lines = (folder / "positive.txt").read_text(encoding="utf-8").splitlines()
    (folder / "positive.txt").write_text("\n".join(["Luckily, " + t for t in lines[:120]] + lines[120:]) + "\n",
                                         encoding="utf-8")

    def tl101():
        return Session(Config(select=["TL101"]), store).run([folder])[0].results[0]

    before = tl101()
    assert before.status == "failed" and any(f.features == ["luckily"] for f in before.findings)
    card = (folder / "trait.toml").read_text(encoding="utf-8")
    (folder / "trait.toml").write_text(card + '\n[[traitlint.suppress]]\ncode = "TL101"\nfeature = "luckily"\n'
                                       'reason = "a pilot where the opener is the point"\n\n'
                                       '[[traitlint.suppress]]\ncode = "lexical_label_leak"\nfeature = "but"\n'
                                       'reason = "stale"\n', encoding="utf-8")
    after = tl101()
    assert [s.finding.features for s in after.suppressed] == [["luckily"]]
    assert after.status == "warned"  # only the stale "but" entry is left to report
    assert [f.message for f in after.findings if f.severity is Severity.WARNING] == [
        'trait.toml suppresses lexical_label_leak feature "but", which matches no TL101 finding: remove the entry']


def test_cut_evidence_says_how_many_lines_were_left_out():
    """An audit's finding keeps five evidence lines; the rest are counted, survive JSON (the result
    cache, xdist) and are reported as "and N more", never dropped silently."""
    from traitlint.finding import Evidence, Finding
    from traitlint.registry import MAX_EVIDENCE, get
    from traitlint.reporters.text import format_finding

    audit = get("TL101")()
    finding = audit.finding("error", "leak", {}, None, [Evidence("positive.txt", i, f"line {i}") for i in range(1, 9)])
    assert len(finding.evidence) == MAX_EVIDENCE and finding.evidence_omitted == 3
    again = Finding.from_dict(finding.to_dict())
    assert again == finding
    assert any(line.strip() == "... and 3 more" for line in format_finding(again, "t"))
    few = audit.finding("error", "leak", {}, None, [Evidence("positive.txt", 1, "x")])
    assert few.evidence_omitted == 0 and "evidence_omitted" not in few.to_dict()
