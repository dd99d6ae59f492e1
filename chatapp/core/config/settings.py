"""Load and generation settings: one declarative place for each default, type and bound.

Each setting is one pydantic ``Field``: its default, its bounds (``ge``/``le``), the plain words
that name it in messages (``title``), what it does (``description``, the dialog's tooltip) and how
far one step of the dialog's spin box moves it (``json_schema_extra["step"]``). Validation, the
settings file and the dialog's ranges all read that one definition.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

DEFAULT_CTX_CAP = 8192
SEED_MAX = 2**32 - 1  # llama.cpp seeds are unsigned 32-bit; -1 means a fresh random one


class SettingsError(ValueError):
    """A setting has a value outside its bounds; the message names the setting.

    Attributes:
        setting: the field's name (``"top_p"``), when one field is to blame.
        wrong_type: the value is not even of the right kind (text for a number, ...).
    """

    def __init__(self, message: str, *, setting: str | None = None, wrong_type: bool = False):
        super().__init__(message)
        self.setting = setting
        self.wrong_type = wrong_type


class OverflowPolicy(StrEnum):
    """What to do when the conversation no longer fits in the context window."""

    DROP_OLDEST = "drop_oldest"  # drop the oldest turns; system prompt and last message stay
    REFUSE = "refuse"  # refuse with a clear message
    SUMMARISE = "summarise"  # the model summarises the oldest turns (core.chat.summarise)


def _step(step: float) -> dict[str, Any]:
    """Field metadata for the dialog: one arrow press of the setting's spin box."""
    return {"step": step}


def bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """The inclusive ``(lowest, highest)`` value of numeric setting ``name`` of ``model``.

    Raises:
        KeyError: ``name`` is not a field, or it has no ``ge``/``le`` bounds.
    """
    info = model.model_fields[name]
    lo = next((m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)), None)
    hi = next((m.le for m in info.metadata if isinstance(m, annotated_types.Le)), None)
    if lo is None or hi is None:
        raise KeyError(f"{model.__name__}.{name} has no bounds")
    return lo, hi  # type: ignore[return-value]


def number_type(info: FieldInfo) -> type[int] | type[float] | None:
    """``int`` or ``float`` for a numeric field (``int | None`` is ``int``), else ``None``."""
    annotation = info.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else None
    if annotation is int:
        return int
    if annotation is float:
        return float
    return None


_SHOWN_MAX = 60  # characters of a refused value quoted in a message


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def _shown(value: Any) -> str:
    """``repr(value)``, cut short: a refused value may be a whole pasted document."""
    if isinstance(value, int) and value.bit_length() > 3 * _SHOWN_MAX:  # repr may refuse it
        return f"a number of more than {_SHOWN_MAX} digits"
    return _clip(repr(value))


def _fmt(value: float) -> str:
    """A bound or a refused value as the user typed it: 10000001, 1.5, 1.0000001 (never 1e+07)."""
    if isinstance(value, int):
        return _shown(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)  # the shortest text that reads back as this float


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )


