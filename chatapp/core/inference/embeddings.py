"""Text embeddings from a GGUF model (an embedding model such as nomic-embed-text, or any model
llama.cpp can pool), for ``/v1/embeddings`` today and the documents feature to come.

The model is loaded apart from the chat model, with llama.cpp's embedding mode on; one call
embeds a batch of texts, one at a time under a lock. Where the llama.cpp build can offload, all
its layers go to the GPU (the chat engine's rule); a GPU load that fails is retried on the CPU
and ``gpu_failure`` says why, so ``device`` never claims a GPU it does not use.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from chatapp.core.errors import EngineError
from chatapp.core.inference import llamalog
from chatapp.core.inference.engine import (
    BuildInfo,
    build_info,
    default_gpu_layers,
    offloaded_layers,
)
from chatapp.core.models.fit import EMBEDDING_CONTEXT
from chatapp.core.models.modelinfo import ModelInfo, read_model_info

log = logging.getLogger(__name__)

MAX_TEXTS = 256  # one request; more is refused rather than queued for minutes


class EmbeddingError(EngineError):
    """The texts cannot be embedded (too many, too long); the message says which."""


@dataclass(frozen=True)
class Embedded:
    vectors: list[list[float]]
    tokens: int


class Embedder:
    """One embedding model, loaded."""

    def __init__(
        self, path: Path | str, *, n_ctx: int = EMBEDDING_CONTEXT, build: BuildInfo | None = None
    ) -> None:
        """Raises ModelFileError (not a GGUF, missing) or EngineError (llama.cpp refused it).

        ``build`` is what the llama.cpp build can do (``build_info()`` unless given).
        """
        self.info: ModelInfo = read_model_info(path)
        self._lock = threading.Lock()
        self._build = build or build_info()
        self.gpu_layers_requested = default_gpu_layers(self._build)
        self.layers_offloaded = 0
        # why the GPU load failed, when it did and the model runs on the CPU instead
        self.gpu_failure: str | None = None
        n_ctx = min(n_ctx, self.info.context_length or n_ctx)
        self._llm = self._load_somewhere(n_ctx, llama_cpp.LLAMA_POOLING_TYPE_UNSPECIFIED)
        if (
            int(self._llm.pooling_type()) == llama_cpp.LLAMA_POOLING_TYPE_NONE
        ):  # typed "str" upstream
            # a chat model names no pooling: average its token vectors (llama.cpp does it)
            self._llm.close()
            self._llm = self._load_somewhere(n_ctx, llama_cpp.LLAMA_POOLING_TYPE_MEAN)
        log.info("embedding model %s runs on %s", self.info.path.name, self.device)

    @property
    def device(self) -> str:
        """Where the model runs, in words: "GPU (CUDA)", "CPU", or "CPU (GPU load failed)"."""
        if self.layers_offloaded:
            return f"GPU ({self._build.backend})"
        return "CPU (GPU load failed)" if self.gpu_failure is not None else "CPU"

    def _load_somewhere(self, n_ctx: int, pooling: int) -> llama_cpp.Llama:
        """On the GPU where the build offloads (unless it failed before), else on the CPU."""
        if self.gpu_layers_requested and self.gpu_failure is None:
            try:
                return self._load(n_ctx, pooling, self.gpu_layers_requested)
            except EngineError as exc:
                self.gpu_failure = str(exc)
                log.warning(
                    "%s could not be loaded on the GPU (%s); it runs on the CPU instead",
                    self.info.path.name,
                    exc,
                )
        return self._load(n_ctx, pooling, 0)

    def _load(self, n_ctx: int, pooling: int, gpu_layers: int) -> llama_cpp.Llama:
        with llamalog.capture() as lines:
            try:
                llm = llama_cpp.Llama(
                    model_path=str(self.info.path),
                    embedding=True,
                    n_ctx=n_ctx,
                    n_gpu_layers=gpu_layers,
                    pooling_type=pooling,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                why = "; ".join(llamalog.errors(lines)) or str(exc)
                raise EngineError(
                    f"cannot load {self.info.path.name} as an embedding model: {why}"
                ) from exc
        self.layers_offloaded = offloaded_layers(lines) if gpu_layers else 0
        return llm

    @property
    def name(self) -> str:
        return self.info.path.stem

    @property
    def max_tokens(self) -> int:
        """The longest text, in tokens, one vector can be made from (llama.cpp reads a text in
        one batch: the context or the batch, whichever is smaller)."""
        return min(self._llm.n_ctx(), self._llm.n_batch)

    def count_tokens(self, text: str) -> int:
        """How many of the model's tokens ``text`` takes (without the BOS token)."""
        with self._lock:
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def embed(self, texts: list[str]) -> Embedded:
        """One unit-length vector per text.

        Raises:
            EmbeddingError: more than ``MAX_TEXTS`` texts, or one longer than the context.
        """
        if len(texts) > MAX_TEXTS:
            raise EmbeddingError(f"at most {MAX_TEXTS} texts at once, got {len(texts)}")
        with self._lock:
            llm = self._llm
            n_ctx = min(llm.n_ctx(), llm.n_batch)
            tokens = 0
            vectors: list[list[float]] = []
            for i, text in enumerate(texts):
                n = len(llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))
                if n > n_ctx:
                    raise EmbeddingError(
                        f"text {i} takes {n} tokens, more than the {n_ctx} the model reads"
                    )
                tokens += n
                vector = llm.embed(text, normalize=True, truncate=False)
                vectors.append([float(x) for x in vector])  # type: ignore[union-attr]
            return Embedded(vectors, tokens)

    def close(self) -> None:
        with self._lock:
            self._llm.close()


__all__ = ["MAX_TEXTS", "Embedded", "Embedder", "EmbeddingError"]
