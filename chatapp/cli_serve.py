"""``chatapp serve``: the loaded model as an OpenAI-compatible API for other programs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatapp.core.errors import EngineError

if TYPE_CHECKING:
    from chatapp.core.storage.store import Store


class ServeCliError(Exception):
    """One line for stderr, exit status 1."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from chatapp.api import DEFAULT_HOST, DEFAULT_PORT

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve a model as an OpenAI-compatible API (http://127.0.0.1:8080/v1)",
    )
    p.add_argument("--model", type=Path, required=True, help="GGUF model file to serve")
    p.add_argument(
        "--embedding-model",
        type=Path,
        metavar="FILE",
        help="a GGUF embedding model to serve at /v1/embeddings as well",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on ({DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="take the API key from this environment variable (default: one generated on first "
        "use and kept in the system keyring)",
    )
    p.add_argument(
        "--no-auth", action="store_true", help="no key at all (only on a loopback address)"
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from this origin (repeatable; default: none)",
    )
    p.add_argument(
        "--save-conversations",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="save each chat request and its reply in the conversation history "
        "(default: as in the window's Local API server dialog, off)",
    )
    p.add_argument("--ctx", type=int, help="context length (default: trained, at most 8192)")
    p.add_argument(
        "--max-waiting",
        type=int,
        default=8,
        help="requests that may wait behind the running one; more get 429 (default 8)",
    )


def run(args: argparse.Namespace, data_dir: Path | None) -> int:
    from chatapp.api.running import ApiServer, ServerError, is_loopback, server_key
    from chatapp.api.server import ServerOptions
    from chatapp.core.chat.scheduler import Scheduler
    from chatapp.core.chat.service import exchange_saver
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
    from chatapp.core.config.settings import SettingsError
    from chatapp.core.inference.engine import Engine, ModelFileError
    from chatapp.core.storage.paths import config_dir

    if not 0 <= args.port <= 65535:
        raise ServeCliError(f"--port must be between 0 and 65535, got {args.port}")
    if args.max_waiting < 0:
        raise ServeCliError(f"--max-waiting must be 0 or more, got {args.max_waiting}")
    if args.no_auth and args.api_key_env:
        raise ServeCliError("--no-auth and --api-key-env exclude each other")
    if args.no_auth and not is_loopback(args.host):
        raise ServeCliError(
            f"--no-auth is allowed only on a loopback address, not {args.host}: "
            "other machines could use the model"
        )
    if args.api_key_env:
        value = os.environ.get(args.api_key_env, "").strip()
        if not value:
            raise ServeCliError(f"the environment variable {args.api_key_env} is not set")
        key, where = value, f"from ${args.api_key_env}"
    elif args.no_auth:
        key, where = None, "none (--no-auth)"
    else:
        found = server_key()
        key, where = found.value, found.where
        if where.startswith("for this run only"):
            where += "; --api-key-env VAR sets a lasting one"
    settings, problem = SettingsFile(config_dir(data_dir) / SETTINGS_FILENAME).load()
    if problem:
        print(f"chatapp: {problem}", file=sys.stderr)
    try:
        load = settings.load.updated(n_ctx=args.ctx)
    except SettingsError as exc:
        raise ServeCliError(str(exc)) from exc
    engine = Engine()
    try:
        loaded = engine.load(args.model, load, chat_template=settings.chat_template)
    except (ModelFileError, EngineError) as exc:
        raise ServeCliError(str(exc)) from exc
    embedder = None
    if args.embedding_model is not None:
        from chatapp.core.inference.embeddings import Embedder

        try:
            embedder = Embedder(args.embedding_model)
        except (ModelFileError, EngineError) as exc:
            raise ServeCliError(str(exc)) from exc
    save = settings.api_save_conversations
    if args.save_conversations is not None:
        save = args.save_conversations
    store = _open_store(data_dir) if save else None
    options = ServerOptions(
        api_key=key,
        cors_origins=tuple(args.cors_origin),
        defaults=lambda: settings.generation,
        save=exchange_saver(store) if store is not None else None,
        embedder=embedder,
    )
    try:
        server = ApiServer(
            engine,
            options,
            host=args.host,
            port=args.port,
            scheduler=Scheduler(args.max_waiting),
        )
    except ServerError as exc:
        raise ServeCliError(str(exc)) from exc
    print(f"chatapp: {loaded.describe()}", file=sys.stderr)
    print(f"chatapp: serving {loaded.info.path.stem} at {server.url}", file=sys.stderr)
    if embedder is not None:
        print(f"chatapp: and {embedder.name} at {server.url}/embeddings", file=sys.stderr)
    if key is not None:
        print(f"chatapp: API key ({where}): {key}", file=sys.stderr)
    print("chatapp: Ctrl+C stops the server", file=sys.stderr)
    sys.stderr.flush()
    try:
        server.start()
    except ServerError as exc:
        raise ServeCliError(str(exc)) from exc
    print(f"chatapp: listening at {server.url}", file=sys.stderr, flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        engine.unload()
        if store is not None:
            store.close()
        if embedder is not None:
            embedder.close()
    return 0


def _open_store(data_dir: Path | None) -> Store:
    from chatapp.core.storage.paths import data_dir as resolve
    from chatapp.core.storage.store import StoreError

    try:
        return Store.open_dir(resolve(data_dir))
    except StoreError as exc:
        raise ServeCliError(f"{exc} (needed to save API conversations)") from exc
