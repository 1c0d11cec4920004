"""Per-text and per-pair features (layer 2): spaCy tokens and morphology, frames, topics,
manifestation, language, sentiment, lexicons, pair diffs and paired statistics.

Pure functions of the text, computed once per folder and cached by content hash (`features`).
Nothing here knows about audits, thresholds or findings; the audits build on it.
"""
