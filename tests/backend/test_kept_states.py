"""Each conversation's KV cache kept across turns, switches and restarts, on real llama.cpp."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.backend.engine import KEPT_STATES_DIR, Engine
from app.backend.kept_states import MAGIC, file_for
from app.backend.machine_state import MachineState
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    PromptProgress,
    Sampling,
    StateKeeping,
)
from app.models.synthetic import write_scripted_gguf

DOC = "The tide comes in over the sand and the moon pulls the sea back out again. " * 40
KEY = "conversation-1"


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scripted_gguf(tmp_path_factory.mktemp("other") / "other.gguf")


def make_engine(home: Path, **keeping: object) -> Engine:
    base = StateKeeping(directory=str(home / KEPT_STATES_DIR))
    return Engine(state=MachineState(home / "engine-state.json"), keeping=replace(base, **keeping))  # type: ignore[arg-type]


def ask(engine: Engine, messages: list[ChatMessage], key: str | None = KEY) -> tuple[list, Done]:
    request = GenerationRequest(
        tuple(messages), enable_thinking=False, max_tokens=12, sampling=Sampling(seed=7), cache_key=key
    )
    events = list(engine.generate(request))
    done = events[-1]
    assert isinstance(done, Done)
    return events, done


def answer(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, Answer))


def wait_for(path: Path, timeout: float = 20.0) -> None:
    """The writer thread puts the state on disk shortly after the answer."""
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f"{path} was never written"
        time.sleep(0.02)


def first_turn(home: Path, model: Path, **load: object) -> tuple[list[ChatMessage], str]:
    with make_engine(home) as engine:
        engine.load(str(model), n_ctx=4096, **load)  # type: ignore[arg-type]
        messages = [ChatMessage("user", DOC + "What pulls the sea?")]
        events, done = ask(engine, messages)
        assert done.restored_tokens == 0 and done.evaluated_prompt_tokens == done.prompt_tokens
    wait_for(file_for(home / KEPT_STATES_DIR, KEY))
    return [
        *messages,
        ChatMessage("assistant", answer(events)),
        ChatMessage("user", "And the sand?"),
    ], answer(events)


def test_a_follow_up_after_a_restart_reads_only_what_is_new(
    qwendesk_home: Path, scripted_model: Path
) -> None:
    follow_up, _ = first_turn(qwendesk_home, scripted_model)
    # The same follow-up on a warm engine (the context still holds the first turn): what it evaluates.
    with make_engine(qwendesk_home, enabled=False) as warm_engine:
        warm_engine.load(str(scripted_model), n_ctx=4096)
        ask(warm_engine, follow_up[:1], key=None)
        warm_events, warm = ask(warm_engine, follow_up, key=None)
        new_tokens = sum(warm_engine.count_tokens([follow_up[1].content, follow_up[2].content]))
    assert warm.restored_tokens == 0 and warm.evaluated_prompt_tokens < warm.prompt_tokens
    with make_engine(qwendesk_home) as engine:  # the app restarted
        engine.load(str(scripted_model), n_ctx=4096)
        events, done = ask(engine, follow_up)
    assert done.restored_from == "disk" and done.restored_tokens > 500
    assert done.evaluated_prompt_tokens == warm.evaluated_prompt_tokens  # as if it had never stopped
    assert (
        done.evaluated_prompt_tokens <= new_tokens + 32
    )  # the answer and the new question, and the template
    assert done.prompt_tokens == warm.prompt_tokens
    assert answer(events) == answer(warm_events)  # the same tokens, seeded, as without the cache


@pytest.mark.parametrize("change", ["n_ctx", "kv_cache_type", "model"])
def test_a_state_from_another_plan_or_model_is_not_used(
    qwendesk_home: Path, scripted_model: Path, other_model: Path, change: str
) -> None:
    follow_up, _ = first_turn(qwendesk_home, scripted_model)
    load: dict[str, object] = {"n_ctx": 4096}
    model = scripted_model
    if change == "n_ctx":
        load["n_ctx"] = 8192
    elif change == "kv_cache_type":
        load["kv_cache_type"] = "q8_0"
    else:
        model = other_model
    with make_engine(qwendesk_home) as engine:
        engine.load(str(model), **load)  # type: ignore[arg-type]
        events, done = ask(engine, follow_up)
    assert done.restored_tokens == 0 and done.evaluated_prompt_tokens == done.prompt_tokens
    assert answer(events)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_corrupt_or_truncated_state_file_is_dropped_and_the_prompt_read_again(
    qwendesk_home: Path, scripted_model: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    follow_up, _ = first_turn(qwendesk_home, scripted_model)
    path = file_for(qwendesk_home / KEPT_STATES_DIR, KEY)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[len(raw) - 1000] ^= 0xFF  # inside llama.cpp's state bytes: only the checksum can tell
        path.write_bytes(bytes(raw))
    elif damage == "truncate":
        path.write_bytes(bytes(raw[: len(raw) // 2]))
    else:
        path.write_bytes(MAGIC + b"\xff\xff\xff\xff" + b"x" * 100)
    with make_engine(qwendesk_home, enabled=False) as plain:
        plain.load(str(scripted_model), n_ctx=4096)
        expected, _ = ask(plain, follow_up, key=None)
    caplog.set_level(logging.WARNING, logger="qwendesk.worker.states")
    with make_engine(qwendesk_home) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        events, done = ask(engine, follow_up)
        assert engine.worker_pid is not None  # the worker never crashed
    assert done.restored_tokens == 0 and done.evaluated_prompt_tokens == done.prompt_tokens
    assert answer(events) == answer(expected)
    # The damaged file was dropped (and the turn's own state written in its place).
    wait_for(path)
    assert path.read_bytes()[:8] == MAGIC and path.read_bytes() != bytes(raw)


def test_switching_conversations_restores_each_from_memory(qwendesk_home: Path, scripted_model: Path) -> None:
    with make_engine(qwendesk_home) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        a = [ChatMessage("user", DOC + "first conversation")]
        b = [ChatMessage("user", DOC[::-1] + "second conversation")]
        ea, _ = ask(engine, a, key="a")
        ask(engine, b, key="b")  # the context now holds b
        a2 = [*a, ChatMessage("assistant", answer(ea)), ChatMessage("user", "more")]
        _, done = ask(engine, a2, key="a")
    assert done.restored_from == "memory" and done.restored_tokens > 500


def test_with_no_room_in_memory_a_switch_restores_from_disk(
    qwendesk_home: Path, scripted_model: Path
) -> None:
    with make_engine(qwendesk_home, ram_bytes=0) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        a = [ChatMessage("user", DOC + "first conversation")]
        ea, _ = ask(engine, a, key="a")
        ask(engine, [ChatMessage("user", DOC[::-1] + "second")], key="b")
        wait_for(file_for(qwendesk_home / KEPT_STATES_DIR, "a"))
        _, done = ask(
            engine, [*a, ChatMessage("assistant", answer(ea)), ChatMessage("user", "more")], key="a"
        )
    assert done.restored_from == "disk"


def test_requests_without_a_key_find_their_state_by_prefix(qwendesk_home: Path, scripted_model: Path) -> None:
    """The API server: a few states in memory, found by the prompt's beginning; none written to disk."""
    with make_engine(qwendesk_home) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        a = [ChatMessage("system", DOC), ChatMessage("user", "client one")]
        ask(engine, a, key=None)
        ask(engine, [ChatMessage("system", DOC[::-1]), ChatMessage("user", "client two")], key=None)
        _, done = ask(engine, [ChatMessage("system", DOC), ChatMessage("user", "client one again")], key=None)
    assert done.restored_from == "memory" and done.restored_tokens > 500
    assert not list((qwendesk_home / KEPT_STATES_DIR).glob("*.qkv"))


