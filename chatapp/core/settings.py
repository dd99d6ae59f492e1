"""Load and generation settings: one declarative place for each default, type and bound."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, Self

DEFAULT_CTX_CAP = 8192


class SettingsError(ValueError):
    """A setting has a value outside its bounds; the message names the setting."""


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise SettingsError(f"{name} must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")


class OverflowPolicy(StrEnum):
    """What to do when the conversation no longer fits in the context window."""

    DROP_OLDEST = "drop_oldest"  # drop the oldest turns; system prompt and last message stay
    REFUSE = "refuse"  # refuse with a clear message


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings for one reply. ``seed`` -1 means a fresh random seed per reply."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 1024
    seed: int = -1
    stop: tuple[str, ...] = field(default_factory=tuple)
    overflow: OverflowPolicy = OverflowPolicy.DROP_OLDEST

    def __post_init__(self) -> None:
        _check_range("temperature", self.temperature, 0.0, 5.0)
        _check_range("top_p", self.top_p, 0.0, 1.0)
        _check_range("top_k", self.top_k, 0, 100_000)
        _check_range("min_p", self.min_p, 0.0, 1.0)
        _check_range("repeat_penalty", self.repeat_penalty, 0.0, 10.0)
        _check_range("max_tokens", self.max_tokens, 1, 1_000_000)
        _check_range("seed", self.seed, -1, 2**32 - 1)
        if not all(isinstance(s, str) and s for s in self.stop):
            raise SettingsError("stop strings must be non-empty text")
        object.__setattr__(self, "overflow", OverflowPolicy(self.overflow))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["stop"] = list(self.stop)
        d["overflow"] = str(self.overflow)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Build from a (possibly partial) dict; unknown keys are ignored, bad values raise."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if "stop" in kwargs:
            kwargs["stop"] = tuple(kwargs["stop"])
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise SettingsError(str(exc)) from exc

    def updated(self, **changes: Any) -> Self:
        """A copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class LoadSettings:
    """How a model is loaded.

    ``n_ctx`` 0 means the model's trained length capped at 8192. ``n_gpu_layers`` -1 offloads all
    layers, 0 keeps the model on the CPU, ``None`` means all where this build can offload, else 0.
    ``n_threads`` 0 lets llama.cpp choose.
    """

    n_ctx: int = 0
    n_gpu_layers: int | None = None
    n_threads: int = 0
    n_batch: int = 512
    flash_attn: bool = False
    seed: int = -1

    def __post_init__(self) -> None:
        _check_range("context length", self.n_ctx, 0, 10_000_000)
        if self.n_gpu_layers is not None:
            _check_range("GPU layers", self.n_gpu_layers, -1, 100_000)
        _check_range("threads", self.n_threads, 0, 1024)
        _check_range("batch size", self.n_batch, 1, 1_000_000)
        _check_range("seed", self.seed, -1, 2**32 - 1)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def updated(self, **changes: Any) -> Self:
        """A copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in d.items() if k in known})
        except TypeError as exc:
            raise SettingsError(str(exc)) from exc
