"""Test-suite configuration: fixture trait folders are data, not lint targets of this suite."""
from __future__ import annotations

collect_ignore_glob = ["fixtures/*"]
pytest_plugins = ["pytester"]