def test_the_cli_keeps_unkeyed_states_on_disk_for_its_next_run(
    qwendesk_home: Path, scripted_model: Path
) -> None:
    question = [ChatMessage("system", DOC), ChatMessage("user", "first run")]
    with make_engine(qwendesk_home, persist_unkeyed=True) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        ask(engine, question, key=None)
    directory = qwendesk_home / KEPT_STATES_DIR
    end = time.monotonic() + 20
    while not list(directory.glob("p-*.qkv")):
        assert time.monotonic() < end
        time.sleep(0.02)
    with make_engine(qwendesk_home, persist_unkeyed=True) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        _, done = ask(engine, [ChatMessage("system", DOC), ChatMessage("user", "second run")], key=None)
    assert done.restored_from == "disk" and done.restored_tokens > 500


def test_least_recently_used_states_are_evicted_under_the_disk_cap(
    qwendesk_home: Path, scripted_model: Path
) -> None:
    directory = qwendesk_home / KEPT_STATES_DIR
    with make_engine(qwendesk_home) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        ask(engine, [ChatMessage("user", DOC + "one")], key="one")
        wait_for(file_for(directory, "one"))
        size = file_for(directory, "one").stat().st_size
        engine.keeping = replace(engine.keeping, disk_bytes=int(size * 2.5))  # room for two
        for key in ("two", "three"):
            ask(engine, [ChatMessage("user", DOC + key)], key=key)
            wait_for(file_for(directory, key))
    assert not file_for(directory, "one").exists()  # the oldest went
    assert file_for(directory, "two").exists() and file_for(directory, "three").exists()
    assert sum(p.stat().st_size for p in directory.glob("*.qkv")) <= size * 2.5


