"""Retrieval beyond plain words: common words left out, Chinese by trigrams, a similarity floor,
several collections at once, whole documents, and an index of the previous schema upgraded.

Real SQLite, real llama.cpp on the tiny generated model (its vectors carry no meaning, so what
is asserted of them is only what needs none: a text's own vector, the floor, the fusion).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.docs import index as index_module
from chatapp.core.docs.index import DocIndex, DocIndexError
from chatapp.core.docs.search import COMMON_MIN, search, search_many
from chatapp.core.inference.embeddings import Embedder

LLM = "大型语言模型通过预测下一个词来生成文本，它的架构基于Transformer。"
WALL = "长城是中国古代修建的防御工程，全长两万多公里。"
TEA = "绿茶在中国已有数千年的历史，杭州的龙井最为有名。"


@pytest.fixture(scope="module")
def embedder(tiny_model: Path) -> Iterator[Embedder]:
    e = Embedder(tiny_model)
    yield e
    e.close()


@pytest.fixture
def chinese(tmp_path: Path) -> Path:
    root = tmp_path / "zh"
    root.mkdir()
    (root / "llm.txt").write_text(LLM)
    (root / "wall.txt").write_text(WALL)
    (root / "tea.txt").write_text(TEA)
    (root / "en.txt").write_text("The lighthouse keeper logs every passing ship.")
    return root


def found(hits: list[object]) -> list[str]:
    return [Path(h.path).name for h in hits]  # type: ignore[attr-defined]


def test_common_words_are_left_out_and_the_rare_one_still_finds_its_passage(
    tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(COMMON_MIN + 20):  # "the", "data", "is" in every chunk: common
        (root / f"log{i:03}.txt").write_text(f"The data is in shelf number {i}.")
    (root / "hangar.txt").write_text("The data is kept in the zeppelin hangar.")
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("c", [root], embedder)
        assert search(index, "c", "where is the data kept zeppelin", None)[0].path.endswith(
            "hangar.txt"
        )
        assert search(index, "c", "the data is", None) == []  # nothing to rank by keyword…
        hits = search(index, "c", "the data is", embedder, k=3)
        assert len(hits) == 3 and not any(h.keyword for h in hits)  # …the vectors decide
        assert all(h.similarity is not None for h in hits)
        # a word in few chunks is kept: a log's own number finds that log
        assert found(search(index, "c", "the data shelf 117", None))[0] == "log117.txt"


def test_a_chinese_question_finds_the_chinese_passage_by_keywords(
    tmp_path: Path, chinese: Path, embedder: Embedder
) -> None:
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("zh", [chinese], embedder)
        # shares no three characters in a row with the passage: its pairs (长城, 全长, 公里) find it
        hits = search(index, "zh", "长城全长多少公里？", None)
        assert found(hits)[0] == "wall.txt" and hits[0].keyword
        assert found(search(index, "zh", "龙井茶产自哪里", None))[0] == "tea.txt"
        assert found(search(index, "zh", "模型", None)) == ["llm.txt"]  # two characters
        assert found(search(index, "zh", "茶", None)) == ["tea.txt"]  # one
        assert found(search(index, "zh", "鱼", None)) == []  # one in no passage
        # a Latin word glued to Chinese text is no unicode61 token: the trigrams find it
        assert found(search(index, "zh", "Transformer是什么", None)) == ["llm.txt"]
        assert found(search(index, "zh", "transformer", None)) == ["llm.txt"]
        assert found(search(index, "zh", "former", None)) == []  # a word, not a substring
        assert found(search(index, "zh", "lighthouse ship", None)) == ["en.txt"]  # as before


def test_a_lone_character_in_too_many_trigrams_is_found_by_a_scan(
    tmp_path: Path, chinese: Path, embedder: Embedder
) -> None:
    # "的" followed by 70 different characters: more trigrams than a lookup stands for
    (chinese / "many.txt").write_text("".join(f"的{chr(0x4E00 + i)}。" for i in range(70)))
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("zh", [chinese], embedder)
        hits = search(index, "zh", "的", None, k=20)  # many.txt is cut into a few chunks
        assert set(found(hits)) == {"many.txt", "llm.txt", "wall.txt", "tea.txt"}
        assert all(h.keyword for h in hits)


def test_min_similarity_drops_passages_found_by_vectors_only(
    tmp_path: Path, chinese: Path, embedder: Embedder
) -> None:
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("zh", [chinese], embedder)
        everything = search(index, "zh", "lighthouse", embedder, k=4)
        assert len(everything) == 4  # the keyword hit and three passages by vectors
        assert [h.keyword for h in everything].count(True) == 1
        own = search(index, "zh", WALL, embedder, k=4)  # its own text: cosine 1
        assert found(own)[0] == "wall.txt" and own[0].similarity == pytest.approx(1.0, abs=1e-4)
        floor = max(h.similarity or 0.0 for h in everything if not h.keyword) + 1e-6
        kept = search(index, "zh", "lighthouse", embedder, k=4, min_similarity=floor)
        assert found(kept) == ["en.txt"] and kept[0].keyword  # the keyword hit stays
        only = search(index, "zh", WALL, embedder, k=4, min_similarity=0.999)
        assert found(only)[0] == "wall.txt"  # its own text passes any floor


def test_search_many_fuses_collections_with_their_own_models(
    tmp_path: Path, chinese: Path, embedder: Embedder, eos_model: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ship.txt").write_text("The ship left the harbour before the lighthouse lit up.")
    other = Embedder(eos_model)
    try:
        with DocIndex(tmp_path / "docs.sqlite3") as index:
            index.index("zh", [chinese], embedder)
            index.index("notes", [notes], other)
            hits = search_many(index, [("zh", embedder), ("notes", other)], "lighthouse", k=5)
            by = {(h.collection, Path(h.path).name) for h in hits if h.keyword}
            assert by == {("zh", "en.txt"), ("notes", "ship.txt")}
            assert {h.collection for h in hits} == {"zh", "notes"}
            assert all(h.chunk_id > 0 for h in hits)
            keywords = search_many(index, [("zh", None), ("notes", None)], "长城 harbour")
            assert {(h.collection, Path(h.path).name) for h in keywords} == {
                ("zh", "wall.txt"),
                ("notes", "ship.txt"),
            }
            assert all(h.similarity is None for h in keywords)  # no embedder: no cosine
            with pytest.raises(DocIndexError, match="no collection named 'gone'"):
                search_many(index, [("zh", None), ("gone", None)], "长城")
    finally:
        other.close()


def test_files_and_their_chunks_in_order(tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "guide.md").write_text("# Guide\n\nFirst part.\n\n## Setup\n\nSecond part.\n")
    (root / "short.txt").write_text("Only one line.")
    (root / "blob.dat").write_bytes(bytes(range(256)))  # skipped: not listed
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("c", [root], embedder)
        assert [(Path(p).name, n) for p, n in index.files("c")] == [
            ("guide.md", 2),
            ("short.txt", 1),
        ]
        guide = str((root / "guide.md").resolve())
        chunks = index.file_chunks("c", guide)
        assert [(page, heading) for page, heading, _ in chunks] == [
            (None, "Guide"),
            (None, "Guide > Setup"),
        ]
        assert chunks[0][2].endswith("First part.") and chunks[1][2].endswith("Second part.")
        with pytest.raises(DocIndexError):
            index.file_chunks("c", str(root / "blob.dat"))


def test_an_index_of_the_previous_schema_is_upgraded_and_found_in_chinese(
    tmp_path: Path, chinese: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "docs.sqlite3"
    monkeypatch.setattr(index_module, "_SCHEMA", index_module._SCHEMA[:1])  # the first schema
    with DocIndex(db) as old:
        old.index("zh", [chinese], embedder)
    monkeypatch.undo()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunks_tri'").fetchall()
    with DocIndex(db) as index:  # the chunks written before are in the new trigram index
        assert found(search(index, "zh", "长城全长多少公里", None)) == ["wall.txt"]
        (wall,) = (p for p, _ in index.files("zh") if p.endswith("wall.txt"))
        (chinese / "wall.txt").write_text("长城已经不在这里。")
        index.index("zh", None, embedder)  # and the triggers keep it right after
        assert found(search(index, "zh", "公里", None)) == []
        assert found(search(index, "zh", "长城在哪里", None)) == ["wall.txt"]
        assert index.file_chunks("zh", wall) == [(None, None, "长城已经不在这里。")]
