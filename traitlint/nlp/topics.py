"""Unsupervised topics of a trait folder: TF-IDF over content nouns, factorised with NMF.

Why nouns only: a topic is what a text is *about* (hospital, invoice, match); verbs, adjectives and
function words carry style and the trait itself ("hopeful", "refused"), which must not become a
topic. Why NMF: deterministic with `init="nndsvd"`, needs no download, fast for 15-500 texts, and
its topics are readable as top words.

Topics are fitted on the texts of both sides (identical noun lists once) in a canonical order
(sorted by content), so the result does not depend on line order; a pair is on every topic that
holds >= 30% of either side's weight, and per-side membership gives the topic-by-class table.

Stability is reported because NMF on short texts can be arbitrary: `check_stability` refits the
model with one topic fewer and one more and compares the assignments (adjusted Rand index, and per
topic whether its members reappear). It only runs when a topic's share is about to be judged.

Domains (`domains`) are what TL301 judges shares on: per pair the nouns both sides share, nouns
linked when they are shared together by at least two pairs, connected groups. They find a domain
whatever the wording of each sentence, as long as the wordings share nouns with each other; words
that never appear together ("pharmacy" and "surgeon") cannot be linked without word vectors, which
the small spaCy pipeline does not have.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from traitlint.nlp import language
from traitlint.nlp.features import TextFeatures

#: Nouns too generic to define a topic.
GENERIC_NOUNS = frozenset("""
thing things way time times people person lot something anything everything nothing someone anyone everyone
day days year years part kind bit sort fact one ones moment point question answer idea reason place
week weeks month months minute minutes hour hours end start side case matter number word words today
tonight tomorrow yesterday morning afternoon evening night weekend monday tuesday wednesday thursday friday
saturday sunday
""".split())


@dataclass
class TopicModel:
    """A fitted topic model. Attributes ending in `_` are learned (scikit-learn convention)."""

    k: int
    top_words_: list[list[str]] = field(default_factory=list)
    assignment_: list[int | None] = field(default_factory=list)  # per pair, input order
    stability_: float | None = None  # set by `check_stability`
    reproduced_: list[bool] = field(default_factory=list)  # per topic: found again by every refit
    members_: list[set[int]] = field(default_factory=list)  # per document: topics holding >= prevalence_share
    _vectorizer: Any = None
    _nmf: Any = None
    min_share: float = 0.4
    _X: Any = None
    _sorted: list[int | None] = field(default_factory=list)
    _random_state: int = 0
    _max_iter: int = 200
    _W: Any = None
    _prevalence_share: float = 0.3

    def scores(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Topic weights of new documents (NMF projection on the fitted topics)."""
        X = self._vectorizer.transform([list(d) for d in docs]).toarray()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._nmf.transform(X)

    def assign(self, docs: Sequence[Sequence[str]]) -> list[int | None]:
        """Dominant topic of new documents (None when no topic holds `min_share` of the weight)."""
        return _dominant(self.scores(docs), self.min_share)

    def prevalent(self, docs: Sequence[Sequence[str]]) -> list[set[int]]:
        """Per new document, the topics holding at least the prevalence share of its weight."""
        per_topic = _prevalent(self.scores(docs), self._prevalence_share)
        out: list[set[int]] = [set() for _ in docs]
        for t, members in enumerate(per_topic):
            for i in members:
                out[i].add(t)
        return out

    def coherence(self, docs: Sequence[Sequence[str]], topic: int, top: int = 2) -> float:
        """Share of the topic's member documents that contain one of its `top` words.

        A topic that only collects texts with weak, scattered nouns (NMF's "junk" topic) scores
        low; a real topic (a hospital ward, a recurring inserted sentence) scores high.
        """
        words = set(self.top_words_[topic][:top])
        members = [d for d, m in zip(docs, self.members_) if topic in m]
        if not members:
            return 0.0
        return sum(1 for d in members if words & set(d)) / len(members)


