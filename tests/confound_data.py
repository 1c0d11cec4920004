"""Synthetic matched pairs for the confound audit tests: clean by construction, plus confound injectors.

A clean pair from `clean` differs only in one declared trait word, so every non-trait feature is
shared by both texts; `realistic_clean` makes pairs that differ as hand-written ones do (a trait
phrase of up to three words, neutral rewording on either side) with no confound. Each injector adds
exactly one confound from issue 3 to an otherwise clean set; `inject_many` combines several.
"""
from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

SUBJECTS = [  # (subject, lower-case subject form, possessive, third-person replacement)
    ("Maria", "Maria", "her", "Maria"), ("The team", "the team", "their", "The team"),
    ("I", "I", "my", "She"), ("We", "we", "our", "They"), ("Dev", "Dev", "his", "Dev"),
    ("The board", "the board", "its", "The board"), ("My sister", "my sister", "her", "My sister"),
    ("Our lab", "our lab", "its", "Their lab"),
]
GOOD = ["won the regional grant", "happily renewed the studio lease", "finished the bridge repair with success",
        "landed a great new client", "passed the audit with praise", "enjoyed a wonderful harvest"]
BAD = ["lost the warehouse contract", "missed the filing deadline", "failed the safety inspection",
       "saw the budget cut in half", "lost two senior engineers", "ruined the first prototype"]
NEUTRAL = ["moved the launch to spring", "changed the supplier", "switched offices", "rescheduled the review"]
TIMES = ["week", "month", "quarter", "season"]
WORDS = [("hopeful", "worried"), ("encouraged", "discouraged"), ("optimistic", "pessimistic"),
         ("upbeat", "uneasy"), ("confident", "doubtful")]
FRAMES = [
    "{S} {sit} last {t}. Thinking about the next step, the mood felt {w} because",
    "After {s} {sit} this {t}, the notes described the outlook as {w}, since",
    "In the report on how {s} {sit}, the summary sounded {w} about what comes next, as",
    "{S} {sit} during the {t}, and the conversation that followed was {w} about",
]
GOOD_NEWS = ["won a huge award and celebrated", "got wonderful news and cheered", "earned a great bonus and smiled"]
BAD_NEWS = ["suffered a terrible loss and cried", "got awful news and grieved", "faced a horrible failure and wept"]
NEUTRAL_SENTENCES = ["The building had four floors and a parking area.",
                     "The office stood next to a small station on the east side.",
                     "There were several chairs arranged in two rows near the window."]


@dataclass
class Spec:
    """One pair: indices into the tables above."""

    subject: int
    situation: int  # index into GOOD + BAD + NEUTRAL
    time: int
    words: int
    frame: int


def render(spec: Spec, side: str, sit: str | None = None, subject: tuple[str, str] | None = None,
           word: str | None = None) -> str:
    subj, low, _poss, _third = SUBJECTS[spec.subject % len(SUBJECTS)]
    if subject:
        subj, low = subject
    situations = GOOD + BAD + NEUTRAL
    w = word or WORDS[spec.words % len(WORDS)][0 if side == "positive" else 1]
    frame = FRAMES[spec.frame % len(FRAMES)]
    return frame.format(S=subj, s=low, sit=sit or situations[spec.situation % len(situations)],
                        t=TIMES[spec.time % len(TIMES)], w=w)


def clean(specs: Sequence[Spec]) -> tuple[list[str], list[str]]:
    return [render(s, "positive") for s in specs], [render(s, "negative") for s in specs]


#: Trait phrases of the realistic generator: several words differ within a pair (same token count),
#: many phrasings per side, none dominant; all their words are declared trait words.
PHRASES = [("hopeful", "worried"), ("encouraged", "discouraged"), ("optimistic", "pessimistic"),
           ("upbeat", "uneasy"), ("confident", "doubtful"), ("bright and steady", "dark and shaky"),
           ("calm and positive", "tense and negative"), ("cheerful", "gloomy"), ("promising", "alarming"),
           ("buoyant", "deflated"), ("sunny", "bleak"), ("eager", "anxious")]
