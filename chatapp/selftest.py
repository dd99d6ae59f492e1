"""``chatapp --self-test``: is everything this install needs working? One line per check.

Checks Qt (a window drawn offscreen), the conversation store (a temporary database), llama.cpp
(its backend and GPU offload support), the document readers (a PDF and a Word file written here,
read back through the documents feature) and, with ``--model`` or else with a tiny generated
model, loads a model and generates a few tokens. Exit status 0 when every check passed.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chatapp import __version__, bundled

GPU_BUILD_HINT = {
    "nvidia": 'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir '
    "llama-cpp-python",
    "apple": 'CMAKE_ARGS="-DGGML_METAL=on" pip install --force-reinstall --no-cache-dir '
    "llama-cpp-python",
    "amd": 'CMAKE_ARGS="-DGGML_VULKAN=on" pip install --force-reinstall --no-cache-dir '
    "llama-cpp-python",
}
# The bundle cannot be rebuilt by its user: point to the bundle that has the GPU backend.
GPU_BUNDLE_HINT = {
    "nvidia": "download the chatapp bundle whose name ends in -cuda",
    "apple": "download the macOS bundle (-metal)",
    "amd": "no AMD bundle is built yet; install chatapp with pip and, for a Vulkan build, run "
    + GPU_BUILD_HINT["amd"],
}


def unused_gpu_note() -> str | None:
    """A sentence for a machine with a GPU that this llama.cpp build cannot use, else None.

    The "why is it so slow" question: it names the GPU and the one step that gets a GPU build.
    """
    from chatapp.core.inference.engine import build_info

    gpu = unused_gpu()
    if gpu is None or build_info().gpu_offload:
        return None
    step = GPU_BUNDLE_HINT[gpu] if bundled() else f"for a GPU build: {GPU_BUILD_HINT[gpu]}"
    return (
        f"This computer has a GPU ({gpu}) but this llama.cpp build runs on the CPU only, so "
        f"replies are slower than they could be. To use the GPU, {step}"
    )


def unused_gpu() -> str | None:
    """A GPU this machine has that a GPU build of llama.cpp could use: 'nvidia', 'amd', 'apple'."""
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "apple"
    if shutil.which("nvidia-smi") or Path("/proc/driver/nvidia/version").exists():
        return "nvidia"
    if Path("/dev/kfd").exists():
        return "amd"
    return None


def _qt() -> str:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication([])
    label = QLabel("chatapp")
    label.resize(120, 40)
    if label.grab().isNull():
        raise RuntimeError("Qt could not draw a widget")
    platform_name = QApplication.platformName()  # the plugin in use: xcb, wayland, offscreen…
    del app
    return f"Qt {pyside} ({platform_name} platform)"


def _store() -> str:
    from chatapp.core.storage.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store.open_dir(Path(tmp)) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "self-test lighthouse")
        if not store.search("lighthouse"):
            raise RuntimeError("full-text search found nothing")
    return "SQLite store with WAL and FTS5"


def _llama() -> str:
    from chatapp.core.inference.engine import build_info

    b = build_info()
    offload = "supported" if b.gpu_offload else "not in this build"
    return f"llama.cpp backend {b.backend}, GPU offload {offload}"


def write_pdf(path: Path, pages: list[str]) -> None:
    """A PDF with one line of text per page, written by PDFium itself (pypdfium2's raw API);
    the tests make their PDFs with it too."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument.new()
    try:
        for text in pages:
            page = pdf.new_page(612, 792)
            obj = raw.FPDFPageObj_NewTextObj(pdf, b"Helvetica", 12.0)
            buf = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
            raw.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(raw.FPDF_WCHAR)))
            raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, 700)
            raw.FPDFPage_InsertObject(page, obj)
            raw.FPDFPage_GenerateContent(page)
            page.close()
        pdf.save(str(path))
    finally:
        pdf.close()


