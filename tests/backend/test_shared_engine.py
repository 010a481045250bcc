"""SharedEngine: the window and the API server take turns on one engine, and each one's cancel
stops only its own generation."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.backend.engine import Engine
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest
from app.backend.shared_engine import EngineBusyError, SharedEngine

HI = GenerationRequest((ChatMessage("user", "hi"),), enable_thinking=False)
LOOP = GenerationRequest((ChatMessage("user", "hi"),), enable_thinking=True, max_tokens=400)


@pytest.fixture
def shared(engine: Engine) -> SharedEngine:
    return SharedEngine(engine)


def test_cancel_by_another_owner_does_not_stop_the_running_generation(
    shared: SharedEngine, looping_model: Path
) -> None:
    window, api = object(), object()
    with shared.use(window) as eng:
        eng.load(str(looping_model))
    with shared.use(api) as eng:
        events = eng.generate(LOOP)
        next(events)
        assert shared.owner is api
        assert shared.cancel(window) is False  # the window's Stop while an API client is answered
        rest = list(events)
    done = rest[-1]
    assert isinstance(done, Done)
    assert done.finish_reason == "length" and done.completion_tokens == 400


def test_cancel_by_the_running_owner_stops_it(shared: SharedEngine, looping_model: Path) -> None:
    api = object()
    with shared.use(api) as eng:
        eng.load(str(looping_model))
        events = eng.generate(LOOP)
        next(events)
        assert shared.cancel(api) is True
        done = list(events)[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert shared.owner is None


def test_a_second_user_waits_for_the_first(shared: SharedEngine, scripted_model: Path) -> None:
    first, second = object(), object()
    with shared.use(first) as eng:
        eng.load(str(scripted_model))
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with shared.use(first):
            order.append("first in")
            holding.set()
            release.wait(30)
            order.append("first out")

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(30)
    with pytest.raises(EngineBusyError, match="busy"), shared.use(second, timeout=0.05):
        pass
    release.set()
    with shared.use(second, timeout=30) as eng:
        order.append("second in")
        answer = "".join(e.text for e in eng.generate(HI) if isinstance(e, Answer))
    t.join(30)
    assert order == ["first in", "first out", "second in"]
    assert answer == "Hello! How can I help?"
