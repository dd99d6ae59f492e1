"""The model's chat template, rendered by llama-cpp-python's Jinja formatter.

Templates are written against Hugging Face's ``apply_chat_template``, and each reads the
variables its authors pass: ``tools`` left out or ``None`` (tool-use variants iterate it),
``functions`` as JSON text (firefunction), ``date_string``/``datetime``/``strftime_now`` for
today's date. Which of these a template wants is found once, when it is parsed, by rendering a
probe conversation (system, user, assistant, user) with each set in turn: the first that renders
every message's text is kept. A template with no system role (it raises on a system message,
like Gemma's, or silently drops it, like Phi-3 mini's) gets the system prompt folded into the
first user turn, and says so in ``folds_system``.

A file with no template gets a turn format chosen from its vocabulary (``choose_turn_format``):
the special tokens it has tell which format it was trained on; a base model with none of them
gets a plain "User: … / Assistant:" transcript that stops on the next "\\nUser:".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

import jinja2
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from chatapp.core.errors import EngineError

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str
    # Only for a message too long to read whole (see ``Engine.message_limit``): its size in
    # bytes of UTF-8; ``content`` then holds only its start, and the engine never sends it.
    size: NotRequired[int]


class TemplateError(EngineError):
    """The chat template could not be parsed or rendered; the message names model and problem."""


# -- turn formats for a file without a template ---------------------------------------------------


@dataclass(frozen=True)
class TurnFormat:
    """A turn format chosen for a file that carries no chat template."""

    name: str
    template: str
    markers: tuple[str, ...]  # the vocabulary tokens that show a model was trained on it
    stop: tuple[str, ...] = ()  # stop strings beyond the model's end-of-generation tokens


_GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
_LLAMA3 = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    " + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
# Mistral's v1 instruct format, which has no system role
_MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}"
    "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"
)
_PHI3 = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
_COMMAND_R = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = {'system': '<|SYSTEM_TOKEN|>', 'user': '<|USER_TOKEN|>',"
    " 'assistant': '<|CHATBOT_TOKEN|>'}[message['role']] %}"
    "{{ '<|START_OF_TURN_TOKEN|>' + role + message['content'] | trim + '<|END_OF_TURN_TOKEN|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"
)
# DeepSeek V3's markers are written with FULLWIDTH VERTICAL LINEs (U+FF5C)
_DS_USER, _DS_ASSISTANT = "<\uff5cUser\uff5c>", "<\uff5cAssistant\uff5c>"
_DEEPSEEK = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}"
    f"{{% elif message['role'] == 'user' %}}{{{{ '{_DS_USER}' + message['content'] }}}}"
    f"{{% else %}}{{{{ '{_DS_ASSISTANT}' + message['content'] + eos_token }}}}"
    "{% endif %}{% endfor %}"
    f"{{% if add_generation_prompt %}}{{{{ '{_DS_ASSISTANT}' }}}}{{% endif %}}"
)
PLAIN_TRANSCRIPT = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
    "{% else %}{{ 'Assistant: ' + message['content'] + '\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# In the order they are tried; an architecture's own format (below) goes first.
TURN_FORMATS: tuple[TurnFormat, ...] = (
    TurnFormat("Gemma", _GEMMA, ("<start_of_turn>", "<end_of_turn>")),
    TurnFormat("Llama 3", _LLAMA3, ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")),
    TurnFormat("ChatML", CHATML_TEMPLATE, ("<|im_start|>", "<|im_end|>")),
    TurnFormat("Command-R", _COMMAND_R, ("<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>")),
    TurnFormat("DeepSeek", _DEEPSEEK, (_DS_USER, _DS_ASSISTANT)),
    TurnFormat("Phi-3", _PHI3, ("<|user|>", "<|assistant|>", "<|end|>")),
    TurnFormat("Mistral", _MISTRAL, ("[INST]", "[/INST]")),
)
PLAIN = TurnFormat("plain transcript", PLAIN_TRANSCRIPT, (), stop=("\nUser:",))
# (modelinfo.TURN_MARKER_TOKENS, which the header reader looks for, holds every marker here)
_ARCH_FORMAT = {
    "gemma": "Gemma",
    "gemma2": "Gemma",
    "gemma3": "Gemma",
    "qwen2": "ChatML",
    "qwen3": "ChatML",
    "qwen2moe": "ChatML",
    "qwen3moe": "ChatML",
    "command-r": "Command-R",
    "cohere2": "Command-R",
    "deepseek2": "DeepSeek",
    "phi3": "Phi-3",
}


def choose_turn_format(tokens: Iterable[str], architecture: str) -> TurnFormat:
    """The turn format for a file with no template, from the marker tokens its vocabulary has.

    A format is chosen only when the vocabulary has all its markers (otherwise its markup would
    be read as plain text); when several fit, the architecture's own format wins.
    """
    have = set(tokens)
    fits = [f for f in TURN_FORMATS if all(m in have for m in f.markers)]
    own = _ARCH_FORMAT.get(architecture)
    for f in fits:
        if f.name == own:
            return f
    return fits[0] if fits else PLAIN


NO_TEMPLATE = "the file has no chat template"


def chosen_source(chosen: TurnFormat) -> str:
    """Where a turn format chosen for a file without a template came from, in words."""
    if chosen is PLAIN:
        return f"plain transcript: {NO_TEMPLATE}"
    return f"chosen from the vocabulary: {chosen.name} ({NO_TEMPLATE})"


def header_template_source(
    chat_template: str | None,
    tokens: Iterable[str],
    architecture: str,
    override: str | None = None,
) -> str:
    """The template a file gets when loaded, from its header alone: ``override`` (the user's
    template in Preferences) wins over the file's own."""
    if override:
        return override_source(override)
    if chat_template:
        return "from the file"
    return chosen_source(choose_turn_format(tokens, architecture))


