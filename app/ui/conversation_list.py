"""The conversations, newest first, with search, rename and delete.

Signals:
    selected(int): a conversation was chosen.
    new_requested(): the New button (Ctrl+N is the window's).
    rename_requested(int, str): a new title was entered.
    delete_requested(int): delete chosen from the context menu.
    search_changed(str): the search text changed.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.store.models import Conversation

ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1


def relative_time(ts: float, now: float | None = None) -> str:
    """How long ago: "just now", "5 min ago", "3 h ago", then the date (in the window's language)."""
    delta = max(0.0, (now or time.time()) - ts)
    if delta < 60:
        return QCoreApplication.translate("ConversationList", "just now")
    if delta < 3600:
        return QCoreApplication.translate("ConversationList", "{n} min ago").format(n=int(delta // 60))
    if delta < 86_400:
        return QCoreApplication.translate("ConversationList", "{n} h ago").format(n=int(delta // 3600))
    return time.strftime("%Y-%m-%d", time.localtime(ts))


class ConversationList(QWidget):
    selected = Signal(int)
    new_requested = Signal()
    rename_requested = Signal(int, str)
    delete_requested = Signal(int)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.search_changed.emit)
        self.new_button = QPushButton(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("New conversation (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_requested.emit)
        self.list = QListWidget()
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._on_current)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        self._quiet = False

    def set_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        self._quiet = True
        self.list.clear()
        for c in conversations:
            mode = self.tr("Think on") if c.think else self.tr("Think off")
            facts = f"{mode} · {relative_time(c.updated_at)}"
            tip = c.title
            if c.remote:  # said plainly: this conversation was sent to a server
                facts += " · " + self.tr("remote: {host}").format(host=c.remote)
                tip += "\n" + self.tr("Sent to {host}, outside this computer.").format(host=c.remote)
            item = QListWidgetItem(f"{c.title}\n{facts}")
            item.setData(ID_ROLE, c.id)
            item.setData(TITLE_ROLE, c.title)
            item.setToolTip(tip)
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._quiet = False

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(ID_ROLE))

    def ids(self) -> list[int]:
        return [int(self.list.item(i).data(ID_ROLE)) for i in range(self.list.count())]

    def _on_current(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        if item is not None and not self._quiet:
            self.selected.emit(int(item.data(ID_ROLE)))

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        cid = int(item.data(ID_ROLE))
        menu = QMenu(self)
        menu.addAction(self.tr("Rename…"), lambda: self.ask_rename(cid, str(item.data(TITLE_ROLE))))
        menu.addAction(self.tr("Delete"), lambda: self.delete_requested.emit(cid))
        menu.exec(self.list.mapToGlobal(pos))

    def ask_rename(self, cid: int, current: str) -> None:
        title, ok = QInputDialog.getText(
            self, self.tr("Rename conversation"), self.tr("Title:"), text=current
        )
        if ok and title.strip():
            self.rename_requested.emit(cid, title.strip())
