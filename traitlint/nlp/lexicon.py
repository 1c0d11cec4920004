"""Word lists for the confound audits, and the matcher for declared trait words.

Why curated lists instead of spaCy's stop words: a leak's severity depends on the kind of word
("but" in 95% of positives is a template, "hopeful" is the trait), and that decision must not change
with a tagger's mood on one sentence. Closed-class words are a fixed, small set in English, so a
static list gives every text the same answer; spaCy's POS is used only as a fallback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

# --- closed-class words --------------------------------------------------------------------------
_DETERMINERS = """a an the this that these those each every either neither some any no all both half
another other such what which whatever whichever many much more most few fewer little less least
several enough own same""".split()
_PRONOUNS = """i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves one oneself who whom whose
someone somebody something anyone anybody anything everyone everybody everything nobody nothing none
noone y'all ya""".split()
_PREPOSITIONS = """about above across after against along amid among amongst around as at before behind
below beneath beside besides between beyond by concerning despite down during except for from in
inside into like near of off on onto out outside over past per regarding round since than through
throughout till to toward towards under underneath unlike until unto up upon via with within without
amidst""".split()
_CONJUNCTIONS = """and but or nor so yet for because although though while whereas if unless whether
once lest since till until that when whenever where wherever whereby as than""".split()
_CONNECTIVES = """however nevertheless nonetheless still therefore thus hence moreover furthermore
meanwhile instead otherwise also too even just only then anyway besides accordingly consequently
indeed again already ever never always""".split()
_AUXILIARIES = """be am is are was were been being have has had having do does did doing done will would
shall should can could may might must ought need dare wo sha ca gonna wanna gotta""".split()
_CONTRACTIONS = """'s 'm 're 've 'll 'd n't ’s ’m ’re ’ve ’ll ’d n’t""".split()
_NEGATIONS = """not no never none nobody nothing nowhere neither nor n't n’t cannot""".split()
_DEGREE = """very so too quite rather really somewhat fairly pretty""".split()
_WH = """how why what when where who which whose whom""".split()
_OTHER = """there here not yes oh ah well ok okay please let""".split()

FUNCTION_WORDS: frozenset[str] = frozenset(
    _DETERMINERS + _PRONOUNS + _PREPOSITIONS + _CONJUNCTIONS + _CONNECTIVES + _AUXILIARIES + _CONTRACTIONS
    + _NEGATIONS + _DEGREE + _WH + _OTHER)
#: Universal POS tags of closed-class words (fallback for words missing above).
FUNCTION_POS: frozenset[str] = frozenset({"DET", "ADP", "CCONJ", "SCONJ", "PRON", "AUX", "PART"})
#: Universal POS tags of content words (TL102 counts these lemmas).
CONTENT_POS: frozenset[str] = frozenset({"NOUN", "VERB", "ADJ", "ADV", "PROPN"})
NEGATIONS: frozenset[str] = frozenset(_NEGATIONS)

# --- intensity -----------------------------------------------------------------------------------
#: Words that strengthen what follows ("very worried"). Scores are the added intensity (TL305).
BOOSTERS: dict[str, float] = {w: 1.0 for w in """very extremely incredibly really truly deeply totally
completely absolutely utterly highly hugely immensely tremendously terribly awfully so such
remarkably exceptionally seriously super especially particularly thoroughly entirely enormously
insanely ridiculously unbelievably wildly intensely profoundly overwhelmingly genuinely
definitely certainly undoubtedly""".split()}
#: Words that soften what follows ("slightly worried"). Scores are the removed intensity (TL305).
DAMPENERS: dict[str, float] = {w: 1.0 for w in """slightly somewhat fairly mildly moderately
a_bit kinda sorta barely hardly scarcely marginally partly partially relatively reasonably
rather quite little tad bit vaguely faintly mostly almost nearly""".split()}

# --- punctuation ---------------------------------------------------------------------------------
#: Punctuation patterns TL101/TL306 look for: name -> characters that realise it.
PUNCTUATION: dict[str, tuple[str, ...]] = {
    "!": ("!",),
    "?": ("?",),
    "...": ("...", "…"),
    "—": ("—", "–", " - ", "--"),
    ";": (";",),
    ":": (":",),
    "quote": ('"', "“", "”"),
    "(": ("(", ")"),
    ",": (",",),
}

