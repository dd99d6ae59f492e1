"""The text of a document, in sections that remember where they were (a PDF's page, the headings
above a passage in Markdown, reStructuredText or Word).

Plain text, Markdown, reStructuredText and source code are read as UTF-8; HTML has its tags
stripped by the standard library's parser (never rendered: no scripts, no network); PDF goes
through pypdfium2 and Word (.docx) through python-docx. A file that gives no text raises
:class:`Skipped` with the reason in words, for the user to read in ``chatapp docs list``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

MAX_BYTES: Final = 200 * 1024 * 1024
SNIFF_BYTES: Final = 8192

MARKDOWN: Final = frozenset({".md", ".markdown", ".mdown"})
RST: Final = frozenset({".rst"})
HTML: Final = frozenset({".html", ".htm", ".xhtml"})
PDF: Final = frozenset({".pdf"})
DOCX: Final = frozenset({".docx"})
# Known binary formats are refused by name, without reading them.
BINARY: Final = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".zip", ".gz", ".xz",
        ".bz2", ".7z", ".tar", ".exe", ".dll", ".so", ".dylib", ".o", ".a", ".pyc", ".class",
        ".jar", ".mp3", ".mp4", ".wav", ".ogg", ".mkv", ".avi", ".mov", ".gguf", ".bin",
        ".sqlite", ".sqlite3", ".db", ".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",
    }
)  # fmt: skip


class Skipped(Exception):
    """The file has no text to index; ``reason`` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Section:
    """A run of text; ``page`` counts from 1; ``heading`` is the path "Guide > Install"."""

    text: str
    page: int | None = None
    heading: str | None = None


HEADING_SEP: Final = " > "


def extract(path: Path) -> list[Section]:
    """The file's text in sections (none empty). Raises Skipped, or OSError if unreadable."""
    size = path.stat().st_size
    if size == 0:
        raise Skipped("empty file")
    if size > MAX_BYTES:
        raise Skipped(f"too large ({size / 1024**2:.0f} MB, at most {MAX_BYTES // 1024**2} MB)")
    suffix = path.suffix.lower()
    if suffix in BINARY:
        raise Skipped(f"a binary file ({suffix} is not a text format)")
    if suffix in PDF:
        sections = _pdf(path)
    elif suffix in DOCX:
        sections = _docx(path)
    else:
        text = _read_text(path)
        if suffix in HTML:
            sections = [Section(_html_text(text))]
        elif suffix in MARKDOWN:
            sections = _markdown(text)
        elif suffix in RST:
            sections = _rst(text)
        else:  # plain text and source code
            sections = [Section(text)]
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise Skipped("no text in it")
    return sections


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:SNIFF_BYTES]:
        raise Skipped("a binary file (not text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Skipped(f"not UTF-8 text (byte {exc.start + 1} is not UTF-8)") from exc


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _markdown(text: str) -> list[Section]:
    sections: list[Section] = []
    path: list[tuple[int, str]] = []  # (level, title) of the headings above
    lines: list[str] = []
    fenced = False

    def flush() -> None:
        if lines:
            heading = HEADING_SEP.join(title for _, title in path) or None
            sections.append(Section("\n".join(lines), heading=heading))
            lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _MD_HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            path[:] = [(lv, title) for lv, title in path if lv < level]
            path.append((level, match.group(2)))
        lines.append(line)
    flush()
    return sections


_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")


def _rst(text: str) -> list[Section]:
    """Sections by title underlines; levels are the underline characters in order of first use."""
    sections: list[Section] = []
    levels: list[str] = []
    path: list[str] = []
    lines: list[str] = []
    source = text.splitlines()
    i = 0
    while i < len(source):
        line = source[i]
        nxt = source[i + 1] if i + 1 < len(source) else ""
        if line.strip() and _RST_UNDERLINE.match(nxt) and len(nxt.strip()) >= len(line.strip()):
            if lines:
                sections.append(Section("\n".join(lines), heading=HEADING_SEP.join(path) or None))
                lines = []
            char = nxt.strip()[0]
            if char not in levels:
                levels.append(char)
            level = levels.index(char)
            del path[level:]
            path.append(line.strip())
            lines.append(line.strip())
            i += 2
            continue
        lines.append(line)
        i += 1
    if lines:
        sections.append(Section("\n".join(lines), heading=HEADING_SEP.join(path) or None))
    return sections


class _TextOnly(HTMLParser):
    SKIP: Final = frozenset({"script", "style", "head", "template", "noscript"})
    BLOCK: Final = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def _pdf(path: Path) -> list[Section]:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        why = str(exc).lower()
        if "password" in why:
            raise Skipped("an encrypted PDF (it needs a password)") from exc
        raise Skipped(f"not a readable PDF ({exc})") from exc
    try:
        sections = []
        for number in range(len(pdf)):
            page = pdf[number]
            textpage = page.get_textpage()
            text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            textpage.close()
            page.close()
            sections.append(Section(text, page=number + 1))
    finally:
        pdf.close()
    if not any(s.text.strip() for s in sections):
        raise Skipped("a PDF without text (scanned pages?)")
    return sections


def _docx(path: Path) -> list[Section]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise Skipped("not a readable Word document (.docx)") from exc
    except Exception as exc:  # zipfile.BadZipFile, lxml's XMLSyntaxError: a damaged file
        raise Skipped(f"a damaged Word document ({type(exc).__name__})") from exc
    sections: list[Section] = []
    path_: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            sections.append(Section("\n".join(lines), heading=HEADING_SEP.join(path_) or None))
            lines.clear()

    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        text = paragraph.text
        level = _heading_level(style or "")
        if level is not None and text.strip():
            flush()
            del path_[level - 1 :]
            path_.append(text.strip())
        if text.strip():
            lines.append(text)
    flush()
    for table in document.tables:
        rows = [" | ".join(cell.text for cell in row.cells) for row in table.rows]
        sections.append(Section("\n".join(rows)))
    return sections


def _heading_level(style: str) -> int | None:
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) if match else None


__all__ = ["HEADING_SEP", "MAX_BYTES", "Section", "Skipped", "extract"]
