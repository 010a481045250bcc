"""The About dialog: name, version, llama.cpp, Qt and Python versions, the icon, the privacy statement."""

from __future__ import annotations

import importlib.metadata
import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app import __version__
from app.ui.about import ICON_SIZES, ICONS_DIR, AboutDialog, app_icon, qt_versions
from app.versions import PRIVACY_STATEMENT, Versions


def label_text(dialog: AboutDialog, name: str) -> str:
    label = dialog.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def test_shows_what_this_build_is(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "About QwenDesk"
    assert label_text(dialog, "aboutName") == "QwenDesk"
    assert label_text(dialog, "aboutVersion") == f"Version {__version__}"
    llama = label_text(dialog, "aboutLlamacpp")
    assert llama.startswith(f"llama-cpp-python {importlib.metadata.version('llama-cpp-python')} · ggml ")
    assert llama.endswith("CPU backend") or "CUDA" in llama or "Metal" in llama or "Vulkan" in llama
    assert label_text(dialog, "aboutQt") == f"{qVersion()} (PySide6 {PySide6.__version__})"
    assert label_text(dialog, "aboutPython").startswith(f"{platform.python_version()} (")
    assert label_text(dialog, "aboutPrivacy") == PRIVACY_STATEMENT
    pixmap = dialog.icon_label.pixmap()
    assert not pixmap.isNull() and pixmap.width() == 96
    assert not dialog.windowIcon().isNull()


def test_versions_and_privacy_can_be_passed_in(qtbot: QtBot) -> None:
    versions = Versions(app="9.9.9", llama_cpp_python="0.3.99", backend="Metal", qt="6.9", pyside6="6.9.1")
    dialog = AboutDialog(versions=versions, privacy="Nothing leaves.")
    qtbot.addWidget(dialog)
    assert label_text(dialog, "aboutVersion") == "Version 9.9.9"
    assert label_text(dialog, "aboutLlamacpp") == "llama-cpp-python 0.3.99 · Metal backend"
    assert label_text(dialog, "aboutQt") == "6.9 (PySide6 6.9.1)"
    assert label_text(dialog, "aboutPrivacy") == "Nothing leaves."


def test_privacy_text_is_plain_text_not_html(qtbot: QtBot) -> None:
    dialog = AboutDialog(privacy="<b>bold</b>")
    qtbot.addWidget(dialog)
    label = dialog.findChild(QLabel, "aboutPrivacy")
    assert label is not None and label.textFormat() == Qt.TextFormat.PlainText


def test_copy_versions_for_a_bug_report(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.versions.text()
    assert copied.startswith(f"QwenDesk {__version__}\nllama.cpp: ")


def test_close_button_closes(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected, timeout=2_000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_app_icon_has_every_size() -> None:
    assert all((ICONS_DIR / f"qwendesk-{s}.png").is_file() for s in ICON_SIZES)
    sizes = {(s.width(), s.height()) for s in app_icon().availableSizes()}
    assert {(s, s) for s in ICON_SIZES} <= sizes


def test_qt_versions() -> None:
    assert qt_versions() == (qVersion(), PySide6.__version__)
