"""Hybrid retrieval: keyword (FTS5's BM25) and meaning (cosine of the embedding vectors), fused
by reciprocal rank fusion, so a passage found by either ranks, and one found by both ranks first.

RRF adds 1/(K + rank) over the lists a passage appears in; it needs no calibration between BM25
scores and cosines, which live on unrelated scales.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from chatapp.core.docs.index import DocIndex

if TYPE_CHECKING:
    from chatapp.core.inference.embeddings import Embedder

RRF_K: Final = 60
CANDIDATES: Final = 50  # from each list, before fusion

_TERM = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    path: str
    page: int | None
    heading: str | None
    score: float
    text: str

    @property
    def where(self) -> str:
        """ "p. 3", the heading path, or "" where the file has neither."""
        if self.page is not None:
            return f"p. {self.page}"
        return self.heading or ""


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query that cannot be a syntax error: each word quoted, any of
    them may match (BM25 ranks passages with more of them, and rarer ones, first)."""
    terms = _TERM.findall(text)
    if not terms:
        return None
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))


def search(
    index: DocIndex,
    collection: str,
    query: str,
    embedder: Embedder | None,
    k: int = 5,
) -> list[Hit]:
    """The ``k`` best passages; ``embedder`` ``None``: keyword search only.

    Raises DocIndexError for an unknown collection."""
    cid = index.collection_id(collection)
    ranked: list[list[int]] = []
    match = fts_query(query)
    if match is not None:
        ranked.append(index.keyword(cid, match, CANDIDATES))
    if embedder is not None and query.strip():
        ids, matrix = index.matrix(cid)
        if len(ids):
            q = np.asarray(embedder.embed([query]).vectors[0], dtype=np.float32)
            if q.shape[0] == matrix.shape[1]:
                scores = matrix @ q  # unit vectors: the cosine; ~15 ms for 100k x 768
                n = min(CANDIDATES, len(scores))
                top = np.argpartition(-scores, n - 1)[:n]
                top = top[np.argsort(-scores[top])]
                ranked.append([int(ids[i]) for i in top])
    fused: dict[int, float] = {}
    for ranking in ranked:
        for rank, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(fused, key=lambda c: (-fused[c], c))[:k]
    rows = index.chunk_rows(best)
    return [
        Hit(rows[c][0], rows[c][2], rows[c][3], fused[c], rows[c][1]) for c in best if c in rows
    ]


__all__ = ["Hit", "fts_query", "search"]
