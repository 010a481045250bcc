"""Runs the turns of the open conversation: store ↔ engine ↔ widgets.

Streaming is coalesced: engine events only fill buffers, and a timer paints
them at most ~30 times a second, touching only the growing message. The
partial answer is written to the store at least once a second, so a killed
app loses at most the last second and finds the answer, marked interrupted,
on restart. Before the first text, a long prompt's reading is shown where the answer will be
(app.ui.prompt_reading), painted by the same timer. Every turn carries the conversation's cache key,
so the local engine keeps its reading for the next turn, also after a restart.

Signals:
    conversation_changed(int): a conversation's title/options/time changed (refresh the list).
    answering_changed(bool): a turn started or ended.
    notice(str): something to show in the status bar.
    choose_model_requested(): an error's "Choose another model…" button.
    attach_failed(str): a file could not be attached (the message says which and why).
    engine_changed(): what answers changed (a local model loaded, a server connected).
    engine_failed(object): a load or a connection failed while no turn was waiting (its EngineError).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from app.backend.errors import ContextFullError, EngineError, NoModelError
from app.backend.protocol import Done, GenerationRequest, Notice, PromptProgress
from app.chat.titles import title_from
from app.chat.turn_request import assemble_turn
from app.documents import TurnContext
from app.documents.engine_turn import READ_LIMIT_S, DocumentTurn, preparer
from app.models.load_options import LoadOptions
from app.models.machine import Machine, probe_machine
from app.models.think_mode import effective_thinking
from app.remote.endpoint import Endpoint
from app.store.chat_store import CURRENT, ChatStore, Parent
from app.store.models import Conversation, Message, ToolCard
from app.ui.attachments import AttachmentPreparer
from app.ui.chat_view import ChatView
from app.ui.composer import Composer
from app.ui.context_offers import ContextOffers
from app.ui.conversation_files import ConversationFiles
from app.ui.conversation_tools import ConversationTools
from app.ui.current_conversation import CurrentConversation
from app.ui.engine_bridge import EngineBridge, Failure
from app.ui.engine_control import EngineControl
from app.ui.message_widget import MessageWidget
from app.ui.streamed_turn import StreamedTurn
from app.ui.title_writer import TitleWriter

PAINT_INTERVAL_MS = 33  # ≈30 updates per second at most
# A server that does not say its context length (Ollama, some proxies) is assumed to hold Qwen3's
# native 32,768 tokens when documents are budgeted; it refuses a longer prompt with a clear error.
REMOTE_DEFAULT_CTX = 32_768
# Done's counts and timings, kept with the message under the same names.
DONE_FIELDS_STORED = (
    "finish_reason",
    "thinking_budget_hit",
    "prompt_tokens",
    "evaluated_prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "ttft_s",
    "decode_tokens_per_s",
)


class ChatController(QObject):
    conversation_changed = Signal(int)
    answering_changed = Signal(bool)
    notice = Signal(str)
    choose_model_requested = Signal()
    attach_failed = Signal(str)
    engine_changed = Signal()
    engine_failed = Signal(Exception)

    def __init__(
        self,
        store: ChatStore,
        bridge: EngineBridge,
        view: ChatView,
        composer: Composer,
        clock: Callable[[], float] = time.monotonic,
        *,
        saved_options: Callable[[str], LoadOptions] = lambda _path: LoadOptions(),
        machine: Callable[[], Machine] = probe_machine,
    ) -> None:
        super().__init__()
        self.store, self.bridge, self.view, self.composer = store, bridge, view, composer
        self.clock = clock
        self.current = CurrentConversation(store)
        self.engines = EngineControl(bridge, composer, saved_options=saved_options, machine=machine)
        self.engines.engine_changed.connect(self.engine_changed)
        self.engines.engine_failed.connect(self.engine_failed)
        self.engines.notice.connect(self.notice)
        # Document budgets are counted with the loaded model's own tokenizer, on the engine's thread
        # (None here), a server's with the estimate; a counter set here is used instead.
        self.count_tokens: Callable[[str], int] | None = None
        self.read_limit_s: float | None = READ_LIMIT_S  # slower whole documents: passages (a setting)
        self.offers = ContextOffers(bridge, lambda: self.load_options)
        self.turn: StreamedTurn | None = None
        self._versions: dict[int, tuple[int, int]] = {}  # message id → (version, of how many)
        view.built.connect(self._on_built)
        self.titles = TitleWriter(store, bridge)
        self.titles.titled.connect(self.conversation_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(PAINT_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        bridge.prompt_progress.connect(self._on_progress)
        bridge.reasoning.connect(self._on_reasoning)
        bridge.answer.connect(self._on_answer)
        bridge.notice.connect(self._on_notice)
        bridge.done.connect(self._on_done)
        bridge.failed.connect(self._on_failed)
        self.tools = ConversationTools(bridge, self)
        composer.send_requested.connect(self.send)
        composer.stop_requested.connect(self.stop)
        composer.think_toggled.connect(self.set_think)
        composer.budget_changed.connect(self.set_budget)
        self.files = ConversationFiles(store, self.current, view, composer, self.new_conversation)
        self.files.notice.connect(self.notice)
        self.files.attach_failed.connect(self.attach_failed)

    # -------------------------------------------------------- conversations

    @property
    def conversation(self) -> Conversation | None:
        """The conversation on screen (owned by ``self.current``)."""
        return self.current.conversation

    @conversation.setter
    def conversation(self, conversation: Conversation | None) -> None:
        self.current.conversation = conversation

    def open(self, conversation_id: int) -> None:
        if self.turn is not None:
            return  # the window disables switching while answering
        self.current.open(conversation_id)
        assert self.conversation is not None
        self._versions = self.store.version_info(conversation_id)
        self.view.set_messages(self.store.messages(conversation_id))  # wired as built: _on_built
        self.composer.set_pending(self.store.pending_attachments(conversation_id))
        self.composer.set_conversation_options(self.conversation.think, self.conversation.thinking_budget)
        self.view.scroll_to_bottom()

    def new_conversation(self) -> Conversation:
        conv = self.current.create(
            model=self.bridge.model_name,
            think=self.composer.wants_think,  # a new chat starts as the toggle was last set
            thinking_budget=self.composer.budget.value() or None,
        )
        self.open(conv.id)
        self.conversation_changed.emit(conv.id)
        return conv

    def set_think(self, on: bool) -> None:
        if self.conversation is not None:
            conv = self.current.update(think=on)
            self.conversation_changed.emit(conv.id)

    def set_budget(self, tokens: int) -> None:
        if self.conversation is not None:
            self.current.update(thinking_budget=tokens or None, touch=False)

    def _on_built(self, w: MessageWidget) -> None:
        """A message's widget was made (on opening, or scrolled into view): connect and fill it."""
        self._wire(w)
        self._show_documents(w)
        w.set_versions(*self._versions.get(w.message.id, (1, 1)))

    def _show_versions(self) -> None:
        """Every built widget's ‹ n / m › from ``_versions`` (read once per change of the tree)."""
        for w in self.view.widgets:
            w.set_versions(*self._versions.get(w.message.id, (1, 1)))

    def _wire(self, w: MessageWidget) -> None:
        w.version_requested.connect(self.switch_version)
        w.regenerate_requested.connect(self.regenerate)
        w.retry_requested.connect(self.regenerate)
        w.reasoning_toggled.connect(self._on_reasoning_toggled)
        w.edit_submitted.connect(self._on_edit_submitted)
        w.choose_model_requested.connect(self.choose_model_requested.emit)
        w.reload_requested.connect(self.reload_with_context)
        w.read_whole_requested.connect(lambda message_id: self.regenerate(message_id, read_whole=True))
        w.remove_attachment_requested.connect(self.remove_attachment)

    def _show_documents(self, w: MessageWidget) -> None:
        self.files.show(w)

    @property
    def preparer(self) -> AttachmentPreparer:
        return self.files.preparer

    def attach_files(self, paths: list[str]) -> None:
        """Read ``paths`` in the background; each becomes a chip on the next message."""
        self.files.attach(paths)

    def remove_attachment(self, attachment_id: int) -> None:
        self.files.remove(attachment_id)

    # ---------------------------------------------------------------- model

    @property
    def load_options(self) -> LoadOptions:
        return self.engines.load_options

    @property
    def model_loading(self) -> bool:
        return self.engines.model_loading

    @property
    def connecting(self) -> bool:
        return self.engines.connecting

    def load_model(self, path: str, options: LoadOptions | None = None, *, n_ctx: int | None = None) -> None:
        self.engines.load_model(path, options, n_ctx=n_ctx)

    def cancel_load(self) -> None:
        self.engines.cancel_load()

    def connect_remote(self, endpoint: Endpoint, model: str, api_key: str | None) -> None:
        self.engines.connect_remote(endpoint, model, api_key)

    def use_local(self) -> None:
        self.engines.use_local()

    def show_engine(self) -> None:
        self.engines.show_engine()

    def reload_with_context(self, message_id: int, n_ctx: int) -> None:
        """The YaRN-on-demand answer to a full context: reload longer, then answer again."""
        if self.answering or self.bridge.model_path is None:
            return
        self.engines.load_model(self.bridge.model_path, self.load_options, n_ctx=n_ctx)
        self.regenerate(message_id)  # queued behind the load on the engine's one thread

    # ---------------------------------------------------------------- turns

    @property
    def answering(self) -> bool:
        return self.turn is not None

    def send(self, text: str) -> None:
        if self.answering or not text.strip():
            return
        if self.conversation is None:
            self.new_conversation()
        assert self.conversation is not None
        cid = self.conversation.id
        first = not self.store.messages(cid)
        if first:
            self.current.update(title=title_from(text))
        user = self.store.add_message(cid, "user", text)
        self.store.attach_pending(cid, user.id)
        self.composer.set_pending([])
        self.view.add(user)
        self._start_turn()
        if first:  # the list and header say its title now, not once a long prompt has been read
            self.conversation_changed.emit(cid)

    def regenerate(self, message_id: int, *, read_whole: bool = False) -> None:
        """Write the answer ``message_id`` again, as a new version beside it (the old one stays).

        A failed answer that holds nothing is replaced instead: there is nothing to keep.
        ``read_whole``: the documents go whole, however long they take to read.
        """
        if self.answering or self.conversation is None:
            return
        msg = self.store.get_message(message_id)
        index = self.view.index_of(message_id)
        if msg.status == "error" and not msg.content and not msg.reasoning:
            self.store.delete_messages_from(self.conversation.id, msg.position)
        if index is not None:
            self.view.remove_from(index)
        self._start_turn(parent_id=msg.parent_id, read_whole=read_whole)

    def edit_and_resend(self, message_id: int, text: str) -> None:
        """Send ``text`` as a new version of the question ``message_id``; the old version keeps its
        answers, one ‹ › away."""
        if self.answering or self.conversation is None or not text.strip():
            return
        msg = self.store.get_message(message_id)
        user = self.store.add_message(self.conversation.id, "user", text.strip(), parent_id=msg.parent_id)
        self.store.attach_pending(self.conversation.id, user.id)
        self.composer.set_pending([])
        index = self.view.index_of(message_id)
        if index is not None:
            self.view.remove_from(index)
        self.view.add(user)
        self._start_turn()

    def _on_edit_submitted(self, message_id: int, text: str) -> None:
        if self.answering:  # the editor stays open with the text: nothing typed is lost
            self.notice.emit(self.tr("An answer is being written: stop it or wait, then send the edit."))
            return
        self.edit_and_resend(message_id, text)

    def switch_version(self, message_id: int, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message, with that version's later turns;
        the engine's history is what is on screen."""
        if self.answering or self.conversation is None:
            return
        versions = self.store.siblings(message_id)
        i = versions.index(message_id) + step
        index = self.view.index_of(message_id)
        if not 0 <= i < len(versions) or index is None:
            return
        branch = self.store.switch_to(versions[i])
        self._versions = self.store.version_info(self.conversation.id)
        self.view.replace_from(index, branch[index:])

    def show_message(self, message_id: int) -> None:
        """Scroll to a message (a search hit), first putting its branch on screen if it is not."""
        if self.answering or self.conversation is None:
            return
        if self.view.index_of(message_id) is None:
            branch = self.store.switch_to(message_id)
            self._versions = self.store.version_info(self.conversation.id)
            self.view.set_messages(branch)
        self.view.scroll_to_message(message_id)

    def later_turns(self, message_id: int) -> int:
        """How many messages follow ``message_id`` on the branch on screen."""
        msg = self.store.get_message(message_id)
        return sum(1 for m in self.store.messages(msg.conversation_id) if m.position > msg.position)

    def stop(self) -> None:
        if self.answering:
            self.bridge.cancel()
            self.tools.close_question()  # a call waiting for consent is denied

    def _request(self) -> tuple[GenerationRequest, DocumentTurn | None]:
        """The history as it is sent, and the last question's documents (if any) to add to it."""
        assert self.conversation is not None
        return assemble_turn(self.store, self.conversation, think=self._thinks())

    def _documents_ready(
        self, message_id: int, widget: MessageWidget, question_id: int, turn: TurnContext
    ) -> None:
        """The documents went out with the question (engine's thread → here, before the answer)."""
        self.store.update_message(question_id, sent_content=turn.prompt)
        if turn.sources:
            self.store.set_message_sources(message_id, turn.sources)
        if turn.mode == "retrieval" and self.turn is not None and self.turn.message.id == message_id:
            self.offers.documents_offer(widget, turn, self.turn.reading.documents)

    def _remote_ctx(self) -> int:
        """The context a server's turn is budgeted for (it may not say)."""
        remote = self.bridge.remote
        return (remote.context_length if remote is not None else None) or REMOTE_DEFAULT_CTX

    def _thinks(self) -> bool:
        """Whether this turn thinks: the conversation's toggle, unless the model has one mode."""
        assert self.conversation is not None
        return effective_thinking(self.bridge.think_mode, self.conversation.think)

    def _start_turn(self, *, parent_id: int | Parent | None = CURRENT, read_whole: bool = False) -> None:
        """Answer the question on screen (``parent_id``: the question, for a new version)."""
        assert self.conversation is not None
        self.titles.cancel()  # a title still being written gives way to the turn
        conv = self.conversation
        remote = self.bridge.remote_host
        msg = self.store.add_message(
            conv.id,
            "assistant",
            "",
            status="streaming",
            think=self._thinks(),  # no reasoning pane for a model that never thinks
            model=self.bridge.model_name,
            remote=remote,
            parent_id=parent_id,
        )
        if remote is not None and conv.remote != remote:  # the list marks it as sent away
            conv = self.current.update(remote=remote, touch=False)
        self._versions = self.store.version_info(conv.id)
        widget = self.view.add(msg)
        self._show_versions()
        now = self.clock()
        self.turn = StreamedTurn(message=msg, widget=widget, started=now, last_checkpoint=now)
        self.view.scroll_to_bottom()
        self.composer.set_answering(True)
        self.answering_changed.emit(True)
        if widget.answer is not None:
            widget.answer.begin_stream()
        widget.set_streaming(True)
        if widget.reasoning is not None:
            widget.reasoning.start()
            widget.reasoning.show()  # "Thinking… 3 s" while the prompt is read; hidden if no reasoning comes
        if not self.bridge.ready and not self.engines.busy:
            self._fail(NoModelError(self.tr("No model is loaded: choose a Qwen3 GGUF to chat with.")))
            return
        request, documents = self._request()
        tools = self.tools.options(conv.id)
        if documents is None:
            self.bridge.generate(request, tools=tools)
        else:
            question_id = documents.question_id
            self.turn.reading.documents = len(documents.library.texts)  # "Reading the document…"
            self.bridge.generate(
                request,
                prepare=preparer(
                    request,
                    replace(documents, read_whole=read_whole),
                    remote_ctx=self._remote_ctx(),
                    count_tokens=self.count_tokens,
                    read_limit_s=self.read_limit_s,
                ),
                prepared=lambda turn: self._documents_ready(msg.id, widget, question_id, turn),
                tools=tools,
            )
        self._timer.start()

    # --------------------------------------------------------------- events

    def _on_progress(self, progress: PromptProgress) -> None:
        if self.turn is not None:
            self.turn.add_progress(progress, self.clock())

    def _on_reasoning(self, text: str) -> None:
        if self.turn is not None:
            self.turn.add_reasoning(text, self.clock())

    def _on_answer(self, text: str) -> None:
        if self.turn is not None:
            self.turn.add_answer(text, self.clock())

    def _on_notice(self, notice: Notice) -> None:
        if self.turn is not None:
            self.notice.emit(notice.text)

    def on_tool_card(self, card: ToolCard) -> None:
        if self.turn is not None:
            self.turn.add_card(card)

    def _on_done(self, done: Done) -> None:
        if self.turn is not None:
            self._finish(done)

    def flush(self) -> None:
        """Paint what arrived since the last paint; checkpoint to the store when due."""
        t = self.turn
        if t is None:
            return
        now = self.clock()
        t.paint(now)
        if t.checkpoint_due(now):
            self.store.update_message(
                t.message.id, content=t.answer, reasoning=t.reasoning, thinking_s=t.thinking_s(now),
                **_cards(t),
            )  # fmt: skip

    def _finish(self, done: Done) -> None:
        t = self.turn
        assert t is not None
        self.flush()
        now = self.clock()
        status = "cancelled" if done.finish_reason == "cancelled" else "complete"
        collapsed = (not t.widget.reasoning.expanded) if t.widget.reasoning is not None else None
        self.store.update_message(
            t.message.id,
            content=t.answer,
            reasoning=t.reasoning,
            status=status,
            **_cards(t),
            thinking_s=t.thinking_s(now),
            reasoning_collapsed=collapsed if t.user_toggled or done.thought else True,
            **{name: getattr(done, name) for name in DONE_FIELDS_STORED},
        )
        self._end_turn(self.store.get_message(t.message.id))

    def _on_failed(self, error: Failure) -> None:
        self.engines.on_failed(error, turn_waiting=self.turn is not None)
        if self.turn is not None:
            self._fail(error)

    def _fail(self, error: Failure) -> None:
        t = self.turn
        assert t is not None
        self.flush()
        message = error.message
        self.store.update_message(
            t.message.id, content=t.answer, reasoning=t.reasoning, status="error", error=message, **_cards(t)
        )
        self._end_turn(self.store.get_message(t.message.id))
        reload = None
        if isinstance(error, ContextFullError):
            reload, why_not = self.offers.reload_offer(error.prompt_tokens)
            message += why_not
        t.widget.show_error(message, error.kind if isinstance(error, EngineError) else None, reload)

    def _end_turn(self, stored: Message) -> None:
        t = self.turn
        assert t is not None and self.conversation is not None
        self._timer.stop()
        self.turn = None
        t.reading.end()
        if t.widget.answer is not None:
            t.widget.pieces.finish(t.answer)  # only the tail is rendered again
        t.widget.show_message(stored, render_answer=False)
        self.view.update_message(stored)
        self._show_documents(t.widget)
        if t.widget.reasoning is not None and stored.reasoning_collapsed is not None:
            t.widget.reasoning.set_expanded(not stored.reasoning_collapsed)
        self.composer.set_answering(False)
        self.answering_changed.emit(False)
        self.conversation_changed.emit(self.conversation.id)
        self.titles.after_answer(self.conversation, stored, self.bridge.think_mode)

    def abandon_turn(self) -> None:
        """The window is closing mid-answer: keep what was written, marked as stopped."""
        t = self.turn
        if t is None:
            return
        self.flush()
        self.store.update_message(
            t.message.id, content=t.answer, reasoning=t.reasoning, status="cancelled", **_cards(t)
        )
        self._timer.stop()
        self.turn = None

    def _on_reasoning_toggled(self, message_id: int, expanded: bool) -> None:
        if self.turn is not None and self.turn.message.id == message_id:
            self.turn.user_toggled = True
        self.store.update_message(message_id, reasoning_collapsed=not expanded)


def _cards(turn: StreamedTurn) -> dict[str, object]:
    """The turn's tool cards for the store (nothing for a turn without calls)."""
    return {"tool_cards": turn.tool_cards} if turn.cards else {}
