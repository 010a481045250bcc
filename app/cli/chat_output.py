"""What ``qwendesk chat`` prints: the stream for people (reasoning dimmed, a footer on stderr) or as
JSON lines, one event per line; sources after the answer; tool calls as cards (app.cli.chat_tools)."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from app.backend.errors import EngineError
from app.backend.protocol import Answer, Done, Notice, PromptProgress, Reasoning, StreamEvent, event_to_json
from app.cli import chat_tools
from app.documents import DocumentError, TurnContext
from app.store.models import ToolCard


class Output:
    """Writes events for people or as JSON lines."""

    def __init__(self, as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.as_json = as_json
        self.out, self.err = out, err
        self.tty = out.isatty()
        self._channel: str | None = None
        self._sources: TurnContext | None = None  # human output lists them after the answer
        self.cards = chat_tools.CardOutput(as_json, out, err)
        self.reading = ReadingLine(err)
        self.reading_what = "conversation"  # "document" while the turn carries attached documents

    def event(self, ev: StreamEvent) -> None:
        if self.as_json:
            self._line(event_to_json(ev))
            self.out.flush()
            return
        if isinstance(ev, PromptProgress):
            self.reading.show(ev, self.reading_what)
            return
        self.reading.end()
        if isinstance(ev, Reasoning):
            self._switch("reasoning")
            text = ev.text.replace("\n", "\n│ ")
            self.out.write(f"\x1b[2m{text}\x1b[0m" if self.tty else text)
        elif isinstance(ev, Answer):
            self._switch("answer")
            self.out.write(ev.text)
        elif isinstance(ev, Notice):
            self.err.write(f"qwendesk: notice: {ev.text}\n")
        elif isinstance(ev, Done):
            self._switch(None)
            footer = f"[{ev.finish_reason} · {ev.completion_tokens} tokens"
            if ev.decode_tokens_per_s:
                footer += f" · {ev.decode_tokens_per_s:.1f} tok/s"
            if ev.thinking_budget_hit:
                footer += " · thinking budget reached"
            self.err.write(footer + "]\n")
            self._list_sources()
        self.out.flush()

    def card(self, card: ToolCard) -> None:
        """A tool call: the text so far ends its line first, so the next round starts on its own."""
        if not self.as_json:
            self._switch(None)
        self.cards.show(card)

    def sources(self, turn: TurnContext) -> None:
        """The sources of the coming answer: a JSON line now, or a list after the answer."""
        if self.as_json:
            items = [s.to_json() for s in turn.sources]
            self._line({"event": "sources", "mode": turn.mode, "items": items})
        else:
            self._sources = turn

    def _list_sources(self, shown: int = 8) -> None:
        turn, self._sources = self._sources, None
        if turn is None or not turn.sources:
            return
        whole = " (the whole documents were given; best matches first)" if turn.mode == "whole" else ""
        self.out.write(f"\nSources{whole}:\n")
        for s in turn.sources[:shown]:
            self.out.write(f"  [{s.ref}] {s.citation}\n")
        if len(turn.sources) > shown:
            self.out.write(f"  … and {len(turn.sources) - shown} more\n")

    def error(self, exc: EngineError | DocumentError) -> None:
        self._switch(None)
        if self.as_json:
            self._line(exc.to_json())
        else:
            self.err.write(f"qwendesk: error: {exc.message}\n")
            self.err.flush()

    def _switch(self, channel: str | None) -> None:
        if channel == self._channel:
            return
        if self._channel is not None:
            self.out.write("\n")
        if channel == "reasoning":
            self.out.write("\x1b[2m│ " if self.tty else "│ ")
            self.out.write("\x1b[0m" if self.tty else "")
        self._channel = channel

    def _line(self, obj: dict[str, object]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()


class ReadingLine:
    """ "Reading the conversation… 3,072 / 12,288 tokens" on stderr while a long prompt is read: shown
    once reading has taken about a second, redrawn in place on a terminal (a line per batch when
    stderr is a file), and gone when the answer starts."""

    AFTER_S = 1.0

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self._started: float | None = None
        self._drawn = False

    def show(self, ev: PromptProgress, what: str) -> None:
        now = time.monotonic()
        if self._started is None or ev.done == 0:
            self._started = now
        if ev.done == 0 or ev.done >= ev.total or now - self._started < self.AFTER_S:
            return  # nothing read yet, all read, or too quick to mention
        text = f"Reading the {what}… {ev.done:,} / {ev.total:,} tokens"
        if self.tty:
            self.err.write(f"\r{text}\x1b[K")
        else:
            self.err.write(text + "\n")
        self.err.flush()
        self._drawn = True

    def end(self) -> None:
        if self._drawn and self.tty:
            self.err.write("\r\x1b[K")
            self.err.flush()
        self._drawn = False
        self._started = None
