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
    ttft_ms: float
    decode_tps: float
    stop_reason: StopReason
    dropped_turns: int = 0

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
            ttft_ms=float(d["ttft_ms"]),
            decode_tps=float(d["decode_tps"]),
            stop_reason=StopReason(d["stop_reason"]),
            dropped_turns=int(d.get("dropped_turns", 0)),
        )

    def summary(self) -> str:
        """One quiet line, as printed by ``chatapp chat`` and shown under a reply."""
        line = (
            f"{self.completion_tokens} tokens, {self.decode_tps:.1f} tok/s, "
            f"first token {self.ttft_ms:.0f} ms, prompt {self.prompt_tokens} "
            f"({self.prompt_eval_tokens} evaluated), stop: {self.stop_reason}"
        )
        if self.dropped_turns:
            line += f", {self.dropped_turns} old turns dropped to fit the context"
        return line
