"""Remote backends against a real OpenAI-compatible server on 127.0.0.1 (llama-cpp-python's own,
serving the generated model), through a proxy that cuts, stalls or answers errors."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.chat.service import ChatService
from chatapp.core.config.backends import (
    BackendsError,
    BackendsFile,
    ServerConfig,
    api_key,
    parse_header,
)
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.backend import Event, Finished, TextDelta, ThinkingDelta, TokenCount
from chatapp.core.inference.metrics import StopReason
from chatapp.core.inference.remote import OfflineRefused, RemoteBackend, RemoteError
from chatapp.core.storage.store import Store
from tests.faultproxy import Fault, FaultProxy

SETTINGS = GenerationSettings(max_tokens=12, seed=5, temperature=0.8, top_k=30, stop=("zzz",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def lab(url: str, **kw: object) -> ServerConfig:
    return ServerConfig(name="lab", base_url=url, **kw)  # type: ignore[arg-type]


def ask(
    store: Store,
    backend: RemoteBackend,
    settings: GenerationSettings = SETTINGS,
    *,
    cancel: threading.Event | None = None,
    system: str | None = "Answer in letters.",
) -> tuple[list[Event], str]:
    """Send a message and reply to it as the window and ``chatapp chat`` do; returns the events
    and the conversation's id. An error propagates after the reply is saved."""
    chats = ChatService(store, lambda: settings)
    conv, user = chats.send(None, "Hello there", model=backend.model, system_prompt=system)
    events: list[Event] = []
    ask.conversation = conv.id  # type: ignore[attr-defined]  # for tests that catch an error
    for event in chats.reply(backend, conv.id, user.id, settings, cancel=cancel):
        events.append(event)
    return events, conv.id


def saved_reply(store: Store, conversation_id: str) -> object:
    thread = store.thread(conversation_id)
    assert thread[-1].role == "assistant", "no reply was saved"
    return thread[-1]


# -- the main path ------------------------------------------------------------------------------


def test_a_reply_streams_and_is_saved_with_where_it_came_from(
    store: Store, fault_proxy: FaultProxy
) -> None:
    backend = RemoteBackend(lab(fault_proxy.url), "tiny", None)
    assert backend.list_models() == ["tiny"]
    events, conv_id = ask(store, backend)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert len(text) >= 12  # the generated model writes a letter or so a token
    assert isinstance(events[-1], Finished)
    reply = store.thread(conv_id)[-1]
    assert reply.content == text
    assert (reply.model, reply.backend) == ("tiny", "lab")  # which server and model answered
    m = reply.metrics
    assert m is not None and m.stop_reason == StopReason.MAX_TOKENS
    assert m.completion_tokens == 12 and m.ttft_ms is not None and m.ttft_ms > 0
    assert m.decode_tps > 0 and m.prompt_tokens > 0
    # the system prompt and sampling settings went to the server as the API names them
    body = fault_proxy.bodies[-1]
    assert body["messages"][0] == {"role": "system", "content": "Answer in letters."}
    assert body["messages"][-1] == {"role": "user", "content": "Hello there"}
    assert (body["max_tokens"], body["seed"], body["temperature"]) == (12, 5, 0.8)
    assert (body["top_k"], body["stop"], body["stream"]) == (30, ["zzz"], True)
    # the same seed gives the same reply: the seed reached the sampler
    again, _ = ask(store, backend)
    assert "".join(e.text for e in again if isinstance(e, TextDelta)) == text


def test_the_key_and_headers_are_sent_and_no_key_sends_no_authorization(
    store: Store, fault_proxy: FaultProxy
) -> None:
    name, value = parse_header("X-Team: llm-lab")
    keyed = RemoteBackend(lab(fault_proxy.url, headers={name: value}), "tiny", "sk-test-123")
    keyed.list_models()
    assert "authorization: bearer sk-test-123" in fault_proxy.heads[-1].lower()
    assert "x-team: llm-lab" in fault_proxy.heads[-1].lower()
    RemoteBackend(lab(fault_proxy.url), "tiny", None).list_models()
    assert "authorization" not in fault_proxy.heads[-1].lower()


def test_stop_mid_reply_closes_the_stream_and_keeps_the_text(
    store: Store, fault_proxy: FaultProxy
) -> None:
    # the server sends a little, then nothing: the reading thread is blocked on the socket
    fault_proxy.fault = Fault(stall_after=1500)
    backend = RemoteBackend(lab(fault_proxy.url), "tiny", None, read_timeout=60)
    stop = threading.Event()
    got: list[str] = []
    started = time.monotonic()

    def press_stop_once_text_came() -> None:
        while not got:
            time.sleep(0.01)
        stop.set()  # as the window's Stop and the CLI's Ctrl+C do, from another thread

    threading.Thread(target=press_stop_once_text_came, daemon=True).start()
    chats = ChatService(store, lambda: SETTINGS)
    conv, user = chats.send(None, "Hello", model="tiny")
    settings = GenerationSettings(max_tokens=500, seed=1)
    for event in chats.reply(backend, conv.id, user.id, settings, cancel=stop):
        if isinstance(event, TextDelta):
            got.append(event.text)
    assert time.monotonic() - started < 30  # not the 60 s read timeout: Stop ended the read
    assert fault_proxy.client_closed.wait(10)  # the server saw the client go
    reply = store.thread(conv.id)[-1]
    assert reply.content == "".join(got) and reply.content
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.CANCELLED