def override_source(override: str) -> str:
    """Where a template the user set comes from, in words (naming it when it is one of ours)."""
    known = known_format(override)
    return "set by the user" if known is None else f"set by the user: {known.name}"


def known_format(template: str) -> TurnFormat | None:
    """The turn format whose template this is, if it is one of ours."""
    return next((f for f in (*TURN_FORMATS, PLAIN) if f.template == template), None)


# -- rendering ------------------------------------------------------------------------------------

_PROBE: list[ChatMessage] = [
    {"role": "system", "content": "probe-system-text"},
    {"role": "user", "content": "probe-user-one"},
    {"role": "assistant", "content": "probe-assistant-one"},
    {"role": "user", "content": "probe-user-two"},
]
_TOOL_VARIABLES = ("tools", "functions", "function_call", "tool_choice", "documents")


def _unset() -> dict[str, Any]:
    """Tool variables left out, as templates that test ``tools is defined`` expect."""
    return {name: jinja2.Undefined(name=name) for name in _TOOL_VARIABLES}


def _none() -> dict[str, Any]:
    """Tool variables as ``None``, as Hugging Face's ``apply_chat_template`` passes them."""
    return dict.fromkeys(_TOOL_VARIABLES)


def _empty() -> dict[str, Any]:
    """No tools as empty lists, and firefunction's ``functions`` as JSON text."""
    return {
        "tools": [],
        "functions": "[]",
        "function_call": None,
        "tool_choice": None,
        "documents": [],
    }


_VARIABLE_SETS = (_unset, _none, _empty)


