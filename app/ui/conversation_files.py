"""Files attached to the conversation on screen: read in the background, shown as chips in the
composer until they are sent, then on the question they went with; the chip's × removes one.

Signals:
    notice(str): something to show in the status bar (a duplicate file, a file's warnings).
    attach_failed(str): a file could not be attached (the message says which and why).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.documents import DocumentError, PreparedAttachment
from app.store.chat_store import ChatStore
from app.ui.attachments import AttachmentPreparer
from app.ui.chat_view import ChatView
from app.ui.composer import Composer
from app.ui.current_conversation import CurrentConversation
from app.ui.message_widget import MessageWidget


class ConversationFiles(QObject):
    notice = Signal(str)
    attach_failed = Signal(str)

    def __init__(
        self,
        store: ChatStore,
        current: CurrentConversation,
        view: ChatView,
        composer: Composer,
        new_conversation: Callable[[], object],
    ) -> None:
        super().__init__()
        self.store, self.current, self.view, self.composer = store, current, view, composer
        self.new_conversation = new_conversation
        self.preparer = AttachmentPreparer()
        self.preparer.progress.connect(composer.set_preparing)
        self.preparer.prepared.connect(self._on_prepared)
        self.preparer.failed.connect(self._on_prepare_failed)
        self.preparer.busy_changed.connect(lambda busy: None if busy else composer.set_preparing(None))
        composer.files_dropped.connect(self.attach)
        composer.remove_attachment_requested.connect(self.remove)

    def show(self, w: MessageWidget) -> None:
        """A question's files as chips; an answer's sources under it."""
        if w.message.role == "user":
            w.set_attachments(self.store.message_attachments(w.message.id))
        else:
            w.set_sources(self.store.message_sources(w.message.id))

    def attach(self, paths: list[str]) -> None:
        """Read ``paths`` in the background; each becomes a chip on the next message."""
        if not paths:
            return
        if self.current.conversation is None:
            self.new_conversation()
        cid = self.current.id
        assert cid is not None
        for path in paths:
            self.preparer.prepare(cid, path)

    def _on_prepared(self, conversation_id: int, prepared: PreparedAttachment) -> None:
        doc = prepared.document
        if self.store.find_attachment(conversation_id, doc.sha256) is not None:
            self.notice.emit(
                self.tr("{name} is already attached to this conversation.").format(name=doc.name)
            )
            return
        self.store.add_attachment(conversation_id, prepared)
        for warning in doc.warnings:
            self.notice.emit(f"{doc.name}: {warning}")
        if self.current.id == conversation_id:
            self.composer.set_pending(self.store.pending_attachments(conversation_id))

    def _on_prepare_failed(self, path: str, error: DocumentError) -> None:
        self.attach_failed.emit(error.message)

    def remove(self, attachment_id: int) -> None:
        """The chip's ×: later answers leave the file out (answers already given keep their sources)."""
        self.store.remove_attachment(attachment_id)
        cid = self.current.id
        if cid is not None:
            self.composer.set_pending(self.store.pending_attachments(cid))
            for w in self.view.widgets:
                if w.message.role == "user":
                    self.show(w)
