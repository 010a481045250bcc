"""Where the server may listen and whom it answers: loopback by default, the network only on purpose."""

from __future__ import annotations

import socket

import pytest

from app.backend.shared_engine import SharedEngine
from app.server import DEFAULT_PORT, ApiServer, NetworkExposureError, PortInUseError, ServerSetupError
from app.server.access import bearer_ok, host_header_ok, is_loopback, origin_ok


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2", "LocalHost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.5", "example.com", "localhost.evil"])
def test_other_hosts_reach_the_network(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::"])
def test_network_needs_the_switch_and_a_key(host: str) -> None:
    shared = SharedEngine()
    with pytest.raises(NetworkExposureError, match="--allow-network"):
        ApiServer(shared, host=host, api_key="k")
    with pytest.raises(NetworkExposureError, match="API key"):
        ApiServer(shared, host=host, allow_network=True)
    server = ApiServer(shared, host=host, allow_network=True, api_key="k")  # both: allowed
    assert not server.loopback and server.api_key == "k"


def test_setup_errors_are_value_errors() -> None:
    shared = SharedEngine()
    assert issubclass(NetworkExposureError, ValueError) and issubclass(PortInUseError, ValueError)
    with pytest.raises(ServerSetupError, match="empty"):
        ApiServer(shared, api_key="  ")
    with pytest.raises(ServerSetupError, match="65535"):
        ApiServer(shared, port=70000)


def test_defaults_and_urls() -> None:
    shared = SharedEngine()
    server = ApiServer(shared)
    assert (server.host, server.port, server.api_key) == ("127.0.0.1", DEFAULT_PORT, None)
    assert server.url == f"http://127.0.0.1:{DEFAULT_PORT}/v1"
    assert ApiServer(shared, host="::1", port=9000).url == "http://[::1]:9000/v1"
    assert ApiServer(shared, host="localhost", port=9000).url == "http://127.0.0.1:9000/v1"


def test_a_taken_port_is_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ApiServer(SharedEngine(), port=port)
        with pytest.raises(PortInUseError, match=str(port)) as info:
            server.start()
        assert info.value.port == port


def test_port_zero_picks_a_free_port_and_shutdown_is_idempotent() -> None:
    server = ApiServer(SharedEngine(), port=0)
    server.start()
    try:
        assert server.port > 0 and server.running and str(server.port) in server.url
    finally:
        server.shutdown()
        server.shutdown()
    assert not server.running
    with pytest.raises(RuntimeError):
        server.start()


def test_shutdown_before_start_is_harmless() -> None:
    server = ApiServer(SharedEngine(), port=0)
    server.shutdown()
    server = ApiServer(SharedEngine(), port=0)
    server.bind()
    server.shutdown()  # bound but never served: returns at once


def test_host_header_check() -> None:
    for ok in (None, "localhost", "localhost:8765", "127.0.0.1:1", "[::1]", "[::1]:80", "LOCALHOST"):
        assert host_header_ok(ok), ok
    for bad in ("evil.com", "127.0.0.1.nip.io", "localhost:abc", "[::2]:80", "", "user@localhost@evil"):
        assert not host_header_ok(bad), bad


def test_origin_check() -> None:
    for ok in (None, "http://localhost:3000", "https://127.0.0.1", "http://[::1]:8080"):
        assert origin_ok(ok), ok
    for bad in ("null", "https://evil.com", "file://", "http://localhost.evil.com", "chrome-extension://x"):
        assert not origin_ok(bad), bad


def test_bearer_check() -> None:
    assert bearer_ok("Bearer k3y", "k3y") and bearer_ok("bearer  k3y ", "k3y")
    for header in (None, "", "k3y", "Basic k3y", "Bearer k3", "Bearer k3y2", "Bearer"):
        assert not bearer_ok(header, "k3y"), header
