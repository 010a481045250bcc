"""``qwendesk chat`` as a user runs it: a real process, real llama.cpp, JSON lines on stdout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPLY = "Hello! How can I help?"


def qwendesk(
    *args: str, stdin: str | None = None, env: dict | None = None, fault: str | None = None
) -> subprocess.CompletedProcess:
    """``qwendesk ARGS``; ``fault``: through tests/fault_harness.py, which injects it into the engine."""
    command = ["-m", "app"] if fault is None else ["-m", "tests.fault_harness", fault]
    return subprocess.run(
        [sys.executable, *command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def json_lines(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    assert lines, "no output"
    return [json.loads(line) for line in lines]  # every stdout line is one JSON object


def test_one_turn_json(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "hi")
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    assert {e["event"] for e in events} == {"reasoning", "answer", "done"}
    assert "".join(e["text"] for e in events if e["event"] == "reasoning") == "The user greets me."
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY
    done = events[-1]
    assert done["event"] == "done" and done["finish_reason"] == "stop"
    for key in (
        "prompt_tokens",
        "evaluated_prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "ttft_s",
        "decode_tokens_per_s",
    ):
        assert key in done
    assert "Traceback" not in r.stderr


def test_no_think_and_sampling_flags(scripted_model: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--json", "--no-think", "--temperature", "0.9",
        "--top-p", "0.9",
        "--top-k", "5", "--min-p", "0.05", "--presence-penalty", "1.5", "--seed", "3", "--system", "Be kind.",
        "--ctx", "2048", "--max-tokens", "50", "hi",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    assert not any(e["event"] == "reasoning" for e in events)
    assert events[-1]["reasoning_tokens"] == 0 and not events[-1]["thought"]


def test_thinking_budget_and_yarn_notice(looping_model: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(looping_model), "--json", "--thinking-budget", "4", "--ctx", "65536", "hi"
    )
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    assert events[0]["event"] == "notice" and events[0]["code"] == "yarn"
    assert events[-1]["finish_reason"] == "budget" and events[-1]["thinking_budget_hit"]
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY


def test_multi_turn_over_stdin_reuses_the_cache(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", stdin="hi\n\nand then?\n")
    assert r.returncode == 0, r.stderr
    dones = [e for e in json_lines(r.stdout) if e["event"] == "done"]
    assert len(dones) == 2  # the blank line is skipped
    assert dones[1]["evaluated_prompt_tokens"] == dones[1]["prompt_tokens"] - dones[0]["prompt_tokens"]


def test_human_output(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "hi")
    assert r.returncode == 0
    assert r.stdout == f"│ The user greets me.\n{REPLY}\n"
    assert "[stop · 15 tokens" in r.stderr


def test_bad_model_is_an_error_event_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"NOT A GGUF")
    r = qwendesk("chat", "--model", str(bad), "--json", "hi")
    assert r.returncode == 1
    (event,) = json_lines(r.stdout)
    assert event["event"] == "error" and event["kind"] == "bad_model" and "broken.gguf" in event["message"]
    assert "Traceback" not in r.stderr
    r = qwendesk("chat", "--model", str(tmp_path / "missing.gguf"), "hi")
    assert r.returncode == 1 and "Model file not found" in r.stderr and "Traceback" not in r.stderr


def test_invalid_request_errors(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "--temperature", "0", "hi")
    assert r.returncode == 1
    (event,) = json_lines(r.stdout)
    assert event["kind"] == "invalid_request" and "Greedy" in event["message"]


def test_usage_errors_exit_2(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--think", "--no-think", "hi")
    assert r.returncode == 2 and "not allowed with" in r.stderr


def test_worker_crash_is_an_error_event(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "hi", fault="segv-load")
    assert r.returncode == 1
    (event,) = json_lines(r.stdout)
    assert event["kind"] == "worker_crashed" and event["signal"] == "SIGSEGV" and event["stage"] == "loading"


def test_amx_fallback_is_a_notice(scripted_model: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "hi", fault="amx-first-decode")
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    assert [e["code"] for e in events if e["event"] == "notice"] == ["amx_fallback"]
    assert events[-1]["event"] == "done"


def test_ctrl_c_stops_the_answer(looping_model: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "chat",
            "--model",
            str(looping_model),
            "--json",
            "--max-tokens",
            "10000000",
            "hi",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # streaming has begun
    assert json.loads(first)["event"] == "reasoning"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    events = json_lines(first + out)
    assert events[-1]["event"] == "done" and events[-1]["finish_reason"] == "cancelled"
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_version() -> None:
    r = qwendesk("--version")
    assert r.returncode == 0
    assert "QwenDesk" in r.stdout


def test_no_environment_variable_can_make_the_shipped_engine_crash(scripted_model: Path) -> None:
    """Fault injection is for tests only (tests/fault_harness.py): the variable that once did it is inert."""
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "hi", env={"QWENDESK_FAULT": "segv-load"})
    assert r.returncode == 0, r.stderr
    assert json_lines(r.stdout)[-1]["event"] == "done"
