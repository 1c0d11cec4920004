"""Static HTML for the report: an index page and one page per trait folder, self-contained.

Every page carries its own CSS, its plots as inline SVG and one small vanilla script (table sort
and filter); a Content-Security-Policy forbids loading anything from anywhere (``default-src
'none'``) and allows only that script, by hash. So the report opens offline, from a zip or a CI
artefact, and dataset text can never become markup or code: every string from a dataset, a card,
a results file or a finding goes through `esc` (HTML-escaped, control and bidi characters shown
as ``<U+202E>`` rather than obeyed, lone surrogates replaced).
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from traitlint.report import plots
from traitlint.report.data import (
    STATUS_ORDER,
    AuditRow,
    FindingRow,
    ReportData,
    TraitReport,
)
from traitlint.report.model_results import (
    Extraction,
    ModelResults,
    SteeringRun,
    StoredAudit,
)

METRICS_JSON_CHARS = 4000
SCALARS_SHOWN = 6
SYMBOL = {"passed": "✓", "warned": "!", "failed": "✗", "error": "E", "skipped": "–", "unknown": "?"}
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")

CSS = """
:root{--pos:#0072B2;--neg:#E69F00;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;max-width:1400px;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);
padding-bottom:4px}h3{font-size:15px;margin:0 0 4px}
a{color:#0550ae}a:focus,th:focus{outline:2px solid #0550ae;outline-offset:1px}
.muted,.meta{color:var(--muted)}.summary{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
table.audits{width:100%}table.audits td:nth-child(7),table.audits td:nth-child(8){overflow-wrap:anywhere}
table.audits td:nth-child(8){max-width:320px}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0;z-index:1}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.path{overflow-wrap:anywhere;max-width:320px;font-size:12px;color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-weight:600;font-size:12px;white-space:nowrap}
.s-passed{background:#dafbe1;color:#116329}.s-warned,.s-warning{background:#fff8c5;color:#7d4e00}
.s-failed{background:#ffebe9;color:#a40e26}.s-error{background:#fbefff;color:#6e40c9}
.s-skipped,.s-unknown{background:#eef1f4;color:#59636e}
.v-error{background:#ffebe9;color:#a40e26}.v-warning{background:#fff8c5;color:#7d4e00}.v-info{background:#ddf4ff;color:#0a3069}
td.cell{text-align:center;font-weight:700;min-width:26px;padding:3px 2px}
th.code{font-size:11px;writing-mode:vertical-rl;padding:6px 2px;vertical-align:bottom}
#traits{width:100%}
.controls{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:8px 0}
.controls input{font:inherit;padding:3px 6px;min-width:280px}.controls select{font:inherit;padding:3px}
.finding{border:1px solid var(--line);border-left:5px solid #999;border-radius:4px;padding:8px 12px;margin:10px 0}
.finding.error{border-left-color:#cf222e;background:#fff}.finding.warning{border-left-color:#bf8700;background:#fff}
.finding.info{border-left-color:#0969da;background:#fff}
.finding p{margin:4px 0}
ul.evidence{list-style:none;margin:6px 0;padding:0;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
ul.evidence li{padding:2px 0;border-top:1px dotted var(--line);overflow-wrap:anywhere}
ul.evidence code{color:var(--muted);margin-right:8px}
.text{unicode-bidi:isolate;white-space:pre-wrap}
pre{background:var(--soft);padding:8px;overflow:auto;max-height:360px;font-size:12px;white-space:pre-wrap}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:4px;padding:8px;background:#fff}
figure svg{width:100%;height:auto;display:block}figcaption{font-size:12px;color:var(--muted);margin-top:4px}
figure.wide{grid-column:1/-1}
.kv{font-size:12px}.kv span{white-space:nowrap;margin-right:10px}
details summary{cursor:pointer;color:#0550ae}
nav.toc a{margin-right:14px}
.pos{color:var(--pos);font-weight:600}.neg{color:#9a5b00;font-weight:600}
.note{background:var(--soft);border:1px solid var(--line);padding:8px 12px;border-radius:4px}
@media print{th{position:static}}
"""

SCRIPT = """(function(){
function key(td,type){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent.trim();
if(type==='num'){var n=parseFloat(v);return isNaN(n)?-Infinity:n;}return v.toLowerCase();}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(table){
var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){th.tabIndex=0;
function sort(){var type=th.getAttribute('data-type')||'text';
var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',dir===1?'ascending':'descending');
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
rows.forEach(function(r,n){r._n=n;});
rows.sort(function(a,b){var x=key(a.cells[i],type),y=key(b.cells[i],type);
return x<y?-dir:x>y?dir:a._n-b._n;});
rows.forEach(function(r){body.appendChild(r);});}
th.addEventListener('click',sort);
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});});});
var input=document.getElementById('filter'),status=document.getElementById('status'),
shown=document.getElementById('shown');
if(input&&status&&shown){var apply=function(){var q=input.value.trim().toLowerCase(),s=status.value,n=0,
rows=document.querySelectorAll('#traits tbody tr');
Array.prototype.forEach.call(rows,function(r){var ok=(!q||r.getAttribute('data-search').indexOf(q)>=0)&&
(!s||r.getAttribute('data-status')===s);r.hidden=!ok;if(ok)n++;});
shown.textContent=n+' of '+rows.length+' folders shown';};
input.addEventListener('input',apply);status.addEventListener('change',apply);apply();}
})();"""


def esc(value: Any) -> str:
    """Text for HTML: escaped, with control/bidi characters made visible and surrogates replaced."""
    text = _SURROGATE.sub("\ufffd", str(value))
    text = _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return html.escape(text, quote=True)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'")


def document(title: str, body: str) -> str:
    """A whole page: offline-only CSP, inline CSS, the script, a blank favicon (no request for one)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp())}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{CSS}</style></head>'
            f'<body>{body}<script>{SCRIPT}</script></body></html>\n')


def badge(status: str) -> str:
    return f'<span class="badge s-{esc(status)}">{esc(status)}</span>'


def severity_badge(severity: str) -> str:
    return f'<span class="badge v-{esc(severity)}">{esc(severity)}</span>'


def _rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def fmt_value(value: Any) -> str:
    """A metric for a table cell: 4 significant digits, containers summarised."""
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "null"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, dict):
        return "{" + f"{len(value)} keys" + "}"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def kv(items: dict[str, Any], limit: int | None = None, scalars_only: bool = False) -> str:
    pairs = [(k, v) for k, v in items.items() if not scalars_only or not isinstance(v, (list, dict))]
    shown = pairs if limit is None else pairs[:limit]
    more = f'<span class="muted">+{len(pairs) - len(shown)} more</span>' if len(pairs) > len(shown) else ""
    return '<div class="kv">' + "".join(f"<span>{esc(k)}={esc(fmt_value(v))}</span>" for k, v in shown) + more + "</div>"


def metrics_json(metrics: dict[str, Any], limit: int = METRICS_JSON_CHARS) -> str:
    text = json.dumps(metrics, indent=1, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters; `traitlint check --format json` prints all)"
    return f"<details><summary>all metrics</summary><pre>{esc(text)}</pre></details>"


def figure(plot: plots.Plot, wide: bool = False) -> str:
    """A plot as inline SVG, labelled for screen readers by its alt text."""
    svg = plot.svg
    if svg.startswith("<svg"):
        svg = f'<svg role="img" aria-label="{esc(plot.alt)}"' + svg[4:]
        end = svg.find(">") + 1
        svg = svg[:end] + f"<title>{esc(plot.alt)}</title>" + svg[end:]
    cls = ' class="wide"' if wide else ""
    return (f'<figure{cls} id="plot-{esc(plot.key)}" data-plot="{esc(plot.key)}">{svg}'
            f"<figcaption>{esc(plot.alt)}</figcaption></figure>")


# index -----------------------------------------------------------------------------------------------
def index_page(data: ReportData) -> str:
    n = len(data.traits)
    counts = ", ".join(f"{data.count(s)} {s}" for s in STATUS_ORDER if data.count(s))
    head = (f"<header><h1>traitlint report</h1>"
            f'<p class="summary"><strong>{n} trait folder{"s" if n != 1 else ""}</strong>: {esc(counts or "none")}. '
            f"Findings: <strong>{data.errors}</strong> errors, <strong>{data.warnings}</strong> warnings. "
            f"{data.pairs:,} pairs in all.</p>"
            f'<p class="meta">Generated {esc(data.generated)} by traitlint {esc(data.version)} from '
            f'{esc(" ".join(data.roots))}. A folder\'s status is its worst audit\'s; click a column to sort, '
            f"type to filter.</p></header>")
    overview_rows = []
    for code, name in data.audit_codes:
        tally: dict[str, int] = {}
        for t in data.traits:
            row = t.audit(code)
            if row is not None:
                tally[row.status] = tally.get(row.status, 0) + 1
        overview_rows.append((f"{code} {name}", tally))
    chart = plots.overview(overview_rows) if plots.available() else None
    chart_html = (f'<details open><summary>Audits across folders</summary><div class="plots">{figure(chart)}</div>'
                  f"</details>") if chart else ""
    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUS_ORDER)
    controls = (f'<div class="controls"><label>Filter <input id="filter" type="search" '
                f'placeholder="trait name or audit code (TL101)" aria-label="filter folders"></label>'
                f'<label>Status <select id="status"><option value="">any</option>{options}</select></label>'
                f'<span id="shown" class="muted" aria-live="polite">{n} of {n} folders shown</span></div>')
    code_heads = "".join(f'<th class="code" data-type="num" title="{esc(code)} {esc(name)}">{esc(code)}</th>'
                         for code, name in data.audit_codes)
    header = ('<thead><tr><th data-type="text">Trait folder</th><th data-type="num">Status</th>'
              '<th class="num" data-type="num">Pairs</th><th class="num" data-type="num">Errors</th>'
              '<th class="num" data-type="num">Warnings</th>'
              f'<th data-type="num">Model results</th>{code_heads}</tr></thead>')
    ordered = sorted(data.traits, key=lambda t: (_rank(t.status), -t.errors, -t.warnings, t.name))
    body = "".join(_index_row(t, data.audit_codes) for t in ordered)
    table = f'<table id="traits" class="sortable">{header}<tbody>{body}</tbody></table>'
    legend = ('<p class="muted">Cells: ✓ passed, ! warned, ✗ failed, E error (the audit could not run), '
              "– skipped (with its reason on the trait page).</p>")
    notes = "".join(f"<li>{esc(note)}</li>" for note in data.notes)
    notes_html = f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""
    return document("traitlint report", head + chart_html + controls + table + legend + notes_html)


def _index_row(t: TraitReport, codes: Sequence[tuple[str, str]]) -> str:
    bad = [a for a in t.audits if a.status in ("failed", "warned", "error")]
    named = ", ".join(f"{a.code} {a.name} ({a.status})" for a in bad)
    search = " ".join([t.name, t.short, *(f"{a.code} {a.name}" for a in bad)]).lower()
    cells = []
    for code, name in codes:
        row = t.audit(code)
        status = row.status if row is not None else "unknown"
        n = (row.errors + row.warnings) if row is not None else 0
        tip = f"{code} {name}: {status}" + (f" ({n} findings)" if n else "")
        cells.append(f'<td class="cell s-{esc(status)}" data-sort="{_rank(status)}" title="{esc(tip)}">'
                     f'{SYMBOL.get(status, "?")}</td>')
    model = "none" if t.model.empty else _model_count(t.model)
    return (f'<tr data-status="{esc(t.status)}" data-search="{esc(search)}">'
            f'<td title="{esc(t.name)}"><a href="{esc(t.page)}">{esc(t.short)}</a></td>'
            f'<td data-sort="{_rank(t.status)}" title="{esc(named or "no audit failed or warned")}">{badge(t.status)}</td>'
            f'<td class="num">{t.pairs}</td><td class="num">{t.errors}</td><td class="num">{t.warnings}</td>'
            f'<td data-sort="{0 if t.model.empty else 1}">{esc(model)}</td>{"".join(cells)}</tr>')


def _model_count(model: ModelResults) -> str:
    parts = []
    if model.audits:
        parts.append(f"{len(model.audits)} audit result{'s' if len(model.audits) != 1 else ''}")
    if model.extractions:
        parts.append(f"{len(model.extractions)} extraction{'s' if len(model.extractions) != 1 else ''}")
    if model.steering:
        parts.append(f"{len(model.steering)} steering run{'s' if len(model.steering) != 1 else ''}")
    return ", ".join(parts)


# trait page --------------------------------------------------------------------------------------------
def trait_page(t: TraitReport, data: ReportData, dataset_plots: Sequence[plots.Plot],
               model_plots: Sequence[plots.Plot]) -> str:
    statuses = ", ".join(f"{t.count(s)} {s}" for s in STATUS_ORDER if t.count(s))
    head = (f'<nav><a href="../index.html">&larr; all trait folders</a></nav>'
            f"<header><h1>{esc(t.trait)}</h1><p class=\"meta\">{esc(t.name)}</p>"
            f'<p class="summary">{badge(t.status)} {t.pairs} pairs ({t.positive_lines} positive, '
            f"{t.negative_lines} negative lines) &middot; {len(t.audits)} audits: {esc(statuses)} &middot; findings: "
            f"<strong>{t.errors}</strong> errors, <strong>{t.warnings}</strong> warnings, {t.infos} info</p>"
            f'<p class="meta">Model results: {esc(_model_count(t.model) or "none for this dataset version")}. '
            f'Dataset content hash <code>{esc(t.content_hash[:16])}</code> (model results are '
            f"matched on it). Generated {esc(data.generated)}.</p></header>"
            '<nav class="toc"><a href="#audits">Audits</a><a href="#plots">Plots</a><a href="#findings">Findings</a>'
            '<a href="#model">Model results</a><a href="#samples">Sample pairs</a></nav>')
    parts = [head, _audit_table(t.audits), _plots_section(t, dataset_plots), _findings(t.findings),
             _model_section(t, data, model_plots), _samples(t)]
    return document(f"{t.trait} - traitlint report", "".join(parts))


def _audit_table(rows: Sequence[AuditRow]) -> str:
    head = ('<thead><tr><th data-type="text">Code</th><th data-type="text">Audit</th><th data-type="num">Status</th>'
            '<th class="num" data-type="num">Errors</th><th class="num" data-type="num">Warnings</th>'
            '<th class="num" data-type="num">Info</th><th data-type="text">Metrics</th>'
            '<th data-type="text">Thresholds (parameters)</th></tr></thead>')
    body = []
    for a in rows:
        reason = f'<p class="muted">{esc(a.reason)}</p>' if a.reason else ""
        metrics = (kv(a.metrics, SCALARS_SHOWN, scalars_only=True) + metrics_json(a.metrics)) if a.metrics else \
            '<span class="muted">none</span>'
        thresholds = kv(a.thresholds, scalars_only=False) if a.thresholds else '<span class="muted">none</span>'
        body.append(f'<tr id="audit-{esc(a.code)}"><td>{esc(a.code)}</td><td title="{esc(a.summary)}">{esc(a.name)}'
                    f'</td><td data-sort="{_rank(a.status)}">{badge(a.status)}'
                    f'{reason}</td><td class="num">{a.errors}</td><td class="num">{a.warnings}</td>'
                    f'<td class="num">{a.infos}</td><td>{metrics}</td><td>{thresholds}</td></tr>')
    return f'<section id="audits"><h2>Audits</h2><table class="sortable audits">{head}<tbody>{"".join(body)}</tbody></table></section>'


def finding_html(f: FindingRow) -> str:
    evidence = "".join(f'<li><code>{esc(e.file)}{":" + str(e.line) if e.line else ""}</code>'
                       f'<span class="text">{esc(e.text)}</span></li>' for e in f.evidence)
    if f.more_evidence:
        evidence += f'<li class="muted">and {f.more_evidence} more</li>'
    metric = ""
    if f.metric or f.threshold is not None:
        shown = kv(f.metric, 8, scalars_only=True) if f.metric else ""
        against = (f'<div class="kv"><span>vs threshold: {esc(_threshold_text(f.threshold))}</span></div>'
                   if f.threshold is not None else "")
        metric = f'<div class="metric">{shown}{against}</div>'
    hint = f'<p class="muted">hint: {esc(f.hint)}</p>' if f.hint else ""
    return (f'<article class="finding {esc(f.severity)}"><h3>{severity_badge(f.severity)} {esc(f.code)} {esc(f.name)}</h3>'
            f'<p class="text">{esc(f.message)}</p>{metric}'
            f'{"<ul class=evidence>" + evidence + "</ul>" if evidence else ""}{hint}</article>')


def _threshold_text(threshold: Any) -> str:
    if isinstance(threshold, dict):
        return ", ".join(f"{k}={fmt_value(v)}" for k, v in threshold.items())
    if isinstance(threshold, list):
        return ", ".join(fmt_value(v) for v in threshold)
    return fmt_value(threshold)


def _findings(findings: Sequence[FindingRow]) -> str:
    main = [f for f in findings if f.severity != "info"]
    info = [f for f in findings if f.severity == "info"]
    body = "".join(finding_html(f) for f in main) or '<p class="note">No errors or warnings.</p>'
    if info:
        body += (f"<details><summary>{len(info)} info finding{'s' if len(info) != 1 else ''}</summary>"
                 + "".join(finding_html(f) for f in info) + "</details>")
    return f'<section id="findings"><h2>Findings</h2>{body}</section>'


def _plots_section(t: TraitReport, made: Sequence[plots.Plot]) -> str:
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in t.distributions.notes)
    if not made:
        body = '<p class="note">No plots: matplotlib is not installed (pip install \'traitlint[report]\').</p>' \
            if not plots.available() else '<p class="note">Nothing to plot for this folder.</p>'
    else:
        body = '<div class="plots">' + "".join(figure(p) for p in made) + "</div>"
    return f'<section id="plots"><h2>Plots</h2>{notes}{body}</section>'


