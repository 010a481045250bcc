"""Reading rendered HTML back as a browser would: tags, attributes, visible text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags that load, run or embed something; none may ever come out of the renderer.
FORBIDDEN_TAGS = frozenset(
    {"script", "img", "iframe", "frame", "frameset", "object", "embed", "style", "link", "meta", "base"}
    | {"form", "input", "button", "svg", "math", "video", "audio", "source", "picture", "template"}
)
ALLOWED_HREF = re.compile(r"(?:https?:|mailto:|copy-code:\d+$)", re.IGNORECASE)


class Parsed(HTMLParser):
    """One HTML string, parsed (entities decoded, as a browser does)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, ...]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.other: list[str] = []  # comments, declarations, processing instructions
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.events.append(("start", tag, *sorted(f"{k}={v}" for k, v in attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("data", data))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"decl {decl}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"pi {data}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"unknown {data}")

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return " ".join("".join(e[1] for e in self.events if e[0] == "data").split())

    def shape(self) -> list[tuple[str, ...]]:
        """Tags in order with text between them, whitespace collapsed: equal shapes look the same."""
        out: list[tuple[str, ...]] = []
        pending = ""
        for event in [*self.events, ("end", "")]:
            if event[0] == "data":
                pending += event[1]
                continue
            if words := " ".join(pending.split()):
                out.append(("data", words))
            pending = ""
            out.append(event)
        return out[:-1]

    def hrefs(self) -> list[str]:
        return [attrs.get("href") or "" for tag, attrs in self.tags if tag == "a"]

    def links(self) -> list[tuple[str, str]]:
        """(href, text) of each <a>."""
        out, stack = [], []
        for event in self.events:
            if event[:2] == ("start", "a"):
                href = next((a[5:] for a in event[2:] if a.startswith("href=")), "")
                stack.append([href, ""])
            elif event[0] == "data" and stack:
                stack[-1][1] += event[1]
            elif event[:2] == ("end", "a") and stack:
                href, text = stack.pop()
                out.append((href, " ".join(text.split())))
        return out


def shape(html: str) -> list[tuple[str, ...]]:
    return Parsed(html).shape()


def assert_safe(html: str) -> Parsed:
    """No tag that loads or runs anything, no event handler, no link but http(s), mailto, copy-code."""
    parsed = Parsed(html)
    for tag, attrs in parsed.tags:
        assert tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name not in ("src", "srcset", "action", "formaction", "xlink:href", "background"), html
            if name == "href":
                assert value is not None and ALLOWED_HREF.match(value), (value, html)
    assert parsed.other == [], html
    return parsed
