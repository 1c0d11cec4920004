"""Syntactic frame signatures and shared literal templates of prefills.

Why: a vector learned from pairs that all follow one frame ("[Setup clause], [subject] said
'[quote]'") may fire only in that frame (seed, Phase 5 "template clustering" and "syntactic
uniformity"). Two complementary signatures catch the two ways a dataset gets templated:

* `frame_of` - a *clause skeleton*: for every sentence, the root and the root's direct children,
  each replaced by a coarse role (SUBJ, OBJ, PP, ADVCL-when, QUOTE, ...). Content words vanish, so
  the skeleton is robust to topic ("He asked me to write malware" and "She asked him to draft a
  letter" share `SUBJ ask OBJ CLAUSE`), while function structure survives (a quoted reply, a
  subordinate "because" clause, a question, a second sentence all change it). Negation, auxiliaries
  and the coordinating conjunction's word are dropped on purpose: they are the trait signal in many
  pairs and must not split a pair's two sides into two frames.
* `shared_templates` - literal word n-grams (5+ words, 2+ of them content words) that recur in
  many lines: "he asked me to write" in every line is a template whatever its parse.

Everything here reads `TextFeatures` (the cached spaCy parse); nothing parses again.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from traitlint.nlp.features import TextFeatures

#: dependency label -> coarse role in a skeleton (labels not listed are dropped).
_ROLE = {
    "nsubj": "SUBJ", "nsubjpass": "SUBJ", "csubj": "SUBJ", "csubjpass": "SUBJ", "expl": "SUBJ",
    "dobj": "OBJ", "dative": "OBJ", "iobj": "OBJ", "pobj": "OBJ",
    "attr": "PRED", "acomp": "PRED", "oprd": "PRED",
    "ccomp": "CLAUSE", "xcomp": "CLAUSE", "parataxis": "CLAUSE",
    "advcl": "ADVCL",
    "prep": "PP", "agent": "PP", "dep": "",
    "advmod": "ADV", "npadvmod": "ADV",
    "cc": "CC", "conj": "CONJ", "intj": "INTJ",
}
#: Root verbs kept as words: they name the frame a reader sees ("SUBJ say QUOTE").
FRAME_VERBS = frozenset({"say", "tell", "ask", "reply", "answer", "write", "explain", "be", "have"})
#: Punctuation that changes a frame (a question, a colon introducing a list or a quote, a dash aside).
_PUNCT = {"?": "?", ":": ":", "—": "—", "–": "—", ";": ";"}


def sentence_spans(tf: TextFeatures) -> list[tuple[int, int]]:
    """[start, end) token spans of the sentences of one text."""
    starts = sorted(set(s for s in tf.sent_starts if 0 <= s < len(tf))) or ([0] if len(tf) else [])
    if starts and starts[0] != 0:
        starts.insert(0, 0)
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(tf)]) if e > s]


def _children(tf: TextFeatures, start: int, end: int) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for i in range(start, end):
        h = tf.heads[i]
        if h != i and start <= h < end:
            kids.setdefault(h, []).append(i)
    return kids


def _subtree_has_quote(tf: TextFeatures, node: int, kids: dict[int, list[int]]) -> bool:
    stack = [node]
    while stack:
        i = stack.pop()
        if tf.in_quote[i]:
            return True
        stack.extend(kids.get(i, ()))
    return False


def _root_word(tf: TextFeatures, i: int) -> str:
    pos, lemma = tf.pos[i], tf.lemmas[i]
    if pos in ("VERB", "AUX"):
        return lemma if lemma in FRAME_VERBS else "V"
    if pos in ("NOUN", "PROPN", "PRON", "NUM"):
        return "NP"
    return pos or "X"


def _clause_role(tf: TextFeatures, i: int, role: str, kids: dict[int, list[int]]) -> str:
    """Subordinate clauses keep their function-word type: `CLAUSE-to`, `CLAUSE-that`, `ADVCL-when`, `CLAUSE-wh`.

    These words are topic-free and separate genuinely different patterns ("wish to inform" vs
    "think that", "when ..." vs "because ...").
    """
    below = kids.get(i, [])
    marks = [tf.lemmas[k] for k in below if tf.deps[k] == "mark"]
    if marks:
        return f"{role}-{marks[0]}"
    if any(tf.tags[k] in ("WDT", "WP", "WP$", "WRB") for k in below if k < i):
        return f"{role}-wh"
    if any(tf.deps[k] == "aux" and tf.tags[k] == "TO" for k in below):
        return f"{role}-to"
    return role


def sentence_skeleton(tf: TextFeatures, start: int, end: int) -> str:
    """Coarse skeleton of one sentence: the root and its direct children as roles, in order."""
    kids = _children(tf, start, end)
    roots = [i for i in range(start, end) if tf.heads[i] == i or not (start <= tf.heads[i] < end)]
    if not roots:
        return ""
    root = roots[0]
    parts: list[str] = []
    for i in sorted([root, *kids.get(root, [])]):
        if i == root:
            parts.append(_root_word(tf, i))
            continue
        dep, word = tf.deps[i], tf.words[i]
        if tf.pos[i] == "PUNCT":
            if word in ('"', "“", "”") and any(tf.in_quote[j] for j in range(i, min(end, i + 2))):
                parts.append("QUOTE")
            elif word in _PUNCT:
                parts.append(_PUNCT[word])
            continue
        role = _ROLE.get(dep, "")
        if not role:
            continue
        if role in ("CLAUSE", "CONJ", "OBJ", "ADV") and _subtree_has_quote(tf, i, kids):
            role = "QUOTE"
        elif role in ("ADVCL", "CLAUSE"):
            role = _clause_role(tf, i, role, kids)
        parts.append(role)
    out: list[str] = []
    for p in parts:  # collapse runs ("ADV ADV" -> "ADV"; "QUOTE QUOTE" -> "QUOTE")
        if not out or out[-1] != p:
            out.append(p)
    return " ".join(out)


def frame_of(tf: TextFeatures) -> str:
    """The clause-skeleton frame of one text: sentence skeletons joined by " / "."""
    return " / ".join(s for s in (sentence_skeleton(tf, a, b) for a, b in sentence_spans(tf)) if s)


def effective_count(counts: Sequence[int]) -> float:
    """Hill number of order 1 (exp of Shannon entropy): how many equally used kinds the counts are worth.

    Why not a plain count of distinct frames: 95 lines in one frame plus 5 odd ones are "6 frames"
    but behave like one; exp(entropy) is 1.3 there, and N when N frames are used equally.
    """
    total = sum(counts)
    if total <= 0:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counts if c > 0)
    return float(math.exp(h))


@dataclass(frozen=True)
class Template:
    """A literal word sequence shared by many lines of one side."""

    words: tuple[str, ...]
    side: str
    lines: tuple[int, ...]  # 0-based indices of the texts (of that side) that contain it

    @property
    def text(self) -> str:
        """The words as a reader wrote them: clitics rejoin their word ("did n't" -> "didn't")."""
        out = ""
        for w in self.words:
            if out and not w.startswith(("'", "’", "n't", "n’t")):
                out += " "
            out += w
        return out


def _word_seq(tf: TextFeatures) -> tuple[list[str], list[bool]]:
    words, content = [], []
    for w, pos, stop in zip(tf.words, tf.pos, tf.is_stop):
        if pos in ("PUNCT", "SPACE", "SYM", "X") or not w.strip():
            continue
        words.append(w.lower())
        content.append(not stop)
    return words, content


def shared_templates(texts: Sequence[TextFeatures], side: str, min_share: float, n: int = 5,
                     min_content: int = 2) -> list[Template]:
    """Maximal word sequences (>= n words, >= min_content non-stop words) in more than `min_share` of texts.

    Each qualifying n-gram is grown left and right while the extended sequence still occurs in
    more than `min_share` of the texts; n-grams inside an already reported template are dropped.
    """
    total = len(texts)
    if total == 0:
        return []
    need = min_share * total
    seqs = [_word_seq(t) for t in texts]
    df: Counter[tuple[str, ...]] = Counter()
    for words, content in seqs:
        grams = set()
        for i in range(len(words) - n + 1):
            if sum(content[i:i + n]) >= min_content:
                grams.add(tuple(words[i:i + n]))
        df.update(grams)
    frequent = sorted((g for g, c in df.items() if c > need), key=lambda g: (-df[g], g))
    out: list[Template] = []
    for gram in frequent:
        if any(_contains(t.words, gram) for t in out):
            continue
        grown = _grow(gram, [s[0] for s in seqs], need)
        holders = tuple(i for i, (words, _c) in enumerate(seqs) if _contains(tuple(words), grown))
        out.append(Template(grown, side, holders))
    return out


def _contains(seq: tuple[str, ...], sub: tuple[str, ...]) -> bool:
    k = len(sub)
    return any(seq[i:i + k] == sub for i in range(len(seq) - k + 1))


def _grow(gram: tuple[str, ...], seqs: list[list[str]], need: float) -> tuple[str, ...]:
    """Extend `gram` one word at a time (right, then left) while more than `need` texts still contain it."""
    for direction in (1, -1):
        while len(gram) < 40:
            nxt: Counter[str] = Counter()
            for words in seqs:
                t = tuple(words)
                k = len(gram)
                seen = set()
                for i in range(len(t) - k + 1):
                    if t[i:i + k] == gram:
                        j = i + k if direction == 1 else i - 1
                        if 0 <= j < len(t):
                            seen.add(t[j])
                nxt.update(seen)
            if not nxt:
                break
            word, count = min(nxt.items(), key=lambda kv: (-kv[1], kv[0]))
            if count <= need:
                break
            gram = gram + (word,) if direction == 1 else (word,) + gram
    return gram


# -- where the two texts of a pair diverge --------------------------------------------------------
_WORD_RE = None


def words_of(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens; no NLP needed (divergence runs without spaCy)."""
    global _WORD_RE
    if _WORD_RE is None:
        import re

        _WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
    return [w.lower() for w in _WORD_RE.findall(text)]


