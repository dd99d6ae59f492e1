"""``chatapp backends add/list/rm`` and ``chatapp chat --backend`` as a user runs them: a real
process, a real OpenAI-compatible server on 127.0.0.1 behind the fault proxy, real SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatapp.core.inference.metrics import StopReason
from chatapp.core.storage.store import Store
from tests.faultproxy import Fault, FaultProxy
from tests.helpers import conversation_id, run_cli

SECRET = "sk-never-in-a-file-4242"


def _no_secret_in(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the key is in {path}"


def test_add_list_chat_and_rm_with_the_key_on_stdin(
    tmp_path: Path, fault_proxy: FaultProxy, test_keyring: Path
) -> None:
    data = tmp_path / "data"
    added = run_cli(
        "backends", "add", "lab", fault_proxy.url, "--header", "X-Team: lab",
        "--data-dir", data, stdin=SECRET + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added lab" in added.stderr and "key in the keyring" in added.stderr

    listed = run_cli("backends", "list", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == f"lab\t{fault_proxy.url}\ttiny\n"

    chat = run_cli(
        "chat", "--backend", "lab", "--model", "tiny", "--max-tokens", "9", "--seed", "3",
        "--system", "Be brief.", "--data-dir", data, "Hello, server",
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert "9 tokens" in chat.stderr and "stop: max_tokens" in chat.stderr
    assert f"authorization: bearer {SECRET}" in fault_proxy.heads[-1].lower()
    assert "x-team: lab" in fault_proxy.heads[-1].lower()
    conv_id = conversation_id(chat.stderr)
    with Store.open_dir(data) as store:
        conv = store.get_conversation(conv_id)
        assert (conv.model, conv.system_prompt) == ("tiny", "Be brief.")
        user, reply = store.thread(conv_id)
        assert user.content == "Hello, server"
        assert reply.content == chat.stdout.rstrip("\n") and reply.content
        assert (reply.model, reply.backend) == ("tiny", "lab")
        assert reply.metrics is not None and reply.metrics.completion_tokens == 9

    # a second turn sends the first one back: the conversation goes on on the server
    more = run_cli(
        "chat", "--backend", "lab", "--model", "tiny", "--max-tokens", "4",
        "--continue", conv_id, "--data-dir", data, "And then?",
    )  # fmt: skip
    assert more.returncode == 0, more.stderr
    sent = fault_proxy.bodies[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == reply.content

    _no_secret_in(data)  # settings, backends.json, the database, its WAL, the cache
    removed = run_cli("backends", "rm", "lab", "--data-dir", data)
    assert removed.returncode == 0, removed.stderr
    assert SECRET not in test_keyring.read_text()  # the key went with it
    listed = run_cli("backends", "list", "--data-dir", data)
    assert listed.stdout == "" and "no servers yet" in listed.stderr


def test_key_env_saves_only_the_variable_name(
    tmp_path: Path, fault_proxy: FaultProxy, test_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    added = run_cli("backends", "add", "lab", fault_proxy.url, "--key-env", "LAB_KEY",
                    "--data-dir", data)  # fmt: skip
    assert added.returncode == 0, added.stderr
    saved = json.loads((data / "backends.json").read_text())
    assert saved["servers"][0]["key_env"] == "LAB_KEY"
    unset = run_cli("chat", "--backend", "lab", "--model", "tiny", "--data-dir", data, "Hi")
    assert unset.returncode == 1
    assert unset.stderr == "chatapp: the key of lab is read from $LAB_KEY, which is not set\n"
    monkeypatch.setenv("LAB_KEY", SECRET)
    chat = run_cli("chat", "--backend", "lab", "--model", "tiny", "--max-tokens", "3",
                   "--data-dir", data, "Hi")  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert f"authorization: bearer {SECRET}" in fault_proxy.heads[-1].lower()
    _no_secret_in(data)
    assert not test_keyring.exists() or SECRET not in test_keyring.read_text()


def test_without_a_keyring_adding_a_key_says_to_use_key_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    r = run_cli("backends", "add", "lab", "http://gpu-box:8000/v1", "--data-dir", tmp_path,
                stdin=SECRET + "\n")  # fmt: skip
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "no keyring is usable here (no system keychain was found)" in r.stderr
    assert "--key-env VAR" in r.stderr
    assert not (tmp_path / "backends.json").exists()


def test_errors_are_one_line_and_a_cut_reply_is_kept(
    tmp_path: Path, fault_proxy: FaultProxy, test_keyring: Path
) -> None:
    data = tmp_path / "data"
    assert run_cli("backends", "add", "lab", fault_proxy.url, "--data-dir", data,
                   stdin="\n").returncode == 0  # fmt: skip
    chat = ("chat", "--backend", "lab", "--model", "tiny", "--data-dir", data)

    fault_proxy.fault = Fault(status=401)
    r = run_cli(*chat, "Hi")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("chatapp: lab refused the API key (401")
    listed = run_cli("backends", "list", "--data-dir", data)  # listing says it too, one line
    assert listed.returncode == 0
    fault_proxy.fault = Fault(status=429, headers={"Retry-After": "30"}, paths=("/models",))
    listed = run_cli("backends", "list", "--data-dir", data)
    assert listed.stdout.startswith(f"lab\t{fault_proxy.url}\terror: lab is limiting requests")
    assert "try again in 30 s" in listed.stdout and listed.stdout.count("\n") == 1

    fault_proxy.fault = Fault(cut_after=1500)
    r = run_cli(*chat, "--max-tokens", "200", "Tell me more")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "the connection to lab was cut mid-reply; what came is kept" in r.stderr
    with Store.open_dir(data) as store:
        cut_in = r.stderr.rsplit("(conversation ", 1)[1].rstrip(")\n")
        reply = store.thread(cut_in)[-1]
        assert reply.content and r.stdout.startswith(reply.content)
        assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.ERROR

    for bad, words in [
        (("backends", "add", "x y", "http://a/v1"), "'x y' cannot name a server"),
        (("backends", "add", "lab", "gpu-box:8000"), "is not a server URL"),
        (("backends", "add", "lab", "http://a/v1", "--header", "Authorization: Bearer k"),
         "the Authorization header is the API key"),
        (("backends", "rm", "nope"), "there is no server named 'nope'"),
        (("chat", "--backend", "nope", "--model", "m", "Hi"), "there is no server named 'nope'"),
        (("chat", "--backend", "lab", "--model", "m", "--ctx", "99", "Hi"),
         "--ctx: only for a model on this computer"),
    ]:  # fmt: skip
        r = run_cli(*bad, "--data-dir", data, stdin="\n")
        assert r.returncode == 1 and r.stderr.count("\n") == 1, (bad, r.stderr)
        assert words in r.stderr and "Traceback" not in r.stderr, (bad, r.stderr)


def test_offline_mode_refuses_a_server_not_marked_local(tmp_path: Path, test_keyring: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("backends", "add", "far", "http://gpu-box.example:8000/v1",
                   "--data-dir", data, stdin="\n").returncode == 0  # fmt: skip
    (data / "settings.json").write_text(json.dumps({"version": 1, "offline": True}))
    r = run_cli("chat", "--backend", "far", "--model", "m", "--data-dir", data, "Hi")
    assert r.returncode == 1
    assert "offline mode is on: chatapp does not talk to far (gpu-box.example)" in r.stderr
    listed = run_cli("backends", "list", "--data-dir", data)
    assert "error: offline mode is on" in listed.stdout
