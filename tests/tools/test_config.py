"""mcp.json and tools-state.json: round trips, clear errors, and trust that follows what would run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.tools import config as cfgmod
from app.tools.config import ConfigError, ServerConfig, add_server, edit_server, load_config, remove_server
from app.tools.state import ToolsState
from tests.memory_keyring import MemoryKeyring

PASTED: dict[str, Any] = {
    "mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@mcp/fs", "/tmp"], "env": {"DEBUG": "1"}},
        "web": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "blue"}},
    },
    "otherAppSetting": True,
}


def write(home: Path, data: object) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "mcp.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_pasted_file_loads_and_nothing_is_enabled_or_trusted(qwendesk_home: Path) -> None:
    write(qwendesk_home, PASTED)
    loaded = load_config()
    assert loaded.errors == []
    files, web = loaded.servers["files"], loaded.servers["web"]
    assert (files.kind, files.command, files.env) == ("stdio", "npx", {"DEBUG": "1"})
    assert files.args == ("-y", "@mcp/fs", "/tmp")
    assert (web.kind, web.url, web.headers) == ("http", "https://mcp.example.com/mcp", {"X-Team": "blue"})
    state = ToolsState.load(loaded.servers)
    assert not state.is_enabled("files") and not state.is_trusted(files)


def test_no_file_is_an_empty_config(qwendesk_home: Path) -> None:
    loaded = load_config()
    assert loaded.servers == {} and loaded.errors == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", 'object with "mcpServers"'),
        ('{"mcpServers": []}', '"mcpServers" must be an object'),
    ],
)
def test_a_bad_file_is_an_error_not_a_crash(qwendesk_home: Path, text: str, expected: str) -> None:
    write(qwendesk_home, text)
    loaded = load_config()
    assert loaded.servers == {}
    assert len(loaded.errors) == 1 and expected in loaded.errors[0]


def test_bad_entries_name_the_server_and_the_field_and_the_good_ones_load(qwendesk_home: Path) -> None:
    write(
        qwendesk_home,
        {
            "mcpServers": {
                "good": {"command": "uvx", "args": ["mcp-server-time"]},
                "noargs": {"command": "x", "args": "--flag"},
                "numenv": {"command": "x", "env": {"PORT": 8080}},
                "both": {"command": "x", "url": "http://h"},
                "neither": {"args": []},
                "ftp": {"url": "ftp://h"},
                "sse": {"url": "http://h/sse", "type": "sse"},
                "list": ["x"],
            }
        },
    )
    loaded = load_config()
    assert list(loaded.servers) == ["good"]
    errors = "\n".join(loaded.errors)
    expected = [("noargs", '"args"'), ("numenv", '"env"'), ("both", "not both"), ("neither", "missing")]
    expected += [("ftp", '"url"'), ("sse", "sse"), ("list", "must be an object")]
    for name, field in expected:
        assert f'Server "{name}"' in errors and field in errors, (name, errors)


def test_add_edit_remove_keep_the_rest_of_the_file(qwendesk_home: Path) -> None:
    path = write(qwendesk_home, PASTED)
    add_server(ServerConfig("time", command="uvx", args=("mcp-server-time",)))
    with pytest.raises(ConfigError, match="already exists"):
        add_server(ServerConfig("time", command="other"))
    edit_server(ServerConfig("web", url="https://new.example.com/mcp"))
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["otherAppSetting"] is True
    assert raw["mcpServers"]["time"] == {"command": "uvx", "args": ["mcp-server-time"]}
    assert raw["mcpServers"]["web"] == {"url": "https://new.example.com/mcp"}
    assert raw["mcpServers"]["files"] == PASTED["mcpServers"]["files"]
    assert remove_server("files") and not remove_server("files")
    assert set(load_config().servers) == {"time", "web"}
    assert [p.name for p in qwendesk_home.iterdir() if p.suffix == ".tmp"] == []


def test_an_unparseable_file_is_never_overwritten(qwendesk_home: Path) -> None:
    path = write(qwendesk_home, "{typo")
    with pytest.raises(ConfigError, match="not valid JSON"):
        add_server(ServerConfig("time", command="uvx"))
    with pytest.raises(ConfigError, match='"command"'):
        add_server(ServerConfig("blank", command=""))
    assert path.read_text(encoding="utf-8") == "{typo"


def test_the_write_is_atomic(qwendesk_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(qwendesk_home, PASTED)

    def fail(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cfgmod.json, "dump", fail)
    with pytest.raises(OSError, match="disk full"):
        add_server(ServerConfig("time", command="uvx"))
    assert json.loads(path.read_text(encoding="utf-8")) == PASTED
    assert [p.name for p in qwendesk_home.iterdir() if p.name != "mcp.json"] == []


def test_trust_is_dropped_when_the_command_changes(qwendesk_home: Path) -> None:
    write(qwendesk_home, PASTED)
    servers = load_config().servers
    state = ToolsState.load(servers)
    state.set_enabled("files", True)
    state.set_trusted(servers["files"], True)
    state.set_trusted(servers["web"], True)
    assert ToolsState.load(load_config().servers).is_trusted(servers["files"])

    edit_server(ServerConfig("files", command="npx", args=("-y", "@evil/fs", "/")))  # new args
    edit_server(ServerConfig("web", url="https://mcp.example.com/mcp", headers={"X-Team": "red"}))  # same URL
    servers = load_config().servers
    state = ToolsState.load(servers)
    assert not state.is_trusted(servers["files"]) and state.is_enabled("files")
    assert state.is_trusted(servers["web"])
    saved = json.loads((qwendesk_home / "tools-state.json").read_text(encoding="utf-8"))
    assert saved["servers"]["files"]["trusted"] is False  # dropped on disk, not only in memory

    state.set_trusted(servers["files"], True)
    assert state.is_trusted(servers["files"])
    moved = ServerConfig("web", url="https://elsewhere.example.com/mcp")
    assert not state.is_trusted(moved)  # checked at use too, not only at load


def test_a_corrupt_state_file_reads_as_defaults(qwendesk_home: Path) -> None:
    write(qwendesk_home, {})
    (qwendesk_home / "tools-state.json").write_text("{oops", encoding="utf-8")
    state = ToolsState.load({})
    assert not state.is_enabled("x")


def test_typed_headers_go_to_the_keyring_not_to_disk(
    qwendesk_home: Path, memory_keyring: MemoryKeyring
) -> None:
    web = ServerConfig("web", url="https://mcp.example.com/mcp", headers={"X-Team": "blue"})
    state = ToolsState.load({"web": web})
    state.set_bearer_token(web, "s3cret-token")
    assert state.headers_for(web) == {"X-Team": "blue", "Authorization": "Bearer s3cret-token"}
    on_disk = "".join(p.read_text(encoding="utf-8") for p in qwendesk_home.iterdir())
    assert "s3cret" not in on_disk and "Authorization" in on_disk
    assert ToolsState.load({"web": web}).headers_for(web)["Authorization"] == "Bearer s3cret-token"
    moved = ServerConfig("web", url="https://elsewhere.example.com/mcp")
    assert "Authorization" not in state.headers_for(moved)  # a token never follows a new URL
    state.delete_secret_header(web, "Authorization")
    assert state.headers_for(web) == {"X-Team": "blue"} and memory_keyring.passwords == {}


def test_a_servers_tool_list_is_bounded_before_it_reaches_a_prompt() -> None:
    from app.tools.results import (
        MAX_DESCRIPTION_CHARS,
        MAX_SCHEMA_CHARS,
        MAX_TOOLS_PER_SERVER,
        ToolInfo,
        bound_tools,
    )

    huge_schema = {"type": "object", "description": "x" * (MAX_SCHEMA_CHARS + 1)}
    tools = [ToolInfo("s", "long", "d" * 10_000, {}), ToolInfo("fat", "fat", "", huge_schema)]
    tools += [ToolInfo("s", f"t{i}", "", {}) for i in range(MAX_TOOLS_PER_SERVER + 10)]
    kept, notes = bound_tools(tools)
    assert len(kept) == MAX_TOOLS_PER_SERVER and all(t.name != "fat" for t in kept)
    assert len(kept[0].description) == MAX_DESCRIPTION_CHARS and kept[0].description.endswith("…")
    assert any("schema" in n for n in notes) and any(f"first {MAX_TOOLS_PER_SERVER}" in n for n in notes)
