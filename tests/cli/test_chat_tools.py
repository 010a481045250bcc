"""``qwendesk chat --mcp-config``: a scripted Qwen3 GGUF calls get_weather on a real MCP server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.models.synthetic import WEATHER_CALL, Script, write_scripted_gguf
from tests.cli.test_chat_cli import json_lines, qwendesk
from tests.tools.conftest import WEATHER


@pytest.fixture
def caller(tmp_path: Path) -> Path:
    return write_scripted_gguf(
        tmp_path / "caller.gguf", Script(answer=("Checking", " the", " weather", "!"), tool_call=WEATHER_CALL)
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mcp.json"
    servers = {"weather": {"command": sys.executable, "args": [str(WEATHER)]}}
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


def test_an_allowed_tool_runs_and_its_result_goes_back(caller: Path, config: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(caller), "--no-think", "--mcp-config", str(config),
        "--allow-tool", "get_weather", "--max-tool-rounds", "2", "--json", "Weather in Paris?",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    kinds = [e["event"] for e in events]
    call = next(e for e in events if e["event"] == "tool_call")
    assert call["name"] == "get_weather" and call["server"] == "weather"
    assert call["arguments"] == {"city": "Paris"}
    result = next(e for e in events if e["event"] == "tool_result")
    assert result["id"] == call["id"] and not result["is_error"] and "Paris" in result["content"]
    assert kinds.index("tool_call") < kinds.index("tool_result")
    assert kinds.count("done") == 1 and kinds[-1] == "done"
    assert events[-1]["finish_reason"] == "tool_rounds"
    assert "weather: 5 tools" in r.stderr


def test_a_tool_not_allowed_is_denied_and_the_model_told(caller: Path, config: Path) -> None:
    r = qwendesk("chat", "--model", str(caller), "--no-think", "--mcp-config", str(config),
                 "--max-tool-rounds", "2", "--json", "Weather in Paris?")  # fmt: skip
    assert r.returncode == 0, r.stderr
    result = next(e for e in json_lines(r.stdout) if e["event"] == "tool_result")
    assert result["is_error"] and result["content"] == "The user denied this call."


def test_allow_tool_needs_a_config(caller: Path) -> None:
    r = qwendesk("chat", "--model", str(caller), "--allow-tool", "x", "hi")
    assert r.returncode == 2 and "--mcp-config" in r.stderr
