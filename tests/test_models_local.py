"""Model manager pieces that need no network: names, fit, the library, the download queue."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from chatapp.core.inference.engine import Engine, ModelLoadError
from chatapp.core.models.downloads import Queue, State
from chatapp.core.models.fit import Verdict, estimate, kv_cache_bytes, recommend
from chatapp.core.models.hardware import Device, Machine, devices
from chatapp.core.models.hub import HubFile, group_files, quantization_from_name
from chatapp.core.models.library import Library, LibraryError, other_app_folders
from chatapp.core.models.modelinfo import ModelFileError, read_model_info
from chatapp.core.models.synthetic import write_lora_adapter
from tests.helpers import run_cli

GB = 1000**3


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("llama-3.2-1b-instruct-q8_0.gguf", "Q8_0"),
        ("tinyllama-1.1b-chat-v1.0.Q4_0.gguf", "Q4_0"),
        ("Phi-3-mini-4k-instruct-fp16.gguf", "F16"),
        ("model-IQ4_XS.gguf", "IQ4_XS"),
        ("gemma-2-9b-it-Q5_K_S-00001-of-00002.gguf", "Q5_K_S"),
        ("my-model.gguf", "unknown"),
    ],
)
def test_quantization_is_read_from_the_file_name(name: str, quant: str) -> None:
    assert quantization_from_name(name) == quant


def test_split_files_are_one_model_and_projectors_are_left_out() -> None:
    files = group_files(
        "org/repo",
        [
            ("big-Q8_0-00002-of-00002.gguf", 400, "b"),
            ("big-Q8_0-00001-of-00002.gguf", 500, "a"),
            ("small-Q4_K_M.gguf", 300, "c"),
            ("mmproj-f16.gguf", 100, "d"),
            ("README.md", 10, None),
        ],
    )
    assert [f.filename for f in files] == ["small-Q4_K_M.gguf", "big-Q8_0-00001-of-00002.gguf"]
    big = files[1]
    assert big.is_split and big.size == 900 and big.quantization == "Q8_0"
    assert big.parts == ("big-Q8_0-00001-of-00002.gguf", "big-Q8_0-00002-of-00002.gguf")
    assert big.sha256 == {big.parts[0]: "a", big.parts[1]: "b"}


def _machine(ram: float, vram: float | None = None) -> Machine:
    gpus = (Device("CUDA0", "Test GPU", "gpu", int(vram * GB), int(vram * GB)),) if vram else ()
    return Machine(ram_available=int(ram * GB), ram_total=int(ram * GB), gpus=gpus)


def test_fit_says_where_a_model_runs_with_the_numbers(long_model: Path) -> None:
    info = read_model_info(long_model)
    # 4 layers x 2 KV heads x 32 dims (128 wide, 4 heads), f16 K and V
    assert kv_cache_bytes(info, 8192) == 2 * 4 * 8192 * 2 * 32 * 2
    on_gpu = estimate(info, 8192, _machine(16, vram=8))
    assert on_gpu.verdict == Verdict.GPU and on_gpu.label == "fits on GPU"
    assert "weights" in on_gpu.explanation and "8192 tokens" in on_gpu.explanation
    assert estimate(info, 8192, _machine(16)).verdict == Verdict.CPU
    assert estimate(info, 8192, _machine(0.1)).label == "too large"


def test_the_cache_counts_the_head_size_the_header_gives(long_model: Path) -> None:
    """Qwen3 and Gemma 3 heads are not width / heads wide: where the header gives a key length,
    the cache is counted with it."""
    from dataclasses import replace

    info = read_model_info(long_model)
    assert info.head_dim is None  # this test model's header gives none: 128 wide, 4 heads
    wide = replace(info, head_dim=64)
    assert kv_cache_bytes(wide, 8192) == 2 * kv_cache_bytes(info, 8192)
    assert estimate(wide, 8192, _machine(16)).kv_bytes == 2 * 4 * 8192 * 2 * 64 * 2


def test_fit_partial_offload_counts_layers(long_model: Path) -> None:
    from dataclasses import replace

    info = replace(read_model_info(long_model), file_size=8 * GB, n_layer=32)
    fit = estimate(info, 4096, _machine(32, vram=4.5))
    assert fit.verdict == Verdict.PARTIAL
    assert 10 <= fit.gpu_layers < 32
    assert fit.label == f"partly on GPU ({fit.gpu_layers} of 32 layers)"


def test_recommend_prefers_the_best_quantization_that_fits(long_model: Path) -> None:
    from dataclasses import replace

    base = read_model_info(long_model)
    m = _machine(6, vram=6)

    def fit(size_gb: float) -> object:
        return estimate(replace(base, file_size=int(size_gb * GB)), 4096, m)

    cands = [("Q8_0", fit(7.7)), ("Q6_K", fit(6.0)), ("Q4_K_M", fit(4.4)), ("Q2_K", fit(3.0))]
    assert recommend(cands) == "Q4_K_M"  # the best one that fits entirely on the GPU
    assert recommend([("F16", fit(40)), ("Q8_0", fit(30))]) is None


def test_llama_cpp_reports_this_machines_devices() -> None:
    kinds = [d.kind for d in devices()]
    assert "cpu" in kinds
    cpu = next(d for d in devices() if d.kind == "cpu")
    assert cpu.total_bytes > 0


def test_library_lists_imported_files_and_folders_with_their_facts(
    tmp_path: Path, tiny_model: Path, eos_model: Path, not_gguf: Path
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(eos_model, models / "in-a-folder.gguf")
    lib = Library(tmp_path / "data")
    lib.add_file(tiny_model)
    lib.add_folder(models)
    with pytest.raises(ModelFileError, match="not a GGUF"):
        lib.add_file(not_gguf)
    with pytest.raises(LibraryError, match="not a folder"):
        lib.add_folder(tmp_path / "nowhere")
    again = Library(tmp_path / "data")  # persisted
    entries = {e.name: e for e in again.entries()}
    assert set(entries) == {"tiny-chat.gguf", "in-a-folder.gguf"}
    tiny = entries["tiny-chat.gguf"]
    assert tiny.source == "imported" and tiny.info is not None
    assert tiny.info.architecture == "llama" and tiny.info.chat_template
    assert entries["in-a-folder.gguf"].source == "folder"
    again.mark_used(tiny_model)
    assert again.entries()[0].name == "tiny-chat.gguf"  # last used first


def test_a_missing_model_is_listed_as_missing_and_delete_frees_space(
    tmp_path: Path, tiny_model: Path
) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copy(tiny_model, copy)
    lib = Library(tmp_path / "data")
    entry = lib.add_file(copy)
    freed = lib.delete(entry)
    assert freed == tiny_model.stat().st_size and not copy.exists()
    assert lib.entries() == []
    other = tmp_path / "other.gguf"
    shutil.copy(tiny_model, other)
    lib.add_file(other)
    other.unlink()
    (gone,) = Library(tmp_path / "data").entries()
    assert gone.missing and gone.name == "other.gguf"


def test_a_rescan_reads_no_header_until_a_file_changes(
    tmp_path: Path, tiny_model: Path, eos_model: Path, not_gguf: Path
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    model = folder / "model.gguf"
    shutil.copy(tiny_model, model)
    shutil.copy(not_gguf, folder / "notes.gguf")
    lib = Library(tmp_path / "data")
    lib.add_folder(folder)
    listed = lib.entries()
    by_name = {e.name: e for e in listed}
    assert by_name["model.gguf"].info == read_model_info(model)
    assert "not a GGUF" in str(by_name["notes.gguf"].error)
    assert lib.header_reads == 2
    assert lib.entries() == listed and lib.header_reads == 2  # unchanged: nothing read again
    lib.add_file(model)  # importing a listed file reads nothing either
    assert lib.header_reads == 2
    again = Library(tmp_path / "data")  # after a restart: the cache is in the data dir
    assert [e.info for e in again.entries()] == [e.info for e in listed]
    assert again.header_reads == 0
    shutil.copy(eos_model, model)  # another model at the same path: new size and time
    assert {e.name: e.info.name for e in again.entries() if e.info} == {"model.gguf": "Tiny EOS"}
    assert again.header_reads == 1
    st = model.stat()  # the same bytes, touched: read again
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again.entries()
    assert again.header_reads == 2
    again.entries()
    assert again.header_reads == 2


def test_a_library_file_from_an_older_version_is_read_again_not_trusted(
    tmp_path: Path, tiny_model: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    st = tiny_model.stat()
    old = {"size": st.st_size, "mtime": st.st_mtime, "info": {"name": "Old Name", "path": "x"}}
    layout = {"version": 1, "imported": [str(tiny_model)], "headers": {str(tiny_model): old}}
    (data / "library.json").write_text(json.dumps(layout))
    lib = Library(data)
    (entry,) = lib.entries()
    assert entry.info == read_model_info(tiny_model) and lib.header_reads == 1


def test_other_apps_folders_are_offered_when_they_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert other_app_folders() == []
    lm = tmp_path / ".lmstudio" / "models"
    lm.mkdir(parents=True)
    assert other_app_folders() == [lm]


def test_the_download_queue_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "downloads.json"
    q = Queue(path)
    a = q.add(
        HubFile("org/a", "a-Q4_K_M.gguf", ("a-Q4_K_M.gguf",), 100, {"a-Q4_K_M.gguf": "x"}, "Q4_K_M")
    )
    b = q.add(HubFile("org/b", "b-Q8_0.gguf", ("b-Q8_0.gguf",), 200, {}, "Q8_0"))
    q.update(a.id, state=State.DOWNLOADING)
    q.update(b.id, state=State.FAILED, error="boom")
    again = Queue(path)
    assert [(i.repo_id, i.state) for i in again.items()] == [
        ("org/a", State.QUEUED),  # it was running when the app stopped: it resumes
        ("org/b", State.FAILED),
    ]
    assert again.next_queued() is not None and again.next_queued().repo_id == "org/a"
    retry = again.add(HubFile("org/b", "b-Q8_0.gguf", ("b-Q8_0.gguf",), 200, {}, "Q8_0"))
    assert retry.id == b.id and retry.state == State.QUEUED and retry.error == ""


def test_models_cli_list_add_rm(tmp_path: Path, tiny_model: Path, truncated_model: Path) -> None:
    copy = tmp_path / "mine.gguf"
    shutil.copy(tiny_model, copy)
    data = tmp_path / "data"
    assert run_cli("models", "add", copy, "--data-dir", data).returncode == 0
    listed = run_cli("models", "list", "--data-dir", data)
    assert "mine.gguf" in listed.stdout and "llama" in listed.stdout and "F32" in listed.stdout
    bad = run_cli("models", "add", truncated_model, "--data-dir", data)
    assert bad.returncode == 1 and "truncated" in bad.stderr and "Traceback" not in bad.stderr
    rm = run_cli("models", "rm", "mine.gguf", "--data-dir", data)
    assert rm.returncode == 0 and "freed" in rm.stderr and not copy.exists()
    none = run_cli("models", "rm", "nothing-like-this", "--data-dir", data)
    assert none.returncode == 1 and "no model matches" in none.stderr


def test_adapters_are_listed_with_the_base_model_they_belong_to(
    tmp_path: Path, tiny_model: Path, lora_adapter: Path, eos_model: Path
) -> None:
    hub_named = write_lora_adapter(
        tmp_path / "hub-named-lora.gguf",
        base_model="Qwen2.5 0.5B Instruct",
        base_repo_url="https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct",
    )
    lib = Library(tmp_path / "data")
    for path in (tiny_model, eos_model, lora_adapter, hub_named):
        lib.add_file(path)
    entries = {e.name: e for e in lib.entries()}
    adapter = entries[lora_adapter.name].info
    assert adapter is not None and adapter.is_adapter and adapter.adapter_type == "lora"
    assert adapter.base_model == "Tiny Test Chat"
    hub = entries[hub_named.name].info
    assert hub is not None and hub.base_model == "Qwen/Qwen2.5-0.5B-Instruct"
    assert entries["tiny-chat.gguf"].info is not None
    assert not entries["tiny-chat.gguf"].info.is_adapter
    assert entries["tiny-chat.gguf"].info.base_model is None
    assert [e.name for e in lib.adapters_for(entries["tiny-chat.gguf"])] == [lora_adapter.name]
    assert lib.adapters_for(entries["tiny-eos.gguf"]) == []  # "Tiny EOS" is another model
    assert lib.adapters_for(entries[lora_adapter.name]) == []

    listed = run_cli("models", "list", "--data-dir", tmp_path / "data")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(lora_adapter.name))
    assert "lora adapter for Tiny Test Chat" in line
    with pytest.raises(ModelLoadError, match="is a LoRA adapter, not a model"):
        Engine().load(lora_adapter)


# -- the documents' embedding model, counted beside the chat model --------------------------------


@pytest.fixture(scope="module")
def embedding_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GGUF header as an embedding model's: an encoder architecture, 12 layers of 768 wide."""
    from chatapp.core.models.synthetic import ModelShape, write_chat_model

    folder = tmp_path_factory.mktemp("embedding")
    shape = ModelShape(n_embd=768, n_layer=2, n_head=12, n_head_kv=12, n_ff=64, context_length=8192)
    return write_chat_model(
        folder / "nomic-embed-text-v1.5.Q8_0.gguf",
        shape=shape,
        architecture="nomic-bert",
        name="nomic-embed-text-v1.5",
        chat_template=None,
    )


