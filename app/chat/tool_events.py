"""What a tool-using turn reports besides the model's own stream, and the shapes it needs of the host.

The host is used through Protocols so that app.tools' real host, a remote one and the tests' fakes
all fit without importing app.tools here (this layer stays Qt-free and host-free).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from app.backend.protocol import Answer, Done, Notice, PromptProgress, Reasoning
from app.store.models import ToolCard

Decision = Literal["deny", "once", "always"]


class ToolInfoLike(Protocol):
    """A tool as the host lists it (app.tools.host.ToolInfo)."""

    @property
    def server(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def exposed_name(self) -> str: ...  # the name the model sees and calls

    def as_openai(self) -> dict[str, Any]: ...


class ToolResultLike(Protocol):
    """What a call returned (app.tools.host.ToolResult): plain text, already capped by the host."""

    @property
    def text(self) -> str: ...
    @property
    def is_error(self) -> bool: ...
    @property
    def truncated(self) -> bool: ...


class ToolHostLike(Protocol):
    """The part of app.tools.host.ToolHost a turn uses; ``call`` never raises."""

    def tools(self) -> Sequence[ToolInfoLike]: ...
    def call(self, exposed_name: str, arguments: dict[str, Any], timeout_s: float = 60) -> ToolResultLike: ...
    def cancel_calls(self) -> object: ...


@dataclass(frozen=True)
class ToolCardEvent:
    """A card was created or changed: the window replaces the card with this ``card.id``."""

    card: ToolCard


@dataclass(frozen=True)
class AlwaysAllowed:
    """The user chose "Always allow" for this tool: the caller keeps it for the conversation and
    passes it back as ``always_allowed`` next turn."""

    tool: str  # the exposed name
    server: str


TurnEvent = Reasoning | Answer | Notice | PromptProgress | ToolCardEvent | AlwaysAllowed | Done
