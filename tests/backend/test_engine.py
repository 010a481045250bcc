"""The engine on real llama.cpp with generated Qwen3 GGUFs: think control, streaming, reuse, stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.backend.engine import Engine
from app.backend.errors import (
    ContextFullError,
    InvalidRequestError,
    LoadCancelledError,
    LoadFailedError,
    ModelFileError,
    NoModelError,
    TemplateError,
    UnsupportedContextError,
)
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Notice, Reasoning, Sampling
from app.models.synthetic import Script, write_scripted_gguf

HI = (ChatMessage("user", "hi"),)


def run(engine: Engine, request: GenerationRequest) -> tuple[str, str, Done, list]:
    events = list(engine.generate(request))
    done = events[-1]
    assert isinstance(done, Done)
    reasoning = "".join(e.text for e in events if isinstance(e, Reasoning))
    answer = "".join(e.text for e in events if isinstance(e, Answer))
    return reasoning, answer, done, events


def test_thinking_on_streams_reasoning_then_answer(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    reasoning, answer, done, events = run(engine, GenerationRequest(HI, enable_thinking=True))
    assert reasoning == "The user greets me."
    assert answer == "Hello! How can I help?"
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Answer") > max(i for i, k in enumerate(kinds) if k == "Reasoning")
    assert done.finish_reason == "stop" and done.thought
    assert done.reasoning_tokens == 5 and done.completion_tokens == 5 + 7 + 3  # + <think> </think> \n\n
    assert done.prompt_tokens == done.evaluated_prompt_tokens > 0
    assert done.ttft_s is not None and done.decode_tokens_per_s


def test_thinking_off_answers_directly(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    reasoning, answer, done, _ = run(engine, GenerationRequest(HI, enable_thinking=False))
    assert (reasoning, answer) == ("", "Hello! How can I help?")
    assert not done.thought and done.reasoning_tokens == 0


def test_reports_the_mode_the_model_actually_used(engine: Engine, models_dir: Path) -> None:
    # What /no_think under the hard switch looks like: an empty think block.
    model = write_scripted_gguf(models_dir / "empty-think.gguf", Script(reasoning=()))
    engine.load(str(model))
    reasoning, answer, done, _ = run(engine, GenerationRequest((ChatMessage("user", "hi /no_think"),)))
    assert (reasoning, answer) == ("", "Hello! How can I help?")
    assert not done.thought


def test_tags_spelled_as_text_across_tokens(engine: Engine, models_dir: Path) -> None:
    model = write_scripted_gguf(models_dir / "text-tags.gguf", Script(think_tokens=False))
    engine.load(str(model))
    reasoning, answer, done, _ = run(engine, GenerationRequest(HI))
    assert (reasoning, answer) == ("The user greets me.", "Hello! How can I help?")
    assert done.thought


def test_unclosed_think_hits_max_tokens(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    reasoning, answer, done, _ = run(engine, GenerationRequest(HI, max_tokens=20))
    assert answer == ""
    assert reasoning.startswith(" round and again round".strip())
    assert done.finish_reason == "length" and done.reasoning_unclosed
    assert done.completion_tokens == 20


def test_thinking_budget_closes_the_block_and_the_model_answers(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    reasoning, answer, done, _ = run(engine, GenerationRequest(HI, thinking_budget=7, max_tokens=200))
    assert done.thinking_budget_hit and done.finish_reason == "budget"
    assert done.reasoning_tokens == 7
    assert reasoning == "round and again round and again round"
    assert answer == "Hello! How can I help?"
    assert not done.reasoning_unclosed


def test_budget_is_ignored_when_thinking_is_off(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    _, _, done, _ = run(engine, GenerationRequest(HI, enable_thinking=False, thinking_budget=0))
    assert not done.thinking_budget_hit and done.finish_reason == "stop"


def test_multi_turn_evaluates_only_the_new_tokens(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    messages = list(HI)
    _, answer, first, _ = run(engine, GenerationRequest(tuple(messages)))
    messages += [ChatMessage("assistant", answer), ChatMessage("user", "and then?")]
    _, _, second, _ = run(engine, GenerationRequest(tuple(messages)))
    assert second.prompt_tokens > first.prompt_tokens
    # The cache holds turn 1's prompt + its reasoning; the history holds the answer only,
    # so everything from the answer on is new, and nothing before it is evaluated again.
    assert second.evaluated_prompt_tokens == second.prompt_tokens - first.prompt_tokens


def test_history_reasoning_is_never_sent_back(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    cmd = engine._command_for(
        GenerationRequest(
            (
                ChatMessage("user", "a"),
                ChatMessage("assistant", "<think>secret</think>ok"),
                ChatMessage("user", "b"),
            )
        )
    )
    assert "secret" not in cmd.prompt and "<|im_start|>assistant\nok<|im_end|>" in cmd.prompt


def test_seeded_sampling_is_repeatable(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    req = GenerationRequest(HI, sampling=Sampling(seed=7, temperature=1.0, presence_penalty=1.5))
    assert run(engine, req)[:2] == run(engine, req)[:2]


def test_greedy_refused_in_thinking_mode(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    with pytest.raises(InvalidRequestError, match="Greedy"):
        list(engine.generate(GenerationRequest(HI, sampling=Sampling(temperature=0))))
    _, answer, _, _ = run(
        engine, GenerationRequest(HI, enable_thinking=False, sampling=Sampling(temperature=0))
    )
    assert answer == "Hello! How can I help?"


def test_bad_requests(engine: Engine, scripted_model: Path) -> None:
    with pytest.raises(NoModelError):
        list(engine.generate(GenerationRequest(HI)))
    engine.load(str(scripted_model))
    with pytest.raises(InvalidRequestError, match="empty"):
        list(engine.generate(GenerationRequest(())))
    with pytest.raises(InvalidRequestError, match="last message"):
        list(engine.generate(GenerationRequest((*HI, ChatMessage("assistant", "x")))))
    with pytest.raises(InvalidRequestError, match="budget"):
        list(engine.generate(GenerationRequest(HI, thinking_budget=-1)))


def test_context_full_is_a_clear_error(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=256)
    with pytest.raises(ContextFullError, match="holds 256"):
        list(engine.generate(GenerationRequest((ChatMessage("user", "word " * 400),))))
    assert run(engine, GenerationRequest(HI))[1] == "Hello! How can I help?"  # still usable


def test_yarn_load_on_real_llama_cpp(engine: Engine, scripted_model: Path) -> None:
    report = engine.load(str(scripted_model), n_ctx=65_536)
    assert report.plan.yarn_factor == 2 and report.loaded.n_ctx == 65_536
    assert any(n.code == "yarn" for n in report.notices)
    assert run(engine, GenerationRequest(HI))[1] == "Hello! How can I help?"


def test_small_qwen3_refused_a_context_beyond_40960(engine: Engine, models_dir: Path) -> None:
    small = write_scripted_gguf(models_dir / "small.gguf", size_label="0.6B", name="Qwen3-0.6B")
    with pytest.raises(UnsupportedContextError, match=r"Qwen3-0.6B is a 40,960-token model"):
        engine.load(str(small), n_ctx=65_536)


def test_gguf_without_template_uses_the_builtin_one(engine: Engine, models_dir: Path) -> None:
    model = write_scripted_gguf(models_dir / "no-template.gguf", chat_template=None)
    report = engine.load(str(model))
    assert any(n.code == "template" for n in report.notices)
    assert run(engine, GenerationRequest(HI, enable_thinking=False))[1] == "Hello! How can I help?"


def test_hostile_template_in_a_gguf(engine: Engine, models_dir: Path) -> None:
    evil = "{{ cycler.__init__.__globals__.os.popen('touch /tmp/qwendesk-pwned').read() }}"
    model = write_scripted_gguf(models_dir / "evil.gguf", chat_template=evil)
    engine.load(str(model))
    with pytest.raises(TemplateError, match="Python internals"):
        list(engine.generate(GenerationRequest(HI)))
    assert not Path("/tmp/qwendesk-pwned").exists()


def test_bad_gguf_never_reaches_the_worker(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(7))
    with pytest.raises(ModelFileError, match=r"bad.gguf"):
        engine.load(str(bad))
    assert engine.worker_pid is None  # not even started


@pytest.fixture(scope="module")
def slow_prompt_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Deep enough that a long prompt takes seconds to evaluate."""
    return write_scripted_gguf(tmp_path_factory.mktemp("slow") / "deep.gguf", n_layers=24)


