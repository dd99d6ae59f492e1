"""Hybrid retrieval: keyword (FTS5's BM25) and meaning (cosine of the embedding vectors), fused
by reciprocal rank fusion, so a passage found by either ranks, and one found by both ranks first.

RRF adds 1/(K + rank) over the lists a passage appears in; it needs no calibration between BM25
scores and cosines, which live on unrelated scales, nor between collections embedded by
different models: each collection's vectors make a list of their own.

Keywords come from two FTS5 tables over the same chunks. Words (Latin, Cyrillic, Greek…) are
matched as whole words in ``chunks_fts`` (unicode61), as before. A run of CJK characters, which
has no spaces for unicode61 to split at, is matched in ``chunks_tri`` (trigram) by its
overlapping pairs of characters (most Chinese words are two): a pair, shorter than a trigram,
stands for the trigrams the index holds that start with it, read from the trigram vocabulary by
range, all OR-ed, so BM25 ranks the chunks sharing more of the question's pairs, and rarer ones,
first. A lone CJK character likewise, by the trigrams starting with it; one too common for
that is looked for by a scan of the chunks' text that stops at the first ``SHORT_SCAN`` holding
it (soon: it is common). (An occurrence in a chunk's last two characters starts no trigram.)

Words nearly every chunk holds ("the", "is", "的是") are left out before matching, by FTS5's own
per-term statistics (the fts5vocab tables): ranking every chunk that has "the" costs hundreds of
milliseconds over 100k chunks and tells nothing. When every word of a query is that common, the
keyword lists are empty and the vectors decide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from chatapp.core.docs.index import DocIndex
from chatapp.core.docs.sources import where
from chatapp.core.storage.cjk import CJK_RUN as _CJK_RUN
from chatapp.core.storage.cjk import any_of as _any_of
from chatapp.core.storage.cjk import pieces as _terms
from chatapp.core.storage.cjk import word_pattern

if TYPE_CHECKING:
    from chatapp.core.inference.embeddings import Embedder

RRF_K: Final = 60
CANDIDATES: Final = 50  # from each list, before fusion
COMMON_FRACTION: Final = 0.05  # a term in more than this share of all chunks is left out…
COMMON_MIN: Final = 100  # …once it is in more than this many (small collections keep every word)
SHORT_SCAN: Final = 200  # chunks the scan for a lone CJK character reads at most
PAIR_TRIGRAMS: Final = 64  # trigrams a pair of CJK characters stands for, at most


@dataclass(frozen=True)
class Hit:
    path: str
    page: int | None
    heading: str | None
    score: float  # the fused RRF score
    text: str
    collection: str = ""
    # cosine with the query, where the collection's vectors were searched (it has an embedder
    # of its model); None without one
    similarity: float | None = None
    keyword: bool = False  # found by the keyword search
    chunk_id: int = 0

    @property
    def where(self) -> str:
        return where(self.page, self.heading)


@dataclass(frozen=True)
class _Plan:
    words: list[str]  # for chunks_fts
    trigrams: list[str]  # for chunks_tri: CJK trigrams and words glued to CJK text
    short: list[str]  # lone CJK characters in too many trigrams: a bounded scan


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query on ``chunks_fts`` that cannot be a syntax error: each
    word quoted, any of them may match (BM25 ranks passages with more of them, and rarer ones,
    first). No common-word cap here; ``search`` applies it."""
    terms = [t for t in _terms(text) if not _CJK_RUN.fullmatch(t)]
    return _any_of(terms)