class _Settings(BaseModel):
    """Frozen, validated on construction; a refused value raises ``SettingsError`` in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self._error(exc.errors(), data) from None

    @classmethod
    def _error(cls, errors: list[ErrorDetails], data: dict[str, Any]) -> Exception:
        unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
        if unknown:  # what dataclasses said for an unknown keyword
            return TypeError(f"{cls.__name__} has no setting {unknown[0]!r}")
        name = str(errors[0]["loc"][0])
        return cls._refusal(name, data[name], errors[0])

    @classmethod
    def _refusal(cls, name: str, value: Any, error: ErrorDetails) -> SettingsError:
        """The sentence for ``value`` refused for field ``name``, built from its metadata."""
        info = cls.model_fields[name]
        label = info.title or name
        number = number_type(info)
        annotation = info.annotation
        if number is not None:
            if not _is_number(value):
                return SettingsError(
                    f"{label} must be a number, got {_shown(value)}", setting=name, wrong_type=True
                )
            if number is int and isinstance(value, float):
                return SettingsError(
                    f"{label} must be a whole number, got {_shown(value)}",
                    setting=name,
                    wrong_type=True,
                )
            lo, hi = bounds(cls, name)
            return SettingsError(
                f"{label} must be between {_fmt(lo)} and {_fmt(hi)}, got {_fmt(value)}",
                setting=name,
            )
        if annotation in (bool, bool | None):
            return SettingsError(
                f"{label} must be true or false, got {_shown(value)}", setting=name, wrong_type=True
            )
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            choices = ", ".join(str(m.value) for m in annotation)
            return SettingsError(
                f"{label} must be one of {choices}, got {_shown(value)}", setting=name
            )
        if name == "reasoning_effort":
            choices = ", ".join(REASONING_EFFORTS)
            return SettingsError(
                f"{label} must be one of {choices}, got {_shown(value)}", setting=name
            )
        if error["type"] == "string_too_short":
            return SettingsError(f"{label} must be non-empty text", setting=name)
        return SettingsError(
            f"{label} must be a list of text, got {_shown(value)}", setting=name, wrong_type=True
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, one key per field in definition order."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Build from a (possibly partial) dict; unknown keys are ignored, bad values raise.

        Raises:
            SettingsError: a value has the wrong type or is out of bounds; the message names it.
        """
        return cls(**{k: v for k, v in d.items() if k in cls.model_fields})

    @classmethod
    def usable_part(cls, d: Mapping[str, Any]) -> tuple[dict[str, Any], list[SettingsError]]:
        """Split saved values into those this class accepts and the refusals of the others.

        For values that were checked once but may not be any more: a conversation's overrides
        written by an older chatapp, by another tool or by hand. Each field is checked on its
        own, so one bad value does not cost the good ones. Unknown keys are left out silently,
        as ``from_dict`` does (a newer chatapp may know them).

        Returns:
            The accepted entries of ``d``, as given, and one ``SettingsError`` per refused field.
        """
        usable: dict[str, Any] = {}
        refused: list[SettingsError] = []
        for key, value in d.items():
            if key not in cls.model_fields:
                continue
            try:
                cls(**{key: value})
            except SettingsError as exc:
                refused.append(exc)
            else:
                usable[key] = value
        return usable, refused

    def updated(self, **changes: Any) -> Self:
        """A validated copy with the given fields changed (``None`` values are ignored).

        Raises:
            SettingsError: a changed value is invalid.
            TypeError: a name is not a field.
        """
        given = {k: v for k, v in changes.items() if v is not None}
        return type(self)(**{**self.to_dict(), **given})


ReasoningEffort = Literal["low", "medium", "high"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = ("low", "medium", "high")

# Non-empty text, and text only: a number in the file is refused, not turned into "7".
_StopString = Annotated[str, StringConstraints(strict=True, min_length=1)]


class GenerationSettings(_Settings):
    """Sampling settings for one reply. ``seed`` -1 means a fresh random seed per reply."""

    temperature: float = Field(
        default=0.8,
        ge=0.0,
        le=5.0,
        strict=True,
        title="temperature",
        description="Higher is more varied, 0 always picks the likeliest token.",
        json_schema_extra=_step(0.05),
    )
    top_p: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        strict=True,
        title="top_p",
        description="Sample only from the likeliest tokens that together reach this probability; "
        "1 is off.",
        json_schema_extra=_step(0.01),
    )
    top_k: int = Field(
        default=40,
        ge=0,
        le=100_000,
        strict=True,
        title="top_k",
        description="Sample only from this many of the likeliest tokens; 0 is off.",
        json_schema_extra=_step(1),
    )
    min_p: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        strict=True,
        title="min_p",
        description="Leave out tokens less likely than this share of the likeliest one; 0 is off.",
        json_schema_extra=_step(0.01),
    )
    repeat_penalty: float = Field(
        default=1.1,
        ge=0.0,
        le=10.0,
        strict=True,
        title="repeat_penalty",
        description="Above 1 makes repeating recent text less likely; 1 is off.",
        json_schema_extra=_step(0.05),
    )
    max_tokens: int = Field(
        default=1024,
        ge=1,
        le=1_000_000,
        strict=True,
        title="max_tokens",
        description="The longest a reply may be, in tokens.",
        json_schema_extra=_step(64),
    )
    seed: int = Field(
        default=-1,
        ge=-1,
        le=SEED_MAX,
        strict=True,
        title="seed",
        description="The same seed and settings give the same reply; -1 picks a fresh random "
        "seed for each reply.",
        json_schema_extra=_step(1),
    )
    stop: tuple[_StopString, ...] = Field(
        default=(),
        title="stop strings",
        description="The reply ends when it produces any of these.",
    )
    overflow: OverflowPolicy = Field(
        default=OverflowPolicy.DROP_OLDEST,
        title="overflow",
        description="What happens when the conversation no longer fits in the context length.",
    )
    thinking: bool | None = Field(
        default=None,
        strict=True,
        title="thinking",
        description="Whether a reasoning model thinks before it answers, for templates with a "
        "thinking switch; unset follows the template's own default.",
    )
    reasoning_effort: ReasoningEffort | None = Field(
        default=None,
        title="reasoning effort",
        description="How long a reasoning model thinks (low, medium or high), for templates "
        "that take an effort; unset follows the template's own default.",
    )

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["stop"] = list(self.stop)
        d["overflow"] = str(self.overflow)
        return d


