"""The prompt library: saved system prompts and few-shot example sets, with variables.

A ``Prompt`` has a name, a system prompt and example user/assistant pairs that go before the
conversation (in-context learning: the model sees how to answer before it answers). Its texts
may use variables, filled in when the prompt is applied: ``{{date}}``, ``{{time}}``,
``{{weekday}}``, ``{{language}}``. They are rendered by Jinja's sandboxed environment (the
library chat templates already use), so a prompt cannot reach Python; an unknown variable or a
syntax error is refused with a message that names it.

The library lives in ``prompts.json`` beside ``settings.json``; a few good prompts ship with the
app (``SHIPPED``) and are there until the user deletes them. It imports and exports as JSON
(``{"format": "chatapp-prompts", "version": 1, "prompts": [...]}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from chatapp.core.storage.atomic import write_text_atomic

FILENAME: Final = "prompts.json"
FORMAT_NAME: Final = "chatapp-prompts"
FORMAT_VERSION: Final = 1
VARIABLES: Final = ("date", "time", "weekday", "language")
MAX_PROMPTS: Final = 1000


class PromptError(ValueError):
    """A prompt or a prompts file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Example:
    user: str
    assistant: str


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str = ""
    examples: tuple[Example, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "system": self.system,
            "examples": [{"user": e.user, "assistant": e.assistant} for e in self.examples],
        }


@dataclass(frozen=True)
class Applied:
    """A prompt with its variables filled in, ready for a conversation."""

    system: str
    examples: tuple[Example, ...]


SHIPPED: Final = (
    Prompt(
        "Helpful assistant",
        "You are a helpful, honest assistant. Today is {{weekday}}, {{date}}. Answer clearly; "
        "say when you are not sure.",
    ),
    Prompt(
        "Concise",
        "Answer in as few words as the question allows. No preamble, no summary at the end.",
    ),
    Prompt(
        "Translator",
        "Translate everything the user writes into {{language}}. Keep the meaning, tone and "
        "formatting; reply with the translation only.",
    ),
    Prompt(
        "Code reviewer",
        "You review code. Point out bugs first, then risky patterns, then style, each with "
        "the line it concerns and a fix. Be brief; skip what is fine.",
    ),
    Prompt(
        "Sentiment (few-shot)",
        "Classify the sentiment of each message as positive, negative or neutral. Reply with "
        "the one word.",
        (
            Example("The update fixed everything, thank you!", "positive"),
            Example("It crashes every time I open a file.", "negative"),
            Example("The meeting is at three.", "neutral"),
        ),
    ),
)

_ENV: Final = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def render(text: str, *, language: str = "English", now: datetime | None = None) -> str:
    """``text`` with its variables filled in. Raises PromptError on an unknown variable or a
    syntax error."""
    if "{" not in text:
        return text
    now = now or datetime.now().astimezone()
    values = {
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H:%M"),
        "weekday": now.strftime("%A"),
        "language": language,
    }
    try:
        return _ENV.from_string(text).render(values)
    except jinja2.UndefinedError as exc:
        raise PromptError(
            f"{exc.message}: the variables are {', '.join('{{' + v + '}}' for v in VARIABLES)}"
        ) from None
    except jinja2.TemplateError as exc:
        raise PromptError(f"the prompt's {{{{…}}}} cannot be read: {exc}") from None


def apply(prompt: Prompt, *, language: str = "English", now: datetime | None = None) -> Applied:
    """The prompt, its variables filled in (see ``render``)."""

    def r(text: str) -> str:
        return render(text, language=language, now=now)

    return Applied(
        r(prompt.system), tuple(Example(r(e.user), r(e.assistant)) for e in prompt.examples)
    )


def prompts_from_data(data: Any) -> list[Prompt]:
    """Prompts from their JSON form: a prompts export, or a bare list. Raises PromptError."""
    items = data.get("prompts") if isinstance(data, dict) else data
    if isinstance(data, dict) and data.get("format") not in (None, FORMAT_NAME):
        raise PromptError(f"not a prompts file (its format is {data.get('format')!r})")
    if not isinstance(items, list):
        raise PromptError("a prompts file holds a list of prompts")
    if len(items) > MAX_PROMPTS:
        raise PromptError(f"more than {MAX_PROMPTS} prompts")
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise PromptError(f"prompt {i} needs a name")
        name = item["name"].strip()
        system = item.get("system", "")
        examples = item.get("examples", [])
        if not name or not isinstance(system, str) or not isinstance(examples, list):
            raise PromptError(f"prompt {i} ({name or 'no name'}) is not a prompt")
        pairs = []
        for e in examples:
            if not (
                isinstance(e, dict)
                and isinstance(e.get("user"), str)
                and isinstance(e.get("assistant"), str)
            ):
                raise PromptError(f"prompt {name!r}: each example has a user and an assistant text")
            pairs.append(Example(e["user"], e["assistant"]))
        out.append(Prompt(name, system, tuple(pairs)))
    return out


def export_prompts(prompts: list[Prompt]) -> str:
    return (
        json.dumps(
            {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "prompts": [p.to_dict() for p in prompts],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


class PromptLibrary:
    """The user's prompts, in ``prompts.json`` (the shipped ones until the file exists)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.prompts: list[Prompt] = list(SHIPPED)
        self.problem: str | None = None  # why the file could not be read (it is kept)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            self.problem = f"cannot read {path}: {exc.strerror or exc}"
            return
        try:
            self.prompts = prompts_from_data(json.loads(text))
        except (ValueError, RecursionError) as exc:
            self.problem = f"{path} cannot be read ({exc}); the shipped prompts are shown"

    @classmethod
    def open_dir(cls, config_dir: Path) -> PromptLibrary:
        return cls(config_dir / FILENAME)

    def get(self, name: str) -> Prompt:
        for p in self.prompts:
            if p.name == name:
                return p
        raise PromptError(f"no prompt named {name!r}")

    def put(self, prompt: Prompt) -> None:
        """Add ``prompt``, or replace the one with its name; then save."""
        if not prompt.name.strip():
            raise PromptError("a prompt needs a name")
        apply(prompt)  # its variables must be known: refused now, not when used
        self.prompts = [p for p in self.prompts if p.name != prompt.name] + [prompt]
        self.save()

    def remove(self, name: str) -> None:
        self.prompts = [p for p in self.prompts if p.name != name]
        self.save()

    def import_text(self, text: str) -> list[Prompt]:
        """Add (or replace, by name) the prompts of a prompts export. Raises PromptError;
        nothing is added then."""
        try:
            found = prompts_from_data(json.loads(text))
        except (ValueError, RecursionError) as exc:
            raise PromptError(f"not a prompts file: {exc}") from None
        for p in found:
            apply(p)
        names = {p.name for p in found}
        self.prompts = [p for p in self.prompts if p.name not in names] + found
        self.save()
        return found

    def save(self) -> None:
        """Raises OSError when the file cannot be written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, export_prompts(self.prompts))


__all__ = [
    "FILENAME",
    "SHIPPED",
    "VARIABLES",
    "Applied",
    "Example",
    "Prompt",
    "PromptError",
    "PromptLibrary",
    "apply",
    "export_prompts",
    "prompts_from_data",
    "render",
]
