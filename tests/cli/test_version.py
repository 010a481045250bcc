"""``qwendesk --version``: QwenDesk's version and those of llama.cpp, Qt and Python."""

from __future__ import annotations

import builtins
import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main, version_text
from app.versions import PRIVACY_STATEMENT, Versions, collect, ggml_build


def test_version_as_a_user_runs_it() -> None:
    r = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"QwenDesk {__version__}"
    llama = importlib.metadata.version("llama-cpp-python")
    assert lines[1].startswith(f"llama.cpp: llama-cpp-python {llama} · ggml ")
    assert lines[1].endswith(" backend") and "unknown" not in lines[1]
    pyside = importlib.metadata.version("PySide6-Essentials")
    assert lines[2].startswith("Qt: 6.") and lines[2].endswith(f"(PySide6 {pyside})")
    assert lines[3].startswith(f"Python: {platform.python_version()} (")
    assert r.stderr == ""


def test_version_flag_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"QwenDesk {__version__}\n")


def test_version_without_pyside6(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_qt(name: str, *args: object, **kwargs: object) -> object:
        if name == "app.ui.about" or name.startswith("PySide6"):
            raise ModuleNotFoundError(f"No module named {name!r}", name="PySide6")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "app.ui.about", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_qt)
    text = version_text()
    assert "Qt: not available (PySide6 is not installed)" in text
    assert text.startswith(f"QwenDesk {__version__}\nllama.cpp: llama-cpp-python ")


def test_ggml_build_reads_the_installed_library() -> None:
    from app.models.machine import llama_cpp_lib_dir

    version, commit = ggml_build(llama_cpp_lib_dir())
    assert version and version[0].isdigit() and commit


def test_ggml_build_without_a_library(tmp_path: Path) -> None:
    assert ggml_build(None) == (None, None)
    assert ggml_build(tmp_path) == (None, None)
    (tmp_path / "libggml-base.so").write_bytes(b"not a library")
    assert ggml_build(tmp_path) == (None, None)


def test_versions_text_when_nothing_is_known() -> None:
    v = Versions(app="9.9", python="3.12.0")
    assert v.llama_cpp == "llama-cpp-python not found · backend unknown"
    assert v.qt_line == "not available"
    assert v.text().splitlines()[:3] == [
        "QwenDesk 9.9",
        "llama.cpp: llama-cpp-python not found · backend unknown",
        "Qt: not available",
    ]
    full = Versions(llama_cpp_python="0.3.36", ggml="0.25.3", ggml_commit="abc", backend="CUDA", qt="6.11.3",
                    pyside6="6.11.3")  # fmt: skip
    assert full.llama_cpp == "llama-cpp-python 0.3.36 · ggml 0.25.3 (abc) · CUDA backend"
    assert full.qt_line == "6.11.3 (PySide6 6.11.3)"


def test_collect_needs_no_qt_and_no_llama_cpp_import() -> None:
    code = (
        "import sys; from app.versions import collect; v = collect();"
        "bad = [m for m in ('PySide6', 'llama_cpp') if m in sys.modules];"
        "print(bad, v.llama_cpp_python); sys.exit(bool(bad) or v.llama_cpp_python is None)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert collect(qt="6.0", pyside6="6.0.1").qt_line == "6.0 (PySide6 6.0.1)"


def test_privacy_statement() -> None:
    assert PRIVACY_STATEMENT.startswith("QwenDesk makes no network connections except the ones you ask for")
    assert "MCP tool servers you enable" in PRIVACY_STATEMENT
    assert "No telemetry, no update checks." in PRIVACY_STATEMENT
