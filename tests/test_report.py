"""`traitlint report`: the report's data (statuses, counts, model results by dataset hash), its HTML
(escaping, links), its output (atomic, never into a trait folder, stale pages removed) and the CLI.

The folders are copies of the shipped confound fixtures (24 pairs each: `but_and_leak` fails TL101
on "but"/"and", `clean` passes it); model results are written by `report_fixtures` with the real
evaluation and steering writers, so no model runs here.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from report_fixtures import (
    HOSTILE,
    content_hash,
    copy_fixture,
    make_hostile,
    write_evaluation,
    write_probe,
    write_steering,
    write_vetting,
)

from traitlint.cli import main
from traitlint.config import Config
from traitlint.finding import Severity
from traitlint.nlp.features import FeatureStore
from traitlint.report import html, plots
from traitlint.report.command import build_report
from traitlint.report.data import collect, page_names, worst_status
from traitlint.report.distributions import Distributions, SideShare, SkewedFeature
from traitlint.runner import Session


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two trait folders, model results for `but_and_leak` (plus stale ones for an older version)."""
    root = tmp_path_factory.mktemp("report")
    data = root / "datasets"
    leak = copy_fixture("confounds/but_and_leak", data)
    clean = copy_fixture("confounds/clean", data)
    make_hostile(leak)
    digest = content_hash(leak)
    vectors, steering = root / "vectors", root / "steering"
    write_vetting(leak, digest, separation=10.0)  # fails TL401: separation 10 < 25
    write_probe(leak, digest)
    write_evaluation(vectors, leak, digest)
    write_steering(steering, leak, digest)
    stale = "0" * 64  # results of an earlier version of the folder: never shown
    write_vetting(leak, stale, separation=50.0, key="ffffffffffffffff")
    write_evaluation(vectors / "old", leak, stale)
    write_steering(steering / "old", leak, stale)
    return {"root": root, "data": data, "leak": leak, "clean": clean, "vectors": vectors, "steering": steering,
            "cache": root / "cache"}


@pytest.fixture(scope="module")
def report(corpus):
    return collect([corpus["data"]], Config(), corpus["cache"], vectors=corpus["vectors"], steering=corpus["steering"])


@pytest.fixture(scope="module")
def built(corpus):
    out = corpus["root"] / "out"
    outcome = build_report([corpus["data"]], out, vectors=corpus["vectors"], steering=corpus["steering"],
                           config=Config(), cache_dir=corpus["cache"])
    return out, outcome


def _trait(report, name):
    return next(t for t in report.traits if t.trait == name)


# statuses and counts ------------------------------------------------------------------------------
def test_worst_status_ranks_error_over_failed_over_warned_and_ignores_skips():
    assert worst_status(["passed", "warned", "failed"]) == "failed"
    assert worst_status(["failed", "error"]) == "error"
    assert worst_status(["passed", "skipped"]) == "passed"
    assert worst_status(["skipped", "warned"]) == "warned"
    assert worst_status(["skipped", "skipped"]) == "skipped"
    assert worst_status([]) == "passed"


def test_statuses_counts_and_pairs_match_the_runner(report, corpus):
    """Every number the index shows equals what a plain `Session` (as `traitlint check`) reports."""
    session = Session(Config(), FeatureStore(corpus["cache"]))
    truth = {Path(r.path).name: r for r in session.run([corpus["data"]])}
    assert {t.trait for t in report.traits} == {"but_and_leak", "clean"}
    for t in report.traits:
        results = truth[t.trait].results
        assert [a.code for a in t.audits] == [r.code for r in results]
        assert {a.code: a.status for a in t.audits} == {r.code: r.status for r in results}
        assert t.errors == sum(f.severity is Severity.ERROR for r in results for f in r.findings)
        assert t.warnings == sum(f.severity is Severity.WARNING for r in results for f in r.findings)
        assert t.pairs == 24
    leak = _trait(report, "but_and_leak")
    assert leak.status == "failed" and leak.audit("TL101").status == "failed" and leak.errors >= 3
    assert report.count("failed") == 1 + (_trait(report, "clean").status == "failed")
    assert report.pairs == 48


def test_thresholds_are_the_audits_configured_parameters(report):
    leak = _trait(report, "but_and_leak")
    assert leak.audit("TL101").thresholds["max_share"] == 0.8
    config = Config(params={"TL101": {"max_share": 0.9}})
    from traitlint.registry import get
    from traitlint.report.data import audit_row
    from traitlint.runner import AuditResult

    row = audit_row(AuditResult("TL101", "lexical_label_leak", "passed"), get("TL101"), config)
    assert row.thresholds["max_share"] == 0.9


