"""Command line: ``chatapp`` opens the window; ``chat``, ``export`` and ``import`` work headless.

Every failure a user can cause ends with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from chatapp import __version__, cli_backends, cli_docs, cli_models, cli_serve

if TYPE_CHECKING:
    from chatapp.core.config.appsettings import AppSettings
    from chatapp.core.docs.service import DocsService, Retrieval
    from chatapp.core.inference.backend import ChatBackend
    from chatapp.core.inference.remote import RemoteBackend
    from chatapp.core.storage.store import Message, Store

EXIT_ERROR = 1
EXIT_USAGE = 2
log = logging.getLogger("chatapp")


def _parser() -> argparse.ArgumentParser:
    # --data-dir is accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="keep conversations (and settings) in DIR instead of the user data directory",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log details"
    )
    p = argparse.ArgumentParser(
        prog="chatapp",
        description="Chat with local LLMs (GGUF, llama.cpp), offline. "
        "Without a command, opens the window.",
        parents=[common],
    )
    p.add_argument("--version", action="version", version=f"chatapp {__version__}")
    p.add_argument("--model", type=Path, help="GGUF model to load in the window")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check Qt, the store and llama.cpp (and load --model, or a generated model)",
    )
    p.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add chatapp to the desktop's application menu (Linux, this user)",
    )
    p.add_argument("--uninstall-desktop-entry", action="store_true", help="remove it again")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser(
        "chat", parents=[common], help="send one message and stream the reply to stdout"
    )
    chat.add_argument("message", metavar="MESSAGE", help="the message to send ('-' reads stdin)")
    chat.add_argument(
        "--model",
        required=True,
        help="GGUF model file; with --backend, the server's model (see `chatapp backends list`)",
    )
    chat.add_argument(
        "--backend",
        metavar="NAME",
        help="chat with a model on this server (added with `chatapp backends add`)",
    )
    chat.add_argument(
        "--offline",
        action="store_true",
        help="talk to no server that is not marked local (as offline mode in Preferences)",
    )
    chat.add_argument("--system", help="system prompt (for a new conversation, or to change it)")
    chat.add_argument("--continue", dest="continue_id", metavar="ID", help="continue conversation")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--top-p", type=float)
    chat.add_argument("--top-k", type=int)
    chat.add_argument("--min-p", type=float)
    chat.add_argument("--repeat-penalty", type=float)
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--seed", type=int)
    chat.add_argument("--stop", action="append", help="stop string (repeatable)")
    chat.add_argument(
        "--thinking",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a reasoning model thinks before answering, or not (templates with a thinking "
        "switch; default: the template's own)",
    )
    chat.add_argument(
        "--reasoning-effort",
        choices=("low", "medium", "high"),
        help="how long a reasoning model thinks (templates that take an effort)",
    )
    chat.add_argument("--ctx", type=int, help="context length (default: trained, at most 8192)")
    chat.add_argument("--gpu-layers", type=int, help="layers to offload (-1 all, 0 CPU only)")
    chat.add_argument("--threads", type=int)
    chat.add_argument(
        "--prompt-lookup",
        action=argparse.BooleanOptionalAction,
        help="prompt lookup decoding: faster replies that repeat the conversation's text "
        "(default: as in Preferences)",
    )
    chat.add_argument("--lora", type=Path, metavar="FILE", help="GGUF LoRA adapter to apply")
    chat.add_argument(
        "--lora-scale", type=float, metavar="S", help="how strongly the adapter applies (default 1)"
    )
    chat.add_argument("--chat-template", type=Path, help="Jinja file overriding the model's")
    chat.add_argument(
        "--docs",
        action="append",
        metavar="COLLECTION",
        help="answer from this document collection (chatapp docs add; repeat for more): its "
        "best passages, or a whole document the message names, go to the model with the "
        "message and are listed as sources; the conversation keeps using them",
    )
    chat.add_argument(
        "--docs-k", type=int, default=5, metavar="N", help="passages to give (default 5)"
    )
    chat.add_argument(
        "--overflow",
        choices=["drop_oldest", "refuse", "summarise"],
        help="when the conversation no longer fits the context: drop the oldest turns (the "
        "default), refuse, or have the model summarise the older turns (the summary is saved "
        "with the reply, and later replies start from it); the conversation keeps the choice",
    )
    chat.add_argument(
        "--refuse-overflow",
        action="store_true",
        help="the same as --overflow refuse",
    )

    exp = sub.add_parser("export", parents=[common], help="export conversations")
    exp.add_argument("--format", choices=["json", "markdown", "html"], default="json")
    exp.add_argument("--conversation", action="append", metavar="ID", help="only these (repeat)")
    exp.add_argument("-o", "--output", type=Path, help="write to FILE instead of stdout")

    find = sub.add_parser(
        "search", parents=[common], help="full-text search: one hit per line, best first"
    )
    find.add_argument("text", metavar="TEXT", help="words to find (the last one as a prefix)")
    find.add_argument("--limit", type=int, default=50, help="at most N hits (default 50)")

    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import conversations: a chatapp export, or ChatGPT's, Claude's, Open WebUI's"
        " or LM Studio's (a file, a folder or a zip file)",
    )
    imp.add_argument("file", type=Path, metavar="FILE_OR_FOLDER")
    imp.add_argument(
        "--format",
        choices=("auto", "chatapp", "chatgpt", "claude", "openwebui", "lmstudio"),
        default="auto",
        help="the export's format (default: told from the content)",
    )
    fix = sub.add_parser(
        "repair",
        parents=[common],
        help="copy what a damaged database still holds into a new one (the old file is kept)",
    )
    fix.add_argument(
        "--force", action="store_true", help="repair even when most messages cannot be read"
    )
    cli_models.add_parser(sub, common)
    cli_backends.add_parser(sub, common)
    cli_serve.add_parser(sub, common)
    cli_docs.add_parser(sub, common)
    return p


class CliError(Exception):
    """Reported as one line on stderr."""


def _utf8_terminal() -> None:
    """Text in and out of the terminal is UTF-8, whatever the locale says: under C or POSIX
    without Python's UTF-8 mode (``PYTHONUTF8=0``, an embedding program, an old service
    manager) Python would write ASCII, and a Chinese message fail with UnicodeEncodeError.
    What cannot be written (never in a saved message, which is UTF-8) becomes "?" on stdout, an
    escape on stderr; stdin stays strict, so a message that is not UTF-8 is refused in words."""
    for stream, errors in (
        (sys.stdout, "replace"),
        (sys.stderr, "backslashreplace"),
        (sys.stdin, "strict"),
    ):
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(encoding="utf-8", errors=errors)


def _utf8_arguments(argv: list[str]) -> list[str]:
    """The command line as UTF-8: where the locale is ASCII, Python keeps each byte past 127 of
    an argument as a lone surrogate; ``os.fsencode`` gives the bytes back. An argument that is
    not UTF-8 either is left as it is (``_text_argument`` refuses it in words)."""
    out = []
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            with contextlib.suppress(UnicodeDecodeError):
                arg = os.fsencode(arg).decode("utf-8")
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    _utf8_terminal()
    args = _parser().parse_args(_utf8_arguments(sys.argv[1:] if argv is None else argv))
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("llama.cpp").setLevel(logging.CRITICAL)
    data_dir: Path | None = getattr(args, "data_dir", None)
    if args.command is None and args.self_test:
        from chatapp.selftest import run

        return run(args.model)
    if args.command is None and (args.install_desktop_entry or args.uninstall_desktop_entry):
        return _desktop(install=args.install_desktop_entry)
    if args.command is None:
        from chatapp.ui.app import run_app  # Qt is imported only for the window

        return run_app(data_dir, args.model)
    try:
        if args.command == "chat":
            return _chat(args, data_dir)
        if args.command == "export":
            return _export(args, data_dir)
        if args.command == "import":
            return _import(args, data_dir)
        if args.command == "search":
            return _search(args, data_dir)
        if args.command == "repair":
            return _repair(data_dir, force=args.force)
        if args.command == "serve":
            return cli_serve.run(args, data_dir)
        if args.command == "models":
            from chatapp.core.storage.paths import data_dir as resolve

            return cli_models.run(args, resolve(data_dir))
        if args.command == "docs":
            from chatapp.core.storage.paths import data_dir as resolve

            return cli_docs.run(args, resolve(data_dir))
        if args.command == "backends":
            from chatapp.core.storage.paths import config_dir

            offline = _user_settings(data_dir).offline
            return cli_backends.run(args, config_dir(data_dir), offline)
    except (
        CliError,
        cli_models.ModelsCliError,
        cli_backends.BackendsCliError,
        cli_serve.ServeCliError,
        cli_docs.DocsCliError,
    ) as exc:
        print(f"chatapp: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `chatapp search … | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's flush does not fail again
        return EXIT_ERROR
    except Exception as exc:
        from chatapp.core.storage.store import StoreError

        if not isinstance(exc, StoreError):
            raise
        print(f"chatapp: {exc}", file=sys.stderr)  # the disk, the lock, a damaged file…
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("chatapp: interrupted", file=sys.stderr)
        return 130
    raise AssertionError(args.command)


def _desktop(*, install: bool) -> int:
    from chatapp import desktop

    try:
        paths = desktop.install() if install else desktop.uninstall()
    except OSError as exc:
        print(f"chatapp: cannot write the menu entry: {exc}", file=sys.stderr)
        return EXIT_ERROR
    verb = "installed" if install else "removed"
    print(f"chatapp: {verb} {len(paths)} files (menu entry and icons)", file=sys.stderr)
    return 0


def _open_store(data_dir: Path | None, *, read_only: bool = False) -> Store:
    """The store; ``read_only`` for commands that only read (they work on a read-only medium)."""
    from chatapp.core.storage.paths import data_dir as resolve
    from chatapp.core.storage.store import Store, StoreError, StoreOutdated

    folder = resolve(data_dir)
    try:
        try:
            return Store.open_dir(folder, read_only=read_only)
        except StoreOutdated:  # an older chatapp's file: upgrade it first, where it can be
            return Store.open_dir(folder)
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def _user_settings(data_dir: Path | None) -> AppSettings:
    """The user's settings.json (Preferences), as the window reads it; a problem is one line."""
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
    from chatapp.core.storage.paths import config_dir

    settings, problem = SettingsFile(config_dir(data_dir) / SETTINGS_FILENAME).load()
    if problem:  # e.g. where a broken file was put aside; the defaults are used
        print(f"chatapp: {problem}", file=sys.stderr)
    return settings


