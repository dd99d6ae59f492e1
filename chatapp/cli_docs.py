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
    from chatapp.core.docs.service import DocsService

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
    from chatapp.core.docs.index import DocIndexError
    from chatapp.core.docs.service import DocsError, DocsService

    try:
        with DocsService.open_dir(data_dir) as docs:
            if args.docs_command == "add":
                return _add(docs, args)
            if args.docs_command == "list":
                return _list(docs.index)
            if args.docs_command == "rm":
                docs.index.remove(args.name)
                print(f"chatapp: removed collection {args.name}", file=sys.stderr)
                return 0
            if args.docs_command == "reindex":
                return _reindex(docs, args.name)
            if args.docs_command == "search":
                return _search(docs, args)
    except (DocIndexError, DocsError) as exc:
        raise DocsCliError(str(exc)) from exc
    raise AssertionError(args.docs_command)


def _add(docs: DocsService, args: argparse.Namespace) -> int:
    if args.embedding_model is None and not docs.index.exists(args.collection):
        raise DocsCliError(
            f"collection {args.collection!r} is new: name its model with --embedding-model GGUF"
        )
    result = _run_index(docs, args.collection, list(args.paths), args.embedding_model)
    return 130 if result.cancelled else 0


def _reindex(docs: DocsService, name: str | None) -> int:
    names = [name] if name is not None else [c.name for c in docs.index.collections()]
    if name is not None:
        docs.index.collection_id(name)  # an unknown name: one line, before any model loads
    for each in names:
        if _run_index(docs, each, None, None).cancelled:
            return 130
    return 0


def _run_index(
    docs: DocsService, collection: str, paths: list[Path] | None, model: Path | None
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
        result = docs.add(collection, paths, model, on_progress=progress, cancel=cancel)
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


def _search(docs: DocsService, args: argparse.Namespace) -> int:
    if args.k < 1:
        raise DocsCliError(f"-k must be at least 1, got {args.k}")
    if not args.query.strip():
        raise DocsCliError("the query is empty")
    hits, notes = docs.search([args.collection], args.query, args.k)
    for note in notes:
        print(f"chatapp: {note}", file=sys.stderr)
    for hit in hits:
        words = hit.text.split()
        passage = " ".join(words[:PASSAGE_WORDS]) + (" …" if len(words) > PASSAGE_WORDS else "")
        print(f"{hit.path}\t{hit.where or '-'}\t{hit.score:.4f}\t{passage}")
    return 0
