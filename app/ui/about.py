"""The About dialog: name, version, the llama.cpp and Qt in use, and what QwenDesk sends where.

Also the app icon (``app_icon``) and Qt's versions for ``qwendesk --version``
(``qt_versions``), since only ``app.ui`` may import Qt. The icons are the PNGs in
``resources/icons`` beside the ``app`` package: a source checkout, an editable
install and the PyInstaller bundle (which puts ``resources/`` next to ``app/``)
all have them; without them the icon is simply empty.
"""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.versions import APP_NAME, PRIVACY_STATEMENT, Versions, collect

ICONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TAGLINE = QT_TRANSLATE_NOOP("AboutDialog", "Chat with Qwen3 models on this computer: local and private.")
# app.versions.PRIVACY_STATEMENT, repeated here so lupdate finds it (a test keeps the two equal).
PRIVACY_SOURCE = QT_TRANSLATE_NOOP(
    "AboutDialog",
    "QwenDesk makes no network connections except the ones you ask for: listing or downloading models "
    "from the Hugging Face Hub, a server you connect to, and the MCP tool servers you enable. No "
    "telemetry, no update checks. Conversations, documents and models stay on this computer.",
)


def qt_versions() -> tuple[str, str]:
    """(the Qt library in use, PySide6)."""
    return qVersion(), PySide6.__version__


def app_icon() -> QIcon:
    """QwenDesk's icon in every size shipped; an empty icon when ``resources/`` is not there."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = ICONS_DIR / f"qwendesk-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class AboutDialog(QDialog):
    """Help → About: what this build is and the privacy promise; **Copy** puts the versions on the clipboard.

    Attributes:
        versions: what is shown (read when the dialog opens unless passed in).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        versions: Versions | None = None,
        privacy: str = PRIVACY_STATEMENT,
    ) -> None:
        super().__init__(parent)
        self.versions = versions or collect(*qt_versions())
        self.setWindowTitle(self.tr("About {app}").format(app=APP_NAME))
        icon = app_icon()
        self.setWindowIcon(icon)

        self.icon_label = QLabel()
        self.icon_label.setObjectName("aboutIcon")
        if not icon.isNull():
            self.icon_label.setPixmap(icon.pixmap(QSize(96, 96)))
        title = _label(APP_NAME, "aboutName")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(
            _label(self.tr("Version {version}").format(version=self.versions.app), "aboutVersion")
        )
        heading.addWidget(_label(QCoreApplication.translate("AboutDialog", str(TAGLINE)), "aboutTagline"))
        heading.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(12)
        top.addLayout(heading, 1)

        form = QFormLayout()
        for label, value in self.versions.rows()[1:]:
            form.addRow(
                self.tr("{label}:").format(label=label),
                _label(value, f"about{label.replace('.', '').title()}"),
            )

        # The statement passed in, translated when it is the one lupdate knows.
        self.privacy_label = _label(QCoreApplication.translate("AboutDialog", privacy), "aboutPrivacy")
        self.privacy_label.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy versions"))
        self.copy_button.setObjectName("aboutCopy")
        self.copy_button.setToolTip(self.tr("Copy the versions above, for a bug report"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.privacy_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(self.versions.text())