def _chat(args: argparse.Namespace, data_dir: Path | None) -> int:
    import signal
    import threading

    from chatapp.core.chat.service import ChatService
    from chatapp.core.config.settings import OverflowPolicy, SettingsError
    from chatapp.core.inference.backend import TextDelta, ThinkingDelta
    from chatapp.core.inference.engine import (
        Engine,
        EngineError,
        LoraAdapter,
        ModelFileError,
        TemplateError,
    )
    from chatapp.core.inference.kvstate import STATES_DIRNAME, StateCache
    from chatapp.core.storage.paths import cache_dir
    from chatapp.core.storage.store import StoreError

    if args.message == "-":
        try:
            message = _text_argument(sys.stdin.read(), "the message on stdin")
        except UnicodeDecodeError as exc:
            raise CliError(f"the message on stdin is not UTF-8 text ({exc.reason})") from exc
    else:
        message = _text_argument(args.message, "the message")
    if args.system is not None:
        _text_argument(args.system, "the system prompt")
    if not message.strip():
        raise CliError("the message is empty")
    if args.backend is not None:
        local_only = {
            "--ctx": args.ctx,
            "--gpu-layers": args.gpu_layers,
            "--threads": args.threads,
            "--prompt-lookup": args.prompt_lookup,
            "--lora": args.lora,
            "--chat-template": args.chat_template,
            "--refuse-overflow": args.refuse_overflow or None,
            "--overflow": args.overflow,
        }
        given_local = [flag for flag, value in local_only.items() if value is not None]
        if given_local:
            raise CliError(
                f"{', '.join(given_local)}: only for a model on this computer; the server "
                f"{args.backend} loads and fits its models itself"
            )
    if args.lora_scale is not None and args.lora is None:
        raise CliError("--lora-scale needs --lora FILE")
    if args.lora_scale is not None and not math.isfinite(args.lora_scale):
        raise CliError(f"--lora-scale must be a number, got {args.lora_scale}")
    lora = (
        LoraAdapter(args.lora, 1.0 if args.lora_scale is None else args.lora_scale)
        if args.lora is not None
        else None
    )
    template = None
    if args.chat_template is not None:
        try:
            template = args.chat_template.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read chat template {args.chat_template}: {exc}") from exc
    # Only what was given on the command line becomes the conversation's own setting; the rest
    # follows the defaults in Preferences, now and when they change.
    given = {
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": args.top_k,
        "min_p": args.min_p,
        "repeat_penalty": args.repeat_penalty,
        "max_tokens": args.max_tokens,
        "seed": args.seed,
        "stop": list(args.stop) if args.stop else None,
        "overflow": str(OverflowPolicy.REFUSE) if args.refuse_overflow else args.overflow,
        "thinking": args.thinking,
        "reasoning_effort": args.reasoning_effort,
    }

    with _open_store(data_dir) as store, contextlib.ExitStack() as stack:
        user_settings = _user_settings(data_dir)
        template = template or user_settings.chat_template
        try:
            load = user_settings.load.updated(
                n_ctx=args.ctx,
                n_gpu_layers=args.gpu_layers,
                n_threads=args.threads,
                prompt_lookup=args.prompt_lookup,
            )
        except SettingsError as exc:
            raise CliError(str(exc)) from exc
        chats = ChatService(store, lambda: user_settings.generation)
        conv = None
        if args.continue_id:
            try:
                conv = store.get_conversation(args.continue_id)
            except StoreError as exc:
                raise CliError(str(exc)) from exc
        try:
            overrides = chats.with_overrides(conv, given)
        except SettingsError as exc:
            raise CliError(str(exc)) from exc

        backend: ChatBackend
        engine: Engine | None = None
        remote: RemoteBackend | None = None
        if args.backend is not None:
            backend = remote = _remote_backend(args, data_dir, user_settings)
            model_name = args.model
        else:
            engine = Engine(
                states=StateCache(
                    cache_dir(data_dir) / STATES_DIRNAME, user_settings.reopen_cache_bytes
                )
            )
            try:
                loaded = engine.load(Path(args.model), load, chat_template=template, lora=lora)
            except (ModelFileError, EngineError) as exc:
                raise CliError(str(exc)) from exc
            log.info("%s", loaded.describe())
            backend, model_name = engine, loaded.info.name

        system = args.system if args.system is not None else user_settings.system_prompt or None
        if conv is not None:
            changes: dict[str, object] = {"model": model_name, "settings": overrides}
            if args.system is not None:
                changes["system_prompt"] = args.system
            conv = store.update_conversation(conv.id, **changes)  # type: ignore[arg-type]
        names = tuple(args.docs) if args.docs else (conv.collections if conv else ())
        if names:  # before the message is saved: a bad collection saves nothing
            docs = _open_docs(data_dir, names)
            stack.callback(docs.close)
            chats.docs = docs
        conv, user = chats.send(
            conv, message, model=model_name, system_prompt=system, overrides=overrides
        )
        if args.docs:
            conv = store.set_collections(conv.id, names)
        found: list[Retrieval] = []
        out = sys.stdout
        # Ctrl+C is the reply's Stop: a KeyboardInterrupt raised while llama.cpp reads the
        # prompt would land inside its abort callback, where ctypes swallows it.
        stop = threading.Event()
        previous = signal.signal(signal.SIGINT, lambda _sig, _frame: stop.set())
        replies: list[Message] = []

        def save_delayed(reason: str) -> None:
            out.flush()
            print(
                f"\nchatapp: {reason}; the reply goes on and is saved once the lock is released",
                file=sys.stderr,
            )

        wrote = False
        try:
            events = chats.reply(
                backend,
                conv.id,
                user.id,
                cancel=stop,
                on_begin=replies.append,
                on_save_delayed=save_delayed,
                docs_k=args.docs_k,
                docs_min_similarity=user_settings.docs_min_similarity,
                on_retrieved=found.append,
                on_summarising=lambda n: print(
                    f"chatapp: the conversation no longer fits the context: summarising the "
                    f"earlier {n} message{'s' if n != 1 else ''} first",
                    file=sys.stderr,
                ),
            )
            try:
                thinking = False
                for event in events:
                    if isinstance(event, ThinkingDelta):  # a reasoning model's thinking: stderr
                        sys.stderr.write(event.text)
                        sys.stderr.flush()
                        thinking = True
                    elif isinstance(event, TextDelta):
                        if thinking:  # the answer begins on a line of its own
                            sys.stderr.write("\n")
                            thinking = False
                        out.write(event.text)
                        out.flush()
                        wrote = True
            finally:
                events.close()
        except (TemplateError, EngineError) as exc:  # one line, naming the conversation
            if wrote:  # a reply cut mid-way: what came is kept, the error on a line of its own
                out.write("\n")
                out.flush()
            raise CliError(f"{exc} (conversation {conv.id})") from exc
        except StoreError as exc:
            out.write("\n")
            if not replies:
                raise CliError(f"{exc} (conversation {conv.id})") from exc
            raise CliError(
                f"{exc}; the reply stopped, saved as far as its last save (conversation {conv.id})"
            ) from exc
        finally:
            signal.signal(signal.SIGINT, previous)
            if remote is not None:
                remote.close()
        if stop.is_set():  # what came is saved, marked cancelled
            out.write("\n")
            print(f"conversation {conv.id}", file=sys.stderr)
            raise KeyboardInterrupt
        out.write("\n")
        out.flush()
        print(f"conversation {conv.id}", file=sys.stderr)
        for retrieval in found:
            for note in retrieval.notes:
                print(f"chatapp: {note}", file=sys.stderr)
            if retrieval.sources is None:
                print(
                    f"chatapp: nothing in {', '.join(names)} matches the message", file=sys.stderr
                )
            else:
                print(
                    f"sources ({retrieval.sources.summary}):",
                    *(src.label + f"  {src.path}" for src in retrieval.sources.items),
                    sep="\n  ",
                    file=sys.stderr,
                )
        if replies:
            reply = store.get_message(replies[0].id)
            if reply.metrics is not None:
                print(reply.metrics.summary(), file=sys.stderr)
            if store.get_conversation(conv.id).current_leaf_id != reply.id:
                print(
                    "chatapp: the conversation moved on while this reply was written (another "
                    f"chatapp wrote to it); the reply was saved as a branch, message {reply.id}",
                    file=sys.stderr,
                )
        if engine is not None:
            engine.unload()
    return 0