def test_cancel_during_prompt_evaluation(engine: Engine, slow_prompt_model: Path) -> None:
    engine.load(str(slow_prompt_model), n_ctx=16_384, n_threads=1)
    pid = engine.worker_pid
    long_prompt = (ChatMessage("user", "lorem ipsum dolor sit amet " * 450),)
    timer = threading.Timer(0.3, engine.cancel)
    started = time.perf_counter()
    timer.start()
    _, answer, done, _ = run(engine, GenerationRequest(long_prompt))
    stopped = time.perf_counter()
    assert done.finish_reason == "cancelled"
    assert done.completion_tokens == 0 and answer == ""
    cancel_latency = stopped - started - 0.3
    assert cancel_latency < 0.5, f"cancel took {cancel_latency:.2f} s (the promise: half a second)"
    # Same worker, same model: no reload, and the next turn works.
    _, answer, done, _ = run(engine, GenerationRequest(HI))
    assert answer == "Hello! How can I help?" and engine.worker_pid == pid


def test_cancel_while_decoding_keeps_the_partial_answer(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    events = []
    for ev in engine.generate(GenerationRequest(HI, max_tokens=1_000_000)):
        events.append(ev)
        if len(events) == 50:
            engine.cancel()
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert 50 <= done.completion_tokens < 1000
    assert sum(isinstance(e, Reasoning) for e in events) >= 50


def test_caller_that_stops_listening_leaves_the_engine_usable(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    stream = engine.generate(GenerationRequest(HI, max_tokens=1_000_000))
    for _ in range(10):
        next(stream)
    stream.close()
    _, _, done, _ = run(engine, GenerationRequest(HI, max_tokens=5))
    assert done.completion_tokens == 5


def test_notice_events_are_notices(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    events = list(engine.generate(GenerationRequest(HI)))
    assert not any(isinstance(e, Notice) for e in events)


def test_failed_load_leaves_no_half_loaded_model(
    engine: Engine, scripted_model: Path, tmp_path: Path
) -> None:
    engine.load(str(scripted_model))
    # A GGUF whose header passes but whose tensors llama.cpp cannot use.
    broken = tmp_path / "wrong-shapes.gguf"
    data = bytearray(scripted_model.read_bytes())
    idx = data.find(b"blk.0.attn_q.weight")
    data[idx : idx + 5] = b"blk.9"  # a layer that does not exist; blk.0's q projection is missing
    broken.write_bytes(bytes(data))
    with pytest.raises(LoadFailedError, match=r"wrong-shapes\.gguf"):
        engine.load(str(broken))
    with pytest.raises(NoModelError):
        list(engine.generate(GenerationRequest(HI)))
    engine.load(str(scripted_model))
    assert run(engine, GenerationRequest(HI))[1] == "Hello! How can I help?"


def test_tokens_longer_than_32_bytes_are_not_lost(engine: Engine, models_dir: Path) -> None:
    """llama-cpp-python's own detokenize drops them (a 32-byte buffer); the engine must not."""
    long_token = " " + "=" * 47
    model = write_scripted_gguf(models_dir / "long-token.gguf", Script(answer=("Rule:", long_token, "!")))
    engine.load(str(model))
    assert run(engine, GenerationRequest(HI, enable_thinking=False))[1] == f"Rule:{long_token}!"


def test_load_progress_and_cancel(
    engine: Engine, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float] = []
    engine.load(str(scripted_model), on_progress=seen.append)
    assert len(seen) > 2 and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    engine.close()

    monkeypatch.setattr(Engine, "injected_fault", "slow-load")  # a load slow enough to cancel
    stamps: list[float] = []

    def cancel_at_once(fraction: float) -> None:
        stamps.append(fraction)
        engine.cancel()

    with pytest.raises(LoadCancelledError, match="cancelled"):
        engine.load(str(scripted_model), on_progress=cancel_at_once)
    assert stamps and stamps[-1] < 1.0
    pid = engine.worker_pid
    with pytest.raises(NoModelError):
        list(engine.generate(GenerationRequest(HI)))
    engine.load(str(scripted_model))  # the same worker loads again
    assert engine.worker_pid == pid
    assert run(engine, GenerationRequest(HI))[1] == "Hello! How can I help?"


def test_context_full_says_how_much_is_needed(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=256)
    with pytest.raises(ContextFullError) as info:
        list(engine.generate(GenerationRequest((ChatMessage("user", "word " * 400),))))
    assert info.value.n_ctx == 256 and info.value.prompt_tokens > 256
    assert info.value.to_json()["prompt_tokens"] == info.value.prompt_tokens


def test_a_cancel_before_the_first_token_still_stops_the_turn(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    request = GenerationRequest(HI, enable_thinking=True, max_tokens=300)
    events = engine.generate(request)
    engine.cancel()  # Stop pressed as the turn starts: before the prompt reached the worker
    done = list(events)[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert done.completion_tokens < 300
    # The flag is cleared when the turn ends: the next turn runs to its end.
    _, _, again, _ = run(engine, GenerationRequest(HI, enable_thinking=True, max_tokens=20))
    assert again.finish_reason == "length" and again.completion_tokens == 20