def test_deleting_a_conversation_deletes_its_state(qwendesk_home: Path, scripted_model: Path) -> None:
    directory = qwendesk_home / KEPT_STATES_DIR
    with make_engine(qwendesk_home) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        a = [ChatMessage("user", DOC + "to be deleted")]
        ea, _ = ask(engine, a, key="gone")
        ask(engine, [ChatMessage("user", DOC + "kept")], key="kept")
        wait_for(file_for(directory, "gone"))
        wait_for(file_for(directory, "kept"))
        assert engine.kept_states_usage()[0] == 2
        engine.forget_state("gone")
        assert not file_for(directory, "gone").exists()
        # Its copy in the worker's memory goes with the next request too: nothing is restored.
        _, done = ask(
            engine, [*a, ChatMessage("assistant", answer(ea)), ChatMessage("user", "x")], key="gone"
        )
        assert done.restored_tokens == 0
        assert engine.prune_states(keep=["gone"]) == 1  # "kept" is an orphan now
    assert not file_for(directory, "kept").exists()


def test_turned_off_nothing_is_kept(qwendesk_home: Path, scripted_model: Path) -> None:
    with make_engine(qwendesk_home, enabled=False) as engine:
        engine.load(str(scripted_model), n_ctx=4096)
        ask(engine, [ChatMessage("user", DOC)])
        ask(engine, [ChatMessage("user", DOC[::-1])], key="other")
        _, done = ask(
            engine, [ChatMessage("user", DOC), ChatMessage("assistant", "x"), ChatMessage("user", "y")]
        )
    assert done.restored_tokens == 0
    assert not (qwendesk_home / KEPT_STATES_DIR).exists() or not list(
        (qwendesk_home / KEPT_STATES_DIR).iterdir()
    )


def progress_of(events: list) -> list[PromptProgress]:
    return [e for e in events if isinstance(e, PromptProgress)]


def test_prompt_reading_reports_each_batch_in_order(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=8192)
    events, done = ask(engine, [ChatMessage("user", DOC * 2)], key=None)
    progress = progress_of(events)
    first_text = next(i for i, e in enumerate(events) if isinstance(e, Answer))
    assert all(events.index(p) < first_text for p in progress)  # all before the answer
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == done.evaluated_prompt_tokens
    assert len(progress) >= 1 + done.evaluated_prompt_tokens // 512  # at least one per batch
    dones = [p.done for p in progress]
    assert dones == sorted(dones) and len(set(p.total for p in progress)) == 1
    assert done.prompt_eval_s is not None and done.prompt_eval_s > 0
    # A short follow-up reports nothing: it is read in a blink.
    _, short = ask(engine, [ChatMessage("user", "hi")], key=None)
    assert short.evaluated_prompt_tokens < 64


def test_stop_while_reading_the_prompt(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=8192)
    events: list = []
    request = GenerationRequest((ChatMessage("user", DOC * 2),), enable_thinking=False, max_tokens=8)
    for ev in engine.generate(request):
        events.append(ev)
        if isinstance(ev, PromptProgress) and ev.done > 0:
            engine.cancel()
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert not any(isinstance(e, Answer) for e in events)
    assert progress_of(events)[-1].done < progress_of(events)[-1].total
    # The engine goes on normally, and what was read before Stop is not read again.
    _, again = ask(engine, [ChatMessage("user", DOC * 2)], key=None)
    assert again.finish_reason != "cancelled" and again.evaluated_prompt_tokens < again.prompt_tokens


def test_stop_from_another_thread_during_a_long_read(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=32768)
    started = threading.Event()

    def events() -> Iterator[object]:
        for ev in engine.generate(GenerationRequest((ChatMessage("user", DOC * 10),), max_tokens=8)):
            if isinstance(ev, PromptProgress):
                started.set()
            yield ev

    def stop() -> None:
        if started.wait(30):
            engine.cancel()

    timer = threading.Thread(target=stop)
    timer.start()
    got = list(events())
    timer.join()
    assert isinstance(got[-1], Done) and got[-1].finish_reason == "cancelled"


def test_the_engine_learns_this_machines_prompt_speed(qwendesk_home: Path, scripted_model: Path) -> None:
    with make_engine(qwendesk_home) as engine:
        report = engine.load(str(scripted_model), n_ctx=4096)
        assert report.loaded.measured is not None  # never run here: measured at load
        first = engine.reading_seconds(2000)
        assert first is not None and first > 0
        assert engine.reading_seconds(4000, start=2000) > 2 * first  # type: ignore[operator]  # deeper costs more
        ask(engine, [ChatMessage("user", DOC)])
        assert engine.prompt_speed is not None and len(engine.prompt_speed.samples) == 1
    with make_engine(qwendesk_home) as engine:  # remembered: no measurement at the next load
        report = engine.load(str(scripted_model), n_ctx=4096)
        assert report.loaded.measured is None
        assert engine.prompt_speed is not None and len(engine.prompt_speed.samples) == 1
