"""``chatapp backends …``: the OpenAI-compatible servers chatapp can chat with.

``add NAME URL`` saves a server (its key to the keyring, read from stdin, or only the name of an
environment variable with ``--key-env``), ``list`` shows each server with its models, or what is
wrong with it, one line each, ``rm NAME`` forgets it and its key. ``chatapp chat --backend NAME
--model MODEL`` then chats with one of its models.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any


class BackendsCliError(Exception):
    """Reported as one line on stderr by the caller."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser(
        "backends", parents=[common], help="remote servers (llama-server, vLLM, Ollama, …)"
    )
    bsub = group.add_subparsers(dest="backends_command", metavar="ACTION", required=True)
    add = bsub.add_parser(
        "add",
        parents=[common],
        help="add (or replace) a server; its API key is read from stdin, or asked for",
        description="Add an OpenAI-compatible server. The API key is read from stdin (one "
        "line; empty for none) or asked for on a terminal, and kept in the system's keyring, "
        "never in a file; --key-env VAR reads it from $VAR at each use instead.",
    )
    add.add_argument("name", metavar="NAME", help="what to call it (letters, digits, . _ -)")
    add.add_argument("url", metavar="URL", help="its API's base URL, e.g. http://gpu-box:8000/v1")
    add.add_argument(
        "--key-env",
        metavar="VAR",
        help="read the API key from this environment variable at each use (only the name is "
        "saved); for machines without a keyring",
    )
    add.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra HTTP header sent with every request (repeatable)",
    )
    add.add_argument(
        "--local",
        action="store_true",
        help="the server is on your own network: offline mode still lets chatapp use it "
        "(servers on this computer, 127.0.0.1 or localhost, always count as local)",
    )
    add.add_argument(
        "--standard-sampling",
        action="store_true",
        help="send only the OpenAI API's sampling settings (hosted APIs refuse llama.cpp's "
        "top-k, min-p and repeat penalty)",
    )
    lst = bsub.add_parser(
        "list", parents=[common], help="each server and its models (asks each server)"
    )
    lst.add_argument("--offline", action="store_true", help="ask only servers marked local")
    rm = bsub.add_parser("rm", parents=[common], help="forget a server and its key")
    rm.add_argument("name", metavar="NAME")


def _file(config: Path) -> Any:
    from chatapp.core.config.backends import BACKENDS_FILENAME, BackendsFile

    return BackendsFile(config / BACKENDS_FILENAME)


def run(args: argparse.Namespace, config: Path, offline: bool) -> int:
    from chatapp.core.config.backends import BackendsError

    try:
        if args.backends_command == "add":
            return _add(args, config)
        if args.backends_command == "list":
            return _list(config, offline or args.offline)
        if args.backends_command == "rm":
            _file(config).remove(args.name)
            print(f"removed {args.name}", file=sys.stderr)
            return 0
    except BackendsError as exc:
        raise BackendsCliError(str(exc)) from exc
    raise AssertionError(args.backends_command)


def _add(args: argparse.Namespace, config: Path) -> int:
    import os

    from chatapp.core.config.backends import (
        ServerConfig,
        check_env_name,
        check_name,
        check_url,
        parse_header,
    )

    name = check_name(args.name)
    url = check_url(args.url)
    headers = dict(parse_header(h) for h in args.header)
    key: str | None = None
    key_env = None
    if args.key_env is not None:
        key_env = check_env_name(args.key_env)
        if not os.environ.get(key_env):
            print(
                f"chatapp: note: ${key_env} is not set now; it is read at each use", file=sys.stderr
            )
    else:
        key = _read_key(name)
    server = ServerConfig(
        name=name,
        base_url=url,
        headers=headers,
        local=args.local,
        key_env=key_env,
        standard_sampling=args.standard_sampling,
    )
    saved = _file(config).add(server, key or None)
    where = (
        f"key in ${key_env}" if key_env else "key in the keyring" if saved.keyring_key else "no key"
    )
    print(f"added {name} ({url}, {where})", file=sys.stderr)
    return 0


def _read_key(name: str) -> str:
    """The key: one line from stdin (a pipe, a file), or typed unseen on a terminal."""
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return getpass.getpass(f"API key for {name} (Enter for none): ").strip()
    try:
        return sys.stdin.readline().strip()
    except UnicodeDecodeError as exc:
        raise BackendsCliError("the key on stdin is not UTF-8 text") from exc


def _list(config: Path, offline: bool) -> int:
    from chatapp.core.config.backends import BackendsError, api_key
    from chatapp.core.inference.remote import RemoteBackend, RemoteError

    servers = _file(config).load()
    if not servers:
        print("no servers yet: add one with `chatapp backends add NAME URL`", file=sys.stderr)
        return 0
    out = sys.stdout
    for server in servers:
        mark = " (local)" if server.local else ""
        try:
            backend = RemoteBackend(server, "", api_key(server), offline=offline)
            try:
                models = backend.list_models()
            finally:
                backend.close()
            shown = ", ".join(models) if models else "no models"
        except (BackendsError, RemoteError) as exc:
            shown = f"error: {exc}"
        out.write(f"{server.name}\t{server.base_url}{mark}\t{shown}\n")
    return 0
