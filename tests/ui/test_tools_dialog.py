"""Settings → Tools against the real SDK weather server (tests/tools/servers/weather.py) over stdio."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.tools.config import ServerConfig, add_server, load_config
from app.tools.host import ToolHost
from app.tools.state import ToolsState
from app.ui.tools_dialog import ToolsDialog
from tests.tools.conftest import WEATHER, stdio_weather

WAIT_MS = 40_000


def children() -> set[int]:
    return {
        p.pid for p in psutil.Process().children(recursive=True) if p.is_running() and p.status() != "zombie"
    }


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "mcp.json", tmp_path / "tools-state.json"


@pytest.fixture
def host() -> Iterator[ToolHost]:
    h = ToolHost()
    yield h
    h.close()


def open_dialog(qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]) -> ToolsDialog:
    config, state_path = paths
    state = ToolsState.load(load_config(config).servers, state_path)
    dialog = ToolsDialog(host, state, config_path=config)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def state_text(dialog: ToolsDialog, name: str) -> str:
    return dialog.rows[name].state.text()


def broken_script(tmp_path: Path) -> Path:
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('missing API key FOO', file=sys.stderr)\nsys.exit(2)\n")
    return script


def test_empty_config_shows_an_empty_list_and_add(
    qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]
) -> None:
    dialog = open_dialog(qtbot, host, paths)
    assert dialog.rows == {}
    assert dialog.empty.isVisible() and "No tool servers yet" in dialog.empty.text()
    assert dialog.add_button.isVisible() and dialog.add_button.isEnabled()
    assert not dialog.status.isVisible()
    assert dialog.objectName() == "toolsDialog" and dialog.list.objectName() == "serverList"


def test_add_enable_disable(qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]) -> None:
    kids = children()
    dialog = open_dialog(qtbot, host, paths)
    dialog.add_button.click()
    form = dialog.form
    assert form is not None and form.isVisible()
    form.name.setText("weather")
    form.command.setText(sys.executable)
    form.args.setPlainText(str(WEATHER))
    form.env.setPlainText("WEATHER_UNITS=metric")
    form.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert not form.isVisible()

    saved = json.loads(paths[0].read_text())["mcpServers"]["weather"]
    assert saved == {"command": sys.executable, "args": [str(WEATHER)], "env": {"WEATHER_UNITS": "metric"}}
    row = dialog.rows["weather"]
    assert not row.enabled.isChecked() and not row.trusted.isChecked()
    assert state_text(dialog, "weather") == "stopped" and host.state("weather").status == "stopped"
    assert children() == kids  # nothing runs before it is enabled
    assert row.kind.toolTip() == f"{sys.executable} {WEATHER}"

    row.enabled.setChecked(True)
    qtbot.waitUntil(lambda: state_text(dialog, "weather").startswith("ready"), timeout=WAIT_MS)
    assert state_text(dialog, "weather").startswith("ready · 5 tool")  # "tools" once qwendesk_en.ts has it
    assert dialog.tools_state.is_enabled("weather")
    running = children() - kids
    assert running

    row.enabled.setChecked(False)
    qtbot.waitUntil(lambda: state_text(dialog, "weather") == "stopped", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not (children() & running), timeout=10_000)
    assert not dialog.tools_state.is_enabled("weather")


def test_paste_two_servers_then_bad_json(qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]) -> None:
    dialog = open_dialog(qtbot, host, paths)
    dialog.paste_button.click()
    paste = dialog.paste_dialog
    assert paste is not None
    paste.text.setPlainText(
        json.dumps(
            {
                "mcpServers": {
                    "weather": {"command": sys.executable, "args": [str(WEATHER)]},
                    "web": {"url": "https://example.com/mcp", "headers": {"X-Team": "qa"}},
                }
            }
        )
    )
    paste.save()
    assert not paste.isVisible()
    assert set(dialog.rows) == {"weather", "web"}
    assert dialog.rows["web"].kind.toolTip() == "https://example.com/mcp"
    assert not any(dialog.tools_state.is_enabled(n) for n in dialog.rows)
    before = paths[0].read_bytes()

    paste = dialog.paste_servers()
    paste.text.setPlainText('{"mcpServers": {"x": {"command": "a", "args": "not a list"}}}')
    paste.save()
    assert paste.isVisible() and '"args" must be a list' in paste.status.text()
    paste.text.setPlainText('{"mcpServers": {')
    paste.save()
    assert paste.isVisible() and "not valid JSON" in paste.status.text()
    assert paste.text.toPlainText() == '{"mcpServers": {'  # nothing lost
    assert paths[0].read_bytes() == before  # nothing saved

    # one server's entry, named in the dialog; a "name": {…} fragment
    paste.text.setPlainText(json.dumps({"command": sys.executable, "args": ["-V"]}))
    paste.name.setText("single")
    paste.save()
    frag = dialog.paste_servers()
    frag.text.setPlainText('"frag": {"url": "http://127.0.0.1:9/mcp"},')
    frag.save()
    assert set(dialog.rows) == {"weather", "web", "single", "frag"}


def test_form_errors_keep_the_fields(qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]) -> None:
    dialog = open_dialog(qtbot, host, paths)
    form = dialog.add_server()
    form.name.setText("web")
    form.kind.setCurrentIndex(1)
    form.url.setText("ftp://nope")
    form.save()
    assert form.isVisible() and "must start with http" in form.status.text()
    form.url.setText("https://example.com/mcp")
    form.headers.setPlainText("Authorization: Bearer s3cret")
    form.save()  # no keyring works in tests: refused, nothing saved
    assert form.isVisible() and "keyring" in form.status.text()
    assert not paths[0].exists()


def test_header_values_go_to_the_keyring(
    qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path], memory_keyring: object
) -> None:
    dialog = open_dialog(qtbot, host, paths)
    form = dialog.add_server()
    form.name.setText("web")
    form.kind.setCurrentIndex(1)
    form.url.setText("https://example.com/mcp")
    form.headers.setPlainText("Authorization: Bearer s3cret")
    form.save()
    assert not form.isVisible()
    assert "s3cret" not in paths[0].read_text() and "s3cret" not in paths[1].read_text()
    cfg = dialog.servers["web"]
    assert dialog.tools_state.headers_for(cfg) == {"Authorization": "Bearer s3cret"}
    assert "Authorization: Bearer s3cret" in dialog.edit_server("web").headers.toPlainText()


def test_failed_server_shows_stderr_and_trust_drops_on_edit(
    qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path], tmp_path: Path
) -> None:
    script = broken_script(tmp_path)
    add_server(ServerConfig("broken", command=sys.executable, args=(str(script),)), paths[0])
    add_server(stdio_weather(), paths[0])
    dialog = open_dialog(qtbot, host, paths)
    row = dialog.rows["broken"]
    assert not row.stderr.isVisible()
    row.enabled.setChecked(True)
    qtbot.waitUntil(lambda: state_text(dialog, "broken").startswith("failed: "), timeout=WAIT_MS)
    assert "missing API key FOO" in state_text(dialog, "broken")
    assert row.stderr.isVisible() and row.stderr.toPlainText() == "missing API key FOO"
    assert row.stderr.isReadOnly()

    row.trusted.setChecked(True)
    assert dialog.tools_state.is_trusted(dialog.servers["broken"])
    assert row.trust_note.isVisible() and "without asking" in row.trust_note.text()

    form = dialog.edit_server("broken")
    assert form.name.isReadOnly() and form.command.text() == sys.executable
    form.args.setPlainText(f"{script}\n--verbose")
    form.save()
    assert not form.isVisible()
    row = dialog.rows["broken"]
    assert not row.trusted.isChecked() and not dialog.tools_state.flags("broken").trusted
    assert not row.trust_note.isHidden() and "No longer trusted" in row.trust_note.text()
    # enabled and failed: the edited entry is tried again, and fails again with its stderr
    qtbot.waitUntil(lambda: "missing API key FOO" in state_text(dialog, "broken"), timeout=WAIT_MS)


def test_remove_and_listener_restored(qtbot: QtBot, host: ToolHost, paths: tuple[Path, Path]) -> None:
    add_server(stdio_weather(), paths[0])
    calls: list[str] = []
    host.on_change = calls.append
    dialog = open_dialog(qtbot, host, paths)
    dialog.rows["weather"].enabled.setChecked(True)
    qtbot.waitUntil(lambda: state_text(dialog, "weather").startswith("ready"), timeout=WAIT_MS)
    assert "weather" in calls  # the previous listener still hears
    confirm = dialog.remove_server("weather")
    confirm.button(confirm.StandardButton.Yes).click()
    assert dialog.rows == {} and "weather" not in json.loads(paths[0].read_text())["mcpServers"]
    qtbot.waitUntil(lambda: host.state("weather").status == "stopped", timeout=WAIT_MS)
    dialog.reject()
    assert host.on_change == calls.append
