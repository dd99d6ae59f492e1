"""Chat with your documents, first slice: extraction, chunking, the incremental index, hybrid
search and ``chatapp docs``, on a corpus generated in tmp_path and the tiny generated models.

The tiny models' vectors carry no meaning, so search is asserted on keyword questions only
(BM25 finds them; fusion must not lose them); vector quality is not asserted here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatapp.core.docs.chunk import chunk_sections
from chatapp.core.docs.extract import Section, Skipped, extract
from chatapp.core.docs.index import DocIndex, Progress
from chatapp.core.docs.search import fts_query, search
from chatapp.core.inference.embeddings import Embedded, Embedder
from chatapp.selftest import write_pdf
from tests.helpers import run_cli

INSTALL = (
    "# Frobnicator guide\n\nThe frobnicator turns widgets into gadgets.\n\n"
    "## Installation\n\nRun pip install frobnicator, then restart the daemon.\n\n"
    "## Troubleshooting\n\nIf the daemon hangs, delete the lock file in /var/run.\n"
)
NOTES = "Meeting notes.\n\nThe budget for the zeppelin project is twelve thousand euros.\n"
RST = "Recipes\n=======\n\nBread\n-----\n\nKnead the sourdough for ten minutes.\n"
HTML = (
    "<html><head><title>t</title><style>p {color: red}</style>"
    "<script>alert('no')</script></head><body><h1>Tides</h1>"
    "<p>The harbour floods at spring tide &amp; full moon.</p></body></html>"
)


def encrypted_pdf() -> bytes:
    """A one-page PDF behind the standard security handler (RC4, revision 2) whose empty user
    password does not open it, as a PDF that asks for a password; written by hand: PDFium
    writes no encryption."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
        + b"> /P -4 >>",
    ]  # fmt: skip
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        b"33" * 16,
        b"33" * 16,
    )
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def blank_pdf() -> bytes:
    import io

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(612, 792).close()
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return buffer.getvalue()


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Handbook", level=1)
    document.add_paragraph("Welcome to the team.")
    document.add_heading("Holidays", level=2)
    document.add_paragraph("Every employee gets thirty days of vacation each year.")
    document.save(str(path))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "install.md").write_text(INSTALL)
    (root / "notes.txt").write_text(NOTES)
    (root / "sub" / "recipes.rst").write_text(RST)
    (root / "sub" / "tides.html").write_text(HTML)
    write_pdf(root / "manual.pdf", ["Chapter one: unpacking.", "The warranty lasts five years."])
    write_docx(root / "handbook.docx")
    (root / "picture.dat").write_bytes(bytes(range(256)) * 8)
    (root / "empty.txt").write_bytes(b"")
    return root


@pytest.fixture(scope="module")
def embedder(tiny_model: Path) -> Iterator[Embedder]:
    e = Embedder(tiny_model)
    yield e
    e.close()