@dataclass(frozen=True)
class Divergence:
    """Where a pair's texts part: `prefix` shared leading tokens, `suffix` shared trailing ones."""

    kind: str  # "late" | "mid" | "early" | "same"
    prefix: int
    suffix: int
    shorter: int
    longer: int

    @property
    def position(self) -> float:
        """First differing token as a fraction of the shorter text (1.0: one text extends the other)."""
        return self.prefix / self.shorter if self.shorter else 1.0

    @property
    def shared(self) -> float:
        """Share of the longer text covered by the shared prefix and suffix."""
        return (self.prefix + self.suffix) / self.longer if self.longer else 1.0


def divergence(a: Sequence[str], b: Sequence[str], late_from: float = 0.6, early_before: float = 0.25,
               reconverge: float = 0.5) -> Divergence:
    """Classify where token sequences `a` and `b` first differ (seed, Phase 3 "divergence spectrum").

    * late: the first difference comes at or after `late_from` of the shorter text ("She knew the
      answer and [lied/admitted]");
    * early: it comes before `early_before` and the texts do not re-converge (shared prefix+suffix
      below `reconverge` of the longer text): different framing from the start;
    * mid: everything between, including an early swap after which the texts run on together
      ("She [concealed/disclosed] the answer, having known").
    """
    p = 0
    limit = min(len(a), len(b))
    while p < limit and a[p] == b[p]:
        p += 1
    s = 0
    while s < limit - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    shorter, longer = limit, max(len(a), len(b))
    if list(a) == list(b):
        return Divergence("same", p, 0, shorter, longer)
    d = Divergence("mid", p, s, shorter, longer)
    if d.position >= late_from:
        kind = "late"
    elif d.position < early_before and d.shared < reconverge:
        kind = "early"
    else:
        kind = "mid"
    return Divergence(kind, p, s, shorter, longer)
