"""OpenAI-style errors: ``{"error": {"message", "type", "code", "param"}}`` with an HTTP status.

Clients such as the ``openai`` package turn the status into an exception class
(400 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 5xx
InternalServerError) and show ``message``: it is written for people.
"""

from __future__ import annotations

import reprlib

from app.backend import errors
from app.backend.shared_engine import EngineBusyError

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    411: "invalid_request_error",
    413: "invalid_request_error",
    414: "invalid_request_error",
    431: "invalid_request_error",
    500: "server_error",
    503: "service_unavailable",
}


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 40
_SHOW.maxlevel = 2


def shown(value: object) -> str:
    """A short, bounded repr of a client's value for a message (never the whole of it)."""
    return _SHOW.repr(value)


class ApiError(Exception):
    """A refusal the client should see, with its status; raised anywhere below the handler."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, sent as Retry-After (with 503)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    @property
    def type(self) -> str:
        return TYPES.get(self.status, "invalid_request_error" if self.status < 500 else "server_error")

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "code": self.code, "param": self.param}}


def bad(message: str, param: str | None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unsupported(param: str, why: str) -> ApiError:
    return bad(f"{param} is not supported by QwenDesk's local API server: {why}", param, "unsupported")


def from_engine_error(exc: errors.EngineError) -> ApiError:
    """The status an engine failure deserves: the client's fault (400), busy (503) or ours (500)."""
    if isinstance(exc, errors.ContextFullError):
        return ApiError(400, exc.message, code="context_length_exceeded", param="messages")
    if isinstance(exc, errors.InvalidRequestError):
        return ApiError(400, exc.message)
    if isinstance(exc, errors.TemplateError):  # the model's template refused this conversation
        return ApiError(400, exc.message, code="template_error", param="messages")
    if isinstance(exc, EngineBusyError):
        return ApiError(503, exc.message, code="engine_busy")
    if isinstance(exc, errors.NoModelError):
        return ApiError(503, exc.message, code="no_model")
    return ApiError(500, exc.message, code=exc.kind)


def model_not_found(asked: str, served: str | None) -> ApiError:
    if served is None:
        return no_model_loaded()
    return ApiError(
        404,
        f"The model {asked!r} is not served here: this QwenDesk serves {served!r} (GET /v1/models lists it).",
        code="model_not_found",
        param="model",
    )


def no_model_loaded() -> ApiError:
    return ApiError(
        503,
        "No model is loaded in QwenDesk: load one in the window (or start `qwendesk serve --model …`) "
        "and try again.",
        code="no_model",
    )


class ClientGoneError(Exception):
    """The client closed its connection (or the server is cutting it): stop working for it."""


def shutting_down() -> ApiError:
    return ApiError(503, "The QwenDesk API server is shutting down.", code="shutting_down")
