"""The turn the window and the CLI send: answers without reasoning, Qwen's sampling keys, the budget."""

from __future__ import annotations

from pathlib import Path

from app.backend.protocol import ChatMessage, Sampling
from app.chat.titles import TITLE_CHARS, title_from
from app.chat.turn_request import assemble_turn, conversation_cache_key, make_request, sampling_of
from app.store.chat_store import ChatStore


def test_history_carries_answers_only_and_the_system_prompt(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "c.sqlite3") as store:
        conv = store.create_conversation(system_prompt="Be brief.", sampling={"temperature": 0.3})
        store.add_message(conv.id, "user", "Hi")
        store.add_message(conv.id, "assistant", "Hello!", reasoning="They greet me.")
        store.add_message(conv.id, "user", "Again")
        store.add_message(conv.id, "assistant", "", status="error", error="boom")  # a failed answer
        store.add_message(conv.id, "user", "Third")
        request, documents = assemble_turn(store, store.get_conversation(conv.id), think=True)
    assert request.messages == (
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"),
        ChatMessage("user", "Again"),
        ChatMessage("user", "Third"),
    )
    assert request.sampling == Sampling(temperature=0.3) and request.enable_thinking
    assert documents is None
    assert request.cache_key == conversation_cache_key(conv.id) == f"conversation-{conv.id}"


def test_budget_only_when_thinking_and_unknown_sampling_keys_ignored() -> None:
    history = [ChatMessage("user", "x")]
    off = make_request(history, think=False, thinking_budget=512, sampling=Sampling())
    on = make_request(history, think=True, thinking_budget=512, sampling=Sampling(), max_tokens=9)
    assert off.thinking_budget is None and on.thinking_budget == 512 and on.max_tokens == 9
    assert off.cache_key is None  # only a stored conversation's turn has one
    assert sampling_of({"top_k": 20, "bogus": 1, "seed": None}) == Sampling(top_k=20)


def test_titles_are_one_line_and_short() -> None:
    assert title_from("  What is\n\na hash map? ") == "What is a hash map?"
    long = title_from("word " * 40)
    assert len(long) == TITLE_CHARS and long.endswith("…")


def test_model_titles_are_cleaned() -> None:
    from app.chat.titles import clean_title, title_request

    assert clean_title('Title: "Reading Large Files in Python."\nmore') == "Reading Large Files in Python"
    assert clean_title("**标题：大文件读取**") == "大文件读取"
    assert clean_title("  \n  ") is None and clean_title(None) is None
    assert clean_title("Why is the sky blue?") == "Why is the sky blue?"
    assert clean_title("The **2027** budget in `euros`") == "The 2027 budget in euros"
    request = title_request([ChatMessage("user", "hi")])
    assert not request.enable_thinking and request.max_tokens is not None and request.max_tokens <= 32
