"""Hostile and broken import files, and conversation settings that no check would let in.

A bad file is refused whole, in one line that says where, and leaves the database as it was:
through ``chatapp import`` (a real process), through ``import_json``, and for files generated
by mutating a valid export. Settings already in a database that do not pass any more (an older
chatapp, another tool, an edit by hand) are ignored field by field: the conversation still
opens, continues and replies, with the defaults for those fields.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from chatapp.core.chat.service import ChatService
from chatapp.core.chat.transfer import ImportFormatError, export_json, import_json
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Store, StoreError
from tests.helpers import TIMEOUT, MakeWindow, conversation_id, run_cli, send

METRICS = ReplyMetrics(
    prompt_tokens=31,
    prompt_eval_tokens=31,
    completion_tokens=9,
    ttft_ms=87.125,
    decode_tps=41.5,
    stop_reason=StopReason.END_OF_TURN,
)
# The settings of the report: every value of the wrong type or out of bounds.
BAD_SETTINGS: dict[str, Any] = {"temperature": -50, "max_tokens": "lots", "stop": 5}
# Bad values beside a good one and an unknown one: only the bad ones may be lost.
MIXED_SETTINGS: dict[str, Any] = {
    "temperature": -50,
    "stop": 5,
    "max_tokens": 5,
    "mirostat": 2,
}


def _fill(store: Store) -> None:
    """A conversation as chatapp writes it: a question, a finished reply, settings, a branch."""
    conv = store.create_conversation(
        model="tiny.gguf", system_prompt="Be brief.", settings={"temperature": 0.3}
    )
    question = store.add_message(conv.id, "user", "Quelle est la capitale du Japon ? 日本")
    reply = store.begin_reply(conv.id, model="tiny.gguf")
    store.finish_reply(reply.id, "Tokyo (東京).", METRICS)
    other = store.begin_reply(conv.id, parent_id=question.id, model="tiny.gguf")
    store.checkpoint_reply(other.id, "Half a rep")
    store.set_current_leaf(conv.id, reply.id)
    store.create_conversation("Empty notes")


def _valid_text() -> str:
    with tempfile.TemporaryDirectory() as tmp, Store.open_dir(Path(tmp)) as store:
        _fill(store)
        return export_json(store)


VALID = _valid_text()


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(VALID)
    return doc


def _conversations(text: str) -> Any:
    """What must not change: every conversation, message and setting (not ``exported_at``)."""
    return json.loads(text)["conversations"]


def _set(path: str, value: Any) -> Callable[[], str]:
    """The valid export with one value (a dotted path; digits index lists) replaced."""

    def build() -> str:
        doc = _doc()
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
        return json.dumps(doc)  # ASCII: a lone surrogate is written as its \\ud800 escape

    return build


def _raw(text: str) -> Callable[[], str]:
    return lambda: text


def _with_number(path: str, literal: str) -> Callable[[], str]:
    """The valid export with a number written as ``literal`` (NaN, 1e999, 10**30, ...)."""

    def build() -> str:
        return _set(path, "@@NUMBER@@")().replace('"@@NUMBER@@"', literal)

    return build


def _deep(levels: int) -> str:
    return (
        '{"format": "chatapp-export", "version": 1, "conversations": ['
        + "[" * levels
        + "]" * levels
        + "]}"
    )


def _many_conversations(count: int, *, last_bad: bool) -> str:
    doc = _doc()
    empty = next(c for c in doc["conversations"] if not c["messages"])
    doc["conversations"] = [{**empty, "id": f"c{i:06d}"} for i in range(count)]
    if last_bad:
        doc["conversations"][-1]["updated_at"] = "2026-13-45T99:99:99.999Z"
    return json.dumps(doc)


REPLY = "conversations.0.messages.1"  # the finished assistant reply of the valid export
METRICS_PATH = f"{REPLY}.metrics"

# (file text, what the one line must say), one per fault
BAD_FILES: dict[str, tuple[Callable[[], str], str]] = {
    # 6: settings of the wrong type or out of bounds; the first bad field is named
    "settings_from_the_report": (
        _set("conversations.0.settings", BAD_SETTINGS),
        "conversation 1: settings: temperature must be between 0 and 5, got -50",
    ),
    "settings_wrong_type": (
        _set("conversations.0.settings", {"max_tokens": "lots"}),
        "conversation 1: settings: max_tokens must be a number, got 'lots'",
    ),
    "settings_stop_not_a_list": (
        _set("conversations.0.settings", {"stop": 5}),
        "conversation 1: settings: stop strings must be a list of text, got 5",
    ),
    "settings_bad_overflow": (
        _set("conversations.1.settings", {"overflow": "explode"}),
        "conversation 2: settings: overflow must be one of drop_oldest, refuse, summarise",
    ),
    # 9: nesting
    "nested_100000_levels": (_raw(_deep(100_000)), "nested too deeply"),
    "nested_500_levels_in_settings": (
        _set("conversations.0.settings", {"future": json.loads(_deep(500))}),
        "nested too deeply",
    ),
    # 10: numbers SQLite cannot store, or that mean nothing
    "completion_tokens_10_to_the_30": (
        _set(f"{METRICS_PATH}.completion_tokens", 10**30),
        "'completion_tokens' must be from 0 to 2147483647, not 1000000000000000000000000000000",
    ),
    "negative_prompt_tokens": (
        _set(f"{METRICS_PATH}.prompt_tokens", -3),
        "metrics: 'prompt_tokens' must be from 0 to 2147483647, not -3",
    ),
    "negative_dropped_turns": (
        _set(f"{METRICS_PATH}.dropped_turns", -1),
        "'dropped_turns' must be from 0 to",
    ),
    "decode_tps_nan": (
        _with_number(f"{METRICS_PATH}.decode_tps", "NaN"),
        "not valid JSON: NaN is not a number JSON allows",
    ),
    "ttft_infinity": (
        _with_number(f"{METRICS_PATH}.ttft_ms", "-Infinity"),
        "not valid JSON: -Infinity is not a number JSON allows",
    ),
    "decode_tps_1e999": (
        _with_number(f"{METRICS_PATH}.decode_tps", "1e999"),
        "metrics: 'decode_tps' must be a finite number, not inf",
    ),
    "negative_ttft": (_set(f"{METRICS_PATH}.ttft_ms", -5), "'ttft_ms' must not be negative"),
    "ttft_10_to_the_400": (
        _set(f"{METRICS_PATH}.ttft_ms", 10**400),
        "'ttft_ms' is too large a number",
    ),
    "a_number_of_5000_digits": (
        _with_number(f"{METRICS_PATH}.completion_tokens", "9" * 5000),
        "not valid JSON: a number is far too long",
    ),
    "version_10_to_the_100": (_set("version", 10**100), "is newer than this chatapp"),
    # 11: lone surrogates, wherever text is kept
    "surrogate_in_content": (
        _set(f"{REPLY}.content", "Tokyo \ud800"),
        "'content' is not valid text: it holds a lone surrogate ('\\ud800') at character 7",
    ),
    "surrogate_in_title": (
        _set("conversations.1.title", "\udfffnotes"),
        "conversation 2: 'title' is not valid text",
    ),
    "surrogate_in_conversation_id": (
        _set("conversations.1.id", "c\ud800"),
        "conversation 2: 'id' is not valid text",
    ),
    "surrogate_in_message_id": (
        _set(f"{REPLY}.id", "m\udc00"),
        "conversation 1: message 2: 'id' is not valid text",
    ),
    "surrogate_in_system_prompt": (
        _set("conversations.0.system_prompt", "\ud83d"),
        "conversation 1: 'system_prompt' is not valid text",
    ),
    "surrogate_in_model": (_set(f"{REPLY}.model", "\ud800.gguf"), "'model' is not valid text"),
    "surrogate_in_a_stop_string": (
        _set("conversations.0.settings", {"stop": ["ok", "\ud800"]}),
        "conversation 1: settings: stop string 2 is not valid text",
    ),
    "surrogate_in_a_setting_name": (
        _set("conversations.0.settings", {"\ud800": 1}),
        "conversation 1: settings: a key is not valid text",
    ),
    # 13: timestamps of the right form but no real moment, or not the ASCII form
    "impossible_timestamp": (
        _set("conversations.0.created_at", "2026-13-45T99:99:99.999Z"),
        "conversation 1: 'created_at' must look like 2026-11-22T08:52:36.123Z, not "
        "'2026-13-45T99:99:99.999Z': there is no such date or time",
    ),
    "february_30": (
        _set(f"{REPLY}.created_at", "2026-02-30T10:00:00.000Z"),
        "there is no such date or time",
    ),
    "arabic_indic_digits": (
        _set("conversations.1.updated_at", "٢٠٢٦-01-01T00:00:00.000Z"),
        "conversation 2: 'updated_at' must look like",
    ),
    # not an export at all
    "a_top_level_array": (_raw("[1, 2, 3]"), "not a chatapp export"),
    "a_top_level_string": (_raw('"chatapp-export"'), "not a chatapp export"),
    "an_empty_file": (_raw(""), "not valid JSON (line 1, column 1: Expecting value)"),
    "a_byte_order_mark": (_raw("\ufeff" + VALID), "not valid JSON"),
    "many_conversations_the_last_one_bad": (
        lambda: _many_conversations(20_000, last_bad=True),
        "conversation 20000: 'updated_at' must look like",
    ),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A database that already holds conversations: a refused import must leave them as is."""
    with Store.open_dir(tmp_path / "data") as s:
        _fill(s)
        yield s


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_import_json_refuses_the_file_in_one_line_and_writes_nothing(
    store: Store, case: str
) -> None:
    build, expected = BAD_FILES[case]
    before = export_json(store)
    with pytest.raises(ImportFormatError) as info:
        import_json(store, build())
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and len(message) < 300, message
    assert _conversations(export_json(store)) == _conversations(before)