# --- synonyms (TL102 hints) ----------------------------------------------------------------------
#: A small hand-written thesaurus for words that recur in trait datasets. Not exhaustive: TL102
#: falls back to a generic hint for words missing here.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "hopeful": ("optimistic", "encouraged", "upbeat", "positive about"),
    "worry": ("fear", "dread", "be uneasy", "be anxious"),
    "worried": ("uneasy", "anxious", "apprehensive", "nervous"),
    "confident": ("sure", "certain", "assured", "convinced"),
    "sure": ("certain", "positive", "convinced", "confident"),
    "certain": ("sure", "definite", "convinced"),
    "maybe": ("perhaps", "possibly", "it could be that"),
    "perhaps": ("maybe", "possibly", "conceivably"),
    "probably": ("likely", "presumably", "in all likelihood"),
    "honestly": ("frankly", "truthfully", "to be fair", "candidly"),
    "actually": ("in fact", "really", "as it happens"),
    "genuinely": ("truly", "sincerely", "really"),
    "excited": ("thrilled", "eager", "delighted", "keen"),
    "happy": ("glad", "pleased", "delighted", "content"),
    "sad": ("unhappy", "down", "sorrowful", "heavy-hearted"),
    "angry": ("furious", "irritated", "annoyed", "livid"),
    "nervous": ("jittery", "on edge", "uneasy", "tense"),
    "calm": ("composed", "relaxed", "steady", "unruffled"),
    "afraid": ("scared", "fearful", "frightened"),
    "scared": ("afraid", "frightened", "fearful"),
    "tell": ("say", "mention", "explain", "remark"),
    "say": ("tell", "remark", "mention", "reply", "answer"),
    "think": ("believe", "reckon", "suspect", "figure"),
    "feel": ("sense", "find", "seem"),
    "know": ("be aware", "realise", "understand"),
    "help": ("assist", "support", "aid"),
    "refuse": ("decline", "turn down", "say no to"),
    "decline": ("refuse", "turn down", "pass on"),
    "problem": ("issue", "difficulty", "setback", "trouble"),
    "opportunity": ("chance", "opening", "prospect"),
    "improve": ("get better", "progress", "advance"),
    "fail": ("fall short", "collapse", "go wrong"),
    "good": ("fine", "solid", "decent", "great"),
    "bad": ("poor", "rough", "grim", "awful"),
    "great": ("excellent", "wonderful", "terrific"),
    "terrible": ("awful", "dreadful", "dire"),
    "definitely": ("certainly", "surely", "without doubt"),
    "really": ("truly", "genuinely", "very"),
    "clearly": ("obviously", "plainly", "evidently"),
    "unfortunately": ("sadly", "regrettably", "alas"),
    "luckily": ("fortunately", "happily", "thankfully"),
    "team": ("group", "crew", "colleagues", "staff"),
    "friend": ("colleague", "neighbour", "partner", "sibling"),
    "manager": ("boss", "supervisor", "lead", "director"),
}


def is_function_word(lower: str, pos: str = "") -> bool:
    """True for closed-class words (the seed's "but/and", "Despite/Because" leaks)."""
    return lower in FUNCTION_WORDS or pos in FUNCTION_POS


def is_punct(token: str) -> bool:
    """A token made only of punctuation/symbol characters."""
    if not token or token[0].isalnum():  # fast path: almost every token starts with a letter or digit
        return False
    return not any(ch.isalnum() for ch in token)


# --- declared trait words ------------------------------------------------------------------------
_WORDLIKE = re.compile(r"^[a-z][a-z\-]*$")


