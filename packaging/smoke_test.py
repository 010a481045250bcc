"""Start a built QwenDesk bundle and check that it works: packaging/smoke_test.sh runs this.

    build/venv/bin/python packaging/smoke_test.py [dist/QwenDesk | dist/QwenDesk.app | the executable]

Run it with a Python that has QwenDesk's dependencies (the build venv, or .venv to
include the download check): it writes a tiny generated Qwen3 GGUF
(``app.models.synthetic``) and then runs only the frozen executable, offscreen
(``QT_QPA_PLATFORM=offscreen``) with a fresh data directory (``QWENDESK_HOME`` in a
temporary folder):

1. ``--version`` names QwenDesk, llama-cpp-python with its backend, and Qt;
2. ``chat --model M --json hi``: the engine worker (a spawn child of the frozen
   executable) loads the model and streams the scripted answer;
3. ``--smoke-test --model M``: the window is shown, the About icon is found, the
   model is loaded in the engine worker, and the app quits by closing its window;
4. ``models list`` with an unreachable Hub: the Hub client imports, the built-in catalog is
   listed with its estimates and one plain sentence says the Hub could not be reached (exit 0);
5. ``serve --port 0`` and ``chat --endpoint`` against it: the local API server and the
   remote engine, both frozen, reasoning arriving apart; Ctrl-C stops the server cleanly;
6. ``models pull`` from the tests' stand-in Hub on 127.0.0.1 (the download runs in a
   spawn child too), then a chat with the downloaded model by name. This one needs
   the tests' fake Hub, hence pytest: it is skipped when that cannot be imported.

Each run must exit with the expected status, print no traceback, and leave no
process behind (it runs in its own session; the session must be empty afterwards).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import __version__  # noqa: E402
from app.models.synthetic import write_scripted_gguf  # noqa: E402

REPLY = "Hello! How can I help?"
TIMEOUT_S = 180


def executable(target: Path) -> Path:
    if target.suffix == ".app":
        return target / "Contents" / "MacOS" / "QwenDesk"
    if target.is_dir():
        for name in ("QwenDesk", "qwendesk-cli.exe", "QwenDesk.exe"):  # the console one first on Windows
            if (target / name).is_file():
                return target / name
    return target


def run(exe: Path, env: dict[str, str], *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the bundle; exit with FAIL unless it exited as expected, quietly, leaving nothing behind."""
    started = time.monotonic()
    posix = os.name == "posix"
    # A session of its own (POSIX): afterwards nothing of it may be left, the engine worker included.
    with subprocess.Popen(
        [str(exe), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=posix,
    ) as proc:  # fmt: skip
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_session(proc)
            stdout, stderr = proc.communicate()
            sys.exit(f"FAIL: still running after {TIMEOUT_S} s\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    print(f"$ QwenDesk {' '.join(args)}  -> exit {proc.returncode} in {time.monotonic() - started:.1f} s")
    for line in stdout.splitlines()[:8]:
        print(f"  | {line}")
    problems = []
    if proc.returncode != expect:
        problems.append(f"exit status {proc.returncode}, expected {expect}")
    if "Traceback" in stderr or "ModuleNotFoundError" in stderr:
        problems.append("a traceback on stderr")
    if posix and _session_left(proc.pid):
        problems.append("processes left behind (killed now)")
    if problems:
        sys.exit(f"FAIL: {'; '.join(problems)}\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _session_left(sid: int, grace_s: float = 5.0) -> bool:
    """Whether a process of the session (= process group) ``sid`` is still there after a grace period."""
    deadline = time.monotonic() + grace_s
    while True:
        try:
            os.killpg(sid, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() > deadline:
            os.killpg(sid, signal.SIGKILL)
            return True
        time.sleep(0.1)


def _kill_session(proc: subprocess.Popen[str]) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def expect(ok: object, what: str, detail: object = "") -> None:
    if not ok:
        sys.exit(f"FAIL: {what}\n{detail}")


def check_version(exe: Path, env: dict[str, str], _tmp: Path) -> None:
    r = run(exe, env, "--version")
    expect(r.stdout.startswith(f"QwenDesk {__version__}\n"), "--version names QwenDesk", r.stdout)
    expect("llama-cpp-python 0." in r.stdout, "--version names llama-cpp-python", r.stdout)
    expect("backend unknown" not in r.stdout, "the bundle finds llama_cpp/lib", r.stdout)
    expect("Qt: 6." in r.stdout, "--version names Qt", r.stdout)


def check_chat(exe: Path, env: dict[str, str], tmp: Path) -> None:
    r = run(exe, env, "chat", "--model", str(tmp / "scripted.gguf"), "--json", "hi")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    answer = "".join(e["text"] for e in events if e["event"] == "answer")
    expect(answer == REPLY, "the engine worker streams the scripted answer", events)
    expect(events[-1].get("finish_reason") == "stop", "the turn ends with stop", events[-1])


def check_window(exe: Path, env: dict[str, str], tmp: Path) -> None:
    model = str(tmp / "scripted.gguf")
    r = run(exe, env, "--smoke-test", "--model", model)
    report = json.loads(r.stdout.splitlines()[-1])
    expect(report["window"] == "shown" and report["error"] is None, "the window is shown", report)
    expect(report["loaded"] == model and isinstance(report["worker_pid"], int), "the model loads", report)
    expect(report["icon"] is True, "the icon is found", report)


def check_serve_and_remote(exe: Path, env: dict[str, str], tmp: Path) -> None:
    """``serve --port 0`` (the local API server) and ``chat --endpoint`` (the remote engine) against
    it: both network paths run inside the frozen app, keyring and httpx2 included."""
    posix = os.name == "posix"
    args = [str(exe), "serve", "--model", str(tmp / "scripted.gguf"), "--port", "0"]
    with subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=posix
    ) as server:
        try:
            url, seen = None, []
            assert server.stderr is not None
            deadline = time.monotonic() + TIMEOUT_S
            while url is None and time.monotonic() < deadline:
                line = server.stderr.readline()
                if not line:
                    break
                seen.append(line)
                if line.startswith("QwenDesk API server: "):
                    url = line.split()[3]
            expect(url is not None, "serve prints its address", "".join(seen))
            r = run(exe, env, "chat", "--endpoint", str(url), "--json", "hi")
            events = [json.loads(line) for line in r.stdout.splitlines()]
            answer = "".join(e["text"] for e in events if e["event"] == "answer")
            reasoning = "".join(e["text"] for e in events if e["event"] == "reasoning")
            expect(answer == REPLY, "the remote engine streams the served answer", events)
            expect(reasoning == "The user greets me.", "reasoning arrives apart (reasoning_content)", events)
            expect(events[0].get("code") == "remote", "the chat says where answers come from", events[0])
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill_session(server)
        rest = server.stderr.read() if server.stderr else ""
    print(f"$ QwenDesk serve --port 0  -> exit {server.returncode} after SIGINT")
    expect(server.returncode == 0, "serve stops cleanly on Ctrl-C", rest)
    expect("Traceback" not in rest, "serve prints no traceback", rest)
    expect(not (posix and _session_left(server.pid)), "serve leaves nothing running")


def check_hub_unreachable(exe: Path, env: dict[str, str], _tmp: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    r = run(exe, {**env, "HF_ENDPOINT": closed}, "models", "list", expect=0)
    expect("could not be reached" in r.stderr, "offline is said in one sentence", r.stderr)
    expect(
        "Qwen3-8B" in r.stdout and "Qwen3-4B-Thinking-2507" in r.stdout,
        "the built-in catalog is listed offline",
        r.stdout,
    )


def check_download(exe: Path, env: dict[str, str], tmp: Path) -> bool:
    """``models pull`` from the tests' stand-in Hub on 127.0.0.1 (a download child), then chat with it.

    Needs the tests' fake Hub (pytest installed); returns False when it is not importable.
    """
    try:
        from tests.models.fake_hub import serve
    except ImportError:
        return False
    with serve() as hub:
        data = hub.add_gguf("Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", tmp)
        hub_env = {**env, "HF_ENDPOINT": hub.url}
        r = run(exe, hub_env, "models", "pull", "Qwen3-4B:Q4_K_M")
        pulled = Path(r.stdout.strip())
        expect(pulled.is_file() and pulled.read_bytes() == data, "the download is complete", r.stderr)
        r = run(exe, hub_env, "chat", "--model", "Qwen3-4B:Q4_K_M", "--json", "hi")
        expect('"finish_reason": "stop"' in r.stdout, "the downloaded model answers", r.stdout)
    return True


def main(argv: list[str]) -> int:
    default = ROOT / "dist" / ("QwenDesk.app" if sys.platform == "darwin" else "QwenDesk")
    target = Path(argv[1]) if len(argv) > 1 else default
    exe = executable(target.resolve())
    if not exe.is_file():
        sys.exit(f"FAIL: no QwenDesk executable at {exe} (run packaging/build.sh first)")
    passed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="qwendesk-smoke-") as name:
        tmp = Path(name)
        write_scripted_gguf(tmp / "scripted.gguf")
        env = {**os.environ, "QWENDESK_HOME": str(tmp / "home"), "QT_QPA_PLATFORM": "offscreen"}
        env.pop("QWENDESK_FAULT", None)
        env.pop("HF_HUB_OFFLINE", None)
        checks = (check_version, check_chat, check_window, check_hub_unreachable, check_serve_and_remote)
        for check in checks:
            check(exe, env, tmp)
            passed += 1
        if check_download(exe, env, tmp):
            passed += 1
        else:
            skipped += 1
            print("skipped: models pull (the tests' fake Hub needs pytest: run this with .venv/bin/python)")
    print(f"smoke test of {exe}")
    print(f"smoke: {passed} passed, 0 failed" + (f", {skipped} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
