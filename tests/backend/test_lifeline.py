"""The engine worker dies with the app, even in the middle of a generation (issue 13 point 3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

APP = """
import sys
from app.backend.engine import Engine
from app.backend.protocol import ChatMessage, GenerationRequest
engine = Engine(fault="stuck-generate")  # a test-only fault: the worker never answers
engine.load(sys.argv[1])
print(engine.worker_pid, flush=True)
for ev in engine.generate(GenerationRequest((ChatMessage("user", "hi"),))):
    pass  # the worker is stuck: the app is killed here
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL of the app")
def test_the_worker_dies_when_the_app_is_killed_mid_generation(scripted_model: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QWENDESK_HOME": str(tmp_path)}
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(scripted_model)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        worker = int(app.stdout.readline())  # type: ignore[union-attr]
        time.sleep(0.5)  # the turn is "generating" now
        assert not gone(worker)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        deadline = time.monotonic() + 5
        while not gone(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(worker), "the orphaned worker kept running"
    finally:
        app.kill()
        app.wait()
        app.stdout.close()  # type: ignore[union-attr]
