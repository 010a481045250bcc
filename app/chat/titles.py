"""A conversation's title: at first its opening question, cut to fit the list."""

from __future__ import annotations

TITLE_CHARS = 60


def title_from(text: str) -> str:
    """The first words of ``text`` on one line, at most TITLE_CHARS characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