def _open_docs(data_dir: Path | None, names: tuple[str, ...]) -> DocsService:
    """The documents, with every collection in ``names`` there (else CliError)."""
    from chatapp.core.docs.index import DocIndexError
    from chatapp.core.docs.service import DocsService
    from chatapp.core.storage.paths import data_dir as resolve

    try:
        docs = DocsService.open_dir(resolve(data_dir))
    except DocIndexError as exc:
        raise CliError(str(exc)) from exc
    for name in names:
        if not docs.index.exists(name):
            docs.close()
            raise CliError(f"no collection named {name!r} (chatapp docs list shows them)")
    return docs


def _remote_backend(
    args: argparse.Namespace, data_dir: Path | None, settings: AppSettings
) -> RemoteBackend:
    """The server named by ``--backend`` and its model, with its key read now."""
    from chatapp.core.config.backends import (
        BACKENDS_FILENAME,
        BackendsError,
        BackendsFile,
        api_key,
    )
    from chatapp.core.inference.remote import RemoteBackend
    from chatapp.core.storage.paths import config_dir

    try:
        server = BackendsFile(config_dir(data_dir) / BACKENDS_FILENAME).get(args.backend)
        key = api_key(server)
    except BackendsError as exc:
        raise CliError(str(exc)) from exc
    return RemoteBackend(server, args.model, key, offline=settings.offline or args.offline)


