"""Searching the conversation store in Chinese (issue 15): words without spaces between them,
found as a new user would type them, on real SQLite files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.storage.store import (
    DB_FILENAME,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    MIGRATIONS,
    PAIR_TRIGRAMS,
    READ_CHARS,
    SCHEMA_VERSION,
    Store,
    migrate,
)

QUESTION = "用一句话解释什么是大型语言模型"
ANSWER = "基于Transformer的模型"


def marked(word: str) -> str:
    return f"{HIGHLIGHT_START}{word}{HIGHLIGHT_END}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open_dir(tmp_path / "data") as s:
        yield s


def test_the_issues_examples_are_found_and_marked(store: Store) -> None:
    conv = store.create_conversation("LLM")
    question = store.add_message(conv.id, "user", QUESTION)
    answer = store.add_message(conv.id, "assistant", ANSWER)
    store.add_message(conv.id, "user", "How long should I boil an egg?")

    (hit,) = store.search("语言模型")
    assert (hit.message_id, hit.conversation_title) == (question.id, "LLM")
    assert hit.snippet == "用一句话解释什么是大型" + marked("语言模型")
    two = store.search("模型")
    assert {h.message_id for h in two} == {question.id, answer.id}
    assert all(marked("模型") in h.snippet for h in two)
    one = store.search("型")  # one character: shorter than a trigram
    assert {h.message_id for h in one} == {question.id, answer.id}
    assert one[0].snippet.count(marked("型")) == 2 or one[1].snippet.count(marked("型")) == 2

    (word,) = store.search("Transformer")  # a word glued to Chinese text on both sides
    assert (word.message_id, word.snippet) == (answer.id, "基于" + marked("Transformer") + "的模型")
    (mixed,) = store.search("Transformer 模型")
    assert mixed.message_id == answer.id
    assert mixed.snippet == "基于" + marked("Transformer") + "的" + marked("模型")
    assert [h.message_id for h in store.search("模型 Transformer")] == [answer.id]
    assert store.search("语言 Transformer") == []  # every word must be in the message
    assert store.search("茶") == []


def test_english_search_is_as_before_beside_chinese(store: Store) -> None:
    conv = store.create_conversation()
    trains = store.add_message(conv.id, "user", "Something about trains and transformers")
    glued = store.add_message(conv.id, "user", ANSWER)

    typed = store.search("tra")  # the last word as a prefix: whole words first, as before
    assert [h.message_id for h in typed] == [trains.id, glued.id]
    assert typed[0].snippet == f"Something about {marked('trains')} and {marked('transformers')}"
    assert typed[1].snippet == "基于" + marked("Transformer") + "的模型"  # the word, not the run
    assert store.search("form") == []  # inside a word is no word
    assert store.search("trans former") == []  # not a prefix before the last word
    assert [h.message_id for h in store.search("about trains")] == [trains.id]


def test_more_mentions_rank_first_and_long_text_is_cut_around_them(store: Store) -> None:
    conv = store.create_conversation()
    once = store.add_message(conv.id, "user", "我们" * 40 + "模型" + "我们" * 40)
    many = store.add_message(conv.id, "user", "模型和模型还是模型")
    hits = store.search("模型")
    assert [h.message_id for h in hits] == [many.id, once.id]
    snippet = hits[1].snippet
    assert snippet.startswith("…") and snippet.endswith("…") and marked("模型") in snippet
    assert len(snippet) < 80


def test_a_common_character_is_found_newest_first(store: Store) -> None:
    """More trigrams start with it than a query can OR: the newest messages holding it."""
    conv = store.create_conversation()
    ids = [
        store.add_message(conv.id, "user", f"我的{chr(0x4E00 + i)}书 Python").id
        for i in range(PAIR_TRIGRAMS + 10)
    ]
    store.add_message(conv.id, "user", "没有那个字")
    hits = store.search("的", limit=5)
    assert [h.message_id for h in hits] == ids[::-1][:5]
    assert all(marked("的") in h.snippet for h in hits)
    assert [h.message_id for h in store.search("的 python", limit=3)] == ids[::-1][:3]
    assert store.search("的 Java") == []


def test_a_word_far_into_a_long_message_is_found(store: Store) -> None:
    conv = store.create_conversation()
    log = store.add_message(conv.id, "user", "日志" * READ_CHARS + "语言模型出错了")
    store.add_message(conv.id, "user", "模型")
    (hit,) = store.search("语言模型")  # the index finds it; search reads the first READ_CHARS
    assert hit.message_id == log.id
    assert hit.snippet.startswith("日志日志") and len(hit.snippet) < 80  # shown from the start


@pytest.mark.parametrize("query", ['"模型', "模型*", "AND 模型", "模型 OR", "(模型)", "NEAR(模型)"])
def test_any_text_around_chinese_is_searched_without_errors(store: Store, query: str) -> None:
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", QUESTION)
    hits = store.search(query)
    assert msg.id in [h.message_id for h in hits] or query in ("AND 模型", "模型 OR", "NEAR(模型)")


def test_deleting_and_editing_update_the_chinese_index(store: Store) -> None:
    conv = store.create_conversation()
    question = store.add_message(conv.id, "user", QUESTION)
    reply = store.begin_reply(conv.id)
    store.checkpoint_reply(reply.id, "大型语言模型是")  # streaming: the text so far
    assert {h.message_id for h in store.search("模型")} == {question.id, reply.id}
    store.checkpoint_reply(reply.id, "它是一种神经网络也会写诗")  # rewritten as it streams
    assert [h.message_id for h in store.search("模型")] == [question.id]
    assert [h.message_id for h in store.search("写诗")] == [reply.id]
    assert [h.message_id for h in store.search("诗")] == [reply.id]  # its very last character

    store.delete_message(question.id)  # takes the reply below it along
    assert store.search("模型") == []
    assert store.search("诗") == []
    assert store.search("一句话") == []
    check = store._conn  # the index itself agrees
    assert check is not None
    check.execute("INSERT INTO messages_tri(messages_tri) VALUES ('integrity-check')")


def test_a_database_from_before_the_chinese_index_is_upgraded_and_found(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    before = next(i for i, step in enumerate(MIGRATIONS) if "chinese" in step.__name__)
    assert migrate(conn, target=before) == before
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, settings_json)"
        " VALUES ('c1', '旧的对话', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z', '{}')"
    )
    for i, text in enumerate((QUESTION, ANSWER, "penguins eat krill")):
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at)"
            f" VALUES ('m{i}', 'c1', NULL, 'user', ?, '2025-01-01T10:00:0{i}.000Z')",
            (text,),
        )
    unicode61 = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '模型'"
    assert conn.execute(unicode61).fetchone()[0] == 0  # what the user met: no Chinese word
    conn.close()

    with Store(path) as store:
        assert {h.message_id for h in store.search("模型")} == {"m0", "m1"}
        assert [h.message_id for h in store.search("语言模型")] == ["m0"]
        assert [h.message_id for h in store.search("Transformer")] == ["m1"]
        assert [h.message_id for h in store.search("krill")] == ["m2"]
        assert store.search("模型")[0].conversation_title == "旧的对话"
        conv = store.get_conversation("c1")
        new = store.add_message(conv.id, "user", "新的模型")
        assert new.id in {h.message_id for h in store.search("模型")}
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    check.close()


def _cli_c_locale(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """``python -m chatapp`` under the C locale, without Python's UTF-8 mode or locale
    coercion: the terminal of a bare server or container, which Python would write ASCII to."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    return subprocess.run(
        [sys.executable, "-m", "chatapp", *map(str, args)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_command_line_prints_chinese_under_the_c_locale(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation("语言模型")
        store.add_message(conv.id, "user", QUESTION)
    found = _cli_c_locale("search", "--data-dir", tmp_path, "模型")
    assert found.returncode == 0, found.stderr.decode("utf-8", "replace")
    line = f"{conv.id}\t语言模型\t用一句话解释什么是大型语言[模型]\n"
    assert found.stdout.decode("utf-8") == line
    missing = _cli_c_locale("export", "--data-dir", tmp_path, "--conversation", "模型")
    assert missing.returncode == 1
    assert missing.stderr.decode("utf-8") == "chatapp: no conversation with id '模型'\n"
