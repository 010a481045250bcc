"""Hostile chat templates from model files are stopped by time and memory limits (issue 13 point 4)."""

from __future__ import annotations

import time

import pytest

from app.backend.chat_template import ChatTemplate
from app.backend.errors import TemplateError
from app.backend.protocol import ChatMessage
from app.models.synthetic import TEST_CHAT_TEMPLATE

CONVO = [ChatMessage("user", "hi")]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x", "took more"),
        ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}x",
         "longer than"),
        ("{{ 'a' * 200000000 }}", "sequence"),
        ("{{ ' '.ljust(2000000000) }}", "number"),
        ("{{ 'x' | center(2000000000) }}", "number"),
        ("{{ ('ab' * 4000000) | replace('a', 'aaaaaaaaaa') }}", "gave it"),
        ("{{ '%2000000000s' % 'x' }}", "width"),
        ("{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}", "wrote more"),
        ("{{ 9 ** 99999999 }}", "power"),
        ("{% set s = 'ab' * 4000000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}x",
         "took more"),
        ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}x",
         "joined"),
    ],
)  # fmt: skip
def test_runaway_templates_are_stopped_with_a_clear_error(source: str, why: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"evil\.gguf was stopped") as caught:
        ChatTemplate(source, origin="evil.gguf").render(CONVO, enable_thinking=True)
    assert why in caught.value.message
    assert time.monotonic() - started < 15


@pytest.mark.timeout(30)
def test_a_huge_constant_is_not_built_when_the_template_is_compiled() -> None:
    """Jinja folds constants at compile time: this was 2 GB of memory at load, before any render."""
    template = ChatTemplate("{% if false %}{{ 'a' * 2000000000 }}{% endif %}ok", origin="x.gguf")
    assert template.render(CONVO, enable_thinking=True) == "ok"


def test_ordinary_templates_render_as_before() -> None:
    extra = "{% for i in range(3) %}{% endfor %}{{ '-' * 3 }}{{ 2 ** 3 }}{{ 'a' + 'b' }}"
    source = TEST_CHAT_TEMPLATE + extra
    text = ChatTemplate(source, origin="t").render(CONVO, enable_thinking=True)
    assert text.endswith("<|im_start|>assistant\n---8ab")
