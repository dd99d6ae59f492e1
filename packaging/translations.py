"""Update the translation sources (``make translations``): run pyside6-lupdate over the UI and
repair what its Python parser loses. Not needed to build: ``make`` only runs pyside6-lrelease on
the .ts files, which are complete in git (translators edit them, e.g. with pyside6-linguist).

lupdate's Python parser does not see that ``translate(ctx, "%n file(s)", None, n)`` has a plural
form: it writes the message without ``numerus="yes"``, marks a translated one unfinished again and
flattens its plural forms. This puts back, for every message whose source has ``%n`` (or
``%Ln``), the plural flag and the translation it had, finished if it was. chatapp_en.ts holds
only those messages, with English forms made from the source's "(s)": "%n file(s)" -> "%n file",
"%n files".

Usage: python packaging/translations.py [update|check|build]   (build: the .qm files, as make does)
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
TS_DIR = ROOT / "resources" / "translations"
QM_DIR = ROOT / "chatapp" / "data" / "translations"  # what the app loads; built, not in git
# every module with strings a user sees; core's (errors) stay English: core has no Qt
SOURCES = [ROOT / "chatapp" / "ui"]
TRANSLATED = ["zh_CN"]  # languages with a full translation; English is the source
# English plurals that "(s)" cannot spell
EN_IRREGULAR: dict[str, tuple[str, str]] = {
    "%n repositories": ("%n repository", "%n repositories"),
    "Summary of the earlier %n message(s), read in their place": (
        "Summary of the earlier message, read in its place",
        "Summary of the earlier %n messages, read in their place",
    ),
    "The conversation no longer fits the context: the model is summarising the earlier %n "
    "message(s) first (its conversation settings say so)…": (
        "The conversation no longer fits the context: the model is summarising the earlier "
        "message first (its conversation settings say so)…",
        "The conversation no longer fits the context: the model is summarising the earlier %n "
        "messages first (its conversation settings say so)…",
    ),
}


@dataclass
class Message:
    source: str
    comment: str | None
    numerus: bool
    forms: list[str]  # one translation, or the plural forms
    finished: bool


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def read_ts(path: Path) -> tuple[str, dict[str, list[Message]]]:
    """The language and, by context (in file order), the messages of a .ts file."""
    if not path.is_file():
        return "", {}
    root = ET.parse(path).getroot()
    contexts: dict[str, list[Message]] = {}
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        messages = contexts.setdefault(name, [])
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            assert tr is not None
            forms = [f.text or "" for f in tr.iter("numerusform")] or [tr.text or ""]
            finished = tr.get("type") not in ("unfinished", "obsolete", "vanished")
            if tr.get("type") in ("obsolete", "vanished"):
                continue
            messages.append(
                Message(
                    source=msg.findtext("source") or "",
                    comment=msg.findtext("comment"),
                    numerus=msg.get("numerus") == "yes",
                    forms=forms,
                    finished=finished and any(forms),
                )
            )
    return root.get("language", ""), contexts


def write_ts(path: Path, language: str, contexts: dict[str, list[Message]]) -> None:
    """The file as lupdate writes it (so the next lupdate run changes only what changed)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{language}" sourcelanguage="en">',
    ]
    for name, messages in contexts.items():
        if not messages:
            continue
        out += ["<context>", f"    <name>{escape(name)}</name>"]
        for m in messages:
            out.append('    <message numerus="yes">' if m.numerus else "    <message>")
            out.append(f"        <source>{escape(m.source)}</source>")
            if m.comment is not None:
                out.append(f"        <comment>{escape(m.comment)}</comment>")
            kind = "" if m.finished else ' type="unfinished"'
            if m.numerus:
                out.append(f"        <translation{kind}>")
                out += [f"            <numerusform>{escape(f)}</numerusform>" for f in m.forms]
                out.append("        </translation>")
            else:
                out.append(f"        <translation{kind}>{escape(m.forms[0])}</translation>")
            out.append("    </message>")
        out.append("</context>")
    out.append("</TS>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def english_forms(source: str) -> list[str]:
    if source in EN_IRREGULAR:
        return list(EN_IRREGULAR[source])
    return [source.replace("(s)", ""), source.replace("(s)", "s")]


def update() -> None:
    TS_DIR.mkdir(parents=True, exist_ok=True)
    for lang in TRANSLATED:
        path = TS_DIR / f"chatapp_{lang}.ts"
        _, before = read_ts(path)
        known = {(c, m.source, m.comment): m for c, ms in before.items() for m in ms}
        if not path.is_file():
            write_ts(path, lang, {})
        # no line numbers: a moved string is no change, and branches merge
        # lupdate finds no .py file in a folder: each is named
        sources = sorted(str(p) for folder in SOURCES for p in folder.rglob("*.py"))
        options = ["-locations", "none", "-no-obsolete"]
        command = [_bin("pyside6-lupdate"), *sources, *options, "-ts", str(path)]
        subprocess.run(command, check=True)
        _, after = read_ts(path)
        for context, messages in after.items():
            for m in messages:
                old = known.get((context, m.source, m.comment))
                m.numerus = "%n" in m.source or "%Ln" in m.source
                if old is not None:
                    m.forms, m.finished = old.forms, old.finished
        write_ts(path, lang, after)
        if lang == TRANSLATED[0]:
            plurals = {
                c: [
                    Message(m.source, m.comment, True, english_forms(m.source), True)
                    for m in ms
                    if m.numerus
                ]
                for c, ms in after.items()
            }
            write_ts(TS_DIR / "chatapp_en.ts", "en", plurals)
    check()


def build() -> list[Path]:
    """The .qm file of every .ts file, with pyside6-lrelease (the bundle build runs this)."""
    QM_DIR.mkdir(parents=True, exist_ok=True)
    built = []
    for ts in sorted(TS_DIR.glob("*.ts")):
        qm = QM_DIR / f"{ts.stem}.qm"
        subprocess.run([_bin("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        built.append(qm)
    return built


def check() -> int:
    """Print the messages that are not translated yet; the count is the exit status."""
    missing = 0
    for lang in TRANSLATED:
        _, contexts = read_ts(TS_DIR / f"chatapp_{lang}.ts")
        for context, messages in contexts.items():
            for m in messages:
                if not m.finished:
                    missing += 1
                    print(f"{lang} {context}: {m.source!r}")
    print(f"{missing} message(s) to translate", file=sys.stderr)
    return missing


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "build":
        build()
    elif command == "check":
        sys.exit(min(check(), 1))
    else:
        sys.exit(__doc__)
