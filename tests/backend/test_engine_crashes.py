"""Nothing llama.cpp does takes the caller down: crashes become typed errors, the AMX crash heals."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from app.backend.engine import Engine
from app.backend.errors import WorkerCrashedError
from app.backend.machine_state import MachineState
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Notice, Reasoning

HI = (ChatMessage("user", "hi"),)
REPLY = "Hello! How can I help?"


def answer_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, Answer))


def test_worker_killed_mid_answer(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    received = []
    with pytest.raises(WorkerCrashedError) as info:
        for ev in engine.generate(GenerationRequest(HI, max_tokens=1_000_000)):
            received.append(ev)
            if len(received) == 20:
                os.kill(engine.worker_pid or 0, signal.SIGKILL)  # what the OOM killer does
    crash = info.value
    assert crash.signal == signal.SIGKILL and crash.signal_name == "SIGKILL"
    assert crash.stage == "decoding"
    assert "out of memory" in crash.message and "looping.gguf" in crash.message
    assert len(received) >= 20 and all(isinstance(e, Reasoning) for e in received)
    assert crash.to_json()["kind"] == "worker_crashed"


def test_next_request_starts_a_new_worker(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model))
    first_pid = engine.worker_pid
    os.kill(first_pid or 0, signal.SIGKILL)
    engine._proc.join(timeout=5)
    events = list(engine.generate(GenerationRequest(HI)))  # reloads the model in a new worker
    notice = events[0]
    assert isinstance(notice, Notice) and notice.code == "engine_restarted"
    assert "SIGKILL while idle" in notice.text
    assert answer_of(events) == REPLY
    assert engine.worker_pid not in (None, first_pid)


def test_crash_then_next_request_reloads(engine: Engine, looping_model: Path) -> None:
    engine.load(str(looping_model))
    with pytest.raises(WorkerCrashedError):
        for _ in engine.generate(GenerationRequest(HI, max_tokens=1_000_000)):
            os.kill(engine.worker_pid or 0, signal.SIGKILL)
    events = list(engine.generate(GenerationRequest(HI, max_tokens=3)))
    assert isinstance(events[-1], Done) and events[-1].completion_tokens == 3


def test_segfault_while_loading(
    engine: Engine, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "injected_fault", "segv-load")
    with pytest.raises(WorkerCrashedError) as info:
        engine.load(str(scripted_model))
    assert info.value.signal == signal.SIGSEGV and info.value.stage == "loading"
    monkeypatch.setattr(Engine, "injected_fault", "")
    engine.load(str(scripted_model))
    assert answer_of(list(engine.generate(GenerationRequest(HI)))) == REPLY


def test_kill_after_tokens_fault(
    engine: Engine, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "injected_fault", "kill-after:3")
    engine.load(str(scripted_model))
    with pytest.raises(WorkerCrashedError) as info:
        list(engine.generate(GenerationRequest(HI)))
    assert info.value.signal == signal.SIGKILL and info.value.stage == "decoding"


def _learn_prompt_speed(state: MachineState, model: Path) -> None:
    """A machine that has run the model before: the load measures nothing, the first turn is the first
    evaluation."""
    with Engine(state=state) as engine:
        assert engine.load(str(model)).loaded.measured is not None
        assert engine.prompt_speed is not None


def test_amx_crash_on_first_decode_heals_itself(
    qwendesk_home: Path, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = MachineState(qwendesk_home / "engine-state.json")
    _learn_prompt_speed(state, scripted_model)
    monkeypatch.setattr(Engine, "injected_fault", "amx-first-decode")
    with Engine(state=state) as engine:
        report = engine.load(str(scripted_model))
        assert report.plan.use_extra_bufts and report.loaded.use_extra_bufts
        assert report.loaded.measured is None  # the speed is known: the first turn is the first decode
        events = list(engine.generate(GenerationRequest(HI)))
        notices = [e for e in events if isinstance(e, Notice)]
        assert [n.code for n in notices] == ["amx_fallback"]
        assert "#20824" in notices[0].text
        assert answer_of(events) == REPLY
        assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"
        assert engine.plan is not None and not engine.plan.use_extra_bufts
        assert engine.loaded is not None and engine.loaded.use_extra_bufts is False  # llama.cpp got it
        # Later turns run on the healed worker without further notices.
        assert not any(isinstance(e, Notice) for e in engine.generate(GenerationRequest(HI)))
    saved = json.loads((qwendesk_home / "engine-state.json").read_text())
    (entry,) = saved["machines"].values()
    assert entry["use_extra_bufts"] is False
    # A new session on this machine starts with the workaround: no crash, no notice.
    with Engine(state=state) as engine:
        report = engine.load(str(scripted_model))
        assert not report.plan.use_extra_bufts and report.loaded.use_extra_bufts is False
        events = list(engine.generate(GenerationRequest(HI)))
        assert not any(isinstance(e, Notice) for e in events) and answer_of(events) == REPLY


def test_amx_crash_in_the_speed_measurement_at_load_heals_itself(
    qwendesk_home: Path, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine that never ran the model, the load's speed measurement is the first evaluation."""
    monkeypatch.setattr(Engine, "injected_fault", "amx-first-decode")
    state = MachineState(qwendesk_home / "engine-state.json")
    with Engine(state=state) as engine:
        report = engine.load(str(scripted_model))
        assert [n.code for n in report.notices] == ["amx_fallback"]
        assert not report.plan.use_extra_bufts and report.loaded.use_extra_bufts is False
        assert report.loaded.measured is not None and engine.prompt_speed is not None
        events = list(engine.generate(GenerationRequest(HI)))
        assert not any(isinstance(e, Notice) for e in events) and answer_of(events) == REPLY
    assert state.extra_bufts_off()


