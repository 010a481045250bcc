"""Markdown files as sections: each ATX heading (``#`` to ``###``) outside a code fence starts one.

The text is kept as written (the model reads Markdown well); splitting at headings only gives
sources a name ("§ Installation") and keeps a chunk from straddling two topics.
"""

from __future__ import annotations

import re

from app.documents.document import Page

_HEADING = re.compile(r"^ {0,3}(#{1,3})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_pages(text: str) -> list[Page]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        fence_match = _FENCE.match(line)
        if fence is None and fence_match:
            fence = fence_match.group(1)[0] * 3
        elif fence is not None and line.lstrip().startswith(fence):
            fence = None
        elif fence is None and (heading := _HEADING.match(line.rstrip("\r\n"))):
            sections.append((heading.group(2).strip(), []))
        sections[-1][1].append(line)
    pages = []
    for title, lines in sections:
        body = "".join(lines).strip()
        if body:
            pages.append(Page(None, body, f"§ {title}" if title else ""))
    return pages