def content_nouns(tf: TextFeatures, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased lemmas of the nouns and proper nouns of one text (3+ letters, not generic).

    Function words of any language are never nouns of a topic: the English tagger labels a stray
    "que" or "para" PROPN, so words in `language.FOREIGN_FUNCTION_WORDS` (and words in a non-Latin
    script, which an English parse cannot read) are dropped like English stop words. Callers
    should also leave out whole texts that are not English (`language.is_english`).
    """
    out = []
    for lemma, pos, stop in zip(tf.lemmas, tf.pos, tf.is_stop):
        if pos in ("NOUN", "PROPN") and not stop and len(lemma) >= 3 and lemma.isalpha():
            lemma = lemma.lower()
            if (lemma not in GENERIC_NOUNS and lemma not in exclude and not language.is_function_word(lemma)
                    and language.is_latin(lemma)):
                out.append(lemma)
    return out


def choose_k(n_docs: int, min_topics: int = 5, max_topics: int = 10) -> int:
    """sqrt(n) topics, within [min_topics, max_topics] and at most n/3.

    At least 5 so that a balanced dataset (each topic ~20%) can pass a 25% threshold; at most 10
    because NMF on a few hundred short texts does not find more stable topics than that.
    """
    k = int(round(n_docs ** 0.5))
    return max(2, min(max(min_topics, min(k, max_topics)), n_docs // 3))


def _dominant(W: np.ndarray, min_share: float) -> list[int | None]:
    out: list[int | None] = []
    for row in W:
        total = float(row.sum())
        if total <= 1e-12:
            out.append(None)
            continue
        t = int(np.argmax(row))
        out.append(t if row[t] / total >= min_share else None)
    return out


def fit(docs: Sequence[Sequence[str]], k: int | None = None, random_state: int = 0, max_iter: int = 150,
        min_share: float = 0.4, prevalence_share: float = 0.3) -> TopicModel | None:
    """Fit topics on `docs` (token lists). None when there are too few documents or shared words.

    `assignment_` gives each document its dominant topic (one with at least `min_share` of its
    weight); `members_` gives every topic holding at least `prevalence_share` of it, so a text
    about a farm *and* a hospital counts for both (topic shares are judged on this prevalence).

    Stability is not computed here (it costs two more fits); call `check_stability` when a
    topic's share matters.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(docs)
    if n < 10:
        return None
    # Canonical order (invariant to line order) and duplicates fitted once: matched pairs often
    # have the same nouns on both sides, so this roughly halves the work.
    unique = sorted({tuple(d) for d in docs}, key=lambda d: " ".join(d))
    if len(unique) < 5:
        return None
    index = {d: i for i, d in enumerate(unique)}
    ordered = [list(d) for d in unique]
    vec = TfidfVectorizer(analyzer=_identity, min_df=2, sublinear_tf=True)
    try:
        X = vec.fit_transform(ordered)
    except ValueError:  # empty vocabulary
        return None
    k = k or choose_k(n)
    k = min(k, X.shape[1] - 1, len(unique) - 1)
    if k < 2 or X.nnz == 0:
        return None
    X = X.toarray()  # dense is several times faster for NMF at this size (<= a few hundred x a few thousand)
    with warnings.catch_warnings(), _one_thread():
        warnings.simplefilter("ignore")
        # nndsvda: deterministic (SVD-based) and converges faster than nndsvd's zero-filled start.
        nmf = NMF(n_components=k, init="nndsvda", max_iter=max_iter, random_state=random_state, tol=1e-3)
        W = nmf.fit_transform(X)
    assign_sorted = _dominant(W, min_share)
    vocab = vec.get_feature_names_out()
    top = []
    for row in nmf.components_:
        idx = [int(i) for i in np.argsort(-row, kind="stable")[:6] if row[i] > 0]
        top.append([str(vocab[i]) for i in idx])
    assignment: list[int | None] = []
    members: list[set[int]] = []
    for d in docs:
        pos = index[tuple(d)]
        assignment.append(assign_sorted[pos])
        total = float(W[pos].sum())
        members.append({t for t in range(k) if W[pos, t] / total >= prevalence_share} if total > 1e-12 else set())
    model = TopicModel(k, top, assignment, members_=members, _vectorizer=vec, _nmf=nmf, min_share=min_share)
    model._X, model._sorted, model._random_state, model._max_iter = X, assign_sorted, random_state, max_iter
    model._W, model._prevalence_share = W, prevalence_share
    return model


_CONTROLLER: Any = None


def _one_thread():  # noqa: ANN202
    """BLAS on one thread: for matrices this small, thread start-up and contention cost more than they save.

    The threadpoolctl controller is built once (finding the BLAS libraries costs ~3 ms); the limit
    is restored when the block ends, so no other code is affected.
    """
    global _CONTROLLER
    try:
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER.limit(limits=1)
    except Exception:  # pragma: no cover - threadpoolctl ships with scikit-learn
        import contextlib

        return contextlib.nullcontext()


def _identity(doc: list[str]) -> list[str]:
    return doc


def check_stability(model: TopicModel, refits: int = 2) -> None:
    """Refit with one topic fewer and one more; set `stability_` (mean adjusted Rand index of the
    dominant-topic assignments) and `reproduced_` (per topic: every refit has a topic whose members
    overlap its members by a Jaccard index >= 0.5).

    Why k-1 and k+1 rather than random restarts: a real topic (a recurring setting) survives a
    change in the number of topics, while a topic that only collects leftovers dissolves; and the
    refits stay deterministic without seeds.
    """
    from sklearn.decomposition import NMF
    from sklearn.metrics import adjusted_rand_score

    X, main = model._X, model._sorted
    others, other_members = [], []
    with warnings.catch_warnings(), _one_thread():
        warnings.simplefilter("ignore")
        for k in (model.k - 1, model.k + 1)[:refits]:
            if k < 2 or k > min(X.shape) - 1:
                continue
            alt = NMF(n_components=k, init="nndsvda", max_iter=model._max_iter,
                      random_state=model._random_state, tol=1e-3)
            W = alt.fit_transform(X)
            others.append(_dominant(W, model.min_share))
            other_members.append(_prevalent(W, model._prevalence_share))
    enc = lambda a: [-1 if t is None else t for t in a]  # noqa: E731
    model.stability_ = round(float(np.mean([adjusted_rand_score(enc(main), enc(r)) for r in others])), 4) if others else 1.0
    main_members = _prevalent(model._W, model._prevalence_share)
    reproduced = []
    for t in range(model.k):
        ok = bool(main_members[t])
        for alt_members in other_members:
            best = max((len(main_members[t] & m) / len(main_members[t] | m) for m in alt_members if m), default=0.0)
            ok = ok and best >= 0.5
        reproduced.append(ok)
    model.reproduced_ = reproduced


def _prevalent(W: np.ndarray, share: float) -> list[set[int]]:
    """Per topic, the documents (rows of W) where it holds at least `share` of the weight."""
    totals = W.sum(axis=1)
    out: list[set[int]] = [set() for _ in range(W.shape[1])]
    for i, total in enumerate(totals):
        if total > 1e-12:
            for t in np.nonzero(W[i] / total >= share)[0]:
                out[int(t)].add(i)
    return out


# -- domains: nouns both sides of a pair share, linked by co-occurrence across pairs ---------------------
#: Count nouns ("thousands of people", "a dozen eggs") are quantities, not what a text is about.
NUMBER_NOUNS = frozenset("hundred hundreds thousand thousands million millions billion billions trillion dozen "
                         "dozens percent score".split())


@dataclass(frozen=True)
class Domain:
    """A connected group of shared nouns and the pairs that share one of them (indices in input order)."""

    words: tuple[str, ...]  # every noun of the group, most pairs first (ties alphabetical)
    pairs: tuple[int, ...]  # pairs whose shared nouns include at least one of `words`
    links: int  # edges of the group (noun pairs co-occurring in >= min_cooccur pairs)
    word_pairs: dict[str, int] = field(default_factory=dict, compare=False)  # per noun, pairs sharing it
    core: tuple[int, ...] = ()  # its pairs, those sharing the most of its nouns first (ties by index)


def shared_nouns(pos: Sequence[Sequence[str]], neg: Sequence[Sequence[str]]) -> list[frozenset[str]]:
    """Per pair, the nouns both sides use (what the pair is about, not what the trait changes)."""
    return [frozenset(p) & frozenset(q) - NUMBER_NOUNS for p, q in zip(pos, neg)]


def domains(shared: Sequence[frozenset[str]], min_cooccur: int = 2) -> list[Domain]:
    """Domains of a folder: nouns that recur together, grouped, whatever each sentence's wording.

    Nodes are the shared nouns of at least two pairs; two nouns are linked when they are shared
    by the same pair in at least `min_cooccur` pairs; a domain is a connected group of linked
    nouns (a recurring noun linked to nothing is a domain alone), and its pairs are those sharing
    any of its nouns. Six wordings of a hospital scene
    ("the doctor adjusted the patient's prescription", "the nurse checked the patient's chart",
    "the pharmacist refilled the prescription for the ward" ...) are one domain because each
    wording shares a noun pair with another; NMF splits them into one topic per wording.

    Why co-occurrence in two pairs, not one: in every folder each pair's shared nouns are linked
    once by chance ("phone" and "meeting" in one pair), and chains of such single links join
    most of a small folder's vocabulary; a link seen in two pairs is rarely chance. The result
    depends only on the multiset of pairs (sorted output), not on line order.
    """
    df: dict[str, int] = {}
    for s in shared:
        for w in s:
            df[w] = df.get(w, 0) + 1
    co: dict[tuple[str, str], int] = {}
    for s in shared:
        nodes = sorted(w for w in s if df[w] >= 2)
        for a in range(len(nodes)):
            for b in range(a + 1, len(nodes)):
                key = (nodes[a], nodes[b])
                co[key] = co.get(key, 0) + 1
    # every recurring noun is a node: one that is linked to nothing is a domain of its own ("ward"
    # in 40% of pairs, with different company each time)
    adj: dict[str, set[str]] = {w: set() for w, c in df.items() if c >= 2}
    edges = [key for key, c in co.items() if c >= min_cooccur]
    for u, v in edges:
        adj.setdefault(u, set()).add(v)
        adj.setdefault(v, set()).add(u)
    out, seen = [], set()
    for start in sorted(adj):
        if start in seen:
            continue
        group, stack = set(), [start]
        while stack:
            w = stack.pop()
            if w not in group:
                group.add(w)
                stack.extend(adj[w] - group)
        seen |= group
        words = tuple(sorted(group, key=lambda w: (-df[w], w)))
        members = tuple(i for i, s in enumerate(shared) if s & group)
        links = sum(1 for u, v in edges if u in group)
        core = tuple(sorted(members, key=lambda i: (-len(shared[i] & group), i)))
        out.append(Domain(words, members, links, {w: df[w] for w in words}, core))
    out.sort(key=lambda d: (-len(d.pairs), d.words))
    return out
