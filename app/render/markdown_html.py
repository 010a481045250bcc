"""Markdown → HTML for model output, shown in Qt's QTextBrowser (no Qt here).

Model output is untrusted: raw HTML comes out as visible text, images become links that say they are
images, and only http, https and mailto links stay links. Colours are inline styles, since
QTextDocument's HTML subset does little with CSS classes. Each code block is a table whose first
row names the language and holds a ``copy-code:N`` link, and its source is kept so the UI can copy
block N.

:class:`StreamingMarkdown` renders a reply while it grows: complete blocks are rendered once and
appended, and only the block still growing (the tail) is rendered again on each update.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHilite
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, ETX, STX
from pygments.styles import get_style_by_name
from pygments.token import Text

from app.render.blocks import TAB_LENGTH, BlockScanner, Fence, closes_fence, open_fence

LIGHT_STYLE = "default"  # Pygments styles for code blocks
DARK_STYLE = "github-dark"
COPY_SCHEME = "copy-code"  # <a href="copy-code:N">: the UI copies code block N
# Code blocks: a monospace font for Latin text first (macOS, Windows, Linux), then fonts with
# Simplified Chinese glyphs for comments and strings in Chinese (Linux, Windows, macOS); without
# them Qt falls back to whatever CJK font the system lists first, often a Japanese one.
CODE_FONT_FAMILIES = (
    "Menlo",
    "Consolas",
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Noto Sans Mono CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
    "monospace",
)
CODE_FONT_CSS = ", ".join(f"'{f}'" if " " in f else f for f in CODE_FONT_FAMILIES)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

_URL_IGNORED = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_KEEP_ATTRS = {"ol": ("start",), "th": ("style",), "td": ("style",)}  # tables align cells with style
_TABLE_ATTRS = {"border": "1", "cellspacing": "0", "cellpadding": "4", "style": "border-collapse: collapse;"}


@dataclass(frozen=True)
class Rendered:
    html: str
    code_blocks: list[str]  # source of each code block; block i has the link copy-code:(start + i)


def render_markdown(text: str, *, dark: bool = False, code_index_start: int = 0) -> Rendered:
    """Render a whole message; code blocks are numbered from ``code_index_start`` in the copy links."""
    return _renderer(dark).render(text, code_index_start)[0]


def safe_href(value: str) -> str | None:
    """The URL in an href as a browser would read it, if its scheme is http, https or mailto."""
    url = _URL_IGNORED.sub("", html.unescape(value.replace(AMP_SUBSTITUTE, "&"))).strip()
    m = _SCHEME.match(url)
    return url if m is not None and m[1].lower() in SAFE_SCHEMES else None


@dataclass(frozen=True)
class StreamUpdate:
    append_html: str  # blocks completed since the last call: append after what is shown
    tail_html: str  # the block still growing: replaces the previous tail
    restart: bool = False  # the text did not continue the last one: clear everything shown first


class StreamingMarkdown:
    """Renders a reply as it streams, with total work linear in its length.

    The text splits into complete blocks (rendered once, when they complete) and the tail after the
    last cut (rendered on every update). Cuts fall only where the blocks on either side render the
    same apart as together (see :mod:`app.render.blocks`), so what the updates add up to is the
    rendering of the whole reply. Reference-style link definitions carry forward to later blocks.
    """

    def __init__(self, *, dark: bool = False) -> None:
        self.dark = dark
        self.reset()

    def reset(self) -> None:
        """Forget the reply: the next update starts a new one."""
        self._seen = ""  # the caller's text so far (kept to check the next one continues it)
        self._scanner = BlockScanner()
        self._stable_code: list[str] = []
        self._tail_code: list[str] = []
        self._references: dict[str, Any] = {}
        self._finished = False
        self.rendered_chars = 0  # characters handed to the renderer so far (linear in the length)

    @property
    def code_blocks(self) -> list[str]:
        """Sources of all code blocks so far, in copy-link order: complete blocks, then the tail's."""
        return self._stable_code + self._tail_code

    @property
    def tail_text(self) -> str:
        """The (normalized) text after the last cut: what each update renders again."""
        return self._scanner.text

    def update(self, full_text: str) -> StreamUpdate:
        """The whole reply so far (it only grows); returns what to append and the new tail."""
        restart, cut = self._take(full_text)
        append = self._render_stable(cut)
        tail = self._render(self._scanner.text, stable=False)
        return StreamUpdate(append, tail, restart)

    def finish(self, full_text: str) -> StreamUpdate:
        """The reply is complete: everything left is appended, and the tail is empty."""
        restart, _ = self._take(full_text)
        append = self._render_stable(len(self._scanner.text))
        self._tail_code = []
        self._finished = True
        return StreamUpdate(append, "", restart)

    def _take(self, full_text: str) -> tuple[bool, int]:
        """Feed what ``full_text`` adds; start over if it does not continue the text seen so far."""
        restart = not full_text.startswith(self._seen) or (self._finished and full_text != self._seen)
        if restart:
            self.reset()
        new = full_text[len(self._seen) :]
        if self._seen.rstrip(STX + ETX).endswith("\r") and new.startswith("\n"):
            new = new[1:]  # the "\r" already counted as the line end
        self._seen = full_text
        new = new.replace(STX, "").replace(ETX, "").replace("\r\n", "\n").replace("\r", "\n")
        return restart, self._scanner.feed(new)

    def _render_stable(self, n: int) -> str:
        return self._render(self._scanner.cut(n), stable=True) if n else ""

    def _render(self, text: str, *, stable: bool) -> str:
        rendered, references = Rendered("", []), self._references
        if text.strip():
            self.rendered_chars += len(text)
            start = len(self._stable_code)
            rendered, references = _renderer(self.dark).render(text, start, self._references)
        if stable:
            self._stable_code += rendered.code_blocks
            self._references = references
        else:
            self._tail_code = rendered.code_blocks
        return rendered.html