def stem(word: str) -> str:
    """A crude English stemmer for matching declared words to their inflections.

    Decision (documented in TL101): a declared word covers its inflections and its -ly / -ness
    forms ("hopeful" covers "hopefully", "worried" covers "worry" and "worrying"), but never a
    different derivation ("hopeful" does not cover "hopeless": that may be the other side's word).
    """
    w = word.lower()
    for old, new in (("iness", "y"), ("ily", "y"), ("ied", "y"), ("ies", "y")):
        if w.endswith(old) and len(w) - len(old) >= 2:
            return w[: -len(old)] + new
    for suffix in ("ingly", "edly", "ness", "ing", "ly", "ed", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # "stopped" -> "stopp" -> "stop"
    return w


@dataclass
class TraitMatch:
    """Which tokens of one text belong to declared trait words, and which entries were found."""

    mask: list[bool]
    found: frozenset[str] = field(default_factory=frozenset)


class TraitWords:
    """Declared signal words (`[trait.words]`), matched case-insensitively against tokens and lemmas.

    Single words match a token whose lower form, lemma or stem (see `stem`) equals the entry's; a
    token that is itself a bare stem ("last") matches only an entry that is one too, so declaring an
    inflected form ("lasting", "worried") does not exempt a different word sharing its stem.
    Entries with spaces, apostrophes or punctuation ("can't", "no problem", "!") match the text's
    characters (word boundaries at word-character ends) and mark every token they overlap, so they
    work whatever the tokenizer does with them ("can't" -> "ca" + "n't").
    """

    def __init__(self, positive: Iterable[str] = (), negative: Iterable[str] = ()) -> None:
        self.side: dict[str, str] = {}
        for label, words in (("positive", positive), ("negative", negative)):
            for w in words:
                w = w.strip().lower()
                if w and w not in self.side:
                    self.side[w] = label
        self._by_form: dict[str, str] = {}
        self._by_stem: dict[str, str] = {}
        spans = []
        for entry in self.side:
            if _WORDLIKE.match(entry):
                self._by_form.setdefault(entry, entry)
                if len(entry) >= 4:
                    self._by_stem.setdefault(stem(entry), entry)
            else:
                # Clitics ("n't", "'ll") attach to the previous word: no boundary before them.
                clitic = entry[0] in "'’" or entry in ("n't", "n’t")
                left = r"\b" if entry[0].isalnum() and not clitic else ""
                right = r"\b" if entry[-1].isalnum() else ""
                body = r"\s+".join("".join("['’]" if ch in "'’" else re.escape(ch) for ch in part)
                                    for part in entry.split())
                spans.append((entry, re.compile(left + body + right, re.IGNORECASE)))
        self._spans = spans

    def __bool__(self) -> bool:
        return bool(self.side)

    @property
    def entries(self) -> list[str]:
        return sorted(self.side)

    def entry_for(self, lower: str, lemma: str = "") -> str | None:
        """The declared entry a single token realises, or None."""
        if not self._by_form and not self._by_stem:
            return None
        for form in (lower, lemma):
            if form and form in self._by_form:
                return self._by_form[form]
        if self._by_stem and len(lower) >= 4:
            for form in (lower, lemma):
                if not form:
                    continue
                root = stem(form)
                hit = self._by_stem.get(root)
                # A bare stem only matches a bare-stem entry: declaring "lasting" covers "lasted" but
                # must not exempt "last" ("last night"), a different word that shares the stem.
                if hit and (form != root or stem(hit) == hit):
                    return hit
        return None

    def match(self, text: str, words: Sequence[str], lemmas: Sequence[str]) -> TraitMatch:
        """Mark the tokens of one text that belong to declared entries."""
        n = len(words)
        if not self.side:
            return TraitMatch([False] * n)
        mask = [False] * n
        found: set[str] = set()
        for i, (w, lem) in enumerate(zip(words, lemmas)):
            entry = self.entry_for(w.lower(), lem)
            if entry:
                mask[i] = True
                found.add(entry)
        if self._spans:
            offsets = token_offsets(text, words)
            for entry, pattern in self._spans:
                for m in pattern.finditer(text):
                    found.add(entry)
                    for i, (start, end) in enumerate(offsets):
                        if start < m.end() and end > m.start():
                            mask[i] = True
        return TraitMatch(mask, frozenset(found))


def token_offsets(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Character span of each token (spaCy tokens are substrings of the text, in order)."""
    out = []
    pos = 0
    for w in words:
        at = text.find(w, pos)
        if at < 0:  # should not happen; keep going without moving
            out.append((pos, pos))
            continue
        out.append((at, at + len(w)))
        pos = at + len(w)
    return out