def _documents() -> str:
    """pypdfium2 (its native libpdfium) and python-docx (its default template) work: a PDF and
    a .docx made here are read back by the documents feature's own extraction."""
    import docx
    from pypdfium2.version import PDFIUM_INFO, PYPDFIUM_INFO

    from chatapp.core.docs.extract import extract

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "self-test.pdf"
        write_pdf(pdf, ["self-test lighthouse"])
        word = Path(tmp) / "self-test.docx"
        document = docx.Document()  # from python-docx's bundled default template
        document.add_heading("Self-test", level=1)
        document.add_paragraph("self-test harbour")
        document.save(str(word))
        for path, want in ((pdf, "lighthouse"), (word, "harbour")):
            text = " ".join(s.text for s in extract(path))
            if want not in text:
                raise RuntimeError(f"{path.name} read back as {text[:80]!r}, without {want!r}")
    return (
        f"PDF (pypdfium2 {PYPDFIUM_INFO}, PDFium {PDFIUM_INFO.build}) and Word "
        f"(python-docx {docx.__version__}) documents read"
    )


def _generate(model: Path | None) -> str:
    from chatapp.core.config.settings import GenerationSettings, LoadSettings
    from chatapp.core.inference.engine import Engine

    with tempfile.TemporaryDirectory() as tmp:
        if model is None:
            from chatapp.core.models.synthetic import write_chat_model

            model = write_chat_model(Path(tmp) / "self-test.gguf", name="self-test model")
        engine = Engine()
        t = time.perf_counter()
        loaded = engine.load(model, LoadSettings(n_ctx=2048))
        reply = engine.stream_chat(
            [{"role": "user", "content": "Say hello."}], GenerationSettings(max_tokens=8, seed=1)
        )
        metrics = reply.run()
        engine.unload()
    return (
        f"{loaded.info.name}: loaded and generated {metrics.completion_tokens} tokens "
        f"({metrics.decode_tps:.0f} tok/s) in {time.perf_counter() - t:.2f} s"
    )


def _api(model: Path | None) -> str:
    """The local API server starts, needs its key and answers with the loaded model."""
    import json
    import urllib.error
    import urllib.request

    from chatapp.api.running import ApiServer
    from chatapp.api.server import ServerOptions, new_key
    from chatapp.core.config.settings import LoadSettings
    from chatapp.core.inference.engine import Engine

    with tempfile.TemporaryDirectory() as tmp:
        if model is None:
            from chatapp.core.models.synthetic import write_chat_model

            model = write_chat_model(Path(tmp) / "self-test.gguf", name="self-test model")
        engine = Engine()
        engine.load(model, LoadSettings(n_ctx=512))
        key = new_key()
        server = ApiServer(engine, ServerOptions(api_key=key), port=0)
        server.start()
        try:
            try:
                urllib.request.urlopen(f"{server.url}/models", timeout=10)
                raise RuntimeError("the server answered without its key")
            except urllib.error.HTTPError as exc:
                if exc.code != 401:
                    raise
            asked = urllib.request.Request(
                f"{server.url}/models", headers={"Authorization": f"Bearer {key}"}
            )
            with urllib.request.urlopen(asked, timeout=10) as r:
                served = json.load(r)["data"][0]["id"]
        finally:
            server.stop()
            engine.unload()
    return f"serves {served} at 127.0.0.1, key required"


def run(model: Path | None) -> int:
    python = "bundled" if bundled() else sys.executable
    print(
        f"chatapp {__version__} self-test on {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()} ({python})"
    )
    checks: list[tuple[str, Callable[[], str]]] = [
        ("Qt", _qt),
        ("store", _store),
        ("llama.cpp", _llama),
        ("documents", _documents),
        ("model", lambda: _generate(model)),
        ("API server", lambda: _api(model)),
    ]
    failed = 0
    for name, check in checks:
        try:
            print(f"  ok    {name}: {check()}")
        except Exception as exc:  # every failure is reported, in words, and counted
            failed += 1
            print(f"  FAIL  {name}: {type(exc).__name__}: {exc}")
    note = unused_gpu_note()
    if note:
        print(f"  note  {note}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0