def test_findings_carry_capped_evidence_and_sort_errors_first(report):
    leak = _trait(report, "but_and_leak")
    severities = [f.severity for f in leak.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    but = next(f for f in leak.findings if f.code == "TL101" and '"but"' in f.message)
    assert 1 <= len(but.evidence) <= 5 and all(e.file in ("positive.txt", "negative.txt") for e in but.evidence)
    assert all(isinstance(e.line, int) and e.line >= 1 for e in but.evidence)


def test_plot_data_comes_from_the_dataset_and_the_metrics(report):
    leak = _trait(report, "but_and_leak")
    dist = leak.distributions
    assert len(dist.lengths["positive"]) == len(dist.lengths["negative"]) == 24
    flagged = {(f.kind, f.feature) for f in dist.skewed if f.flagged}
    assert ("closer", "but") in flagged
    but = next(f for f in dist.skewed if (f.kind, f.feature) == ("word", "but"))
    assert (but.n_pos, but.n_neg, but.b, but.c) == (24, 0, 24, 0)
    assert not any(f.kind == "declared" for f in dist.skewed)  # trait words are the signal, never shown
    assert len(dist.divergence.positions) + dist.divergence.identical == 24
    assert len(dist.valence["positive"]) == 24 and len(dist.intensity["negative"]) == 24
    assert {r.label for r in dist.person} >= {"1st person, narration", "3rd person, quoted"}
    assert dist.frames and all(0 <= r.positive <= 1 for r in dist.frames)


# model results --------------------------------------------------------------------------------------
def test_model_results_are_matched_by_dataset_hash(report, corpus):
    leak, clean = _trait(report, "but_and_leak"), _trait(report, "clean")
    assert clean.model.empty
    codes = [s.code for s in leak.model.audits]
    assert codes == ["TL401", "TL404"]  # the stale TL401 (other hash) is not among them
    assert all(corpus["leak"].name in s.path for s in leak.model.audits)
    assert all("ffffffffffffffff" not in s.path for s in leak.model.audits)
    assert [Path(e.path).parts[-5] for e in leak.model.extractions] == ["vectors"]  # not vectors/old/...
    assert len(leak.model.steering) == 1 and "old" not in Path(leak.model.steering[0].path).parts
    assert set(leak.model.extractions[0].methods) == {"mean_diff", "probe"}
    run = leak.model.steering[0]
    assert len(run.runs) == 4 and run.best is not None and run.threshold == 70.0


def test_stored_results_are_judged_with_their_parameters(report):
    vetting, probe = _trait(report, "but_and_leak").model.audits
    assert vetting.status == "failed"
    assert any("separate by only" in f.message for f in vetting.findings)
    assert probe.status == "passed"  # best accuracy 0.95 >= 0.8


def test_a_folder_without_model_results_says_so(built, corpus):
    out, _ = built
    page = (out / "traits" / _page_of(out, "clean")).read_text(encoding="utf-8")
    assert "No model results for this dataset version" in page
    leak = (out / "traits" / _page_of(out, "but_and_leak")).read_text(encoding="utf-8")
    assert "No model results for this dataset version" not in leak
    for key in ("vetting-TL401-0", "probe-1", "extraction-0", "confounds-0", "steering-0"):
        assert f'data-plot="{key}"' in leak, key


def _page_of(out: Path, trait: str) -> str:
    names = [p.name for p in (out / "traits").glob("*.html") if p.name.endswith(f"{trait}.html")]
    assert len(names) == 1, names
    return names[0]


# HTML -------------------------------------------------------------------------------------------------
def test_hostile_dataset_text_is_escaped(built):
    out, _ = built
    page = (out / "traits" / _page_of(out, "but_and_leak")).read_text(encoding="utf-8")
    assert HOSTILE.split("\u202e")[0] not in page
    assert '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;' in page
    assert "\u202e" not in page and "&lt;U+202E&gt;evil" in page
    assert page.count("<script>") == 1  # the page's own script, nothing else
    assert "onerror=alert" not in re.sub(r"&lt;img src=x onerror=alert\(1\)&gt;", "", page)


def test_esc_neutralises_controls_bidi_and_surrogates():
    assert html.esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert html.esc("a\u202eb\x00c\ud800") == "a&lt;U+202E&gt;b&lt;U+0000&gt;c\ufffd"


def test_pages_are_offline_only_and_link_each_other(built):
    out, outcome = built
    index = (out / "index.html").read_text(encoding="utf-8")
    import html as html_lib

    assert "default-src 'none'" in html_lib.unescape(index)
    assert "http://" not in index.replace("http://www.w3.org", "")
    assert not re.search(r"""(src|href)=["']https?:""", index)
    links = re.findall(r'<a href="(traits/[^"]+\.html)">', index)
    assert sorted(links) == sorted(p.relative_to(out).as_posix() for p in outcome.pages if p.parent.name == "traits")
    for link in links:
        page = (out / link).read_text(encoding="utf-8")
        assert '<a href="../index.html">' in page
        assert not re.search(r"""(src|href)=["']https?:""", page)
        assert page.count("<svg") >= 5 and 'role="img" aria-label="' in page


def test_the_csp_allows_exactly_the_inline_script():
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(html.SCRIPT.encode()).digest()).decode()
    page = html.document("t", "<p>x</p>")
    assert f"script-src &#x27;sha256-{digest}&#x27;" in page and f"<script>{html.SCRIPT}</script>" in page


