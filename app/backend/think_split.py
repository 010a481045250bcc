"""Split a streamed completion into reasoning and answer.

Qwen3 writes ``<think>reasoning</think>answer``. The tags may arrive as single
special tokens (ids 151667/151668 in Qwen3's vocabulary; the worker turns
those into the tag text) or as plain text spread over several chunks, so the
splitter works on text and holds back any tail that could still become a tag.

Rules:
- ``<think>`` opens reasoning only before any answer text; later it is text.
- ``</think>`` closes it; a block never closed stays reasoning (max tokens hit).
- Whitespace right after a tag and right before ``</think>`` is dropped, so the
  panes do not start or end with blank lines.
"""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"

REASONING = "reasoning"
ANSWER = "answer"

Segment = tuple[str, str]  # (channel, text)


def _partial_tag_len(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ThinkSplitter:
    """Feed text chunks in order; get ``(channel, text)`` segments back."""

    def __init__(self, in_reasoning: bool = False) -> None:
        self.in_reasoning = in_reasoning
        self.saw_reasoning_block = in_reasoning
        self.closed = False
        self._pending = ""  # text held back: a possible partial tag
        self._ws = ""  # whitespace held back at the end of reasoning
        self._answer_started = False  # any non-whitespace answer text emitted
        self._reasoning_started = False
        self.reasoning_chars = 0

    def feed(self, text: str) -> list[Segment]:
        out: list[Segment] = []
        buf = self._pending + text
        self._pending = ""
        while buf:
            if self.in_reasoning:
                idx = buf.find(CLOSE_TAG)
                if idx >= 0:
                    self._emit_reasoning(buf[:idx], out, final=True)
                    self.in_reasoning = False
                    self.closed = True
                    buf = buf[idx + len(CLOSE_TAG) :]
                    continue
                keep = _partial_tag_len(buf, CLOSE_TAG)
                self._emit_reasoning(buf[: len(buf) - keep], out, final=False)
                self._pending = buf[len(buf) - keep :]
                break
            if not self._answer_started and not self.closed and not self.saw_reasoning_block:
                stripped = buf.lstrip()
                if stripped.startswith(OPEN_TAG):
                    self.in_reasoning = True
                    self.saw_reasoning_block = True
                    buf = stripped[len(OPEN_TAG) :]
                    continue
                if stripped and OPEN_TAG.startswith(stripped):
                    self._pending = buf  # could still become "<think>"
                    break
                if not stripped:
                    self._pending = buf  # only whitespace so far
                    break
            self._emit_answer(buf, out)
            break
        return out

    def flush(self) -> list[Segment]:
        """End of stream: release anything held back (an unfinished tag is text)."""
        out: list[Segment] = []
        rest, self._pending = self._pending, ""
        if self.in_reasoning:
            self._emit_reasoning(rest, out, final=True)
        elif rest.strip():
            self._emit_answer(rest, out)
        return out

    def _emit_reasoning(self, text: str, out: list[Segment], final: bool) -> None:
        if not self._reasoning_started:
            text = text.lstrip()
        if final:
            text = (self._ws + text).rstrip()
            self._ws = ""
        else:
            text = self._ws + text
            body = text.rstrip()
            self._ws = text[len(body) :]
            text = body
        if text:
            self._reasoning_started = True
            self.reasoning_chars += len(text)
            out.append((REASONING, text))

    def _emit_answer(self, text: str, out: list[Segment]) -> None:
        if not self._answer_started:
            text = text.lstrip()
        if text:
            self._answer_started = True
            out.append((ANSWER, text))

    @property
    def thought(self) -> bool:
        """Whether the model produced any reasoning text (the mode it actually used)."""
        return self.reasoning_chars > 0
