"""The application's settings and the versioned ``settings.json`` file that keeps them.

Load and generation settings keep their own defaults and bounds (``chatapp.core.config.settings``);
this module adds what the app remembers between runs, declared the same way (one pydantic ``Field``
each), and the file format around it. A file that cannot be read is never deleted: it is renamed
aside and the user is told where it went.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

import jinja2
import jinja2.sandbox
from annotated_types import Ge
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    InstanceOf,
    Strict,
    StringConstraints,
    ValidationError,
)

from chatapp.core.config.settings import GenerationSettings, LoadSettings, SettingsError
from chatapp.core.inference.kvstate import DEFAULT_CAP_MB
from chatapp.core.storage.atomic import SaveError, write_text_atomic

log = logging.getLogger(__name__)

SETTINGS_FILENAME = "settings.json"
SETTINGS_VERSION = 1
MAX_RECENT_MODELS = 10
FONT_SIZE_MIN = 7
FONT_SIZE_MAX = 32

# Upgrades from an older file version: MIGRATIONS[n] turns a version-n dict into version n + 1.
# Version 1 is the first, so there are none yet; each future step stays small and named.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class Theme(StrEnum):
    """The colour scheme; ``SYSTEM`` follows the desktop."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"
    HIGH_CONTRAST = "high-contrast"  # white on black, yellow focus and selection


class Language(StrEnum):
    """The window's language; ``SYSTEM`` follows the system's locale (English where the app
    has no translation for it). Applies at the next start."""

    SYSTEM = "system"
    ENGLISH = "en"
    CHINESE_SIMPLIFIED = "zh_CN"


_Text = Annotated[str, Strict()]
_Path = Annotated[str, StringConstraints(strict=True, min_length=1)]
_Size = Annotated[int, Strict(), Ge(0)]


def _recent(paths: tuple[str, ...]) -> tuple[str, ...]:
    return paths[:MAX_RECENT_MODELS]


def _refusal(text: str) -> dict[str, Any]:
    """Field metadata: what the setting must be, in words ("must be text or null")."""
    return {"refusal": text}


