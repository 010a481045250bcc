"""Whole-message rendering: Markdown features, code blocks with Copy links, one reused instance."""

from __future__ import annotations

import threading

from app.render import Rendered, render_markdown
from app.render.markdown_html import _renderer
from tests.render.html_tools import Parsed, assert_safe


def test_common_markdown() -> None:
    text = (
        "# Title\n\nSome *em*, **strong**, `code` and a [link](https://example.com).\n\n"
        "- one\n- two\n    - nested\n\n1. first\n2. second\n\n> quoted\n\n---\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |"
    )
    parsed = assert_safe(render_markdown(text).html)
    tags = [tag for tag, _ in parsed.tags]
    for tag in ("h1", "em", "strong", "code", "a", "ul", "ol", "li", "blockquote", "hr", "table", "th", "td"):
        assert tag in tags, tag
    assert tags.count("ul") == 2  # the nested list is inside the first
    table = dict(parsed.tags)["table"]
    assert table["border"] == "1"  # QTextDocument draws no cell borders otherwise
    aligns = [attrs.get("style") for tag, attrs in parsed.tags if tag in ("th", "td")]
    assert aligns == ["text-align: left;", "text-align: right;"] * 2


def test_sane_lists_keep_the_start_number() -> None:
    parsed = Parsed(render_markdown("3. three\n4. four").html)
    assert ("ol", {"start": "3"}) in parsed.tags


def test_empty_text() -> None:
    assert render_markdown("") == Rendered("", [])
    assert render_markdown("  \n\n ") == Rendered("", [])


def test_code_block_structure() -> None:
    rendered = render_markdown("Intro.\n\n```python\nprint('hi')\n```\n\nOutro.")
    assert rendered.code_blocks == ["print('hi')"]
    html = rendered.html
    before, block = html.split("<table", 1)
    assert before == "<p>Intro.</p>\n"
    assert block.startswith(' width="100%" cellspacing="0" cellpadding="8" bgcolor="#f8f8f8"')
    _header, rest = block.split("</tr><tr>", 1)
    assert rest.startswith('<td colspan="2"><pre')
    assert "</pre></td></tr></table>" in rest and rest.rstrip().endswith("<p>Outro.</p>")
    assert '<span style="color: #008000">print</span>' in rest  # Pygments colours, inline
    assert "class=" not in html


def test_code_block_header_names_the_language_and_keeps_the_copy_link() -> None:
    header = render_markdown("```python\nprint('hi')\n```").html.split("</tr>", 1)[0]
    lang_cell, copy_cell = header.split("</td>", 1)
    assert lang_cell.endswith('<span style="color: #6a737d;">python</span>')
    assert '<td align="right"' in copy_cell  # the link on the right, as answer_view expects it
    assert copy_cell.endswith('<a href="copy-code:0">Copy</a></td>')
    assert Parsed(header + "</tr></table>").text == "pythonCopy"  # two cells


def test_code_block_without_language_says_text() -> None:
    html = render_markdown("```\nplain\n```").html
    assert '<span style="color: #6a737d;">text</span>' in html.split("</tr>", 1)[0]
    assert Parsed(html).text == "textCopyplain"


def test_copy_links_number_code_blocks_in_order() -> None:
    text = "```a\none\n```\n\ntext\n\n    indented\n    code\n\n~~~b\nthree\n~~~"
    rendered = render_markdown(text, code_index_start=5)
    assert rendered.code_blocks == ["one", "indented\ncode", "three"]
    assert Parsed(rendered.html).hrefs() == ["copy-code:5", "copy-code:6", "copy-code:7"]
    assert Parsed(rendered.html).text.startswith("aCopyone text textCopyindented code bCopythree")


def test_code_keeps_its_tabs_for_copying_but_shows_spaces() -> None:
    rendered = render_markdown("```make\nall:\n\tcc -o x x.c\n```")
    assert rendered.code_blocks == ["all:\n\tcc -o x x.c"]
    assert "\t" not in rendered.html


def test_code_block_source_is_verbatim() -> None:
    source = "x = '<b>&amp;</b>'  # *not* markdown\n\n\n    indented \\n line\ny = {1: [2]}"
    rendered = render_markdown(f"```python\n{source}\n```")
    assert rendered.code_blocks == [source]
    assert "<b>&amp;</b>" in Parsed(rendered.html).text


def test_fences() -> None:
    cases = {
        "````\n```\ninner\n```\n````": ["```\ninner\n```"],  # a longer fence holds a shorter one
        "~~~\n```\n~~~": ["```"],
        "```\ncode\n`````": ["code"],  # closes with the same character, at least as long
        "```\ncode\n~~~\nmore": ["code\n~~~\nmore"],  # never closed: code to the end
        "```py\nunfinished": ["unfinished"],
        "1. Install:\n   ```bash\n   pip install x\n     indented\n   ```\n2. Run.": [
            "pip install x\n  indented"
        ],
        "``` not a fence ```\n\ntext": [],
        "    ```\n    indented code\n    ```": ["```\nindented code\n```"],
        "Text right before\n```\ncode\n```\nand after.": ["code"],
        "```\n```": [""],
    }
    for text, blocks in cases.items():
        rendered = render_markdown(text)
        assert rendered.code_blocks == blocks, text
        assert_safe(rendered.html)


def test_unknown_language_is_plain_text() -> None:
    rendered = render_markdown("```no-such-language\na < b\n```")
    assert rendered.code_blocks == ["a < b"]
    assert "no-such-language" in Parsed(rendered.html).text


def test_dark_mode_uses_a_dark_style() -> None:
    text = "```python\ndef f(): pass\n```"
    light, dark = render_markdown(text).html, render_markdown(text, dark=True).html
    assert 'bgcolor="#f8f8f8"' in light
    assert 'bgcolor="#0d1117"' in dark and "color: #e6edf3" in dark
    assert Parsed(light).text == Parsed(dark).text


def test_one_markdown_instance_per_setting_is_reused() -> None:
    md_light, md_dark = _renderer(False).md, _renderer(True).md
    assert md_light is not md_dark
    for _ in range(3):
        render_markdown("# x\n\n```\ny\n```")
        render_markdown("z", dark=True)
    assert _renderer(False).md is md_light and _renderer(True).md is md_dark


def test_nothing_leaks_between_calls() -> None:
    first = render_markdown("[r]: https://example.com/r\n\n```\none\n```\n\nSee [it][r].")
    assert Parsed(first.html).hrefs() == ["copy-code:0", "https://example.com/r"]
    second = render_markdown("See [it][r].\n\n```\ntwo\n```")
    assert second.code_blocks == ["two"]
    assert Parsed(second.html).hrefs() == ["copy-code:0"]  # the reference was reset
    assert first.code_blocks == ["one"]  # earlier results are not touched


def test_each_thread_has_its_own_instance() -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(_renderer(False).md))
    worker.start()
    worker.join()
    assert seen and seen[0] is not _renderer(False).md
