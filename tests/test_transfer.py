"""Export and import: a round trip loses nothing, and a bad file is refused whole and clearly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chatapp.core.chat.transfer import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ImportFormatError,
    export_json,
    export_markdown,
    import_json,
)
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Store, StoreError

METRICS = ReplyMetrics(
    prompt_tokens=31,
    prompt_eval_tokens=31,
    completion_tokens=9,
    ttft_ms=87.125,
    decode_tps=41.5,
    stop_reason=StopReason.MAX_TOKENS,
    dropped_turns=2,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "source") as s:
        yield s


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "target") as s:
        yield s


def _fill(store: Store) -> None:
    """Two conversations with a branch, metrics, a pin, a system prompt, unicode, a cut reply."""
    conv = store.create_conversation(
        model="tiny.gguf",
        system_prompt="Réponds en français. 🇫🇷",
        settings={"temperature": 0.3, "stop": ["###"]},
    )
    question = store.add_message(conv.id, "user", "Quelle est la capitale du Japon ? 日本")
    first = store.begin_reply(conv.id, model="tiny.gguf")
    store.finish_reply(first.id, "Tokyo.", METRICS, thinking="Japan's capital: Tokyo, surely.")
    second = store.begin_reply(conv.id, parent_id=question.id, model="tiny.gguf")
    store.finish_reply(second.id, "C'est **Tokyo** (東京).", METRICS)
    store.set_current_leaf(conv.id, first.id)

    other = store.create_conversation("Pinned notes")
    store.set_pinned(other.id, True)
    store.add_message(other.id, "user", 'Quote "this" and a\nnew line')
    cut = store.begin_reply(other.id)
    store.checkpoint_reply(cut.id, "Half a rep")


def _conversations(text: str) -> str:
    """The part of an export that must round-trip byte for byte (exported_at may differ)."""
    return json.dumps(json.loads(text)["conversations"], indent=2, ensure_ascii=False)


def test_round_trip_is_byte_identical(store: Store, empty: Store) -> None:
    _fill(store)
    first = export_json(store)

    imported = import_json(empty, first)
    second = export_json(empty)

    assert len(imported) == 2
    assert first.split('"conversations"')[1] == second.split('"conversations"')[1]
    assert _conversations(first) == _conversations(second)
    # What the user sees after importing: the same visible thread, pin, metrics and cut reply.
    (conv, pinned) = sorted(empty.list_conversations(), key=lambda c: c.created_at)
    assert [m.content for m in empty.thread(conv.id)][-1] == "Tokyo."
    assert empty.thread(conv.id)[-1].metrics == METRICS
    assert pinned.pinned and empty.list_conversations()[0].id == pinned.id
    assert empty.thread(pinned.id)[-1].interrupted
    assert empty.search("capitale")[0].conversation_id == conv.id


def test_export_header_names_the_format(store: Store) -> None:
    _fill(store)
    document = json.loads(export_json(store))
    assert document["format"] == FORMAT_NAME and document["version"] == FORMAT_VERSION
    assert "日本" in export_json(store)  # readable, not \\u-escaped


def test_export_of_chosen_conversations_only(store: Store) -> None:
    _fill(store)
    pinned = store.list_conversations()[0]
    document = json.loads(export_json(store, [pinned.id[:8]]))
    assert [c["title"] for c in document["conversations"]] == ["Pinned notes"]


def test_importing_the_same_file_twice_is_refused_and_changes_nothing(
    store: Store, empty: Store
) -> None:
    _fill(store)
    text = export_json(store)
    import_json(empty, text)
    before = export_json(empty)
    with pytest.raises(StoreError, match="already here; nothing was imported"):
        import_json(empty, text)
    assert _conversations(export_json(empty)) == _conversations(before)


def test_markdown_shows_the_visible_thread(store: Store) -> None:
    _fill(store)
    text = export_markdown(store)
    assert "# Quelle est la capitale du Japon ? 日本" in text
    assert "# Pinned notes" in text
    assert "> Réponds en français. 🇫🇷" in text
    assert "## You" in text and "## Assistant (tiny.gguf)" in text
    assert "Tokyo." in text
    assert "東京" not in text  # the other branch is not the visible one
    assert "9 tokens" in text  # the reply's metrics line
    assert "Half a rep" in text and "interrupted" in text
    # the thinking comes before the answer, in a block that renders collapsed
    thought = "<details><summary>Thought</summary>\n\nJapan's capital: Tokyo, surely.\n\n</details>"
    assert thought in text
    assert text.index(thought) < text.index("\nTokyo.\n")
    assert text.count("<details>") == 1  # replies without thinking have none


def test_thinking_round_trips_apart_from_the_answer(store: Store, empty: Store) -> None:
    _fill(store)
    doc = json.loads(export_json(store))
    replies = [m for c in doc["conversations"] for m in c["messages"] if m["role"] == "assistant"]
    assert [m.get("thinking") for m in replies] == ["Japan's capital: Tokyo, surely.", None, None]
    assert "thinking" not in replies[1]  # written only where there is some
    import_json(empty, json.dumps(doc))
    (conv_id,) = [c.id for c in empty.list_conversations() if c.title != "Pinned notes"]
    reply = empty.thread(conv_id)[-1]
    assert (reply.content, reply.thinking) == ("Tokyo.", "Japan's capital: Tokyo, surely.")


def test_the_server_that_wrote_a_reply_round_trips(store: Store, empty: Store) -> None:
    conv = store.create_conversation(model="Qwen3-32B")
    store.add_message(conv.id, "user", "Hello")
    remote = store.begin_reply(conv.id, model="Qwen3-32B", backend="gpu-box")
    store.finish_reply(remote.id, "Hi.", METRICS)
    assert "## Assistant (Qwen3-32B via gpu-box)" in export_markdown(store)
    doc = json.loads(export_json(store))
    (reply,) = [m for m in doc["conversations"][0]["messages"] if m["role"] == "assistant"]
    assert reply["backend"] == "gpu-box"
    import_json(empty, json.dumps(doc))
    assert empty.thread(conv.id)[-1].backend == "gpu-box"
    _fill(store)  # replies written on this computer carry no backend field at all
    local = [m for c in json.loads(export_json(store))["conversations"] for m in c["messages"]]
    assert sum("backend" in m for m in local) == 1


def test_folders_round_trip_and_an_import_joins_folders_of_the_same_name(
    store: Store, empty: Store
) -> None:
    work = store.create_folder("Work")
    clients = store.create_folder("Clients", work.id)
    deep = store.create_conversation("Invoice for ACME")
    top = store.create_conversation("At the top level")
    store.move_conversations([deep.id], clients.id)
    doc = json.loads(export_json(store))
    by_title = {c["title"]: c for c in doc["conversations"]}
    assert by_title["Invoice for ACME"]["folder"] == ["Work", "Clients"]
    assert "folder" not in by_title["At the top level"]  # older readers see nothing new

    mine = empty.create_folder("Work")  # the user's own "Work" folder is used, not a second
    import_json(empty, json.dumps(doc))
    folders = {f.name: f for f in empty.folders()}
    assert len(empty.folders()) == 2 and folders["Work"].id == mine.id
    assert folders["Clients"].parent_id == mine.id
    assert empty.get_conversation(deep.id).folder_id == folders["Clients"].id
    assert empty.get_conversation(top.id).folder_id is None


# --- bad files ---------------------------------------------------------------------------------


def _valid() -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": 1,
        "exported_at": "2026-01-01T00:00:00.000Z",
        "app_version": "0.1.0",
        "conversations": [
            {
                "id": "c1",
                "title": "ok",
                "created_at": "2026-01-01T00:00:00.000Z",
                "updated_at": "2026-01-01T00:00:00.000Z",
                "model": None,
                "system_prompt": None,
                "settings": {},
                "pinned": False,
                "current_leaf_id": "m1",
                "messages": [
                    {
                        "id": "m1",
                        "parent_id": None,
                        "role": "user",
                        "content": "hi",
                        "created_at": "2026-01-01T00:00:00.000Z",
                        "model": None,
                        "metrics": None,
                    }
                ],
            },
            {
                "id": "c2",
                "title": "second",
                "created_at": "2026-01-02T00:00:00.000Z",
                "updated_at": "2026-01-02T00:00:00.000Z",
                "model": None,
                "system_prompt": None,
                "settings": {},
                "pinned": False,
                "current_leaf_id": None,
                "messages": [
                    {
                        "id": "abc",
                        "parent_id": None,
                        "role": "user",
                        "content": "hello",
                        "created_at": "2026-01-02T00:00:00.000Z",
                        "model": None,
                        "metrics": None,
                    }
                ],
            },
        ],
    }


def _second_message(doc: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = doc["conversations"][1]["messages"][0]
    return message


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit of the valid document: set (or delete) a dotted path; digits index lists."""

    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return edit


