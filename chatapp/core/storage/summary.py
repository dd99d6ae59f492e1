"""A summary of a conversation's older turns, saved with the reply that was first given it.

Plain data, no database or model. With the "summarise" overflow policy, when a conversation no
longer fits the context, the model writes a summary of its oldest turns; the reply is then
generated from the system prompt, that summary and the newer turns only. The summary is saved
beside that reply, so every later reply on the same branch starts from it (and a new one is
written, covering more, when the branch outgrows the context again).

``covers`` counts the thread's messages, from its first, that the summary stands for: a
position on the branch rather than a message id, so copies and forks, whose ids are new,
keep it right.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    text: str
    covers: int  # the first ``covers`` messages of the thread are replaced by ``text``
    model: str | None = None

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "covers": self.covers}
        if self.model:
            out["model"] = self.model
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False)


def summary_from_data(data: Any) -> Summary:
    """A Summary from its JSON object. Raises ValueError when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a summary is an object with text and covers")
    text, covers, model = data.get("text"), data.get("covers"), data.get("model")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a summary needs its text")
    if not isinstance(covers, int) or isinstance(covers, bool) or covers < 1:
        raise ValueError("a summary's covers is the number of messages it stands for (1 or more)")
    if model is not None and not isinstance(model, str):
        raise ValueError("a summary's model is a name")
    return Summary(text, covers, model)


def summary_from_json(raw: str | None) -> Summary | None:
    """The saved summary, or None (none saved, or unreadable: logged, never raised)."""
    if raw is None:
        return None
    try:
        return summary_from_data(json.loads(raw))
    except (ValueError, RecursionError) as exc:
        log.warning("a saved summary is unreadable and is ignored: %s", exc)
        return None


__all__ = ["Summary", "summary_from_data", "summary_from_json"]