def test_stop_before_the_request_sends_nothing(store: Store, fault_proxy: FaultProxy) -> None:
    stop = threading.Event()
    stop.set()
    events, _ = ask(store, RemoteBackend(lab(fault_proxy.url), "tiny", None), cancel=stop)
    assert not [r for r in fault_proxy.requests if r.endswith("/chat/completions")]
    assert isinstance(events[-1], Finished)
    assert events[-1].metrics.stop_reason == StopReason.CANCELLED


def test_token_counts_arrive_while_a_long_reply_streams(
    store: Store, fault_proxy: FaultProxy
) -> None:
    backend = RemoteBackend(lab(fault_proxy.url), "tiny", None)
    events, _ = ask(store, backend, GenerationSettings(max_tokens=300, seed=2))
    counts = [e for e in events if isinstance(e, TokenCount)]
    assert counts and counts[-1].tokens <= 300
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.metrics.completion_tokens == 300


def _chunk(delta: dict[str, str], finish: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "tiny",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def test_reasoning_usage_and_timings_as_other_servers_send_them(
    store: Store, fault_proxy: FaultProxy
) -> None:
    """vLLM and llama-server split a reasoning model's thinking off as ``reasoning_content``
    (Ollama as ``reasoning``) and end with usage (and llama-server with its timings); the
    thinking is saved apart and the numbers are the server's."""
    usage = {
        "prompt_tokens": 120,
        "completion_tokens": 7,
        "total_tokens": 127,
        "prompt_tokens_details": {"cached_tokens": 100},
    }
    fault_proxy.fault = Fault(
        events=[
            _chunk({"role": "assistant"}),
            _chunk({"reasoning_content": "The user greets; "}),
            _chunk({"reasoning": "answer kindly."}),
            _chunk({"content": "Hello"}),
            _chunk({"content": " to you."}, "stop"),
            _chunk({}, usage=usage, timings={"predicted_per_second": 42.5}) | {"choices": []},
        ]
    )
    events, conv_id = ask(store, RemoteBackend(lab(fault_proxy.url), "tiny", None))
    assert "".join(e.text for e in events if isinstance(e, ThinkingDelta)) == (
        "The user greets; answer kindly."
    )
    reply = store.thread(conv_id)[-1]
    assert (reply.content, reply.thinking) == ("Hello to you.", "The user greets; answer kindly.")
    m = reply.metrics
    assert m is not None and m.stop_reason == StopReason.END_OF_TURN
    assert (m.prompt_tokens, m.prompt_eval_tokens, m.completion_tokens) == (120, 20, 7)
    assert m.decode_tps == 42.5


def test_a_stream_that_ends_without_finishing_is_marked(
    store: Store, fault_proxy: FaultProxy
) -> None:
    fault_proxy.fault = Fault(events=[_chunk({"content": "Half a"})], done=False)
    conv_id, exc = _fails(store, RemoteBackend(lab(fault_proxy.url), "tiny", None))
    assert "lab ended the reply's stream before the reply was finished" in str(exc)
    reply = store.thread(conv_id)[-1]
    assert reply.content == "Half a" and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.ERROR


# -- faults ---------------------------------------------------------------------------------------


def _fails(store: Store, backend: RemoteBackend) -> tuple[str, RemoteError]:
    with pytest.raises(RemoteError) as caught:
        ask(store, backend)
    return ask.conversation, caught.value  # type: ignore[attr-defined]


def test_a_stream_cut_mid_reply_keeps_the_partial_reply_marked(
    store: Store, fault_proxy: FaultProxy
) -> None:
    fault_proxy.fault = Fault(cut_after=1500)
    backend = RemoteBackend(lab(fault_proxy.url), "tiny", None)
    conv_id, exc = _fails(store, backend)
    assert "the connection to lab was cut mid-reply; what came is kept" in str(exc)
    reply = store.thread(conv_id)[-1]
    assert reply.role == "assistant" and reply.content  # the part that came
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.ERROR


def test_a_server_that_goes_silent_times_out(store: Store, fault_proxy: FaultProxy) -> None:
    fault_proxy.fault = Fault(stall_after=1500)
    backend = RemoteBackend(lab(fault_proxy.url), "tiny", None, read_timeout=1.0)
    conv_id, exc = _fails(store, backend)
    assert "lab went silent: nothing came in 1 s (read timeout); what came is kept" in str(exc)
    reply = store.thread(conv_id)[-1]
    assert reply.content and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.ERROR


@pytest.mark.parametrize(
    ("status", "headers", "words"),
    [
        (401, {}, "lab refused the API key (401: injected fault)"),
        (403, {}, "lab does not let this API key use tiny (403: injected fault)"),
        (404, {}, "lab has no model 'tiny' (404: injected fault)"),
        (
            429,
            {"Retry-After": "7"},
            "lab is limiting requests (429: injected fault): try again in 7 s",
        ),
        (500, {}, "lab failed with a server error (500: injected fault)"),
        (503, {}, "lab failed with a server error (503: injected fault)"),
    ],
)
def test_an_error_answer_is_told_in_words_and_leaves_no_reply(
    store: Store, fault_proxy: FaultProxy, status: int, headers: dict[str, str], words: str
) -> None:
    fault_proxy.fault = Fault(status=status, headers=headers)
    conv_id, exc = _fails(store, RemoteBackend(lab(fault_proxy.url), "tiny", None))
    assert str(exc).startswith(words)
    if status == 429:
        assert exc.retry_after == 7
    assert [m.role for m in store.thread(conv_id)] == ["user"]  # nothing half-made


def test_listing_models_from_a_url_without_v1_says_so(fault_proxy: FaultProxy) -> None:
    fault_proxy.fault = Fault(status=404, paths=("/models",))
    with pytest.raises(RemoteError, match=r"no model list there \(404.*does the URL end in /v1"):
        RemoteBackend(lab(fault_proxy.url), "", None).list_models()


def test_connection_refused(store: Store) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    _, exc = _fails(store, RemoteBackend(lab(url), "tiny", None))
    assert str(exc) == (f"lab ({url}) refused the connection: is the server running, on that port?")


def test_a_name_that_does_not_resolve(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # no DNS query leaves the test: the resolver's answer is given, as it comes for a typo
    def no_such_name(*_args: object, **_kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    _, exc = _fails(store, RemoteBackend(lab("http://gpu-box.example:8000/v1"), "tiny", None))
    assert "the name gpu-box.example does not resolve (DNS)" in str(exc)


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """A TLS server on 127.0.0.1 whose certificate no authority signed."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate: {made.stderr[-200:]!r}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client gave up on the certificate, as it must

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{port}/v1"
    finally:
        listener.close()


def test_a_certificate_that_cannot_be_verified_is_refused(self_signed_server: str) -> None:
    with pytest.raises(RemoteError) as caught:
        RemoteBackend(lab(self_signed_server), "tiny", None).list_models()
    words = str(caught.value)
    assert words.startswith("the TLS certificate of 127.0.0.1 could not be verified (")
    assert "verification stays on" in words and "SSL_CERT_FILE" in words


# -- offline mode ---------------------------------------------------------------------------------


def test_offline_mode_refuses_a_server_unless_it_is_local(
    store: Store, fault_proxy: FaultProxy
) -> None:
    remote = lab("http://gpu-box.example:8000/v1")
    with pytest.raises(OfflineRefused, match="offline mode is on: chatapp does not talk to lab"):
        RemoteBackend(remote, "tiny", None, offline=True).list_models()
    conv_id, exc = _fails(store, RemoteBackend(remote, "tiny", None, offline=True))
    assert isinstance(exc, OfflineRefused) and "--local" in str(exc)
    assert [m.role for m in store.thread(conv_id)] == ["user"]
    assert lab("http://gpu-box.example:8000/v1", local=True).allowed_offline  # marked local
    # a server on this computer: nothing leaves it, so offline mode lets it through
    events, _ = ask(store, RemoteBackend(lab(fault_proxy.url), "tiny", None, offline=True))
    assert isinstance(events[-1], Finished)


# -- the servers' file and the keyring ------------------------------------------------------------


def test_the_key_goes_to_the_keyring_never_to_a_file(tmp_path: Path, test_keyring: Path) -> None:
    servers = BackendsFile(tmp_path / "config" / "backends.json")
    saved = servers.add(lab("http://gpu-box:8000/v1/"), "sk-very-secret")
    assert saved.keyring_key and saved.base_url == "http://gpu-box:8000/v1"
    assert api_key(servers.get("lab")) == "sk-very-secret"
    assert "sk-very-secret" not in servers.path.read_text()
    assert "sk-very-secret" in test_keyring.read_text()  # the test's keyring has it
    servers.remove("lab")
    assert servers.load() == [] and "sk-very-secret" not in test_keyring.read_text()


def test_without_a_keyring_a_key_is_refused_with_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        servers = BackendsFile(tmp_path / "backends.json")
        with pytest.raises(BackendsError, match=r"no keyring is usable here .*--key-env VAR"):
            servers.add(lab("http://gpu-box:8000/v1"), "sk-very-secret")
        assert not servers.path.exists()
        # the variable's name is kept, its value read at each use
        servers.add(lab("http://gpu-box:8000/v1", key_env="LAB_KEY"))
        monkeypatch.setenv("LAB_KEY", "sk-from-env")
        assert api_key(servers.get("lab")) == "sk-from-env"
        monkeypatch.delenv("LAB_KEY")
        with pytest.raises(BackendsError, match=r"read from \$LAB_KEY, which is not set"):
            api_key(servers.get("lab"))
    finally:
        keyring.set_keyring(before)


def test_an_authorization_header_is_refused() -> None:
    with pytest.raises(BackendsError, match="the Authorization header is the API key"):
        parse_header("Authorization: Bearer sk-x")
