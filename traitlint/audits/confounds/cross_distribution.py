"""TL306 cross_distribution: can a classifier tell the sides apart without the trait words?

Engineering notes (why it is fast and exact):
- The pair is the unit, so the classifier works on per-pair feature *differences* d = x_pos - x_neg
  and predicts which text of a held-out pair is the positive one (the within-pair accuracy, i.e. the
  AUC restricted to matched pairs). Folds are by pair (GroupKFold with one group per pair), assigned
  round-robin over the canonical pair order, so line order never matters.
- The model is a ridge-regularised least-squares linear classifier (closed form, no intercept: the
  problem is symmetric under swapping sides). Its fitted weights are linear in the labels, so the
  permutation test (flip the label within each pair, i.e. the sign of d) for all permutations at
  once is one matrix product per fold.
- Swapping the positive and negative files negates D and the weights: accuracies are identical.
  The random flips are seeded from a hash of the sorted, side-symmetric pair contents.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import numpy as np

from traitlint.audits.confounds.person import _voice
from traitlint.audits.confounds.view import SIDES, FolderView, TextView, clean, fmt_p, folder_view, interleave_evidence
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.lexicon import FUNCTION_WORDS, PUNCTUATION, is_punct
from traitlint.nlp.sentiment import lexicon_valence_sum
from traitlint.registry import Audit, SkipAudit, register

_PUNCT_OF = {mark.strip(): name for name, marks in PUNCTUATION.items() for mark in marks if mark.strip()}
_PUNCT_OF.update({"-": "—", "``": "quote", "''": "quote", ")": "("})


def _openers(tv: TextView) -> list[int]:
    """The first word of every sentence (after any opening punctuation), as TL101 reads openers."""
    out = []
    n = len(tv)
    for s in tv.sent_starts:
        j = s
        while j < n and tv.punct[j]:
            j += 1
        if j < n:
            out.append(j)
    return out


def text_vector(tv: TextView, with_valence: bool = True, function_words: bool = True) -> dict[str, float]:
    """Non-trait features of one text (declared trait tokens are left out of every feature).

    Every feature is a count or a sum over the text, so text added identically to both sides of a
    pair adds the same amount to both and leaves the pair's difference (what the classifier sees)
    unchanged: a shared sentence cannot be a shortcut, and must not dilute one (issue 13).
    Valence is included only when trait words are declared: otherwise "the text minus trait words"
    is the whole text, and for valenced traits (optimism, harm) its valence is the trait itself.
    `function_words=False` drops the function-word bag (for register traits, where it is the trait).
    """
    f: Counter[str] = Counter()
    keep = [i for i in range(len(tv)) if not tv.trait[i]]
    for i in keep:
        w = tv.lower[i]
        if w in FUNCTION_WORDS:
            if not function_words:
                continue
            f[f"word:{w}"] += 1
        elif is_punct(w):
            for ch, name in _PUNCT_OF.items():
                if ch in w:
                    f[f"punct:{name}"] += 1
                    break
    for j in _openers(tv):
        if not tv.trait[j]:
            f[f"opener:{tv.lower[j]}"] += 1
    if len(tv) and not tv.trait[-1]:
        f[f"closer:{tv.lower[-1]}"] = 1
    f["length:tokens"] = len(keep)
    v = _voice(tv)
    for k, name in enumerate(("first", "second", "third")):
        if v["narr"][k]:
            f[f"person:{name} (narration)"] = v["narr"][k]
        if v["quote"][k]:
            f[f"person:{name} (quoted)"] = v["quote"][k]
    if with_valence:
        f["valence:text minus trait words"] = lexicon_valence_sum(tv.lower[i] for i in keep)
    return dict(f)


def design(view: FolderView, min_count: int, function_words: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Feature names and matrices X_pos, X_neg (rows = pairs). Openers/closers need `min_count` texts."""
    def build() -> tuple[list[str], np.ndarray, np.ndarray]:
        vecs = {s: [text_vector(tv, bool(view.traits), function_words) for tv in view.side(s)] for s in SIDES}
        df: Counter[str] = Counter(k for s in SIDES for v in vecs[s] for k in v)
        names = sorted(k for k, c in df.items() if not k.startswith(("opener:", "closer:")) or c >= min_count)
        col = {k: j for j, k in enumerate(names)}
        mats = []
        for s in SIDES:
            m = np.zeros((view.n, len(names)))
            for i, v in enumerate(vecs[s]):
                for k, x in v.items():
                    j = col.get(k)
                    if j is not None:
                        m[i, j] = x
            mats.append(m)
        return names, mats[0], mats[1]
    return view.memo(f"design:{min_count}:{function_words}", build)


