"""QwenDesk's local API server: an OpenAI-compatible ``/v1`` for the model loaded in QwenDesk.

Opt-in (``qwendesk serve`` or the switch in the window's settings), bound to
localhost unless the user explicitly allows the network and sets an API key.
Standard library only: it is a single-user bridge to one engine that runs one
generation at a time, so no web framework is worth its weight in the bundle.

Function calling follows OpenAI's ``tools`` / ``tool_calls`` so agent frameworks
can drive a local Qwen3: tools are rendered by the model's own chat template, the
engine parses its ``<tool_call>`` blocks, and calls come back whole (one
``delta.tool_calls`` chunk per call when streaming) with ``finish_reason:
"tool_calls"``. ``tool_choice`` "auto" and "none" only: nothing here can force a
call, so "required" and named functions are refused (see ``tool_request``);
``parallel_tool_calls: false`` returns the first call only.
"""

from __future__ import annotations

from app.server.access import NetworkExposureError, PortInUseError, ServerSetupError
from app.server.http_server import DEFAULT_HOST, DEFAULT_PORT, ApiServer

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ApiServer",
    "NetworkExposureError",
    "PortInUseError",
    "ServerSetupError",
]
