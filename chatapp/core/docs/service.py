"""The documents' use cases, for every front end (the window, ``chatapp docs``, ``chatapp chat
--docs``): the collections, indexing them, and finding what a question should be answered from.

One ``DocsService`` owns the documents index (its own SQLite file, never the conversations') and
the embedding models it has loaded, one per model file, shared by indexing and retrieval (an
``Embedder`` embeds one batch at a time under its own lock). Nothing here waits on Qt; the window
calls it from its workers.

Answering from documents (``retrieve``) chooses between two modes:

- **passages**: hybrid search (keywords and meaning, see ``search``) over the conversation's
  collections gives the ``k`` best passages;
- **document**: when the question names one document (its file name, or its name without the
  extension) or asks for a summary or a count, and that document fits the model's prompt budget,
  the whole document goes to the model instead, because passages cannot answer "summarise this
  file" or "how many items are listed". The mode is saved with the reply and shown.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from chatapp.core.docs.context import document_text, with_document, with_passages
from chatapp.core.docs.extract import Skipped, extract
from chatapp.core.docs.index import DocIndex, DocIndexError, IndexResult, Progress, TextEmbedder
from chatapp.core.docs.search import Hit, search_many
from chatapp.core.docs.sources import SAVED_TEXT_MAX, Source, Sources

if TYPE_CHECKING:
    from chatapp.core.inference.embeddings import Embedded, Embedder

log = logging.getLogger(__name__)

# A question that wants the whole document rather than passages of it (English and Chinese).
_WHOLE: Final = re.compile(
    r"\b(summar(y|ies|i[sz]e\w*)|overview|outline|tl;?dr|gist|how many|count\w*|list (all|every)"
    r"|all the|every (item|entry|one)|whole (document|file))\b"
    r"|总结|概括|摘要|概述|多少|几个|几条|几项|列出所有|全部",
    re.IGNORECASE,
)
_FILE_WORDS: Final = re.compile(
    r"\b(file|document|doc|pdf|paper|report|page)s?\b|文件|文档|报告", re.IGNORECASE
)
# a file name shorter than this is not looked for in questions ("a.md" would match too often)
_NAME_MIN: Final = 4
# the prompt budget used where the backend does not know its context (a remote server)
UNKNOWN_BUDGET: Final = 8192
# at most this share of the prompt budget goes to a whole document; the rest is the history
WHOLE_SHARE: Final = 0.75
# characters a token takes, at least, in any tokenizer: a longer text is not even tokenized
_CHARS_PER_TOKEN_MAX: Final = 8


class DocsError(Exception):
    """A documents use case cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Retrieval:
    """What a question is answered from: the prompt the model reads in place of the question,
    and the sources saved with the reply (``None``: nothing was found, the question goes as
    typed)."""

    prompt: str
    sources: Sources | None
    notes: tuple[str, ...] = ()  # e.g. "keyword search only: the embedding model is gone"


