"""A loopback HTTP server that answers batchstat with the clouds' own published bodies.

Not an emulator: it has no jobs and no lifecycle. It answers each route with one body
handed to it, as published (see ``SOURCES.md``), so the tests see what batchstat makes of
real material rather than of what the project's own emulator says:

- ``GET /translator/document/batches/{id}``: the *get translation status* body;
- ``GET /translator/document/batches/{id}/documents``: the *get documents status* body,
  served as published (``nextLink`` or ``@nextLink``, ids that match nothing, stale keys),
  except that an absolute next-page link to another origin is rewritten to this server's
  base URL (only the ``scheme://host`` part: path and query stay as published);
- the rewritten link's path: ``{"value": []}``, the end of the list. The published
  examples have no second page; this terminator is the server's own, not published data;
- Azure routes require the ``Ocp-Apim-Subscription-Key`` header (401 otherwise);
- Alibaba: any ``GET`` or ``POST`` to ``/``: the body handed to ``serve_alibaba`` (the
  signature the SDK computes is not checked).

Every request is logged in ``requests`` for the tests to inspect.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

END_OF_LIST = b'{"value": []}'
JSON_TYPE = "application/json; charset=utf-8"
_STATUS_PATH = re.compile(r"^/translator/document/batches/([^/]+)$")
_DOCUMENTS_PATH = re.compile(r"^/translator/document/batches/([^/]+)/documents$")
# Recorded response headers that describe the recorded transfer, not the answer.
_TRANSFER_HEADERS = {
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "set-cookie",
    "date",
    "server",
}


@dataclass
class Reply:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def reply_headers(recorded: dict[str, Any] | None) -> dict[str, str]:
    """Response headers of a published example or recording, minus the transfer ones."""
    headers: dict[str, str] = {}
    for name, value in (recorded or {}).items():
        if name.lower() in _TRANSFER_HEADERS:
            continue
        headers[name] = ", ".join(value) if isinstance(value, list) else str(value)
    return headers


class ReplayServer:
    def __init__(self, azure_key: str) -> None:
        self.azure_key = azure_key
        self.status: Reply | None = None
        self.documents: Reply | None = None
        self.alibaba: Reply | None = None
        self.rewrite_next_links = True
        self.next_link_paths: set[str] = set()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        server = self

        class Handler(_Handler):
            replay = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() first"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    # -- what to answer ----------------------------------------------------------------

    def serve_azure(
        self,
        status: bytes,
        documents: bytes | None = None,
        *,
        status_headers: dict[str, str] | None = None,
        documents_headers: dict[str, str] | None = None,
    ) -> None:
        self.status = Reply(status, headers=dict(status_headers or {}))
        self.documents = (
            None if documents is None else Reply(documents, headers=dict(documents_headers or {}))
        )

    def serve_alibaba(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.alibaba = Reply(body, headers=dict(headers or {}))

    def documents_body(self) -> bytes:
        """The documents body as served: an absolute foreign next link points here instead."""
        assert self.documents is not None
        raw = self.documents.body
        if not self.rewrite_next_links:
            return raw
        page = json.loads(raw)
        link = (page.get("nextLink") or page.get("@nextLink")) if isinstance(page, dict) else None
        if not isinstance(link, str):
            return raw
        parts = urlsplit(link)
        if not (parts.scheme and parts.netloc):
            return raw  # relative: as published
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin != self.base_url:
            raw = raw.replace(origin.encode(), self.base_url.encode())
        self.next_link_paths.add(parts.path)
        return raw

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.requests if s.path == path]


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        replay = self.replay
        with replay._lock:
            replay.requests.append(
                Seen(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                )
            )
        if parts.path.startswith("/translator/"):
            self._send(self._azure(parts.path))
        elif parts.path == "/" and replay.alibaba is not None:
            self._send(replay.alibaba)
        else:
            self._send(Reply(b'{"error": "no such route in the replay server"}', 404))

    def _azure(self, path: str) -> Reply:
        replay = self.replay
        if self.headers.get("Ocp-Apim-Subscription-Key") != replay.azure_key:
            return Reply(b'{"error": {"code": "401", "message": "replay server: bad key"}}', 401)
        if self.command != "GET":
            return Reply(b'{"error": "replay server answers GET only"}', 405)
        if _STATUS_PATH.match(path) and replay.status is not None:
            return replay.status
        if _DOCUMENTS_PATH.match(path) and replay.documents is not None:
            return Reply(replay.documents_body(), headers=replay.documents.headers)
        if path in replay.next_link_paths:
            return Reply(END_OF_LIST)
        return Reply(b'{"error": {"code": "404", "message": "replay server: no route"}}', 404)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        headers = {k.lower(): (k, v) for k, v in reply.headers.items()}
        headers.setdefault("content-type", ("Content-Type", JSON_TYPE))
        for name, value in headers.values():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
