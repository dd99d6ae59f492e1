"""A small HTTP proxy on 127.0.0.1 that puts faults between chatapp and a real server.

It forwards each request to the upstream server (one request per connection: it asks for
``Connection: close``) and, as a test sets ``proxy.fault``, answers with a status of its own
(401, 404, 429 with ``Retry-After``, 500) without forwarding, cuts the response after some bytes of
its body, or stalls there (holds the connection open and sends nothing more).

``client_closed`` is set when the client closes its connection while the response is still
coming: that is what Stop must do, so the server stops generating.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """What the proxy does to the next requests (``None`` fields: nothing)."""

    status: int | None = None  # answer this status at once, not forwarding
    headers: dict[str, str] = field(default_factory=dict)  # with these headers
    message: str = "injected fault"
    cut_after: int | None = None  # close the connection after this many bytes of the body
    stall_after: int | None = None  # send this many bytes of the body, then nothing more
    paths: tuple[str, ...] = ("/chat/completions",)  # only requests whose path ends so
    # answer with these server-sent events instead (JSON-able chunks, then [DONE] if
    # ``done``): the shapes other servers send (llama-server's timings, vLLM's reasoning)
    events: list[Any] | None = None
    done: bool = True


_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}


class FaultProxy:
    """Forwards ``http://127.0.0.1:<port>`` to ``upstream`` (host, port), faults as set."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.fault = Fault()
        self.client_closed = threading.Event()
        self.requests: list[str] = []  # "METHOD path" of each request seen
        self.heads: list[str] = []  # each request's head, as sent
        self.bodies: list[Any] = []  # each request's JSON body (None where there was none)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FaultProxy:
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stop.set()
        _close(self._listener)  # shut down first: a close alone does not wake accept()
        with self._lock:
            for s in self._socks:
                _close(s)
        for t in self._threads:
            t.join(timeout=10)

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(t)
        t.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._socks.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, client: socket.socket) -> None:
        try:
            head, body = _read_request(client)
        except OSError:
            _close(client)
            return
        if not head:
            _close(client)
            return
        lines = head.split(b"\r\n")
        method, path = lines[0].split(b" ")[:2]
        self.requests.append(f"{method.decode()} {path.decode()}")
        self.heads.append(head.decode("latin-1"))
        self.bodies.append(json.loads(body) if body else None)
        fault = self.fault
        applies = any(path.decode().split("?")[0].endswith(p) for p in fault.paths)
        if applies and fault.status is not None:
            self._answer(client, fault)
            return
        if applies and fault.events is not None:
            self._stream(client, fault)
            return
        # ask the server to close after this response, so its end is the connection's end
        kept = [ln for ln in lines[1:] if not ln.lower().startswith(b"connection:")]
        request = b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n" + body
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._socks.append(upstream)
        upstream.sendall(request)
        done = threading.Event()
        self._spawn(self._watch_client, client, upstream, done, applies)
        self._pump(upstream, client, fault if applies else Fault(), done)

    def _watch_client(
        self, client: socket.socket, upstream: socket.socket, done: threading.Event, applies: bool
    ) -> None:
        """The client's side of the connection: when it closes before the response is over,
        Stop worked; the server's connection is closed too, as a closing client's would be.

        Only a request the fault applies to (a reply) sets ``client_closed``: a client that
        closes a finished ``/models`` answer a moment before this proxy marks it done would
        otherwise end the stall of the next reply at once."""
        try:
            while client.recv(65536):
                pass
        except OSError:
            pass
        if not done.is_set():
            if applies:
                self.client_closed.set()
            _close(upstream)

    def _pump(
        self, upstream: socket.socket, client: socket.socket, fault: Fault, done: threading.Event
    ) -> None:
        seen = b""
        body_sent: int | None = None  # bytes of the body sent so far, once the head is through
        limit = fault.cut_after if fault.cut_after is not None else fault.stall_after
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if body_sent is None:
                    seen += data
                    end = seen.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    client.sendall(seen[: end + 4])
                    data, body_sent = seen[end + 4 :], 0
                if limit is not None and body_sent + len(data) >= limit:
                    client.sendall(data[: limit - body_sent])
                    body_sent = limit
                    if fault.cut_after is not None:
                        break  # cut: close both sides now
                    # stall: nothing more, until the client gives up (its read timeout) or Stop
                    while not self._stop.is_set() and not self.client_closed.wait(0.05):
                        pass
                    break
                client.sendall(data)
                body_sent += len(data)
        except OSError:
            pass
        finally:
            if not self.client_closed.is_set():
                done.set()
            _close(upstream)
            _close(client)

    def _stream(self, client: socket.socket, fault: Fault) -> None:
        assert fault.events is not None
        lines = [f"data: {json.dumps(e)}\n\n" for e in fault.events]
        if fault.done:
            lines.append("data: [DONE]\n\n")
        body = "".join(lines).encode()
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            client.sendall(head.encode() + body)
        _close(client)

    def _answer(self, client: socket.socket, fault: Fault) -> None:
        assert fault.status is not None
        body = json.dumps(
            {"error": {"message": fault.message, "type": "injected", "code": fault.status}}
        ).encode()
        head = [
            f"HTTP/1.1 {fault.status} {_REASONS.get(fault.status, 'Error')}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in fault.headers.items()),
        ]
        with contextlib.suppress(OSError):
            client.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        _close(client)


def _read_request(sock: socket.socket) -> tuple[bytes, bytes]:
    """One request's head (without the blank line) and body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
