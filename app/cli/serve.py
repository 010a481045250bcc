"""``qwendesk serve``: QwenDesk's OpenAI-compatible API for a model, in the foreground.

Loads the model, listens on 127.0.0.1 unless told otherwise (``--allow-network``
and an API key), prints the base URL on stderr, and serves until Ctrl-C or
SIGTERM. Each request is logged (method, path, status), never its messages.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.shared_engine import SharedEngine
from app.cli.gpu_layers import load_as_asked
from app.cli.stopping import insisting
from app.server import DEFAULT_HOST, DEFAULT_PORT, ApiServer, ServerSetupError
from app.server.shapes import model_id

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130
API_KEY_ENV = "QWENDESK_API_KEY"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve a model over an OpenAI-compatible API (localhost only by default)",
        description="Serve a Qwen3 GGUF at /v1/chat/completions and /v1/models, OpenAI-compatible, with "
        "the reasoning in reasoning_content (as vLLM). Listens on 127.0.0.1 unless --allow-network is "
        "given together with an API key.",
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="PATH|NAME",
        help="a GGUF file, the name of one in the models dir, or a downloaded NAME:QUANT",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port)"
    )
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"require 'Authorization: Bearer KEY' on /v1 (default: ${API_KEY_ENV}; prefer it, since "
        "other users of this computer can read command lines)",
    )
    p.add_argument(
        "--allow-network",
        action="store_true",
        help="allow a --host other machines can reach (needs an API key)",
    )
    p.add_argument("--ctx", type=int, metavar="N", help="context length (YaRN is used beyond 32,768)")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: the physical cores)")
    p.add_argument(
        "--gpu-layers",
        type=int,
        metavar="N",
        help="layers to offload to the GPU (default: as many as the fit estimate says fit, on a GPU build; "
        "-v says how many and why)",
    )
    p.add_argument("--kv-cache", default="f16", choices=["f16", "q8_0", "q4_0"], help="KV-cache type")
    p.set_defaults(run=run)


def _say(text: str) -> None:
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def run(args: argparse.Namespace, *, engine_factory: Callable[[], Engine] = Engine) -> int:
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    shared = SharedEngine(engine_factory())
    try:
        try:
            server = ApiServer(
                shared, host=args.host, port=args.port, api_key=api_key, allow_network=args.allow_network
            )
        except ServerSetupError as exc:  # NetworkExposureError above all
            _say(f"qwendesk: error: {exc}")
            return EXIT_USAGE
        try:
            server.bind()  # a taken port fails before the model loads
        except ServerSetupError as exc:
            _say(f"qwendesk: error: {exc}")
            return EXIT_ERROR
        return _serve(server, shared, args)
    finally:
        shared.close()


def _serve(server: ApiServer, shared: SharedEngine, args: argparse.Namespace) -> int:
    """Ctrl-C stops the server; a second Ctrl-C, or SIGTERM, stops it whatever the engine is doing
    (app.cli.stopping: the worker is killed, the process gone within about two seconds)."""
    with insisting(shared.engine.kill):
        try:
            return _serve_until_stopped(server, shared, args)
        except KeyboardInterrupt:
            return EXIT_CANCELLED


def _serve_until_stopped(server: ApiServer, shared: SharedEngine, args: argparse.Namespace) -> int:
    try:
        try:
            report = load_as_asked(shared.engine, args, args.kv_cache)
        except EngineError as exc:
            _say(f"qwendesk: error: {exc.message}")
            return EXIT_ERROR
        except KeyboardInterrupt:
            return EXIT_CANCELLED
        for notice in report.notices:
            _say(f"qwendesk: notice: {notice.text}")
        logging.getLogger("qwendesk.server").setLevel(logging.INFO)  # one line per request on stderr
        reach = "" if server.loopback else f" · listening on {args.host} (API key required)"
        _say(
            f"QwenDesk API server: {server.url} · model {model_id(report.info.path)}{reach} · Ctrl-C stops it"
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the normal way to stop it
            server.serve_forever()
        return 0
    finally:
        server.shutdown()
