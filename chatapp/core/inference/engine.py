"""The inference engine: one GGUF model loaded in llama.cpp, chatted with turn by turn.

The model stays loaded between turns so that llama.cpp's KV cache keeps the conversation's prefix:
on turn N only the new tokens are evaluated (``ReplyMetrics.prompt_eval_tokens`` counts the
tokens handed to llama.cpp). The prompt is evaluated one batch at a time, reporting progress and
stopping between graph nodes when the reply is cancelled (llama.cpp's abort callback). Generation
runs on ``Llama.generate`` directly rather than ``create_completion``, which re-detokenizes the
whole reply for every token; we detokenize each token once and decode UTF-8 incrementally.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import llama_cpp
import numpy as np
import numpy.typing as npt
from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar, json_schema_to_gbnf
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

from chatapp.core.config.settings import (
    DEFAULT_CTX_CAP,
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
)
from chatapp.core.errors import EngineError
from chatapp.core.inference import llamalog
from chatapp.core.inference.backend import (
    Event,
    Finished,
    PromptProgress,
    TextDelta,
    ThinkingDelta,
    TokenCount,
)
from chatapp.core.inference.chat_template import (
    ChatMessage,
    ChatTemplate,
    TemplateError,
    choose_turn_format,
    chosen_source,
    known_format,
    override_source,
)
from chatapp.core.inference.kvstate import SavedState, StateCache, StateKey
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.inference.reasoning import (
    ReasoningFormat,
    ReasoningSplitter,
    ReasoningSupport,
    detect,
    opens_thinking,
)
from chatapp.core.models.modelinfo import (
    ModelFileError,
    ModelInfo,
    file_size_label,
    read_model_info,
)

log = logging.getLogger(__name__)

_GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL", "MUSA", "CANN")
_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")

__all__ = [
    "BuildInfo",
    "ChatMessage",
    "ContextOverflowError",
    "Engine",
    "EngineError",
    "LoadCancelled",
    "LoadedModel",
    "LoraAdapter",
    "ModelFileError",
    "ModelLoadError",
    "NoModelError",
    "Reply",
    "TemplateError",
    "build_info",
    "default_gpu_layers",
    "offloaded_layers",
]


class ModelLoadError(EngineError):
    """llama.cpp refused the model; the message gives llama.cpp's reason and what to try."""


class NoModelError(EngineError):
    """A chat was asked for with no model loaded."""


class LoadCancelled(EngineError):
    """The caller's progress callback asked to stop loading."""


class ContextOverflowError(EngineError):
    """The conversation does not fit in the context window and the policy says refuse."""


@dataclass(frozen=True)
class BuildInfo:
    """What this llama.cpp build can do, from what llama.cpp says about itself."""

    backend: str  # "CPU", "CUDA", "Metal", "Vulkan", ...
    gpu_offload: bool
    system_info: str

    @property
    def safe_extra_buffer_types(self) -> bool:
        """Whether llama.cpp may repack weights into its extra CPU buffer types.

        Builds compiled with AMX crash in ``ggml_backend_amx_mul_mat`` on quantized models on
        some AMX machines (seen on our own CI hosts), so there we keep weights in plain buffers:
        slightly slower prompt processing, never a crash.
        """
        return "AMX_INT8 = 1" not in self.system_info


_params_lock = threading.Lock()


@contextmanager
def model_params(
    on_progress: Callable[[float], bool | None] | None, extra_buffer_types: bool
) -> Iterator[None]:
    """Set model parameters that ``llama_cpp.Llama`` does not expose, for one load.

    ``Llama.__init__`` starts from ``llama_model_default_params()``; for the duration of the load
    we hand it defaults carrying our progress callback (llama.cpp's only hook to report and
    abort a load) and the ``use_extra_bufts`` switch. Loads are serialised by a lock.
    """
    original = llama_cpp.llama_cpp.llama_model_default_params

    def report(progress: float, _user_data: ctypes.c_void_p) -> bool:
        try:
            return on_progress is None or on_progress(progress) is not False
        except Exception:  # an exception cannot cross into C; log it and keep loading
            log.exception("load progress callback failed")
            return True

    callback = llama_cpp.llama_progress_callback(report)

    def defaults() -> llama_cpp.llama_model_params:
        params: llama_cpp.llama_model_params = original()
        params.use_extra_bufts = extra_buffer_types
        params.progress_callback = callback
        return params

    with _params_lock:
        llama_cpp.llama_cpp.llama_model_default_params = defaults
        try:
            yield
        finally:
            llama_cpp.llama_cpp.llama_model_default_params = original


@lru_cache(maxsize=1)
def build_info() -> BuildInfo:
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    sections = re.findall(r"(?:^|\|\s*)([A-Za-z][\w-]*) : ", info)
    gpu = [s for s in sections if s in _GPU_BACKENDS]
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    return BuildInfo(backend=gpu[0] if gpu else "CPU", gpu_offload=offload, system_info=info)


def default_gpu_layers(build: BuildInfo) -> int:
    """How many layers to offload when the user has not said: all where the build can, else
    none. The chat engine and the embedder decide the same way."""
    return -1 if build.gpu_offload else 0


def offloaded_layers(lines: list[tuple[int, str]]) -> int:
    """How many layers llama.cpp said it offloaded to the GPU, from a load's captured log."""
    offloaded = 0
    for _, text in lines:
        if m := _OFFLOADED.search(text):
            offloaded = int(m.group(1))
    return offloaded


@dataclass(frozen=True)
class LoraAdapter:
    """A GGUF LoRA adapter applied on top of the loaded model, at ``scale`` (0 is no effect)."""

    path: Path
    scale: float = 1.0


