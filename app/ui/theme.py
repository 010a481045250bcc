"""Light and dark looks; the system's choice unless the user picked one.

The look lives in ``resources/style``: ``qwendesk.qss`` is a Qt style sheet with ``@name``
colours, filled from ``palettes.json``. A plain pip install has no ``resources/``; the window
then gets the palette below only, which is enough to be readable.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

STYLE_DIR = Path(__file__).resolve().parents[2] / "resources" / "style"
_NAME = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")
# Used only when resources/ is missing; tests/ui/test_look.py keeps it equal to palettes.json.
_FALLBACK: dict[str, dict[str, str]] = {
    "light": {"bg": "#ffffff", "surface": "#ffffff", "hover": "#ececf1", "text": "#1f1f23",
              "muted": "#6b6b76", "accent": "#2563eb", "accent_text": "#ffffff", "border": "#dcdce2",
              "code_bg": "#f6f8fa", "code_header": "#eaecef", "link": "#1d4ed8"},
    "dark": {"bg": "#1e1f22", "surface": "#26282b", "hover": "#2f3136", "text": "#e8eaed",
             "muted": "#9aa0a6", "accent": "#4c8dff", "accent_text": "#ffffff", "border": "#3c4043",
             "code_bg": "#0d1117", "code_header": "#21262d", "link": "#8ab4f8"},
}  # fmt: skip


def system_is_dark() -> bool:
    scheme = QGuiApplication.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


def resolve_dark(choice: str) -> bool:
    """``QWENDESK_THEME`` (light/dark) wins, then the setting, then the system."""
    choice = os.environ.get("QWENDESK_THEME", choice)
    if choice in ("light", "dark"):
        return choice == "dark"
    return system_is_dark()


@cache
def _palettes() -> dict[str, dict[str, str]]:
    try:
        data = json.loads((STYLE_DIR / "palettes.json").read_text(encoding="utf-8"))
    except OSError:
        return _FALLBACK
    return {name: dict(colors) for name, colors in data.items()}


def colors(dark: bool) -> dict[str, str]:
    """The palette's named colours (``bg``, ``text``, ``code_bg``…) for widgets that paint in code."""
    return dict(_palettes()["dark" if dark else "light"])


def style_sheet(dark: bool) -> str:
    """The filled style sheet, or "" without ``resources/``; an unknown ``@name`` stays as written."""
    try:
        template = (STYLE_DIR / "qwendesk.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    named = colors(dark)
    return _NAME.sub(lambda m: named.get(m[1], m[0]), template)


def _palette(dark: bool) -> QPalette:
    c = colors(dark)
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["bg"],
        QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["bg"],
        QPalette.ColorRole.AlternateBase: c["surface"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.Button: c["surface"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.Highlight: c["accent"],
        QPalette.ColorRole.HighlightedText: c["accent_text"],
        QPalette.ColorRole.ToolTipBase: c["surface"],
        QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.PlaceholderText: c["muted"],
        QPalette.ColorRole.Link: c["link"],
        QPalette.ColorRole.Mid: c["border"],
        QPalette.ColorRole.Midlight: c["hover"],
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["muted"]))
    return p


def apply(app: QApplication, dark: bool) -> None:
    """Fusion with a clean background (not Fusion's grey) in both modes, then the style sheet."""
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    app.setStyleSheet(style_sheet(dark))


def show_as_error(widget: QWidget, error: bool) -> None:
    """Colour a message as an error or not (``QLabel[error="true"]`` in qwendesk.qss).

    A dynamic property is matched when the widget is polished: set before it is shown, no more
    is needed; changed later, the widget is re-polished here to restyle it.
    """
    widget.setProperty("error", error)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


_follow: list[Callable[[], str]] = []  # the latest window's setting; connected once per process


def follow_system(app: QApplication, choice: Callable[[], str]) -> None:
    """Re-apply when the system switches light/dark, while the user's choice is "system"."""

    def changed(_scheme: Qt.ColorScheme) -> None:
        if os.environ.get("QWENDESK_THEME", _follow[0]()) not in ("light", "dark"):
            apply(app, system_is_dark())

    if not _follow:
        QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
    _follow[:] = [choice]
