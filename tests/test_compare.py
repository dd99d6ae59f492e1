"""Compare in core (``compare_replies``): each side's reply is saved as a version of the answer, a
server's side runs at the same time as this computer's, and one side failing leaves the other.

The real engine answers on this computer. The server side is a fake that implements the
backend interface. Each side waits for the other: the server's reply begins only once the
engine's has, and the engine's, at its first text, waits to hear from the server. Run one
after the other, in either order, one of them would wait in vain (20 s, then the test fails)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.chat.compare import Side, compare_replies
from chatapp.core.chat.service import ChatService
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.backend import Event, Finished, TextDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Store

SETTINGS = GenerationSettings(max_tokens=24, seed=1)


class WaitingReply:
    """A server's reply that starts only once ``go`` is set (or fails after 20 s)."""

    def __init__(self, go: threading.Event, fail: bool) -> None:
        self.go, self.fail = go, fail
        self.text = ""
        self.thinking = ""
        self.metrics: ReplyMetrics | None = None
        self.dropped_turns = 0

    def events(self) -> Iterator[Event]:
        if not self.go.wait(20):
            raise TimeoutError("the other reply never began: the two ran one after the other")
        if self.fail:
            raise ConnectionError("the server went away")
        for word in ("from ", "the ", "server"):
            self.text += word
            yield TextDelta(word)
        self.metrics = ReplyMetrics(5, 5, 3, 10.0, 30.0, StopReason.END_OF_TURN)
        yield Finished(self.metrics)

    def cancel(self) -> None:
        self.go.set()

    def close(self) -> None:
        pass


class WaitingServer:
    model_name = "big-model"
    backend_name = "lab"

    def __init__(self, go: threading.Event, *, fail: bool = False) -> None:
        self.go, self.fail = go, fail

    def message_limit(self, settings: GenerationSettings) -> int | None:
        return None

    def prompt_budget(self, settings: GenerationSettings) -> int | None:
        return None

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return sum(len(m["content"]) // 4 for m in messages)

    def stream_chat(
        self,
        messages: list[ChatMessage],
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        session: str | None = None,
    ) -> WaitingReply:
        return WaitingReply(self.go, self.fail)


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Iterator[Engine]:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=1024))
    yield e
    e.unload()


@pytest.mark.parametrize("fail", [False, True])
def test_a_servers_reply_runs_beside_the_local_one_and_both_are_versions(
    tmp_path: Path, engine: Engine, fail: bool
) -> None:
    began = threading.Event()  # the engine's reply has streamed its first text
    heard = threading.Event()  # the server's reply has streamed text, or failed
    waited: list[bool] = []  # the engine's reply, at its first text, heard the server's
    texts: dict[int, str] = {}
    done: dict[int, tuple[str, Exception | None]] = {}

    def on_text(side: int, text: str) -> None:
        texts[side] = text
        if side == 1:
            heard.set()
        elif not began.is_set():
            began.set()
            waited.append(heard.wait(20))  # one after the other, neither would ever hear

    def on_done(side: int, message_id: str, exc: Exception | None) -> None:
        done[side] = (message_id, exc)
        if side == 1:
            heard.set()

    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv, question = chats.send(None, "Name a colour", model="tiny")
        compare_replies(
            chats,
            conv.id,
            question.id,
            [Side(engine, SETTINGS), Side(WaitingServer(began, fail=fail), SETTINGS, remote=True)],
            cancel=threading.Event(),
            on_text=on_text,
            on_done=on_done,
        )
        assert waited == [True]
        local_id, local_error = done[0]
        assert local_error is None and local_id
        replies = {m.id: m for m in store.messages(conv.id) if m.role == "assistant"}
        assert replies[local_id].model == engine.model_name and replies[local_id].backend is None
        assert all(m.parent_id == question.id for m in replies.values())  # versions of one
        server_id, server_error = done[1]
        if fail:
            assert isinstance(server_error, ConnectionError)
            assert len(replies) == 2 and replies[server_id].content == ""  # kept, empty
        else:
            assert server_error is None and texts[1] == "from the server"
            assert (replies[server_id].model, replies[server_id].backend) == ("big-model", "lab")
            assert replies[server_id].content == "from the server"


def test_sides_not_begun_when_compare_is_stopped_save_nothing(
    tmp_path: Path, engine: Engine
) -> None:
    cancel = threading.Event()
    cancel.set()  # the dialog closed (or a reply was kept) before these sides began
    done: dict[int, tuple[str, Exception | None]] = {}
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv, question = chats.send(None, "Name a colour", model="tiny")
        compare_replies(
            chats,
            conv.id,
            question.id,
            [Side(engine, SETTINGS), Side(WaitingServer(threading.Event()), SETTINGS, remote=True)],
            cancel=cancel,
            on_text=lambda _s, _t: None,
            on_done=lambda side, mid, exc: done.__setitem__(side, (mid, exc)),
        )
        assert done == {0: ("", None), 1: ("", None)}
        assert [m.role for m in store.messages(conv.id)] == ["user"]  # no empty versions
        assert store.get_conversation(conv.id).current_leaf_id == question.id
