"""File → Speed and memory…: kept readings of conversations, and when documents are read whole.

A conversation's reading (llama.cpp's KV cache after its last turn) is kept, so coming back to it
reads only the new message instead of the whole conversation again. Here the user chooses whether
readings are kept on disk (and how much disk they may take), sees what they take now and deletes
them, and sets how long whole documents may take to read before passages are used instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.backend.engine import Engine
from app.ui.settings import Settings
from app.ui.speed_control import GIB, MIB, kept_states_dir
from app.ui.theme import show_as_error

MAX_DISK_GIB = 4096
MIN_RAM_MIB, MAX_RAM_MIB = 0, 262_144
MIN_READ_S, MAX_READ_S = 1, 3600


def size_text(size: int) -> str:
    """1.2 GB, 340 MB, 12 kB: the decimal units a file manager shows."""
    if size >= 10**9:
        return f"{size / 10**9:.1f} GB"
    if size >= 10**6:
        return f"{size / 10**6:.0f} MB"
    return f"{max(1, round(size / 10**3))} kB"


def free_disk_bytes(directory: str) -> int | None:
    """Free space on the disk that holds ``directory`` (or would, once made)."""
    path = Path(directory)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def total_ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf: not checked there
        return None


class SpeedDialog(QDialog):
    def __init__(self, settings: Settings, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings, self.engine = settings, engine
        self.setWindowTitle(self.tr("Speed and memory"))
        self.setMinimumWidth(560)

        intro = QLabel(
            self.tr(
                "What the model has read of a conversation is kept, so your next message there is "
                "answered without reading the whole conversation again, also after a restart."
            )
        )
        intro.setWordWrap(True)
        intro.setEnabled(False)  # the muted colour
        self.keep = QCheckBox(
            self.tr("Keep each conversation's reading on disk, so coming back to it is fast")
        )
        self.keep.setObjectName("keepReadings")
        self.keep.setChecked(bool(settings.get("kept_states/enabled")))
        self.disk = QSpinBox()
        self.disk.setObjectName("keptDiskGib")
        self.disk.setRange(0, MAX_DISK_GIB)
        self.disk.setSpecialValueText(self.tr("Automatic"))
        self.disk.setSuffix(self.tr(" GiB"))
        self.disk.setValue(int(settings.get("kept_states/disk_gib")))
        self.disk.setToolTip(
            self.tr("Automatic: up to 8 GiB, and never more than a tenth of the free space.")
        )
        self.ram = QSpinBox()
        self.ram.setObjectName("keptRamMib")
        self.ram.setRange(MIN_RAM_MIB, MAX_RAM_MIB)
        self.ram.setSingleStep(256)
        self.ram.setSuffix(self.tr(" MiB"))
        self.ram.setValue(int(settings.get("kept_states/ram_mib")))
        self.usage = QLabel()
        self.usage.setObjectName("keptUsage")
        self.delete_button = QPushButton(self.tr("Delete kept readings"))
        self.delete_button.setObjectName("deleteKeptReadings")
        self.delete_button.clicked.connect(self.delete_kept)
        usage_row = QHBoxLayout()
        usage_row.addWidget(self.usage, 1)
        usage_row.addWidget(self.delete_button)
        for box in (self.disk, self.ram):
            box.setMinimumWidth(150)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.setContentsMargins(24, 4, 0, 0)  # under the checkbox it belongs to
        form.addRow(self.tr("Disk space for them:"), self.disk)
        form.addRow(self.tr("Memory for recent ones:"), self.ram)
        form.addRow(self.tr("On disk now:"), usage_row)

        self.read_limit = QSpinBox()
        self.read_limit.setObjectName("readLimitSeconds")
        self.read_limit.setRange(MIN_READ_S, MAX_READ_S)
        self.read_limit.setSuffix(self.tr(" s"))
        self.read_limit.setValue(int(settings.get("documents/read_limit_s")))
        read_row = QHBoxLayout()
        read_row.addWidget(QLabel(self.tr("Read whole documents when that takes under")))
        read_row.addWidget(self.read_limit)
        read_row.addStretch(1)
        read_note = QLabel(
            self.tr(
                "Longer, and the answer uses the most relevant passages, with a button to read "
                "them whole instead."
            )
        )
        read_note.setWordWrap(True)
        read_note.setEnabled(False)  # the muted colour

        self.error_label = QLabel()
        self.error_label.setObjectName("speedError")
        self.error_label.setWordWrap(True)
        show_as_error(self.error_label, True)
        self.error_label.hide()
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Save | buttons.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.keep)
        layout.addLayout(form)
        layout.addSpacing(14)
        layout.addLayout(read_row)
        layout.addWidget(read_note)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.keep.toggled.connect(self._update)
        self.disk.valueChanged.connect(self._update)
        self.ram.valueChanged.connect(self._update)
        self.show_usage()
        self._update()

    def show_usage(self) -> None:
        files, size = self.engine.kept_states_usage()
        if files == 0:
            self.usage.setText(self.tr("nothing kept"))
        else:
            self.usage.setText(self.tr("%n conversation(s), {size}", "", files).format(size=size_text(size)))
        self.delete_button.setEnabled(files > 0)

    def delete_kept(self) -> None:
        """Every kept reading on disk goes (conversations stay; their next turn reads them again)."""
        self.engine.prune_states(keep=[])
        self.show_usage()

    def problem(self) -> str | None:
        """What is wrong with the values as they stand, in words (None: they can be saved)."""
        if self.keep.isChecked() and self.disk.value() > 0:
            free = free_disk_bytes(kept_states_dir())
            if free is not None and self.disk.value() * GIB > free:
                return self.tr("Only {free} is free on that disk: choose less, or Automatic.").format(
                    free=size_text(free)
                )
        ram = total_ram_bytes()
        if ram is not None and self.ram.value() * MIB > ram // 2:
            return self.tr(
                "This computer has {ram} of memory: keep at most half of it for readings ({most} MiB)."
            ).format(ram=size_text(ram), most=f"{ram // 2 // MIB:,}")
        return None

    def _update(self) -> None:
        on_disk = self.keep.isChecked()
        self.disk.setEnabled(on_disk)
        why = self.problem()
        self.error_label.setText(why or "")
        self.error_label.setVisible(why is not None)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(why is None)

    def save(self) -> None:
        if self.problem() is not None:
            return
        self.settings.set("kept_states/enabled", self.keep.isChecked())
        self.settings.set("kept_states/disk_gib", self.disk.value())
        self.settings.set("kept_states/ram_mib", self.ram.value())
        self.settings.set("documents/read_limit_s", self.read_limit.value())
        self.settings.sync()
        self.accept()
