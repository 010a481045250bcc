"""A tool-using turn seen from the engine's thread: what it may call, and asking the user first.

The turn runs on the engine's thread (app.chat.tool_turn), where it must wait for the user's
answer; the question is shown on the main thread. A ConsentRequest carries the call there and the
answer back; a Stop (or a window closing) answers Deny, so the engine's thread never waits forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.backend.protocol import ToolCallRequest
from app.chat.tool_events import Decision, ToolHostLike, ToolInfoLike

WAIT_STEP_S = 0.1  # how often a waiting call looks whether the turn was stopped


@dataclass(frozen=True)
class ToolTurnOptions:
    """What a turn may call: the host's tools, at most ``max_rounds`` generations; tools the user
    allowed for this conversation and calls ``auto_allow`` lets through (a trusted server) are not asked."""

    host: ToolHostLike
    max_rounds: int = 8
    always_allowed: frozenset[str] = field(default_factory=frozenset)
    auto_allow: Callable[[ToolCallRequest, ToolInfoLike | None], bool] = lambda _call, _info: False


class ConsentRequest:
    """One call waiting for the user: answered once, from the main thread."""

    def __init__(self, call: ToolCallRequest, info: ToolInfoLike | None) -> None:
        self.call, self.info = call, info
        self.decision: Decision = "deny"
        self._answered = threading.Event()

    @property
    def server(self) -> str:
        return self.info.server if self.info is not None else ""

    @property
    def answered(self) -> bool:
        return self._answered.is_set()

    def answer(self, decision: Decision) -> None:
        if not self._answered.is_set():
            self.decision = decision
            self._answered.set()

    def wait(self, stopped: Callable[[], bool]) -> Decision:
        """The user's answer; Deny as soon as the turn is stopped."""
        while not self._answered.wait(WAIT_STEP_S):
            if stopped():
                self.answer("deny")
        return self.decision
