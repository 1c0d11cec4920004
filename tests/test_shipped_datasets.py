"""The four trait folders in datasets/ pass every audit: no errors, no warnings, no ignores.

They are traitlint's demo and its regression corpus; a change that makes an audit flag them is
either an audit bug or a data bug, and must be looked at, not absorbed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from traitlint.config import Config
from traitlint.dataset import discover
from traitlint.nlp.features import FeatureStore
from traitlint.registry import SkipAudit, all_audits
from traitlint.runner import Session

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
EXPECTED = {
    "traits/mental_state/optimism": ("state", "prefill-mean"),
    "traits/epistemic/confidence": ("belief", "last-token"),
    "traits/behavior/refusal": ("action", "generated"),
    "traits/style/formality": ("style", "prefill-mean"),
}


@pytest.fixture(scope="module")
def results():
    try:
        FeatureStore(None).nlp()
    except SkipAudit as exc:  # pragma: no cover - `make install` installs the pipeline
        pytest.skip(str(exc))
    return Session(Config(), FeatureStore(None)).run([DATASETS])


def test_the_four_folders_exist_with_their_taxonomy(results):
    found = {r.path.split("datasets/", 1)[-1] for r in results}
    assert found == set(EXPECTED)
    for folder in discover([DATASETS]):
        from traitlint.dataset import load

        ds = load(folder)
        key = folder.relative_to(DATASETS).as_posix()
        trait = ds.card["trait"]
        assert (trait["type"], trait["extraction"]) == EXPECTED[key]
        assert len(ds.pairs) >= 150
        assert not ds.trait_ignores, f"{key} ignores audits: {ds.trait_ignores}"


@pytest.mark.parametrize("trait", sorted(EXPECTED))
def test_every_audit_passes_without_warnings(results, trait):
    (result,) = [r for r in results if r.path.endswith(trait)]
    static = [a for a in all_audits() if not a.needs_model]  # TL4xx run under --traitlint-model
    assert [r.code for r in result.results] == [a.code for a in static]
    problems = [f"{a.code} {a.status}: {a.reason or '; '.join(f.message for f in a.findings)}"
                for a in result.results if a.status != "passed"]
    assert not problems, "\n".join(problems)