class AppSettings(BaseModel):
    """Everything chatapp remembers between runs. Constructing one validates it.

    ``recent_models`` holds model paths, newest first, at most ten. ``chat_template`` is the
    user's override; ``None`` uses the model's own. ``window_geometry`` is the base64 text the
    UI produced; core never interprets it.

    Raises:
        SettingsError: a value has the wrong type or is out of bounds; the message names it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # the sections are built (and checked, with their own messages) by their own classes
    load: InstanceOf[LoadSettings] = Field(
        default_factory=LoadSettings,
        json_schema_extra=_refusal("must be LoadSettings"),
    )
    generation: InstanceOf[GenerationSettings] = Field(
        default_factory=GenerationSettings,
        json_schema_extra=_refusal("must be GenerationSettings"),
    )
    system_prompt: _Text = Field(
        default="",
        description="Given to the model at the start of every new conversation.",
        json_schema_extra=_refusal("must be text"),
    )
    theme: Theme = Field(
        default=Theme.SYSTEM,
        description="The colour scheme; System follows the desktop.",
        json_schema_extra=_refusal(f"must be one of {', '.join(t.value for t in Theme)}"),
    )
    language: Language = Field(
        default=Language.SYSTEM,
        description=(
            "The window's language; System follows this computer's. Applies at the next start."
        ),
        json_schema_extra=_refusal(f"must be one of {', '.join(x.value for x in Language)}"),
    )
    font_size: int = Field(
        default=11,
        ge=FONT_SIZE_MIN,
        le=FONT_SIZE_MAX,
        strict=True,
        description="The size of the conversation's text, in points.",
        json_schema_extra=_refusal(
            f"must be a whole number between {FONT_SIZE_MIN} and {FONT_SIZE_MAX}"
        ),
    )
    recent_models: Annotated[tuple[_Path, ...], AfterValidator(_recent)] = Field(
        default=(), json_schema_extra=_refusal("must be a list of file paths")
    )
    last_model: _Text | None = Field(
        default=None, json_schema_extra=_refusal("must be text or null")
    )
    # the documents' embedding model, a path; "" is none chosen. The fit estimate counts it
    embedding_model: _Text = Field(
        default="",
        description="The embedding model that searches your documents (a GGUF file).",
        json_schema_extra=_refusal("must be text (a file path, or empty for none)"),
    )
    last_conversation: _Text | None = Field(
        default=None, json_schema_extra=_refusal("must be text or null")
    )
    window_geometry: _Text | None = Field(
        default=None, json_schema_extra=_refusal("must be text or null")
    )
    splitter_sizes: tuple[_Size, ...] = Field(
        default=(), json_schema_extra=_refusal("must be a list of sizes >= 0")
    )
    chat_template: _Text | None = Field(
        default=None,
        description="A Jinja chat template used instead of the model's own; checked when saved.",
        json_schema_extra=_refusal("must be text or null"),
    )
    # no Hub request at all (HF_HUB_OFFLINE=1 does the same)
    offline: bool = Field(
        default=False, strict=True, json_schema_extra=_refusal("must be true or false")
    )
    reopen_cache_mb: int = Field(
        default=DEFAULT_CAP_MB,
        ge=0,
        le=1_000_000,
        strict=True,
        description=(
            "Disk space for conversations' saved model state, so reopening one (even after a "
            "restart) evaluates only the new tokens; the least recently used go first. 0 turns "
            "it off."
        ),
        json_schema_extra=_refusal("must be a whole number of megabytes between 0 and 1000000"),
    )
    # the local API server saves each chat request and its reply as a conversation
    api_save_conversations: bool = Field(
        default=False, strict=True, json_schema_extra=_refusal("must be true or false")
    )
    docs_k: int = Field(
        default=5,
        ge=1,
        le=50,
        strict=True,
        description="How many passages of the conversation's documents go with each question.",
        json_schema_extra=_refusal("must be a whole number between 1 and 50"),
    )
    docs_min_similarity: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description=(
            "A passage found only by meaning (not by its words) is left out when its "
            "similarity to the question is below this (0 keeps every one)."
        ),
        json_schema_extra=_refusal("must be a number between 0 and 1"),
    )
    # "your GPU is unused by this build" is said once
    gpu_hint_shown: bool = Field(
        default=False, strict=True, json_schema_extra=_refusal("must be true or false")
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            errors = exc.errors()
            unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
            if unknown:  # what dataclasses said for an unknown keyword
                raise TypeError(f"AppSettings has no setting {unknown[0]!r}") from None
            name = str(errors[0]["loc"][0])
            extra = type(self).model_fields[name].json_schema_extra
            refusal = extra.get("refusal") if isinstance(extra, dict) else None
            raise SettingsError(
                f"{name} {refusal or 'is not valid'}, got {data[name]!r}", setting=name
            ) from None

    @property
    def reopen_cache_bytes(self) -> int:
        return self.reopen_cache_mb * 1024 * 1024

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: nested ``load`` and ``generation`` objects, lists for tuples."""
        d: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        d["load"] = self.load.to_dict()
        d["generation"] = self.generation.to_dict()
        d["theme"] = self.theme.value
        d["language"] = self.language.value
        d["recent_models"] = list(self.recent_models)
        d["splitter_sizes"] = list(self.splitter_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Build from (possibly partial) JSON data; missing keys take defaults, unknown are ignored.

        Raises:
            SettingsError: a value has the wrong type or is out of bounds; the message names it.
        """
        if not isinstance(d, dict):
            raise SettingsError(f"settings must be a JSON object, got {type(d).__name__}")
        kwargs: dict[str, Any] = {k: v for k, v in d.items() if k in cls.model_fields}
        if "load" in kwargs:
            kwargs["load"] = _section(LoadSettings, "load", kwargs["load"])
        if "generation" in kwargs:
            kwargs["generation"] = _section(GenerationSettings, "generation", kwargs["generation"])
        return cls(**kwargs)

    def with_recent_model(self, path: str) -> AppSettings:
        """A copy with ``path`` first in ``recent_models`` (once, at most ten) and as last_model."""
        recent = (path, *(p for p in self.recent_models if p != path))
        return self.updated(recent_models=recent[:MAX_RECENT_MODELS], last_model=path)

    def updated(self, **changes: Any) -> AppSettings:
        """A copy with the given fields changed; ``None`` is a real value here (e.g. no model).

        Raises:
            SettingsError: a changed value is invalid.
            TypeError: a name is not a field.
        """
        return type(self)(**{**{n: getattr(self, n) for n in type(self).model_fields}, **changes})


def check_chat_template(text: str) -> None:
    """Check that a chat-template override is valid Jinja, before it reaches a model load.

    Only the syntax is checked; whether it renders a conversation is known at load time.

    Raises:
        SettingsError: the template does not parse; the message gives the line and problem.
    """
    try:
        jinja2.sandbox.ImmutableSandboxedEnvironment().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise SettingsError(f"the chat template is not valid (line {exc.lineno}: {exc})") from exc


class SettingsSaveError(OSError):
    """The settings could not be saved; the text is one sentence: "cannot save settings: …"."""


class SettingsFile:
    """``settings.json``: versioned JSON, saved atomically, set aside (never lost) when broken.

    Args:
        path: the file, usually ``config_dir() / SETTINGS_FILENAME``.
        now: the clock that names backups; tests pass a fixed one.
    """

    def __init__(self, path: Path, *, now: Callable[[], datetime] = datetime.now) -> None:
        self.path = Path(path)
        self._now = now
        # Set by load() when the file is there but cannot be read: it is never saved over, so
        # what the user had is not replaced by defaults. save() then raises this.
        self.unsavable: str | None = None
        self._last_failure: str | None = None  # logged once, not at every save

    def load(self) -> tuple[AppSettings, str | None]:
        """Read the settings.

        Returns:
            The settings, and ``None`` or one sentence for the user when the file could not be
            used (defaults are then returned and the broken file has been renamed aside).
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return AppSettings(), None
        except OSError as exc:  # unreadable, not broken: leave it where it is
            log.info("cannot read %s: %s", self.path, exc)  # the caller says it, once
            if self.path.is_dir():
                self.unsavable = f"cannot save settings: {self.path} is a folder"
                problem = (
                    f"Your settings file {self.path} is a folder, so settings cannot be read or "
                    "saved; defaults are in use."
                )
            else:
                reason = (exc.strerror or str(exc)).lower()
                self.unsavable = (
                    f"cannot save settings: {self.path} could not be read ({reason}), "
                    "so it is not saved over"
                )
                problem = (
                    f"Your settings file {self.path} could not be read ({reason}); defaults are "
                    "in use and changes will not be saved over it."
                )
            self._last_failure = self.unsavable
            return AppSettings(), problem
        try:
            return _parse(raw), None
        except SettingsError as exc:
            problem = str(exc)
        log.warning("settings file %s is broken: %s", self.path, problem)
        try:
            backup = self._set_aside()
        except OSError as exc:
            log.warning("cannot set %s aside: %s", self.path, exc)
            return AppSettings(), (
                f"Your settings file could not be read ({problem}); it could not be moved aside "
                f"either ({exc.strerror or exc}), so defaults are in use."
            )
        log.info("broken settings file saved as %s", backup)
        return AppSettings(), (
            f"Your settings file could not be read ({problem}); it was saved as {backup} "
            "and defaults are in use."
        )

    def save(self, settings: AppSettings) -> None:
        """Write the settings atomically, creating the folder if needed.

        A failure is logged once (one line, until a save works again), not at every save.

        Raises:
            SettingsSaveError: the folder or file cannot be written, or the file could not be
                read at load; the message says which and why.
        """
        try:
            if self.unsavable is not None:
                raise SettingsSaveError(self.unsavable)
            data = {"version": SETTINGS_VERSION, **settings.to_dict()}
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                folder = exc.filename or self.path.parent
                reason = (exc.strerror or str(exc)).lower()
                raise SettingsSaveError(
                    f"cannot save settings: the folder {folder} cannot be created ({reason})"
                ) from exc
            try:
                write_text_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            except SaveError as exc:
                raise SettingsSaveError(f"cannot save settings: {exc.reason}") from exc
        except SettingsSaveError as exc:
            if str(exc) != self._last_failure:
                log.warning("%s", exc)
                self._last_failure = str(exc)
            raise
        self._last_failure = None

    def _set_aside(self) -> Path:
        stamp = self._now().strftime("%Y%m%d-%H%M%S")
        base = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        backup, n = base, 1
        while backup.exists():
            n += 1
            backup = base.with_name(f"{base.name}-{n}")
        self.path.rename(backup)
        return backup.absolute()


def _parse(raw: bytes) -> AppSettings:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(f"line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"it holds a JSON {type(data).__name__}, not an object")
    version = data.get("version", SETTINGS_VERSION)
    if not _is_int(version) or version < 1:
        raise SettingsError(f"version must be a whole number from 1, got {version!r}")
    if version > SETTINGS_VERSION:
        raise SettingsError(
            f"it was written by a newer chatapp: settings version {version}, "
            f"this one reads up to {SETTINGS_VERSION}"
        )
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return AppSettings.from_dict(data)


_Section = TypeVar("_Section", LoadSettings, GenerationSettings)


def _section(cls: type[_Section], name: str, value: Any) -> _Section:
    """Build a nested section; its own fields say what each value may be, and the message."""
    if not isinstance(value, dict):
        raise SettingsError(f"{name} must be an object, got {value!r}")
    try:
        return cls.from_dict(value)
    except SettingsError as exc:
        if exc.wrong_type and exc.setting is not None:
            raise SettingsError(
                f"{name}.{exc.setting} has the wrong type: {value[exc.setting]!r}",
                setting=f"{name}.{exc.setting}",
                wrong_type=True,
            ) from exc
        setting = None if exc.setting is None else f"{name}.{exc.setting}"
        raise SettingsError(f"{name}: {exc}", setting=setting) from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
