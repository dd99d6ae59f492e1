"""Importing other apps' exports: ChatGPT, Claude, Open WebUI, LM Studio (and chatapp's own).

The fixtures under tests/data/imports/ are hand-made but shaped like real exports. The tests
read what a user would see afterwards: titles, the thread shown, the other branches, the model
that wrote each reply, and the notes on what was left out. Generated hostile documents of each
shape import cleanly or are refused in one line, and a refused import writes nothing.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatapp.core.chat.importers import (
    ImportFormatError,
    SourceImport,
    import_path,
    import_text,
    parse_text,
    read_path,
)
from chatapp.core.chat.transfer import export_json
from chatapp.core.storage.store import Conversation, Message, Store
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data" / "imports"
CHATGPT = DATA / "chatgpt" / "conversations.json"
CLAUDE = DATA / "claude" / "conversations.json"
OPENWEBUI = DATA / "openwebui" / "chat-export-1736000100000.json"
LMSTUDIO = DATA / "lmstudio" / "1736100000000.conversation.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def _by_title(store: Store) -> dict[str, Conversation]:
    return {c.title: c for c in store.list_conversations()}


def _thread(store: Store, conv: Conversation) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in store.thread(conv.id)]


def _all(store: Store, conv: Conversation) -> list[Message]:
    return store.messages(conv.id)


# --- ChatGPT -------------------------------------------------------------------------------------


def test_chatgpt_keeps_every_branch_and_shows_the_current_one(store: Store) -> None:
    (result,) = import_path(store, CHATGPT)
    assert result.format == "chatgpt"
    convs = _by_title(store)
    assert set(convs) == {"Capital cities", "Sine wave", "Oslo weather"}
    capitals = convs["Capital cities"]
    # current_node is the reply to the edited question
    assert _thread(store, capitals) == [
        ("user", "What is the capital of Japan?"),
        ("assistant", "Tokyo."),
    ]
    messages = _all(store, capitals)
    contents = [m.content for m in messages]
    # the question before the edit, and both versions of its reply (a regeneration)
    assert "What is the capital of France?" in contents
    assert "Paris." in contents and "The capital of France is Paris." in contents
    by_content = {m.content: m for m in messages}
    first_q, edited_q = (
        by_content["What is the capital of France?"],
        by_content["What is the capital of Japan?"],
    )
    assert first_q.parent_id == edited_q.parent_id is None  # the hidden system root is gone
    regenerated = [m for m in messages if m.parent_id == first_q.id]
    assert sorted(m.content for m in regenerated) == ["Paris.", "The capital of France is Paris."]
    assert [m.content for m in store.children(first_q.id)] == [
        "Paris.",
        "The capital of France is Paris.",
    ]
    # the model slug, and the thoughts as the reply's thinking (the recap is left out)
    tokyo = by_content["Tokyo."]
    assert tokyo.model == "o3" and by_content["Paris."].model == "gpt-4o"
    assert tokyo.thinking == "**Recalling capitals**\n\nJapan's capital is Tokyo."
    assert "Thought for" not in tokyo.content
    assert first_q.created_at == "2024-11-19T07:06:50.000Z"  # create_time 1732000010.0
    assert capitals.created_at == "2024-11-19T07:06:40.000Z"


def test_chatgpt_code_its_output_and_the_answer_are_one_reply(store: Store) -> None:
    (result,) = import_path(store, CHATGPT)
    sine = _by_title(store)["Sine wave"]
    (question, reply) = store.thread(sine.id)
    assert question.content == "[image not imported]\n\nPlot a sine wave like this one."
    assert reply.content == (
        "```\nimport numpy as np\nprint(np.sin(0))\n```\n\nOutput:\n\n```\n0.0\n```\n\n"
        "[image not imported]\n\nHere is the plot of sin(x)."
    )
    assert reply.model == "gpt-4o"
    assert "conversation 'Sine wave': 1 attached file, 2 images skipped" in result.skipped


def test_chatgpt_browsing_keeps_the_quote_and_notes_the_tool_call(store: Store) -> None:
    (result,) = import_path(store, CHATGPT)
    oslo = _by_title(store)["Oslo weather"]
    assert _thread(store, oslo) == [
        ("user", "Weather in Oslo?"),
        (
            "assistant",
            "> Cloudy, 4 °C.\n\n— [Oslo - yr](https://www.yr.no/oslo)\n\n"
            "It is cloudy and 4 °C in Oslo.",
        ),
    ]
    assert "conversation 'Oslo weather': 1 tool call, 1 browsing result skipped" in result.skipped
    assert result.summary() == (
        "imported 3 conversations (9 messages) from a ChatGPT export; "
        "skipped: 2 images, 1 attached file, 1 tool call, 1 browsing result"
    )


@pytest.mark.parametrize(
    "source",
    [
        "chatgpt",  # the export's folder
        "chatgpt-split",  # a split export's folder
        "chatgpt-split/conversations-001.json",  # one part: all parts are read
        "chatgpt-export.zip",  # the zip file as downloaded
    ],
)
def test_chatgpt_export_as_a_folder_a_split_export_one_part_or_the_zip(
    store: Store, source: str
) -> None:
    (result,) = import_path(store, DATA / source)
    assert result.format == "chatgpt"
    assert set(_by_title(store)) == {"Capital cities", "Sine wave", "Oslo weather"}
    assert result.message_count == 9


def test_the_format_is_told_from_the_content_not_the_name(store: Store, tmp_path: Path) -> None:
    renamed = tmp_path / "backup.txt"
    shutil.copy(CLAUDE, renamed)
    (result,) = import_path(store, renamed)
    assert result.format == "claude"


def test_importing_the_same_export_again_adds_nothing(store: Store) -> None:
    import_path(store, CHATGPT)
    before = export_json(store)
    (again,) = import_path(store, DATA / "chatgpt-export.zip")
    assert again.conversations == [] and again.already_here == 3
    assert again.summary() == (
        "imported 0 conversations (0 messages) from a ChatGPT export; "
        "skipped: 3 conversations already imported"
    )
    assert json.loads(export_json(store))["conversations"] == json.loads(before)["conversations"]


def test_a_chain_of_thousands_of_nodes_imports_without_recursion_in_linear_time(
    store: Store,
) -> None:
    mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None}}
    parent = "root"
    for i in range(20_000):
        key = f"n{i}"
        role = "user" if i % 2 == 0 else "assistant"
        mapping[key] = {
            "id": key,
            "parent": parent,
            "children": [],
            "message": {
                "author": {"role": role},
                # no times at all: every message ties with its parent, the hardest order to sort
                "create_time": None,
                "content": {"content_type": "text", "parts": [f"message {i}"]},
                "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
            },
        }
        parent = key
    doc = [{"title": "Long", "id": "long", "mapping": mapping, "current_node": parent}]
    result = import_text(store, json.dumps(doc))
    assert result.message_count == 20_000
    (conv,) = store.list_conversations()
    thread = store.thread(conv.id)
    assert len(thread) == 20_000 and thread[-1].content == "message 19999"


def test_a_parent_loop_is_broken_with_a_note(store: Store) -> None:
    doc = json.loads(CHATGPT.read_text(encoding="utf-8"))[:1]
    doc[0]["mapping"]["u1"]["parent"] = "a1"  # u1 -> a1 -> u1
    (result,) = import_path(store, _write(store, doc))
    assert "conversation 'Capital cities': a loop of messages was broken" in result.skipped
    conv = _by_title(store)["Capital cities"]
    assert {m.content for m in _all(store, conv)} >= {"Paris.", "What is the capital of France?"}
    assert _thread(store, conv)[-1] == ("assistant", "Tokyo.")


def test_an_untitled_conversation_is_named_by_its_first_question(store: Store) -> None:
    doc = json.loads(CHATGPT.read_text(encoding="utf-8"))[:1]
    doc[0]["title"] = None
    import_path(store, _write(store, doc))
    (conv,) = store.list_conversations()
    assert conv.title == "What is the capital of France?"


def _write(store: Store, doc: Any) -> Path:
    path = store.path.parent / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# --- Claude, Open WebUI, LM Studio -------------------------------------------------------------


def test_claude_keeps_the_edit_as_a_branch_and_the_current_leaf(store: Store) -> None:
    (result,) = import_path(store, CLAUDE)
    assert result.format == "claude"
    convs = _by_title(store)
    haiku = convs["Haiku about autumn"]
    assert _thread(store, haiku) == [
        ("user", "Write a haiku about autumn rain."),
        ("assistant", "Rain on red maples"),
    ]
    assert {m.content for m in _all(store, haiku)} >= {
        "Write a haiku about autumn.",
        "Leaves fall quietly",
    }
    notes = convs["Summarise my notes"]
    question, answer = store.thread(notes.id)
    assert question.content == (
        "Summarise these notes.\n\nAttached file notes.txt:\n\n```\nBuy milk. Call Anna.\n```"
    )
    assert answer.content == "Two tasks: buy milk, call Anna."
    assert answer.thinking == "Two tasks: milk and a call."
    assert result.skipped == [
        "conversation 'Summarise my notes': 1 file, 1 tool call, 1 tool result skipped"
    ]


def test_open_webui_keeps_both_replies_the_model_and_the_thinking(store: Store) -> None:
    (result,) = import_path(store, OPENWEBUI)
    assert result.format == "openwebui"
    (conv,) = store.list_conversations()
    assert conv.title == "Explain recursion" and conv.pinned
    assert conv.system_prompt == "Be concise."
    question, reply = store.thread(conv.id)
    assert reply.content == "Recursion is when a function calls itself on a smaller problem."
    assert reply.thinking == "The user wants a definition.\nKeep it short."
    assert reply.model == "qwen3:8b"
    other = [m for m in store.children(question.id) if m.id != reply.id]
    assert [(m.content, m.model) for m in other] == [("A function calling itself.", "llama3.1:8b")]
    assert result.skipped == ["conversation 'Explain recursion': 1 image skipped"]


def test_lm_studio_keeps_every_version_as_a_branch(store: Store) -> None:
    (result,) = import_path(store, LMSTUDIO)
    assert result.format == "lmstudio"
    (conv,) = store.list_conversations()
    assert conv.title == "Prime numbers" and conv.system_prompt == "You are a maths tutor."
    assert _thread(store, conv) == [
        ("user", "Is 53 prime?"),
        ("assistant", "Yes, 53 is prime."),
        ("user", "And this one?"),
        ("assistant", "That picture shows 57, which is 3 times 19."),
    ]
    thread = store.thread(conv.id)
    assert thread[1].thinking == "53 has no divisors but 1 and 53."
    assert thread[1].model == "qwen3-4b"
    # the first wording of the question, and the other version of the reply, in LM Studio's order
    roots = [m for m in _all(store, conv) if m.parent_id is None]
    assert [m.content for m in roots] == ["Is 51 prime?", "Is 53 prime?"]
    assert [m.content for m in store.children(thread[0].id)] == [
        "Yes, 53 is prime.",
        "53 is a prime number.",
    ]
    assert result.skipped == ["conversation 'Prime numbers': 1 image skipped"]


def test_chatapps_own_export_is_read_by_transfer(store: Store, tmp_path: Path) -> None:
    import_path(store, LMSTUDIO)
    path = tmp_path / "mine.json"
    path.write_text(export_json(store), encoding="utf-8")
    with Store.open_dir(tmp_path / "other") as other:
        (result,) = import_path(other, path)
        assert result.format == "chatapp"
        assert result.summary() == "imported 1 conversation(s)"
        assert export_json(other).split("\n", 4)[4] == export_json(store).split("\n", 4)[4]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("{not json", "auto", "not valid JSON (line 1, column 2"),
        ('{"hello": 1}', "auto", "not a chatapp export"),
        ("[1, 2, 3]", "auto", "nor one from ChatGPT, Claude, Open WebUI or LM Studio"),
        ("[]", "auto", "the file holds no conversations"),
        ('[{"uuid": "x", "chat_messages": []}]', "chatgpt", "not a ChatGPT export"),
        ('[{"mapping": {}}]', "claude", "not a Claude export"),
        ('{"messages": 3}', "lmstudio", "not an LM Studio conversation"),
        ('[{"title": "x"}]', "openwebui", "not an Open WebUI export"),
        ("[" * 5000 + "]" * 5000, "auto", "nested too deeply"),
    ],
)
def test_what_is_not_an_export_is_refused_in_one_line(
    store: Store, text: str, fmt: str, expected: str
) -> None:
    with pytest.raises(ImportFormatError) as info:
        import_text(store, text, fmt)
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert store.list_conversations() == []


def test_one_bad_part_refuses_the_whole_export(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(DATA / "chatgpt-split", folder)
    (folder / "conversations-002.json").write_text("[{]", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"^conversations-002\.json: not valid JSON"):
        import_path(store, folder)
    assert store.list_conversations() == []


def test_a_damaged_zip_is_refused_in_one_line(store: Store, tmp_path: Path) -> None:
    broken = tmp_path / "export.zip"
    broken.write_bytes((DATA / "chatgpt-export.zip").read_bytes()[:300])
    with pytest.raises(ImportFormatError, match="zip file"):
        import_path(store, broken)
    assert store.list_conversations() == []


# --- the command line --------------------------------------------------------------------------


def test_chatapp_import_prints_what_it_imported_and_skipped(tmp_path: Path) -> None:
    r = run_cli("import", DATA / "chatgpt-export.zip", "--data-dir", tmp_path / "data")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        "imported 3 conversations (9 messages) from a ChatGPT export; "
        "skipped: 2 images, 1 attached file, 1 tool call, 1 browsing result",
        "  conversation 'Sine wave': 1 attached file, 2 images skipped",
        "  conversation 'Oslo weather': 1 tool call, 1 browsing result skipped",
    ]
    r = run_cli("import", OPENWEBUI, "--format", "claude", "--data-dir", tmp_path / "data")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"chatapp: {OPENWEBUI}: not a Claude export: no item has 'chat_messages'"
    ]
    with Store.open_dir(tmp_path / "data") as store:
        assert len(store.list_conversations()) == 3


# --- generated documents -----------------------------------------------------------------------

_DELETE = "@@delete@@"
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    # the fixtures' own ids and kinds: a mutation then makes loops and orphans, not only noise
    | st.sampled_from(
        [
            *("\ud800", "", "user", "assistant", "tool", "text", "code", "thoughts"),
            *("multimodal_text", "root", "sys", "u1", "a1", "u2", "t2", "m1", "m3", "q", "r1"),
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            out.append((*path, key))
            if isinstance(child, dict | list):
                stack.append((child, (*path, key)))
    return sorted(out, key=repr)


def _mutated(doc: Any, mutations: list[tuple[tuple[Any, ...], Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for path, value in mutations:
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            if value == _DELETE:
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced that place
    return doc


_BASES: dict[str, Any] = {
    "chatgpt": json.loads(CHATGPT.read_text(encoding="utf-8")),
    "claude": json.loads(CLAUDE.read_text(encoding="utf-8")),
    "openwebui": json.loads(OPENWEBUI.read_text(encoding="utf-8")),
    "lmstudio": json.loads(LMSTUDIO.read_text(encoding="utf-8")),
}


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store.open_dir(tmp_path_factory.mktemp("fuzz")) as s:
        conv = s.create_conversation("already here")  # a refused import must leave it as is
        s.add_message(conv.id, "user", "hello")
        yield s


def _import_whole_or_refuse(store: Store, text: str, fmt: str) -> None:
    before = len(store.list_conversations())
    try:
        result: SourceImport = import_text(store, text, fmt)
    except ImportFormatError as exc:
        assert "\n" not in str(exc) and str(exc)
        assert len(store.list_conversations()) == before  # nothing half-imported
        return
    assert len(store.list_conversations()) == before + len(result.conversations)
    for conv, messages in result.conversations:
        thread = store.thread(conv.id)
        assert {m.id for m in thread} <= {m.id for m in messages}
        assert (conv.current_leaf_id is None) == (not messages)
    result.summary()
    for conv, _ in result.conversations:  # so that the next document is written, not skipped
        store.delete_conversation(conv.id)


_FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("fmt", list(_BASES))
@pytest.mark.parametrize("declared", ["auto", "named"])
@_FUZZ
@given(data=st.data())
def test_a_mutated_export_imports_whole_or_is_refused_cleanly(
    fuzz_store: Store, fmt: str, declared: str, data: st.DataObject
) -> None:
    base = _BASES[fmt]
    paths = _paths(base)
    mutations = data.draw(
        st.lists(
            st.tuples(st.sampled_from(paths), st.just(_DELETE) | _json_values),
            min_size=1,
            max_size=4,
        )
    )
    text = json.dumps(_mutated(base, mutations))
    _import_whole_or_refuse(fuzz_store, text, "auto" if declared == "auto" else fmt)


@pytest.mark.parametrize("fmt", ["auto", "chatgpt", "claude", "openwebui", "lmstudio"])
@_FUZZ
@given(document=_json_values)
def test_any_json_imports_whole_or_is_refused_cleanly(
    fuzz_store: Store, fmt: str, document: Any
) -> None:
    _import_whole_or_refuse(fuzz_store, json.dumps(document), fmt)


def test_parse_text_writes_nothing(store: Store) -> None:
    result = parse_text(CHATGPT.read_text(encoding="utf-8"))
    assert len(result.conversations) == 3 and store.list_conversations() == []
    assert [r.format for r in read_path(DATA / "claude")] == ["claude"]


def test_imported_replies_say_where_they_came_from_not_interrupted(
    store: Store, tmp_path: Path
) -> None:
    from chatapp.core.chat.transfer import export_json, import_json

    import_path(store, CHATGPT)
    replies = [
        m for c in store.list_conversations() for m in store.messages(c.id) if m.role == "assistant"
    ]
    assert replies and all(m.origin == "ChatGPT export" for m in replies)
    assert not any(m.interrupted for m in replies)
    exported = export_json(store)
    with Store.open_dir(tmp_path / "again") as again:
        import_json(again, exported)
        copied = [m for c in again.list_conversations() for m in again.messages(c.id)]
        assert {m.origin for m in copied} == {"ChatGPT export"}
