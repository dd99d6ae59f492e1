"""The local OpenAI-compatible server: the official ``openai`` client and plain HTTP against a
real uvicorn on 127.0.0.1, serving a generated model through real llama.cpp."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import keyring
import openai
import pytest

from chatapp.api.running import KEYRING_SERVICE, KEYRING_USER, ApiServer, ServerError, server_key
from chatapp.api.server import ServerOptions
from chatapp.core.chat.scheduler import Scheduler
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.engine import Engine
from tests.helpers import run_cli

KEY = "sk-test-key"
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Iterator[Engine]:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=2048))
    yield e
    e.unload()


def _serve(engine: Engine, **options: object) -> ApiServer:
    scheduler = options.pop("scheduler", None)
    server = ApiServer(
        engine,
        ServerOptions(**({"api_key": KEY} | options)),  # type: ignore[arg-type]
        port=0,
        scheduler=scheduler,  # type: ignore[arg-type]
    )
    server.start()
    return server


@pytest.fixture
def server(engine: Engine) -> Iterator[ApiServer]:
    s = _serve(engine)
    yield s
    s.stop()


_CLIENTS: list[openai.OpenAI] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def _client(server: ApiServer, key: str = KEY) -> openai.OpenAI:
    client = openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=60)
    _CLIENTS.append(client)
    return client


def test_the_official_client_lists_the_model_and_gets_a_reply(server: ApiServer) -> None:
    client = _client(server)
    (model,) = client.models.list().data
    assert model.id == "tiny-chat"
    reply = client.chat.completions.create(
        model=model.id, messages=HELLO, max_tokens=8, temperature=0.0, seed=3
    )
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason == "length"  # the tiny model never ends by itself
    assert reply.usage is not None and reply.usage.completion_tokens == 8
    assert reply.usage.prompt_tokens > 3
    assert reply.id.startswith("chatcmpl-") and reply.model == "tiny-chat"


def test_a_streamed_reply_is_the_same_reply_in_pieces(server: ApiServer) -> None:
    client = _client(server)
    args = {"model": "tiny-chat", "messages": HELLO, "max_tokens": 12, "temperature": 0.0}
    whole = client.chat.completions.create(**args).choices[0].message.content  # type: ignore[call-overload]
    chunks = list(
        client.chat.completions.create(**args, stream=True, stream_options={"include_usage": True})  # type: ignore[call-overload]
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    assert len({c.id for c in chunks}) == 1
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "length" and set(finishes[:-1]) == {None}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12


def test_completions_continue_plain_text(server: ApiServer) -> None:
    reply = _client(server).completions.create(
        model="tiny-chat", prompt="Once upon a time", max_tokens=6, temperature=0.0
    )
    assert reply.choices[0].text and reply.usage is not None
    assert reply.usage.completion_tokens == 6


def test_a_key_is_required_and_errors_have_openais_shape(server: ApiServer) -> None:
    with pytest.raises(openai.AuthenticationError) as wrong:
        _client(server, key="sk-wrong").models.list()
    assert "API key" in str(wrong.value)
    bare = httpx.get(f"{server.url}/models")
    assert bare.status_code == 401
    error = bare.json()["error"]
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError) as missing:
        _client(server).chat.completions.create(model="gpt-4o", messages=HELLO, max_tokens=2)
    assert "'gpt-4o' is not loaded" in str(missing.value)
    with pytest.raises(openai.BadRequestError) as bad:
        _client(server).chat.completions.create(
            model="tiny-chat", messages=HELLO, max_tokens=2, temperature=9.0
        )
    assert "temperature" in str(bad.value)
    with pytest.raises(openai.BadRequestError) as no_embedder:
        _client(server).embeddings.create(model="tiny-chat", input="hello")
    assert "no embedding model is loaded" in str(no_embedder.value)


def test_no_cors_unless_origins_are_listed(engine: Engine) -> None:
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    closed = _serve(engine)
    try:
        r = httpx.options(f"{closed.url}/chat/completions", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = httpx.get(
            f"{closed.url}/models",
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {KEY}"},
        )
        assert "access-control-allow-origin" not in r.headers
    finally:
        closed.stop()
    opened = _serve(engine, cors_origins=("https://app.example",))
    try:
        ok = httpx.options(
            f"{opened.url}/chat/completions", headers=preflight | {"Origin": "https://app.example"}
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = httpx.options(f"{opened.url}/chat/completions", headers=preflight)
        assert "access-control-allow-origin" not in other.headers
    finally:
        opened.stop()


def test_a_body_over_the_limit_is_refused_before_it_is_read(engine: Engine) -> None:
    small = _serve(engine, max_body=64 * 1024)
    try:
        huge = json.dumps(
            {"model": "tiny-chat", "messages": [{"role": "user", "content": "x" * 100_000}]}
        )
        auth = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        r = httpx.post(f"{small.url}/chat/completions", content=huge, headers=auth)
        assert r.status_code == 413 and "over 65536 bytes" in r.json()["error"]["message"]

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for i in range(0, len(huge), 8192):
                yield huge[i : i + 8192].encode()

        r = httpx.post(f"{small.url}/chat/completions", content=chunked(), headers=auth)
        assert r.status_code == 413
    finally:
        small.stop()


def _wait(condition: object, seconds: float) -> float:
    """Seconds until ``condition()`` held (polling a server thread's state; no signal to await)."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_client_that_disconnects_stops_its_generation(engine: Engine) -> None:
    scheduler = Scheduler()
    s = _serve(engine, scheduler=scheduler)
    try:
        body = {"model": "tiny-chat", "messages": HELLO, "max_tokens": 100_000, "stream": True}
        with httpx.stream(
            "POST",
            f"{s.url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        ) as r:
            lines = r.iter_lines()
            got = [next(lines) for _ in range(8)]
            assert any('"content"' in line for line in got)
            assert scheduler.busy
        # 100,000 tokens would take minutes; the generation stops as the connection closes
        assert _wait(lambda: not scheduler.busy, 5.0) < 5.0
        after = _client(s).chat.completions.create(model="tiny-chat", messages=HELLO, max_tokens=3)
        assert after.usage is not None and after.usage.completion_tokens == 3
    finally:
        s.stop()


def test_a_full_line_answers_429_with_retry_after(engine: Engine) -> None:
    scheduler = Scheduler(max_waiting=0)
    s = _serve(engine, scheduler=scheduler)
    # the window is generating (it holds the engine), and one API request waits for it
    window_reply = engine.stream_chat(HELLO, GenerationSettings(max_tokens=100_000))
    window_events = window_reply.events()
    next(window_events)
    answered: list[str | None] = []
    with _client(s) as client:
        first = threading.Thread(
            target=lambda: answered.append(
                client.chat.completions.create(model="tiny-chat", messages=HELLO, max_tokens=2)
                .choices[0]
                .message.content
            )
        )
        first.start()
        try:
            _wait(lambda: scheduler.busy, 5.0)
            with pytest.raises(openai.RateLimitError) as busy:
                client.chat.completions.create(model="tiny-chat", messages=HELLO, max_tokens=2)
            assert int(busy.value.response.headers["retry-after"]) >= 1
            assert "the model is busy" in str(busy.value)
        finally:
            window_reply.cancel()
            for _ in window_events:
                pass
            first.join(30)
            s.stop()
    assert answered and answered[0]  # the one that waited was answered once the window's ended


def test_concurrent_streams_are_each_answered_or_refused_and_never_mixed(engine: Engine) -> None:
    """32 streaming clients at once: each gets its own whole reply, or a clean 429."""
    scheduler = Scheduler(max_waiting=8)
    s = _serve(engine, scheduler=scheduler)
    prompts = [f"Client {i} asks question number {i}." for i in range(32)]
    args = {"model": "tiny-chat", "max_tokens": 12, "temperature": 0.0}
    try:
        client = _client(s)
        expected = {
            p: client.chat.completions.create(messages=[{"role": "user", "content": p}], **args)
            .choices[0]
            .message.content  # type: ignore[call-overload]
            for p in prompts[:4]
        }
        results: dict[str, str] = {}
        refused: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(len(prompts))

        def ask(prompt: str) -> None:
            try:
                start.wait()
                stream = client.chat.completions.create(
                    messages=[{"role": "user", "content": prompt}], stream=True, **args
                )  # type: ignore[call-overload]
                chunks = list(stream)
                assert len({c.id for c in chunks}) == 1
                results[prompt] = "".join(c.choices[0].delta.content or "" for c in chunks)
            except openai.RateLimitError:
                refused.append(prompt)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask, args=(p,)) for p in prompts]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        took = time.monotonic() - began
    finally:
        s.stop()
    assert not errors, errors[0]
    assert len(results) + len(refused) == 32
    assert len(results) >= 9  # the running one and the eight waiting behind it at least
    for prompt, text in results.items():
        if prompt in expected:
            assert text == expected[prompt]  # the same reply as alone: nothing mixed in
    assert took < 120


