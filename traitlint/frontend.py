"""Settings shared by the front ends (CLI and pytest plugin): overrides and the feature-cache location.

Why a module of its own: `traitlint check --select TL1` and `pytest --traitlint-select TL1` must mean
the same thing, and both must find the same cache. Keeping the rules here (and nothing else) keeps
both front ends thin. Cheap to import: no NLP, no registry loading until `apply_overrides` validates.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from traitlint.config import Config

ENV_CACHE_DIR = "TRAITLINT_CACHE_DIR"
DEFAULT_CACHE_DIR = ".traitlint_cache"


def split_selectors(values: Iterable[str] | None) -> list[str]:
    """Flatten repeated and comma-separated selector options: ``["TL1,TL2", "TL3"]`` -> 3 selectors."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


def apply_overrides(config: Config, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                    strict: bool = False) -> Config:
    """Command-line selection over `[tool.traitlint]`, ruff-style, then validate.

    `select` replaces the configured selection; `ignore` extends the configured ignores; `strict`
    can only switch strict mode on. Raises `ConfigError` for unknown selectors or parameters.
    """
    chosen = split_selectors(select)
    if chosen:
        config.select = chosen
    config.ignore = [*config.ignore, *split_selectors(ignore)]
    config.strict = bool(config.strict or strict)
    config.validate()
    return config


def resolve_cache_dir(config: Config, base: Path, flag: str | os.PathLike[str] | None = None,
                      no_cache: bool = False) -> Path | None:
    """Where features are cached: None when disabled.

    Precedence: `no_cache`, then the command-line flag, then the ``TRAITLINT_CACHE_DIR``
    environment variable, then ``cache-dir`` in pyproject.toml, then ``base/.traitlint_cache``
    (`base` is the pytest rootdir or the CLI's working directory).
    """
    if no_cache:
        return None
    if flag:
        return Path(flag).expanduser().resolve()
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    if config.cache_dir is not None:
        return Path(config.cache_dir)
    return (base / DEFAULT_CACHE_DIR).resolve()


def apply_model_overrides(config: Config, enabled: bool = False, base_model: str | None = None,
                          instruct_model: str | None = None, judge: str | None = None,
                          generator: str | None = None) -> Config:
    """Command-line model options over `[tool.traitlint.model]` (same meaning in the CLI and pytest).

    Naming a model or a judge does not switch model checks on by itself; `enabled` does
    (`--model` / `--traitlint-model`), so a configured judge never makes a plain lint call it.
    """
    from traitlint.config import validate_model_choices

    model = config.model
    model.enabled = bool(model.enabled or enabled)
    for attr, value in (("base_model", base_model), ("instruct_model", instruct_model), ("judge", judge),
                        ("generator", generator)):
        if value:
            setattr(model, attr, value.strip())
    validate_model_choices(model)
    return config


def model_services(config: Config, base: Path, feature_cache: Path | None) -> object | None:
    """The `ModelServices` of a run when model checks are on (else None), imported lazily.

    Calls (judge scores, generations) are cached in ``<feature cache>/calls`` or, with the feature
    cache off, ``<base>/.traitlint_cache/calls``: turning the feature cache off never repeats a paid call.
    """
    if not config.model.enabled:
        return None
    from traitlint.model.services import ModelServices

    calls = (feature_cache or (base / DEFAULT_CACHE_DIR).resolve()) / "calls"
    if config.model.cache_dir is None:  # calls go into the cache folder: it gets its CACHEDIR.TAG now
        from traitlint.cachedir import mark_cache_dir

        mark_cache_dir(calls.parent)
    return ModelServices(config.model, calls)


def missing_pipeline_skips(results: Iterable[Any]) -> list[tuple[str, str, str]]:
    """(trait path, audit code, reason) of every audit result skipped because no spaCy pipeline
    (or no spaCy) is installed. `results`: the run's `TraitResult`s."""
    from traitlint.nlp.features import is_missing_pipeline

    return [(trait.path, r.code, r.reason) for trait in results for r in trait.results
            if r.status == "skipped" and is_missing_pipeline(r.reason)]


def missing_pipeline_message(skips: list[tuple[str, str, str]]) -> str:
    """One line for a run that needed the pipeline: what is missing, what it cost, how to fix or opt out.

    Why an error: without the pipeline half the audits skip, and a gate that exits 0 then passes
    folders that fail in a complete install (the pre-commit hook printed "Passed" on such a folder).
    """
    codes = sorted({code for _, code, _ in skips})
    shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
    reason = skips[0][2].rstrip(".")
    return (f"{reason}; without it {len(codes)} audit(s) cannot run ({shown}). "
            "To run the other audits anyway, pass --allow-missing-pipeline "
            "(pytest: --traitlint-allow-missing-pipeline; pyproject.toml: allow-missing-pipeline = true)")
