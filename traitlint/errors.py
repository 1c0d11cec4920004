"""Exceptions that cross layers.

`SkipAudit` lives here, not in the registry, because the feature layer raises it (no spaCy
pipeline installed) and must not import the audit layer above it. It is public as
`traitlint.registry.SkipAudit`.
"""
from __future__ import annotations


class SkipAudit(Exception):
    """Raised by `compute` when an audit cannot run on this folder (the reason is reported)."""
