"""Confound audits (TL101-TL105, TL302-TL307): everything that separates the sides besides the trait.

Importing this package registers them. `view` is their shared groundwork: the cached, order-free
view of a folder's pairs (tokens, trait-word masks, pair diffs, canonical order).
"""
from __future__ import annotations

from traitlint.audits.confounds.concentration import SignalConcentration
from traitlint.audits.confounds.cross_distribution import CrossDistribution
from traitlint.audits.confounds.declared_words import DeclaredTraitWords
from traitlint.audits.confounds.intensity import IntensityMismatch
from traitlint.audits.confounds.length import LengthConfound
from traitlint.audits.confounds.lexical_leak import LexicalLabelLeak
from traitlint.audits.confounds.negation import NegationAsymmetry
from traitlint.audits.confounds.person import PersonConfound
from traitlint.audits.confounds.signal_valence import SignalValence
from traitlint.audits.confounds.valence import ValenceConfound
from traitlint.audits.confounds.vocabulary_clustering import VocabularyClustering

__all__ = ["LexicalLabelLeak", "DeclaredTraitWords", "VocabularyClustering", "ValenceConfound", "PersonConfound", "LengthConfound",
           "IntensityMismatch", "CrossDistribution", "NegationAsymmetry", "SignalConcentration",
           "SignalValence"]
