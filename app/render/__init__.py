"""Model output as HTML for the chat view: Markdown, made safe, rendered whole or while it streams.

Headless: no Qt here; the HTML targets QTextBrowser's subset (inline styles, no scripts).
"""

from __future__ import annotations

from app.render.markdown_html import (
    COPY_SCHEME,
    Rendered,
    StreamingMarkdown,
    StreamUpdate,
    render_markdown,
    safe_href,
)

__all__ = ["COPY_SCHEME", "Rendered", "StreamUpdate", "StreamingMarkdown", "render_markdown", "safe_href"]
