"""``qwendesk serve`` as a user runs it: a real process, the ``openai`` client, stopped by a signal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from tests.server.conftest import HI, REASONING, REPLY

URL_LINE = re.compile(r"QwenDesk API server: (http://127\.0\.0\.1:\d+/v1) · model (\S+) · Ctrl-C stops it")
needs_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def serve(*args: str, env: dict[str, str] | None = None, fault: str | None = None) -> subprocess.Popen[str]:
    """``qwendesk serve ARGS``; ``fault``: injected into its engine by tests/fault_harness.py."""
    command = ["-m", "app"] if fault is None else ["-m", "tests.fault_harness", fault]
    return subprocess.Popen(
        [sys.executable, *command, "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def wait_for_url(proc: subprocess.Popen[str]) -> tuple[str, str, list[str]]:
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        found = URL_LINE.search(line)
        if found:
            return found[1], found[2], seen
    raise AssertionError(f"no URL line; exit {proc.wait()}; stderr: {''.join(seen)}")


def stop(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    proc.send_signal(sig)
    _, rest = proc.communicate(timeout=60)
    return proc.returncode, rest


@needs_signals
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_answers_and_stops_cleanly(scripted_model: Path, sig: signal.Signals) -> None:
    proc = serve(
        "--model", str(scripted_model), "--port", "0", "--ctx", "1024", env={"QWENDESK_API_KEY": "k"}
    )
    try:
        url, model, _ = wait_for_url(proc)
        assert model == "scripted"
        with openai.OpenAI(base_url=url, api_key="k", max_retries=0, timeout=60) as client:
            assert [m.id for m in client.models.list().data] == ["scripted"]
            r = client.chat.completions.create(model=model, messages=HI)
            assert r.choices[0].message.content == REPLY
            assert getattr(r.choices[0].message, "reasoning_content", None) == REASONING
        with (
            openai.OpenAI(base_url=url, api_key="wrong", max_retries=0) as client,
            pytest.raises(openai.AuthenticationError),
        ):
            client.models.list()  # the key came from QWENDESK_API_KEY
        code, rest = stop(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert code == 0, rest
    assert "POST /v1/chat/completions 200" in rest and "GET /v1/models 401" in rest  # one line per request
    assert "Traceback" not in rest and REPLY not in rest


def test_network_hosts_are_refused_without_the_switch_and_a_key(scripted_model: Path) -> None:
    r = run_serve("--model", str(scripted_model), "--host", "0.0.0.0", "--port", "0")
    assert r.returncode == 2 and "--allow-network" in r.stderr and "Traceback" not in r.stderr
    r = run_serve("--model", str(scripted_model), "--host", "0.0.0.0", "--port", "0", "--allow-network")
    assert r.returncode == 2 and "API key" in r.stderr
    assert "QwenDesk API server:" not in r.stderr


def test_a_bad_model_exits_1_with_the_engines_message(tmp_path: Path) -> None:
    r = run_serve("--model", str(tmp_path / "nothing.gguf"), "--port", "0")
    assert r.returncode == 1 and "nothing.gguf" in r.stderr and "Traceback" not in r.stderr


def test_a_taken_port_exits_1_naming_it(scripted_model: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        r = run_serve("--model", str(scripted_model), "--port", port)
    assert r.returncode == 1 and f"Port {port}" in r.stderr and "already in use" in r.stderr