#: Neutral wording that varies independently on either side of a pair, as in hand-written pairs
#: ("the notes" on one side, "the minutes" on the other): never one-sided in aggregate.
SWAPS = [("the notes", "the minutes"), ("the report", "the memo"), ("the mood", "the atmosphere"),
         ("the conversation", "the discussion"), ("the summary", "the overview"), ("next step", "next stage")]


def realistic_clean(specs: Sequence[Spec], seed: int = 0) -> tuple[list[str], list[str]]:
    """Clean pairs that differ in more than one declared word, like real ones: the trait is a phrase
    (`PHRASES`, up to three differing tokens), and neutral wording (`SWAPS`) is reworded on one side
    of about 30% of the pairs that contain it, on whichever side has been reworded less so far, so
    the sides are not identical outside the trait signal but no non-trait word leans to one side.
    Deterministic in `seed`."""
    import random

    rnd = random.Random(seed)
    swapped = {(a, side): 0 for a, _ in SWAPS for side in (0, 1)}
    pos, neg = [], []
    for i, spec in enumerate(specs):
        phrase = PHRASES[(spec.words + 5 * (i % 3)) % len(PHRASES)]
        texts = []
        for side, name in enumerate(("positive", "negative")):
            word = WORDS[spec.words % len(WORDS)][side]
            texts.append(render(spec, name).replace(f" {word}", " " + phrase[side], 1))
        for a, b in SWAPS:
            if a in texts[0] and rnd.random() < 0.3:
                side = min((0, 1), key=lambda k: (swapped[(a, k)], rnd.random()))
                swapped[(a, side)] += 1
                texts[side] = texts[side].replace(a, b, 1)
        pos.append(texts[0])
        neg.append(texts[1])
    return pos, neg


def phrase_card(swap: bool = False) -> str:
    """The trait card declaring every word of `PHRASES` (their words are the trait signal);
    `swap` declares each side's words on the other side (the card of a swapped folder)."""
    words = {"positive": set(), "negative": set()}
    for p, n in PHRASES:
        words["positive"].update(w for w in p.split() if w != "and")
        words["negative"].update(w for w in n.split() if w != "and")
    return trait_toml(sorted(words["positive"]), sorted(words["negative"]), swap=swap)


def default_specs(n: int = 36) -> list[Spec]:
    """A balanced set: every subject, situation kind, frame and word pair spread evenly."""
    return [Spec(i, (i * 7) % 16, i, (i * 3) % 5, (i * 5) % 4) for i in range(n)]


def trait_toml(extra_positive: Sequence[str] = (), extra_negative: Sequence[str] = (), swap: bool = False) -> str:
    """A state card declaring `WORDS` (plus extras); `swap` declares the sides the other way round,
    the card of a folder whose positive.txt and negative.txt are swapped (a declaration is a claim
    about a side: on the wrong side it takes no effect)."""
    pos = [p for p, _ in WORDS] + list(extra_positive)
    neg = [n for _, n in WORDS] + list(extra_negative)
    if swap:
        pos, neg = neg, pos
    return ('[trait]\ntype = "state"\n\n[trait.words]\n'
            f"positive = {json.dumps(pos)}\nnegative = {json.dumps(neg)}\n")


def _scratch_dir() -> Path:
    """A fresh temp dir, removed when the test process exits (property tests write hundreds)."""
    path = tempfile.mkdtemp(prefix="tl-confounds-")
    atexit.register(shutil.rmtree, path, True)
    return Path(path)


def write_folder(root: Path | None, positive: Sequence[str], negative: Sequence[str], card: str | None = None,
                 name: str = "trait") -> Path:
    """Write a trait folder (in a fresh temp dir when `root` is None) and return its path."""
    base = Path(root) if root is not None else _scratch_dir()
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "positive.txt").write_text("\n".join(positive) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(negative) + "\n", encoding="utf-8")
    (folder / "definition.txt").write_text("Score optimism (0-100).\nHIGH: hopeful\nLOW: worried\nKey: outlook\n",
                                           encoding="utf-8")
    (folder / "steering.json").write_text(json.dumps({"questions": ["What causes rain?"], "eval_prompt": "{question} {answer}"}),
                                          encoding="utf-8")
    if card is not None:
        (folder / "trait.toml").write_text(card, encoding="utf-8")
    return folder


