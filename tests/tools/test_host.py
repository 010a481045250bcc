"""ToolHost against the real weather server (tests/tools/servers/weather.py) over stdio and HTTP."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import psutil

from app.tools.config import ServerConfig
from app.tools.host import ToolHost
from app.tools.results import MAX_RESULT_CHARS
from tests.tools.conftest import stdio_weather

TOOLS = {"get_weather", "slow", "crash", "big", "echo"}


def children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.is_running() and p.status() != "zombie"]


def test_nothing_starts_before_start() -> None:
    before = {t.name for t in threading.enumerate()}
    kids = len(children())
    host = ToolHost({"weather": stdio_weather()})
    assert host.state("weather").status == "stopped"
    assert host.tools() == []
    assert host.call("get_weather", {"city": "Oslo"}).is_error
    assert len(children()) == kids
    assert {t.name for t in threading.enumerate()} == before  # not even the loop's thread
    host.close()


def test_start_call_and_stderr_tail(host: ToolHost) -> None:
    changes: list[str] = []
    host.on_change = changes.append
    state = host.start("weather", wait_s=30)
    assert state.status == "ready", state.error
    assert {t.name for t in state.tools} == TOOLS
    assert "weather" in changes
    weather = next(t for t in host.tools() if t.name == "get_weather")
    assert weather.exposed_name == "get_weather"
    spec = weather.as_openai()
    assert spec["type"] == "function" and spec["function"]["name"] == "get_weather"
    assert spec["function"]["parameters"]["required"] == ["city"] and spec["function"]["description"]

    result = host.call("get_weather", {"city": "Oslo"})
    assert result.text == "Sunny in Oslo, 21 °C" and not result.is_error and not result.truncated
    deadline = time.monotonic() + 5
    while "weather asked for Oslo" not in host.state("weather").stderr_tail and time.monotonic() < deadline:
        time.sleep(0.05)
    assert host.state("weather").stderr_tail[:1] == ("weather server up",)
    assert "weather asked for Oslo" in host.state("weather").stderr_tail


def test_unknown_tool_and_bad_arguments_are_error_results(host: ToolHost) -> None:
    assert host.start("weather", wait_s=30).status == "ready"
    unknown = host.call("get_forecast", {})
    assert unknown.is_error and "no tool named" in unknown.text and "get_weather" in unknown.text
    missing = host.call("get_weather", {})
    assert missing.is_error and "city" in missing.text
    assert host.call("echo", {"text": "still fine"}).text == "still fine"


def test_a_timeout_returns_quickly_and_the_host_stays_usable(host: ToolHost) -> None:
    assert host.start("weather", wait_s=30).status == "ready"
    t0 = time.monotonic()
    result = host.call("slow", {"seconds": 30}, timeout_s=0.5)
    assert time.monotonic() - t0 < 2
    assert result.is_error and "did not answer within 0.5 seconds" in result.text
    assert host.state("weather").status == "ready"
    assert host.call("echo", {"text": "after"}, timeout_s=10).text == "after"


def test_cancel_calls_abandons_running_calls(host: ToolHost) -> None:
    assert host.start("weather", wait_s=30).status == "ready"
    results = []
    worker = threading.Thread(target=lambda: results.append(host.call("slow", {"seconds": 30})))
    worker.start()
    deadline = time.monotonic() + 10
    while host.cancel_calls() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.join(5)
    assert not worker.is_alive()
    assert results[0].is_error and "cancelled" in results[0].text
    assert host.call("echo", {"text": "after"}).text == "after"


def test_a_crash_mid_call_fails_the_server_and_restart_brings_it_back(host: ToolHost) -> None:
    assert host.start("weather", wait_s=30).status == "ready"
    result = host.call("crash", {}, timeout_s=20)
    assert result.is_error and "stopped during the call" in result.text and "goodbye" in result.text
    state = host.state("weather")
    assert state.status == "failed" and "exited unexpectedly" in state.error
    assert "about to crash: goodbye" in state.stderr_tail
    assert host.tools() == []
    assert host.call("echo", {"text": "x"}).is_error

    assert host.restart("weather", wait_s=30).status == "ready"
    assert host.call("echo", {"text": "back"}).text == "back"


def test_a_big_result_is_truncated_with_a_note(host: ToolHost) -> None:
    assert host.start("weather", wait_s=30).status == "ready"
    result = host.call("big", {})
    assert result.truncated and not result.is_error
    assert result.text.startswith("x" * MAX_RESULT_CHARS)
    assert "80,000 of 100,000 characters were cut" in result.text
    assert len(result.text) < MAX_RESULT_CHARS + 200


def test_two_servers_with_the_same_tools_get_distinct_names() -> None:
    host = ToolHost({"weather": stdio_weather(), "backup": stdio_weather("backup")})
    try:
        assert host.start("weather", wait_s=30).status == "ready"
        assert {t.exposed_name for t in host.tools()} == TOOLS  # alone: the tools' own names
        assert host.start("backup", wait_s=30).status == "ready"
        names = {t.exposed_name for t in host.tools()}
        assert len(names) == 10
        assert {"weather_echo", "backup_echo"} <= names
        assert host.call("backup_echo", {"text": "from backup"}).text == "from backup"
        assert host.call("echo", {"text": "x"}).is_error  # ambiguous now: the model sees only prefixed names
        assert {t.exposed_name for t in host.state("backup").tools} == {f"backup_{n}" for n in TOOLS}
    finally:
        host.close()


def test_close_leaves_no_child_process() -> None:
    before = {p.pid for p in children()}  # other tests' children (an engine worker) are not ours
    host = ToolHost({"weather": stdio_weather(), "backup": stdio_weather("backup")})
    host.start("weather")
    host.start("backup", wait_s=30)
    host.start("weather", wait_s=30)
    pids = {p.pid for p in children()} - before
    assert len(pids) >= 2
    host.call("slow", {"seconds": 0.01})  # ambiguous name: an error, but nothing hangs
    host.close()
    assert [p for p in children() if p.pid in pids] == []
    assert host.start("weather").status == "failed"  # closed for good
    host.close()  # twice is fine


def test_a_missing_program_fails_with_a_reason() -> None:
    host = ToolHost({"nope": ServerConfig("nope", command="/no/such/program-qwendesk")})
    try:
        state = host.start("nope", wait_s=30)
        assert state.status == "failed" and "could not start" in state.error
        assert "program-qwendesk" in state.error
        assert host.start("ghost").error.startswith('There is no tool server named "ghost"')
    finally:
        host.close()


def test_a_server_that_dies_at_start_shows_its_stderr(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('missing API key FOO', file=sys.stderr)\nsys.exit(2)\n")
    host = ToolHost({"broken": ServerConfig("broken", command=sys.executable, args=(str(script),))})
    try:
        state = host.start("broken", wait_s=30)
        assert state.status == "failed" and "missing API key FOO" in state.error
        assert state.stderr_tail == ("missing API key FOO",)
    finally:
        host.close()


def test_streamable_http(http_weather: str) -> None:
    host = ToolHost({"web": ServerConfig("web", url=http_weather)})
    try:
        state = host.start("web", wait_s=30)
        assert state.status == "ready", state.error
        assert {t.name for t in state.tools} == TOOLS and state.stderr_tail == ()
        assert host.call("get_weather", {"city": "Lima"}).text == "Sunny in Lima, 21 °C"
        slow = host.call("slow", {"seconds": 30}, timeout_s=0.5)
        assert slow.is_error and "did not answer" in slow.text
        assert host.call("echo", {"text": "still"}).text == "still"
        assert host.stop("web").status == "stopped"
        assert host.tools() == []
    finally:
        host.close()


def test_an_http_server_that_is_not_there_fails_quickly() -> None:
    host = ToolHost({"web": ServerConfig("web", url="http://127.0.0.1:9/mcp")})
    try:
        t0 = time.monotonic()
        state = host.start("web", wait_s=40)
        assert state.status == "failed" and "could not start" in state.error
        assert time.monotonic() - t0 < 35
    finally:
        host.close()


def test_stop_then_start_again(host: ToolHost) -> None:
    before = {p.pid for p in children()}  # other tests' children (an engine worker) are not ours
    assert host.start("weather", wait_s=30).status == "ready"
    pids = {p.pid for p in children()} - before
    assert pids
    assert host.stop("weather").status == "stopped"
    assert host.tools() == [] and [p for p in children() if p.pid in pids] == []
    assert host.start("weather", wait_s=30).status == "ready"
