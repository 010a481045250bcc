"""Screenshots of tool calling: an answer with two tool cards, and the Tools (MCP servers) dialog.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_tools.py docs/screenshots \\
        [NAME...]

One process per image, each in a fresh data dir (QWENDESK_HOME), no model loaded, nothing fetched.

    tool-calls.png, tool-calls-dark.png
        a seeded conversation (1200×800 window): "umbrella in Paris and Lyon?", an answer with a
        short folded reasoning, a line of text, two get_weather cards (server "weather", done), the
        second one expanded (its arguments and result), then the final answer after them
    tools-dialog.png
        File → Tools (MCP servers)… with two servers in mcp.json, both enabled: "weather" (the real
        SDK test server tests/tools/servers/weather.py over stdio: ready · 5 tools) and "github" (a
        command that exits at once, saying GITHUB_TOKEN is not set: failed, with its stderr). The
        host is stopped at the end and no child process is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = "/home/me/models/Qwen3-8B-Q4_K_M.gguf"
SIZE = (1200, 800)
DIALOG_SIZE = (800, 440)  # the dialog's minimum height: little empty list under the two rows
WEATHER = "tests/tools/servers/weather.py"  # relative: the child runs in the repository root
GITHUB_FAILS = "import sys; print('GITHUB_TOKEN is not set', file=sys.stderr); sys.exit(1)"

# name: (kind, theme)
SHOTS = {
    "tool-calls.png": ("calls", "light"),
    "tool-calls-dark.png": ("calls", "dark"),
    "tools-dialog.png": ("dialog", "light"),
}

QUESTION = "Should I take an umbrella in Paris and Lyon tomorrow?"
BEFORE = "Let me check tomorrow's forecast for both cities.\n\n"
BETWEEN = ""
AFTER = (
    "**Paris: yes, take an umbrella.** Light rain is expected, with an 80% chance of rain and "
    "14 °C, so a compact umbrella and a light jacket are a good idea.\n\n"
    "**Lyon: probably not.** It should stay dry (10% chance of rain) and mild at 19 °C; "
    "sunglasses will be more useful than an umbrella.\n\n"
    "If you travel from one to the other, pack the umbrella for the Paris leg only."
)
REASONING = (
    "The user asks about rain tomorrow in two cities. I have a get_weather tool on the weather "
    "server; I should call it once for Paris and once for Lyon, then compare the chance of rain "
    "and answer for each city separately."
)
RESULTS = {
    "Paris": "Paris, tomorrow: 14 °C, light rain, 80% chance of rain, wind 15 km/h",
    "Lyon": "Lyon, tomorrow: 19 °C, partly cloudy, 10% chance of rain, wind 8 km/h",
}
OLDER = (
    ("Weekend in Lyon: what to see", 2 * 86_400),
    ("Packing list for a rainy week", 3 * 86_400),
    ("Explain attention in transformers", 9 * 86_400),
    ("Regex for ISO dates", 30 * 86_400),
)


def seed_calls() -> None:
    """The store the window opens: a few older chats, then the conversation that used tools."""
    from app.store.chat_store import ChatStore
    from app.store.models import ToolCard

    now = time.time()
    clock = {"t": now}
    with ChatStore.open_default(clock=lambda: clock["t"]) as store:
        for title, age in sorted(OLDER, key=lambda o: -o[1]):
            clock["t"] = now - age
            conv = store.create_conversation(title, model=MODEL)
            store.add_message(conv.id, "user", title)
            store.add_message(conv.id, "assistant", "…", think=False, finish_reason="stop", model=MODEL)
        clock["t"] = now - 60
        conv = store.create_conversation("Umbrella in Paris and Lyon?", model=MODEL)
        store.add_message(conv.id, "user", QUESTION, think=True)
        content = BEFORE + BETWEEN + AFTER
        cards = []
        for i, city in enumerate(("Paris", "Lyon")):
            started = now - 50 + 2 * i
            cards.append(
                ToolCard(
                    id=f"call_{i + 1}",
                    server="weather",
                    name="get_weather",
                    arguments={"city": city, "when": "tomorrow"},
                    state="done",
                    result=RESULTS[city],
                    started=started,
                    ended=started + 0.4,
                    text_offset=len(BEFORE) if i == 0 else len(BEFORE) + len(BETWEEN),
                    round=0,
                    exposed_name="get_weather",
                )
            )
        clock["t"] = now - 40
        store.add_message(
            conv.id,
            "assistant",
            content,
            reasoning=REASONING,
            think=True,
            thinking_s=3.4,
            reasoning_tokens=58,
            completion_tokens=196,
            finish_reason="stop",
            reasoning_collapsed=True,
            model=MODEL,
            tool_cards=tuple(cards),
        )


def write_tools_config() -> None:
    """mcp.json with the two servers, and tools-state.json with both enabled."""
    from app.tools.config import config_path
    from app.tools.state import ToolsState

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    servers = {
        # "python" is this venv's (first on PATH): the rows show "python …", not a local path
        "weather": {"command": "python", "args": [WEATHER]},
        "github": {"command": "python", "args": ["-c", GITHUB_FAILS]},
    }
    path.write_text(json.dumps({"mcpServers": servers}, indent=2), encoding="utf-8")
    state = ToolsState.load()
    for name in servers:
        state.set_enabled(name, True)


def children() -> set[int]:
    import psutil

    return {
        p.pid for p in psutil.Process().children(recursive=True) if p.is_running() and p.status() != "zombie"
    }


def shoot_calls(out: Path, name: str) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    from app.ui.app import build_window
    from app.ui.tool_card import ToolCardWidget
    from tools.qt_wait import settle, wait_until

    seed_calls()
    window = build_window(None)
    window.resize(*SIZE)
    window.show()
    QCursor.setPos(QPoint(1270, 850))  # away from the messages: hover actions only where hovered
    wait_until(lambda: len(window.view.widgets) >= 2)
    settle()
    cards = window.view.findChildren(ToolCardWidget)
    assert len(cards) == 2, cards
    second = next(c for c in cards if c.card.id == "call_2")
    second.toggle.setChecked(True)
    settle()
    window.view.verticalScrollBar().setValue(0)
    settle(1.0)
    window.grab().save(str(out / name))
    print("saved", out / name, flush=True)
    window.close()


def shoot_dialog(out: Path, name: str) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    from app.ui.app import build_window
    from app.ui.tools_dialog import ToolsDialog
    from tools.qt_wait import settle, wait_until

    before = children()
    write_tools_config()
    window = build_window(None)  # starts the enabled servers
    window.resize(*SIZE)
    window.show()
    QCursor.setPos(QPoint(1270, 850))
    settle()
    dialog = window.open_tools_dialog()
    assert isinstance(dialog, ToolsDialog)
    dialog.resize(*DIALOG_SIZE)

    def settled() -> bool:
        states = {n: r.state.text() for n, r in dialog.rows.items()}
        return states.get("weather", "").startswith("ready") and states.get("github", "").startswith("failed")

    wait_until(settled, seconds=60)
    assert settled(), {n: r.state.text() for n, r in dialog.rows.items()}
    settle(1.0)
    dialog.grab().save(str(out / name))
    print("saved", out / name, flush=True)
    dialog.close()
    window.close()
    host = window.window_tools.host
    if host is not None:
        host.close()
    wait_until(lambda: not (children() - before), seconds=15)
    left = children() - before
    assert not left, f"child processes left: {left}"


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 2 and sys.argv[2] == "--child":
        name = sys.argv[3]
        kind, _theme = SHOTS[name]
        (shoot_calls if kind == "calls" else shoot_dialog)(out, name)
        return 0
    names = sys.argv[2:] or list(SHOTS)
    failed = 0
    for name in names:
        _kind, theme = SHOTS[name]
        with tempfile.TemporaryDirectory() as tmp:
            from tests.models.fake_hub import closed_port_url

            env = {
                **os.environ,
                "QWENDESK_HOME": str(Path(tmp) / "home"),
                "QWENDESK_THEME": theme,
                "QWENDESK_LANG": "en",
                "HF_ENDPOINT": closed_port_url(),
                "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "xcb"),
                "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
            }
            child = [sys.executable, __file__, str(out), "--child", name]
            failed |= subprocess.run(child, env=env, cwd=ROOT).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