class DocsService:
    def __init__(self, index: DocIndex) -> None:
        self.index = index
        self._embedders: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    @classmethod
    def open_dir(cls, data_dir: Path) -> DocsService:
        """Raises DocIndexError when the index cannot be opened."""
        return cls(DocIndex.open_dir(data_dir))

    def close(self) -> None:
        with self._lock:
            for embedder in self._embedders.values():
                embedder.close()
            self._embedders.clear()
        self.index.close()

    def __enter__(self) -> DocsService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- embedding models ---------------------------------------------------------------------

    def embedder(self, model: Path | str) -> Embedder:
        """The loaded embedding model for this file (loaded on first use, then kept).

        Raises DocsError when it cannot be loaded (missing, not a GGUF, refused)."""
        from chatapp.core.errors import EngineError
        from chatapp.core.inference.embeddings import Embedder
        from chatapp.core.inference.engine import ModelFileError

        key = str(Path(model).resolve())
        with self._lock:
            loaded = self._embedders.get(key)
            if loaded is not None:
                return loaded
            try:
                loaded = Embedder(key)
            except (ModelFileError, EngineError, OSError) as exc:
                raise DocsError(str(exc)) from exc
            self._embedders[key] = loaded
            return loaded

    def release(self, model: Path | str) -> None:
        """Unload an embedding model no collection uses any more."""
        with self._lock:
            loaded = self._embedders.pop(str(Path(model).resolve()), None)
        if loaded is not None:
            loaded.close()

    # -- collections ----------------------------------------------------------------------------

    def add(
        self,
        collection: str,
        paths: list[Path] | None,
        model: Path | None = None,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexResult:
        """Index ``paths`` into ``collection`` (``None``: bring its paths up to date).

        ``model``: the embedding model; needed for a new collection, the collection's own by
        default; another one re-embeds the whole collection.

        Raises DocsError (unknown collection, no model named, model cannot load) or
        DocIndexError."""
        name = collection.strip()
        if not name:
            raise DocsError("a collection needs a name")
        for path in paths or []:
            if not path.exists():
                raise DocsError(f"{path}: no such file or folder")
        if model is None:  # its own model, loaded only if a file turns out new or changed
            if not self.index.exists(name):
                raise DocsError(f"collection {name!r} is new: choose its embedding model")
            own = Path(self.index.model_of(name))
            embedder: TextEmbedder = _LoadedWhenNeeded(own, lambda: self.embedder(own))
        else:  # a model just chosen: loaded now, so a bad file makes no collection
            embedder = self.embedder(model)
        return self.index.index(name, paths, embedder, on_progress, cancel)

    def device(self, model: Path | str) -> str | None:
        """Where an embedding model runs ("CPU", "GPU (CUDA)"…), once it is loaded."""
        with self._lock:
            loaded = self._embedders.get(str(Path(model).resolve()))
        return loaded.device if loaded is not None else None

    # -- answering ------------------------------------------------------------------------------

    def retrieve(
        self,
        collections: Sequence[str],
        question: str,
        *,
        k: int = 5,
        min_similarity: float = 0.0,
        budget_tokens: Callable[[], int] | None = None,
        count_tokens: Callable[[str], int] | None = None,
    ) -> Retrieval:
        """What to answer ``question`` from, out of ``collections``.

        ``budget_tokens``: asked for the tokens the prompt has room for, only when the question
        wants a whole document (measuring it may mean tokenizing the conversation); ``None``:
        the whole-document mode is not used. ``count_tokens`` counts in the chat model's
        tokens.

        A collection whose embedding model is gone is searched by keywords only, and the notes
        say so. Raises DocsError for a collection that does not exist."""
        if not question.strip():
            return Retrieval(question, None)
        hits, notes, searched = self._search(collections, question, k, min_similarity)
        if budget_tokens is not None and count_tokens is not None:
            whole = self._whole_document(searched, question, hits, budget_tokens, count_tokens)
            if whole is not None:
                prompt, source = whole
                return Retrieval(
                    prompt, Sources("document", (source,), "; ".join(notes)), tuple(notes)
                )
        if not hits:
            return Retrieval(question, None, tuple(notes))
        items = tuple(
            Source(
                n=i,
                path=hit.path,
                text=hit.text,
                page=hit.page,
                heading=hit.heading,
                collection=hit.collection,
                score=hit.score,
            )
            for i, hit in enumerate(hits, 1)
        )
        return Retrieval(
            with_passages(question, hits),
            Sources("passages", items, "; ".join(notes)),
            tuple(notes),
        )

    def search(
        self, collections: Sequence[str], query: str, k: int = 5, *, min_similarity: float = 0.0
    ) -> tuple[list[Hit], list[str]]:
        """The ``k`` passages of ``collections`` that best match ``query``, and notes on how
        they were searched (a collection whose embedding model is gone is searched by keywords
        only). Raises DocsError for an unknown collection or a ``k`` below 1."""
        hits, notes, _ = self._search(collections, query, k, min_similarity)
        return hits, notes

    def _search(
        self, collections: Sequence[str], query: str, k: int, min_similarity: float
    ) -> tuple[list[Hit], list[str], list[tuple[str, Embedder | None]]]:
        if k < 1:
            raise DocsError(f"the number of passages must be at least 1, got {k}")
        notes: list[str] = []
        searched: list[tuple[str, Embedder | None]] = []
        for name in dict.fromkeys(collections):
            try:
                model = Path(self.index.model_of(name))
            except DocIndexError as exc:
                raise DocsError(str(exc)) from exc
            embedder: Embedder | None = None
            if model.exists():
                try:
                    embedder = self.embedder(model)
                except DocsError as exc:
                    notes.append(f"{name}: keyword search only ({exc})")
            else:
                notes.append(f"{name}: keyword search only: its embedding model {model} is gone")
            searched.append((name, embedder))
        hits = search_many(self.index, searched, query, k, min_similarity=min_similarity)
        return hits, notes, searched

    def _whole_document(
        self,
        searched: list[tuple[str, Embedder | None]],
        question: str,
        hits: list[Hit],
        budget_tokens: Callable[[], int],
        count_tokens: Callable[[str], int],
    ) -> tuple[str, Source] | None:
        """The whole-document prompt and its source, when the question wants one document and
        it fits ``budget_tokens()``; else ``None`` (passages are used)."""
        files = [(name, path) for name, _ in searched for path, _n in self.index.files(name)]
        target = _named_document(question, files)
        if target is None and _WHOLE.search(question):
            if len(files) == 1:
                target = files[0]
            elif hits:
                target = (hits[0].collection, hits[0].path)
        if target is None:
            return None
        collection, path = target
        try:
            sections = extract(Path(path))
        except (Skipped, OSError) as exc:
            log.info("whole document %s cannot be read again (%s): passages instead", path, exc)
            return None
        text = document_text(sections)
        budget = int(budget_tokens() * WHOLE_SHARE)
        if len(text) > budget * _CHARS_PER_TOKEN_MAX or count_tokens(text) > budget:
            return None
        source = Source(
            n=1,
            path=path,
            text=text[:SAVED_TEXT_MAX] + ("…" if len(text) > SAVED_TEXT_MAX else ""),
            collection=collection,
        )
        return with_document(question, path, sections), source


@dataclass(frozen=True)
class _File:
    path: Path


class _LoadedWhenNeeded:
    """A collection's embedding model for indexing, loaded the first time a file needs its
    tokens or vectors: bringing an unchanged collection up to date (at every start of the
    window, after every folder change) loads no model."""

    def __init__(self, path: Path, load: Callable[[], Embedder]) -> None:
        self.info = _File(path.resolve())
        self._load = load

    @property
    def max_tokens(self) -> int:
        return self._load().max_tokens

    def count_tokens(self, text: str) -> int:
        return self._load().count_tokens(text)

    def embed(self, texts: list[str]) -> Embedded:
        return self._load().embed(texts)


def _named_document(question: str, files: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The one file the question names; ``None`` if none or several.

    A file is named by its file name ("report.pdf"), or by its name without the extension
    when that is more than one word ("annual report", "annual_report" for annual_report.pdf)
    or the question speaks of a file or document ("summarise the report document"): a lone
    word such as "warranty" is a topic more often than a file."""
    asked = question.casefold()
    speaks_of_files = bool(_FILE_WORDS.search(asked))
    named = []
    for collection, path in files:
        name = Path(path).name.casefold()
        stem = Path(path).stem.casefold()
        spaced = re.sub(r"[_\-.]+", " ", stem).strip()
        forms = [name]
        if speaks_of_files or " " in spaced:
            forms += [stem, spaced]
        for form in dict.fromkeys(forms):
            if len(form) >= _NAME_MIN and re.search(
                rf"(?<!\w){re.escape(form)}(?!\w)", asked, re.UNICODE
            ):
                named.append((collection, path))
                break
    return named[0] if len(set(named)) == 1 else None


__all__ = ["UNKNOWN_BUDGET", "DocsError", "DocsService", "Retrieval"]
