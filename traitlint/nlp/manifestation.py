"""Heuristic inference of *how* a trait manifests in a prefill: speech, documents, thoughts, actions.

Why: the seed (Phase 3) asks behavioural traits to spread over manifestation types, each ~15-25%;
a deception vector trained only on quoted lies may not fire on deceptive documents or actions.
Authors should label `manifestation` in annotations.jsonl; when they did not, these transparent
rules guess the *form* of the part of the positive text that carries the trait (the tokens from
the point where the pair diverges to the end):

1. `document`   - the text opens like a document (header, salutation, list item) or, in the
                  divergent part, someone writes/sends a document noun (email, report, note...).
2. `quoted_speech` - half of the divergent words, or at least three, are inside quotation marks
                  (a short quoted reply after some narration is still quoted speech).
3. `reported_speech` - a speech verb (say, tell, assure, admit...) in the divergent part or
                  governing it ("I told them that ...").
4. `internal_state` - a cognition or emotion verb or predicate (think, feel, hope, worry, was
                  afraid) there.
5. `action`     - any other verb there.
6. `other`      - no verb to judge by (identical texts, fragments).

The first rule that fires wins. The rules read the cached spaCy features only.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from traitlint.nlp.features import TextFeatures

KINDS = ("document", "quoted_speech", "reported_speech", "internal_state", "action", "other")

SPEECH_VERBS = frozenset("""
say tell ask reply answer explain claim insist assure admit promise inform mention suggest warn announce
deny confess respond argue agree reassure apologize apologise declare state remark add shout whisper yell
mutter murmur exclaim protest object retort lie boast brag praise complain chat call text message
""".split())
COGNITION_VERBS = frozenset("""
think feel believe know hope worry fear wonder realize realise wish want doubt suspect sense trust expect
remember imagine figure guess assume suppose dread love hate regret long crave resent envy despair
""".split())
EMOTION_ADJ = frozenset("""
afraid scared anxious worried hopeful optimistic confident sure certain unsure uncertain sad happy glad
angry furious guilty ashamed proud excited nervous calm relieved disappointed frustrated curious
confused grateful thankful jealous envious bored lonely eager reluctant hesitant determined
""".split())
DOCUMENT_NOUNS = frozenset("""
email e-mail letter report memo note post review message update document article form log statement
record label summary changelog newsletter announcement essay paper resume cv application proposal
press release tweet blog caption listing advertisement ad brochure manual policy contract invoice
minutes agenda ticket comment reply description bio profile
""".split())
WRITING_VERBS = frozenset("write draft email post publish type text sign file fill edit send submit "
                          "compose jot scribble print issue circulate".split())
_DOC_START = re.compile(r"^\s*(#{1,6}\s|subject:|to:|from:|re:|title:|dear\s|memo\b|abstract\b|[-*•]\s|\d+[.)]\s|"
                        r"\[[^\]]+\]\s*$|[A-Z][A-Za-z ]{1,30}:\s)", re.IGNORECASE)


def _divergent_start(a: Sequence[str], b: Sequence[str]) -> int:
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    return p


def infer(tf: TextFeatures, other: TextFeatures | None = None, text: str = "") -> str:
    """Manifestation kind of `tf` (the trait side), judged on the tokens after it diverges from `other`."""
    n = len(tf)
    if n == 0:
        return "other"
    start = _divergent_start(tf.lower, other.lower) if other is not None else 0
    if other is not None and start >= n:
        return "other"
    region = range(start, n)
    if _is_document(tf, text, start):
        return "document"
    words = [i for i in region if tf.pos[i] not in ("PUNCT", "SPACE")]
    quoted = sum(tf.in_quote[i] for i in words)
    if words and (quoted * 2 >= len(words) or quoted >= 3):
        return "quoted_speech"
    lemmas = [tf.lemmas[i] for i in region]
    verbs = [i for i in region if tf.pos[i] in ("VERB", "AUX")]
    if not verbs:
        head = _governing_verb(tf, start)
        verbs = [head] if head is not None else []
    vl = [tf.lemmas[i] for i in verbs] + _matrix_verbs(tf, start)
    if any(v in SPEECH_VERBS for v in vl):
        return "reported_speech"
    if any(v in COGNITION_VERBS for v in vl) or any(l in EMOTION_ADJ for l in lemmas):
        return "internal_state"
    if any(tf.pos[i] == "VERB" for i in verbs):
        return "action"
    return "other"


def _matrix_verbs(tf: TextFeatures, start: int) -> list[str]:
    """Lemmas of the verbs whose complement clause holds the divergent part ("told them that [...]")."""
    out: list[str] = []
    v = _governing_verb(tf, start) if start < len(tf) else None
    seen = set()
    while v is not None and v not in seen and tf.deps[v] in ("ccomp", "xcomp", "parataxis"):
        seen.add(v)
        v = tf.heads[v]
        if 0 <= v < len(tf) and tf.pos[v] in ("VERB", "AUX"):
            out.append(tf.lemmas[v])
        else:
            break
    return out


def _governing_verb(tf: TextFeatures, i: int) -> int | None:
    """The nearest verb above token i in the dependency tree (the clause the divergent words sit in)."""
    seen = set()
    while 0 <= i < len(tf) and i not in seen:
        seen.add(i)
        if tf.pos[i] in ("VERB", "AUX"):
            return i
        i = tf.heads[i]
    return None


def _is_document(tf: TextFeatures, text: str, start: int) -> bool:
    """Document markers at the start of the text, or a writing verb over a document noun in the divergent part."""
    if text and (_DOC_START.match(text) or "\n" in text.strip()):
        return True
    head = _governing_verb(tf, start) if start < len(tf) else None
    candidates = set(range(start, len(tf))) | ({head} if head is not None else set())
    kids: dict[int, list[int]] = {}
    for i, h in enumerate(tf.heads):
        if h != i and 0 <= h < len(tf):
            kids.setdefault(h, []).append(i)
    for i in sorted(candidates):
        if tf.pos[i] == "VERB" and tf.lemmas[i] in WRITING_VERBS:
            stack, depth_ok = list(kids.get(i, [])), 0
            while stack and depth_ok < 12:
                j = stack.pop()
                depth_ok += 1
                if tf.lemmas[j] in DOCUMENT_NOUNS and tf.pos[j] in ("NOUN", "PROPN") and not tf.in_quote[j]:
                    return True
                if tf.deps[j] in ("dobj", "prep", "pobj", "dative"):
                    stack.extend(kids.get(j, []))
    return False


def distribution(kinds: Sequence[str]) -> dict[str, float]:
    """Share of each kind, largest first (ties by name)."""
    counts = Counter(kinds)
    total = sum(counts.values()) or 1
    return {k: round(c / total, 4) for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
