"""``chatapp models …``: search, inspect, download and manage GGUF models from a terminal.

In the manner of ``ollama pull`` and ``lms get``: progress goes to stderr, results to stdout, and a
failure ends with one clear line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from chatapp.core.models.modelinfo import ModelInfo, file_size_label


class ModelsCliError(Exception):
    """Reported as one line on stderr by the caller."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    models = sub.add_parser("models", parents=[common], help="find, download and manage models")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    net = argparse.ArgumentParser(add_help=False)
    net.add_argument("--offline", action="store_true", help="make no network request at all")
    net.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on a server that sends nothing for this long (default 30; downloads "
        "retry a stall, after 20)",
    )

    search = msub.add_parser("search", parents=[common, net], help="search the Hub for GGUF models")
    search.add_argument("text", nargs="?", default="")
    search.add_argument("--sort", choices=["downloads", "likes", "recent"], default="downloads")
    search.add_argument("--limit", type=int, default=20)

    files = msub.add_parser(
        "files", parents=[common, net], help="a repository's GGUF files: sizes, fit, quantization"
    )
    files.add_argument("repo")
    files.add_argument("--ctx", type=int, default=8192, help="context length for the estimate")
    files.add_argument("--no-fit", action="store_true", help="skip reading headers remotely")

    dl = msub.add_parser("download", parents=[common, net], help="download (resumable, verified)")
    dl.add_argument("repo")
    dl.add_argument("file", nargs="?", help="file name (default: the recommended quantization)")
    dl.add_argument("--ctx", type=int, default=8192)

    msub.add_parser("list", parents=[common], help="models on this machine")
    rm = msub.add_parser("rm", parents=[common], help="delete a model's files")
    rm.add_argument("name", help="file name (or part of its path)")
    add = msub.add_parser("add", parents=[common], help="add a GGUF file or folder in place")
    add.add_argument("path", type=Path)
    msub.add_parser("login", parents=[common], help="store a Hugging Face token (read from stdin)")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.models.hub import HubError

    try:
        handler = {
            "search": _search,
            "files": _files,
            "download": _download,
            "list": _list,
            "rm": _rm,
            "add": _add,
            "login": _login,
        }[args.models_command]
        return handler(args, data_dir)
    except HubError as exc:
        raise ModelsCliError(str(exc)) from exc


def _hub(args: argparse.Namespace) -> Any:
    from chatapp.core.models.hub import READ_TIMEOUT, Hub

    timeout = getattr(args, "timeout", None)
    return Hub(offline=getattr(args, "offline", False), read_timeout=timeout or READ_TIMEOUT)


def _search(args: argparse.Namespace, data_dir: Path) -> int:
    sort = {"recent": "last_modified"}.get(args.sort, args.sort)
    found = _hub(args).search(args.text, sort=sort, limit=args.limit)
    if not found:
        print("no GGUF repositories found", file=sys.stderr)
        return 0
    width = max(len(m.repo_id) for m in found)
    print(f"{'REPOSITORY':<{width}}  {'DOWNLOADS':>10}  {'LIKES':>6}  UPDATED")
    for m in found:
        gated = "  (gated)" if m.gated else ""
        print(
            f"{m.repo_id:<{width}}  {m.downloads:>10,}  {m.likes:>6,}  {m.last_modified[:10]}"
            f"{gated}"
        )
    return 0


def _fits(
    hub: Any, files: list[Any], ctx: int, why: dict[str, str] | None = None
) -> dict[str, Any]:
    """Each file's fit, read from its remote header; where none, the reason goes into ``why``
    (the table shows it), or to stderr."""
    fits = {}
    for f, fit in hub.fits(files, ctx):
        if isinstance(fit, str):
            if why is None:
                print(f"chatapp: {f.filename}: {fit}", file=sys.stderr)
            else:
                why[f.filename] = fit
        else:
            fits[f.filename] = fit
    return fits