def _one_blas_thread() -> Any:
    """Limit BLAS to one thread inside the block (threadpoolctl ships with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _ridge_operator(d: np.ndarray, lam: float) -> np.ndarray:
    """A with w = A @ y: ridge least squares without intercept (primal or dual form, whichever is smaller)."""
    n, p = d.shape
    if p <= n:
        return np.linalg.solve(d.T @ d + lam * np.eye(p), d.T)
    return d.T @ np.linalg.solve(d @ d.T + lam * np.eye(n), np.eye(n))


def canonical_rows(raw: np.ndarray, content_order: list[int]) -> tuple[np.ndarray, int]:
    """The order of the pairs for the classifier, and the seed of its permutations: functions of
    the per-pair difference rows alone, so the result is the same under any reordering of the lines,
    exactly mirrored under a swap of the files, and unchanged by text both sides of a pair share.

    Ridge without intercept on (row d, label +1) is the same problem as (-d, -1), so rows are
    compared up to sign (`canon`: first non-zero entry positive). Rows equal up to sign are ordered
    by their sign relative to a folder-wide orientation that flips under a swap (the sign of the
    rows' net orientation, else of the summed differences), so a swap negates each row in place.
    Rows left tied are identical; the content order only decides which line an example names.
    Cross-validation folds and permutation flips are taken by position in this order.
    """
    n = raw.shape[0]
    signs = np.zeros(n)  # 0 for a pair that differs in no feature: it has no orientation
    for i in range(n):
        nonzero = np.flatnonzero(raw[i])
        if nonzero.size:
            signs[i] = 1.0 if raw[i, nonzero[0]] > 0 else -1.0
    canon = raw * signs[:, None] + 0.0
    net = float(signs.sum())
    totals = np.round(raw.sum(axis=0), 6)
    first = np.flatnonzero(totals)
    g = np.sign(net) if net else (np.sign(totals[first[0]]) if first.size else 1.0)
    rank = {i: r for r, i in enumerate(content_order)}
    order = sorted(range(n), key=lambda i: (tuple(canon[i]), -signs[i] * g, rank[i]))
    key = np.column_stack([canon[order], (signs * g)[order]]) + 0.0 if n else np.zeros((0, 1))
    digest = hashlib.sha256(np.ascontiguousarray(key).tobytes()).digest()
    return np.asarray(order, dtype=int), int.from_bytes(digest[:8], "little")


def cross_validate(d: np.ndarray, folds: np.ndarray, labels: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """Within-pair CV accuracy for every label column (labels: n x m of +-1); also held-out scores of column 0."""
    n, m = labels.shape
    correct = np.zeros(m)
    held = np.zeros(n)
    for k in np.unique(folds):
        te, tr = folds == k, folds != k
        a = _ridge_operator(d[tr], ridge * int(tr.sum()))
        scores = d[te] @ (a @ labels[tr])
        hit = np.where(np.abs(scores) < 1e-9, 0.5, (np.sign(scores) == labels[te]).astype(float))
        correct += hit.sum(axis=0)
        held[te] = scores[:, 0]
    return correct / n, held


@register
class CrossDistribution(Audit):
    """What it does
    The seed's Phase 6 check: trains a cross-validated linear classifier on *non-trait* features only:
    function-word counts, sentence openers, the text's closer, length in tokens, grammatical person
    (narration and quoted), punctuation counts and (when trait words are declared, so that it can be
    measured without them) a summed lexicon valence, all computed with declared trait words removed.
    Every feature is a count or sum over the text, so text both sides of a pair share adds the same
    to both and changes nothing the classifier sees (a rate over the whole text would be diluted by
    it; a shared sentence cannot be a shortcut). Both texts of a pair stay in the same fold (folds by pair), the score is the held-out
    within-pair accuracy (which text of the pair is the positive one), and significance comes from
    a permutation test that flips labels within pairs (`permutations` flips). Folds and the
    permutation seed are taken from the per-pair difference rows themselves (`canonical_rows`), not
    from the texts, so a shared sentence cannot move the folds, the accuracy or p. Fails (error) when accuracy >= `min_accuracy` and p <= `alpha`; warns from
    `warn_accuracy`. Lists the most predictive features.

    For register traits (card `type` in `register_types`, default `["style"]`: formality, verbosity)
    the function-word bag is left out: a style colours every token, and the rates of articles,
    infinitival "to", complementiser "that" or phrasal particles ("up", "off") are how register shows
    (Biber's register dimensions are built from exactly these), so they are the trait, not a shortcut.
    Openers, closers, length, person, punctuation and valence are still tested, and TL101 still flags
    any single function word that sits (almost) only on one side.

    Pair-level annotation axes (topic, valence...) are the same for both texts of a pair, so they
    cannot predict the side of a matched pair; the diversity audits check their balance instead.

    What it cannot see
    Passing does not prove there is no shortcut: only that these features do not give one. Content
    words are not features (TL101 tests them one by one), nor is anything that needs word order
    beyond the first and last token of a sentence (a clause order, a template), nor a shortcut that
    only a combination of features carries non-linearly. With fewer than `min_pairs` pairs it skips.

    Why it matters
    If the sides can be told apart without the trait words, a vector can be too: it will encode
    that shortcut (style, voice, length, negation) together with the trait.

    Example
    Positives all open with "Still," and end with "!", negatives with "Sadly," and ".": accuracy 1.0,
    p=0.005, error listing opener:still, punct:!.

    How to fix
    Rebalance the listed features (use them on both sides or neither). If one is genuinely part of the
    trait (e.g. "n't" for a refusal), declare it in trait.toml [trait.words].
    """

    code = "TL306"
    name = "cross_distribution"
    summary = "A classifier on non-trait features (function words, openers, length, person, valence, punctuation) cannot tell the sides apart."
    rationale = "Whatever separates the sides besides the trait words becomes part of the vector."
    fix = "Rebalance the listed features across sides, or declare genuine trait words in trait.toml."
    severity = Severity.ERROR
    params = {"min_accuracy": 0.75, "warn_accuracy": 0.65, "alpha": 0.05, "permutations": 200, "folds": 5,
              "ridge": 1.0, "min_count": 3, "min_pairs": 10, "register_types": ["style"]}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        n = view.n
        if n < params["min_pairs"]:
            raise SkipAudit(f"needs at least {params['min_pairs']} pairs for a cross-validated classifier ({n} here)")
        function_words = ctx.dataset.card_word("type") not in params["register_types"]
        names, xp, xn = design(view, int(params["min_count"]), function_words)
        # Per-pair differences, rounded so that text both sides share (which adds the same to both
        # counts and sums) leaves them bit-identical, not equal up to float dust.
        d = np.round(xp - xn, 9) + 0.0
        # A feature that differs within fewer than `min_count` pairs cannot generalise across folds.
        keep = (np.abs(d).max(axis=0, initial=0.0) > 1e-12) & ((d != 0).sum(axis=0) >= params["min_count"])
        names = [nm for nm, k in zip(names, keep) if k]
        raw = d[:, keep]
        order, seed = canonical_rows(raw, view.order)
        raw = raw[order]
        scale = np.sqrt((raw ** 2).mean(axis=0))
        d = raw / scale if keep.any() else np.zeros((n, 0))
        n_folds = int(min(params["folds"], n))
        folds = np.arange(n) % n_folds
        perms = int(params["permutations"])
        rng = np.random.default_rng(seed)
        flips = rng.choice(np.array([-1.0, 1.0]), size=(n, perms))
        labels = np.concatenate([np.ones((n, 1)), flips], axis=1)
        if d.shape[1] == 0:
            acc = np.full(perms + 1, 0.5)
            held = np.zeros(n)
        else:
            with _one_blas_thread():  # these matrices are small: BLAS threads cost 10-50x more than they save
                acc, held = cross_validate(d, folds, labels, float(params["ridge"]))
        observed = float(acc[0])
        p = (1 + int(np.sum(acc[1:] >= observed - 1e-12))) / (perms + 1)
        top = []
        if d.shape[1]:
            with _one_blas_thread():
                w = _ridge_operator(d, float(params["ridge"]) * n) @ np.ones(n)
            # Exactly collinear features get equal weights up to rounding: rank ties by name.
            for j in sorted(range(len(names)), key=lambda j: (-round(abs(float(w[j])), 9), names[j]))[:8]:
                if abs(w[j]) < 1e-9:
                    break
                sign = 1.0 if w[j] > 0 else -1.0
                # example pairs: where the feature points the way the classifier reads it, strongest first
                rows = sorted((r for r in range(n) if raw[r, j] * sign > 0), key=lambda r: (-abs(raw[r, j]), r))[:2]
                top.append({"feature": names[j], "weight": clean(float(w[j])),
                            "mean_diff": clean(float(raw[:, j].mean())),
                            "pairs_more_positive": int((raw[:, j] > 0).sum()),
                            "pairs_more_negative": int((raw[:, j] < 0).sum()),
                            "example_pairs": [int(order[r]) for r in rows],
                            "side": "positive" if sign > 0 else "negative"})
        wins = [int(order[r]) for r in sorted((r for r in range(n) if held[r] > 1e-9), key=lambda r: (-held[r], r))[:3]]
        return {"pairs": n, "features": len(names), "accuracy": clean(observed), "p": clean(p, 6),
                "chance": 0.5, "null_mean": clean(float(acc[1:].mean())) if perms else 0.5,
                "null_95": clean(float(np.quantile(acc[1:], 0.95))) if perms else 0.5,
                "permutations": perms, "folds": n_folds, "function_words": function_words, "top_features": top, "example_pairs": [int(i) for i in wins]}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        acc, p = metrics["accuracy"], metrics["p"]
        if p > params["alpha"] or acc < params["warn_accuracy"]:
            return []
        sev = Severity.ERROR if acc >= params["min_accuracy"] else Severity.WARNING
        view = folder_view(ctx)
        feats = "; ".join(f"{t['feature']} ({'positive' if t['weight'] > 0 else 'negative'}, more in "
                          f"{t['pairs_more_positive']}:{t['pairs_more_negative']} pairs pos:neg)"
                          for t in metrics["top_features"][:5])
        return [self.finding(
            sev, f"a classifier on non-trait features tells the sides apart: held-out within-pair accuracy "
            f"{acc:.0%} (chance 50%, permutation null 95th pct {metrics['null_95']:.0%}, p={fmt_p(p)}, "
            f"{metrics['folds']}-fold by pair, n={metrics['pairs']}); most predictive: {feats}",
            metrics, {k: params[k] for k in ("min_accuracy", "warn_accuracy", "alpha")},
            feature_evidence(view, metrics))]


def feature_evidence(view: FolderView, metrics: dict[str, Any], k: int = 5) -> list[Any]:
    """A line that shows each of the most predictive features: the text on the side where the
    feature is higher, in the pair where it differs most; each line once. Without features, the
    classifier's most confident pairs (both texts)."""
    out: list[Any] = []
    seen: set[tuple[str, int]] = set()
    for t in metrics["top_features"]:
        for i in t.get("example_pairs", [])[:1]:
            if i < view.n:
                ev = view.side(t["side"])[i].evidence()
                if (ev.file, ev.line) not in seen:
                    seen.add((ev.file, ev.line))
                    out.append(ev)
        if len(out) >= k:
            break
    return out or interleave_evidence(view, [i for i in metrics["example_pairs"] if i < view.n], k=k)
