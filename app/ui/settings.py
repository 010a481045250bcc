"""The app's own settings, declared in one place with their defaults.

Stored with QSettings in an INI file inside the data dir, so ``QWENDESK_HOME``
(tests, portable installs) covers them too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from app.models.load_options import LoadOptions
from app.paths import data_dir

DEFAULTS: dict[str, Any] = {
    "font_size": 11,  # points, chat text
    "theme": "system",  # system | light | dark
    "language": "system",  # system | en | zh_CN (applies at restart; QWENDESK_LANG overrides)
    "last_model": "",
    # The local OpenAI-compatible API server (app.server); its API key is in the keyring.
    "api_server/enabled": False,
    "api_server/port": 8765,
    "api_server/allow_network": False,
    # Speed and memory (app.ui.speed_control): each conversation's reading (its KV cache) kept on
    # disk, so coming back to it re-reads only what is new; 0 GiB: automatic (min(8 GiB, 10 % free)).
    "kept_states/enabled": True,
    "kept_states/disk_gib": 0,
    "kept_states/ram_mib": 2048,
    # Whole documents that this computer would take longer to read go by passages (with an offer).
    "documents/read_limit_s": 60,
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "window/splitter": QByteArray(),
}
MIN_FONT, MAX_FONT = 7, 32
LOAD_OPTIONS_GROUP = "load_options"  # one JSON value per model file name


class Settings:
    """Typed access to the settings file."""

    def __init__(self, path: str | None = None) -> None:
        self._q = QSettings(path or str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        value = self._q.value(key, default)
        if isinstance(default, bool):  # the INI file stores "true"/"false"
            return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1")
        if isinstance(default, int) and not isinstance(value, int):
            try:
                return int(str(value))
            except (TypeError, ValueError):
                return default
        return value

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(key)
        self._q.setValue(key, value)

    def sync(self) -> None:
        self._q.sync()

    @property
    def font_size(self) -> int:
        return max(MIN_FONT, min(MAX_FONT, int(self.get("font_size"))))

    @font_size.setter
    def font_size(self, value: int) -> None:
        self.set("font_size", max(MIN_FONT, min(MAX_FONT, value)))

    # Per-model load settings, keyed by file name so a model keeps them when its folder moves.

    def load_options(self, model_path: str) -> LoadOptions:
        raw = self._q.value(f"{LOAD_OPTIONS_GROUP}/{_model_key(model_path)}", "")
        try:
            return LoadOptions.from_dict(json.loads(str(raw))) if raw else LoadOptions()
        except ValueError:
            return LoadOptions()

    def set_load_options(self, model_path: str, options: LoadOptions) -> None:
        key = f"{LOAD_OPTIONS_GROUP}/{_model_key(model_path)}"
        if options == LoadOptions():
            self._q.remove(key)
        else:
            self._q.setValue(key, json.dumps(options.to_dict()))


def _model_key(model_path: str) -> str:
    # QSettings treats "/" and "\\" as group separators; a file name has neither.
    return Path(model_path).name