class Counting:
    """The real Embedder, recording every text it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: list[str]) -> Embedded:
        self.texts.extend(texts)
        return self.inner.embed(texts)


def names(paths: list[str]) -> set[str]:
    return {Path(p).name for p in paths}


# extraction


def test_extract_keeps_headings_pages_and_strips_html(corpus: Path) -> None:
    md = extract(corpus / "install.md")
    assert [s.heading for s in md] == [
        "Frobnicator guide",
        "Frobnicator guide > Installation",
        "Frobnicator guide > Troubleshooting",
    ]
    assert "pip install frobnicator" in md[1].text
    pdf = extract(corpus / "manual.pdf")
    assert [(s.page, s.text) for s in pdf] == [
        (1, "Chapter one: unpacking."),
        (2, "The warranty lasts five years."),
    ]
    doc = extract(corpus / "handbook.docx")
    assert doc[-1].heading == "Handbook > Holidays"
    assert "thirty days of vacation" in doc[-1].text
    rst = extract(corpus / "sub" / "recipes.rst")
    assert rst[-1].heading == "Recipes > Bread"
    (html,) = extract(corpus / "sub" / "tides.html")
    assert "floods at spring tide & full moon" in html.text
    assert "alert" not in html.text and "color" not in html.text and "<" not in html.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blob.dat", bytes(range(256)), "binary"),
        ("latin.txt", "café".encode("latin-1"), "not UTF-8"),
        ("broken.pdf", b"%PDF-1.4 not really", "not a readable PDF"),
        ("secret.pdf", encrypted_pdf(), "an encrypted PDF (it needs a password)"),
        ("scan.pdf", blank_pdf(), "a PDF without text"),
        ("broken.docx", b"PK\x03\x04 not a zip", "Word document"),
        ("photo.png", b"\x89PNG....", "binary"),
        ("blank.md", b"   \n\n", "no text"),
    ],
)
def test_unreadable_files_are_skipped_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Skipped) as caught:
        extract(path)
    assert reason in caught.value.reason


def test_huge_file_is_skipped_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(201 * 1024 * 1024)  # sparse: no disk used
    with pytest.raises(Skipped, match="too large"):
        extract(path)


# chunking


def test_chunks_fit_the_model_overlap_and_keep_their_place(embedder: Embedder) -> None:
    words = " ".join(f"word{i}" for i in range(400))
    sections = [Section(words, page=3, heading="A > B"), Section("short tail", page=4)]
    chunks = chunk_sections(sections, embedder.count_tokens, max_tokens=60, overlap=10)
    assert len(chunks) > 3
    for c in chunks:
        assert embedder.count_tokens(c.text) <= 60 + 2  # the per-word count is close
    assert {(c.page, c.heading) for c in chunks} == {(3, "A > B"), (4, None)}
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert first[-1] in second[:6]  # the next chunk starts a little before this one ends
    covered = {w for c in chunks[:-1] for w in c.text.split()}
    assert covered == set(words.split())  # nothing lost between chunks


# the index


def test_index_then_reindex_embeds_only_what_changed(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    counting = Counting(embedder)
    with DocIndex(tmp_path / "data" / "docs.sqlite3") as index:
        first = index.index("notes", [corpus], counting)  # type: ignore[arg-type]
        assert names(first.embedded) == {
            "install.md",
            "notes.txt",
            "recipes.rst",
            "tides.html",
            "manual.pdf",
            "handbook.docx",
        }
        assert dict((Path(p).name, r) for p, r in first.skipped) == {
            "picture.dat": "a binary file (not text)",
            "empty.txt": "empty file",
        }
        (listed,) = index.collections()
        assert (listed.name, listed.files, len(listed.skipped)) == ("notes", 6, 2)

        counting.texts.clear()
        again = index.index("notes", None, counting)  # type: ignore[arg-type]
        assert again.embedded == [] and counting.texts == [] and again.unchanged == 8

        os.utime(corpus / "notes.txt")  # touched only: the hash says unchanged
        (corpus / "install.md").write_text(INSTALL + "\n## Uninstall\n\nRun pip uninstall.\n")
        (corpus / "sub" / "recipes.rst").unlink()
        (corpus / "new.txt").write_text("A new file about lighthouses.")
        changed = index.index("notes", None, counting)  # type: ignore[arg-type]
        assert names(changed.embedded) == {"install.md", "new.txt"}
        assert names(changed.removed) == {"recipes.rst"}
        assert any("pip uninstall" in t for t in counting.texts)
        assert not any("zeppelin" in t for t in counting.texts)  # notes.txt not re-embedded
        hits = search(index, "notes", "sourdough", None)
        assert hits == []  # the deleted file's passages are gone from search too


def test_cancelled_index_resumes_without_re_embedding_finished_files(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    counting = Counting(embedder)
    cancel = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.files_done == 3:
            cancel.set()

    with DocIndex(tmp_path / "docs.sqlite3") as index:
        stopped = index.index("c", [corpus], counting, progress, cancel)  # type: ignore[arg-type]
        assert stopped.cancelled
        done_before = set(stopped.embedded)
        assert 0 < len(done_before) <= 3
        assert all(p.files_total == 8 and p.bytes_total > 0 for p in seen)
        assert seen[-1].bytes_done <= seen[-1].bytes_total

    counting.texts.clear()
    with DocIndex(tmp_path / "docs.sqlite3") as index:  # as after a restart
        resumed = index.index("c", None, counting)  # type: ignore[arg-type]
        assert not resumed.cancelled
        assert done_before.isdisjoint(resumed.embedded)
        assert len(done_before) + len(resumed.embedded) == 6
        (listed,) = index.collections()
        assert listed.files == 6


def test_another_embedding_model_re_embeds_everything(
    tmp_path: Path, corpus: Path, embedder: Embedder, eos_model: Path
) -> None:
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("c", [corpus / "sub"], embedder)
        index.index("c", [corpus], embedder)
        other = Embedder(eos_model)
        try:  # given one folder only: the others' files are re-embedded too, none lost
            switched = index.index("c", [corpus / "sub"], other)
        finally:
            other.close()
        assert switched.model_changed
        assert len(switched.embedded) == 6 and switched.unchanged == 0
        assert index.model_of("c") == str(eos_model.resolve())


def test_search_finds_the_passage_that_answers(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("c", [corpus], embedder)
        index.index("other", [corpus / "notes.txt"], embedder)
        top = search(index, "c", "How long does the warranty last?", embedder, k=3)[0]
        assert (Path(top.path).name, top.where) == ("manual.pdf", "p. 2")
        top = search(index, "c", "how do I install the frobnicator", embedder)[0]
        assert top.heading == "Frobnicator guide > Installation"
        top = search(index, "c", "vacation days", embedder)[0]
        assert (Path(top.path).name, top.where) == ("handbook.docx", "Handbook > Holidays")
        assert search(index, "c", 'budget "zeppelin* AND (', None)[0].path.endswith("notes.txt")
        assert all(h.path.endswith("notes.txt") for h in search(index, "other", "warranty", None))
        assert fts_query("  ?!  ") is None


def test_vectors_alone_find_a_passage_keywords_cannot(
    tmp_path: Path, corpus: Path, embedder: Embedder
) -> None:
    """A query with no words for BM25: only the vectors rank, and the very same text (cosine 1,
    even with the tiny model) comes first."""
    (corpus / "symbols.txt").write_text("--> *** <-- ### ===")
    with DocIndex(tmp_path / "docs.sqlite3") as index:
        index.index("c", [corpus], embedder)
        hits = search(index, "c", "--> *** <-- ### ===", embedder, k=3)
        assert len(hits) == 3
        assert Path(hits[0].path).name == "symbols.txt"
        assert hits[0].score > hits[1].score


# the command line


def test_cli_add_list_search_rm(tmp_path: Path, corpus: Path, tiny_model: Path) -> None:
    data = tmp_path / "data"
    added = run_cli(
        "docs", "add", corpus, "--collection", "work", "--embedding-model", tiny_model,
        "--data-dir", data,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "6 files embedded" in added.stderr
    assert "picture.dat: a binary file" in added.stderr and "empty.txt: empty file" in added.stderr
    assert (data / "docs.sqlite3").exists() and not (data / "chatapp.sqlite3").exists()

    listed = run_cli("docs", "list", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("work\t6 files\t")
    assert any("empty.txt\tempty file" in line for line in lines)

    found = run_cli("docs", "search", "warranty years", "--collection", "work", "--data-dir", data)
    assert found.returncode == 0, found.stderr
    path, where, score, passage = found.stdout.splitlines()[0].split("\t")
    assert (Path(path).name, where) == ("manual.pdf", "p. 2")
    assert passage == "The warranty lasts five years."
    assert float(score) > 0

    again = run_cli("docs", "reindex", "--data-dir", data)
    assert again.returncode == 0 and "0 files embedded" in again.stderr, again.stderr

    removed = run_cli("docs", "rm", "work", "--data-dir", data)
    assert removed.returncode == 0, removed.stderr
    gone = run_cli("docs", "search", "warranty", "--collection", "work", "--data-dir", data)
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        "chatapp: no collection named 'work' (chatapp docs list shows them)"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("docs", "add", "/no/such/folder", "--embedding-model", "x.gguf"),
        ("docs", "add", "."),  # a new collection without a model
        ("docs", "add", ".", "--embedding-model", "/no/model.gguf"),
        ("docs", "rm", "nope"),
        ("docs", "reindex", "nope"),
        ("docs", "search", "x", "--collection", "nope"),
        ("docs", "search", "x", "-k", "0"),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_cli(*args, "--data-dir", tmp_path / "data")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("chatapp: ") and "Traceback" not in done.stderr


def test_a_text_longer_than_one_batch_is_refused_in_words(embedder: Embedder) -> None:
    from chatapp.core.inference.embeddings import EmbeddingError

    text = "word " * 2000
    assert embedder.count_tokens(text) > embedder.max_tokens
    with pytest.raises(EmbeddingError, match="more than the"):
        embedder.embed([text])


def test_cli_ctrl_c_keeps_finished_files_and_reindex_goes_on(
    tmp_path: Path, tiny_model: Path
) -> None:
    import signal
    import subprocess
    import sys

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        words = " ".join(f"topic{i} word{j} note{j % 17}" for j in range(700))
        (folder / f"file{i:02}.md").write_text(f"# File {i}\n\n{words}\n")
    data = tmp_path / "data"
    with subprocess.Popen(
        [sys.executable, "-m", "chatapp", "docs", "add", str(folder), "--data-dir", str(data),
         "--embedding-model", str(tiny_model)],
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until a few files are done, then press Ctrl+C
            if "/30 files" in line and int(line.split(": ")[2].split("/")[0]) >= 3:
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, rest
    assert "interrupted; the files finished are kept" in rest
    assert "Traceback" not in rest

    listed = run_cli("docs", "list", "--data-dir", data)
    kept = int(listed.stdout.split("\t")[1].split()[0])
    assert 3 <= kept < 30, listed.stdout
    again = run_cli("docs", "reindex", "default", "--data-dir", data)
    assert again.returncode == 0, again.stderr
    assert f"{30 - kept} files embedded" in again.stderr
    assert f"{kept} unchanged" in again.stderr
    final = run_cli("docs", "list", "--data-dir", data)
    assert final.stdout.startswith("default\t30 files\t")


def test_cli_search_without_the_embedding_model_falls_back_to_keywords(
    tmp_path: Path, tiny_model: Path
) -> None:
    import shutil

    model = tmp_path / "embedder.gguf"
    shutil.copy(tiny_model, model)
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES)
    data = tmp_path / "data"
    empty = run_cli("docs", "list", "--data-dir", data)
    assert empty.returncode == 0 and empty.stdout == ""
    assert "no collections yet" in empty.stderr
    added = run_cli("docs", "add", notes, "--embedding-model", model, "--data-dir", data)
    assert added.returncode == 0, added.stderr
    model.unlink()
    found = run_cli("docs", "search", "zeppelin budget", "--data-dir", data)
    assert found.returncode == 0, found.stderr
    assert "keyword search only: its embedding model " in found.stderr
    assert found.stdout.startswith(f"{notes}\t-\t")
    nothing = run_cli("docs", "search", "lighthouse", "--data-dir", data)
    assert (nothing.returncode, nothing.stdout) == (0, "")  # as `chatapp search`: no hits, no lines
