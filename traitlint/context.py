"""What an audit sees: one trait folder, the corpus of the run, and lazily computed features."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traitlint.dataset import TraitDataset
from traitlint.nlp.features import FeatureStore, FolderFeatures


@dataclass
class Corpus:
    """Every trait folder in one run: corpus-level audits (cross-folder duplicates) look here."""

    datasets: list[TraitDataset] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, build: Any) -> Any:
        """Compute a corpus-wide index once per run (`build` is a zero-argument callable)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]


@dataclass
class AuditContext:
    dataset: TraitDataset
    corpus: Corpus
    store: FeatureStore
    #: The model services (`traitlint.model.services.ModelServices`) when model checks are on, else None.
    model: Any = None
    _features: FolderFeatures | None = None

    def features(self) -> FolderFeatures:
        """spaCy features of both sides (raises SkipAudit when no pipeline is installed)."""
        if self._features is None:
            ds = self.dataset
            self._features = self.store.folder_features(
                [p.text for p in ds.positive], [p.text for p in ds.negative], ds.content_hash())
        return self._features
