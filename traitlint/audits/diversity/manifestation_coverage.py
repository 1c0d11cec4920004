"""TL204 manifestation_coverage: behavioural traits appear in several manifestation types."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.diversity.common import (
    BEHAVIOURAL_TYPES,
    card_type,
    english_share,
    evidence,
    pct,
    plan_line,
    plan_of,
    require_english,
    side_values,
)
from traitlint.audits.diversity.plan_coverage import _toml_evidence
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp import manifestation
from traitlint.registry import Audit, register


@register
class ManifestationCoverage(Audit):
    """What it does
    Finds how the trait manifests in each pair: the `manifestation` label of annotations.jsonl
    when present, otherwise a transparent guess from the text where the pair diverges (document,
    quoted speech, reported speech, internal state, action; see `traitlint.manifestation`). For
    behavioural traits (trait.toml `type = "action"` or `"want"`, or a `[plan] manifestation`
    axis) it fails when one type holds more than `max_share` of the pairs and warns when a planned
    type holds less than `min_share` (or its planned share, if smaller) or is missing.

    The guess reads the positive text from the first word where it differs from its negative
    (the part carrying the trait); the first rule that fires wins:
    1. document - the text opens like one (header, "Dear", "Subject:", a list item, a line
       break) or a writing verb (write, email, post...) takes a document noun (email, report...);
    2. quoted_speech - half of those words, or at least three, are inside quotation marks;
    3. reported_speech - a speech verb (say, tell, admit, assure...) there or governing it;
    4. internal_state - a cognition/emotion verb (think, feel, hope) or adjective (afraid, sure);
    5. action - any other verb; 6. other - no verb to judge by.
    Label `manifestation` in annotations.jsonl to replace the guess with your own types.

    Without a trait card the audit cannot know whether the trait is behavioural and the guess is
    a heuristic, so it only reports the inferred distribution as info. For declared non-behavioural
    types (state, belief, mode, style) it reports nothing; the distribution is in the metrics.

    Why it matters
    A deception vector trained only on quoted lies may not fire on deceptive actions or documents
    (seed: "Each type should have ~15-25% of examples").

    Example
    `type = "action"`, 80 of 100 positive lines diverge inside a quotation -> error "quoted_speech
    in 80% of pairs".

    How to fix
    Write pairs where the trait shows in other forms (an action, a document, a thought, reported
    speech) and label them in annotations.jsonl (`"manifestation": "..."`).
    """

    code = "TL204"
    name = "manifestation_coverage"
    summary = "Behavioural traits manifest in several forms; no type above 50%, planned types >= 15%."
    rationale = "A vector from one manifestation (quoted speech) may not generalise to actions or documents."
    fix = "Add pairs where the trait shows as actions, documents, thoughts or reported speech; label them."
    severity = Severity.ERROR
    params = {"max_share": 0.5, "min_share": 0.15}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        plan, _ = plan_of(ds)
        planned = plan.get("manifestation", {})
        kind = card_type(ds)
        labels = side_values(ds, "manifestation")
        labelled = [lab[0] for lab in labels] if labels is not None else []
        if labelled and any(v is not None for v in labelled):
            source, per_pair = "annotations", labelled
        else:
            ff = ctx.features()
            require_english(english_share(ctx))
            source = "inferred"
            per_pair = [manifestation.infer(p, n, pair.positive.text)
                        for p, n, pair in zip(ff.positive, ff.negative, ds.pairs)]
        known = [v for v in per_pair if v is not None]
        counts = Counter(known)
        total = len(known) or 1
        return {
            "source": source, "trait_type": kind, "behavioural": kind in BEHAVIOURAL_TYPES or bool(planned),
            "pairs": len(per_pair), "unlabelled": len(per_pair) - len(known),
            "distribution": {k: round(c / total, 4) for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))},
            "planned": planned,
            "examples": {k: [i for i, v in enumerate(per_pair) if v == k][:3] for k in sorted(counts)},
        }

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        dist = metrics["distribution"]
        shown = ", ".join(f"{k} {pct(v)}" for k, v in dist.items()) or "none"
        if not metrics["behavioural"]:
            if metrics["trait_type"] is None and dist:
                return [self.finding(Severity.INFO, f"{metrics['source']} manifestation forms: {shown} (no trait.toml "
                                     "type, so not judged; set type = \"action\" or \"want\" to check coverage)",
                                     {"distribution": dist}, None, [],
                                     "Declare the trait type in trait.toml; label manifestations in annotations.jsonl.")]
            return []
        out = []
        top, share = next(iter(dist.items()), (None, 0.0))
        if top is not None and share > params["max_share"]:
            how = ("annotations" if metrics["source"] == "annotations" else
                   "inferred from the words after each pair diverges; rules: `traitlint explain TL204`")
            out.append(self.finding(Severity.ERROR, f"{top} in {pct(share)} of pairs ({how}; limit "
                                    f"{pct(params['max_share'])}); distribution: {shown}",
                                    {"type": top, "share": share, "distribution": dist}, params["max_share"],
                                    evidence(ds, metrics["examples"].get(top, []))))
        planned = metrics["planned"]
        if planned and metrics["source"] == "inferred" and not set(planned) <= set(manifestation.KINDS):
            out.append(self.finding(Severity.INFO, f"planned manifestation types {', '.join(sorted(planned))} cannot "
                                    "be inferred from text; label them in annotations.jsonl to check coverage",
                                    {"planned": planned, "inferred": dist}, None,
                                    [_toml_evidence(ds, plan_line(ds, "manifestation"))]))
            return out
        for value, target in sorted(planned.items()):
            floor = min(params["min_share"], target)
            got = dist.get(value, 0.0)
            if got < floor:
                what = "missing" if got == 0 else f"only {pct(got)} of pairs"
                out.append(self.finding(Severity.WARNING, f"planned manifestation {value!r} is {what} (target "
                                        f"{pct(target)}, minimum {pct(floor)})",
                                        {"type": value, "share": got, "target": target}, floor,
                                        [_toml_evidence(ds, plan_line(ds, "manifestation"))]))
        if metrics["unlabelled"] and metrics["source"] == "annotations":
            out.append(self.finding(Severity.WARNING, f"{metrics['unlabelled']} pairs have no manifestation label",
                                    {"unlabelled": metrics["unlabelled"]}, 0, [Evidence("annotations.jsonl", None, "")],
                                    "Label every pair's manifestation in annotations.jsonl."))
        return out
