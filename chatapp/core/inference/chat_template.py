"""The model's chat template, rendered by llama-cpp-python's Jinja formatter."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

import jinja2
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from chatapp.core.errors import EngineError

# Used only for a model whose GGUF carries no template; the load report says so.
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


class ChatTemplate:
    """A parsed chat template bound to one model's special tokens.

    Args:
        source: where the template came from, for the load report: "model", "user" or
            "fallback (ChatML)".
    """

    def __init__(
        self, template: str, *, bos_token: str, eos_token: str, model_name: str, source: str
    ) -> None:
        self.template = template
        self.source = source
        self.model_name = model_name
        try:
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=eos_token, bos_token=bos_token
            )
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"the {source} chat template of {model_name} is not valid Jinja: {_describe(exc)}"
            ) from exc

    def render(self, messages: list[ChatMessage]) -> str:
        """The prompt text for ``messages``, ending with the assistant's turn opened.

        Raises:
            TemplateError: the template raised (often "roles must alternate") or failed.
        """
        try:
            return self._formatter(messages=list(messages)).prompt  # type: ignore[arg-type]
        except (jinja2.TemplateError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise TemplateError(
                f"the {self.source} chat template of {self.model_name} failed to render this "
                f"conversation: {_describe(exc)}"
            ) from exc


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    text = str(exc) or type(exc).__name__
    return f"{text} (line {line})" if line else text
