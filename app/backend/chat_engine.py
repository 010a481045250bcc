"""What the window and the CLI need of anything that answers: the local engine or a remote server.

Both :class:`app.backend.engine.Engine` (llama.cpp in a worker process) and
:class:`app.remote.engine.RemoteEngine` (an OpenAI-compatible server) stream the
same events for the same request, so the callers do not care which one runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from app.backend.protocol import GenerationRequest, StreamEvent


class ChatEngine(Protocol):
    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        """Reasoning/Answer/Notice events, then Done; raises an EngineError subclass on failure."""
        ...

    def cancel(self) -> None:
        """Stop the running turn soon (from any thread); the turn ends with Done("cancelled")."""
        ...

    def close(self) -> None: ...