@pytest.mark.parametrize(
    "case",
    [
        "settings_from_the_report",
        "nested_100000_levels",
        "completion_tokens_10_to_the_30",
        "decode_tps_nan",
        "decode_tps_1e999",
        "surrogate_in_content",
        "surrogate_in_message_id",
        "impossible_timestamp",
        "a_top_level_array",
        "many_conversations_the_last_one_bad",
    ],
)
def test_chatapp_import_refuses_the_file_in_one_line_and_writes_nothing(
    tmp_path: Path, case: str
) -> None:
    build, expected = BAD_FILES[case]
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        _fill(store)
        before = export_json(store)
    path = tmp_path / "bad.json"
    path.write_text(build(), encoding="utf-8")
    r = run_cli("import", path, "--data-dir", data)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"chatapp: {path}: ") and expected in line, line
    with Store.open_dir(data) as store:
        assert _conversations(export_json(store)) == _conversations(before)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text (byte 0x89 at offset 0)"),
        ('{"title": "café"}'.encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 14)"),
        (b"\x00" * 64, "not valid JSON"),
    ],
)
def test_chatapp_import_of_a_binary_or_non_utf8_file_is_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    r = run_cli("import", path, "--data-dir", tmp_path / "data")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [r.stderr.strip()] and expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    with Store.open_dir(tmp_path / "data") as store:
        assert store.list_conversations() == []


