"""The conversations, newest first, grouped under Today / Yesterday / Previous 7 days / Older.

Group headers are drawn by :class:`_GroupDelegate` above the first row of each group, not added
as rows: so they cannot be selected, the keys skip them, and row i is still conversation i.

Signals:
    selected(int): a conversation was chosen.
    new_requested(): the New button (Ctrl+N is the window's).
    rename_requested(int, str): a new title was entered.
    delete_requested(int): delete chosen from the context menu.
    search_changed(str): the search text changed.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.store.models import Conversation

ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2  # on a group's first row: the header drawn above it
GROUPS = ("today", "yesterday", "week", "older")


def group_of(ts: float, now: float | None = None) -> str:
    """Which group a conversation updated at ``ts`` falls in, by calendar days in local time."""
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    day = datetime.fromtimestamp(ts).date()
    if day >= today:
        return "today"
    if day == today - timedelta(days=1):
        return "yesterday"
    return "week" if day >= today - timedelta(days=7) else "older"


def group_title(group: str) -> str:
    titles = {
        "today": QCoreApplication.translate("ConversationList", "Today"),
        "yesterday": QCoreApplication.translate("ConversationList", "Yesterday"),
        "week": QCoreApplication.translate("ConversationList", "Previous 7 days"),
        "older": QCoreApplication.translate("ConversationList", "Older"),
    }
    return titles[group]


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


class _GroupDelegate(QStyledItemDelegate):
    """Rows as usual; a group's first row also gets its header above it, in ``#listGroupHeader``'s look."""

    def __init__(self, header: QLabel, parent: QWidget) -> None:
        super().__init__(parent)
        self.header = header  # never shown: the style sheet styles it, the delegate copies font and colour

    def _header_height(self, index: QModelIndex | QPersistentModelIndex) -> int:
        if not index.data(GROUP_ROLE):
            return 0
        self.header.ensurePolished()
        return self.header.fontMetrics().height() + (6 if index.row() == 0 else 16)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + self._header_height(index))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        top = self._header_height(index)
        if top:
            rect = QRect(option.rect)
            painter.save()
            painter.setFont(self.header.font())
            painter.setPen(self.header.palette().color(self.header.foregroundRole()))
            text_rect = QRect(rect.left() + 10, rect.top(), rect.width() - 10, top - 2)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
            painter.drawText(text_rect, int(align), str(index.data(GROUP_ROLE)))
            painter.restore()
            row = QStyleOptionViewItem(option)
            row.rect = rect.adjusted(0, top, 0, 0)
            option = row
        super().paint(painter, option, index)


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
        self.list.setObjectName("conversationList")
        self.group_header = QLabel(self)  # the look of the group headers, for the delegate
        self.group_header.setObjectName("listGroupHeader")
        self.group_header.hide()
        self.list.setItemDelegate(_GroupDelegate(self.group_header, self.list))
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

    def set_conversations(
        self, conversations: list[Conversation], current: int | None, now: float | None = None
    ) -> None:
        """Show ``conversations`` (newest first) in their groups; ``now`` is for tests."""
        self._quiet = True
        self.list.clear()
        last_group = None
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
            group = group_of(c.updated_at, now)
            if group != last_group:  # newest first, so each group is one run of rows
                item.setData(GROUP_ROLE, group_title(group))
                last_group = group
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._quiet = False

    def group_headers(self) -> list[tuple[str, list[int]]]:
        """The headers shown, each with the ids under it, in order."""
        out: list[tuple[str, list[int]]] = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(GROUP_ROLE):
                out.append((str(item.data(GROUP_ROLE)), []))
            out[-1][1].append(int(item.data(ID_ROLE)))
        return out

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