@dataclass(frozen=True)
class LoadedModel:
    """The load report: what the user needs to trust what they are chatting with."""

    info: ModelInfo
    n_ctx: int
    n_batch: int
    n_threads: int
    flash_attn: bool
    gpu_layers_requested: int
    layers_offloaded: int
    backend: str  # the backend the weights actually run on: "CPU" when nothing was offloaded
    gpu_offload_supported: bool
    # where the chat template in effect came from, in words: "from the file", "set by the
    # user" ("set by the user: ChatML" for one of ours, by name), "chosen from the vocabulary:
    # Gemma (...)", "plain transcript: the file has no chat template", or "invalid: ..."
    template_source: str
    load_seconds: float
    # the template has no system role, so the system prompt opens the first user turn
    system_folded: bool = False
    lookup_tokens: int = 0  # prompt lookup's longest guess; 0 is off
    lora: LoraAdapter | None = None
    # the reasoning format the template declares ("think", "harmony"), or None; read from the
    # template text, so a renamed or re-quantized file keeps it
    reasoning: str | None = None
    reads_enable_thinking: bool = False  # the template has a thinking on/off switch
    reads_reasoning_effort: bool = False  # the template takes a reasoning effort

    def describe(self) -> str:
        i = self.info
        where = (
            f"{self.backend}, {self.layers_offloaded}/{i.n_layer} layers offloaded"
            if self.layers_offloaded
            else "CPU only" + ("" if self.gpu_offload_supported else " (no GPU support in build)")
        )
        extras = ""
        if self.lora is not None:
            extras += f", LoRA adapter {self.lora.path.name} at scale {self.lora.scale:g}"
        if self.lookup_tokens:
            extras += f", prompt lookup ({self.lookup_tokens} tokens ahead)"
        folded = "; system prompt sent in the first user turn" if self.system_folded else ""
        if self.reasoning:
            folded += f"; reasoning model ({self.reasoning} format)"
        return (
            f"{i.name} ({i.architecture}, {i.parameters_label} params, {i.quantization}), "
            f"context {self.n_ctx}, {where}{extras}, loaded in {self.load_seconds:.2f} s; "
            f"chat template {self.template_source}{folded}"
        )


class _StopMatcher:
    """Finds stop strings in streamed text, holding back a tail that may start one."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Return (text safe to emit, whether a stop string was hit)."""
        if not self.stops:
            return text, False
        buf = self.pending + text
        hits = [i for i in (buf.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.pending = ""
            return buf[: min(hits)], True
        hold = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(buf)), 0, -1):
                if buf.endswith(s[:k]):
                    hold = max(hold, k)
                    break
        self.pending = buf[len(buf) - hold :]
        return buf[: len(buf) - hold], False

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


class Reply:
    """One streaming reply from the loaded model: the local ``Generation`` of ``core.backend``.

    Iterate ``events()`` (or the object itself, for the answer's text only) to generate; ``text``
    (the answer), ``thinking`` (a reasoning model's thinking) and ``metrics`` fill in as it
    runs. ``metrics`` is set once iteration ends, whether by the model, a limit, ``cancel()`` or
    ``close()``.
    """

    def __init__(
        self,
        events: Callable[[Reply], Generator[Event, None, None]],
        dropped_turns: int,
        cancel: threading.Event,
    ) -> None:
        self.text = ""
        self.thinking = ""
        self.metrics: ReplyMetrics | None = None
        self.dropped_turns = dropped_turns
        self._cancel = cancel
        # set by the engine once generation ends: writes the conversation's state to disk,
        # after Finished reaches the consumer and outside the engine's lock
        self.after: Callable[[], None] | None = None
        self._events = events(self)

    def events(self) -> Iterator[Event]:
        try:
            for event in self._events:
                if isinstance(event, TextDelta):
                    self.text += event.text
                elif isinstance(event, ThinkingDelta):
                    self.thinking += event.text
                yield event
            assert self.metrics is not None
            yield Finished(self.metrics)
        finally:
            self._finish()

    def _finish(self) -> None:
        after, self.after = self.after, None
        if after is not None:
            after()

    def __iter__(self) -> Iterator[str]:
        for event in self.events():
            if isinstance(event, TextDelta):
                yield event.text

    def cancel(self) -> None:
        """Ask the reply to stop (from any thread); it keeps what it has."""
        self._cancel.set()

    def close(self) -> None:
        """Stop generating (if still running); ``metrics`` then says "cancelled"."""
        self._events.close()
        self._finish()

    def run(self) -> ReplyMetrics:
        """Consume the whole reply (for callers that do not stream) and return its metrics."""
        for _ in self:
            pass
        assert self.metrics is not None
        return self.metrics


