"""Will this model fit? An estimate from the GGUF header, said plainly with the numbers behind it.

Memory = weights (the file's tensors) + KV cache (2 x layers x context x KV heads x head size x
2 bytes, f16; the head size is the header's key length, else width / heads) + a compute-buffer
allowance. Compared with free VRAM (GPU builds) and available RAM.

A chat model is not alone when documents are searched: the embedding model chosen for them
(``AppSettings.embedding_model``) is loaded beside it, so its file and a context cache at the
embedder's context are added to the chat model's needs. An embedding model's own fit counts
only itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatapp.core.models.hardware import Machine
from chatapp.core.models.modelinfo import ModelInfo, file_size_label

_GPU_HEADROOM = 0.92  # leave room for the driver and other programs
_RAM_HEADROOM = 0.90

EMBEDDING_CONTEXT = 2048  # the context the embedder loads a model with (at most its trained one)

# llama.cpp's encoder-only architectures: models that embed text and cannot chat
EMBEDDING_ARCHITECTURES = frozenset(
    {"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert",
     "neo-bert", "t5encoder"}
)  # fmt: skip


class Verdict(StrEnum):
    GPU = "fits on GPU"
    PARTIAL = "partly on GPU"
    CPU = "CPU only"
    TOO_LARGE = "too large"


@dataclass(frozen=True)
class Fit:
    verdict: Verdict
    weights_bytes: int
    kv_bytes: int
    overhead_bytes: int
    gpu_layers: int
    n_layer: int
    n_ctx: int
    explanation: str
    embedding_bytes: int = 0  # the documents' embedding model, loaded beside this one

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes + self.embedding_bytes

    @property
    def label(self) -> str:
        if self.verdict == Verdict.PARTIAL:
            return f"partly on GPU ({self.gpu_layers} of {self.n_layer} layers)"
        return str(self.verdict)


def kv_cache_bytes(info: ModelInfo, n_ctx: int) -> int:
    n_layer, n_embd, n_head = info.n_layer or 0, info.n_embd or 0, info.n_head or 0
    if not (n_layer and n_embd and n_head):
        return 0
    head_dim = info.head_dim or n_embd // n_head  # the header's head size, where it says one
    n_kv = info.n_head_kv or n_head
    return 2 * n_layer * n_ctx * n_kv * head_dim * 2


def is_embedding_model(info: ModelInfo) -> bool:
    """Whether the header names an embedding-only (encoder) architecture."""
    return info.architecture in EMBEDDING_ARCHITECTURES


def embedding_bytes(info: ModelInfo) -> int:
    """What an embedding model takes loaded: its file and a context cache at the embedder's
    context."""
    n_ctx = min(info.context_length or EMBEDDING_CONTEXT, EMBEDDING_CONTEXT)
    return info.file_size + kv_cache_bytes(info, n_ctx)


def estimate(
    info: ModelInfo, n_ctx: int, machine: Machine, *, embedding: ModelInfo | None = None
) -> Fit:
    """How ``info`` with a context of ``n_ctx`` fits on ``machine``.

    Args:
        embedding: the documents' embedding model, counted beside ``info`` (it is loaded with
            it); left out when ``info`` is itself an embedding model or that same file.
    """
    weights = info.file_size
    kv = kv_cache_bytes(info, n_ctx)
    overhead = 256 * 1024**2 + weights // 20
    alone = embedding is None or is_embedding_model(info) or embedding.path == info.path
    extra = 0 if alone or embedding is None else embedding_bytes(embedding)
    total = weights + kv + overhead + extra
    n_layer = info.n_layer or 1
    beside = (
        f" + {file_size_label(extra)} for the embedding model {embedding.name}"
        if extra and embedding is not None
        else ""
    )
    needs = (
        f"needs about {file_size_label(total)} ({file_size_label(weights)} weights + "
        f"{file_size_label(kv)} context cache at {n_ctx} tokens{beside})"
    )
    ram = int(machine.ram_available * _RAM_HEADROOM)
    vram = int(machine.vram_free * _GPU_HEADROOM)
    where = f"{file_size_label(machine.ram_available)} RAM available"
    if machine.gpus:
        where += f", {file_size_label(machine.vram_free)} free on {machine.gpus[0].description}"

    def fit(verdict: Verdict, layers: int) -> Fit:
        explanation = f"{needs}; {where}"
        return Fit(verdict, weights, kv, overhead, layers, n_layer, n_ctx, explanation, extra)

    if machine.gpus and total <= vram:
        return fit(Verdict.GPU, n_layer)
    # partly on the GPU: the embedding model (small, every layer offloaded) takes its share of
    # the VRAM first, the chat model's layers the rest
    if machine.gpus and vram > overhead + extra:
        per_layer = (weights + kv) / n_layer
        layers = min(n_layer, int((vram - overhead - extra) / per_layer))
        if layers >= 1 and total - extra - layers * per_layer <= ram:
            return fit(Verdict.PARTIAL, layers)
    if total <= ram:
        return fit(Verdict.CPU, 0)
    return fit(Verdict.TOO_LARGE, 0)


# Quantizations from best to worst quality, for recommending one; anything unknown ranks last.
QUALITY = [
    "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_K", "Q5_1", "Q5_0", "Q4_K_M", "IQ4_NL", "Q4_K_S",
    "IQ4_XS", "Q4_K", "Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "IQ3_M", "Q3_K_S", "IQ3_S", "IQ3_XS",
    "IQ3_XXS", "Q3_K", "Q2_K", "IQ2_M", "IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S",
    "BF16", "F16", "F32",
]  # fmt: skip


def rank(quantization: str) -> int:
    """Lower is better; 16/32-bit files rank after the quantized ones (rarely worth their size)."""
    q = quantization.upper()
    return QUALITY.index(q) if q in QUALITY else len(QUALITY)


def recommend(candidates: list[tuple[str, Fit]]) -> str | None:
    """The best quantization that fits: on the GPU if any does, else in RAM.

    Args:
        candidates: (quantization, fit) pairs, e.g. one per file of a repository.
    """
    for wanted in (Verdict.GPU, Verdict.PARTIAL, Verdict.CPU):
        fitting = [q for q, f in candidates if f.verdict == wanted]
        if fitting:
            return min(fitting, key=rank)
    return None
