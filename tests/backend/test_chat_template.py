"""Sandboxed chat-template rendering with the think switch, and reasoning kept out of history."""

from __future__ import annotations

import pytest

from app.backend.chat_template import (
    ChatTemplate,
    history_for_template,
    prompt_opens_reasoning,
    strip_reasoning,
)
from app.backend.errors import TemplateError
from app.backend.protocol import ChatMessage as M
from app.models.synthetic import TEST_CHAT_TEMPLATE

CONVO = (
    M("system", "Be brief."),
    M("user", "hi"),
    M("assistant", "<think>\nsecret plan\n</think>\n\nHello!"),
    M("user", "again /no_think"),
)

# A template that would happily keep reasoning, as Qwen3's official one does for
# assistant turns after the last user message, and prints reasoning_content.
GREEDY_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n"
    "{% if m.reasoning_content is defined %}[{{ m.reasoning_content }}]{% endif %}"
    "{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n"
)


def test_thinking_on_leaves_the_think_block_to_the_model() -> None:
    prompt = ChatTemplate(TEST_CHAT_TEMPLATE, origin="t").render(CONVO, enable_thinking=True)
    assert prompt.endswith("<|im_start|>user\nagain /no_think<|im_end|>\n<|im_start|>assistant\n")
    assert prompt.startswith("<|im_start|>system\nBe brief.<|im_end|>\n")


def test_thinking_off_appends_an_empty_think_block() -> None:
    prompt = ChatTemplate(TEST_CHAT_TEMPLATE, origin="t").render(CONVO, enable_thinking=False)
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


@pytest.mark.parametrize("source", [TEST_CHAT_TEMPLATE, GREEDY_TEMPLATE, None])
def test_history_never_holds_reasoning(source: str | None) -> None:
    prompt = ChatTemplate(source, origin="t").render(CONVO, enable_thinking=True)
    assert "secret plan" not in prompt
    assert "Hello!<|im_end|>" in prompt


def test_builtin_template_matches_qwen3_chatml() -> None:
    t = ChatTemplate(None, origin="file.gguf")
    assert t.builtin and t.origin == "built-in Qwen3 template"
    assert t.render(CONVO[:2], enable_thinking=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )


def test_strip_reasoning_variants() -> None:
    assert strip_reasoning("<think>a</think>\n\nb") == "b"
    assert strip_reasoning("a</think>b") == "b"  # block opened by the prompt
    assert strip_reasoning("b<think>never closed") == "b"
    assert strip_reasoning("plain") == "plain"


def test_history_rejects_unknown_roles() -> None:
    with pytest.raises(TemplateError, match="role"):
        history_for_template([M("wizard", "x")])


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ messages.__class__.__init__.__globals__ }}",
        "{% set _ = messages.append({'role': 'user', 'content': 'x'}) %}hi",
        "{{ (messages|first).update({'content': 'pwned'}) }}",
    ],
)
def test_hostile_templates_are_stopped(hostile: str) -> None:
    with pytest.raises(TemplateError) as info:
        ChatTemplate(hostile, origin="evil.gguf").render(CONVO, enable_thinking=True)
    assert "evil.gguf" in info.value.message


def test_template_syntax_error_names_file_and_line() -> None:
    with pytest.raises(TemplateError, match=r"bad\.gguf has a syntax error at line 2"):
        ChatTemplate("ok\n{% for %}", origin="bad.gguf")


def test_template_raise_exception_is_a_clear_error() -> None:
    t = ChatTemplate("{{ raise_exception('System role not supported') }}", origin="x.gguf")
    with pytest.raises(TemplateError, match="System role not supported"):
        t.render(CONVO, enable_thinking=True)


def test_template_runtime_failure_and_empty_output() -> None:
    with pytest.raises(TemplateError, match="failed"):
        ChatTemplate("{{ 1 / 0 }}", origin="x").render(CONVO, enable_thinking=True)
    with pytest.raises(TemplateError, match="empty prompt"):
        ChatTemplate("{% if false %}x{% endif %}", origin="x").render(CONVO, enable_thinking=True)


def test_prompt_that_opens_reasoning() -> None:
    assert prompt_opens_reasoning("<|im_start|>assistant\n<think>\n")
    assert not prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert not prompt_opens_reasoning("<|im_start|>user\nwhat is <think>?<|im_end|>\n<|im_start|>assistant\n")
