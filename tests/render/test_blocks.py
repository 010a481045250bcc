"""The line rules shared by the renderer and the streaming splitter."""

from __future__ import annotations

import random

import pytest

from app.render.blocks import BlockScanner, Fence, closes_fence, open_fence, starts_own_block


@pytest.mark.parametrize(
    ("line", "fence"),
    [
        ("```", Fence("```", 0, "")),
        ("```python", Fence("```", 0, "python")),
        ("~~~~ js extra words", Fence("~~~~", 0, "js")),
        ("   ```c++", Fence("```", 3, "c++")),
        ("```{.python .numbers}", Fence("```", 0, "python")),
        ("~~~ a`b", Fence("~~~", 0, "a`b")),
        ("    ```", None),  # four spaces: indented code
        ("\t```", None),
        ("``", None),
        ("``` inline ```", None),
        ("text ```", None),
        ("", None),
    ],
)
def test_open_fence(line: str, fence: Fence | None) -> None:
    assert open_fence(line) == fence


def test_closes_fence() -> None:
    fence = Fence("````", 0, "")
    assert closes_fence("````", fence)
    assert closes_fence("`````  ", fence)
    assert closes_fence("   ````", fence)
    assert not closes_fence("```", fence)  # shorter
    assert not closes_fence("~~~~", fence)  # other character
    assert not closes_fence("```` x", fence)
    assert not closes_fence("    ````", fence)


@pytest.mark.parametrize(
    ("line", "complete", "own"),
    [
        ("Paragraph", False, True),
        ("P", False, True),
        ("# Heading", False, True),
        ("```", False, True),
        ("| a |", False, True),
        ("---", False, True),
        ("**bold**", False, True),
        ("2024 was a year", False, True),
        ("3.14 is pi", False, True),
        ("- item", False, False),  # a loose list goes on
        ("* item", False, False),
        ("+\titem", False, False),
        ("12. item", False, False),
        ("> quote", False, False),
        ("  indented", False, False),
        ("\tindented", False, False),
        ("", False, None),
        ("  ", False, None),
        ("-", False, None),
        ("12", False, None),
        ("12.", False, None),
        ("-", True, True),
        ("12.", True, True),
    ],
)
def test_starts_own_block(line: str, complete: bool, own: bool | None) -> None:
    assert starts_own_block(line, complete) is own


def cuts(text: str, step: int = 0) -> list[int]:
    """Offsets (in the whole text) where the scanner cut, feeding ``step`` characters at a time."""
    scanner, done, out = BlockScanner(), 0, []
    pieces = [text[i : i + step] for i in range(0, len(text), step)] if step else [text]
    for piece in pieces:
        cut = scanner.feed(piece)
        if cut:
            scanner.cut(cut)
            done += cut
            out.append(done)
    return out


def test_cuts_between_paragraphs() -> None:
    text = "one\n\ntwo\n\n\nthree"
    assert cuts(text) == [text.index("three")]
    assert cuts(text, 1) == [text.index("two"), text.index("three")]


def test_no_cut_inside_fences() -> None:
    text = "```\na\n\nb\n```\n\n````md\n```\n\nx\n```\n\ny\n````\n\n~~~\n\n```\n\n~~~\n\nend"
    assert cuts(text, 1) == [text.index("````md"), text.index("~~~\n\n```"), text.index("end")]


def test_unterminated_fence_never_cuts() -> None:
    text = "intro\n\n```python\na = 1\n\nb = 2\n\nc = 3\n"
    assert cuts(text, 1) == [text.index("```")]


def test_no_cut_before_what_python_markdown_joins() -> None:
    for text in (
        "- a\n\n- b\n\n",
        "1. a\n\n2. b\n\n",
        "- a\n\n    continued\n\n",
        "    code\n\n    more code\n\n",
        "> a\n\n> b\n\n",
    ):
        assert cuts(text, 1) == [], text


@pytest.mark.parametrize("seed", range(20))
def test_cuts_do_not_depend_on_chunking(seed: int) -> None:
    rng = random.Random(seed)
    parts = ["para", "- item", "    code", "```", "~~~~", "> q", "1. x", "12 y", "", "", "", "# h", "`` `"]
    text = "\n".join(rng.choice(parts) for _ in range(60))
    whole = cuts(text)
    final = whole[-1] if whole else 0
    for step in (1, 2, 7):
        got = cuts(text, step)
        assert (got[-1] if got else 0) == final
        assert set(got) <= set(cuts(text, 1))
