"""The remote servers the user added: ``backends.json`` beside settings.json, keys in the keyring.

A server is a name, an OpenAI-compatible base URL (``http://host:8000/v1``), optional extra
headers and whether it counts as local for offline mode. Its API key is never written to any
file of ours: it is kept by ``keyring`` (the system's keychain: Secret Service, macOS Keychain,
Windows Credential Locker) under the service ``chatapp`` and the server's name, or, where no
keychain is usable (a headless Linux box) or wanted, read at each use from an environment
variable whose *name* is all that is saved (``key_env``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from chatapp.core.storage.atomic import SaveError, write_text_atomic

log = logging.getLogger(__name__)

BACKENDS_FILENAME: Final = "backends.json"
BACKENDS_VERSION: Final = 1
KEYRING_SERVICE: Final = "chatapp"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)


class BackendsError(Exception):
    """A server cannot be added, found, read or saved; the message says why, in words."""


def is_loopback(host: str) -> bool:
    """``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerConfig:
    """One OpenAI-compatible server.

    Attributes:
        local: offline mode still lets chatapp talk to it (the user says it is on their own
            network). Loopback addresses always count as local: nothing leaves the computer.
        key_env: read the API key from this environment variable at each use.
        keyring_key: an API key is stored in the keyring for this server.
        standard_sampling: send only the OpenAI API's own sampling fields; hosted APIs refuse
            llama.cpp's ``top_k``, ``min_p`` and ``repeat_penalty`` with a 400.
    """

    name: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    local: bool = False
    key_env: str | None = None
    keyring_key: bool = False
    standard_sampling: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def on_this_computer(self) -> bool:
        """The host is a loopback address, ``localhost`` or a name under it."""
        return self.host.endswith(".localhost") or is_loopback(self.host)

    @property
    def allowed_offline(self) -> bool:
        return self.local or self.on_this_computer

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base_url": self.base_url,
            "headers": dict(self.headers),
            "local": self.local,
            "key_env": self.key_env,
            "keyring_key": self.keyring_key,
            "standard_sampling": self.standard_sampling,
        }


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BackendsError(
            f"{name!r} cannot name a server: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def check_url(url: str) -> str:
    """The base URL, without a trailing slash. ``http`` and ``https`` only."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendsError(
            f"{url!r} is not a server URL: give one like http://gpu-box:8000/v1 "
            "(http or https, a host, and the API's path, usually /v1)"
        )
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise BackendsError(f"{url!r} has a port that is not a number") from exc
    if parts.username or parts.password:
        raise BackendsError("put the API key in the key, not in the URL")
    return url.strip().rstrip("/")


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` as (name, value). An ``Authorization`` header is refused: that is
    the key, which goes to the keyring and never into a file."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _HEADER.fullmatch(name):
        raise BackendsError(f"{text!r} is not a header: write it as 'Name: value'")
    if name.lower() == "authorization":
        raise BackendsError(
            "the Authorization header is the API key: give the key on stdin or with --key-env "
            "instead, so it is kept in the keyring and not in a file"
        )
    if "\r" in value or "\n" in value:
        raise BackendsError(f"the header {name} has a line break in its value")
    return name, value


def check_env_name(var: str) -> str:
    if not _ENV.fullmatch(var):
        raise BackendsError(f"{var!r} is not an environment variable's name")
    return var


class BackendsFile:
    """``backends.json``: the servers, saved atomically. Never holds a key."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> list[ServerConfig]:
        """The servers, in the order they were added.

        Raises:
            BackendsError: the file is there but cannot be read or is not ours.
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise BackendsError(f"cannot read {self.path}: {exc}") from exc
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
                raise ValueError("no list of servers")
            if data.get("version", 0) > BACKENDS_VERSION:
                raise ValueError(f"written by a newer chatapp (version {data['version']})")
            return [_server(item) for item in data["servers"]]
        except (ValueError, TypeError, KeyError, BackendsError) as exc:
            raise BackendsError(f"{self.path} cannot be used: {exc}") from exc

    def save(self, servers: list[ServerConfig]) -> None:
        data = {"version": BACKENDS_VERSION, "servers": [s.to_dict() for s in servers]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except SaveError as exc:
            raise BackendsError(str(exc)) from exc
        except OSError as exc:
            raise BackendsError(f"cannot save {self.path}: {exc.strerror or exc}") from exc

    def get(self, name: str) -> ServerConfig:
        for server in self.load():
            if server.name == name:
                return server
        known = ", ".join(s.name for s in self.load()) or "none yet"
        raise BackendsError(
            f"there is no server named {name!r} (added: {known}); add it with "
            "`chatapp backends add NAME URL`"
        )

    def add(self, server: ServerConfig, key: str | None = None) -> ServerConfig:
        """Add or replace ``server``; ``key``, if given, goes to the keyring (not a file).

        Raises:
            BackendsError: the name or URL cannot be used, the keyring cannot be used (the
                message suggests ``--key-env``), or the file cannot be saved.
        """
        server = replace(server, name=check_name(server.name), base_url=check_url(server.base_url))
        servers = [s for s in self.load() if s.name != server.name]
        if key is not None:
            store_key(server.name, key)
            server = replace(server, keyring_key=True, key_env=None)
        else:
            forget_key(server.name)
        self.save([*servers, server])
        return server

    def remove(self, name: str) -> None:
        server = self.get(name)
        self.save([s for s in self.load() if s.name != server.name])
        forget_key(name)


def _server(item: Any) -> ServerConfig:
    if not isinstance(item, dict):
        raise ValueError("a server is not an object")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ValueError(f"the headers of {item.get('name')!r} are not names and values")
    key_env = item.get("key_env")
    return ServerConfig(
        name=check_name(str(item["name"])),
        base_url=check_url(str(item["base_url"])),
        headers=headers,
        local=bool(item.get("local", False)),
        key_env=check_env_name(key_env) if key_env else None,
        keyring_key=bool(item.get("keyring_key", False)),
        standard_sampling=bool(item.get("standard_sampling", False)),
    )


# --- keys ----------------------------------------------------------------------------------------

_NO_KEYRING: Final = (
    "no keyring is usable here ({reason}), so the key cannot be stored safely; put it in an "
    "environment variable and add the server with --key-env VAR (only the variable's name is "
    "saved)"
)


def store_key(name: str, key: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, name, key)
    except KeyringError as exc:
        raise BackendsError(_NO_KEYRING.format(reason=_reason(exc))) from exc
    except Exception as exc:  # a keychain backend's own failure (D-Bus, a locked collection)
        raise BackendsError(_NO_KEYRING.format(reason=_reason(exc))) from exc


def forget_key(name: str) -> None:
    """Remove a stored key, if there is one; nothing happens where no keyring works."""
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(KEYRING_SERVICE, name)
    except PasswordDeleteError:
        pass
    except Exception as exc:  # no keyring here: then no key was stored in one either
        log.debug("keyring: cannot delete the key of %s: %s", name, exc)


def api_key(server: ServerConfig) -> str | None:
    """The server's API key, read now: from its environment variable or the keyring.

    Raises:
        BackendsError: the variable is not set, or the keyring cannot give the stored key.
    """
    if server.key_env:
        value = os.environ.get(server.key_env)
        if not value:
            raise BackendsError(
                f"the key of {server.name} is read from ${server.key_env}, which is not set"
            )
        return value
    if not server.keyring_key:
        return None
    import keyring

    try:
        value = keyring.get_password(KEYRING_SERVICE, server.name)
    except Exception as exc:  # KeyringError, or a keychain backend's own failure
        raise BackendsError(
            f"the key of {server.name} cannot be read from the keyring ({_reason(exc)})"
        ) from exc
    if value is None:
        raise BackendsError(
            f"the keyring has no key for {server.name} any more; add the server again"
        )
    return value


def _reason(exc: BaseException) -> str:
    from keyring.errors import NoKeyringError

    if isinstance(exc, NoKeyringError):  # its own text is a paragraph about packages
        return "no system keychain was found"
    return str(exc).strip().rstrip(".") or type(exc).__name__


__all__ = [
    "BACKENDS_FILENAME",
    "KEYRING_SERVICE",
    "BackendsError",
    "BackendsFile",
    "ServerConfig",
    "api_key",
    "check_env_name",
    "check_name",
    "check_url",
    "parse_header",
]