def test_a_chat_models_fit_counts_the_embedding_model_and_says_so(
    long_model: Path, embedding_file: Path
) -> None:
    from chatapp.core.models.fit import EMBEDDING_CONTEXT, embedding_bytes
    from chatapp.core.models.modelinfo import file_size_label

    chat, embed = read_model_info(long_model), read_model_info(embedding_file)
    # its file and a context cache at the embedder's context (not its trained 8192)
    extra = embedding_bytes(embed)
    assert extra == embed.file_size + kv_cache_bytes(embed, EMBEDDING_CONTEXT)
    alone = estimate(chat, 4096, _machine(16))
    both = estimate(chat, 4096, _machine(16), embedding=embed)
    assert alone.embedding_bytes == 0 and "embedding" not in alone.explanation
    assert both.embedding_bytes == extra
    assert both.total_bytes == alone.total_bytes + extra
    assert f"needs about {file_size_label(both.total_bytes)} (" in both.explanation
    assert (
        f"+ {file_size_label(extra)} for the embedding model nomic-embed-text-v1.5)"
        in both.explanation
    )
    # RAM for the chat model alone but not for both: the verdict says so
    ram = (alone.total_bytes + extra // 2) / 0.9 / GB
    assert estimate(chat, 4096, _machine(ram)).verdict == Verdict.CPU
    assert estimate(chat, 4096, _machine(ram), embedding=embed).verdict == Verdict.TOO_LARGE
    # on a GPU the embedding model takes its share of the VRAM before the chat model's layers
    assert chat.n_layer == 4
    per_layer = (alone.weights_bytes + alone.kv_bytes) / 4
    vram = (alone.overhead_bytes + extra + 2.5 * per_layer) / 0.92 / GB
    assert estimate(chat, 4096, _machine(16, vram=vram)).verdict == Verdict.GPU
    shared = estimate(chat, 4096, _machine(16, vram=vram), embedding=embed)
    assert shared.verdict == Verdict.PARTIAL and shared.gpu_layers == 2


def test_an_embedding_models_own_fit_counts_only_itself(embedding_file: Path) -> None:
    from chatapp.core.models.hub import recommended

    embed = read_model_info(embedding_file)
    assert estimate(embed, 2048, _machine(16), embedding=embed).embedding_bytes == 0
    for r in recommended():
        fit = r.fit(4096, _machine(16), embedding=embed)
        assert (fit.embedding_bytes == 0) == (r.kind == "embedding"), r.name
        assert ("for the embedding model" in fit.explanation) == r.can_chat, r.name


def test_the_model_manager_counts_the_chosen_embedding_model(
    tmp_path: Path, embedding_file: Path
) -> None:
    """The Hub worker reads the chosen file's header for the recommended list's fits; a chosen
    file that is gone is left out rather than failing the list."""
    from chatapp.core.models.fit import Fit
    from chatapp.core.models.hub import Hub, Recommended, recommended
    from chatapp.ui.models.model_workers import HubWorker

    worker = HubWorker(Hub(offline=True), Library(tmp_path), recommended())
    listed: list[list[tuple[Recommended, Fit | None]]] = []
    worker.recommended_listed.connect(listed.append)
    worker._recommended(4096)
    worker.embedding_model = str(embedding_file)
    worker._recommended(4096)
    worker.embedding_model = str(tmp_path / "gone.gguf")
    worker._recommended(4096)
    none, chosen, gone = ([(r.kind, f) for r, f in fits if f is not None] for fits in listed)
    assert len(chosen) == len(recommended())
    assert all(f.embedding_bytes == 0 for _, f in none + gone)
    assert all((f.embedding_bytes > 0) == (kind != "embedding") for kind, f in chosen)