def test_the_index_row_shows_counts_status_and_cells(built, report):
    out, _ = built
    index = (out / "index.html").read_text(encoding="utf-8")
    leak = _trait(report, "but_and_leak")
    row = re.search(r'<tr data-status="failed"[^>]*>(.*?)</tr>', index, re.DOTALL).group(1)
    assert leak.name in row and f'<td class="num">{leak.errors}</td>' in row
    assert f'<td class="num">{leak.warnings}</td>' in row and '<td class="num">24</td>' in row
    assert row.count('class="cell ') == len(report.audit_codes)
    assert 'title="TL101 lexical_label_leak: failed' in row


def test_page_names_are_distinct_and_file_safe():
    names = page_names(["a/b c", "a/b-c", "A/B C", "../x", "é/ü"])
    assert len({n.lower() for n in names}) == 5
    for name in names:
        assert re.fullmatch(r"traits/[A-Za-z0-9._-]+\.html", name) and ".." not in name[len("traits/"):-5].strip(".")


# plots -------------------------------------------------------------------------------------------------
def test_plots_are_svg_with_labelled_axes_and_alt_text():
    dist = Distributions(lengths={"positive": [3, 4, 5], "negative": [6, 7, 8]},
                         skewed=[SkewedFeature("word", "$5 or $10", 5, 0, 5, 0, True)],
                         person=[SideShare("1st person, narration", 0.5, 0.25)])
    made = {p.key: p for p in plots.dataset_plots(dist)}
    assert set(made) == {"lengths", "skewed", "person"}
    assert made["lengths"].svg.startswith("<svg") and "length (tokens)" in made["lengths"].svg
    assert "texts" in made["lengths"].svg  # the y label
    assert "positive mean 4.0 (n=3), negative mean 7.0" in made["lengths"].alt
    assert "$5 or $10" in made["skewed"].svg  # dollar signs are text, not mathtext
    assert "<metadata" not in made["lengths"].svg
    assert plots.lengths(None) is None and plots.skewed([]) is None


def test_plot_labels_from_dataset_text_are_escaped_and_bidi_safe():
    plot = plots.skewed([SkewedFeature("word", "<script>x</script>\u202eab", 5, 0, 5, 0)])
    assert "<script>" not in plot.svg and "&lt;script&gt;x&lt;/script&gt;" in plot.svg
    assert "\u202e" not in plot.svg and "&lt;U+202E&gt;ab" in plot.svg
    assert "<script>" not in html.figure(plot)


def test_minify_keeps_text_and_shortens_geometry():
    svg = ('<?xml?>\n<svg a="1"><metadata>m</metadata>\n <g id="patch_1"><path d="M 1.234567 2.5 L 3 4"/>'
           '<text style="font-family: \'DejaVu Sans\', Arial, sans-serif" x="0.123456">0.25 of 1.23456</text></g></svg>')
    small = plots.minify(svg)
    assert small.startswith("<svg") and "<metadata" not in small and 'id="patch_1"' not in small
    assert 'd="M 1.2 2.5 L 3 4"' in small and 'x="0.1"' in small
    assert ">0.25 of 1.23456</text>" in small and "font-family: sans-serif" in small