def test_a_crash_the_workaround_does_not_fix_is_reported(
    qwendesk_home: Path, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = MachineState(qwendesk_home / "engine-state.json")
    _learn_prompt_speed(state, scripted_model)
    monkeypatch.setattr(Engine, "injected_fault", "segv-first-decode")
    with Engine(state=state) as engine:
        engine.load(str(scripted_model))
        events: list = []
        with pytest.raises(WorkerCrashedError) as info:
            events.extend(engine.generate(GenerationRequest(HI)))
        assert info.value.signal == signal.SIGSEGV and info.value.stage == "prompt evaluation"
        assert [e.code for e in events if isinstance(e, Notice)] == ["amx_fallback"]
    assert not state.extra_bufts_off()  # nothing learned from a failed retry


def test_a_crash_at_load_the_workaround_does_not_fix_is_reported(
    qwendesk_home: Path, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "injected_fault", "segv-first-decode")
    state = MachineState(qwendesk_home / "engine-state.json")
    with Engine(state=state) as engine, pytest.raises(WorkerCrashedError) as info:
        engine.load(str(scripted_model))
    assert info.value.signal == signal.SIGSEGV and info.value.stage == "prompt evaluation"
    assert not state.extra_bufts_off()


def test_unreadable_state_file_is_ignored(qwendesk_home: Path) -> None:
    path = qwendesk_home / "engine-state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    state = MachineState(path)
    assert not state.extra_bufts_off()
    state.remember_extra_bufts_off("test")
    assert state.extra_bufts_off()


@pytest.mark.parametrize("quant", ["q8_0", "q4_0"])
def test_quantized_models_answer(engine: Engine, models_dir: Path, quant: str) -> None:
    """Real downloads are quantized. On AMX CPUs this is where llama.cpp #20824 really
    crashes; the engine must heal itself there and answer all the same."""
    from app.models.synthetic import write_scripted_gguf

    model = write_scripted_gguf(models_dir / f"scripted-{quant}.gguf", quant=quant)
    engine.load(str(model))
    events = list(engine.generate(GenerationRequest(HI)))
    assert answer_of(events) == REPLY
    assert {e.code for e in events if isinstance(e, Notice)} <= {"amx_fallback"}


def test_a_crash_while_a_stopped_turn_ends_is_told_with_the_next_turn(
    engine: Engine, looping_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine.load(str(looping_model))
    stream = engine.generate(GenerationRequest(HI, max_tokens=1_000_000))
    for _ in range(5):
        next(stream)
    os.kill(engine.worker_pid or 0, signal.SIGKILL)  # dies while the caller stops listening
    stream.close()  # nobody is there to get the error: it must not vanish
    assert "failed while a stopped turn ended" in caplog.text
    events = list(engine.generate(GenerationRequest(HI, max_tokens=5)))
    notices = [e for e in events if isinstance(e, Notice)]
    assert [n.code for n in notices] == ["engine_restarted"]
    assert "While the last answer was stopped" in notices[0].text and "SIGKILL" in notices[0].text
    assert isinstance(events[-1], Done) and events[-1].completion_tokens == 5
    assert not any(isinstance(e, Notice) for e in engine.generate(GenerationRequest(HI, max_tokens=2)))
