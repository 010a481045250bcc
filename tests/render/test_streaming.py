"""Streaming: complete blocks rendered once, only the tail again; the pieces add up to the whole."""

from __future__ import annotations

import random

import pytest

from app.render import StreamingMarkdown, StreamUpdate, render_markdown
from tests.render.html_tools import Parsed, assert_safe, shape

# Documents as lists of top-level blocks that render the same apart as together.
DOCS: dict[str, list[str]] = {
    "paragraphs": [
        "# A heading",
        "A first paragraph with *emphasis*, `code` and a [link](https://example.com).",
        "A second one\nover two lines, with **bold** and <b>raw html</b>.",
        "2024 was a year; 3.14 is pi.",
        "Setext heading\n--------------",
        "---",
        "## Another heading",
        "The end.",
    ],
    "lists": [
        "Steps:",
        "- one\n- two\n    - two a\n    - two b\n        1. deep\n        2. deeper\n- three",
        "1. loose\n\n2. list\n\n   with a second paragraph\n\n3. items",
        "* star\n\n    indented continuation\n\n+ plus",
        "Between lists.",
        "> a quote\n>\n> more quote\n\n> joined to it",
    ],
    "tables": [
        "| Name | Value |\n|:-----|------:|\n| a | 1 |\n| b | 22 |",
        "Text between tables.",
        "a | b\n--|--\n`x` | *y*",
    ],
    "code": [
        "Here is code:",
        "```python\ndef f():\n\n    return 1\n\n\nprint(f())\n```",
        "~~~~markdown\n```js\nx = 1\n```\n\n~~~\nstill inside\n~~~\n~~~~",
        "````\n```\n\ninner\n\n```\n````",
        "    indented code\n\n    after a blank line",
        "1. Install:\n   ```bash\n   pip install x\n\n   pip install y\n   ```\n2. Run it.",
        "```\nno language\n\n```",
        "Done.",
    ],
    "unterminated": [
        "Intro.",
        "```python\nx = 1\n\ny = 2\n\n# the reply was cut off here",
    ],
}


def stream(text: str, rng: random.Random, sizes: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 40)) -> list[int]:
    """Random cut points: the lengths of the successive texts the streamer is shown."""
    ends, at = [], 0
    while at < len(text):
        at = min(len(text), at + rng.choice(sizes))
        ends.append(at)
    return ends


def run(text: str, ends: list[int], sm: StreamingMarkdown | None = None) -> tuple[str, StreamingMarkdown]:
    sm = sm or StreamingMarkdown()
    appended = [sm.update(text[:end]).append_html for end in ends]
    final = sm.finish(text)
    assert final.tail_html == "" and not final.restart
    return "".join([*appended, final.append_html]), sm


def separately(blocks: list[str]) -> tuple[str, list[str]]:
    html: list[str] = []
    code: list[str] = []
    for block in blocks:
        rendered = render_markdown(block, code_index_start=len(code))
        html.append(rendered.html)
        code += rendered.code_blocks
    return "".join(html), code


@pytest.mark.parametrize("name", DOCS)
@pytest.mark.parametrize("seed", range(6))
def test_pieces_add_up_to_the_whole(name: str, seed: int) -> None:
    blocks = DOCS[name]
    text = "\n\n".join(blocks)
    expected_html, expected_code = separately(blocks)
    whole = render_markdown(text)
    assert shape(whole.html) == shape(expected_html) and whole.code_blocks == expected_code

    html, sm = run(text, stream(text, random.Random(seed)))
    assert shape(html) == shape(expected_html)
    assert sm.code_blocks == expected_code
    assert_safe(html)


@pytest.mark.parametrize("name", DOCS)
def test_every_update_shows_the_text_so_far(name: str) -> None:
    """Appended HTML plus the current tail always renders the text received so far, copy links included."""
    text = "\n\n".join(DOCS[name])
    sm, shown = StreamingMarkdown(), ""
    for end in stream(text, random.Random(7), sizes=(1, 4, 9)):
        update = sm.update(text[:end])
        shown += update.append_html
        expected = render_markdown(text[:end])
        assert shape(shown + update.tail_html) == shape(expected.html), text[:end]
        assert sm.code_blocks == expected.code_blocks
        hrefs = [h for h in Parsed(shown + update.tail_html).hrefs() if h.startswith("copy-code:")]
        assert hrefs == [f"copy-code:{i}" for i in range(len(sm.code_blocks))]


def test_reference_links_defined_earlier_carry_forward() -> None:
    text = "[ref]: https://example.com/ref\n\nFirst [use][ref].\n\nLater [use][ref] again."
    html, _ = run(text, stream(text, random.Random(1)))
    assert Parsed(html).hrefs() == ["https://example.com/ref"] * 2