def _text_argument(value: str, what: str) -> str:
    """A command-line text, refused when it is not UTF-8 (Python keeps such bytes as lone
    surrogates, which can be neither shown nor saved)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        detail = f"byte 0x{ord(bad) - 0xDC00:02x}" if 0xDC80 <= ord(bad) <= 0xDCFF else exc.reason
        raise CliError(f"{what} is not UTF-8 text ({detail} at character {exc.start + 1})") from exc
    return value


def _search(args: argparse.Namespace, data_dir: Path | None) -> int:
    from chatapp.core.storage.store import HIGHLIGHT_END, HIGHLIGHT_START

    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    with _open_store(data_dir, read_only=True) as store:
        hits = store.search(args.text, limit=args.limit)
    out = sys.stdout
    for hit in hits:
        snippet = " ".join(hit.snippet.split())
        snippet = snippet.replace(HIGHLIGHT_START, "[").replace(HIGHLIGHT_END, "]")
        out.write(f"{hit.conversation_id}\t{hit.conversation_title or 'New chat'}\t{snippet}\n")
    return 0


def _export(args: argparse.Namespace, data_dir: Path | None) -> int:
    from chatapp.core.chat.transfer import export_json, export_markdown
    from chatapp.core.storage.salvage import salvage_store
    from chatapp.core.storage.store import StoreDamaged, StoreError

    def export(store: Store) -> str:
        ids = None
        if args.conversation:
            try:
                ids = [store.get_conversation(c).id for c in args.conversation]
            except StoreError as exc:
                raise CliError(str(exc)) from exc
        if args.format == "html":
            from chatapp.core.chat.export_html import export_html

            return export_html(store, ids)
        return export_json(store, ids) if args.format == "json" else export_markdown(store, ids)

    with _open_store(data_dir, read_only=True) as store:
        try:
            text = export(store)
        except StoreDamaged:
            # Every row that can still be read, read around the damaged pages.
            salvaged, found = salvage_store(store.path)
            with salvaged:
                text = export(salvaged)
            print(
                f"chatapp: the database {store.path} is damaged; exported what could be read: "
                f"{found.summary()}",
                file=sys.stderr,
            )
    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    from chatapp.core.storage.atomic import write_text_atomic

    try:
        write_text_atomic(args.output, text)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    print(f"exported to {args.output}", file=sys.stderr)
    return 0


def _repair(data_dir: Path | None, *, force: bool) -> int:
    from chatapp.core.storage.paths import data_dir as resolve
    from chatapp.core.storage.salvage import needs_repair, repair
    from chatapp.core.storage.store import DB_FILENAME, first_problem

    path = resolve(data_dir) / DB_FILENAME
    if not path.is_file():
        raise CliError(f"there is no database to repair at {path}")
    problems = needs_repair(path)
    if not problems:
        print(f"chatapp: {path} passes its integrity check; nothing to repair", file=sys.stderr)
        return 0
    log.info("integrity check: %s", problems)
    done = repair(path, force=force)
    print(
        f"chatapp: repaired {path} ({first_problem(problems)}): {done.salvage.summary()}; "
        f"the damaged file is kept as {done.kept_as}",
        file=sys.stderr,
    )
    for note in done.salvage.notes:
        log.info("%s", note)
    return 0


# Detail lines of what an import left out, at most this many; the rest are counted.
_SKIPPED_SHOWN = 20


def _import(args: argparse.Namespace, data_dir: Path | None) -> int:
    from chatapp.core.chat.importers import ImportFormatError, import_path
    from chatapp.core.storage.store import StoreError

    if not args.file.exists():
        raise CliError(f"no such file: {args.file}")
    with _open_store(data_dir) as store:
        try:
            results = import_path(store, args.file, args.format)
        except ImportFormatError as exc:
            raise CliError(f"{args.file}: {exc}") from exc
        except StoreError as exc:
            raise CliError(str(exc)) from exc
    for result in results:
        print(result.summary(), file=sys.stderr)
        for line in result.skipped[:_SKIPPED_SHOWN]:
            print(f"  {line}", file=sys.stderr)
        if len(result.skipped) > _SKIPPED_SHOWN:
            print(f"  … and {len(result.skipped) - _SKIPPED_SHOWN} more", file=sys.stderr)
    return 0
