"""Repository-wide pytest set-up.

`pytest` here runs the test suite (`tests/`) and lints the shipped trait folders (`datasets/`: one
item per audit through the traitlint plugin, plus the plain checks in `datasets/test_*.py`).
Everything runs offline: model hubs are unreachable on CI machines, so say so up front.
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

collect_ignore = ["benchmarks", ".venv", "build"]