def test_tail_never_holds_more_than_one_block() -> None:
    """50 paragraphs and code blocks with blank lines, 1000 updates: each re-renders one block at most."""
    rng = random.Random(3)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]
    blocks = []
    for i in range(50):
        if i % 7 == 3:
            blocks.append(
                "```python\n" + "\n\n".join(f"x{j} = {j}" for j in range(rng.randint(2, 6))) + "\n```"
            )
        else:
            blocks.append(" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))).capitalize() + ".")
    text = "\n\n".join(blocks)
    longest = max(len(b) for b in blocks)
    sm, shown, once = StreamingMarkdown(), "", 0
    for k in range(1000):
        before = sm.rendered_chars
        update = sm.update(text[: len(text) * (k + 1) // 1000])
        shown += update.append_html
        tail = sm.tail_text
        assert len(tail) <= longest + 2  # one block and the blank line after it
        assert any(b.startswith(tail.strip()) for b in blocks), tail
        once += sm.rendered_chars - before - (len(tail) if tail.strip() else 0)
    before = sm.rendered_chars
    final = sm.finish(text)
    once += sm.rendered_chars - before
    assert once <= len(text)  # the rest of the work: complete blocks, each rendered once
    assert shape(shown + final.append_html) == shape(render_markdown(text).html)


def test_total_work_is_linear() -> None:
    """Characters handed to the renderer per character of text stay flat as the reply grows."""

    def cost(paragraphs: int) -> tuple[float, float]:
        blocks = [f"Paragraph {i} " + "with some words " * 6 for i in range(paragraphs)]
        blocks[::5] = ["```\n" + "code line\n\n" * 3 + "```"] * len(blocks[::5])
        text = "\n\n".join(blocks)
        sm = StreamingMarkdown()
        ends = list(range(3, len(text), 3))
        for end in ends:
            sm.update(text[:end])
        sm.finish(text)
        naive = sum(ends) + len(text)  # re-rendering everything on every update
        return sm.rendered_chars / len(text), naive / len(text)

    small, naive_small = cost(10)
    large, naive_large = cost(160)
    assert large <= small * 1.15
    assert large < 30
    assert naive_large > naive_small * 10  # what the test would catch


def test_text_that_does_not_continue_restarts() -> None:
    sm = StreamingMarkdown()
    sm.update("First block.\n\n```\ncode\n```\n\nSecond")
    assert sm.code_blocks == ["code"]
    update = sm.update("Something else entirely")
    assert update.restart
    assert update.append_html == "" and shape(update.tail_html) == shape("<p>Something else entirely</p>")
    assert sm.code_blocks == []
    more = sm.update("Something else entirely.\n\nNext")
    assert not more.restart and shape(more.append_html) == shape("<p>Something else entirely.</p>")


def test_restart_renders_everything_complete_at_once() -> None:
    sm = StreamingMarkdown()
    sm.update("abc")
    update = sm.update("One.\n\nTwo.\n\nThr")
    assert update.restart
    assert shape(update.append_html) == shape("<p>One.</p><p>Two.</p>")
    assert shape(update.tail_html) == shape("<p>Thr</p>")


def test_finish_and_after() -> None:
    sm = StreamingMarkdown()
    sm.update("Para.\n\n```py\nx = 1")
    assert sm.code_blocks == ["x = 1"]  # an open fence already shows as code
    done = sm.finish("Para.\n\n```py\nx = 1\n```")
    assert not done.restart and done.tail_html == ""
    assert sm.code_blocks == ["x = 1"] and 'href="copy-code:0"' in done.append_html
    assert sm.finish("Para.\n\n```py\nx = 1\n```") == StreamUpdate("", "", False)
    again = sm.update("Para.\n\n```py\nx = 1\n```\n\nMore?")  # it had ended: a new reply
    assert again.restart
    sm.reset()
    assert sm.code_blocks == [] and sm.rendered_chars == 0 and sm.tail_text == ""


def test_empty_and_blank_updates() -> None:
    sm = StreamingMarkdown()
    assert sm.update("") == StreamUpdate("", "", False)
    assert sm.update("\n\n  ") == StreamUpdate("", "", False)
    assert sm.rendered_chars == 0


@pytest.mark.parametrize("seed", range(5))
def test_windows_line_endings(seed: int) -> None:
    blocks = DOCS["code"] + DOCS["paragraphs"]
    text = "\r\n\r\n".join(b.replace("\n", "\r\n") for b in blocks)
    html, sm = run(text, stream(text, random.Random(seed), sizes=(1, 2, 3)))
    expected = render_markdown(text)
    assert shape(html) == shape(expected.html)
    assert sm.code_blocks == expected.code_blocks == separately(blocks)[1]


def test_dark_streaming_matches_dark_rendering() -> None:
    text = "\n\n".join(DOCS["code"])
    sm = StreamingMarkdown(dark=True)
    html, _ = run(text, stream(text, random.Random(2)), sm)
    assert shape(html) == shape(render_markdown(text, dark=True).html)
