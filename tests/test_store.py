"""The conversation store, on real SQLite files: what a user would see survive, or break."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import (
    DB_FILENAME,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SCHEMA_VERSION,
    NotFound,
    Store,
    StoreError,
    migrate,
)

METRICS = ReplyMetrics(
    prompt_tokens=42,
    prompt_eval_tokens=7,
    completion_tokens=12,
    ttft_ms=153.5,
    decode_tps=38.25,
    stop_reason=StopReason.END_OF_TURN,
    dropped_turns=1,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def test_list_puts_pinned_first_then_most_recent(store: Store) -> None:
    old = store.create_conversation("old")
    middle = store.create_conversation("middle")
    new = store.create_conversation("new")
    store.add_message(old.id, "user", "bump the old one")  # now the most recently active

    assert [c.title for c in store.list_conversations()] == ["old", "new", "middle"]
    store.set_pinned(middle.id, True)
    assert [c.title for c in store.list_conversations()] == ["middle", "old", "new"]
    assert store.get_conversation(middle.id).pinned
    assert not store.get_conversation(new.id).pinned


def test_title_comes_from_the_first_user_message(store: Store) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "system", "You are terse.")
    assert store.get_conversation(conv.id).title == ""

    long_line = "Please explain how photosynthesis works in desert plants " + "x" * 10
    store.add_message(conv.id, "user", f"\n  {long_line}\nsecond line")
    title = store.get_conversation(conv.id).title
    assert title == "Please explain how photosynthesis works in desert plants…"

    store.add_message(conv.id, "user", "a later message does not retitle")
    assert store.get_conversation(conv.id).title == title
    store.rename_conversation(conv.id, "Deserts")
    assert store.get_conversation(conv.id).title == "Deserts"


def test_branches_and_switching_the_visible_thread(store: Store) -> None:
    conv = store.create_conversation("branches")
    question = store.add_message(conv.id, "user", "Name a colour")
    first = store.begin_reply(conv.id, model="tiny")
    store.finish_reply(first.id, "Red", METRICS)
    # Regenerate: a second reply to the same question.
    second = store.begin_reply(conv.id, parent_id=question.id, model="tiny")
    store.finish_reply(second.id, "Blue", METRICS)
    follow_up = store.add_message(conv.id, "user", "Why blue?")

    assert [m.content for m in store.thread(conv.id)] == ["Name a colour", "Blue", "Why blue?"]
    assert [m.content for m in store.children(question.id)] == ["Red", "Blue"]
    assert follow_up.parent_id == second.id

    store.set_current_leaf(conv.id, first.id)
    assert [m.content for m in store.thread(conv.id)] == ["Name a colour", "Red"]
    # Continuing after switching grows the chosen branch.
    store.add_message(conv.id, "user", "Why red?")
    assert [m.content for m in store.thread(conv.id)] == ["Name a colour", "Red", "Why red?"]
    assert [m.content for m in store.thread(conv.id, follow_up.id)][-1] == "Why blue?"
    assert len(store.messages(conv.id)) == 5


def test_current_leaf_must_belong_to_the_conversation(store: Store) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    msg = store.add_message(b.id, "user", "in b")
    with pytest.raises(NotFound, match="not in conversation"):
        store.set_current_leaf(a.id, msg.id)


def test_streamed_reply_survives_reopening_with_its_metrics(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "Count to three")
        reply = store.begin_reply(conv.id, model="tiny")
        assert reply.interrupted and reply.content == ""
        store.checkpoint_reply(reply.id, "One,")
        store.checkpoint_reply(reply.id, "One, two,")
        store.finish_reply(reply.id, "One, two, three.", METRICS)
        store.checkpoint_reply(reply.id, "One, two")  # a late checkpoint must not undo the end

    with Store.open_dir(tmp_path) as store:
        (_, saved) = store.thread(conv.id)
        assert saved.content == "One, two, three."
        assert saved.metrics == METRICS
        assert not saved.interrupted
        assert saved.model == "tiny"


KILLED_MID_REPLY = """
import os, sys
from pathlib import Path
from chatapp.core.storage.store import Store

