"""The app's own settings, declared in one place with their defaults.

Stored with QSettings in an INI file inside the data dir, so ``QWENDESK_HOME``
(tests, portable installs) covers them too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from app.paths import data_dir

DEFAULTS: dict[str, Any] = {
    "font_size": 11,  # points, chat text
    "theme": "system",  # system | light | dark
    "last_model": "",
    "window/geometry": QByteArray(),
    "window/state": QByteArray(),
    "window/splitter": QByteArray(),
}
MIN_FONT, MAX_FONT = 7, 32


class Settings:
    """Typed access to the settings file."""

    def __init__(self, path: str | None = None) -> None:
        self._q = QSettings(path or str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        value = self._q.value(key, default)
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
