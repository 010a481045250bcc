"""llama-cpp-python's own OpenAI-compatible server on the generated Qwen3 GGUF: a real server to test against.

It streams the model's ``<think>`` tags in ``delta.content`` (no reasoning parser), ignores
``chat_template_kwargs``, sends no usage chunk, and serves its one model under the GGUF's path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.remote.fake_openai import closed_port


@contextmanager
def llama_server(model: Path, log: Path) -> Iterator[str]:
    """Start the server on a free port; yields its base URL once ``/v1/models`` answers."""
    port = closed_port()
    base = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "512"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_until_up(base, proc, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_until_up(base: str, proc: subprocess.Popen, log: Path, limit_s: float = 90) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy from the env
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with direct.open(f"{base}/models", timeout=2) as r:
                if json.load(r).get("data"):
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling for start-up, not an assertion
    raise RuntimeError(f"llama_cpp.server did not come up in {limit_s} s: {log.read_text()[-2000:]}")
