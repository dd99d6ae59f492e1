"""Will this model fit? An estimate from the GGUF header, said plainly with the numbers behind it.

Memory = weights (the file's tensors) + KV cache (2 x layers x context x KV heads x head size x
2 bytes, f16; the head size is the header's key length, else width / heads) + a compute-buffer
allowance. Compared with free VRAM (GPU builds) and available RAM.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatapp.core.models.hardware import Machine
from chatapp.core.models.modelinfo import ModelInfo, file_size_label

_GPU_HEADROOM = 0.92  # leave room for the driver and other programs
_RAM_HEADROOM = 0.90


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

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.overhead_bytes

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


def estimate(info: ModelInfo, n_ctx: int, machine: Machine) -> Fit:
    """How ``info`` with a context of ``n_ctx`` fits on ``machine``."""
    weights = info.file_size
    kv = kv_cache_bytes(info, n_ctx)
    overhead = 256 * 1024**2 + weights // 20
    total = weights + kv + overhead
    n_layer = info.n_layer or 1
    needs = (
        f"needs about {file_size_label(total)} ({file_size_label(weights)} weights + "
        f"{file_size_label(kv)} context cache at {n_ctx} tokens)"
    )
    ram = int(machine.ram_available * _RAM_HEADROOM)
    vram = int(machine.vram_free * _GPU_HEADROOM)
    where = f"{file_size_label(machine.ram_available)} RAM available"
    if machine.gpus:
        where += f", {file_size_label(machine.vram_free)} free on {machine.gpus[0].description}"

    def fit(verdict: Verdict, layers: int) -> Fit:
        return Fit(verdict, weights, kv, overhead, layers, n_layer, n_ctx, f"{needs}; {where}")

    if machine.gpus and total <= vram:
        return fit(Verdict.GPU, n_layer)
    if machine.gpus and vram > overhead:
        per_layer = (weights + kv) / n_layer
        layers = min(n_layer, int((vram - overhead) / per_layer))
        if layers >= 1 and total - layers * per_layer <= ram:
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
