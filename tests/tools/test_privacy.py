"""Privacy: a stdio tool server, and the host talking to it, open no network connection.

The app process and the server child both run with the audit hook of tests/netguard, which logs and
refuses every name lookup and connection (loopback too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.tools.conftest import WEATHER

GUARD = Path(__file__).resolve().parents[1] / "netguard"
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from app.tools.config import ServerConfig, load_config
from app.tools.host import ToolHost
loaded = load_config()
host = ToolHost(loaded.servers)
state = host.start("weather", wait_s=60)
result = host.call("get_weather", {"city": "Oslo"})
host.close()
print(json.dumps({"status": state.status, "error": state.error, "text": result.text}))
"""


def test_a_stdio_tool_call_stays_offline(tmp_path: Path) -> None:
    log, home = tmp_path / "net.log", tmp_path / "home"
    audit = {"PYTHONPATH": str(GUARD), "QWENDESK_NET_AUDIT": str(log)}
    home.mkdir()
    entry = {"command": sys.executable, "args": [str(WEATHER)], "env": audit}  # the child is watched too
    (home / "mcp.json").write_text(json.dumps({"mcpServers": {"weather": entry}}), encoding="utf-8")
    env = {**os.environ, **audit, "QWENDESK_HOME": str(home)}
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["status"] == "ready" and out["text"] == "Sunny in Oslo, 21 °C", out
    lines = log.read_text().splitlines()
    assert len({line.split()[0] for line in lines if " watching " in line}) == 2  # the app and the server
    assert [line for line in lines if " ATTEMPT " in line] == []