def _model_section(t: TraitReport, data: ReportData, made: Sequence[plots.Plot]) -> str:
    m = t.model
    if m.empty:
        where = [f"{t.folder}/.traitlint/"] + [p for p in (data.vectors, data.steering) if p]
        return ('<section id="model"><h2>Model results</h2><p class="note">No model results for this dataset version '
                f"(content hash <code>{esc(t.content_hash[:16])}</code>): looked in {esc(', '.join(where))}. Run "
                "<code>traitlint check --model</code>, <code>traitlint extract</code> and <code>traitlint steer</code> "
                "to produce them.</p></section>")
    parts = ['<section id="model"><h2>Model results</h2>']
    if m.audits:
        parts.append(_stored_table(m.audits))
    if m.extractions:
        parts.append(_extraction_table(m.extractions))
    if m.steering:
        parts.append(_steering_table(m.steering))
    if made:
        parts.append('<div class="plots">' + "".join(figure(p) for p in made) + "</div>")
    parts.append("</section>")
    return "".join(parts)


def _stored_table(rows: Iterable[StoredAudit]) -> str:
    body = []
    for s in rows:
        said = "".join(f"<li>{severity_badge(f.severity)} <span class=\"text\">{esc(f.message)}</span></li>" for f in s.findings)
        note = s.details.get("report_note")
        said += f'<li class="muted">{esc(note)}</li>' if note else ""
        body.append(f"<tr><td>{esc(s.code)}</td><td>{esc(s.name)}</td><td>{esc(s.model)}</td><td>{esc(s.judge or '-')}</td>"
                    f'<td data-sort="{_rank(s.status)}">{badge(s.status)}</td>'
                    f"<td>{kv(s.metrics, 8, scalars_only=True)}{'<ul>' + said + '</ul>' if said else ''}</td>"
                    f'<td class="path">{esc(s.path)}</td></tr>')
    return ('<h3>Model-backed audits (stored results, judged with the parameters they ran with)</h3>'
            '<table class="sortable"><thead><tr><th>Code</th><th>Audit</th><th>Base model</th><th>Judge</th>'
            '<th data-type="num">Status</th><th>Metrics and findings</th><th>File</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _num(value: Any, spec: str = ".3f") -> str:
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _extraction_table(rows: Iterable[Extraction]) -> str:
    body = []
    for e in rows:
        for method, r in e.methods.items():
            best = r.get("best") or {}
            base = r.get("baselines") or {}
            verdicts = ", ".join(f"{k}: {(v or {}).get('verdict', 'n/a')}"
                                 for k, v in (r.get("confounds_at_best_layer") or {}).items())
            body.append(f"<tr><td>{esc(e.model)}</td><td>{esc(method)}</td><td class=\"num\">{esc(r.get('best_layer'))}</td>"
                        f"<td class=\"num\">{_num(best.get('accuracy'))}</td><td class=\"num\">{_num(best.get('auroc'))}</td>"
                        f"<td class=\"num\">{_num(best.get('cohens_d'), '.2f')}</td>"
                        f"<td class=\"num\">{_num((base.get('random') or {}).get('auroc'))}</td>"
                        f"<td class=\"num\">{_num((base.get('shuffled') or {}).get('auroc'))}</td>"
                        f"<td>{esc(verdicts or '-')}</td><td>{'yes' if e.forced else 'no'}</td>"
                        f'<td class="path">{esc(e.path)}</td></tr>')
    return ('<h3>Extracted vectors (held-out evaluation at the best layer)</h3><table class="sortable"><thead><tr>'
            '<th>Model</th><th>Method</th><th class="num" data-type="num">Best layer</th>'
            '<th class="num" data-type="num">Accuracy</th><th class="num" data-type="num">AUROC</th>'
            '<th class="num" data-type="num">Cohen\'s d</th><th class="num" data-type="num">Random AUROC</th>'
            '<th class="num" data-type="num">Shuffled AUROC</th><th>Confounds</th><th>Forced</th><th>File</th>'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _steering_table(rows: Iterable[SteeringRun]) -> str:
    body = []
    for s in rows:
        b = s.best or {}
        best = (f"layer {b.get('layer')}, ratio {_num(b.get('ratio'), '+.3f')}: trait {_num(b.get('trait_mean'), '.1f')} "
                f"(delta {_num(b.get('delta'), '+.1f')}), coherence {_num(b.get('coherence_mean'), '.1f')}"
                if s.best else f"none ({s.best_reason or 'no coherent run'})")
        body.append(f"<tr><td>{esc(s.model)}</td><td>{esc(s.method or '-')}</td><td>{esc(s.judge or '-')}</td>"
                    f"<td class=\"num\">{_num((s.baseline or {}).get('trait_mean'), '.1f')}</td>"
                    f"<td class=\"num\">{len(s.runs)}</td><td>{esc(best)}</td><td>{esc(s.coherence)}</td>"
                    f'<td class="path">{esc(s.path)}</td></tr>')
    return ('<h3>Steering runs</h3><table class="sortable"><thead><tr><th>Model</th><th>Method</th><th>Judge</th>'
            '<th class="num" data-type="num">Unsteered trait</th><th class="num" data-type="num">Runs</th>'
            '<th>Best run</th><th>Coherence from</th><th>Folder</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _samples(t: TraitReport) -> str:
    if not t.samples:
        return '<section id="samples"><h2>Sample pairs</h2><p class="note">No pairs could be read.</p></section>'
    rows = "".join(f'<tr><td class="num">{p.line}</td><td class="text">{esc(p.positive)}</td>'
                   f'<td class="text">{esc(p.negative)}</td></tr>' for p in t.samples)
    return (f'<section id="samples"><h2>Sample pairs</h2><p class="muted">The first {len(t.samples)} of {t.pairs} '
            "pairs, line for line.</p><table><thead><tr><th>Line</th><th><span class=\"pos\">positive.txt</span></th>"
            f'<th><span class="neg">negative.txt</span></th></tr></thead><tbody>{rows}</tbody></table></section>')


def model_plots(model: ModelResults) -> list[plots.Plot]:
    """The model plots of one folder: per stored audit, extraction and steering run (numbered by kind)."""
    made: list[plots.Plot | None] = []
    for i, s in enumerate(model.audits):
        if s.code in ("TL401", "TL402"):
            made.append(plots.vetting(s, i))
        elif s.code == "TL403":
            made.append(plots.steering_baseline(s, i))
        elif s.code == "TL404":
            made.append(plots.probe(s, i))
        elif s.code == "TL405":
            made.append(plots.fluency(s, i))
    for i, e in enumerate(model.extractions):
        made += [plots.extraction(e, i), plots.confounds(e, i)]
    for i, r in enumerate(model.steering):
        made.append(plots.steering(r, i))
    return [p for p in made if p is not None]


__all__ = ["CSS", "SCRIPT", "document", "esc", "figure", "finding_html", "index_page", "model_plots", "trait_page"]
