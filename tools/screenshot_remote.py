"""Screenshot of a conversation answered by a remote server, marked as such.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_remote.py docs/screenshots \\
        [--address http://gpu-cluster:8000/v1]

The "server" is QwenDesk's own API server (app.server, what ``qwendesk serve`` runs) on port 8000,
listening on every interface with an API key, serving a generated, scripted Qwen3 GGUF named like
Qwen3-235B-A22B (real llama.cpp). The window connects to it through the remote engine, as it would
to vLLM. For a realistic host name, point one at 127.0.0.1 first (e.g. ``gpu-cluster`` in /etc/hosts).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REASONING = (
    "Mixture",
    "-of",
    "-experts",
    ":",
    " the",
    " router",
    " picks",
    " 8",
    " of",
    " 128",
    " experts",
    " per",
    " input",
    " position",
)
ANSWER = (
    "Qwen3",
    "-235B",
    "-A22B",
    " has",
    " **235B**",
    " parameters",
    " in",
    " all",
    ",",
    " but",
    " only",
    " **22B**",
    " are",
    " active",
    " for",
    " each",
    " token",
    ".",
)
KEY = "screenshot-key"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="docs/screenshots")
    parser.add_argument("--address", default="http://127.0.0.1:8000/v1")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

        from app.backend.engine import Engine
        from app.backend.shared_engine import SharedEngine
        from app.models.synthetic import Script, write_scripted_gguf
        from app.remote.endpoint import Endpoint
        from app.server import ApiServer
        from app.ui.app import build_window
        from tools.qt_wait import settle, wait_until

        reasoning = tuple(t for t in REASONING if t not in ANSWER)
        model = write_scripted_gguf(
            Path(tmp) / "Qwen3-235B-A22B.gguf", Script(reasoning=reasoning, answer=ANSWER)
        )
        shared = SharedEngine(Engine())
        with shared.use("screenshot") as engine:
            engine.load(str(model))
        server = ApiServer(shared, host="0.0.0.0", port=8000, api_key=KEY, allow_network=True)
        server.start()
        window = build_window(None)
        # A scripted model would answer the title request with its script: keep the question as title.
        window.controller.titles.after_answer = lambda *_a, **_k: False
        window.resize(1100, 720)
        window.show()

        endpoint = Endpoint.from_url(args.address, name="GPU cluster", preset="vllm")
        window.controller.connect_remote(endpoint, "Qwen3-235B-A22B", KEY)
        wait_until(lambda: window.bridge.remote is not None)
        window.composer.input.setPlainText("How many parameters does Qwen3-235B-A22B use per token?")
        window.composer.send_button.click()
        wait_until(lambda: not window.controller.answering)
        pane = window.view.widgets[-1].reasoning
        if pane is not None:
            pane.set_expanded(True)  # the thinking came apart from the answer (reasoning_content)
        window.splitter.setSizes([300, 800])
        settle()
        window.grab().save(str(out / "remote.png"))
        print("saved", out / "remote.png")
        window.close()
        server.shutdown()
        shared.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
