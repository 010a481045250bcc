"""The offers under an answer when the documents or the conversation outgrew something.

- The documents did not fit in the loaded context: the answer used passages; where a longer
  context (YaRN) would hold them, "Reload with a 65,536-token context … and read the whole documents".
- The documents fit but reading them whole would take longer than the user's limit
  (``documents/read_limit_s``): the answer used passages; "Read the whole document instead (about
  4 min)" writes it again with the documents sent whole.
- A conversation outgrew the context (an error): the same reload, without documents.

Offered, never forced. Texts keep the "ChatController" context they were translated under.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication

from app.backend.errors import UnsupportedContextError
from app.chat.longer_context import longer_context
from app.documents import TurnContext
from app.models.load_options import LoadOptions
from app.ui.engine_bridge import EngineBridge
from app.ui.message_widget import MessageWidget

Reload = tuple[int, str]  # (context length, button text)


def about_duration(seconds: float) -> str:
    """ "about 40 s", "about 4 min", "about 1 h 10 min": an estimate, rounded as one."""
    if seconds < 55:
        return QCoreApplication.translate("ChatController", "about {s} s").format(
            s=max(5, round(seconds / 5) * 5)
        )
    minutes = round(seconds / 60)
    if minutes < 60:
        return QCoreApplication.translate("ChatController", "about {m} min").format(m=minutes)
    return QCoreApplication.translate("ChatController", "about {h} h {m} min").format(
        h=minutes // 60, m=minutes % 60
    )


class ContextOffers:
    def __init__(self, bridge: EngineBridge, load_options: Callable[[], LoadOptions]) -> None:
        self.bridge = bridge
        self.load_options = load_options

    def documents_offer(self, widget: MessageWidget, turn: TurnContext, documents: int = 1) -> None:
        """Retrieval was used: say why, and offer what would read the whole ``documents``."""
        if turn.whole_reading_s is not None:
            about = about_duration(turn.whole_reading_s)
            why = QCoreApplication.translate(
                "ChatController",
                "Reading the whole attached documents (about {tokens} tokens) would take {about} on this "
                "computer: this answer uses the most relevant passages.",
            ).format(tokens=f"{turn.whole_tokens:,}", about=about)
            if documents > 1:
                button = QCoreApplication.translate(
                    "ChatController", "Read the whole documents instead ({about})"
                )
            else:
                button = QCoreApplication.translate(
                    "ChatController", "Read the whole document instead ({about})"
                )
            widget.show_read_whole_offer(why, button.format(about=about))
            return
        why = QCoreApplication.translate(
            "ChatController",
            "The attached documents (about {tokens} tokens) do not fit in the loaded "
            "context: this answer uses the most relevant passages.",
        ).format(tokens=f"{turn.whole_tokens:,}")
        reload = None
        if turn.longer_context_tokens is not None:
            reload, why_not = self.reload_offer(turn.longer_context_tokens, documents=True)
            why += why_not
        widget.show_reload_offer(why, reload)

    def reload_offer(self, prompt_tokens: int, *, documents: bool = False) -> tuple[Reload | None, str]:
        """(context, button text) for the smallest longer context that fits, or why there is none.

        ``documents``: the button also says that the whole documents will be read.
        """
        info = self.bridge.engine.info
        if info is None or self.bridge.remote is not None:  # a server's context is its own to set
            return None, ""
        try:
            offer = longer_context(info, prompt_tokens, self.load_options().kv_cache_type)
        except UnsupportedContextError as exc:
            return None, f"\n\n{exc.message}"
        yarn = (
            QCoreApplication.translate("ChatController", ", YaRN ×{factor}").format(factor=offer.yarn_factor)
            if offer.yarn_factor
            else ""
        )
        if documents:
            text = QCoreApplication.translate(
                "ChatController",
                "Reload with a {n}-token context{yarn} (KV cache {kv} GiB) and read the whole documents",
            )
        else:
            text = QCoreApplication.translate(
                "ChatController", "Reload with a {n}-token context{yarn} (KV cache {kv} GiB)"
            )
        return (offer.n_ctx, text.format(n=f"{offer.n_ctx:,}", yarn=yarn, kv=f"{offer.kv_cache_gib:.1f}")), ""