def _fold(word: str) -> str:
    """``word`` as unicode61 stores it (lower case, diacritics removed), for its statistics."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _plan(index: DocIndex, query: str) -> _Plan:
    terms = _terms(query)
    cjk = [t for t in terms if _CJK_RUN.fullmatch(t)]
    words = [t for t in terms if not _CJK_RUN.fullmatch(t)]
    total = index.chunk_count()
    limit = max(COMMON_FRACTION * total, COMMON_MIN)
    # a word with an underscore is a phrase to unicode61 ("a_b" is "a" "b"): kept as it is
    folded = {w: _fold(w) for w in words if "_" not in w}
    docs = index.term_docs("chunks_fts", sorted(set(folded.values())))
    kept = [w for w in words if w not in folded or docs.get(folded[w], 0) <= limit]
    # a CJK run by its overlapping pairs of characters: Chinese words are mostly two
    # characters, and a question seldom shares three in a row with the passage that answers it.
    # A pair is no trigram, so it stands for the trigrams the index has that start with it
    # (its vocabulary, looked up by range); a pair in too many chunks is left out
    grams: list[str] = []
    short: list[str] = []
    for run in cjk:
        if len(run) == 1:  # as a pair; one the index has in too many trigrams: a scan, which
            after = index.trigrams_after(run, PAIR_TRIGRAMS)  # stops soon, the char being common
            if len(after) < PAIR_TRIGRAMS and sum(after.values()) <= limit:
                grams.extend(after)  # none: in no chunk (but at a chunk's very end), no scan
            else:
                short.append(run)
            continue
        for i in range(len(run) - 1):
            after = index.trigrams_after(run[i : i + 2], PAIR_TRIGRAMS)
            if sum(after.values()) <= limit:
                grams.extend(after)
    grams = list(dict.fromkeys(grams))
    # a word glued to CJK text ("基于Transformer的") is no unicode61 token of its own: with a CJK
    # question, or where no chunk has it as a word, it is looked for in the trigram index too
    glued = [
        w for w in kept if len(w) >= 3 and "_" not in w and (cjk or docs.get(folded[w], 0) == 0)
    ]
    return _Plan(kept, grams + glued, short)


def _keyword_lists(index: DocIndex, cids: list[int], query: str) -> list[list[int]]:
    plan = _plan(index, query)
    lists: list[list[int]] = []
    if (match := _any_of(plan.words)) is not None:
        lists.append(index.keyword(cids, match, CANDIDATES))
    if (match := _any_of(plan.trigrams)) is not None:
        found = index.keyword(cids, match, CANDIDATES, table="chunks_tri")
        words = [t for t in plan.trigrams if not _CJK_RUN.search(t)]
        if words and found:  # a trigram match of a word is a substring: keep whole words only
            whole = re.compile(
                "|".join(word_pattern(w) for w in words),
                re.IGNORECASE,
            )
            texts = index.chunk_rows(found)
            grams_only = [t for t in plan.trigrams if _CJK_RUN.search(t)]
            found = [
                c
                for c in found
                if c in texts
                and (whole.search(texts[c][1]) or any(g in texts[c][1].lower() for g in grams_only))
            ]
        lists.append(found)
    if plan.short:
        rows = index.containing(cids, plan.short, SHORT_SCAN)
        # more occurrences, in a shorter chunk, first
        rows.sort(key=lambda r: (-sum(r[1].count(s) for s in plan.short) / (len(r[1]) + 50), r[0]))
        lists.append([i for i, _ in rows[:CANDIDATES]])
    return [ranking for ranking in lists if ranking]


def search_many(
    index: DocIndex,
    sources: list[tuple[str, Embedder | None]],
    query: str,
    k: int = 5,
    *,
    min_similarity: float = 0.0,
) -> list[Hit]:
    """The ``k`` best passages of several collections, each searched by keywords and by its own
    embedding model (``None``: keywords only), all the ranked lists fused by RRF.

    A passage found only by its vectors, with a cosine below ``min_similarity``, is left out;
    one found by keywords stays. Raises DocIndexError for an unknown collection."""
    names = {index.collection_id(name): name for name, _ in sources}
    cids = list(names)
    ranked = _keyword_lists(index, cids, query) if query.strip() else []
    by_keyword = {c for ranking in ranked for c in ranking}
    cosines: dict[int, float] = {}
    vectors: list[tuple[np.ndarray, np.ndarray]] = []
    for name, embedder in sources:
        if embedder is None or not query.strip():
            continue
        ids, matrix = index.matrix(index.collection_id(name))
        if not len(ids):
            continue
        q = np.asarray(embedder.embed([query]).vectors[0], dtype=np.float32)
        if q.shape[0] != matrix.shape[1]:
            continue
        scores = matrix @ q  # unit vectors: the cosine; ~15 ms for 100k x 768
        n = min(CANDIDATES, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        vectors.append((ids, scores))
        ranking = [
            int(ids[i]) for i in top if scores[i] >= min_similarity or int(ids[i]) in by_keyword
        ]
        ranked.append(ranking)
    fused: dict[int, float] = {}
    for ranking in ranked:
        for rank, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(fused, key=lambda c: (-fused[c], c))[:k]
    for ids, scores in vectors:  # the cosine of every hit whose collection's vectors were read
        at = np.searchsorted(ids, best)  # ids are sorted (matrix() reads them in order)
        for chunk_id, i in zip(best, at, strict=True):
            if i < len(ids) and ids[i] == chunk_id:
                cosines[chunk_id] = float(scores[i])
    rows = index.chunk_rows(best)
    return [
        Hit(
            path=rows[c][0],
            page=rows[c][2],
            heading=rows[c][3],
            score=fused[c],
            text=rows[c][1],
            collection=names[rows[c][4]],
            similarity=cosines.get(c),
            keyword=c in by_keyword,
            chunk_id=c,
        )
        for c in best
        if c in rows
    ]


def search(
    index: DocIndex,
    collection: str,
    query: str,
    embedder: Embedder | None,
    k: int = 5,
    *,
    min_similarity: float = 0.0,
) -> list[Hit]:
    """The ``k`` best passages of one collection; ``embedder`` ``None``: keyword search only.

    Raises DocIndexError for an unknown collection."""
    return search_many(index, [(collection, embedder)], query, k, min_similarity=min_similarity)


__all__ = ["Hit", "fts_query", "search", "search_many"]
