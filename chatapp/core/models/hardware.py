"""What this machine has to run a model on: available RAM and the GPUs llama.cpp can use."""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import llama_cpp
import psutil

log = logging.getLogger(__name__)

# enum ggml_backend_dev_type
_KINDS = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}


@dataclass(frozen=True)
class Device:
    """A compute device as llama.cpp's ggml backend registry reports it."""

    name: str
    description: str
    kind: str  # "cpu", "gpu", "igpu", "accel"
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class Machine:
    ram_available: int
    ram_total: int
    gpus: tuple[Device, ...]

    @property
    def vram_free(self) -> int:
        return sum(g.free_bytes for g in self.gpus)


@lru_cache(maxsize=1)
def _ggml() -> ctypes.CDLL | None:
    """libggml from llama-cpp-python's own build (the registry lives there, not in libllama)."""
    libdir = Path(llama_cpp.__file__).parent / "lib"
    for name in ("libggml.so", "libggml.dylib", "ggml.dll"):
        if (libdir / name).exists():
            try:
                lib = ctypes.CDLL(str(libdir / name))
            except OSError as exc:
                log.info("cannot open %s: %s", name, exc)
                return None
            lib.ggml_backend_dev_count.restype = ctypes.c_size_t
            lib.ggml_backend_dev_get.restype = ctypes.c_void_p
            lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
            for fn in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
                getattr(lib, fn).restype = ctypes.c_char_p
                getattr(lib, fn).argtypes = [ctypes.c_void_p]
            lib.ggml_backend_dev_type.restype = ctypes.c_int
            lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
            lib.ggml_backend_dev_memory.argtypes = [
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_size_t),
                ctypes.POINTER(ctypes.c_size_t),
            ]
            return lib
    return None


def devices() -> list[Device]:
    """Every device llama.cpp's build can use, with its free and total memory now."""
    lib = _ggml()
    if lib is None:
        return []
    out = []
    for i in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        out.append(
            Device(
                name=lib.ggml_backend_dev_name(dev).decode(errors="replace"),
                description=lib.ggml_backend_dev_description(dev).decode(errors="replace"),
                kind=_KINDS.get(lib.ggml_backend_dev_type(dev), "other"),
                free_bytes=free.value,
                total_bytes=total.value,
            )
        )
    return out


def machine() -> Machine:
    mem = psutil.virtual_memory()
    gpus = tuple(d for d in devices() if d.kind in ("gpu", "igpu"))
    return Machine(ram_available=int(mem.available), ram_total=int(mem.total), gpus=gpus)
