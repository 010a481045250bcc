"""``qwendesk chat --endpoint``: a real process and a real server (llama-cpp-python's), or the fake one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.remote.endpoint import Endpoint
from app.remote.endpoints import EndpointStore, SavedEndpoint
from tests.cli.test_chat_cli import REPLY, json_lines, qwendesk
from tests.remote.fake_openai import MODEL, FakeOpenAI, closed_port

THOUGHT = "The user greets me."


def no_key_env() -> dict[str, str]:
    return {"QWENDESK_API_KEY": ""}


def test_one_turn_json_against_llama_cpp_server(llama_base_url: str) -> None:
    r = qwendesk("chat", "--endpoint", llama_base_url, "--json", "hi", env=no_key_env())
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    first = events[0]
    assert first["event"] == "notice" and first["code"] == "remote"
    assert Endpoint.from_url(llama_base_url).host in first["text"]
    assert {e["event"] for e in events} == {"notice", "reasoning", "answer", "done"}
    assert "".join(e["text"] for e in events if e["event"] == "reasoning") == THOUGHT
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY
    done = events[-1]
    assert done["event"] == "done" and done["finish_reason"] == "stop" and done["thought"]
    assert "Traceback" not in r.stderr


def test_human_output_against_llama_cpp_server(llama_base_url: str) -> None:
    r = qwendesk("chat", "--endpoint", llama_base_url, "hi", env=no_key_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"│ {THOUGHT}\n{REPLY}\n"
    assert (
        "notice: Answers come from the server at 127.0.0.1:" in r.stderr and "[stop · 15 tokens" in r.stderr
    )


def test_attach_sends_the_document_to_the_server(llama_base_url: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The harbour opened in 1887.\n", encoding="utf-8")
    r = qwendesk(
        "chat", "--endpoint", llama_base_url, "--attach", str(notes), "--json", "When did the harbour open?",
        env=no_key_env(),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    assert events[0]["code"] == "remote" and "attached documents" in events[0]["text"]
    names = [e["event"] for e in events]
    assert names.count("sources") == 1 and names.index("sources") < names.index("answer")
    sources = events[names.index("sources")]
    assert sources["mode"] == "whole" and sources["items"]
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY


def test_what_the_flags_send(fake: FakeOpenAI) -> None:
    r = qwendesk(
        "chat", "--endpoint", fake.base_url, "--preset", "vllm", "--model", MODEL, "--json", "--no-think",
        "--temperature", "0.9", "--top-p", "0.9", "--top-k", "5", "--min-p", "0.05",
        "--presence-penalty", "1.5", "--seed", "3", "--system", "Be kind.", "--max-tokens", "50",
        "--api-key", "sk-flag", "hi",
        env={"QWENDESK_API_KEY": "sk-env"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "".join(e["text"] for e in json_lines(r.stdout) if e["event"] == "answer") == REPLY
    chat = fake.chats[-1]
    body = chat.body
    assert body is not None
    assert chat.headers["authorization"] == "Bearer sk-flag"  # the flag wins over the environment
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert (body["temperature"], body["top_p"], body["top_k"], body["min_p"]) == (0.9, 0.9, 5, 0.05)
    assert (body["presence_penalty"], body["seed"], body["max_tokens"]) == (1.5, 3, 50)
    assert body["messages"] == [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}]


def test_api_key_from_the_environment_and_none_without(fake: FakeOpenAI) -> None:
    r = qwendesk("chat", "--endpoint", fake.base_url, "--json", "hi", env={"QWENDESK_API_KEY": "sk-env"})
    assert r.returncode == 0, r.stderr
    assert fake.requests[-1].headers["authorization"] == "Bearer sk-env"
    r = qwendesk("chat", "--endpoint", fake.base_url, "--json", "hi", env=no_key_env())
    assert r.returncode == 0, r.stderr  # no keyring on a headless machine is not an error
    assert "authorization" not in fake.requests[-1].headers


def test_multi_turn_over_stdin_sends_answers_only(fake: FakeOpenAI) -> None:
    r = qwendesk("chat", "--endpoint", fake.base_url, "--json", stdin="hi\n\nand then?\n", env=no_key_env())
    assert r.returncode == 0, r.stderr
    assert len([e for e in json_lines(r.stdout) if e["event"] == "done"]) == 2
    second = fake.chats[-1].body
    assert second is not None
    assert second["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": REPLY},
        {"role": "user", "content": "and then?"},
    ]


def test_a_saved_endpoint_by_name(fake: FakeOpenAI, tmp_path: Path) -> None:
    home = tmp_path / "home"
    fake.models = [{"id": "a"}, {"id": MODEL}]
    saved = SavedEndpoint(Endpoint("Lab server", fake.base_url, "vllm"), last_model=MODEL)
    EndpointStore(home / "endpoints.json").save([saved])
    env = {**no_key_env(), "QWENDESK_HOME": str(home)}
    r = qwendesk("chat", "--endpoint", "lab server", "--json", "hi", env=env)
    assert r.returncode == 0, r.stderr  # several models served: the saved last model is used
    assert fake.chats[-1].body is not None and fake.chats[-1].body["model"] == MODEL
    r = qwendesk("chat", "--endpoint", "Lab server", "--model", "a", "--json", "hi", env=env)
    assert r.returncode == 0, r.stderr
    assert fake.chats[-1].body is not None and fake.chats[-1].body["model"] == "a"
    assert EndpointStore(home / "endpoints.json").load()[0].last_model == "a"  # remembered


def test_errors_are_error_events_with_exit_1(fake: FakeOpenAI) -> None:
    port = closed_port()
    r = qwendesk("chat", "--endpoint", f"127.0.0.1:{port}", "--json", "hi", env=no_key_env())
    assert r.returncode == 1
    notice, error = json_lines(r.stdout)
    assert notice["code"] == "remote"
    assert error["event"] == "error" and error["kind"] == "unreachable" and str(port) in error["message"]
    assert "Traceback" not in r.stderr

    fake.api_key = "sk-right"
    r = qwendesk("chat", "--endpoint", fake.base_url, "--json", "hi", env={"QWENDESK_API_KEY": "sk-wrong"})
    assert r.returncode == 1 and json_lines(r.stdout)[-1]["kind"] == "unauthorized"

    fake.api_key = None
    r = qwendesk("chat", "--endpoint", fake.base_url, "--model", "nope", "--json", "hi", env=no_key_env())
    assert r.returncode == 1
    error = json_lines(r.stdout)[-1]
    assert error["kind"] == "remote_model_missing" and error["available"] == [MODEL]

    fake.mode = "server-error"
    r = qwendesk("chat", "--endpoint", fake.base_url, "hi", env=no_key_env())
    assert r.returncode == 1 and "CUDA out of memory" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_2(fake: FakeOpenAI) -> None:
    for flags, words in (
        (["--ctx", "4096"], "--ctx: not allowed with --endpoint"),
        (["--threads", "2", "--kv-cache", "q8_0"], "--threads, --kv-cache: not allowed with --endpoint"),
        (["--gpu-layers", "9"], "--gpu-layers"),
        (["--timeout", "0"], "--timeout must be more than 0"),
    ):
        r = qwendesk("chat", "--endpoint", fake.base_url, *flags, "hi")
        assert r.returncode == 2 and words in r.stderr, r.stderr
    r = qwendesk("chat", "--endpoint", "ftp://x", "hi")
    assert r.returncode == 2 and "Only http:// and https://" in r.stderr
    r = qwendesk("chat", "hi")
    assert r.returncode == 2 and "--model is required" in r.stderr
    r = qwendesk("chat", "--model", "x.gguf", "--api-key", "k", "hi")
    assert r.returncode == 2 and "--api-key goes with --endpoint" in r.stderr
    assert fake.requests == []  # nothing reached the server


def test_help_mentions_the_remote_flags() -> None:
    r = qwendesk("chat", "--help")
    assert r.returncode == 0
    for words in ("--endpoint URL|NAME", "--api-key KEY", "QWENDESK_API_KEY", "local only"):
        assert words in r.stdout


def test_ctrl_c_while_the_server_is_silent_closes_the_connection(fake: FakeOpenAI) -> None:
    """Ctrl-C during a long prompt evaluation: the turn ends at once and the server sees the close."""
    fake.mode = "stall"
    args = ["--endpoint", fake.base_url, "--json", "--timeout", "60", "hi"]
    env = {**os.environ, **no_key_env()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "chat", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert fake.received.wait(60)  # the request is out: the turn (and its Ctrl-C handler) is running
        proc.send_signal(signal.SIGINT)
        assert fake.client_gone.wait(30), "the server did not see the connection close"
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    events = json_lines(out)
    assert events[0]["code"] == "remote"
    assert events[-1]["event"] == "done" and events[-1]["finish_reason"] == "cancelled"
    assert proc.returncode == 130 and "Traceback" not in err
