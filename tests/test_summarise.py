"""The "summarise" overflow policy, through the use-case layer with real llama.cpp on a tiny model:
a conversation that outgrows the context gets a summary of its older turns, written by the
model, saved with the reply, and read in their place from then on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatapp.core.chat.conversation import SUMMARY_HEADING, history, latest_summary
from chatapp.core.chat.service import ChatService
from chatapp.core.chat.transfer import export_json, import_json
from chatapp.core.config.settings import GenerationSettings, LoadSettings, OverflowPolicy
from chatapp.core.inference.backend import Generation
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.storage.store import Store

SETTINGS = GenerationSettings(max_tokens=48, seed=1, overflow=OverflowPolicy.SUMMARISE)


@dataclass
class Recording:
    """The engine, with a note of every conversation it was asked to answer."""

    engine: Engine
    asked: list[list[ChatMessage]] = field(default_factory=list)

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    @property
    def model_name(self) -> str | None:
        return self.engine.model_name

    @property
    def backend_name(self) -> str | None:
        return None

    def stream_chat(
        self,
        messages: list[ChatMessage],
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        session: str | None = None,
    ) -> Generation:
        self.asked.append([dict(m) for m in messages])  # type: ignore[misc]
        return self.engine.stream_chat(messages, settings, cancel=cancel, session=session)


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Iterator[Engine]:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=1024))
    yield e
    e.unload()


def _chat(store: Store, turns: int) -> tuple[str, str]:
    """A conversation of ``turns`` long question/answer pairs and a last question."""
    conv, _ = store.start_conversation("question number 0 " + "words " * 8, model="tiny")
    store.add_message(conv.id, "assistant", "answer number 0 " + "reply " * 8)
    for i in range(1, turns):
        store.add_message(conv.id, "user", f"question number {i} " + "words " * 8)
        store.add_message(conv.id, "assistant", f"answer number {i} " + "reply " * 8)
    last = store.add_message(conv.id, "user", "the latest question")
    return conv.id, last.id


def _reply(chats: ChatService, backend: Recording, conv_id: str, parent_id: str, **kw: object):
    told: list[int] = []
    events = list(
        chats.reply(
            backend,  # type: ignore[arg-type]
            conv_id,
            parent_id,
            SETTINGS,
            on_summarising=told.append,
            **kw,  # type: ignore[arg-type]
        )
    )
    return events, told


def test_an_overflowing_chat_is_answered_from_a_summary_of_its_older_turns(
    tmp_path: Path, engine: Engine
) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 10)
        _events, told = _reply(chats, backend, conv_id, last)

        thread = store.thread(conv_id)
        reply = thread[-1]
        assert reply.role == "assistant" and reply.summary is not None
        summary = reply.summary
        assert told == [summary.covers] and 0 < summary.covers < len(thread) - 2
        assert thread[summary.covers].role == "user"  # the kept part starts with a question
        assert summary.model == engine.model_name
        # The model was asked to summarise the older turns, then to answer from its summary.
        summarising, answering = backend.asked[0], backend.asked[-1]
        assert "question number 0" in summarising[-1]["content"]
        assert answering[0]["role"] == "system"
        assert answering[0]["content"] == f"{SUMMARY_HEADING}\n{summary.text}"
        assert all("question number 0 " not in m["content"] for m in answering[1:])
        assert answering[-1]["content"] == "the latest question"
        # It fitted: nothing was dropped, and the prompt kept room for the reply.
        assert reply.metrics is not None and reply.metrics.dropped_turns == 0
        assert reply.metrics.prompt_tokens <= engine.prompt_budget(SETTINGS)

        # The next turn starts from the saved summary; nothing is summarised again.
        nxt = store.add_message(conv_id, "user", "and one more")
        again = history(store, conv_id, nxt.id)
        assert again[0]["content"].endswith(summary.text)
        before = len(backend.asked)
        _events, told = _reply(chats, backend, conv_id, nxt.id)
        assert told == [] and len(backend.asked) == before + 1
        assert store.thread(conv_id)[-1].summary is None


def test_a_chat_that_outgrows_its_summary_gets_a_longer_one(tmp_path: Path, engine: Engine) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 8)
        _reply(chats, backend, conv_id, last)
        first = store.thread(conv_id)[-1].summary
        assert first is not None
        for i in range(8):
            store.add_message(conv_id, "user", f"later question {i} " + "words " * 8)
            store.add_message(conv_id, "assistant", f"later answer {i} " + "reply " * 8)
        last2 = store.add_message(conv_id, "user", "the newest question")
        backend.asked.clear()
        _reply(chats, backend, conv_id, last2.id)
        thread = store.thread(conv_id)
        second = thread[-1].summary
        assert second is not None and second.covers > first.covers
        assert latest_summary(thread) == second
        # The new summary was written from the old one and the turns after it.
        requests = [asked[-1]["content"] for asked in backend.asked[:-1]]
        assert first.text in requests[0]
        assert any("later question 0" in r for r in requests)
        assert all("question number 0 " not in r for r in requests)  # not summarised twice


def test_a_chat_that_fits_is_not_summarised(tmp_path: Path, engine: Engine) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 1)
        _events, told = _reply(chats, backend, conv_id, last)
        assert told == [] and len(backend.asked) == 1
        assert store.thread(conv_id)[-1].summary is None


def test_stop_while_summarising_saves_no_summary(tmp_path: Path, engine: Engine) -> None:
    backend = Recording(engine)
    cancel = threading.Event()
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 10)
        list(
            chats.reply(
                backend,  # type: ignore[arg-type]
                conv_id,
                last,
                SETTINGS,
                cancel=cancel,
                on_summarising=lambda _n: cancel.set(),  # Stop pressed as it starts
            )
        )
        assert all(m.summary is None for m in store.messages(conv_id))
        assert store.thread(conv_id)[-2].content == "the latest question"  # kept as sent


def test_the_summary_travels_with_forks_and_json_exports(tmp_path: Path, engine: Engine) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path / "a") as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 10)
        _reply(chats, backend, conv_id, last)
        summary = store.thread(conv_id)[-1].summary
        assert summary is not None
        fork = chats.fork(conv_id, store.thread(conv_id)[-1].id)
        assert latest_summary(store.thread(fork.id)) == summary
        exported = export_json(store, [conv_id])
    with Store.open_dir(tmp_path / "b") as fresh:
        imported = import_json(fresh, exported)
        assert latest_summary(fresh.thread(imported[0])) == summary


def test_a_regenerated_reply_reuses_the_summary_its_sibling_was_given(
    tmp_path: Path, engine: Engine
) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 10)
        _reply(chats, backend, conv_id, last)
        first = store.thread(conv_id)[-1]
        assert first.summary is not None
        backend.asked.clear()
        _events, told = _reply(chats, backend, conv_id, last)  # Regenerate
        again = store.thread(conv_id)[-1]
        assert again.id != first.id and again.parent_id == first.parent_id
        assert again.summary == first.summary
        assert told == [] and len(backend.asked) == 1  # only the reply: no second summary


def test_a_long_system_prompt_leaves_less_room_and_nothing_is_dropped(
    tmp_path: Path, engine: Engine
) -> None:
    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, last = _chat(store, 10)
        store.update_conversation(conv_id, system_prompt="Be brief and kind. " * 22)  # ~420
        _reply(chats, backend, conv_id, last)
        reply = store.thread(conv_id)[-1]
        assert reply.summary is not None
        assert reply.metrics is not None and reply.metrics.dropped_turns == 0


def test_a_question_too_long_for_the_context_is_refused_without_summarising(
    tmp_path: Path, engine: Engine
) -> None:
    from chatapp.core.inference.engine import ContextOverflowError

    backend = Recording(engine)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: SETTINGS)
        conv_id, _last = _chat(store, 10)
        huge = store.add_message(conv_id, "user", "an enormous question " * 200)
        with pytest.raises(ContextOverflowError):
            _reply(chats, backend, conv_id, huge.id)
        assert len(backend.asked) <= 1  # no summary was asked for (it could not help)
        assert all(m.summary is None for m in store.messages(conv_id))
