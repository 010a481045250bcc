"""Stopping the CLI whatever the engine is doing (issue 13 point 3): SIGTERM and a second Ctrl-C end
it within about two seconds with the worker gone, and Ctrl-C while loading is one line."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import psutil
import pytest

from tests.server.test_serve_cli import serve, wait_for_url

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def workers(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def wait_until(done, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        time.sleep(0.05)
    return bool(done())


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_sigterm_stops_serve_while_a_request_is_stuck(scripted_model: Path, tmp_path: Path) -> None:
    env = {"QWENDESK_HOME": str(tmp_path)}
    proc = serve("--model", str(scripted_model), "--port", "0", env=env, fault="stuck-generate")
    try:
        url, model, _ = wait_for_url(proc)
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}

        def ask() -> None:
            with contextlib.suppress(httpx2.HTTPError):  # the server goes away mid-request
                httpx2.post(f"{url}/chat/completions", json=body, timeout=30)

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        time.sleep(1.0)  # the request now holds the engine, and the worker never answers
        children = workers(proc.pid)
        assert children
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        assert time.monotonic() - started < 4.5  # ~2 s; it used to wait forever
        assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
        assert wait_until(lambda: all(gone(c) for c in children), 3)
        asking.join(10)
    finally:
        proc.kill()
        proc.communicate()


def chat(*args: str, env: dict[str, str], fault: str | None = None) -> subprocess.Popen[str]:
    """``qwendesk chat ARGS``; ``fault``: injected into its engine by tests/fault_harness.py."""
    command = ["-m", "app"] if fault is None else ["-m", "tests.fault_harness", fault]
    return subprocess.Popen(
        [sys.executable, *command, "chat", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def test_a_second_ctrl_c_stops_chat_while_the_engine_is_stuck(scripted_model: Path, tmp_path: Path) -> None:
    proc = chat(
        "--model",
        str(scripted_model),
        "hi",
        env={"QWENDESK_HOME": str(tmp_path)},
        fault="stuck-generate",
    )
    try:
        assert wait_until(lambda: bool(workers(proc.pid)), 30)
        time.sleep(3.0)  # loaded, and the turn is stuck
        children = workers(proc.pid)
        proc.send_signal(signal.SIGINT)  # asks the worker to stop: it does not answer
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert time.monotonic() - started < 4.5  # ~2 s (a loaded machine adds some)
        assert proc.returncode == 130 and "Traceback" not in err
        assert wait_until(lambda: all(gone(c) for c in children), 3)
    finally:
        proc.kill()
        proc.communicate()


def test_ctrl_c_while_loading_is_one_line(scripted_model: Path, tmp_path: Path) -> None:
    proc = chat(
        "--model",
        str(scripted_model),
        "hi",
        env={"QWENDESK_HOME": str(tmp_path)},
        fault="slow-load",
    )
    try:
        assert wait_until(lambda: bool(workers(proc.pid)), 30)
        time.sleep(1.0)  # the worker is up and loading slowly
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 130
        assert "Traceback" not in err and "loading cancelled" in err, err
        assert out == ""
    finally:
        proc.kill()
        proc.communicate()
