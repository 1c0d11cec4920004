"""Confound audits (TL101, TL102, TL302-TL306): everything that separates the sides besides the trait.

Importing this module registers them; the implementations live in small modules:
- `confounds_lexical`: TL101 lexical_label_leak, TL102 vocabulary_clustering
- `confounds_paired`: TL302 valence_confound, TL303 person_confound, TL304 length_confound,
  TL305 intensity_mismatch
- `confounds_classifier`: TL306 cross_distribution
- `confounds_common`: the cached per-folder view (tokens, trait-word masks, pair diffs, canonical order)
"""
from __future__ import annotations

from traitlint.audits.confounds_classifier import CrossDistribution
from traitlint.audits.confounds_lexical import LexicalLabelLeak, VocabularyClustering
from traitlint.audits.confounds_paired import IntensityMismatch, LengthConfound, PersonConfound, ValenceConfound

__all__ = ["LexicalLabelLeak", "VocabularyClustering", "ValenceConfound", "PersonConfound", "LengthConfound",
           "IntensityMismatch", "CrossDistribution"]
