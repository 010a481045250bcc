"""Typed engine errors.

Every failure the engine can report is one of these, with a stable ``kind``
that the CLI prints in its ``{"event": "error"}`` line and the UI maps to an
action (retry, choose another model, …).
"""

from __future__ import annotations

import signal as _signal
from typing import ClassVar


class EngineError(Exception):
    """Base class: a user-facing message and a machine-readable kind."""

    kind: ClassVar[str] = "engine"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {"event": "error", "kind": self.kind, "message": self.message}


class ModelNotFoundError(EngineError):
    kind = "model_missing"


class ModelFileError(EngineError):
    """The file is not a GGUF llama.cpp should be handed (checked before it is)."""

    kind = "bad_model"


class LoadFailedError(EngineError):
    """llama.cpp itself refused the model (e.g. unsupported tensor type, no memory)."""

    kind = "load_failed"


class UnsupportedContextError(EngineError):
    """The requested context is beyond what the model is meant for."""

    kind = "unsupported_context"


class TemplateError(EngineError):
    kind = "template"


class InvalidRequestError(EngineError):
    kind = "invalid_request"


class LoadCancelledError(EngineError):
    kind = "load_cancelled"


class CancelledError(EngineError):
    """A call other than a generation (counting tokens) was stopped by ``Engine.cancel``."""

    kind = "cancelled"


class ContextFullError(EngineError):
    """The conversation does not fit the loaded context; the numbers let the UI offer a reload."""

    kind = "context_full"

    def __init__(self, message: str, *, prompt_tokens: int = 0, n_ctx: int = 0) -> None:
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out.update(prompt_tokens=self.prompt_tokens, n_ctx=self.n_ctx)
        return out


class NoModelError(EngineError):
    kind = "no_model"


class WorkerCrashedError(EngineError):
    """The worker process died: which signal (or exit code), and in which stage."""

    kind = "worker_crashed"

    def __init__(self, exitcode: int | None, stage: str, model: str | None) -> None:
        self.exitcode = exitcode
        self.stage = stage
        self.model = model
        self.signal: int | None = -exitcode if exitcode is not None and exitcode < 0 else None
        self.summary = self._describe()
        super().__init__(f"{self.summary} The app is fine; the next request starts a new engine.")

    @property
    def signal_name(self) -> str | None:
        if self.signal is None:
            return None
        try:
            return _signal.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"

    def _describe(self) -> str:
        where = f" during {self.stage}" if self.stage != "idle" else " while idle"
        about = f" (model {self.model})" if self.model else ""
        why = ""
        if self.signal is not None:
            how = f"was killed by {self.signal_name}"
            if self.signal == _signal.SIGKILL:
                why = ", most likely by the system for running out of memory"
            elif self.signal == _signal.SIGSEGV:
                why = ": a crash inside llama.cpp"
        elif self.exitcode is None:
            how = "stopped answering"
        else:
            how = f"exited with code {self.exitcode}"
        return f"The llama.cpp engine process {how}{where}{about}{why}."

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out.update(signal=self.signal_name, exitcode=self.exitcode, stage=self.stage)
        return out


# ------------------------------------------------------------ remote engines
# An OpenAI-compatible server (vLLM, SGLang, llama-server, Ollama) answers instead of the local
# worker; these say what went wrong on the way there, in words a user can act on.


class RemoteUnreachableError(EngineError):
    """No connection: wrong address, server down, DNS, refused, TLS failure."""

    kind = "unreachable"


class RemoteAuthError(EngineError):
    """401/403: the API key is missing or wrong."""

    kind = "unauthorized"


class RemoteModelMissingError(EngineError):
    """The server does not serve the model asked for (404 or absent from /v1/models)."""

    kind = "remote_model_missing"

    def __init__(self, message: str, *, available: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.available = available

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out["available"] = list(self.available)
        return out


class RemoteTimeoutError(EngineError):
    """Connecting or waiting for the next piece of the answer took too long."""

    kind = "timeout"


class RemoteProtocolError(EngineError):
    """The server answered with something that is not an OpenAI-compatible response or stream."""

    kind = "bad_response"


class RemoteServerError(EngineError):
    """Any other refusal (HTTP 4xx/5xx), with the server's own message and status."""

    kind = "server_error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out["status"] = self.status
        return out


def from_worker(kind: str, message: str, data: dict[str, int]) -> EngineError:
    """The error for a failure the worker reported (``protocol.Failed``), by its kind."""
    if kind == ContextFullError.kind:
        return ContextFullError(message, **data)
    for cls in (LoadFailedError, LoadCancelledError, CancelledError, NoModelError, InvalidRequestError):
        if cls.kind == kind:
            return cls(message)
    return EngineError(message)
