"""Model output is untrusted: no raw HTML, no images, no link but http(s) and mailto."""

from __future__ import annotations

import pytest

from app.render import render_markdown, safe_href
from tests.render.html_tools import assert_safe

RAW_HTML = [
    "<script>alert(1)</script>",
    "<b>x</b>",
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    "<div onclick=alert(1)>hi</div>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<style>body { display: none }</style>",
    "<!-- a comment -->",
    '<object data="x.swf"></object>',
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
]

# The same payload as a block of its own, inline in a paragraph, and inside other blocks.
CONTEXTS = [
    "{}",
    "Some text {} more text.",
    "- item {}\n- other",
    "1. item\n\n   {}",
    "# Heading {}",
    "> quoted {}",
    "| a | b |\n|---|---|\n| {} | 2 |",
    "*emphasis {}*",
]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("payload", RAW_HTML)
def test_raw_html_is_visible_text(payload: str, context: str) -> None:
    parsed = assert_safe(render_markdown(context.format(payload)).html)
    assert " ".join(payload.split()) in parsed.text


def test_html_block_spanning_lines_is_text() -> None:
    text = '<div>\n<script>\nalert("x")\n</script>\n</div>\n\nAfter.'
    parsed = assert_safe(render_markdown(text).html)
    assert "<script>" in parsed.text and 'alert("x")' in parsed.text and "After." in parsed.text


def test_entities_stay_text() -> None:
    parsed = assert_safe(render_markdown("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &copy;").html)
    assert "<script>alert(1)</script> & ©" in parsed.text


@pytest.mark.parametrize(
    "text",
    [
        "![alt](http://evil.example/x.png)",
        '![alt](http://evil.example/x.png "a title")',
        "![alt][pic]\n\n[pic]: http://evil.example/x.png",
        "![alt][]\n\n[alt]: http://evil.example/x.png",
        "![alt]\n\n[alt]: http://evil.example/x.png",
    ],
)
def test_images_become_links_that_say_so(text: str) -> None:
    parsed = assert_safe(render_markdown(text).html)
    assert parsed.links() == [("http://evil.example/x.png", "🖼 alt")]


def test_image_without_alt() -> None:
    parsed = assert_safe(render_markdown("![](https://example.com/x.png)").html)
    assert parsed.links() == [("https://example.com/x.png", "🖼 image")]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4=", "file:///etc/passwd", "x.png"]
)
def test_image_with_unsafe_url_is_plain_text(url: str) -> None:
    parsed = assert_safe(render_markdown(f"![alt]({url})").html)
    assert parsed.links() == []
    assert "🖼 alt" in parsed.text


def test_image_inside_link_gives_one_link() -> None:
    parsed = assert_safe(render_markdown("[![logo](http://img.example/l.png)](https://site.example/)").html)
    assert parsed.links() == [("https://site.example/", "🖼 logo")]
    assert [tag for tag, _ in parsed.tags].count("a") == 1


BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "java&#9;script:alert(1)",
    "java&#10;script:alert(1)",
    "&#32;javascript:alert(1)",
    "<javascript:alert(1)>",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "copy-code:0",  # only the renderer's own Copy links may use it
    "/relative/path",
    "relative.html",
    "../up",
    "#anchor",
    "//evil.example/x",
    "?q=1",
    "",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_unsafe_links_become_plain_text(url: str) -> None:
    for text in (f"[click me]({url})", f"[click me][r]\n\n[r]: {url}"):
        parsed = assert_safe(render_markdown(text).html)
        assert parsed.links() == [], text
        assert "click me" in parsed.text


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "file:///etc/passwd"])
def test_unsafe_autolinks_are_plain_text(url: str) -> None:
    parsed = assert_safe(render_markdown(f"see <{url}> here").html)
    assert parsed.links() == []
    assert url in parsed.text


GOOD_LINKS = [
    ("[x](https://example.com/a?b=1&c=2#top)", "https://example.com/a?b=1&c=2#top"),
    ("[x](http://example.com)", "http://example.com"),
    ("[x](HTTPS://EXAMPLE.COM/)", "HTTPS://EXAMPLE.COM/"),
    ("[x](mailto:someone@example.com)", "mailto:someone@example.com"),
    ("[x](<https://example.com/a b>)", "https://example.com/a b"),
    ('[x](https://example.com/ "title")', "https://example.com/"),
    ("[x][r]\n\n[r]: https://example.com/ref", "https://example.com/ref"),
    ("<https://example.com/auto>", "https://example.com/auto"),
    ("<someone@example.com>", "mailto:someone@example.com"),
    ("[x](https://example.com/?q=&lt;b&gt;)", "https://example.com/?q=<b>"),
]


@pytest.mark.parametrize(("text", "href"), GOOD_LINKS)
def test_http_https_mailto_links_survive(text: str, href: str) -> None:
    parsed = assert_safe(render_markdown(text).html)
    assert parsed.hrefs() == [href]


def test_code_block_language_is_escaped() -> None:
    for fence in ("```<script>alert(1)</script>", '```{.x"onmouseover=alert(1)}', "~~~ <img src=x>"):
        rendered = render_markdown(f"{fence}\ncode\n{fence[:3]}")
        parsed = assert_safe(rendered.html)
        assert rendered.code_blocks == ["code"]
        assert parsed.hrefs() == ["copy-code:0"]


def test_html_inside_code_is_shown_and_copied_verbatim() -> None:
    source = '<script>alert(1)</script>\n<img src=x onerror="alert(2)">'
    for text in (f"```html\n{source}\n```", "\n".join("    " + line for line in source.split("\n"))):
        rendered = render_markdown(text)
        parsed = assert_safe(rendered.html)
        assert rendered.code_blocks == [source]
        assert "<script>alert(1)</script>" in parsed.text


def test_control_characters_cannot_forge_placeholders() -> None:
    """python-markdown marks stashed HTML with \\x02…\\x03; they are dropped from the input."""
    text = "\x02wzxhzdk:0\x03 <b>x</b>\n\n```\n<i>code</i>\n```"
    parsed = assert_safe(render_markdown(text).html)
    assert "<b>x</b>" in parsed.text


def test_dark_mode_is_as_safe() -> None:
    text = "<script>x</script> ![a](http://e.example/x.png) [j](javascript:x)\n\n```\n<b>\n```"
    parsed = assert_safe(render_markdown(text, dark=True).html)
    assert parsed.hrefs() == ["http://e.example/x.png", "copy-code:0"]


def test_safe_href() -> None:
    assert safe_href("https://example.com") == "https://example.com"
    assert safe_href(" mailto:a@b.example ") == "mailto:a@b.example"
    assert safe_href("&#104;ttps://example.com") == "https://example.com"
    for bad in (
        "javascript:x",
        "java\tscript:x",
        "&#106;avascript:x",
        "x.html",
        "//e.example",
        "data:,x",
        "",
    ):
        assert safe_href(bad) is None, bad
