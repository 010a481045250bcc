"""QwenDesk's local API server: an OpenAI-compatible ``/v1`` for the model loaded in QwenDesk.

Opt-in (``qwendesk serve`` or the switch in the window's settings), bound to
localhost unless the user explicitly allows the network and sets an API key.
Standard library only: it is a single-user bridge to one engine that runs one
generation at a time, so no web framework is worth its weight in the bundle.
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
