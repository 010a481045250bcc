"""``qwendesk chat --attach FILE``: the attached files of one CLI run.

The files are extracted and indexed into a temporary chat store, the same store, chunk index
and turn builder the window uses (``app.store``, ``app.documents.build_turn``), so the CLI
answers from documents exactly as the app does; the temporary store is gone when the run ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from app.documents import ContextBudget, TurnContext, estimate_tokens, fit_turn, prepare_attachment
from app.documents.tokens import TokenCounter, history_tokens
from app.store import ChatStore


class AttachedDocuments:
    """Files given with ``--attach``, extracted, chunked and indexed once for all turns."""

    def __init__(self, paths: Sequence[str]) -> None:
        """Extract and index ``paths``; raises DocumentError naming the first file that fails."""
        self._tmp = tempfile.TemporaryDirectory(prefix="qwendesk-attach-")
        try:
            self.store = ChatStore(Path(self._tmp.name) / "attachments.sqlite3")
            self.conversation_id = self.store.create_conversation("qwendesk chat --attach").id
            self.warnings: list[str] = []
            for path in paths:
                prepared = prepare_attachment(path)
                if self.store.find_attachment(self.conversation_id, prepared.document.sha256):
                    continue  # the same file twice
                self.store.add_attachment(self.conversation_id, prepared)
                self.warnings += [f"{prepared.document.name}: {w}" for w in prepared.document.warnings]
        except BaseException:
            self.close()
            raise
        self._whole_prompts: set[str] = set()  # user messages that carried the documents whole

    def turn(
        self,
        question: str,
        history: Sequence[str],
        *,
        n_ctx: int,
        max_ctx: int | None,
        reserve: int,
        count_tokens: TokenCounter = estimate_tokens,
        prompt_tokens: Callable[[str], int] | None = None,
        reading: Callable[[int, int], float | None] | None = None,
        read_limit_s: float | None = None,
        read_whole: bool = False,
    ) -> TurnContext:
        """Build the user message for ``question``; ``history`` is the content of the earlier messages.

        ``count_tokens``: the model's tokenizer where there is one (``ModelTokens``); ``prompt_tokens``:
        the exact length of the conversation as sent with a given user message (``fit_turn``);
        ``reading`` and ``read_limit_s``: documents slower to read than the limit go by retrieval unless
        ``read_whole``. Raises DocumentError (``no_room``) when not even one passage fits.
        """
        budget = ContextBudget(
            n_ctx=n_ctx,
            max_ctx=max_ctx,
            history_tokens=history_tokens(count_tokens, history),
            reserve_tokens=reserve,
            reading=reading,
            read_limit_s=read_limit_s,
        )
        turn = fit_turn(
            question,
            self.store.documents(self.conversation_id),
            budget,
            count_tokens=count_tokens,
            prompt_tokens=prompt_tokens,
            documents_in_history=any(text in self._whole_prompts for text in history),
            read_whole=read_whole,
        )
        if turn.mode == "whole":
            self._whole_prompts.add(turn.prompt)
        return turn

    def close(self) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
        self._tmp.cleanup()

    def __enter__(self) -> AttachedDocuments:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