# output -------------------------------------------------------------------------------------------------
def test_every_file_is_written_atomically(corpus, tmp_path, monkeypatch):
    from traitlint import atomic

    written = []
    real = atomic.atomic_write_bytes

    def spy(path, data):
        written.append(Path(path))
        real(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", spy)
    out = tmp_path / "out"
    build_report([corpus["clean"]], out, vectors=None, steering=None, config=Config(), cache_dir=corpus["cache"])
    on_disk = sorted(p for p in out.rglob("*") if p.is_file())
    assert sorted(p for p in written if out in p.parents) == on_disk and len(on_disk) == 3  # index, one trait page, the manifest


def test_an_interrupted_write_leaves_the_previous_report_whole(corpus, tmp_path, monkeypatch):
    from traitlint import atomic

    out = tmp_path / "out"
    build_report([corpus["clean"]], out, vectors=None, steering=None, config=Config(), cache_dir=corpus["cache"])
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = atomic.atomic_write_bytes

    def failing(path, data):
        if Path(path).name == "index.html":
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", failing)
    with pytest.raises(OSError):
        build_report([corpus["clean"]], out, vectors=None, steering=None, config=Config(), cache_dir=corpus["cache"])
    assert (out / "index.html").read_bytes() == before[out / "index.html"]
    assert not [p for p in out.rglob("*.tmp")]


def test_nothing_is_written_into_trait_folders(corpus, tmp_path):
    def snapshot():
        return sorted((p.relative_to(corpus["data"]).as_posix(), p.stat().st_mtime_ns)
                      for p in corpus["data"].rglob("*"))

    before = snapshot()
    build_report([corpus["data"]], tmp_path / "out", vectors=corpus["vectors"], steering=corpus["steering"],
                 config=Config(), cache_dir=corpus["cache"])
    assert snapshot() == before


def test_pages_of_folders_no_longer_in_the_run_are_removed(corpus, tmp_path):
    out = tmp_path / "out"
    build_report([corpus["data"]], out, vectors=None, steering=None, config=Config(), cache_dir=corpus["cache"])
    assert len(list((out / "traits").glob("*.html"))) == 2
    (out / "traits" / "mine.html").write_text("not the report's", encoding="utf-8")
    build_report([corpus["clean"]], out, vectors=None, steering=None, config=Config(), cache_dir=corpus["cache"])
    left = sorted(p.name for p in (out / "traits").glob("*.html"))
    assert len(left) == 2 and "mine.html" in left and not any("but_and_leak" in n for n in left)
    assert "but_and_leak" not in (out / "index.html").read_text(encoding="utf-8")


# CLI ------------------------------------------------------------------------------------------------------
@pytest.fixture
def in_tmp(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRAITLINT_CACHE_DIR", str(corpus["cache"]))
    return tmp_path


def test_cli_writes_the_report_and_prints_the_index_path(corpus, in_tmp, capsys):
    code = main(["report", str(corpus["clean"]), "--out", "rep", "--vectors", str(corpus["vectors"]),
                 "--steering", str(corpus["steering"])])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[-1] == "rep/index.html" and (in_tmp / "rep" / "index.html").is_file()
    assert re.match(r"report: 1 trait folder, 2 pages, [0-9.]+ MB, [0-9.]+ s$", lines[0])


def test_cli_exit_code_0_even_when_audits_fail(corpus, in_tmp, capsys):
    assert main(["report", str(corpus["leak"]), "--out", "rep", "--no-cache"]) == 0
    assert "No model results" not in (in_tmp / "rep" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["missing-folder"], "missing-folder: no such file or directory"),
    (["."], "no trait folders found"),
])
def test_cli_usage_errors_exit_2(in_tmp, capsys, args, message):
    assert main(["report", *args, "--out", "rep"]) == 2
    assert message in capsys.readouterr().err
    assert not (in_tmp / "rep").exists()


def test_cli_refuses_an_out_dir_in_or_around_a_trait_folder(corpus, in_tmp, capsys):
    for out in (corpus["leak"] / "report", corpus["data"], corpus["leak"]):
        assert main(["report", str(corpus["data"]), "--out", str(out)]) == 2
        assert "trait folder" in capsys.readouterr().err
    assert not (corpus["leak"] / "report").exists() and not (corpus["data"] / "index.html").exists()
    (in_tmp / "file").write_text("x", encoding="utf-8")
    assert main(["report", str(corpus["clean"]), "--out", "file"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_the_report_imports_no_torch(corpus, tmp_path):
    code = ("import sys\nfrom traitlint.cli import main\n"
            f"rc = main(['report', {str(corpus['leak'])!r}, '--out', {str(tmp_path / 'rep')!r}, "
            f"'--vectors', {str(corpus['vectors'])!r}, '--steering', {str(corpus['steering'])!r}])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
            "print('HEAVY', heavy, 'RC', rc, file=sys.stderr)\n")
    env = {**os.environ, "TRAITLINT_CACHE_DIR": str(corpus["cache"])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert "HEAVY [] RC 0" in done.stderr, done.stderr[-2000:]
    page = next((tmp_path / "rep" / "traits").glob("*.html")).read_text(encoding="utf-8")
    assert 'data-plot="extraction-0"' in page  # the model results were read, without torch


def test_the_manifest_lists_the_pages(built):
    out, outcome = built
    manifest = json.loads((out / ".traitlint-report.json").read_text(encoding="utf-8"))
    assert manifest["pages"] == sorted(p.relative_to(out).as_posix() for p in outcome.pages if p.parent.name == "traits")
