"""Where Markdown blocks start and end, line by line: one set of rules for rendering and streaming.

The renderer takes fenced code out with :func:`open_fence` / :func:`closes_fence`, and the streaming
splitter (:class:`BlockScanner`) cuts only where those same fences are closed, so a prefix it calls
complete renders exactly as it would inside the whole message.

Fences follow CommonMark rather than python-markdown's ``fenced_code``, because that is what models
write: an opening fence may be indented up to three spaces (code inside a list item), it closes on
the same character at least as long, and a fence never closed runs to the end of the text (a reply
cut off in the middle of code, or still streaming, shows code rather than a paragraph of backticks).
"""

from __future__ import annotations

import re
from typing import NamedTuple

TAB_LENGTH = 4  # python-markdown's tab_length

_OPEN = re.compile(r"(?P<indent> {0,3})(?P<marker>`{3,}|~{3,})(?P<info>.*)")
_ORDERED = re.compile(r"\d+")


class Fence(NamedTuple):
    marker: str  # the run of backticks or tildes that opened it
    indent: int  # spaces before it, taken off each code line
    lang: str  # first word of the info string; "" if none


def open_fence(line: str) -> Fence | None:
    """The fence that ``line`` (without its newline) opens, if it opens one."""
    m = _OPEN.fullmatch(line.expandtabs(TAB_LENGTH))
    if m is None:
        return None
    marker, info = m["marker"], m["info"].strip()
    if marker[0] == "`" and "`" in info:  # ``` x ``` on a line of its own is inline code
        return None
    lang = info.split(maxsplit=1)[0].strip("{}.") if info else ""
    return Fence(marker, len(m["indent"]), lang)


def closes_fence(line: str, fence: Fence) -> bool:
    """Whether ``line`` closes ``fence``: up to three spaces, then the same character, at least as many."""
    text = line.expandtabs(TAB_LENGTH)
    body = text.lstrip(" ")
    if len(text) - len(body) > 3:
        return False
    body = body.rstrip(" ")
    return len(body) >= len(fence.marker) and body == fence.marker[0] * len(body)


def is_blank(line: str) -> bool:
    """A line python-markdown treats as empty (spaces and tabs only)."""
    return not line.strip(" \t")


def starts_own_block(line: str, complete: bool) -> bool | None:
    """Whether a line after a blank line starts a block that owes nothing to the block before it.

    python-markdown joins a block to the one before the blank line when it is indented (list item
    continuation, more indented code), a list item (a loose list) or a quote line (the same quote).
    ``line`` may be the first characters of a line still arriving (``complete`` false): None means
    they cannot tell yet.
    """
    first = line[:1]
    if not first or first in " \t":
        return False if line.strip(" \t") else None  # indented text, or nothing to tell by yet
    if first == ">":
        return False
    if first in "-*+":
        marker_end = 1
    else:
        m = _ORDERED.match(line)
        if m is None:
            return True
        if m.end() == len(line):
            return True if complete else None
        if line[m.end()] != ".":
            return True
        marker_end = m.end() + 1
    if marker_end == len(line):
        return True if complete else None
    return line[marker_end] not in " \t"  # "- item" or "1. item", not "---" or "1.5"


class BlockScanner:
    """Follows a text that grows at its end and finds where its complete blocks end.

    A cut falls at the start of a line that follows a blank line outside fenced code and starts a
    block of its own (:func:`starts_own_block`). Work per call is proportional to the text added,
    plus the text kept since the last cut (it is not rescanned, only kept).
    """

    def __init__(self) -> None:
        self.text = ""  # everything after the last cut
        self._scanned = 0  # offset in ``text`` of the first line not scanned yet
        self._fence: Fence | None = None
        self._content = False  # non-blank text since the last cut
        self._after_blank = False  # a blank line followed that text; the next line decides

    @property
    def fence(self) -> Fence | None:
        """The fence open at the end of the scanned lines."""
        return self._fence

    def feed(self, more: str) -> int:
        """Append ``more``; return the length of the prefix of ``text`` made of complete blocks."""
        self.text += more
        text, cut = self.text, 0
        while (end := text.find("\n", self._scanned)) >= 0:
            start, line = self._scanned, text[self._scanned : end]
            self._scanned = end + 1
            if self._fence is not None:
                if closes_fence(line, self._fence):
                    self._fence = None
            elif is_blank(line):
                self._after_blank = self._content
            else:
                if self._after_blank and starts_own_block(line, complete=True):
                    cut = start
                self._after_blank = False
                self._content = True
                self._fence = open_fence(line)
        if self._after_blank:  # the line still arriving may already tell
            decided = starts_own_block(text[self._scanned :], complete=False)
            if decided is not None:
                if decided:
                    cut = self._scanned
                self._after_blank = False
                self._content = True
        return cut

    def cut(self, n: int) -> str:
        """Remove and return the first ``n`` characters of ``text`` (blocks handed out as complete)."""
        head, self.text = self.text[:n], self.text[n:]
        self._scanned -= n
        return head
