"""Find Qwen3's tool calls in a streamed answer.

Qwen3 (Hermes style) writes a call as ``<tool_call>\\n{"name": …, "arguments": {…}}\\n</tool_call>``.
Only the answer is searched: the reasoning has been split off already (``think_split``), because a
model plans calls in its thinking and a call written there must never run (LM Studio ran them:
lmstudio-bug-tracker #1592). Text before, between and after calls streams as answer text as usual;
a call is held back until its closing tag and then comes out whole, as a :class:`ToolCall`. Any tail
that could still become ``<tool_call>`` is held, so a tag split across chunks never leaks as text.

Small-model JSON is often slightly wrong, so the JSON is read leniently (trailing commas, single
quotes, Python's True/False/None, missing closing braces, code fences, arguments given as a JSON
string). A call that still cannot be read becomes a call with ``error`` set: it is not run, and the
model is told why, which lets it try again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from app.backend.protocol import Answer, ChatMessage, Done, StreamEvent, ToolCall, ToolCallRequest
from app.backend.think_split import _partial_tag_len

CALL_OPEN = "<tool_call>"
CALL_CLOSE = "</tool_call>"
_NAME = re.compile(r"""["']name["']\s*:\s*["']([^"']+)["']""")


class ToolCallParser:
    """Feed answer text in order; get Answer and ToolCall events back. ``finish`` at the end."""

    def __init__(self, first_id: int = 1) -> None:
        self._next_id = first_id
        self._buf = ""  # text not yet emitted: a possible partial tag, or a call's body so far
        self._in_call = False
        self._ws = ""  # whitespace held back: dropped if a call or the end follows, else emitted
        self._text_started = False
        self._had_text = False  # some answer text came out already: text after a call is set apart
        self.calls: list[ToolCallRequest] = []

    def feed(self, text: str) -> list[Answer | ToolCall]:
        out: list[Answer | ToolCall] = []
        buf = self._buf + text
        self._buf = ""
        while buf:
            if self._in_call:
                close = buf.find(CALL_CLOSE)
                reopen = buf.find(CALL_OPEN)
                if reopen >= 0 and (close < 0 or reopen < close):  # a new call before this one closed
                    out.append(self._call(buf[:reopen]))
                    buf = buf[reopen + len(CALL_OPEN) :]
                    continue
                if close < 0:
                    self._buf = buf
                    break
                out.append(self._call(buf[:close]))
                self._in_call = False
                buf = buf[close + len(CALL_CLOSE) :]
                continue
            start = buf.find(CALL_OPEN)
            if start >= 0:
                self._text(buf[:start], out, final=True)
                self._in_call = True
                buf = buf[start + len(CALL_OPEN) :]
                continue
            keep = _partial_tag_len(buf, CALL_OPEN)
            self._text(buf[: len(buf) - keep], out, final=False)
            self._buf = buf[len(buf) - keep :]
            break
        return out

    def finish(self, *, truncated: bool = False) -> list[Answer | ToolCall]:
        """End of the answer: an unclosed call is read as it stands (the closing tag is often the
        one thing missing); ``truncated`` (the turn hit its length) marks it as cut off instead."""
        out: list[Answer | ToolCall] = []
        rest, self._buf = self._buf, ""
        if self._in_call:
            self._in_call = False
            call = self._call(rest).call
            if truncated:
                call = replace(call, error="The call was cut off before it was complete (length limit).")
                self.calls[-1] = call
            out.append(ToolCall(call))
        elif rest:
            self._text(rest, out, final=True)
        return out

    # ------------------------------------------------------------ internals

    def _text(self, text: str, out: list[Answer | ToolCall], *, final: bool) -> None:
        """Emit answer text; whitespace around calls is held and dropped (it is only layout)."""
        if not self._text_started:
            text = text.lstrip()
        text = self._ws + text
        body = text.rstrip()
        self._ws = "" if final else text[len(body) :]
        if body:
            if not self._text_started and self._had_text:
                body = "\n\n" + body
            self._text_started = self._had_text = True
            out.append(Answer(body))
        if final:  # a call follows (or the end): what follows a call starts fresh
            self._text_started = False

    def _call(self, body: str) -> ToolCall:
        call_id = f"call_{self._next_id}"
        self._next_id += 1
        call = parse_call(body, call_id)
        self.calls.append(call)
        return ToolCall(call)


def parse_call(body: str, call_id: str) -> ToolCallRequest:
    """One call's JSON, read leniently; a ToolCallRequest with ``error`` when it cannot be read."""
    raw = body.strip()
    obj, why = loads_lenient(raw)
    if not isinstance(obj, dict):
        found = _NAME.search(raw)
        return ToolCallRequest(
            call_id, found.group(1) if found else "", {}, raw, why or "The call is not a JSON object."
        )
    name = obj.get("name")
    args: Any = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str) and args.strip():
        args, why = loads_lenient(args)
        if why is not None:
            return ToolCallRequest(call_id, str(name or ""), {}, raw, f"The call's arguments: {why}")
    elif isinstance(args, str):
        args = {}
    if args is None:
        args = {}
    if not isinstance(name, str) or not name.strip():
        return ToolCallRequest(call_id, "", {}, raw, "The call has no name.")
    if not isinstance(args, dict):
        return ToolCallRequest(call_id, name.strip(), {}, raw, "The call's arguments are not a JSON object.")
    return ToolCallRequest(call_id, name.strip(), args, raw)


def loads_lenient(text: str) -> tuple[Any, str | None]:
    """JSON as small models write it: (value, None), or (None, why it could not be read)."""
    text = text.strip()
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fence:
        text = fence.group(1)
    try:
        return json.loads(text), None
    except ValueError as exc:
        first_error = f"The call's JSON could not be read: {exc}."
    fixed = _close_brackets(_drop_trailing_commas(_requote(text)))
    for candidate in (fixed, _drop_trailing_commas(_close_brackets(_requote(text)))):
        try:
            return json.loads(candidate), None
        except ValueError:
            continue
    return None, first_error


_PY_WORDS = {"True": "true", "False": "false", "None": "null"}


def _requote(text: str) -> str:
    """Single-quoted strings as double-quoted ones; Python's True/False/None as JSON's."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j, chars = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    chars.append(nxt if nxt == "'" and c == "'" else text[j : j + 2])
                    j += 2
                    continue
                chars.append('\\"' if text[j] == '"' and c == "'" else text[j])
                j += 1
            out.append('"' + "".join(chars) + ('"' if j < n else ""))
            i = j + 1
            continue
        if c.isalpha():
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            out.append(_PY_WORDS.get(word, word))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _drop_trailing_commas(text: str) -> str:
    return _outside_strings(text, lambda part: re.sub(r",(\s*[}\]])", r"\1", part))


def _outside_strings(text: str, fix: Any) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if k % 2 else fix(p) for k, p in enumerate(parts))


def _close_brackets(text: str) -> str:
    """Append the closing brackets (and quote) an unfinished JSON text is missing."""
    stack: list[str] = []
    in_str = esc = False
    for c in text:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[":
            stack.append("}" if c == "{" else "]")
        elif c in "}]" and stack and stack[-1] == c:
            stack.pop()
    return text.rstrip().rstrip(",") + ('"' if in_str else "") + "".join(reversed(stack))


def first_call_number(messages: Iterable[ChatMessage]) -> int:
    """The number for this generation's first call: ids stay unique across the steps of one tool-using
    turn (the assistant messages after the last user message)."""
    seen = 0
    for m in messages:
        if m.role == "user":
            seen = 0
        elif m.role == "assistant":
            seen += len(m.tool_calls)
    return seen + 1


def with_tool_calls(events: Iterable[StreamEvent], first_id: int = 1) -> Iterator[StreamEvent]:
    """A turn's events with the answer's calls parsed out: Answer text outside calls, ToolCall events,
    and Done("tool_calls") when a turn that ended normally asked for calls."""
    parser = ToolCallParser(first_id)
    for event in events:
        if isinstance(event, Answer):
            yield from parser.feed(event.text)
        elif isinstance(event, Done):
            yield from parser.finish(truncated=event.finish_reason == "length")
            if parser.calls and event.finish_reason in ("stop", "budget"):
                event = replace(event, finish_reason="tool_calls")
            yield event
        else:
            yield event
