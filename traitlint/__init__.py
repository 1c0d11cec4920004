"""traitlint: lint trait-vector datasets (matched positive/negative prefills) for confounds.

Linting is pure Python plus spaCy/scikit-learn; it never imports torch or transformers.
"""
from __future__ import annotations

__version__ = "0.1.0"

from traitlint.finding import Evidence, Finding, Severity

__all__ = ["Evidence", "Finding", "Severity", "__version__"]
