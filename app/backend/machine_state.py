"""Per-machine facts the engine has learned the hard way, kept across runs.

Whether llama.cpp must run with ``use_extra_bufts = false`` on this CPU (the AMX
crash, https://github.com/ggml-org/llama.cpp/issues/20824), and how fast each
model reads prompts here (``app.backend.prompt_speed``). Both are keyed by CPU
model and llama-cpp-python version, so a data directory moved to another
machine, or an upgraded llama.cpp, is measured afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

from app.backend.prompt_speed import PromptSpeed
from app.paths import data_dir

log = logging.getLogger("qwendesk.engine")
STATE_FILE = "engine-state.json"
MAX_SPEEDS = 32


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key() -> str:
    try:
        llama_version = metadata.version("llama_cpp_python")
    except metadata.PackageNotFoundError:
        llama_version = "unknown"
    raw = f"{platform.system()}|{platform.machine()}|{_cpu_model()}|llama-cpp-python {llama_version}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


class MachineState:
    """A small JSON file in the data dir; unreadable files are treated as empty."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> MachineState:
        return cls(data_dir() / STATE_FILE)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def extra_bufts_off(self) -> bool:
        entry = self._read().get("machines", {}).get(machine_key(), {})
        return isinstance(entry, dict) and entry.get("use_extra_bufts") is False

    def remember_extra_bufts_off(self, reason: str) -> None:
        data = self._read()
        machines = data.setdefault("machines", {})
        machines[machine_key()] = {
            "use_extra_bufts": False,
            "reason": reason,
            "cpu": _cpu_model(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        self._write(data)
        log.warning("remembered for this machine: use_extra_bufts=false (%s)", reason)

    def prompt_speed(self, model_key: str) -> PromptSpeed | None:
        """What this machine has learned of a model's prompt speed (None: nothing yet)."""
        speeds = self._read().get("prompt_speeds", {})
        return (
            PromptSpeed.from_json(speeds.get(f"{machine_key()}|{model_key}"))
            if isinstance(speeds, dict)
            else None
        )

    def remember_prompt_speed(self, model_key: str, speed: PromptSpeed) -> None:
        data = self._read()
        speeds = data.get("prompt_speeds")
        if not isinstance(speeds, dict):
            speeds = data["prompt_speeds"] = {}
        speeds[f"{machine_key()}|{model_key}"] = speed.to_json()
        while len(speeds) > MAX_SPEEDS:  # the oldest models go first
            speeds.pop(next(iter(speeds)))
        self._write(data)

    def _write(self, data: dict) -> None:
        data["version"] = 1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".engine-state-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("engine state not saved to %s: %s", self.path, exc)
