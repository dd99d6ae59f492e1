"""Answering from documents through the use-case layer (``DocsService``, ``ChatService``): the
passages or the whole document a question gets, the sources saved with the reply, and how they
survive export and import. Real llama.cpp on generated models, real SQLite files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.core.chat.service import ChatService
from chatapp.core.chat.transfer import export_json, export_markdown, import_json
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.docs.service import DocsError, DocsService, Retrieval
from chatapp.core.docs.sources import Source, Sources, sources_from_json
from chatapp.core.inference.engine import Engine
from chatapp.core.storage.store import Store

WARRANTY = "# Warranty\n\nThe kettle's warranty lasts three years from the day of purchase.\n"
GARDEN = "# Garden\n\nWater the tomatoes every morning in July.\n"
INVENTORY = "# Inventory\n\n" + "\n".join(f"- item {i}: a blue widget" for i in range(1, 8)) + "\n"


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "warranty.md").write_text(WARRANTY)
    (root / "garden.md").write_text(GARDEN)
    (root / "inventory_list.md").write_text(INVENTORY)
    return root


@pytest.fixture
def docs(tmp_path: Path, notes: Path, tiny_model: Path) -> Iterator[DocsService]:
    service = DocsService.open_dir(tmp_path / "data")
    result = service.add("home", [notes], tiny_model)
    assert len(result.embedded) == 3
    yield service
    service.close()


def words(text: str) -> int:
    return len(text.split())


def test_a_question_gets_numbered_passages_with_their_files(docs: DocsService) -> None:
    found = docs.retrieve(["home"], "How long is the kettle warranty?", k=2)
    assert found.sources is not None and found.sources.mode == "passages"
    first = found.sources.items[0]
    assert Path(first.path).name == "warranty.md" and first.collection == "home"
    assert first.label == "[1] warranty.md, Warranty"
    assert "[1] " in found.prompt and "three years" in found.prompt
    assert found.prompt.endswith("My question: How long is the kettle warranty?")


def test_a_question_naming_a_document_gets_the_whole_document(docs: DocsService) -> None:
    found = docs.retrieve(
        ["home"],
        "What does inventory_list.md hold?",
        budget_tokens=lambda: 4000,
        count_tokens=words,
    )
    assert found.sources is not None and found.sources.mode == "document"
    (whole,) = found.sources.items
    assert Path(whole.path).name == "inventory_list.md"
    for i in range(1, 8):  # every item, not the best few passages
        assert f"item {i}: a blue widget" in found.prompt
    assert found.sources.summary == "whole document: inventory_list.md"


def test_a_summary_of_a_document_too_big_for_the_context_falls_back_to_passages(
    docs: DocsService,
) -> None:
    found = docs.retrieve(
        ["home"], "Summarise the inventory list", budget_tokens=lambda: 10, count_tokens=words
    )
    assert found.sources is not None and found.sources.mode == "passages"


def test_a_count_question_in_a_one_file_collection_reads_the_whole_file(
    tmp_path: Path, tiny_model: Path
) -> None:
    folder = tmp_path / "only"
    folder.mkdir()
    (folder / "stock.md").write_text(INVENTORY)
    with DocsService.open_dir(tmp_path / "data2") as service:
        service.add("stock", [folder], tiny_model)
        found = service.retrieve(
            ["stock"],
            "How many widgets are listed?",
            budget_tokens=lambda: 4000,
            count_tokens=words,
        )
        chinese = service.retrieve(
            ["stock"], "一共有多少个?", budget_tokens=lambda: 4000, count_tokens=words
        )
    assert found.sources is not None and found.sources.mode == "document"
    assert chinese.sources is not None and chinese.sources.mode == "document"


def test_an_unknown_collection_is_a_clear_error(docs: DocsService) -> None:
    with pytest.raises(DocsError, match="no collection named 'work'"):
        docs.retrieve(["work"], "anything")


def test_a_gone_embedding_model_searches_by_keywords_and_says_so(
    tmp_path: Path, notes: Path, tiny_model: Path
) -> None:
    copy = tmp_path / "embedder.gguf"
    copy.write_bytes(tiny_model.read_bytes())
    with DocsService.open_dir(tmp_path / "data3") as service:
        service.add("home", [notes], copy)
        service.release(copy)
        copy.unlink()
        found = service.retrieve(["home"], "kettle warranty")
    assert found.sources is not None
    assert Path(found.sources.items[0].path).name == "warranty.md"
    assert any("keyword search only" in n for n in found.notes)
    assert "keyword search only" in found.sources.note


def test_a_reply_from_documents_saves_its_sources_and_the_message_as_typed(
    tmp_path: Path, docs: DocsService, tiny_model: Path
) -> None:
    engine = Engine()
    engine.load(tiny_model, LoadSettings(n_ctx=1024))
    seen: list[Retrieval] = []
    try:
        with Store.open_dir(tmp_path / "chats") as store:
            chats = ChatService(store, lambda: GenerationSettings(max_tokens=4), docs=docs)
            conv, user = chats.send(None, "How long is the kettle warranty?", model="tiny")
            conv = store.set_collections(conv.id, ["home"])
            assert store.get_conversation(conv.id).collections == ("home",)
            for _ in chats.reply(engine, conv.id, user.id, docs_k=2, on_retrieved=seen.append):
                pass
            user_saved, reply = store.thread(conv.id)
            plain_conv, plain_user = chats.send(None, "How long is the kettle warranty?", model="t")
            for _ in chats.reply(engine, plain_conv.id, plain_user.id):
                pass
            _, plain = store.thread(plain_conv.id)
    finally:
        engine.unload()
    assert user_saved.content == "How long is the kettle warranty?"
    assert reply.sources is not None and reply.sources.mode == "passages"
    assert Path(reply.sources.items[0].path).name == "warranty.md"
    assert seen and seen[0].sources == reply.sources
    assert plain.sources is None  # a conversation without collections gets none
    assert reply.metrics is not None and plain.metrics is not None
    assert reply.metrics.prompt_tokens > plain.metrics.prompt_tokens + 20


def test_sources_and_collections_survive_export_and_import(tmp_path: Path) -> None:
    sources = Sources(
        "passages",
        (
            Source(1, "/docs/manual.pdf", "The warranty lasts five years.", page=2, collection="c"),
            Source(2, "/docs/guide.md", "Install it.", heading="Guide > Install", score=0.03),
        ),
    )
    with Store.open_dir(tmp_path / "a") as store:
        conv, _ = store.start_conversation("Warranty?")
        store.set_collections(conv.id, ["c", "d"])
        row = store.begin_reply(conv.id, model="m", sources=sources)
        store.checkpoint_reply(row.id, "Five years [1].")
        assert store.get_message(row.id).sources == sources
        exported = export_json(store)
        markdown = export_markdown(store)
    assert "**Sources** (2 passages from c):" in markdown
    assert "- [1] manual.pdf, p. 2 — `/docs/manual.pdf`" in markdown
    data = json.loads(exported)
    assert data["conversations"][0]["collections"] == ["c", "d"]
    with Store.open_dir(tmp_path / "b") as store:
        import_json(store, exported)
        (conv2,) = store.list_conversations()
        assert conv2.collections == ("c", "d")
        _, reply = store.thread(conv2.id)
        assert reply.sources == sources
        assert (
            export_json(store).split('"conversations"')[1] == exported.split('"conversations"')[1]
        )


def test_unreadable_saved_sources_show_the_reply_without_them() -> None:
    assert sources_from_json('{"mode": "telepathy", "items": []}') is None
    assert sources_from_json("not json") is None
    assert sources_from_json(None) is None


def test_bringing_an_unchanged_collection_up_to_date_loads_no_model(
    tmp_path: Path, notes: Path, tiny_model: Path
) -> None:
    with DocsService.open_dir(tmp_path / "data") as service:
        service.add("home", [notes], tiny_model)
        assert service.device(tiny_model) is not None  # chosen and used: loaded
    with DocsService.open_dir(tmp_path / "data") as service:  # the window's next start
        again = service.add("home", None)
        assert again.unchanged == 3 and not again.embedded
        assert service.device(tiny_model) is None  # nothing needed it
        (notes / "garden.md").write_text(GARDEN + "\nPrune the roses in March.\n")
        changed = service.add("home", None)
        assert [Path(p).name for p in changed.embedded] == ["garden.md"]
        assert service.device(tiny_model) is not None


def test_a_chat_that_fits_only_without_its_passages_is_summarised_to_make_room(
    tmp_path: Path, docs: DocsService, tiny_model: Path
) -> None:
    from chatapp.core.chat.conversation import history
    from chatapp.core.config.settings import OverflowPolicy

    settings = GenerationSettings(max_tokens=32, seed=1, overflow=OverflowPolicy.SUMMARISE)
    ask = "How long is the kettle warranty?"
    engine = Engine()
    engine.load(tiny_model, LoadSettings(n_ctx=2048))
    try:
        budget = engine.prompt_budget(settings)
        # what the question costs with its passages (their paths, in tmp_path, count too)
        found = docs.retrieve(["home"], ask, k=2)
        assert found.prompt is not None
        passages = engine.count_tokens([{"role": "user", "content": found.prompt}])
        with Store.open_dir(tmp_path / "chats") as store:
            chats = ChatService(store, lambda: settings, docs=docs)
            conv, _ = chats.send(None, "first question " + "words " * 20, model="tiny")
            store.add_message(conv.id, "assistant", "first answer " + "reply " * 20)
            turns = 1  # until the thread fits alone but not with the passages
            while engine.count_tokens(history(store, conv.id)) < budget - passages + 100:
                store.add_message(conv.id, "user", f"question {turns} " + "words " * 20)
                store.add_message(conv.id, "assistant", f"answer {turns} " + "reply " * 20)
                turns += 1
            store.set_collections(conv.id, ["home"])
            question = store.add_message(conv.id, "user", ask)
            assert engine.count_tokens(history(store, conv.id)) < budget  # fits without them
            list(chats.reply(engine, conv.id, question.id, docs_k=2))
            reply = store.thread(conv.id)[-1]
    finally:
        engine.unload()
    assert reply.sources is not None and reply.summary is not None
    assert reply.metrics is not None and reply.metrics.dropped_turns == 0