def test_the_key_is_made_once_and_kept_in_the_keyring(test_keyring: Path) -> None:
    first = server_key()
    assert first.value.startswith("sk-chatapp-") and "keyring" in first.where
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_USER) == first.value
    assert server_key().value == first.value


def test_no_auth_is_refused_off_loopback(engine: Engine) -> None:
    with pytest.raises(ServerError, match="must require a key"):
        ApiServer(engine, ServerOptions(api_key=None), host="0.0.0.0", port=0)


def test_serve_from_the_command_line_refuses_bad_options_in_one_line(
    tmp_path: Path, tiny_model: Path
) -> None:
    r = run_cli(
        "serve", "--data-dir", tmp_path, "--model", tiny_model, "--no-auth", "--host", "0.0.0.0"
    )
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "chatapp: --no-auth is allowed only on a loopback address, not 0.0.0.0: "
        "other machines could use the model"
    ]
    r = run_cli("serve", "--data-dir", tmp_path, "--model", tmp_path / "nope.gguf", "--no-auth")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1


def test_without_a_keyring_the_key_lasts_this_run_and_says_so() -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        key = server_key()
    finally:
        keyring.set_keyring(previous)
    assert key.value.startswith("sk-chatapp-")
    assert key.where == "for this run only: this system has no keyring to keep it in"