# -- the python-markdown setup -------------------------------------------------------------------

_local = threading.local()


def _renderer(dark: bool) -> _Renderer:
    """This thread's renderer (a Markdown instance is costly to build, and not thread-safe)."""
    renderers: dict[bool, _Renderer] | None = getattr(_local, "renderers", None)
    if renderers is None:
        renderers = _local.renderers = {}
    if dark not in renderers:
        renderers[dark] = _Renderer(dark)
    return renderers[dark]


class _Renderer:
    """One python-markdown instance with QwenDesk's rules, reset between texts."""

    def __init__(self, dark: bool) -> None:
        self.style = DARK_STYLE if dark else LIGHT_STYLE
        self.muted = "#8b949e" if dark else "#6a737d"
        style = get_style_by_name(self.style)
        fg = style.style_for_token(Text)["color"]
        color = f" color: #{fg};" if fg else ""
        bg = style.background_color
        # QTextDocument has no flexbox: a one-row header (language left, Copy right) over the code,
        # both in one table so they read as one block.
        header_bg = _shade(bg, 0.06 if dark else -0.05)
        cell = f'bgcolor="{header_bg}" style="font-size: small; padding: 4px 10px;"'
        self.code_wrapper = (
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{bg}" style="margin-top: 8px;">'
            f'<tr><td {cell}><span style="color: {self.muted};">{{lang}}</span></td>'
            f'<td align="right" {cell}>{{copy}}</td></tr>'
            f'<tr><td colspan="2"><pre style="margin: 0; font-family: {CODE_FONT_CSS};{color}">{{code}}</pre>'
            "</td></tr></table>\n"
        )
        self.code_blocks: list[str] = []  # in document order, once rendered
        self.code_index_start = 0
        self.sources: list[str] = []  # in the order found: fenced blocks come before indented ones
        self.md = markdown.Markdown(
            extensions=["tables", "sane_lists", _QwenDeskExtension(self)],
            output_format="html",
            tab_length=TAB_LENGTH,
        )

    def render(
        self, text: str, code_index_start: int, references: dict[str, Any] | None = None
    ) -> tuple[Rendered, dict[str, Any]]:
        """The HTML, and the link references known after it (with those passed in)."""
        self.md.reset()
        self.code_blocks, self.sources = [], []
        self.code_index_start = code_index_start
        if references:
            self.md.references.update(references)
        out = self.md.convert(text)
        return Rendered(out, self.code_blocks), dict(self.md.references)

    def code_block(self, source: str, lang: str) -> str:
        """The highlighted code under a header row: its language ("text" if none) and its Copy link.

        The link holds a provisional number that :class:`_NumberCopyLinks` replaces.
        """
        source = source.strip("\n")
        self.sources.append(source)
        index = f"{STX}copy:{len(self.sources) - 1}{ETX}"  # no STX in the input: cannot be forged
        code = CodeHilite(
            source,
            lang=lang or None,
            guess_lang=False,  # guessing is slow and flickers while streaming
            noclasses=True,
            nowrap=True,  # the wrapper: a table cell paints one unbroken background in Qt
            style=self.style,
            tabsize=TAB_LENGTH,  # shown with spaces; copied with its tabs
        ).hilite(shebang=False)
        return self.code_wrapper.format(
            lang=html.escape(lang or "text"),
            copy=f'<a href="{COPY_SCHEME}:{index}">Copy</a>',
            code=code.rstrip("\n"),
        )


