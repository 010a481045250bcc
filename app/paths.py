"""Where QwenDesk keeps its files.

``QWENDESK_HOME`` overrides the per-user data directory so tests and portable
installs never touch the real one.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "QwenDesk"


def data_dir() -> Path:
    """The user data directory, created on first use."""
    override = os.environ.get("QWENDESK_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
