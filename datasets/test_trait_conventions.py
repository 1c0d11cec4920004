"""Project conventions for our own trait folders, written as plain pytest over `trait_dataset`.

The traitlint plugin parametrizes `trait_dataset` over every trait folder under `datasets/`, so
checks that are specific to this repository (not general enough to be audits) live here.
"""
from __future__ import annotations

#: The seed's taxonomy: which extraction methods suit which trait type.
EXTRACTION_FOR_TYPE = {
    "state": {"prefill-mean", "last-token"},
    "belief": {"last-token"},
    "want": {"last-token"},
    "mode": {"prefill-mean"},
    "action": {"generated"},
    "style": {"prefill-mean"},
}


def test_card_type_and_extraction_follow_the_seed_taxonomy(trait_dataset):
    card = (trait_dataset.card or {}).get("trait") or {}
    assert card.get("type") in EXTRACTION_FOR_TYPE, "trait.toml needs [trait] type"
    assert card.get("extraction") in EXTRACTION_FOR_TYPE[card["type"]]
    for field in ("is", "isnt", "orthogonal"):
        assert card.get(field), f"trait.toml [trait] lacks {field!r} (seed Phase 1)"


def test_every_pair_is_annotated_with_every_planned_axis(trait_dataset):
    plan = (trait_dataset.card or {}).get("plan") or {}
    assert plan, "trait.toml needs a [plan] (seed Phase 3)"
    annotations = trait_dataset.annotations
    assert annotations is not None and len(annotations) == len(trait_dataset.pairs)
    for number, labels in enumerate(annotations, 1):
        for axis, values in plan.items():
            assert labels.get(axis) in values, f"annotations.jsonl:{number}: {axis}={labels.get(axis)!r} not in plan"