class LoadSettings(_Settings):
    """How a model is loaded.

    ``n_ctx`` 0 means the model's trained length capped at 8192. ``n_gpu_layers`` -1 offloads all
    layers, 0 keeps the model on the CPU, ``None`` means all where this build can offload, else 0.
    ``n_threads`` 0 lets llama.cpp choose.
    """

    n_ctx: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        strict=True,
        title="context length",
        description="How many tokens of the conversation the model can see at once; 0 uses the "
        f"model's own length, at most {DEFAULT_CTX_CAP}.",
        json_schema_extra=_step(1024),
    )
    n_gpu_layers: int | None = Field(
        default=None,
        ge=-1,
        le=100_000,
        strict=True,
        title="GPU layers",
        description="How many of the model's layers run on the GPU (-1 all, 0 none). Automatic "
        "puts all layers on the GPU when this build can use one, else none.",
        json_schema_extra=_step(1),
    )
    n_threads: int = Field(
        default=0,
        ge=0,
        le=1024,
        strict=True,
        title="threads",
        description="How many CPU threads generate; 0 lets llama.cpp choose.",
        json_schema_extra=_step(1),
    )
    n_batch: int = Field(
        default=512,
        ge=1,
        le=1_000_000,
        strict=True,
        title="batch size",
        description="How many prompt tokens are read in one step; larger is faster and uses more "
        "memory.",
        json_schema_extra=_step(64),
    )
    flash_attn: bool = Field(
        default=False,
        strict=True,
        title="flash attention",
        description="A faster attention kernel that needs less memory, where the hardware has it.",
    )
    seed: int = Field(
        default=-1,
        ge=-1,
        le=SEED_MAX,
        strict=True,
        title="seed",
        description="The random seed the model is loaded with; -1 picks a fresh one.",
        json_schema_extra=_step(1),
    )
    prompt_lookup: bool = Field(
        default=False,
        strict=True,
        title="prompt lookup",
        description="Speculative decoding that guesses the next tokens from text already in the "
        "conversation and checks them in one step: faster where the reply repeats long runs "
        "of its input (quotes) and the hardware checks a batch cheaply (GPUs), slower elsewhere; "
        "greedy replies change only by rounding.",
    )
    lookup_tokens: int = Field(
        default=10,
        ge=1,
        le=64,
        strict=True,
        title="prompt lookup tokens",
        description="How many tokens prompt lookup guesses ahead at most; each guess is checked "
        "in the same step as the next token.",
        json_schema_extra=_step(1),
    )

    def context_for(self, trained: int | None) -> int:
        """The context a model trained for ``trained`` tokens gets with these settings (as the
        engine chooses it: the setting, else the trained length capped at DEFAULT_CTX_CAP)."""
        return self.n_ctx or min(trained or 4096, DEFAULT_CTX_CAP)
