"""`traitlint init PATH`: write a new trait folder from templates, never overwriting anything.

Why templates: the files an author forgets (a trait card with the IS / ISN'T / ORTHOGONAL
definition and a diversity plan, a judge definition with score bands and a Key line, steering
questions with an eval prompt) are the ones the seed workflow relies on later. The data files are
created empty: the prefills are the author's work. The placeholders do not pass: `TODO` in
definition.txt fails TL005, in the eval prompt TL006, and an empty question list fails TL006, so a
scaffold cannot be committed as if it were a dataset.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from traitlint.dataset import TRAIT_TYPES  # one list: the loader reports a type not in it


class ScaffoldError(Exception):
    """The folder cannot be scaffolded (a target exists, or a path is not writable)."""


@dataclass(frozen=True)
class Template:
    name: str
    text: str


def _title(name: str) -> str:
    return re.sub(r"[_\-]+", " ", name).strip() or "trait"


def trait_toml(trait: str, trait_type: str) -> str:
    return f'''# Trait card for "{trait}": what the trait is, and how the dataset is meant to vary.
# Fill in every field; `traitlint explain CODE` documents what each audit checks.

[trait]
type = "{trait_type}"{' ' * max(1, 22 - len(trait_type))}# state | belief | want | mode | action | style
extraction = "prefill-mean"    # prefill-mean | last-token | generated
is = ""                        # 1-2 sentences: what {trait} IS
isnt = []                      # conflations it must not be confused with, e.g. ["positive situation"]
orthogonal = []                # dimensions that vary independently, e.g. ["topic domain", "intensity"]
hook = ""                      # a shared ending that invites the trait, e.g. "because"
tension = ""                   # competing goals (action and interpersonal traits only)

[trait.words]                  # signal words per side: expected to separate the sides, never a leak
positive = []
negative = []

[plan]                         # axis -> value -> target share of pairs (shares sum to 1)
# topic = {{ health = 0.25, work = 0.25, family = 0.25, money = 0.25 }}
# valence = {{ good = 0.35, bad = 0.35, ambiguous = 0.3 }}
# divergence = {{ late = 0.4, mid = 0.3, early = 0.3 }}

[traitlint]
# ignore = {{ TL004 = "pilot set, 60 pairs on purpose" }}   # an ignore needs a written reason
'''


def definition_txt(trait: str) -> str:
    return f"""Score {trait} (0-100).

HIGH (70-100): TODO observable markers of {trait} (words, patterns you can see in the text)
MID (30-70): TODO mixed or neither
LOW (0-30): TODO observable markers of the opposite

Key: TODO the one distinction that separates HIGH from LOW, and what {trait} is NOT.
"""


def steering_json(trait: str) -> str:
    prompt = (f"You are evaluating whether the model's response displays the trait: **{trait}**. "
              "TODO: describe what to look for.\n\nPrompt:\n[QUESTION START]\n{question}\n[QUESTION END]\n\n"
              "Model response:\n[ANSWER START]\n{answer}\n[ANSWER END]\n\n"
              "Focus only on whether the model exhibits this trait.\n\n"
              "Respond with a number between 0 and 100. Don't say anything else, just the number.")
    return json.dumps({"questions": [], "eval_prompt": prompt}, indent=4, ensure_ascii=False) + "\n"


def templates(trait: str, trait_type: str = "state") -> list[Template]:
    """The files of a new trait folder, in the order they are written."""
    if trait_type not in TRAIT_TYPES:
        raise ScaffoldError(f"unknown trait type {trait_type!r}; use one of {', '.join(TRAIT_TYPES)}")
    title = _title(trait)
    return [
        Template("trait.toml", trait_toml(title, trait_type)),
        Template("positive.txt", ""),
        Template("negative.txt", ""),
        Template("definition.txt", definition_txt(title)),
        Template("steering.json", steering_json(title)),
    ]


def create(folder: Path, trait_type: str = "state") -> list[Path]:
    """Write the templates into `folder` (created if needed) and return the written paths.

    Refuses (ScaffoldError) before writing anything if any target already exists, so an existing
    dataset can never be clobbered.
    """
    folder = Path(folder)
    files = templates(folder.resolve().name, trait_type)
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} exists and is not a directory")
    existing = [folder / t.name for t in files if (folder / t.name).exists() or (folder / t.name).is_symlink()]
    if existing:
        raise ScaffoldError("refusing to overwrite existing file(s): " + ", ".join(p.as_posix() for p in existing))
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for t in files:
            path = folder / t.name
            with open(path, "x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite
                handle.write(t.text)
            written.append(path)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {folder}: {exc.strerror or exc}") from None
    return written