class ChatTemplate:
    """A parsed chat template bound to one model's special tokens.

    Args:
        source: where the template came from, in words, for the load report: "from the file",
            "set by the user", "chosen from the vocabulary: Gemma", "plain transcript: the file
            has no chat template".
        stop: stop strings the template's turn format needs (the plain transcript's "\\nUser:").
    """

    def __init__(
        self,
        template: str,
        *,
        bos_token: str,
        eos_token: str,
        model_name: str,
        source: str,
        stop: tuple[str, ...] = (),
    ) -> None:
        self.template = template
        self.source = source
        self.model_name = model_name
        self.stop = stop
        try:
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=eos_token, bos_token=bos_token
            )
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"the chat template ({source}) of {model_name} is not valid Jinja: {_describe(exc)}"
            ) from exc
        self._tokens = (bos_token, eos_token)
        self._no_prompt: Jinja2ChatFormatter | None = None  # compiled when first asked for
        self._variables = _unset
        self._parts = False
        self.folds_system = False  # the template has no system role: see ``render``
        self._probe()

    def _probe(self) -> None:
        """Find the variables and message shape the template renders the probe with."""
        for fold in (False, True):
            for parts in (False, True):
                for variables in _VARIABLE_SETS:
                    messages = _fold_system(_PROBE) if fold else _PROBE
                    try:
                        text = self._call(self._formatter, messages, variables, parts)
                    except Exception:  # any failure: try the next way
                        continue
                    if all(m["content"] in text for m in _PROBE):
                        self._variables, self._parts, self.folds_system = variables, parts, fold
                        return

    def _call(
        self,
        formatter: Jinja2ChatFormatter,
        messages: list[ChatMessage],
        variables: Any,
        parts: bool,
        extra: dict[str, Any] | None = None,
    ) -> str:
        sent: list[dict[str, Any]] = [
            {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
            if parts
            else {"role": m["role"], "content": m["content"]}
            for m in messages
        ]
        now = datetime.now()
        return formatter(  # type: ignore[misc]
            messages=sent,  # type: ignore[arg-type]
            date_string=now.strftime("%d %b %Y"),
            datetime=now.strftime("%Y-%m-%d"),
            **variables(),
            **(extra or {}),
        ).prompt

    def render(
        self,
        messages: list[ChatMessage],
        *,
        add_generation_prompt: bool = True,
        thinking: bool | None = None,
        reasoning_effort: str | None = None,
    ) -> str:
        """The prompt text for ``messages``, ending with the assistant's turn opened.

        Where the template has no system role, the system prompt opens the first user turn.
        ``thinking`` and ``reasoning_effort`` reach the template as ``enable_thinking`` and
        ``reasoning_effort``, and only when given: otherwise the template keeps its defaults.

        Raises:
            TemplateError: the template raised (often "roles must alternate") or failed.
        """
        formatter = self._formatter
        if not add_generation_prompt:
            if self._no_prompt is None:
                bos, eos = self._tokens
                self._no_prompt = Jinja2ChatFormatter(
                    self.template, eos_token=eos, bos_token=bos, add_generation_prompt=False
                )
            formatter = self._no_prompt
        sent = _fold_system(messages) if self.folds_system else list(messages)
        extra: dict[str, Any] = {}
        if thinking is not None:
            extra["enable_thinking"] = thinking
        if reasoning_effort is not None:
            extra["reasoning_effort"] = reasoning_effort
        try:
            return self._call(formatter, sent, self._variables, self._parts, extra)
        except (jinja2.TemplateError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise TemplateError(
                f"the chat template ({self.source}) of {self.model_name} failed to render this "
                f"conversation: {_describe(exc)}"
            ) from exc


def _fold_system(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The leading system messages put at the start of the first user turn."""
    system = [m["content"] for m in messages if m["role"] == "system"]
    rest = [m for m in messages if m["role"] != "system"]
    if not system:
        return list(messages)
    text = "\n\n".join(system)
    if rest and rest[0]["role"] == "user":
        first: ChatMessage = {"role": "user", "content": text + "\n\n" + rest[0]["content"]}
        return [first, *rest[1:]]
    return [{"role": "user", "content": text}, *rest]


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    text = str(exc) or type(exc).__name__
    return f"{text} (line {line})" if line else text
