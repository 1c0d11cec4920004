"""Test-suite configuration: fixture trait folders are data, not lint targets of this suite."""
from __future__ import annotations

import pytest

from traitlint.nlp.features import FeatureStore
from traitlint.registry import SkipAudit

collect_ignore_glob = ["fixtures/*"]
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def store() -> FeatureStore:
    """One FeatureStore with the spaCy pipeline loaded, shared by the whole suite (loading costs ~1 s).

    Skips the requesting test when no English pipeline is installed (`make install` installs one).
    """
    s = FeatureStore(None)
    try:
        s.nlp()
    except SkipAudit as exc:
        pytest.skip(str(exc))
    return s
