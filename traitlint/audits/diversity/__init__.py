"""Diversity audits (seed Phases 3, 5 and 6): frames (TL201, TL202), divergence spectrum (TL203),
manifestation (TL204), plan coverage (TL205), decision tail (TL206) and topics (TL301).

Importing this package registers them; `common` holds their shared plan, annotation and evidence helpers.
"""
from __future__ import annotations

from traitlint.audits.diversity.decision_tail import DecisionTail
from traitlint.audits.diversity.divergence import DivergenceSpectrum
from traitlint.audits.diversity.manifestation_coverage import ManifestationCoverage
from traitlint.audits.diversity.plan_coverage import PlanCoverage
from traitlint.audits.diversity.templates import SyntacticUniformity, TemplateClustering
from traitlint.audits.diversity.topic_imbalance import TopicImbalance

__all__ = ["TemplateClustering", "SyntacticUniformity", "DivergenceSpectrum", "ManifestationCoverage",
           "PlanCoverage", "TopicImbalance", "DecisionTail"]
