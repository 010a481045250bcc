"""Refusals, OpenAI-style: API key, unknown model, nothing loaded, bad requests, foreign hosts, limits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest

from app.backend.shared_engine import SharedEngine
from app.server import ApiServer
from tests.server.conftest import HI, REPLY, RecordingEngine, model_of, raw_request, running_server

Served = tuple[ApiServer, SharedEngine, RecordingEngine]
KEY = "sekrit-key"


@pytest.fixture(scope="module")
def keyed_server(scripted_server: Served) -> Iterator[ApiServer]:
    """A second server on the same engine, with an API key."""
    server = ApiServer(scripted_server[1], port=0, api_key=KEY)
    server.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with running_server(tmp_path_factory.mktemp("empty"), None) as (server, _, _):
        yield server


def error_of(exc: openai.APIStatusError) -> dict:
    body = exc.body
    assert isinstance(body, dict)
    return body


def test_api_key_required_when_set(keyed_server: ApiServer, client_for: Callable[..., openai.OpenAI]) -> None:
    model = model_of(keyed_server)
    with pytest.raises(openai.AuthenticationError) as wrong:
        client_for(keyed_server, "wrong").chat.completions.create(model=model, messages=HI)
    assert error_of(wrong.value)["code"] == "invalid_api_key"
    assert error_of(wrong.value)["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        client_for(keyed_server, "wrong").models.list()
    status, _, body = raw_request(keyed_server, "GET", "/v1/models")
    assert status == 401 and body["error"]["code"] == "missing_api_key"
    status, _, _ = raw_request(keyed_server, "GET", "/v1/models", headers={"Authorization": f"Basic {KEY}"})
    assert status == 401
    good = client_for(keyed_server, KEY)
    assert good.chat.completions.create(model=model, messages=HI).choices[0].message.content == REPLY
    assert raw_request(keyed_server, "GET", "/health")[0] == 200  # not under /v1: no key needed


def test_unknown_model_is_404_naming_the_served_one(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server = scripted_server[0]
    client = client_for(server)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=HI)
    error = error_of(info.value)
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "'scripted'" in error["message"] and "'gpt-4o'" in error["message"]
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_nothing_loaded_is_503(empty_server: ApiServer, client_for: Callable[..., openai.OpenAI]) -> None:
    client = client_for(empty_server)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="scripted", messages=HI)
    assert info.value.status_code == 503
    assert (
        error_of(info.value)["code"] == "no_model" and "No model is loaded" in error_of(info.value)["message"]
    )
    assert client.models.list().data == []
    assert raw_request(empty_server, "GET", "/health")[2] == {"status": "ok", "model": None}


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([], "messages"),
        ([{"role": "tool", "content": "42"}, *HI], "messages[0].tool_call_id"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "messages[0].content[0].type",
        ),
        ([*HI, {"role": "assistant", "content": "prefill"}], "messages"),
    ],
)
def test_bad_messages_are_400(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI], messages: list, param: str
) -> None:
    server = scripted_server[0]
    with pytest.raises(openai.BadRequestError) as info:
        client_for(server).chat.completions.create(model=model_of(server), messages=messages)
    assert error_of(info.value)["param"] == param
    assert error_of(info.value)["type"] == "invalid_request_error"


def test_forced_tool_calls_and_other_unsupported_features_are_400(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server = scripted_server[0]
    client = client_for(server)
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    for options, param in (
        ({"tools": [tool], "tool_choice": "required"}, "tool_choice"),
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"temperature": 0}, "temperature"),  # greedy thinking: Qwen3's card warns against it
    ):
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(model=model_of(server), messages=HI, **options)
        assert error_of(info.value)["param"] == param, options
        assert error_of(info.value)["message"]


def test_context_full_is_400_context_length_exceeded(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server = scripted_server[0]
    long = [{"role": "user", "content": "word " * 600}]  # beyond the 512-token context
    with pytest.raises(openai.BadRequestError) as info:
        client_for(server).chat.completions.create(model=model_of(server), messages=long, stream=True)
    assert error_of(info.value)["code"] == "context_length_exceeded"
    assert "512" in error_of(info.value)["message"]


def test_engine_busy_past_the_wait_is_503(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, shared, _ = scripted_server
    impatient = ApiServer(shared, port=0, wait_timeout=0.3)
    impatient.start()
    try:
        with shared.use("the window"), pytest.raises(openai.InternalServerError) as info:
            client_for(impatient).chat.completions.create(model=model_of(server), messages=HI)
        assert info.value.status_code == 503 and error_of(info.value)["code"] == "engine_busy"
    finally:
        impatient.shutdown()


def test_malformed_json_is_400(scripted_server: Served) -> None:
    server = scripted_server[0]
    status, _, body = raw_request(server, "POST", "/v1/chat/completions", body=b'{"model": ', headers={})
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, _, body = raw_request(server, "POST", "/v1/chat/completions", body=b"\xff\xfe\x00")
    assert status == 400
    status, _, body = raw_request(server, "POST", "/v1/chat/completions", body=b"[1, 2]")
    assert status == 400 and "JSON object" in body["error"]["message"]


def test_foreign_host_header_is_403(scripted_server: Served) -> None:
    server = scripted_server[0]
    for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhost:x"):
        status, _, body = raw_request(server, "GET", "/v1/models", headers={"Host": host})
        assert status == 403 and body["error"]["code"] == "host_not_allowed", host
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1:1", "[::1]:8765", "LOCALHOST"):
        assert raw_request(server, "GET", "/v1/models", headers={"Host": host})[0] == 200, host


def test_pages_of_other_sites_are_403_and_no_cors(scripted_server: Served) -> None:
    server = scripted_server[0]
    body = json.dumps({"model": model_of(server), "messages": HI})
    status, headers, error = raw_request(
        server, "POST", "/v1/chat/completions", body=body, headers={"Origin": "https://evil.example"}
    )
    assert status == 403 and error["error"]["code"] == "origin_not_allowed"
    status, headers, _ = raw_request(
        server, "POST", "/v1/chat/completions", body=body, headers={"Origin": "null"}
    )
    assert status == 403
    status, headers, _ = raw_request(
        server,
        "POST",
        "/v1/chat/completions",
        body=body,
        headers={"Origin": f"http://localhost:{server.port}"},
    )
    assert status == 200
    status, headers, error = raw_request(server, "OPTIONS", "/v1/chat/completions")
    assert status == 405 and headers["Allow"] == "POST"
    assert not any(h.lower().startswith("access-control-") for h in headers)


def test_unknown_paths_methods_and_huge_bodies(scripted_server: Served) -> None:
    server = scripted_server[0]
    status, _, body = raw_request(server, "GET", "/v1/completions")
    assert status == 404 and body["error"]["type"] == "not_found_error"
    status, headers, body = raw_request(server, "GET", "/v1/chat/completions")
    assert status == 405 and headers["Allow"] == "POST" and body["error"]["code"] == "method_not_allowed"
    status, _, _ = raw_request(server, "POST", "/v1/models", body=b"{}")
    assert status == 405
    status, headers, body = raw_request(
        server, "POST", "/v1/chat/completions", body=b"{}", headers={"Content-Length": str(64 * 1024 * 1024)}
    )
    assert status == 413 and headers.get("Connection") == "close"
    status, _, body = raw_request(server, "POST", "/v1/chat/completions")  # no body at all
    assert status == 400
    status, headers, _ = raw_request(
        server,
        "POST",
        "/v1/chat/completions",
        body=b"2\r\n{}\r\n0\r\n\r\n",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert status == 411 and headers.get("Connection") == "close"
    status, _, _ = raw_request(
        server, "POST", "/v1/chat/completions", body=b"{}", headers={"Content-Length": "-2"}
    )
    assert status == 400
    status, headers, body = raw_request(server, "GET", "/health")
    assert status == 200 and body == {"status": "ok", "model": "scripted"}
    assert headers["Server"] == "QwenDesk"  # no Python version on the wire


def test_server_logs_requests_but_never_their_contents(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI], caplog: pytest.LogCaptureFixture
) -> None:
    server = scripted_server[0]
    caplog.set_level("INFO", logger="qwendesk.server")
    secret = [{"role": "user", "content": "my secret diary"}]
    client_for(server).chat.completions.create(model=model_of(server), messages=secret)
    lines = [r.getMessage() for r in caplog.records if r.name == "qwendesk.server"]
    assert "POST /v1/chat/completions 200" in lines
    assert not any("secret" in line or REPLY in line for line in lines)


def test_model_ids_come_from_file_names() -> None:
    # Only the id derived from a name is used: the file's path never leaves the server.
    from app.server.shapes import model_id

    assert model_id(Path("/x/Qwen3-8B-Q4_K_M.gguf")) == "Qwen3-8B-Q4_K_M"
    assert model_id(Path("/x/Qwen3-235B-A22B-Q4_K_M-00001-of-00005.gguf")) == "Qwen3-235B-A22B-Q4_K_M"