_DELETE = object()

BAD_DOCUMENTS = [
    (_set("format", "something-else"), "not a chatapp export (missing 'format': 'chatapp-export')"),
    (_set("format", _DELETE), "not a chatapp export"),
    (_set("version", 9), "export version 9 is newer than this chatapp understands (1)"),
    (_set("version", "1"), "'version' must be a whole number"),
    (_set("conversations", {}), "the export: 'conversations' must be a list, not an object"),
    (
        _set("conversations.1.messages.0.parent_id", "zzz"),
        "conversation 2: message 'abc' has parent 'zzz' that is not in the file",
    ),
    (_set("conversations.1.title", _DELETE), "conversation 2: missing 'title'"),
    (_set("conversations.1.pinned", "yes"), "conversation 2: 'pinned' must be true or false"),
    (_set("conversations.0.settings", []), "conversation 1: 'settings' must be an object"),
    (
        _set("conversations.1.messages.0.content", 5),
        "conversation 2: message 'abc': 'content' must be text, not a number",
    ),
    (
        _set("conversations.1.messages.0.role", "bot"),
        "conversation 2: message 'abc': role 'bot' is not one of system, user, assistant",
    ),
    (_set("conversations.1.messages.0.id", _DELETE), "conversation 2: message 1: missing 'id'"),
    (
        _set("conversations.1.messages.0.created_at", "yesterday"),
        "conversation 2: message 'abc': 'created_at' must look like",
    ),
    (_set("conversations.1.messages.0.id", "m1"), "has the same id as conversation 1"),
    (_set("conversations.1.id", "c1"), "conversation 2: id 'c1' is also used by conversation 1"),
    (_set("conversations.1.current_leaf_id", "nope"), "current_leaf_id 'nope' is not one of"),
    (
        _set("conversations.1.messages.0.parent_id", "abc"),
        "conversation 2: message 'abc' is its own ancestor",
    ),
    (
        _set("conversations.1.messages.0.metrics", METRICS.to_dict()),
        "conversation 2: message 'abc': only assistant messages have metrics",
    ),
    (
        _set("conversations.1.messages.0.thinking", "hmm"),
        "conversation 2: message 'abc': only assistant messages have thinking, not user",
    ),
    (
        _set("conversations.1.messages.0.thinking", ["hmm"]),
        "conversation 2: message 'abc': 'thinking' must be text or null, not a list",
    ),
    (
        _set("conversations.1.messages.0.metrics", {"prompt_tokens": 1}),
        "conversation 2: message 'abc': metrics: missing 'prompt_eval_tokens'",
    ),
    (
        _set("conversations.1.folder", "Work"),
        "conversation 2: 'folder' must be a list of folder names",
    ),
    (
        _set("conversations.1.folder", ["Work", " "]),
        "conversation 2: 'folder' must be a list of folder names",
    ),
    (
        _set("conversations.1.messages.0.summary", {"text": "s", "covers": 1}),
        "conversation 2: message 'abc': only assistant messages have a summary, not user",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD_DOCUMENTS)
def test_bad_exports_are_refused_clearly_and_write_nothing(
    empty: Store, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = _valid()
    edit(doc)
    with pytest.raises(ImportFormatError) as info:
        import_json(empty, json.dumps(doc))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert empty.list_conversations() == []  # conversation 1 was fine, and still not written


def test_bad_metrics_are_named(empty: Store) -> None:
    doc = _valid()
    message = _second_message(doc)
    message["role"] = "assistant"
    message["metrics"] = {**METRICS.to_dict(), "stop_reason": "bored"}
    with pytest.raises(ImportFormatError, match="metrics: stop_reason 'bored' is not one of"):
        import_json(empty, json.dumps(doc))
    message["metrics"] = {**METRICS.to_dict(), "ttft_ms": "fast"}
    with pytest.raises(
        ImportFormatError, match="metrics: 'ttft_ms' must be a number or null, not text"
    ):
        import_json(empty, json.dumps(doc))
    assert empty.list_conversations() == []
    # null: a reply stopped before its first token has no time to it
    message["metrics"] = {**METRICS.to_dict(), "ttft_ms": None}
    import_json(empty, json.dumps(doc))
    assert empty.get_message(message["id"]).metrics == replace(METRICS, ttft_ms=None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "format": "chatapp-export",\n    oops', "not valid JSON (line 3, column 5:"),
        ("", "not valid JSON (line 1, column 1: Expecting value)"),
        ("[1, 2]", "not a chatapp export"),
    ],
)
def test_text_that_is_not_an_export_is_refused(empty: Store, text: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        import_json(empty, text)
    assert message in str(info.value)
    assert empty.list_conversations() == []


def test_a_valid_handwritten_file_imports(empty: Store) -> None:
    assert import_json(empty, json.dumps(_valid())) == ["c1", "c2"]
    assert [m.content for m in empty.thread("c1")] == ["hi"]


def test_the_example_in_the_format_document_imports(empty: Store) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    (conv_id,) = import_json(empty, example)
    thread = empty.thread(conv_id)
    assert [m.role for m in thread] == ["user", "assistant"]
    assert thread[-1].metrics is not None and thread[-1].metrics.summary().startswith("9 tokens")


def test_folder_names_differing_in_case_join_and_a_loop_of_folders_still_exports(
    store: Store, empty: Store
) -> None:
    a = store.create_folder("Work stuff")
    b = store.create_folder("Inner", a.id)
    conv = store.create_conversation("In the loop")
    store.move_conversations([conv.id], b.id)
    doc = export_json(store)
    mine = empty.create_folder("work stuff")  # the user's, in other case: used, not doubled
    import_json(empty, doc)
    assert [f.name for f in empty.folders() if f.parent_id is None] == ["work stuff"]
    assert empty.get_conversation(conv.id).folder_id != mine.id  # in Inner, under it
    # a loop of parents, edited into the database by hand: export and moving still end
    with store._writing() as conn:
        conn.execute("UPDATE folders SET parent_id = ? WHERE id = ?", (b.id, a.id))
    assert '"In the loop"' in export_json(store)
    c = store.create_folder("Elsewhere")
    store.move_folder(c.id, a.id)