store = Store.open_dir(Path(sys.argv[1]))
conv = store.create_conversation()
store.add_message(conv.id, "user", "Tell me a story")
reply = store.begin_reply(conv.id)
store.checkpoint_reply(reply.id, "Once upon a")
print(conv.id, reply.id, flush=True)
os._exit(9)  # no close, no cleanup, no atexit: what a kill leaves (and works on Windows)
"""


def test_reply_cut_off_by_a_killed_process_reads_back_as_interrupted(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLED_MID_REPLY, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 9, result.stderr
    conv_id, reply_id = result.stdout.split()

    with Store.open_dir(tmp_path) as store:
        (question, last) = store.thread(conv_id)
        assert question.content == "Tell me a story"
        assert last.id == reply_id
        assert last.content == "Once upon a"
        assert last.interrupted
        assert last.metrics is None


def test_search_finds_words_and_marks_them(store: Store) -> None:
    conv = store.create_conversation("Cooking")
    store.add_message(conv.id, "user", "How long should I boil an egg?")
    store.add_message(conv.id, "user", "Something unrelated about trains")

    hits = store.search("boil egg")
    assert len(hits) == 1
    assert hits[0].conversation_title == "Cooking"
    assert hits[0].role == "user"
    assert f"{HIGHLIGHT_START}boil{HIGHLIGHT_END}" in hits[0].snippet
    assert store.search("tra")[0].snippet.count(HIGHLIGHT_START) == 1  # typing a word finds it


@pytest.mark.parametrize(
    "query", ['"', "AND", "foo*(", "", "   ", 'foo-bar "baz', "NEAR(a b)", "-"]
)
def test_search_accepts_any_text_without_errors(store: Store, query: str) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "foo-bar baz AND more")
    hits = store.search(query)
    assert isinstance(hits, list)
    if query.strip() in ("", '"', "-"):
        assert hits == []


def test_search_follows_edits_and_deletes(store: Store) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "Where is Timbuktu?")
    reply = store.begin_reply(conv.id)
    store.checkpoint_reply(reply.id, "In Mali, near the Niger river.")
    assert len(store.search("niger")) == 1

    store.delete_conversation(conv.id)
    assert store.search("timbuktu") == []
    assert store.search("niger") == []
    assert store.list_conversations() == []
    with pytest.raises(NotFound):
        store.get_message(reply.id)


def test_id_prefixes_work_like_git(store: Store) -> None:
    convs = [store.create_conversation(f"c{i}") for i in range(40)]
    target = convs[0]
    assert store.get_conversation(target.id[:8]).id == target.id
    assert store.get_conversation(target.id.upper()).id == target.id

    with pytest.raises(NotFound, match="no conversation with id 'zzzz'"):
        store.get_conversation("zzzz")
    # With 40 ids over 16 first digits, some first digit is shared.
    firsts = [c.id[0] for c in convs]
    shared = next(d for d in firsts if firsts.count(d) > 1)
    with pytest.raises(NotFound, match="more than one conversation"):
        store.get_conversation(shared)


def test_update_conversation_can_clear_fields(store: Store) -> None:
    conv = store.create_conversation("t", model="m.gguf", system_prompt="Be brief.")
    updated = store.update_conversation(conv.id, settings={"temperature": 0.2})
    assert updated.system_prompt == "Be brief." and updated.settings == {"temperature": 0.2}
    cleared = store.update_conversation(conv.id, system_prompt=None, model=None)
    assert cleared.system_prompt is None and cleared.model is None
    assert cleared.settings == {"temperature": 0.2}


def test_two_threads_can_write_at_once(store: Store) -> None:
    conv = store.create_conversation()
    reply = store.begin_reply(conv.id)
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            for i in range(200):
                store.checkpoint_reply(reply.id, "x" * i)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=stream)
    worker.start()
    others = [store.create_conversation(f"other {i}") for i in range(50)]
    worker.join()
    assert errors == []
    assert store.get_message(reply.id).content == "x" * 199
    assert len(store.list_conversations()) == len(others) + 1


# --- schema and files ------------------------------------------------------------------------


def test_a_version_1_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, model, system_prompt,"
        " settings_json) VALUES ('c1', 'Old chat', '2025-01-01T10:00:00.000Z',"
        " '2025-01-01T10:01:00.000Z', 'old.gguf', 'Be kind.', '{\"top_k\": 5}')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at)"
        " VALUES ('m1', 'c1', NULL, 'user', 'What do penguins eat?', '2025-01-01T10:00:01.000Z')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, model)"
        " VALUES ('m2', 'c1', 'm1', 'assistant', 'Mostly krill and fish.',"
        " '2025-01-01T10:00:02.000Z', 'old.gguf')"
    )
    conn.execute("UPDATE conversations SET current_leaf_id = 'm2' WHERE id = 'c1'")
    conn.close()

    with Store(path) as store:
        conv = store.get_conversation("c1")
        assert conv.title == "Old chat" and conv.system_prompt == "Be kind."
        assert conv.settings == {"top_k": 5}
        assert conv.pinned is False
        thread = store.thread("c1")
        assert [m.content for m in thread] == ["What do penguins eat?", "Mostly krill and fish."]
        assert thread[1].metrics is None  # v1 kept no metrics
        assert thread[1].thinking is None  # nor thinking
        assert [h.message_id for h in store.search("krill")] == ["m2"]

    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    check.close()


def test_a_database_from_a_newer_chatapp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 2}")
    conn.close()
    newer = SCHEMA_VERSION + 2
    with pytest.raises(
        StoreError, match=rf"newer chatapp \(schema {newer}; this version knows {SCHEMA_VERSION}\)"
    ):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"my shopping list: eggs, milk, bread\n" * 200)
    with pytest.raises(StoreError, match="is not a chatapp database"):
        Store(path)
    assert path.read_bytes().startswith(b"my shopping list")  # left untouched


def test_someone_elses_sqlite_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not a chatapp database"):
        Store(path)


def test_a_data_dir_under_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="cannot create the data directory"):
        Store.open_dir(blocker / "data")
    with pytest.raises(StoreError, match="is a file, not a directory"):
        Store.open_dir(blocker)


def test_search_over_many_matches_still_ranks_the_best_first(tmp_path: Path) -> None:
    from chatapp.core.storage.store import RANK_WINDOW

    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation("Weather")
        for i in range(RANK_WINDOW + 200):  # more matches than are ranked
            store.add_message(conv.id, "user", f"note {i}: the weather was fine, nothing more")
        best = store.add_message(conv.id, "user", "weather weather weather: storm warning")
        store.add_message(conv.id, "user", "the weather again")
        hits = store.search("weather", limit=20)
    assert len(hits) == 20
    assert hits[0].message_id == best.id
    assert all(HIGHLIGHT_START + "weather" + HIGHLIGHT_END in h.snippet for h in hits)


def test_thinking_is_saved_apart_from_the_answer_and_not_searched(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "What is 17 * 3?")
        reply = store.begin_reply(conv.id, model="r1")
        store.checkpoint_reply(reply.id, "", thinking="17 * 3 = 51, zebra")
        assert store.get_message(reply.id).thinking == "17 * 3 = 51, zebra"  # while streaming
        store.finish_reply(reply.id, "51", METRICS, thinking="17 * 3 = 51, zebra. Check: 51.")
        plain = store.begin_reply(conv.id, parent_id=reply.parent_id, model="r1")
        store.finish_reply(plain.id, "Fifty-one", METRICS)

    with Store.open_dir(tmp_path) as store:
        saved = store.get_message(reply.id)
        assert (saved.content, saved.thinking) == ("51", "17 * 3 = 51, zebra. Check: 51.")
        assert store.get_message(plain.id).thinking is None
        assert store.search("zebra") == []  # search covers the answers only
        assert [h.message_id for h in store.search("51")] == [reply.id]


def test_a_version_2_database_gains_the_thinking_column_and_keeps_search(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=2) == 2
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, settings_json)"
        " VALUES ('c1', 'v2 chat', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z', '{}')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at)"
        " VALUES ('m1', 'c1', NULL, 'user', 'Penguins and krill', '2025-01-01T10:00:01.000Z')"
    )
    conn.close()
    with Store(path) as store:
        (msg,) = store.thread("c1", "m1")
        assert (msg.content, msg.thinking) == ("Penguins and krill", None)
        assert [h.message_id for h in store.search("krill")] == ["m1"]


def test_a_damaged_version_2_database_can_still_be_salvaged(tmp_path: Path) -> None:
    """``chatapp repair`` reads databases from before the thinking column too."""
    from chatapp.core.storage.salvage import read_damaged

    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, settings_json)"
        " VALUES ('c1', 'v2 chat', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z', '{}')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at)"
        " VALUES ('m1', 'c1', NULL, 'user', 'Penguins and krill', '2025-01-01T10:00:01.000Z')"
    )
    conn.close()
    salvage = read_damaged(path)
    ((_conv, messages),) = salvage.conversations
    assert [(m.content, m.thinking) for m in messages] == [("Penguins and krill", None)]


def test_a_version_4_database_gains_the_backend_column(tmp_path: Path) -> None:
    """Replies written before remote backends came from this computer: their backend is none,
    and a new reply from a server records the server beside the model."""
    from chatapp.core.storage.salvage import read_damaged

    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=4)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, settings_json)"
        " VALUES ('c1', 'v4 chat', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z', '{}')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, model)"
        " VALUES ('m1', 'c1', NULL, 'assistant', 'Krill.', '2025-01-01T10:00:01.000Z', 'Qwen')"
    )
    conn.close()
    salvage = read_damaged(path)  # ``chatapp repair`` reads it before the migration too
    ((_conv, messages),) = salvage.conversations
    assert [(m.model, m.backend) for m in messages] == [("Qwen", None)]
    with Store(path) as store:
        (old,) = store.thread("c1", "m1")
        assert (old.model, old.backend) == ("Qwen", None)
        new = store.begin_reply("c1", model="Qwen3-32B", backend="gpu-box")
        assert (store.get_message(new.id).model, store.get_message(new.id).backend) == (
            "Qwen3-32B",
            "gpu-box",
        )