def _shade(color: str, amount: float) -> str:
    """``#rrggbb`` moved towards white (amount > 0) or black (< 0): the header a step off the code."""
    rgb = [int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    target = 255 if amount > 0 else 0
    return "#" + "".join(f"{round(c + (target - c) * abs(amount)):02x}" for c in rgb)


class _QwenDeskExtension(Extension):
    def __init__(self, renderer: _Renderer) -> None:
        self.renderer = renderer
        super().__init__()

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")  # raw HTML would pass through: it stays text
        md.inlinePatterns.deregister("html")
        md.preprocessors.register(_NormalizeAndFence(md, self.renderer), "normalize_whitespace", 30)
        md.treeprocessors.register(_IndentedCode(md, self.renderer), "hilite", 30)
        md.treeprocessors.register(_Sanitize(md), "qwendesk_sanitize", -10)  # after 'unescape' (0)
        md.postprocessors.register(_NumberCopyLinks(md, self.renderer), "qwendesk_copy_links", 10)


class _NormalizeAndFence(Preprocessor):
    """python-markdown's whitespace normalization, taking fenced code out on the way.

    Fences follow :mod:`app.render.blocks`. Code lines skip the tab expansion, so a copied
    Makefile or Go file keeps its tabs.
    """

    def __init__(self, md: markdown.Markdown, renderer: _Renderer) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines).replace(STX, "").replace(ETX, "")
        out: list[str] = []
        fence: Fence | None = None
        code: list[str] = []
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if fence is not None:
                if closes_fence(line, fence):
                    out += self._code(code, fence)
                    fence = None
                else:
                    body = line.lstrip(" ")
                    code.append(line[min(fence.indent, len(line) - len(body)) :])
            elif (fence := open_fence(line)) is not None:
                code = []
            else:
                line = line.expandtabs(TAB_LENGTH)
                out.append(line if line.strip(" ") else "")
        if fence is not None:  # never closed: code to the end
            out += self._code(code, fence)
        return [*out, "", ""]

    def _code(self, code: list[str], fence: Fence) -> list[str]:
        placeholder = self.md.htmlStash.store(self.renderer.code_block("\n".join(code), fence.lang))
        return ["", placeholder, ""]


class _IndentedCode(Treeprocessor):
    """Indented code blocks (python-markdown finds those) get the same treatment as fenced ones."""

    def __init__(self, md: markdown.Markdown, renderer: _Renderer) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        for pre in root.iter("pre"):
            if len(pre) == 1 and pre[0].tag == "code" and pre[0].text is not None:
                source = pre[0].text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                pre.clear()
                pre.tag = "p"  # the raw-HTML postprocessor replaces <p>placeholder</p> whole
                pre.text = self.md.htmlStash.store(self.renderer.code_block(source, ""))


class _NumberCopyLinks(Postprocessor):
    """Numbers the Copy links in document order, and lists the code blocks in that order."""

    _LINK = re.compile(f'href="{COPY_SCHEME}:{STX}copy:(\\d+){ETX}"')

    def __init__(self, md: markdown.Markdown, renderer: _Renderer) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, text: str) -> str:
        r = self.renderer

        def number(m: re.Match[str]) -> str:
            r.code_blocks.append(r.sources[int(m[1])])
            return f'href="{COPY_SCHEME}:{r.code_index_start + len(r.code_blocks) - 1}"'

        return self._LINK.sub(number, text)


class _Sanitize(Treeprocessor):
    """Links only to http, https and mailto; images become links; no attributes but known ones."""

    def run(self, root: etree.Element) -> None:
        _sanitize(root, in_link=False)


def _sanitize(parent: etree.Element, in_link: bool) -> None:
    for el in parent:
        if el.tag in ("a", "img"):
            url = None if in_link else safe_href(el.get("href" if el.tag == "a" else "src", ""))
            title = el.get("title")
            if el.tag == "img":
                el.text = f"🖼 {el.get('alt') or 'image'}"
            el.attrib.clear()
            el.tag = "span" if url is None else "a"
            if url is not None:
                el.set("href", url.replace("&", "&amp;"))  # the serializer leaves entities alone
                if title:
                    el.set("title", title)
            _sanitize(el, in_link or url is not None)
            continue
        keep = _KEEP_ATTRS.get(el.tag, ())
        for name in [name for name in el.attrib if name not in keep]:
            del el.attrib[name]
        if el.tag == "table":
            el.attrib.update(_TABLE_ATTRS)
        _sanitize(el, in_link)