def test_a_file_of_many_conversations_imports_whole(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(_many_conversations(5_000, last_bad=False), encoding="utf-8")
    r = run_cli("import", path, "--data-dir", tmp_path / "data")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == ["imported 5000 conversation(s)"]
    with Store.open_dir(tmp_path / "data") as store:
        assert len(store.list_conversations()) == 5_000


def test_unknown_settings_are_left_out_with_a_note_and_the_rest_imports(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    text = _set("conversations.0.settings", {"temperature": 0.5, "mirostat_tau": 5.0})()
    empty = Store.open_dir(tmp_path / "empty")
    with empty, caplog.at_level(logging.WARNING):
        (first, _) = import_json(empty, text)
        assert empty.get_conversation(first).settings == {"temperature": 0.5}
    assert "settings this chatapp does not know were left out: 'mirostat_tau'" in caplog.text

    path = tmp_path / "future.json"
    path.write_text(text, encoding="utf-8")
    r = run_cli("import", path, "--data-dir", tmp_path / "cli")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        "WARNING chatapp.core.chat.transfer: settings this chatapp does not know were left out:"
        " 'mirostat_tau'",
        "imported 2 conversation(s)",
    ]


# --- settings already in a database ----------------------------------------------------------


def _store_settings(db: Path, conv_id: str, settings_json: str) -> None:
    """What an older chatapp, another tool or ``sqlite3`` by hand may have left there."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE conversations SET settings_json = ? WHERE id = ?", (settings_json, conv_id)
        )
    conn.close()


def test_bad_saved_settings_are_ignored_field_by_field(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation(title="old")
        _store_settings(store.path, conv.id, json.dumps(MIXED_SETTINGS))
        conv = store.get_conversation(conv.id)
        defaults = GenerationSettings(temperature=0.7, stop=("###",))
        chats = ChatService(store, lambda: defaults)
        with caplog.at_level(logging.WARNING):
            used = chats.effective_settings(conv)
        assert used.temperature == 0.7 and used.stop == ("###",)  # the defaults for the bad
        assert used.max_tokens == 5  # the good override still counts
        assert "temperature must be between 0 and 5, got -50" in caplog.text
        assert "stop strings must be a list of text, got 5" in caplog.text
        # what a front end saves back keeps the good override and the user's change only
        assert chats.with_overrides(conv, {"top_k": 3}) == {"max_tokens": 5, "top_k": 3}


def test_continue_with_bad_saved_settings_replies_with_the_defaults(
    tmp_path: Path, tiny_model: Path
) -> None:
    first = run_cli(
        "chat", "--data-dir", tmp_path, "--model", tiny_model, "--max-tokens", "3", "hello"
    )
    assert first.returncode == 0, first.stderr
    conv = conversation_id(first.stderr)
    with Store.open_dir(tmp_path) as store:
        db = store.path
    _store_settings(db, conv, json.dumps(BAD_SETTINGS))

    again = run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--continue", conv,
                    "--seed", "1", "again")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    warnings = [line for line in again.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "temperature must be between 0 and 5" in warnings[0]
    assert "max_tokens must be a number, got 'lots'" in warnings[0]
    assert "1024 tokens" in again.stderr  # max_tokens back to the default
    assert again.stdout.strip()
    with Store.open_dir(tmp_path) as store:
        assert len(store.thread(conv)) == 4
        assert store.get_conversation(conv).settings == {"seed": 1}  # only the valid ones kept


def test_a_database_with_nested_settings_still_exports(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation(title="hand-edited")
        db = store.path
    _store_settings(db, conv.id, "[" * 100_000 + "]" * 100_000)
    r = run_cli("export", "--data-dir", tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["conversations"][0]["settings"] == {}


def test_the_window_opens_and_replies_in_a_conversation_with_bad_saved_settings(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        conv = store.create_conversation(title="Old chat")
        store.add_message(conv.id, "user", "an old question")
        db = store.path
    _store_settings(db, conv.id, json.dumps(MIXED_SETTINGS))

    window = make_window(
        tiny_model, generation=GenerationSettings(max_tokens=40, seed=1), data=data
    )
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        window.open_conversation(conv.id)
    header = window.header.text()
    assert "Old chat" in header
    assert "temperature 0.8" in header and "max 5 tokens" in header  # default, and its own
    banner = window.chat_panel.banner
    assert banner.isVisible()
    assert "temperature must be between 0 and 5, got -50" in banner.label.text()

    reply_id = send(qtbot, window, "hello")
    reply = window.db.worker.store.get_message(reply_id)
    assert reply.content and reply.metrics is not None
    assert reply.metrics.completion_tokens == 5  # the conversation's valid max_tokens
    assert window.chat_view.widgets[reply_id].body.toPlainText().strip()
    assert window.send_button.isVisible() and not window.stop_button.isVisible()


# --- generated files -------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document a value can be replaced."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


PATHS = _paths(_doc())

# Text as hostile files have it: lone surrogates, other scripts' digits, timestamp look-alikes.
_any_text = st.text(
    alphabet=st.sampled_from("a7\ud800\udfff é日٢-:TZ.\x00\n"), max_size=8
) | st.text(max_size=8)
_special = st.sampled_from(
    [
        10**30,
        -1,
        2**63,
        -(2**63) - 1,
        10**400,
        float("nan"),
        float("inf"),
        1e308,
        "\ud800",
        "x\udfffy",
        "2026-13-45T99:99:99.999Z",
        "2026-02-30T00:00:00.000Z",
        "٢٠٢٦-01-01T00:00:00.000Z",
        "",
        "assistant",
        None,
        True,
        [],
        {},
    ]
)
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    _any_text,
)
_values = st.one_of(
    _special,
    _any_text,
    st.recursive(
        _leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_any_text, inner, max_size=3),
        max_leaves=6,
    ),
    st.integers(1, 400).map(lambda n: json.loads("[" * n + "]" * n)),
)
_settings_values = st.dictionaries(
    st.sampled_from([*GenerationSettings.model_fields, "future_setting", "\ud800"]),
    _special | _leaves | st.lists(_any_text, max_size=3),
    max_size=4,
)


_hostile_text = st.sampled_from(
    ["\ud800", "x\udfffy", "2026-13-45T99:99:99.999Z", "2026-02-30T00:00:00.000Z", ""]
)


def _hostile_like(original: Any) -> st.SearchStrategy[Any]:
    """Values of the original's own kind that are wrong for it: what type checks let through."""
    if isinstance(original, bool) or original is None:
        return _values
    if isinstance(original, int):
        return st.integers(-(10**40), 10**40) | st.sampled_from([10**30, -1, 2**63, 10**400])
    if isinstance(original, float):
        specials = [math.nan, math.inf, -math.inf, 1e308, -1.0]
        return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(specials)
    if isinstance(original, str):
        return _any_text | _hostile_text
    return _values


def _at(path: tuple[Any, ...]) -> Any:
    target: Any = _doc()
    for key in path:
        target = target[key]
    return target


def _mutation_at(path: tuple[Any, ...]) -> st.SearchStrategy[tuple[tuple[Any, ...], Any]]:
    like = _settings_values if path[-1] == "settings" else _hostile_like(_at(path))
    # mostly values that pass the type checks; sometimes anything, or nothing at all
    values = st.one_of(like, like, like, _values, st.just("@@DELETE@@"))
    return st.tuples(st.just(path), values)


_mutation = st.sampled_from(PATHS).flatmap(_mutation_at)


def _mutated(mutations: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    doc = _doc()
    for path, value in mutations:
        target: Any = doc
        try:
            for key in path[:-1]:
                target = target[key]
            if value == "@@DELETE@@":
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced that place
    return doc


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("generated")


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutations=st.lists(_mutation, min_size=1, max_size=3))
def test_a_mutated_export_imports_whole_or_is_refused_cleanly(
    scratch: Path, mutations: list[tuple[tuple[Any, ...], Any]]
) -> None:
    text = json.dumps(_mutated(mutations))  # NaN and Infinity are written as JSON5 would
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        with Store.open_dir(Path(tmp) / "a") as store:
            try:
                ids = import_json(store, text)
            except (ImportFormatError, StoreError) as exc:
                assert "\n" not in str(exc)
                assert store.list_conversations() == []
                return
            exported = export_json(store)
            assert {c.id for c in store.list_conversations()} == set(ids)
        with Store.open_dir(Path(tmp) / "b") as again:
            import_json(again, exported)
            assert _conversations(export_json(again)) == _conversations(exported)
