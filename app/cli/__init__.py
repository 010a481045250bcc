"""The ``qwendesk`` command: the chat window, headless chat, models, export and benchmarks.

Everything here runs without Qt, so QwenDesk is scriptable and testable headless.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from typing import Any

from app.privacy import go_offline


def build_parser() -> argparse.ArgumentParser:
    from app.cli import bench, chat, export, models, serve

    parser = argparse.ArgumentParser(
        prog="qwendesk", description="QwenDesk: chat with Qwen3 models locally and privately."
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show QwenDesk's version and those of llama.cpp, Qt and Python, then exit",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does to stderr")
    parser.add_argument(
        "--model", metavar="PATH|NAME", help="open the window with this GGUF (or model name) loaded"
    )
    # Hidden: packaging/smoke_test.sh checks a built bundle with it (open the window, quit when shown).
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat.add_parser(sub)
    bench.add_parser(sub)
    export.add_parser(sub)
    models.add_parser(sub)
    serve.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the engine worker inside a frozen (PyInstaller) app
    parser = build_parser()
    args = parser.parse_args(argv)
    go_offline()  # `models list/pull` reach the Hub through app.privacy.hub_access, nothing else does
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="qwendesk: %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command is None:
        return _gui(args.model, smoke_test=args.smoke_test)
    return int(args.run(args))


def _gui(model: str | None, *, smoke_test: bool = False) -> int:
    """No command: the chat window (the CLI reaches into app.ui only here and in ``version_text``)."""
    if smoke_test:
        from app.ui.smoke import run_smoke_test

        return run_smoke_test(model)
    from app.linux_libs import missing_gui_libraries_message

    if (problem := missing_gui_libraries_message()) is not None:  # instead of Qt's "could not load xcb"
        print(problem, file=sys.stderr)
        return 1
    from app.ui.app import run_gui

    return run_gui(model)


def version_text() -> str:
    """``qwendesk --version``: QwenDesk, llama.cpp (and its GPU backend), Qt and Python."""
    from app.versions import collect

    try:
        from app.ui.about import qt_versions
    except ImportError as exc:  # no PySide6, or Qt's libraries cannot load here
        reason = "PySide6 is not installed" if exc.name in ("PySide6", "shiboken6") else str(exc)
        return collect(qt_note=reason).text()
    return collect(*qt_versions()).text()


class _VersionAction(argparse.Action):
    """Like argparse's "version" action, but the versions are read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(version_text())
        parser.exit()
