"""The ``qwendesk`` command: headless chat and benchmarks (the GUI comes later).

Everything here runs without Qt, so QwenDesk is scriptable and testable headless.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys

from app import __version__


def build_parser() -> argparse.ArgumentParser:
    from app.cli import bench, chat, export, models

    parser = argparse.ArgumentParser(
        prog="qwendesk", description="QwenDesk: chat with Qwen3 models locally and privately."
    )
    parser.add_argument("--version", action="version", version=f"QwenDesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does to stderr")
    parser.add_argument(
        "--model", metavar="PATH|NAME", help="open the window with this GGUF (or model name) loaded"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat.add_parser(sub)
    bench.add_parser(sub)
    export.add_parser(sub)
    models.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the engine worker inside a frozen (PyInstaller) app
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="qwendesk: %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command is None:
        return _gui(args.model)
    return int(args.run(args))


def _gui(model: str | None) -> int:
    """No command: the chat window (the only place the CLI reaches into app.ui)."""
    from app.ui.app import run_gui

    return run_gui(model)