def _files(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.models.fit import recommend

    hub = _hub(args)
    files = hub.files(args.repo)
    if not files:
        raise ModelsCliError(f"{args.repo} has no GGUF model files")
    unfit: dict[str, str] = {}
    fits = {} if args.no_fit else _fits(hub, files, args.ctx, unfit)
    best = recommend([(f.quantization, fits[f.filename]) for f in files if f.filename in fits])
    width = max(len(f.filename) for f in files)
    print(f"{'FILE':<{width}}  {'QUANT':<8}  {'SIZE':>9}  FIT (context {args.ctx})")
    for f in files:
        fit = fits.get(f.filename)
        parts = f"  ({len(f.parts)} parts)" if f.is_split else ""
        mark = "  ← recommended" if best and f.quantization == best else ""
        if fit:
            verdict = f"{fit.label}: {fit.explanation}"
        else:  # unread (--no-fit), or why the header could not be read
            verdict = f"- ({unfit[f.filename]})" if f.filename in unfit else "-"
        print(
            f"{f.filename:<{width}}  {f.quantization:<8}  {file_size_label(f.size):>9}  "
            f"{verdict}{parts}{mark}"
        )
    return 0


def _download(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.models.downloads import Downloader, Progress, Queue, State
    from chatapp.core.models.fit import recommend
    from chatapp.core.models.library import Library

    hub = _hub(args)
    files = hub.files(args.repo)
    if args.file:
        chosen = next((f for f in files if args.file in (f.filename, *f.parts)), None)
        if chosen is None:
            names = ", ".join(f.filename for f in files) or "none"
            raise ModelsCliError(f"{args.repo} has no GGUF file {args.file} (it has: {names})")
    else:
        if not files:
            raise ModelsCliError(f"{args.repo} has no GGUF model files")
        fits = _fits(hub, files, args.ctx)
        best = recommend([(f.quantization, fits[f.filename]) for f in files if f.filename in fits])
        if best is None:
            raise ModelsCliError(f"no file of {args.repo} fits this machine; name one to force it")
        chosen = next(f for f in files if f.quantization == best)
        print(
            f"chatapp: choosing {chosen.filename} ({chosen.quantization}, "
            f"{file_size_label(chosen.size)})",
            file=sys.stderr,
        )
    queue = Queue(data_dir / "downloads.json")
    try:
        item = queue.add(chosen)
    except OSError as exc:  # downloads.json cannot be saved: said in one line
        raise ModelsCliError(str(exc)) from exc
    tty = sys.stderr.isatty()
    last = [""]

    def show(p: Progress) -> None:
        line = f"{chosen.filename}: {p.describe()}"
        if tty:
            print(f"\r{line:<100}", end="", file=sys.stderr, flush=True)
        elif line[:40] != last[0]:
            last[0] = line[:40]
            print(line, file=sys.stderr)

    stall = args.timeout or Downloader.stall_seconds
    try:
        done = Downloader(queue, offline=hub.offline, stall_seconds=stall).run(item, show)
    except OSError as exc:
        raise ModelsCliError(str(exc)) from exc
    if tty:
        print(file=sys.stderr)
    if done.state != State.DONE:
        raise ModelsCliError(done.error or f"download {done.state}")
    Library(data_dir).entries()  # refresh the header cache
    print(done.path)
    return 0


def _list(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
    from chatapp.core.models.library import Library
    from chatapp.core.storage.paths import config_dir

    # the user's template in Preferences, which every model gets
    settings_file = SettingsFile(config_dir(args.data_dir) / SETTINGS_FILENAME)
    override = settings_file.load()[0].chat_template
    entries = Library(data_dir).entries()
    if not entries:
        print(
            "no models yet: chatapp models download REPO, or chatapp models add FILE",
            file=sys.stderr,
        )
        return 0
    for e in entries:
        if e.missing:
            print(f"{e.name}  MISSING (was {e.path})")
            continue
        if e.info is None:
            print(f"{e.name}  unreadable: {e.error}")
            continue
        i = e.info
        if i.is_adapter:
            base = f"for {i.base_model}" if i.base_model else "base model not named in the file"
            print(
                f"{e.name}  {i.adapter_type or 'unknown'} adapter {base}  ({i.architecture}, "
                f"{file_size_label(e.size)})  [{e.source}] {e.path}"
            )
            continue
        print(
            f"{e.name}  {i.architecture} {i.parameters_label} {i.quantization}  "
            f"{file_size_label(e.size)}  ctx {i.context_length}  "
            f"template {_template(i, override)}  "
            f"used {e.last_used[:10] if e.last_used else 'never'}  [{e.source}] {e.path}"
        )
    return 0


def _template(info: ModelInfo, override: str | None) -> str:
    from chatapp.core.inference.chat_template import header_template_source

    return header_template_source(
        info.chat_template, info.marker_tokens, info.architecture, override
    )


def _rm(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.models.library import Library, LibraryError

    lib = Library(data_dir)
    matches = lib.find(args.name)
    if not matches:
        raise ModelsCliError(f"no model matches {args.name!r} (see chatapp models list)")
    if len(matches) > 1:
        names = ", ".join(str(e.path) for e in matches)
        raise ModelsCliError(f"{args.name!r} matches several models: {names}")
    try:
        freed = lib.delete(matches[0])
    except LibraryError as exc:
        raise ModelsCliError(str(exc)) from exc
    print(f"deleted {matches[0].name}, {file_size_label(freed)} freed", file=sys.stderr)
    return 0


def _add(args: argparse.Namespace, data_dir: Path) -> int:
    from chatapp.core.models.library import Library, LibraryError
    from chatapp.core.models.modelinfo import ModelFileError

    lib = Library(data_dir)
    try:
        if args.path.is_dir():
            lib.add_folder(args.path)
            print(f"added folder {args.path}", file=sys.stderr)
        else:
            entry = lib.add_file(args.path)
            print(f"added {entry.name}", file=sys.stderr)
    except (ModelFileError, LibraryError) as exc:
        raise ModelsCliError(str(exc)) from exc
    return 0


def _login(args: argparse.Namespace, data_dir: Path) -> int:
    from huggingface_hub import login

    token = (
        getpass.getpass("Hugging Face token: ") if sys.stdin.isatty() else sys.stdin.readline()
    ).strip()
    if not token:
        raise ModelsCliError("no token given")
    login(token=token, add_to_git_credential=False, skip_if_logged_in=False)
    print("token saved by huggingface_hub", file=sys.stderr)
    return 0
