"""Starting and stopping the API server, and its key.

``ApiServer`` runs uvicorn on a thread of this process (the window's switch, tests) or in the
foreground (``chatapp serve``). The key is generated on first use and kept in the system
keyring (``keyring``), never in a file of ours; where no keyring works (a headless Linux box
without a Secret Service), a key is made for this run only and the user is told.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from chatapp.api.server import ServerOptions, create_app, new_key
from chatapp.core.chat.scheduler import Scheduler
from chatapp.core.config.backends import is_loopback
from chatapp.core.inference.engine import Engine

log = logging.getLogger(__name__)

KEYRING_SERVICE = "chatapp"
KEYRING_USER = "local-api-server"


@dataclass(frozen=True)
class Key:
    value: str
    where: str  # in words: "kept in the system keyring", or why it lasts this run only


def server_key() -> Key:
    """The server's key: the one in the keyring, else a new one stored there."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if stored:
            return Key(stored, "kept in the system keyring")
        key = new_key()
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
        return Key(key, "new, kept in the system keyring")
    except NoKeyringError:
        return Key(
            new_key(),
            "for this run only: this system has no keyring to keep it in",
        )
    except (KeyringError, RuntimeError) as exc:  # a keyring that refused (locked, ...)
        return Key(new_key(), f"for this run only: the system keyring refused it ({exc})")


class ServerError(Exception):
    """The server cannot start (address in use, a refused option); the message says why."""


class ApiServer:
    """uvicorn serving ``create_app`` for ``engine``."""

    def __init__(
        self,
        engine: Engine,
        options: ServerOptions,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        scheduler: Scheduler | None = None,
    ) -> None:
        if options.api_key is None and not is_loopback(host):
            raise ServerError(
                f"a server on {host} must require a key: --no-auth is for 127.0.0.1 only"
            )
        self.host = host
        self.scheduler = scheduler or Scheduler()
        self.options = options
        config = uvicorn.Config(
            create_app(engine, self.scheduler, options),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    @property
    def port(self) -> int:
        servers = getattr(self._server, "servers", [])
        for s in servers:
            for sock in s.sockets:
                return int(sock.getsockname()[1])
        return int(self._server.config.port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def start(self, on_stopped: Callable[[str | None], None] | None = None) -> None:
        """Serve on a thread; returns once listening (or raises ServerError)."""
        started = threading.Event()

        def serve() -> None:
            error = None
            try:
                self._server.run()
            except (OSError, SystemExit) as exc:  # uvicorn exits when it cannot bind
                self._failed = exc
                error = str(exc)
            finally:
                started.set()
                if on_stopped is not None:
                    on_stopped(error)

        original = self._server.startup

        async def startup(sockets: object = None) -> None:
            await original(sockets)  # type: ignore[arg-type]
            started.set()

        self._server.startup = startup  # type: ignore[method-assign]
        self._thread = threading.Thread(target=serve, name="api server", daemon=True)
        self._thread.start()
        started.wait(30)
        if not self._server.started:
            self._thread.join(5)
            raise ServerError(
                f"could not listen on {self.host}:{self._server.config.port}"
                + (f" ({self._failed})" if self._failed else ": the address may be in use")
            )

    def wait(self) -> None:
        """Until the server stops (Ctrl+C reaches the main thread as KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop accepting, end the open streams (they are cancelled), wait for the thread."""
        self._server.should_exit = True
        self.scheduler.cancel_all()
        if self._thread is not None:
            self._thread.join(10)


__all__ = ["ApiServer", "Key", "ServerError", "is_loopback", "server_key"]
