"""What one reply cost: the numbers shown under every assistant message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class StopReason(StrEnum):
    """Why a reply ended."""

    END_OF_TURN = "end_of_turn"  # the model emitted its end-of-turn token
    STOP_STRING = "stop_string"  # one of the user's stop strings appeared
    MAX_TOKENS = "max_tokens"  # the max-tokens setting was reached
    CONTEXT_FULL = "context_full"  # the context window had no room left
    CANCELLED = "cancelled"  # the user pressed Stop
    ERROR = "error"  # generation failed part-way; the partial reply is kept


@dataclass(frozen=True)
class ReplyMetrics:
    """Per-reply numbers.

    ``prompt_eval_tokens`` is what llama.cpp actually evaluated for the prompt: with the model kept
    loaded, turn N re-uses the cached prefix and evaluates only the new tokens.
    """

    prompt_tokens: int
    prompt_eval_tokens: int
    completion_tokens: int
    ttft_ms: float | None  # None: no token came (stopped or failed before the first)
    decode_tps: float
    stop_reason: StopReason
    dropped_turns: int = 0
    # prompt tokens whose state was loaded from disk (instant reopen) instead of evaluated
    restored_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop_reason"] = str(self.stop_reason)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReplyMetrics:
        return cls(
            prompt_tokens=int(d["prompt_tokens"]),
            prompt_eval_tokens=int(d["prompt_eval_tokens"]),
            completion_tokens=int(d["completion_tokens"]),
            ttft_ms=None if d["ttft_ms"] is None else float(d["ttft_ms"]),
            decode_tps=float(d["decode_tps"]),
            stop_reason=StopReason(d["stop_reason"]),
            dropped_turns=int(d.get("dropped_turns", 0)),
            restored_tokens=int(d.get("restored_tokens", 0)),
        )

    @property
    def speed_known(self) -> bool:
        """Tokens per second means something only over two tokens or more."""
        return self.completion_tokens >= 2 and self.decode_tps > 0

    def summary(self) -> str:
        """One quiet line, as printed by ``chatapp chat``; speeds only where they mean something."""
        parts = [f"{self.completion_tokens} tokens"]
        if self.speed_known:
            parts.append(f"{self.decode_tps:.1f} tok/s")
        if self.ttft_ms is not None:
            parts.append(f"first token {self.ttft_ms:.0f} ms")
        restored = f", {self.restored_tokens} reopened from disk" if self.restored_tokens else ""
        parts.append(f"prompt {self.prompt_tokens} ({self.prompt_eval_tokens} evaluated{restored})")
        parts.append(f"stop: {self.stop_reason}")
        if self.dropped_turns:
            parts.append(f"{self.dropped_turns} old turns dropped to fit the context")
        return ", ".join(parts)

    def footer(self) -> str:
        """The quiet line under a reply in the window; speeds only where they mean something."""
        parts = []
        if self.speed_known:
            parts.append(f"{self.decode_tps:.1f} tok/s")
        if self.ttft_ms is not None:
            parts.append(f"first token {self.ttft_ms / 1000:.2f} s")
        parts.append(f"{self.completion_tokens} tokens")
        if self.stop_reason != StopReason.END_OF_TURN:
            parts.append(f"stopped: {str(self.stop_reason).replace('_', ' ')}")
        if self.dropped_turns:
            parts.append(f"{self.dropped_turns} old messages left out to fit")
        if self.restored_tokens:
            parts.append("reopened from disk")
        return " · ".join(parts)
