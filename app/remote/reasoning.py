"""Tell reasoning from answer in a streamed OpenAI-compatible chat completion.

Servers send the thinking in one of three ways, and this reads all of them:

1. A separate field, ``delta.reasoning_content`` (vLLM and SGLang with a reasoning parser,
   llama-server's default) or ``delta.reasoning`` (vLLM's newer name, Ollama). Both are read; when a
   delta carries both, they are the same text and it counts once.
2. Tags in ``delta.content``: ``<think>…</think>answer`` (a server without a reasoning parser and a
   template that lets the model open the block itself, like Qwen3's hybrid models). The shared
   :class:`~app.backend.think_split.ThinkSplitter` splits them as it does for the local engine.
3. Only a closing tag: the server's template opened ``<think>`` in the prompt (Qwen3's
   "Thinking-2507" models, for instance), so the content starts inside the thought and only
   ``</think>`` shows where the answer begins.

The rule for case 3, chosen so that nothing waits unless it must. Content is *ambiguous* only while
all of these hold: thinking is on, no reasoning field has been seen, the content has not opened
with ``<think>``, and no ``</think>`` has arrived yet. Then, and only then, it is held back:

- ``</think>`` arrives → the held text was reasoning; everything after it is the answer;
- ``<think>`` opens the content (the first non-blank characters) → case 2, decided at once;
- a reasoning field arrives → case 1, the held text is answer;
- the stream ends (finished, cut off or stopped) → the held text was the answer.

So vLLM, SGLang, llama-server and Ollama (all case 1) and a hybrid Qwen3 behind a plain server
(case 2) stream without delay; with thinking off nothing is ever held. Only a server that marks
neither (case 3, or a non-thinking model asked to think) has its text held until it can be told
apart, and :attr:`DeltaRouter.held_to_end` then says so, so the engine can tell the user why.
"""

from __future__ import annotations

from typing import Any

from app.backend.think_split import ANSWER, CLOSE_TAG, OPEN_TAG, REASONING, Segment, ThinkSplitter


def reasoning_text(delta: dict[str, Any]) -> str:
    """The reasoning in a delta, from either field name, counted once."""
    for key in ("reasoning_content", "reasoning"):
        value = delta.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


class DeltaRouter:
    """Feed each delta's reasoning field and content; get ``(channel, text)`` segments back."""

    def __init__(self, enable_thinking: bool) -> None:
        self._content = ThinkSplitter()
        self._undecided = enable_thinking
        self._held = ""
        self._held_pieces = 0
        self._field_ws = ""  # whitespace held back at the end of field reasoning
        self._field_started = False
        self.field_reasoning = False  # the server sent reasoning in a field
        self.reasoning_pieces = 0  # deltas that were reasoning (a token count when the server gives none)
        self.held_to_end = False  # ambiguous text was held until the stream ended (and was the answer)
        self._answer_started = False

    # ----------------------------------------------------------------- input

    def reasoning(self, text: str) -> list[Segment]:
        """Reasoning from a ``reasoning_content``/``reasoning`` field."""
        if not text:
            return []
        out: list[Segment] = []
        if self._undecided:
            self._undecided = False  # the server splits: content is answer
            out += self._track(self._release(self._content))
        self.field_reasoning = True
        self.reasoning_pieces += 1
        if not self._field_started:
            text = text.lstrip()
        text = self._field_ws + text
        body = text.rstrip()
        self._field_ws = text[len(body) :]
        if body:
            self._field_started = True
            out.append((REASONING, body))
        return out

    def content(self, text: str) -> list[Segment]:
        """A piece of ``delta.content``."""
        if not text:
            return []
        if not self._undecided:
            return self._track(self._feed(text))
        self._held += text
        self._held_pieces += 1
        stripped = self._held.lstrip()
        if stripped.startswith(OPEN_TAG):  # case 2: the model opens its thought itself
            self._undecided = False
            return self._track(self._release(self._content))
        if CLOSE_TAG in self._held:  # case 3: the prompt opened it
            self._undecided = False
            self.reasoning_pieces += self._held_pieces - 1
            self._content = ThinkSplitter(in_reasoning=True)
            return self._track(self._release(self._content))
        return []  # still ambiguous (this includes a partial "<think" at the start)

    def finish(self) -> list[Segment]:
        """End of the stream: release anything held; ambiguous text is the answer."""
        out: list[Segment] = []
        if self._undecided and self._held:
            self.held_to_end = bool(self._held.strip())
            out += self._release(self._content)
        self._undecided = False
        self._field_ws = ""
        out += self._content.flush()
        return self._track(out)

    # ----------------------------------------------------------------- state

    @property
    def thought(self) -> bool:
        """Whether any reasoning text was produced (the mode the model actually used)."""
        return self._field_started or self._content.thought

    @property
    def answer_started(self) -> bool:
        return self._answer_started

    def reasoning_unclosed(self, finish_reason: str) -> bool:
        """The thought never ended: a ``<think>`` block left open, or field reasoning with no answer
        after it when the turn was cut short (length, cancelled)."""
        if self._content.in_reasoning:
            return True
        return self.field_reasoning and not self._answer_started and finish_reason != "stop"

    # --------------------------------------------------------------- helpers

    def _feed(self, text: str) -> list[Segment]:
        was = self._content.in_reasoning
        out = self._content.feed(text)
        if was and self._content.in_reasoning:
            self.reasoning_pieces += 1
        return out

    def _release(self, splitter: ThinkSplitter) -> list[Segment]:
        held, self._held = self._held, ""
        self._held_pieces = 0
        return splitter.feed(held) if held else []

    def _track(self, segments: list[Segment]) -> list[Segment]:
        if any(channel == ANSWER for channel, _ in segments):
            self._answer_started = True
        return segments