# --- confound injectors: (positive, negative, specs) -> (positive, negative) --------------------------
def inject_opener(pos: list[str], neg: list[str], specs: Sequence[Spec], share: float = 0.85) -> tuple[list[str], list[str]]:
    """An opener added to most positives only (the seed's "Despite..." leak)."""
    k = int(round(share * len(pos)))
    return [("Still, " + p) if i < k else p for i, p in enumerate(pos)], list(neg)


def inject_length(pos: list[str], neg: list[str], specs: Sequence[Spec]) -> tuple[list[str], list[str]]:
    """Extra neutral sentences on the negative side."""
    return list(pos), [" ".join(NEUTRAL_SENTENCES[i % 3: i % 3 + 2]) + " " + n for i, n in enumerate(neg)]


def inject_person(pos: list[str], neg: list[str], specs: Sequence[Spec]) -> tuple[list[str], list[str]]:
    """First person on the positive side, third person on the negative side."""
    p = [render(s, "positive", subject=("I", "I")) for s in specs]
    n = [render(s, "negative", subject=("She", "she")) for s in specs]
    return p, n


def inject_valence(pos: list[str], neg: list[str], specs: Sequence[Spec]) -> tuple[list[str], list[str]]:
    """Good-news situations on the positive side, bad-news ones on the negative side."""
    p = [render(s, "positive", sit=GOOD_NEWS[i % 3]) for i, s in enumerate(specs)]
    n = [render(s, "negative", sit=BAD_NEWS[i % 3]) for i, s in enumerate(specs)]
    return p, n


def inject_rare_word(pos: list[str], neg: list[str], specs: Sequence[Spec], share: float = 0.4) -> tuple[list[str], list[str]]:
    """One rare content word added to many positive lines."""
    k = int(round(share * len(pos)))
    return [p.replace(" the ", " the turquoise ", 1) if i < k else p for i, p in enumerate(pos)], list(neg)


def inject_intensity(pos: list[str], neg: list[str], specs: Sequence[Spec]) -> tuple[list[str], list[str]]:
    """The positive side's trait words intensified ("extremely hopeful!!")."""
    p = [render(s, "positive", word="extremely " + WORDS[s.words % len(WORDS)][0] + "!!") for s in specs]
    return p, list(neg)


#: Injectors that re-render the pair from its spec (a render keyword per side); applying one after
#: another would silently drop the first, so :func:`inject_many` renders them together.
RENDER_KWARGS = {
    "TL303": lambda i, s: ({"subject": ("I", "I")}, {"subject": ("She", "she")}),
    "TL302": lambda i, s: ({"sit": GOOD_NEWS[i % 3]}, {"sit": BAD_NEWS[i % 3]}),
    "TL305": lambda i, s: ({"word": "extremely " + WORDS[s.words % len(WORDS)][0] + "!!"}, {}),
}


def inject_many(specs: Sequence[Spec], codes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The clean pairs with every confound in `codes` injected, none overwriting another.

    Render-level confounds (person, valence, intensity) are combined into one rendering; the
    text-level ones (opener, length, rare word) are applied to that text afterwards.
    """
    pos, neg = [], []
    for i, s in enumerate(specs):
        kw_pos: dict = {}
        kw_neg: dict = {}
        for code in codes:
            if code in RENDER_KWARGS:
                a, b = RENDER_KWARGS[code](i, s)
                kw_pos.update(a)
                kw_neg.update(b)
        pos.append(render(s, "positive", **kw_pos))
        neg.append(render(s, "negative", **kw_neg))
    for code in codes:
        if code not in RENDER_KWARGS:
            pos, neg = INJECTORS[code](pos, neg, specs)
    return pos, neg


INJECTORS = {"TL101": inject_opener, "TL304": inject_length, "TL303": inject_person, "TL302": inject_valence,
             "TL102": inject_rare_word, "TL305": inject_intensity}
