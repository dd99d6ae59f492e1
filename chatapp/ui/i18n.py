"""The window's language: Qt translators for chatapp's strings and Qt's own, and the locale
that formats numbers and dates.

Every visible string goes through ``translate(context, text)`` (or ``self.tr`` in a QObject), so
``pyside6-lupdate`` finds it (``make translations`` updates resources/translations/*.ts) and
``pyside6-lrelease`` builds the .qm files the app loads (``make run``, ``make test`` and the
bundle build them into chatapp/data/translations). English is the source language; the English
.qm only carries the plural forms ("1 file", "2 files"). Errors that come from chatapp.core stay
English: core has no Qt.

A count goes through Qt's plural forms: ``translate(ctx, "%n file(s)", None, n)``; the fourth
argument must be positional and a plain name (``n``, not ``len(x)`` or ``x.count``), or lupdate
does not see the string.
"""

from __future__ import annotations

import logging
import os
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QLibraryInfo,
    QLocale,
    QTranslator,
)

from chatapp.core.config.appsettings import Language
from chatapp.core.models.downloads import Progress

log = logging.getLogger(__name__)

# Overrides the setting (and the system) for one run: CHATAPP_LANG=zh_CN, or --lang zh_CN.
LANG_ENV = "CHATAPP_LANG"
# The languages the window speaks, each named in its own language (the Preferences choice).
NATIVE_NAMES = {Language.ENGLISH: "English", Language.CHINESE_SIMPLIFIED: "简体中文"}

_installed: list[QTranslator] = []  # kept alive as long as they are installed


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``QCoreApplication.translate`` by a name lupdate recognises; for code that is no QObject."""
    return QCoreApplication.translate(context, text, disambiguation, n)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a string for lupdate where it is defined; ``translate`` it where it is shown."""
    return text


def translations_dir() -> Path:
    return Path(str(files("chatapp") / "data" / "translations"))


def resolve_language(choice: Language, system: QLocale | None = None) -> Language:
    """The language to show: the choice, or for ``SYSTEM`` the system locale's (English for a
    language chatapp has no translation for). Chinese in traditional script stays English: a
    Simplified translation is not what a Traditional reader asked for."""
    override = os.environ.get(LANG_ENV, "").strip()
    if override:
        try:
            choice = Language(override.replace("-", "_"))
        except ValueError:
            log.warning("%s=%s is not a language chatapp has; ignored", LANG_ENV, override)
    if choice != Language.SYSTEM:
        return choice
    locale = system if system is not None else QLocale.system()
    if locale.language() == QLocale.Language.Chinese and locale.script() in (
        QLocale.Script.SimplifiedHanScript,
        QLocale.Script.AnyScript,
    ):
        return Language.CHINESE_SIMPLIFIED
    return Language.ENGLISH


def install_language(choice: Language, folder: Path | None = None) -> Language:
    """Install the translators for ``choice`` (see ``resolve_language``) and make its locale the
    default one, so ``QLocale()`` formats numbers and dates for it. Replaces any installed before.
    A missing .qm file (a checkout where ``make`` has not built them) leaves English, logged."""
    app = QCoreApplication.instance()
    assert app is not None
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = resolve_language(choice)
    system = QLocale.system()
    if language == Language.ENGLISH:
        # English words, the system's formats where the system is English too
        locale = system if system.language() == QLocale.Language.English else QLocale("en_US")
    else:
        locale = QLocale(language.value)
    QLocale.setDefault(locale)
    folder = folder or translations_dir()
    ours = QTranslator(app)
    if ours.load(f"chatapp_{language.value}", str(folder)):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("no translation chatapp_%s.qm in %s: run `make translations`", language, folder)
    if language != Language.ENGLISH:  # Qt's own: standard buttons, file dialogs, menus
        qt = QTranslator(app)
        for where in _qt_translations():
            if qt.load(locale, "qtbase", "_", where):
                app.installTranslator(qt)
                _installed.append(qt)
                break
        else:
            log.warning("no Qt translation qtbase_%s.qm found", language)
    return language


def _qt_translations() -> list[str]:
    """Where Qt's .qm files are: Qt's own answer, then PySide6's folder (a bundle's layout)."""
    import PySide6

    return [
        QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
        str(Path(PySide6.__file__).parent / "Qt" / "translations"),
    ]


def format_number(value: float, decimals: int = 0) -> str:
    """A number with the locale's digit grouping and decimal point (12,345.6 / 12 345,6)."""
    return QLocale().toString(float(value), "f", decimals)


def format_datetime(epoch_seconds: float, long: bool = False) -> str:
    """A local date and time in the locale's short (or long) form."""
    when = QDateTime.fromMSecsSinceEpoch(int(epoch_seconds * 1000))
    fmt = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    return QLocale().toString(when, fmt)


def file_size_label(n: int) -> str:
    """A size as file managers write it (1 KB = 1000 bytes), with the locale's decimal point:
    ``chatapp.core.models.modelinfo.file_size_label`` for the window."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{format_number(size, 0 if unit == 'B' else 1)} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def describe_progress(p: Progress) -> str:
    """A download's progress bar text: percent, sizes, speed and time left (``Progress.describe``
    in the window's language and number format)."""
    pct = 100.0 * p.done / p.total if p.total else 0.0
    line = translate("Progress", "{percent}%  {done} of {total}  {speed}/s").format(
        percent=format_number(pct, 1),
        done=file_size_label(p.done),
        total=file_size_label(p.total),
        speed=file_size_label(int(p.speed)),
    )
    if p.eta is not None:
        m, s = divmod(int(p.eta), 60)
        line += translate("Progress", "  {time} left").format(time=f"{m}:{s:02d}")
    return line
