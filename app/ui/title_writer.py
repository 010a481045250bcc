"""Model-written titles: after a conversation's first answer, the loaded model names it.

In no-think mode, a few tokens, beside the conversation on the engine's thread (the prompt is
the conversation as sent plus one instruction, so llama.cpp's KV cache makes it cheap). It
never holds up the user: a turn sent meanwhile cancels it first. A title the user set by hand
wins: the model's replaces only the one taken from the first question. A model that always
thinks (Thinking-2507) keeps that first title: its reasoning would cost more than a title is worth.

Signals:
    titled(int): a conversation got its model-written title (refresh the list and header).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.backend.protocol import ChatMessage
from app.chat.titles import clean_title, title_from, title_request
from app.chat.turn_request import ANSWERED
from app.models.think_mode import ThinkMode
from app.store.chat_store import ChatStore
from app.store.models import Conversation, Message
from app.ui.engine_bridge import EngineBridge


class TitleWriter(QObject):
    titled = Signal(int)

    def __init__(self, store: ChatStore, bridge: EngineBridge) -> None:
        super().__init__()
        self.store, self.bridge = store, bridge
        self._call: int | None = None  # the write_aside call running or waiting
        self.cancelled = 0  # how many were given up for a turn (tests and the log)

    def after_answer(self, conversation: Conversation, answer: Message, think_mode: ThinkMode) -> bool:
        """Ask for a title if this was the first answer and the title is still the automatic one."""
        if answer.status != "complete" or not answer.content or think_mode == "always":
            return False
        conversation = self.store.get_conversation(conversation.id)  # its title as it is now
        branch = self.store.messages(conversation.id)
        if len(branch) != 2 or branch[0].role != "user":
            return False
        automatic = title_from(branch[0].content)
        if conversation.title != automatic:
            return False  # renamed by hand
        history = _as_sent(conversation, branch)
        cid = conversation.id
        call = self.bridge.write_aside(
            title_request(history), lambda text: self._written(call, cid, automatic, text)
        )
        self._call = call
        return True

    def cancel(self) -> None:
        """A turn is about to go to the engine: the title must not stand in its way."""
        if self._call is not None:
            self.bridge.cancel_aside(self._call)
            self._call = None
            self.cancelled += 1

    def _written(self, call: int, cid: int, automatic: str, text: str | None) -> None:
        if call != self._call:
            return  # given up for a turn: what it wrote may have crossed the cancel
        self._call = None
        title = clean_title(text)
        if title is None:
            return
        try:
            conv = self.store.get_conversation(cid)
        except KeyError:
            return  # deleted meanwhile
        if conv.title == automatic and not conv.deleted:
            self.store.update_conversation(cid, title=title, touch=False)
            self.titled.emit(cid)


def _as_sent(conversation: Conversation, branch: list[Message]) -> list[ChatMessage]:
    """The conversation as the next turn will send it (the same prefix for the KV cache)."""
    system = conversation.system_prompt
    history = [ChatMessage("system", system)] if system.strip() else []
    for m in branch:
        if m.role == "user":
            history.append(ChatMessage("user", m.sent_content or m.content))
        elif m.content and m.status in ANSWERED:
            history.append(ChatMessage("assistant", m.content))
    return history
