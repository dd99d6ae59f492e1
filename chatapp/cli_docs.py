"""``chatapp docs``: collections of local documents, indexed for search (and, later, for chat).

    chatapp docs add PATH… [--collection NAME] [--embedding-model GGUF]
    chatapp docs list | rm NAME | reindex [NAME] | search QUERY [--collection NAME] [-k N]

Progress goes to stderr; results to stdout, one per line.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatapp.core.docs.index import DocIndex, IndexResult, Progress
    from chatapp.core.docs.search import Hit
    from chatapp.core.inference.embeddings import Embedder

DEFAULT_COLLECTION = "default"
PASSAGE_WORDS = 16


class DocsCliError(Exception):
    """One line for stderr, exit status 1."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("docs", parents=[common], help="index local documents and search them")
    docs = p.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    add = docs.add_parser("add", parents=[common], help="add files or folders to a collection")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--collection", default=DEFAULT_COLLECTION, metavar="NAME")
    add.add_argument(
        "--embedding-model",
        type=Path,
        metavar="GGUF",
        help="the GGUF embedding model (needed for a new collection, remembered after; "
        "another one re-embeds the whole collection)",
    )
    docs.add_parser("list", parents=[common], help="collections, their files and skipped files")
    rm = docs.add_parser("rm", parents=[common], help="remove a collection from the index")
    rm.add_argument("name", metavar="NAME")
    re_ = docs.add_parser(
        "reindex", parents=[common], help="bring a collection (default: all) up to date"
    )
    re_.add_argument("name", nargs="?", metavar="NAME")
    find = docs.add_parser("search", parents=[common], help="the passages that best match")
    find.add_argument("query", metavar="QUERY")
    find.add_argument("--collection", default=DEFAULT_COLLECTION, metavar="NAME")
    find.add_argument("-k", type=int, default=5, metavar="N", help="how many passages (5)")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.docs.index import DocIndex, DocIndexError

    try:
        with DocIndex.open_dir(data_dir) as index:
            if args.docs_command == "add":
                return _add(index, args)
            if args.docs_command == "list":
                return _list(index)
            if args.docs_command == "rm":
                index.remove(args.name)
                print(f"chatapp: removed collection {args.name}", file=sys.stderr)
                return 0
            if args.docs_command == "reindex":
                return _reindex(index, args.name)
            if args.docs_command == "search":
                return _search(index, args)
    except DocIndexError as exc:
        raise DocsCliError(str(exc)) from exc
    raise AssertionError(args.docs_command)


def _embedder(path: Path) -> Embedder:
    from chatapp.core.errors import EngineError
    from chatapp.core.inference.embeddings import Embedder
    from chatapp.core.inference.engine import ModelFileError

    try:
        return Embedder(path)
    except (ModelFileError, EngineError, OSError) as exc:
        raise DocsCliError(str(exc)) from exc


def _add(index: DocIndex, args: argparse.Namespace) -> int:
    for path in args.paths:
        if not path.exists():
            raise DocsCliError(f"{path}: no such file or folder")
    model = args.embedding_model
    if model is None:
        if not index.exists(args.collection):
            raise DocsCliError(
                f"collection {args.collection!r} is new: name its model with --embedding-model GGUF"
            )
        model = Path(index.model_of(args.collection))
    embedder = _embedder(model)
    try:
        result = _run_index(index, args.collection, list(args.paths), embedder)
    finally:
        embedder.close()
    return 130 if result.cancelled else 0


def _reindex(index: DocIndex, name: str | None) -> int:
    names = [name] if name is not None else [c.name for c in index.collections()]
    if name is not None:
        index.collection_id(name)  # an unknown name: one line, before any model loads
    for each in names:
        embedder = _embedder(Path(index.model_of(each)))
        try:
            result = _run_index(index, each, None, embedder)
        finally:
            embedder.close()
        if result.cancelled:
            return 130
    return 0


def _run_index(
    index: DocIndex, collection: str, paths: list[Path] | None, embedder: Embedder
) -> IndexResult:
    from chatapp.core.docs.index import IndexResult as Result

    cancel = threading.Event()
    started = time.monotonic()
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and p.files_done < p.files_total:
            return
        last[0] = now
        eta = ""
        if p.bytes_done and p.bytes_total > p.bytes_done:
            left = (now - started) * (p.bytes_total - p.bytes_done) / p.bytes_done
            eta = f", about {left:.0f} s left"
        print(
            f"chatapp: {collection}: {p.files_done}/{p.files_total} files, "
            f"{p.chunks_done} chunks embedded{eta}",
            file=sys.stderr,
            flush=True,
        )

    try:
        result = index.index(collection, paths, embedder, progress, cancel)
    except KeyboardInterrupt:
        # the file being embedded is dropped; every finished one is already committed
        print(
            f"chatapp: interrupted; the files finished are kept (chatapp docs reindex "
            f"{collection} goes on from there)",
            file=sys.stderr,
        )
        return Result(cancelled=True)
    if result.model_changed:
        print(
            f"chatapp: {collection}: new embedding model, every file re-embedded", file=sys.stderr
        )
    for path, reason in result.skipped:
        print(f"chatapp: skipped {path}: {reason}", file=sys.stderr)
    print(
        f"chatapp: {collection}: {len(result.embedded)} files embedded ({result.chunks} chunks), "
        f"{result.unchanged} unchanged, {len(result.skipped)} skipped, "
        f"{len(result.removed)} removed",
        file=sys.stderr,
    )
    return result


def _list(index: DocIndex) -> int:
    collections = index.collections()
    if not collections:
        print("chatapp: no collections yet (chatapp docs add PATH…)", file=sys.stderr)
    for c in collections:
        print(f"{c.name}\t{c.files} files\t{c.chunks} chunks\t{Path(c.model).name}")
        for path, reason in c.skipped:
            print(f"  skipped\t{path}\t{reason}")
    return 0


def _search(index: DocIndex, args: argparse.Namespace) -> int:
    from chatapp.core.docs.search import search

    if args.k < 1:
        raise DocsCliError(f"-k must be at least 1, got {args.k}")
    if not args.query.strip():
        raise DocsCliError("the query is empty")
    model = Path(index.model_of(args.collection))
    embedder: Embedder | None = None
    if model.exists():
        embedder = _embedder(model)
    else:
        print(f"chatapp: {model} is gone: keyword search only", file=sys.stderr)
    try:
        hits = search(index, args.collection, args.query, embedder, args.k)
    finally:
        if embedder is not None:
            embedder.close()
    for hit in hits:
        words = hit.text.split()
        passage = " ".join(words[:PASSAGE_WORDS]) + (" …" if len(words) > PASSAGE_WORDS else "")
        print(f"{hit.path}\t{hit.where or '-'}\t{hit.score:.4f}\t{passage}")
    return 0


def retrieve(data_dir: Path, collection: str, question: str, k: int) -> list[Hit]:
    """The passages of ``collection`` for ``question`` (``chatapp chat --docs``)."""
    from chatapp.core.docs.index import DocIndex, DocIndexError
    from chatapp.core.docs.search import search

    if k < 1:
        raise DocsCliError(f"--docs-k must be at least 1, got {k}")
    try:
        with DocIndex.open_dir(data_dir) as index:
            model = Path(index.model_of(collection))
            embedder = _embedder(model) if model.exists() else None
            if embedder is None:
                print(f"chatapp: {model} is gone: keyword search only", file=sys.stderr)
            try:
                return search(index, collection, question, embedder, k)
            finally:
                if embedder is not None:
                    embedder.close()
    except DocIndexError as exc:
        raise DocsCliError(str(exc)) from exc
