"""Where the embedding model runs: the GPU where the build offloads, else the CPU, said plainly;
a GPU load that fails falls back to the CPU and says so."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from chatapp.core.inference import embeddings
from chatapp.core.inference.embeddings import Embedder
from chatapp.core.inference.engine import BuildInfo, build_info


def test_on_this_build_the_embedder_says_where_it_runs(tiny_model: Path) -> None:
    """With the real build probe: all layers asked for where it offloads, none where not."""
    build = build_info()
    e = Embedder(tiny_model)
    try:
        assert e.gpu_layers_requested == (-1 if build.gpu_offload else 0)
        assert e.gpu_failure is None
        if e.layers_offloaded:
            assert e.device == f"GPU ({build.backend})"
        else:
            assert e.device == "CPU"
        assert len(e.embed(["hello"]).vectors[0]) > 0
    finally:
        e.close()


def test_a_build_that_offloads_gets_every_layer_and_the_device_is_what_llama_cpp_did(
    tiny_model: Path,
) -> None:
    """A build reporting GPU offload (this one may not have any): every layer is asked for, and
    the device is read from llama.cpp's own report of what it offloaded, not assumed."""
    e = Embedder(tiny_model, build=BuildInfo("CUDA", True, ""))
    try:
        assert e.gpu_layers_requested == -1
        assert e.gpu_failure is None
        assert e.device == ("GPU (CUDA)" if e.layers_offloaded else "CPU")
        if not build_info().gpu_offload:  # a CPU build offloads nothing, whatever is asked
            assert e.device == "CPU"
    finally:
        e.close()


def test_a_failed_gpu_load_falls_back_to_the_cpu_and_says_so(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = llama_cpp.Llama
    asked: list[int] = []

    def llama(*args: Any, **kwargs: Any) -> llama_cpp.Llama:
        asked.append(kwargs["n_gpu_layers"])
        if kwargs["n_gpu_layers"] != 0:  # what a GPU out of memory looks like to the caller
            raise ValueError("Failed to load model from file")
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings.llama_cpp, "Llama", llama)
    with caplog.at_level(logging.WARNING, logger="chatapp.core.inference.embeddings"):
        e = Embedder(tiny_model, build=BuildInfo("CUDA", True, ""))
    try:
        assert asked[:2] == [-1, 0] and all(n == 0 for n in asked[2:])  # the GPU is tried once
        assert e.gpu_failure is not None and tiny_model.name in e.gpu_failure
        assert e.device == "CPU (GPU load failed)"
        assert "runs on the CPU instead" in caplog.text
        assert len(e.embed(["hello"]).vectors) == 1
    finally:
        e.close()


def test_a_build_without_offload_never_asks_for_gpu_layers(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = llama_cpp.Llama
    asked: list[int] = []

    def llama(*args: Any, **kwargs: Any) -> llama_cpp.Llama:
        asked.append(kwargs["n_gpu_layers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings.llama_cpp, "Llama", llama)
    e = Embedder(tiny_model, build=BuildInfo("CPU", False, ""))
    try:
        assert set(asked) == {0} and e.device == "CPU" and e.gpu_failure is None
    finally:
        e.close()
