"""Structural audits (TL001-TL007): files, pairing, duplicates, size, definition and steering format, endings.

They read the folder's files only (no NLP pipeline) and take milliseconds per folder. Importing
this package registers them; `text` and `alignment` are their shared helpers.
"""
from __future__ import annotations

from traitlint.audits.structural import (  # noqa: F401
                                         definition_format,
                                         duplicates,
                                         files,
                                         pair_count,
                                         pairing,
                                         prefill_ending,
                                         steering_format,
)
