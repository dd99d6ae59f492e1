"""Where chatapp keeps its files. ``--data-dir`` overrides everything (portable use, tests)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "chatapp"


def data_dir(override: Path | str | None = None) -> Path:
    """The directory holding the conversation database (created on first use by the store)."""
    if override is not None:
        return Path(override).expanduser().resolve()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def cache_dir(override_data_dir: Path | str | None = None) -> Path:
    """What can be rebuilt (saved model states): inside the data dir when ``--data-dir`` is
    given, else the platform's cache directory (not backed up, may be cleared)."""
    if override_data_dir is not None:
        return data_dir(override_data_dir) / "cache"
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def config_dir(override_data_dir: Path | str | None = None) -> Path:
    """Settings live beside the data when ``--data-dir`` is given, so a portable dir is whole."""
    if override_data_dir is not None:
        return data_dir(override_data_dir)
    return platformdirs.user_config_path(APP_NAME, appauthor=False)