def test_api_conversations_are_saved_only_when_asked(engine: Engine, tmp_path: Path) -> None:
    from chatapp.core.chat.service import exchange_saver
    from chatapp.core.storage.store import Store

    with Store.open_dir(tmp_path) as store:
        s = _serve(engine, save=exchange_saver(store))
        try:
            client = _client(s)
            asked = [{"role": "system", "content": "Be brief."}, *HELLO]
            whole = client.chat.completions.create(model="tiny-chat", messages=asked, max_tokens=5)
            streamed = "".join(
                c.choices[0].delta.content or ""
                for c in client.chat.completions.create(
                    model="tiny-chat", messages=HELLO, max_tokens=5, stream=True
                )
                if c.choices
            )
        finally:
            s.stop()
        convs = store.list_conversations()
        assert sorted(c.title for c in convs) == ["API · Say hello."] * 2
        replies = set()
        for conv in convs:
            user, reply = store.thread(conv.id)
            assert (user.role, user.content) == ("user", "Say hello.")
            assert reply.metrics is not None and reply.metrics.completion_tokens == 5
            replies.add(reply.content)
        assert replies == {whole.choices[0].message.content, streamed}
        assert {c.system_prompt for c in convs} == {"Be brief.", None}
    # without the setting nothing is written
    with Store.open_dir(tmp_path / "off") as store:
        s = _serve(engine)
        try:
            _client(s).chat.completions.create(model="tiny-chat", messages=HELLO, max_tokens=2)
        finally:
            s.stop()
        assert store.list_conversations() == []


def test_embeddings_from_the_embedding_model_served_beside_the_chat_model(
    engine: Engine, eos_model: Path
) -> None:
    from chatapp.core.inference.embeddings import Embedder

    embedder = Embedder(eos_model)
    s = _serve(engine, embedder=embedder)
    try:
        client = _client(s)
        assert [m.id for m in client.models.list().data] == ["tiny-chat", "tiny-eos"]
        texts = ["the cat sat on the mat", "quarterly revenue grew", "the cat sat on the mat"]
        got = client.embeddings.create(model="tiny-eos", input=texts)
        vectors = [d.embedding for d in got.data]
        assert [d.index for d in got.data] == [0, 1, 2]
        assert len(vectors[0]) == embedder.info.n_embd
        assert vectors[0] == vectors[2] and vectors[0] != vectors[1]  # same text, same vector
        assert abs(sum(x * x for x in vectors[1]) - 1.0) < 1e-6  # unit length
        assert got.usage.prompt_tokens > 6
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="nomic-embed-text", input="x")
    finally:
        s.stop()
        embedder.close()
