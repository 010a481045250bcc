"""A local stand-in for the Hugging Face Hub, enough for huggingface_hub and our downloader.

Serves ``GET /api/models/{repo}`` (``?blobs=true`` adds sizes and LFS SHA-256),
``GET /api/models/{repo}/tree/{revision}[/{path}]`` and ``HEAD``/``GET`` on
``/{repo}/resolve/{revision}/{path}`` with the headers huggingface_hub reads
(X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size, Content-Length,
Accept-Ranges) and ``Range: bytes=N-`` (206). Anything else is 404, including
``/api/agent-harnesses``. Every request is logged, with its Range header.

Faults, set per test: ``drop_after[path] = (n_bytes, times)`` closes the
connection after n bytes of the next ``times`` GETs; ``missing`` answers 404 for
listed files; ``gated`` answers 401 GatedRepo for a repo's files; ``corrupt``
serves other bytes of the same length; ``slow_s`` sleeps between 64 KiB chunks;
``redirect`` sends file GETs through a 302 to a "CDN" path, as the Hub does;
``xet`` marks every file Xet-backed the way the Hub does on ``resolve`` responses
(``X-Xet-Hash`` and a ``Link: <…/xet-read-token/…>; rel="xet-auth"``), while
still serving the bytes over plain HTTP as the Hub's LFS bridge does. There is no
Xet server behind it: the token route is a 404.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from app.models.synthetic import write_scripted_gguf

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 64 * 1024
_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+?)(?:/revision/[^/]+)?$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/[^/]+(?:/(?P<path>.*))?$")
_RESOLVE = re.compile(r"^/(?:cdn/)?(?P<repo>[^/]+/[^/]+)/resolve/[^/]+/(?P<path>.+)$")


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    range: str | None


@dataclass
class FakeHub:
    """Repos and faults; ``url`` once started."""

    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    drop_after: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    gated: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    slow_s: float = 0.0
    redirect: bool = False
    xet: bool = False
    log: list[Logged] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_file(self, repo: str, path: str, data: bytes) -> bytes:
        self.repos.setdefault(repo, {})[path] = data
        return data

    def add_gguf(self, repo: str, path: str, tmp: Path) -> bytes:
        """A real (tiny) Qwen3 GGUF, generated on the spot."""
        local = write_scripted_gguf(tmp / path.replace("/", "_"))
        return self.add_file(repo, path, local.read_bytes())

    def gets(self, path_suffix: str) -> list[Logged]:
        return [r for r in self.log if r.method == "GET" and r.path.endswith(path_suffix)]

    def _record(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)

    def _take_drop(self, path: str) -> int | None:
        with self._lock:
            if path not in self.drop_after:
                return None
            n, times = self.drop_after[path]
            if times <= 1:
                del self.drop_after[path]
            else:
                self.drop_after[path] = (n, times - 1)
            return n


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve(body=True)

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def _serve(self, body: bool) -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            hub._record(Logged(self.command, path, self.headers.get("Range")))
            if m := _API.match(path):
                return self._model_info(m["repo"], "blobs=true" in url.query.lower())
            if m := _TREE.match(path):
                return self._tree(m["repo"], m["path"] or "")
            if m := _RESOLVE.match(path):
                return self._resolve(m["repo"], m["path"], body, cdn=path.startswith("/cdn/"))
            self._error(404, "RepoNotFound", "Not found")

        def _json(self, obj: object) -> None:
            data = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            data = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(data)

        def _model_info(self, repo: str, blobs: bool) -> None:
            files = hub.repos.get(repo)
            if files is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            siblings: list[dict[str, object]] = []
            for name, data in sorted(files.items()):
                sib: dict[str, object] = {"rfilename": name}
                if blobs:
                    lfs = {"sha256": sha256(data), "size": len(data), "pointerSize": 134}
                    sib.update(size=len(data), blobId=sha256(data)[:40], lfs=lfs)
                siblings.append(sib)
            self._json({"id": repo, "modelId": repo, "sha": COMMIT, "private": False, "siblings": siblings})

        def _tree(self, repo: str, prefix: str) -> None:
            files = hub.repos.get(repo)
            if files is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            entries = [
                {
                    "type": "file",
                    "oid": sha256(data)[:40],
                    "size": len(data),
                    "path": name,
                    "lfs": {"oid": sha256(data), "size": len(data), "pointerSize": 134},
                }
                for name, data in sorted(files.items())
                if name.startswith(prefix)
            ]
            self._json(entries)

        def _resolve(self, repo: str, path: str, body: bool, cdn: bool) -> None:
            files = hub.repos.get(repo)
            if files is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            if repo in hub.gated:
                return self._error(
                    401, "GatedRepo", "Access to model is restricted. You must be authenticated"
                )
            if path not in files or path in hub.missing:
                return self._error(404, "EntryNotFound", "Entry not found")
            data = files[path]
            etag = f'"{sha256(data)}"'
            if hub.redirect and not cdn:
                self.send_response(302)
                self.send_header("Location", f"{hub.url}/cdn/{repo}/resolve/{COMMIT}/{path}")
                self._xet_headers(repo, data)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("X-Linked-Etag", etag)
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path in hub.corrupt:
                data = bytes(b ^ 0xFF for b in data[:16]) + data[16:]
            start = 0
            rng = self.headers.get("Range")
            if rng and (m := re.fullmatch(r"bytes=(\d+)-", rng.strip())):
                start = int(m[1])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
            self.send_response(206 if start else 200)
            self._xet_headers(repo, data)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", etag)
            self.send_header("X-Linked-Etag", etag)
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(data) - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if not body:
                return None
            drop = hub._take_drop(path)
            end = len(data) if drop is None else min(len(data), start + drop)
            try:
                for pos in range(start, end, CHUNK):
                    self.wfile.write(data[pos : min(pos + CHUNK, end)])
                    if hub.slow_s:
                        threading.Event().wait(hub.slow_s)
                if drop is not None:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # the client went away (a paused download)
                pass
            self.close_connection = True
            return None

        def _xet_headers(self, repo: str, data: bytes) -> None:
            if hub.xet:
                self.send_header("X-Xet-Hash", sha256(b"xet:" + data))  # a Xet hash is not the SHA-256
                token = f"{hub.url}/api/models/{repo}/xet-read-token/{COMMIT}"
                self.send_header("Link", f'<{token}>; rel="xet-auth"')

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-response is part of the tests


@contextmanager
def serve(monkeypatch: pytest.MonkeyPatch | None = None) -> Iterator[FakeHub]:
    """Start a FakeHub on 127.0.0.1 (port 0) and point HF_ENDPOINT at it; stop it afterwards."""
    hub = FakeHub()
    server = _Server(("127.0.0.1", 0), _handler(hub))
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    if monkeypatch is not None:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
    try:
        yield hub
    finally:
        hub.slow_s = 0.0
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """An endpoint nothing listens on: a Hub that cannot be reached."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
