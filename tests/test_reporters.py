"""Reporters on hand-built results: exit codes, paths, escaping, JSON safety, SARIF locations."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from traitlint.finding import Evidence, Finding, Severity
from traitlint.reporters import RunReport, evidence_path, format_metric, render
from traitlint.reporters.github import escape_data, escape_property
from traitlint.runner import AuditResult, TraitResult


def finding(severity="error", evidence=(), **kw) -> Finding:
    return Finding("TL101", "lexical_label_leak", Severity.parse(severity), kw.pop("message", "leak"),
                   kw.pop("metric", {}), kw.pop("threshold", None), list(evidence), kw.pop("hint", "fix it"))


def report(*statuses_and_findings, strict=False) -> RunReport:
    results = [AuditResult(f"TL10{i}", f"audit{i}", status, findings)
               for i, (status, findings) in enumerate(statuses_and_findings, 1)]
    return RunReport([TraitResult("datasets/x/optimism", results)], strict=strict)


@pytest.mark.parametrize("statuses, strict, expected", [
    (["passed", "skipped"], False, 0),
    (["passed", "warned"], False, 0),
    (["passed", "warned"], True, 1),
    (["failed", "warned"], False, 1),
    (["failed", "error"], False, 2),
])
def test_exit_code(statuses, strict, expected):
    assert report(*[(s, []) for s in statuses], strict=strict).exit_code() == expected


def test_summary_counts():
    r = report(("failed", [finding("error"), finding("info")]), ("warned", [finding("warning")]), ("skipped", []))
    s = r.summary()
    assert (s["traits"], s["results"], s["failed"], s["warned"], s["skipped"], s["passed"]) == (1, 3, 1, 1, 1, 0)
    assert s["findings"] == {"error": 1, "warning": 1, "info": 1} and s["exit_code"] == 1


def test_evidence_path():
    assert evidence_path("datasets/x/opt", "positive.txt") == "datasets/x/opt/positive.txt"
    assert evidence_path("datasets/x/opt", "datasets/x/opt/positive.txt") == "datasets/x/opt/positive.txt"
    assert evidence_path(".", "positive.txt") == "positive.txt"
    assert evidence_path("/abs/opt", "") == "/abs/opt"


def test_format_metric_shows_scalars_against_threshold():
    f = finding(metric={"share": 0.41234, "n": 120, "words": ["a", "b"], "ok": True}, threshold=0.2)
    assert format_metric(f) == "share=0.4123, n=120, ok=true vs threshold 0.2"
    assert format_metric(finding()) == ""


def test_text_shows_skips_beside_their_folder_with_reasons():
    results = [TraitResult(f"d/t{i}", [AuditResult("TL101", "leak", "skipped", reason="no spaCy pipeline")])
               for i in range(3)]
    results.append(TraitResult("d/t9", [AuditResult("TL004", "pair_count", "skipped",
                                                    reason="ignored in trait.toml: pilot set")]))
    lines = render("text", RunReport(results)).splitlines()
    for i in range(3):  # every folder is named, its skip right under its header
        header = lines.index(f"d/t{i}: 0 errors, 0 warnings; audits: 0 passed, 1 skipped")
        assert lines[header + 1] == "  skipped TL101 leak: no spaCy pipeline"
    header = lines.index("d/t9: 0 errors, 0 warnings; audits: 0 passed, 1 skipped")
    assert lines[header + 1] == "  skipped TL004 pair_count: ignored in trait.toml: pilot set"


def test_json_replaces_non_finite_numbers():
    r = report(("warned", [finding("warning", metric={"z": float("nan"), "inf": float("inf")})]))
    r.results[0].results[0].metrics = {"auc": float("nan")}
    data = json.loads(render("json", r))  # strict JSON: would fail on NaN
    audit = data["traits"][0]["audits"][0]
    assert audit["metrics"] == {"auc": None} and audit["findings"][0]["metric"] == {"z": None, "inf": None}


def test_github_escaping():
    assert escape_data("a%b\nc\rd") == "a%25b%0Ac%0Dd"
    assert escape_property("x,y:z") == "x%2Cy%3Az"
    out = render("github", report(("failed", [finding(evidence=[Evidence("positive.txt", 4, "t")],
                                                       message="bad, really\nbad")])))
    first = out.splitlines()[0]
    assert first.startswith("::error file=datasets/x/optimism/positive.txt,line=4,title=TL101 lexical_label_leak::")
    assert "bad, really%0Abad" in first and "\n" not in first


def test_github_info_is_a_notice_without_line_only_on_request():
    assert not render("github", report(("passed", [finding("info")]))).startswith("::")
    r = report(("passed", [finding("info")]))
    r.show_info = True
    # no file of the folder exists here: the folder itself is named
    assert render("github", r).startswith("::notice file=datasets/x/optimism,title=TL101 lexical_label_leak::"
                                          "datasets/x/optimism: leak")


def test_sarif_locations_and_levels():
    r = report(("failed", [finding("error", [Evidence("negative.txt", 7, "text"), Evidence("positive.txt", None)]),
                           finding("info")]))
    data = json.loads(render("sarif", r))
    results = data["runs"][0]["results"]
    assert [x["level"] for x in results] == ["error", "note"]
    locs = [l["physicalLocation"] for l in results[0]["locations"] + results[0]["relatedLocations"]]
    assert len(results[0]["locations"]) == 1  # the other evidence lines are related locations
    assert locs[0] == {"artifactLocation": {"uri": "datasets/x/optimism/negative.txt", "uriBaseId": "%SRCROOT%"},
                       "region": {"startLine": 7, "snippet": {"text": "text"}}}
    assert "region" not in locs[1]
    # no evidence and no file of the folder on disk: the trait folder itself is the location
    # (SARIF consumers need one; with files there, one of them is: tests/test_output.py)
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "datasets/x/optimism/"
    assert data["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri().rstrip("/") + "/"


def test_sarif_absolute_trait_path_gives_file_uri(tmp_path):
    r = RunReport([TraitResult(str(tmp_path / "t"), [AuditResult("TL101", "leak", "failed",
                                                                [finding(evidence=[Evidence("positive.txt", 1)])])])])
    loc = json.loads(render("sarif", r))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": (tmp_path / "t" / "positive.txt").as_uri()}


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format"):
        render("html", report())


def test_format_metric_with_a_table_of_thresholds():
    f = finding(metric={"accuracy": 0.66}, threshold={"min_accuracy": 0.75, "alpha": 0.05})
    assert format_metric(f) == "accuracy=0.66 vs threshold min_accuracy=0.75, alpha=0.05"


def test_text_lists_info_findings_only_on_request():
    r = report(("passed", [finding("info", message="declared words separate the sides")]))
    quiet = render("text", r)
    assert "declared words separate" not in quiet and "1 info" in quiet and "--show-info" in quiet
    r.show_info = True
    assert "declared words separate" in render("text", r)
