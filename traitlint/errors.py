"""Exceptions that cross layers.

`SkipAudit` lives here, not in the registry, because the feature layer raises it (no spaCy
pipeline installed) and must not import the audit layer above it. It is public as
`traitlint.registry.SkipAudit`.
"""
from __future__ import annotations


class SkipAudit(Exception):
    """Raised by `compute` when an audit cannot run on this folder (the reason is reported)."""


class Unavailable(RuntimeError):
    """Something an audit needs cannot be had (a model, an optional package, an API key).

    Not a traitlint bug and not a skip: the check could not run, so the runner reports it as an
    `error` result whose message says what to install or set. The model layer's
    `ModelUnavailable` and `RemoteConfigError` derive from it.
    """
