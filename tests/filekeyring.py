"""A keyring backend for the tests: keys in one JSON file that a test names, never the user's
keychain. In this process a fixture installs it with ``keyring.set_keyring``; a ``chatapp``
process the test starts finds it through ``PYTHON_KEYRING_BACKEND`` (keyring's own switch) and
its file through ``CHATAPP_TEST_KEYRING``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

FILE_VARIABLE = "CHATAPP_TEST_KEYRING"
BACKEND = "tests.filekeyring.FileKeyring"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # keyring declares it as a classproperty

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ[FILE_VARIABLE])

    def _read(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such key")
        self.path.write_text(json.dumps(data), encoding="utf-8")
