"""Confound audits (TL101, TL102, TL302-TL306): everything that separates the sides besides the trait.

Importing this package registers them. `view` is their shared groundwork: the cached, order-free
view of a folder's pairs (tokens, trait-word masks, pair diffs, canonical order).
"""
from __future__ import annotations

from traitlint.audits.confounds.cross_distribution import CrossDistribution
from traitlint.audits.confounds.intensity import IntensityMismatch
from traitlint.audits.confounds.length import LengthConfound
from traitlint.audits.confounds.lexical_leak import LexicalLabelLeak
from traitlint.audits.confounds.person import PersonConfound
from traitlint.audits.confounds.valence import ValenceConfound
from traitlint.audits.confounds.vocabulary_clustering import VocabularyClustering

__all__ = ["LexicalLabelLeak", "VocabularyClustering", "ValenceConfound", "PersonConfound", "LengthConfound",
           "IntensityMismatch", "CrossDistribution"]