class Engine:
    """Owns at most one loaded model; the local ``ChatBackend``.

    ``load`` blocks; ``stream_chat`` returns a ``Reply`` that generates as it is iterated, one at a
    time (the lock queues the others). ``cancel`` is thread-safe.
    """

    def __init__(self, states: StateCache | None = None) -> None:
        """``states``: where conversations' llama.cpp states are saved after each reply and
        loaded back on reopening them (instant reopen); None keeps them in memory only."""
        self.states = states
        self._state_key: StateKey | None = None
        # the conversation whose tokens llama.cpp's cache holds, as far as the engine knows
        self._session: str | None = None
        self._llm: llama_cpp.Llama | None = None
        self._model: LoadedModel | None = None
        self._template: ChatTemplate | None = None
        self._template_error: TemplateError | None = None
        self._reasoning = ReasoningSupport(format=None)  # what the template in effect declares
        self._lock = threading.RLock()
        # The stop flag of the newest reply, for ``cancel()``; each reply has its own.
        self._cancel = threading.Event()
        self._running: threading.Event | None = None  # the stop flag of the reply generating
        # llama.cpp's abort callback, kept alive as long as a context may call it.
        self._abort_cb = _abort_callback(self)
        # The text and tokens of the last prompt plus its reply, for _prompt_tokens.
        self._last_exchange: tuple[str, list[int]] = ("", [])

    @property
    def model(self) -> LoadedModel | None:
        return self._model

    @property
    def model_name(self) -> str | None:
        """The loaded model's name, as saved with each reply."""
        return self._model.info.name if self._model is not None else None

    @property
    def backend_name(self) -> str | None:
        """``None``: this computer."""
        return None

    # -- loading -------------------------------------------------------------------------------

    def load(
        self,
        path: Path | str,
        settings: LoadSettings | None = None,
        *,
        chat_template: str | None = None,
        lora: LoraAdapter | None = None,
        on_progress: Callable[[float], bool | None] | None = None,
    ) -> LoadedModel:
        """Load a GGUF model, replacing any loaded one only once the new one has loaded.

        Args:
            chat_template: a Jinja template that overrides the model's own.
            lora: a GGUF LoRA adapter to apply on top of the model.
            on_progress: called with 0.0 to 1.0 as llama.cpp reads the weights (on the loading
                thread); returning ``False`` aborts the load with ``LoadCancelled``.

        Raises:
            ModelFileError: missing, not GGUF, truncated.
            ModelLoadError: llama.cpp refused it (unknown architecture, out of memory, ...) or
                the adapter (missing, not a LoRA of this model's shapes, ...).
            LoadCancelled: ``on_progress`` returned ``False``.
        """
        settings = settings or LoadSettings()
        info = read_model_info(path)
        if info.is_adapter:
            base = f" ({info.base_model})" if info.base_model else ""
            raise ModelLoadError(
                f"{info.path.name} is a LoRA adapter, not a model: load its base model{base} "
                "and apply the adapter on top of it"
            )
        if lora is not None and not Path(lora.path).is_file():
            raise ModelLoadError(f"LoRA adapter {lora.path} does not exist or is not a file")
        # Prompt lookup drafts tokens from the conversation itself; Llama.generate checks the
        # draft in one batch and keeps the tokens its sampler would have picked anyway.
        draft = (
            LlamaPromptLookupDecoding(num_pred_tokens=settings.lookup_tokens)
            if settings.prompt_lookup
            else None
        )
        build = build_info()
        n_ctx = settings.n_ctx or min(info.context_length or 4096, DEFAULT_CTX_CAP)
        gpu_layers = settings.n_gpu_layers
        if gpu_layers is None:
            gpu_layers = default_gpu_layers(build)
        started = time.perf_counter()
        aborted = False

        def progress(fraction: float) -> bool:
            nonlocal aborted
            aborted = on_progress is not None and on_progress(fraction) is False
            return not aborted

        with (
            self._lock,
            llamalog.capture() as lines,
            model_params(progress, build.safe_extra_buffer_types),
        ):
            try:
                llm = llama_cpp.Llama(
                    model_path=str(info.path),
                    n_ctx=n_ctx,
                    n_gpu_layers=gpu_layers,
                    n_threads=settings.n_threads or None,
                    n_threads_batch=settings.n_threads or None,
                    n_batch=min(settings.n_batch, n_ctx),
                    flash_attn=settings.flash_attn,
                    seed=settings.seed if settings.seed >= 0 else llama_cpp.LLAMA_DEFAULT_SEED,
                    draft_model=draft,
                    lora_path=str(lora.path) if lora is not None else None,
                    lora_scale=lora.scale if lora is not None else 1.0,
                    verbose=False,
                )
            except jinja2.TemplateError as exc:
                # llama-cpp-python parses the GGUF's templates while loading.
                raise TemplateError(
                    f"the chat template inside {info.path.name} ({info.name}) is not valid Jinja: "
                    f"{exc}; llama-cpp-python cannot load a model with a broken template"
                ) from exc
            except (ValueError, RuntimeError, OSError) as exc:
                if aborted:
                    raise LoadCancelled(f"loading {info.path.name} was cancelled") from exc
                if lora is not None and "LoRA" in str(exc):
                    raise ModelLoadError(_lora_failure(info, lora, llamalog.errors(lines))) from exc
                raise ModelLoadError(_load_failure(info, llamalog.errors(lines), exc)) from exc
            if lora is not None and not llm._lora_adapter:
                # llama-cpp-python tests the adapter for None, but a failed load gives a NULL
                # ctypes pointer (falsy, not None): it would go on without the adapter
                llm.close()
                raise ModelLoadError(_lora_failure(info, lora, llamalog.errors(lines)))
            if draft is not None:
                _discard_logits(llm)
            offloaded = offloaded_layers(lines)
            old, self._llm = self._llm, llm
            self._last_exchange = ("", [])
            self._session = None
            self._state_key = _state_key(info, settings, lora)
            if old is not None:
                old.close()
            self._set_template(info, chat_template)
            self._model = LoadedModel(
                info=info,
                n_ctx=llm.n_ctx(),
                n_batch=llm.n_batch,
                n_threads=llm.context_params.n_threads,
                flash_attn=settings.flash_attn,
                gpu_layers_requested=gpu_layers,
                layers_offloaded=offloaded,
                backend=build.backend if offloaded else "CPU",
                gpu_offload_supported=build.gpu_offload,
                template_source="",
                load_seconds=time.perf_counter() - started,
                lookup_tokens=settings.lookup_tokens if draft is not None else 0,
                lora=lora,
            )
            self._report_template()
        log.info("loaded %s", self._model.describe())
        return self._model

    def _set_template(self, info: ModelInfo, override: str | None) -> None:
        stop: tuple[str, ...] = ()
        if override:
            text, source = override, override_source(override)
            if (known := known_format(override)) is not None:  # one of ours, chosen by name
                stop = known.stop
        elif info.chat_template:
            text, source = info.chat_template, "from the file"
        else:
            chosen = choose_turn_format(info.marker_tokens, info.architecture)
            text, stop = chosen.template, chosen.stop
            source = chosen_source(chosen)
        self._template, self._template_error = None, None
        self._reasoning = detect(text)
        try:
            self._template = ChatTemplate(
                text,
                bos_token=info.bos_token or "",
                eos_token=info.eos_token or "",
                model_name=info.name,
                source=source,
                stop=stop,
            )
        except TemplateError as exc:
            self._template_error = exc

    def _report_template(self) -> None:
        """Put the template in effect, and where it came from, in the load report."""
        if self._model is None:
            return
        t = self._template
        source = t.source if t else f"invalid: {self._template_error}"
        folded = t.folds_system if t else False
        r = self._reasoning
        self._model = replace(
            self._model,
            template_source=source,
            system_folded=folded,
            reasoning=str(r.format) if r.format else None,
            reads_enable_thinking=r.reads_enable_thinking,
            reads_reasoning_effort=r.reads_reasoning_effort,
        )

    def set_chat_template(self, template: str | None) -> None:
        """Override the loaded model's chat template (``None`` restores the model's own)."""
        with self._lock:
            if self._model is None:
                raise NoModelError("no model is loaded")
            self._set_template(self._model.info, template)
            self._report_template()

    def unload(self) -> None:
        """Free the model and its context."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm, self._model, self._template = None, None, None
            self._last_exchange = ("", [])
            self._session = self._state_key = None

    # -- chatting -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the newest reply to stop, even one not started yet; it keeps what it has."""
        self._cancel.set()

    def _aborting(self) -> bool:
        """llama.cpp's abort callback: stop prompt processing between graph nodes."""
        running = self._running
        return running is not None and running.is_set()

    def count_tokens(
        self, messages: list[ChatMessage], settings: GenerationSettings | None = None
    ) -> int:
        """Tokens the rendered conversation takes in the prompt."""
        return len(self._prompt_tokens(messages, settings))

    def _render(
        self, messages: list[ChatMessage], settings: GenerationSettings | None = None
    ) -> str:
        """The prompt for ``messages``, with the thinking switch and effort ``settings`` set."""
        template = self._require()[1]
        if settings is None:
            return template.render(messages)
        return template.render(
            messages, thinking=settings.thinking, reasoning_effort=settings.reasoning_effort
        )

    def _prompt_tokens(
        self, messages: list[ChatMessage], settings: GenerationSettings | None = None
    ) -> list[int]:
        """Tokens of the rendered conversation, re-using the last reply's own tokens.

        Re-tokenizing a reply's text does not always give back the tokens the model sampled
        (BPE may merge them differently), and every token after the first difference would be
        evaluated again. When the new prompt starts with the last prompt plus its reply, as it
        does on the next turn, we keep the exact tokens llama.cpp has cached and tokenize only
        the rest.
        """
        llm, _ = self._require()
        prompt = self._render(messages, settings)
        last_text, last_tokens = self._last_exchange
        if last_text and prompt.startswith(last_text):
            rest = prompt[len(last_text) :].encode("utf-8")
            return last_tokens + llm.tokenize(rest, add_bos=False, special=True)
        return llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _require(self) -> tuple[llama_cpp.Llama, ChatTemplate]:
        if self._llm is None or self._model is None:
            raise NoModelError("no model is loaded: load a GGUF model first")
        if self._template_error is not None:
            raise self._template_error
        assert self._template is not None
        return self._llm, self._template

    def fit(
        self, messages: list[ChatMessage], settings: GenerationSettings
    ) -> tuple[list[ChatMessage], list[int], int]:
        """Make the conversation fit the context with room for the reply.

        The reply reserve is ``min(max_tokens, n_ctx // 4)``. With the drop-oldest policy the
        oldest turns go first; a leading system prompt and the last message always stay.

        A message too long to fit on its own (see ``message_limit``) is found without
        tokenizing it: it is dropped with every turn before it, or refused, at once.

        Returns:
            (messages kept, their prompt tokens, number of messages dropped)

        Raises:
            ContextOverflowError: it cannot fit, or the policy is to refuse.
        """
        llm, _ = self._require()
        n_ctx = llm.n_ctx()
        budget = self.prompt_budget(settings)
        head = messages[:1] if messages and messages[0]["role"] == "system" else []
        body = messages[len(head) :]
        early = 0
        limit = self.message_limit(settings)
        huge = [i for i, m in enumerate(messages) if _too_long(m, limit)]
        if huge:
            last = huge[-1]
            if head and huge[0] == 0:
                which, culprit, advice = "the system prompt", 0, "shorten it"
            elif last == len(messages) - 1:
                which, culprit = "your message", last
                advice = "shorten the message, or send a part of it"
            elif settings.overflow == OverflowPolicy.REFUSE:
                which, culprit = "a message", last
                advice = "start a new chat, or allow dropping old turns"
            else:
                culprit = -1
            if culprit >= 0:
                size = file_size_label(_utf8_size(messages[culprit]))
                raise ContextOverflowError(
                    f"{which} of {size} cannot fit the context of {n_ctx} tokens (it needs more "
                    f"than the {budget} left after room for the reply): {advice}"
                )
            kept = _drop_leading(body, last + 1 - len(head))
            early, body = len(body) - len(kept), kept
            messages = head + body
        tokens = self._prompt_tokens(messages, settings)
        if len(tokens) <= budget:
            return messages, tokens, early
        if settings.overflow == OverflowPolicy.REFUSE:
            raise ContextOverflowError(
                f"the conversation takes {len(tokens)} tokens but the context holds {n_ctx} "
                f"({n_ctx - budget} kept free for the reply): start a new chat, load the model "
                "with a longer context, or allow dropping old turns"
            )
        # Binary search for the fewest dropped messages that fit.
        lo, hi, best = 1, len(body) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            kept = _drop_leading(body, mid)
            candidate = self._prompt_tokens(head + kept, settings)
            if len(candidate) <= budget:
                best, hi = (head + kept, candidate, early + len(body) - len(kept)), mid - 1
            else:
                lo = mid + 1
        if best is None:
            last_tokens = self._prompt_tokens(head + body[-1:], settings)
            raise ContextOverflowError(
                f"the system prompt and your last message take {len(last_tokens)} tokens, more "
                f"than the {budget} the context of {n_ctx} leaves after reserving room for the "
                "reply: shorten the message or load the model with a longer context"
            )
        return best

    def prompt_budget(self, settings: GenerationSettings) -> int:
        """The context less the reply's reserve, ``min(max_tokens, n_ctx // 4)``."""
        llm, _ = self._require()
        n_ctx = llm.n_ctx()
        return n_ctx - min(settings.max_tokens, n_ctx // 4)

    def message_limit(self, settings: GenerationSettings) -> int | None:
        """The most bytes of UTF-8 one message can have and still fit the context on its own.

        A token never stands for more text than the vocabulary's longest token string (its
        byte-level or "▁"-escaped form is at least as long as what it decodes to), and these
        tokenizers keep every byte of their input; so a text of more than ``budget * longest``
        bytes takes more than ``budget`` tokens. Found without tokenizing: a 200 MB message is
        refused in microseconds. ``None`` where no such bound holds: a tokenizer that may drop
        input (WPM, UGM normalise whitespace away) or an unknown longest token.
        """
        llm, _ = self._require()
        assert self._model is not None
        longest = self._model.info.longest_token
        kind = llama_cpp.llama_vocab_type(llm._model.vocab)
        if not longest or kind not in _KEEPS_EVERY_BYTE:
            return None
        n_ctx = llm.n_ctx()
        return (n_ctx - min(settings.max_tokens, n_ctx // 4)) * longest

    def stream_chat(
        self,
        messages: list[ChatMessage],
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        session: str | None = None,
        grammar: str | None = None,
    ) -> Reply:
        """Start a reply to ``messages``. Iterate the result to generate.

        Args:
            cancel: the reply's stop flag, when the caller made it before asking (so a Stop
                pressed before the request reached the engine is not lost); setting it stops the
                reply wherever it is. A new one is made otherwise.
            session: the conversation's id. With a ``StateCache``, the state saved after its
                last reply is loaded when llama.cpp's cache holds another conversation (or
                nothing: a new process), and the state is saved again after this reply.
            grammar: a GBNF grammar the reply must follow (see ``json_grammar``).

        Raises (at once, before any token):
            NoModelError, TemplateError, ContextOverflowError
        """
        settings = settings or GenerationSettings()
        started = time.perf_counter()
        with self._lock:
            restored = self._restore(session)
            kept, tokens, dropped = self.fit(messages, settings)
            prompt_text = self._render(kept, settings)
        return self._start(
            prompt_text, tokens, settings, started, dropped, cancel, session, restored, grammar
        )

    def stream_completion(
        self,
        prompt: str,
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        grammar: str | None = None,
    ) -> Reply:
        """Continue ``prompt`` as plain text: no chat template, no reasoning split.

        Raises (at once): NoModelError, ContextOverflowError (the prompt leaves no room).
        """
        settings = settings or GenerationSettings()
        started = time.perf_counter()
        with self._lock:
            llm, _ = self._require()
            self._restore(None)
            tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
            if len(tokens) >= llm.n_ctx():
                raise ContextOverflowError(
                    f"the prompt takes {len(tokens)} tokens but the context holds {llm.n_ctx()}"
                )
        return self._start(
            prompt, tokens, settings, started, 0, cancel, None, None, grammar, plain=True
        )

    def _start(
        self,
        prompt_text: str,
        tokens: list[int],
        settings: GenerationSettings,
        started: float,
        dropped: int,
        cancel: threading.Event | None,
        session: str | None,
        restored: SavedState | None,
        grammar: str | None,
        *,
        plain: bool = False,
    ) -> Reply:
        flag = cancel if cancel is not None else threading.Event()
        self._cancel = flag

        def events(reply: Reply) -> Generator[Event, None, None]:
            with self._lock:
                self._running = flag  # the one llama.cpp's abort callback checks
                failed = False
                try:
                    yield from self._generate(
                        reply,
                        prompt_text,
                        tokens,
                        settings,
                        started,
                        dropped,
                        flag,
                        restored,
                        grammar=grammar,
                        plain=plain,
                    )
                except EngineError:
                    failed = True  # llama.cpp's cache may hold half a batch: nothing to keep
                    raise
                finally:
                    self._running = None
                    if not failed:
                        reply.after = self._snapshot(session)

        return Reply(events, dropped, flag)

    # -- instant reopen -------------------------------------------------------------------------

    def _saves_states(self, session: str | None) -> bool:
        llm = self._llm
        return (
            session is not None
            and self.states is not None
            and self.states.enabled
            and self._state_key is not None
            and llm is not None
            # a recurrent state cannot be cut back to a shorter prefix, which reopening needs
            and not getattr(llm, "_is_recurrent", False)
            and not getattr(llm, "_is_hybrid", False)
        )

    def _restore(self, session: str | None) -> SavedState | None:
        """Load the conversation's saved state into llama.cpp when its cache holds another one.

        Returns what was loaded, or None (same conversation, nothing saved, or a file that
        turned out unusable: deleted, and the prompt is evaluated as usual).
        """
        if session is not None and session == self._session:
            return None
        # a reply without a session (an API request) overwrites the cache too: the next reply
        # in a conversation loads that conversation's state back
        self._session = session
        if session is None or not self._saves_states(session):
            return None
        assert self.states is not None and self._state_key is not None and self._llm is not None
        saved = self.states.load(session, self._state_key)
        if saved is None:
            return None
        llm = self._llm
        if len(saved.text_tokens) > llm.n_ctx():
            return None  # made with a longer context; still good for that one
        buf = (ctypes.c_uint8 * len(saved.data)).from_buffer(saved.data)
        _clear_cache(llm)
        llm.reset()  # type: ignore[no-untyped-call]  # unannotated upstream
        if llama_cpp.llama_state_seq_set_data(llm.ctx, buf, len(saved.data), 0) == 0:
            _clear_cache(llm)
            self.states.discard(saved.path, "llama.cpp refused it")
            self._last_exchange = ("", [])
            return None
        n = len(saved.tokens)
        llm.input_ids[:n] = saved.tokens
        llm.n_tokens = n
        llm._requires_eval = True  # the logits were not saved: the next token is evaluated
        self._last_exchange = (saved.text, saved.text_tokens) if saved.text else ("", [])
        log.info("reopened %d tokens of conversation %s from %s", n, session, saved.path.name)
        return saved

    def _snapshot(self, session: str | None) -> Callable[[], None] | None:
        """Copy llama.cpp's state for the conversation now (under the lock); the returned
        call writes it to disk, after the reply has finished."""
        if not self._saves_states(session):
            return None
        assert self.states is not None and self._state_key is not None and self._llm is not None
        llm, states, key = self._llm, self.states, self._state_key
        n = llm.n_tokens
        if n == 0:
            return None
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        if size == 0 or size > states.cap_bytes:
            return None
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, buf, size, 0)
        if written == 0 or written > size:
            return None
        tokens = llm.input_ids[:n].tolist()
        text, text_tokens = self._last_exchange
        if not text or text_tokens[:n] != tokens:
            text, text_tokens = "", tokens
        assert session is not None
        view = memoryview(buf).cast("B")[:written]

        def write() -> None:
            states.save(session, key, tokens, view, text=text, text_tokens=text_tokens)

        return write

    def _generate(
        self,
        reply: Reply,
        prompt_text: str,
        tokens: list[int],
        settings: GenerationSettings,
        started: float,
        dropped: int,
        cancel: threading.Event,
        restored: SavedState | None = None,
        *,
        grammar: str | None = None,
        plain: bool = False,
    ) -> Iterator[Event]:
        llm, template = self._require()
        fmt = None if plain else self._reasoning.format
        # a reasoning model's tags may be special tokens: render them so the splitter sees them
        special = fmt is not None
        splitter = None
        if fmt is not None:
            inside = fmt is ReasoningFormat.THINK and opens_thinking(prompt_text)
            splitter = ReasoningSplitter(fmt, in_thinking=inside)
        n_ctx = llm.n_ctx()
        room = n_ctx - len(tokens)
        limit = min(settings.max_tokens, room)
        seed = settings.seed if settings.seed >= 0 else random.randrange(2**32)
        llm.set_seed(seed)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        vocab = llm._model.vocab  # llama-cpp-python exposes no public accessor
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = _StopMatcher(tuple(settings.stop) + (() if plain else template.stop))

        def cancelled(_ids: npt.NDArray[np.intc], _logits: npt.NDArray[np.single]) -> bool:
            return cancel.is_set()

        n_out, first_at, last_at, prompt_eval = 0, 0.0, 0.0, 0
        sampled: list[int] = []
        self._last_exchange = ("", [])
        reason = StopReason.MAX_TOKENS if limit == settings.max_tokens else StopReason.CONTEXT_FULL
        reported = 0.0
        raw = ""  # the reply's text as the model wrote it, thinking and tags included
        try:
            for done, total in self._prefill(llm, tokens, cancel):
                prompt_eval = done  # when nothing is new, generate() re-evaluates the last token
                yield PromptProgress(done, total)
            if cancel.is_set():
                reason = StopReason.CANCELLED
                return
            for token in llm.generate(
                tokens,
                top_k=settings.top_k,
                top_p=settings.top_p,
                min_p=settings.min_p,
                temp=settings.temperature,
                repeat_penalty=settings.repeat_penalty,
                stopping_criteria=llama_cpp.StoppingCriteriaList([cancelled]),
                grammar=LlamaGrammar.from_string(grammar) if grammar else None,
            ):
                now = time.perf_counter()
                if n_out == 0:
                    first_at = now
                    prompt_eval = prompt_eval or 1
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    reason = StopReason.END_OF_TURN
                    break
                n_out += 1
                sampled.append(token)
                last_at = now
                piece = llm.detokenize([token], special=special)
                text, hit = stops.feed(decoder.decode(piece))
                if text:
                    raw += text
                    yield from splitter.feed(text) if splitter else (TextDelta(text),)
                if now - reported >= _TOKEN_COUNT_EVERY_S:
                    reported = now
                    yield TokenCount(n_out, now - first_at, len(tokens) + n_out)
                if hit:
                    reason = StopReason.STOP_STRING
                    break
                if n_out >= limit:
                    break
            else:
                if cancel.is_set():
                    reason = StopReason.CANCELLED
            if reason not in (StopReason.STOP_STRING,):
                tail = stops.feed(decoder.decode(b"", final=True))[0] + stops.flush()
                if tail:
                    raw += tail
                    yield from splitter.feed(tail) if splitter else (TextDelta(tail),)
            if splitter is not None:
                yield from splitter.flush()
        except (GeneratorExit, KeyboardInterrupt):
            reason = StopReason.CANCELLED
            raise
        except _PrefillAborted:
            reason = StopReason.CANCELLED
        except RuntimeError as exc:  # llama_decode failures surface as RuntimeError
            log.error("generation failed: %s", exc)
            reason = StopReason.ERROR
            raise EngineError(f"generation failed: {exc}") from exc
        finally:
            if splitter is not None:  # stopped early: what the splitter held back is kept too
                for held in splitter.flush():
                    if isinstance(held, TextDelta):
                        reply.text += held.text
                    else:
                        reply.thinking += held.text
            text = raw + stops.pending
            exact = not decoder.getstate()[0] and "\ufffd" not in text
            if reason != StopReason.STOP_STRING and exact:
                # the reply's text is exactly its tokens: the next turn can re-use them
                self._last_exchange = (prompt_text + text, tokens + sampled)
            decode_s = last_at - first_at
            reply.metrics = ReplyMetrics(
                prompt_tokens=len(tokens),
                prompt_eval_tokens=prompt_eval,
                completion_tokens=n_out,
                # no first token, no time to it: a reply stopped before it has none
                ttft_ms=(first_at - started) * 1000.0 if n_out else None,
                decode_tps=(n_out - 1) / decode_s if n_out > 1 and decode_s > 0 else 0.0,
                stop_reason=reason,
                dropped_turns=dropped,
                restored_tokens=_shared_prefix(restored.tokens, tokens) if restored else 0,
            )

    def _prefill(
        self, llm: llama_cpp.Llama, tokens: list[int], cancel: threading.Event
    ) -> Iterator[tuple[int, int]]:
        """Evaluate the prompt's new tokens one batch at a time, yielding (done, total).

        ``Llama.generate`` would evaluate them in one call that neither reports progress nor
        stops; here progress is reported between batches, and llama.cpp's abort callback stops a
        batch between graph nodes once ``cancel`` is set. The batches are the ones ``generate``
        would make (``n_batch`` tokens from the end of the cached prefix), so the logits, and a
        greedy reply, are the same as raw llama-cpp-python's; ``generate`` then finds the whole
        prompt evaluated and samples at once. A prompt already wholly cached is left to it.

        Raises:
            _PrefillAborted: ``cancel`` was set; the cache holds what was evaluated before.
        """
        cached = llm.input_ids[: llm.n_tokens]
        n = min(len(cached), len(tokens))
        equal = np.asarray(cached[:n]) == np.asarray(tokens[:n], dtype=np.intc)
        same = n if equal.all() else int(np.argmin(equal))
        todo = tokens[same:]
        if not todo:
            return
        if same < llm.n_tokens and not llm._ctx.kv_cache_seq_rm(-1, same, -1):
            # recurrent and hybrid models (Mamba, RWKV, ...) cannot cut their state back: start
            # over, as Llama.generate does (llama-cpp-python offers no public call for this)
            llm.reset()  # type: ignore[no-untyped-call]  # unannotated upstream
            same, todo = 0, tokens
        llm.n_tokens = same  # eval() drops the KV cache beyond this
        step = max(1, llm.n_batch)
        yield 0, len(todo)
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_cb, None)
        # With a draft model llama-cpp-python keeps every position's logits, as checking a draft
        # needs; the prompt needs only its last one, and computing and copying the rest (151k
        # floats a token for Qwen) would slow prompt processing down for nothing.
        logits_all, llm._logits_all = llm._logits_all, False
        try:
            for start in range(0, len(todo), step):
                if cancel.is_set():
                    raise _PrefillAborted
                try:
                    llm.eval(todo[start : start + step])
                except RuntimeError:
                    if cancel.is_set():  # llama_decode returned "aborted"
                        raise _PrefillAborted from None
                    raise
                yield min(start + step, len(todo)), len(todo)
        except BaseException:
            if getattr(llm, "_is_recurrent", False) or getattr(llm, "_is_hybrid", False):
                # a batch cut off part-way leaves a recurrent state half updated
                llm.reset()  # type: ignore[no-untyped-call]  # unannotated upstream
            raise
        finally:
            llm._logits_all = logits_all
            # Decoding checks the flag per token; a callback per graph node would cost speed.
            llama_cpp.llama_set_abort_callback(llm.ctx, _NO_ABORT, None)


_TOKEN_COUNT_EVERY_S = 0.25  # live tokens/s, a few times a second


class _PrefillAborted(Exception):
    """Prompt processing stopped because the reply was cancelled."""


_NO_ABORT = llama_cpp.ggml_abort_callback()  # a NULL function pointer


def _abort_callback(engine: Engine) -> Any:
    def abort(_data: ctypes.c_void_p) -> bool:
        return engine._aborting()

    return llama_cpp.ggml_abort_callback(abort)


def json_grammar(schema: dict[str, Any] | None = None) -> str:
    """A GBNF grammar for any JSON value (``schema`` None) or for JSON matching ``schema``.

    Raises:
        ValueError: the schema uses something llama.cpp's converter cannot express.
    """
    if schema is None:
        return JSON_GBNF
    try:
        return str(json_schema_to_gbnf(json.dumps(schema)))
    except (KeyError, TypeError, ValueError, NotImplementedError, RecursionError) as exc:
        raise ValueError(f"the JSON schema cannot be turned into a grammar: {exc}") from exc


def _clear_cache(llm: llama_cpp.Llama) -> None:
    """Empty llama.cpp's cache (KV cells and any recurrent state) of every sequence."""
    memory = llama_cpp.llama_get_memory(llm.ctx)
    if memory is not None:
        llama_cpp.llama_memory_clear(memory, True)


def _shared_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    equal = np.asarray(a[:n], dtype=np.intc) == np.asarray(b[:n], dtype=np.intc)
    return n if equal.all() else int(np.argmin(equal))


def _state_key(info: ModelInfo, settings: LoadSettings, lora: LoraAdapter | None) -> StateKey:
    """What a conversation's saved state is valid for: this file, these settings, this build."""

    def file_id(path: Path) -> str:
        resolved = Path(path).resolve()
        st = resolved.stat()
        return f"{resolved}|{st.st_size}|{st.st_mtime_ns}"

    shape = {"flash_attn": settings.flash_attn}
    if lora is not None:
        shape["lora"] = file_id(lora.path)  # type: ignore[assignment]
        shape["lora_scale"] = lora.scale  # type: ignore[assignment]
    return StateKey(
        model=file_id(info.path),
        settings=json.dumps(shape, sort_keys=True),
        runtime=(
            f"llama-cpp-python {llama_cpp.__version__}, "
            f"state format {llama_cpp.LLAMA_STATE_SEQ_VERSION}"
        ),
    )


def prompt_tokens_evaluated(llm: llama_cpp.Llama) -> int:
    """Prompt tokens llama.cpp evaluated since the last perf reset, by its own counters.

    llama.cpp counts a multi-token decode in ``n_p_eval`` and a single-token one in ``n_eval``,
    and reports each as at least 1. So a reading of 1 means the prompt needed a single token
    (the usual case when the whole prompt was cached and llama-cpp-python replays the last one).
    """
    perf = llama_cpp.llama_perf_context(llm.ctx)
    return int(perf.n_p_eval) if perf.n_p_eval > 1 else 1


# llama.cpp's vocabulary types whose tokens, put together, give back at least every input byte
_KEEPS_EVERY_BYTE = frozenset(
    {
        llama_cpp.LLAMA_VOCAB_TYPE_SPM,
        llama_cpp.LLAMA_VOCAB_TYPE_BPE,
        llama_cpp.LLAMA_VOCAB_TYPE_RWKV,
    }
)


def _too_long(message: ChatMessage, limit: int | None) -> bool:
    """Whether a message has more than ``limit`` bytes of UTF-8, at no cost: a character is at
    least a byte. One given only in part (with its ``size``) is too long by definition."""
    return "size" in message or (limit is not None and len(message["content"]) > limit)


def _utf8_size(message: ChatMessage) -> int:
    size = message.get("size")
    if size is not None:
        return size
    text = message["content"]
    if text.isascii():
        return len(text)
    step = 1 << 20  # a piece at a time: no second copy of a 200 MB text
    return sum(
        len(text[i : i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step)
    )


def _drop_leading(body: list[ChatMessage], n: int) -> list[ChatMessage]:
    """Drop ``n`` messages from the front, then any assistant messages left leading the rest.

    Templates that insist on alternating roles want the kept history to start with a user turn.
    """
    kept = body[n:]
    while len(kept) > 1 and kept[0]["role"] == "assistant":
        kept = kept[1:]
    return kept


def _discard_logits(llm: llama_cpp.Llama) -> None:
    """Give ``llm`` a logits store of one row that every position shares.

    With a draft model llama-cpp-python copies the logits of every evaluated token into
    ``Llama.scores``, but sizes that array for ``n_batch`` positions unless the model was loaded
    with ``logits_all``, so the first draft checked past position ``n_batch`` fails ("could not
    broadcast input array"). Loading with ``logits_all`` would reserve ``n_ctx * n_vocab`` floats
    instead (5 GB for Qwen at 8192 tokens). The engine never reads those logits: llama.cpp's
    sampler reads its own, by batch index. So every position is given the same row: the copy
    still happens (as it does upstream), nothing grows.
    """
    row = np.zeros(llm.n_vocab(), dtype=np.single)
    llm.scores = np.lib.stride_tricks.as_strided(
        row, shape=(llm.n_ctx(), row.shape[0]), strides=(0, row.itemsize)
    )


def _lora_failure(info: ModelInfo, lora: LoraAdapter, errors: list[str]) -> str:
    # "llama_adapter_lora_init_from_file_ptr: failed to apply lora adapter: tensor ... shape"
    reasons = (e.split(": failed to apply lora adapter: ", 1)[-1] for e in errors)
    reason = "; ".join(dict.fromkeys(reasons)) or "llama.cpp gave no reason"
    return (
        f"the LoRA adapter {lora.path.name} cannot be applied to {info.path.name} ({info.name}): "
        f"{reason}. An adapter works only on the model it was trained for"
    )


def _load_failure(info: ModelInfo, errors: list[str], exc: Exception) -> str:
    reason = "; ".join(dict.fromkeys(e for e in errors if "failed to load model" not in e))
    if "unknown model architecture" in reason:
        return (
            f"this llama.cpp build cannot run {info.path.name}: {reason}. "
            "A newer llama-cpp-python may support it"
        )
    if "create" in str(exc).lower() and "context" in str(exc).lower():
        return (
            f"{info.path.name} loaded but its context could not be created ({reason or exc}): "
            "probably out of memory; try a shorter context or fewer GPU layers"
        )
    return f"llama.cpp could not load {info.path.name}: {reason or exc}"
