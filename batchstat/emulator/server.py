"""The emulator's HTTP side: one threaded server for both clouds, the request log, fault
dispatch and the files endpoint. What each cloud answers lives in alibaba.py and azure.py.

Routes: Alibaba RPC at "/", Azure under "/translator", result files under "/files".
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import struct
import threading
import time
import traceback
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .alibaba import AlibabaEmulator, request_params
from .azure import AzureEmulator
from .clock import Clock
from .faults import Fault, FaultQueue, huge_chunks
from .wire import JSON_CONTENT_TYPE, HeaderDict, Reply, Request, text_reply

if TYPE_CHECKING:
    import ssl

DEFAULT_ALIBABA_CREDENTIALS = {"LTAI5tEmulatorKeyId": "emulator-secret"}
POLL_INTERVAL = 0.02  # how long stop() may wait for the serving loop to notice
DEFAULT_MAX_REQUESTS = 10_000
# In a `body` fault, replaced by the Signature parameter of the request being answered.
ECHO_SIGNATURE = "__SIGNATURE__"
DEFAULT_MAX_LOGGED_BODY = 16 * 1024  # per request; Alibaba form params are capped alike


@dataclass
class RecordedRequest:
    """One request the emulator received, and what it answered."""

    provider: str  # "alibaba", "azure" or "files"
    method: str
    path: str
    query: dict[str, str]  # decoded; the last value wins
    params: dict[str, str]  # Alibaba: query merged with the form body; otherwise the query
    headers: HeaderDict  # lookups ignore case
    body: bytes  # at most the emulator's max_logged_body first bytes
    time: float  # emulator clock when received
    status: int = 0  # 0 while unanswered, and for dropped connections
    fault: str | None = None  # kind of the injected fault, if any
    body_size: int = 0  # length of the whole body, of which `body` may be a prefix


class Emulator:
    """Local stand-in for Alibaba alimt and Azure Document Translation, on one port.

    emu.alibaba  jobs (add_job, jobs, status) and knobs: result_retention, max_timestamp_skew
                 (None: off), missing_param_style ("business" | "gateway"), created_job_stages
    emu.azure    jobs (add_job, add_container, jobs, status) and knobs: page_size,
                 next_link_key, next_link_mode ("normal" | "endless" | "foreign"),
                 foreign_base_url, created_job_stages, created_job_retry_after, cancel_stages
    emu.faults   add(Fault), clear(), pending; set_chaos(Chaos) fails a seeded fraction of
                 answers with transient faults, chaos_counts() says how many of each kind
    emu.requests the last `max_requests` requests received, oldest first (a copy), each with
                 at most `max_logged_body` bytes of its body; requests_clear() empties it

    With `ssl_context` (a server-side ssl.SSLContext holding a certificate) it serves https
    instead of http; a client that fails the handshake never reaches the request log.

    Server-side strings are sent as given, so tests can seed hostile text: Stage statuses,
    AlibabaImage source_url / message / final_url / inpainting_url, add_job(request_id=...)
    on both clouds; AzureDocument id / status / error / source_url / path, Azure add_job error,
    created_date_time_utc and last_action_date_time_utc. Header values go out as UTF-8.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        alibaba_credentials: Mapping[str, str] | None = None,
        alibaba_sts: Mapping[str, tuple[str, str]] | None = None,
        azure_keys: Sequence[str] = ("emulator-key",),
        azure_bearer_tokens: Sequence[str] = (),
        result_retention: float = 3600.0,
        seed: int = 0,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        max_logged_body: int = DEFAULT_MAX_LOGGED_BODY,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_requests < 0 or max_logged_body < 0:
            raise ValueError("max_requests and max_logged_body must not be negative")
        self.host = host
        self.port = port
        self.clock: Clock = clock or time.time
        self.alibaba = AlibabaEmulator(
            self.clock,
            DEFAULT_ALIBABA_CREDENTIALS if alibaba_credentials is None else alibaba_credentials,
            alibaba_sts,
            result_retention,
        )
        self.azure = AzureEmulator(self.clock, azure_keys, azure_bearer_tokens)
        self.faults = FaultQueue(seed)
        # Bounded, so a long-running emulator does not grow without end.
        self._log: deque[RecordedRequest] = deque(maxlen=max_requests)
        self.max_logged_body = max_logged_body
        self.ssl_context = ssl_context
        self._log_lock = threading.Lock()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None  # set when start() serves in background
        self._serving_in_caller = False  # set while serve_forever() blocks its caller
        self._lifetime_lock = threading.Lock()

    # --- running ---

    def start(self) -> Emulator:
        """Serve in a daemon thread; returns self so `emu = Emulator().start()` reads well."""
        server = self._bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name=f"batchstat-emulator:{server.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the caller handles Ctrl-C)."""
        server = self._bind()
        self._serving_in_caller = True
        try:
            server.serve_forever(poll_interval=POLL_INTERVAL)
        finally:
            self._serving_in_caller = False
            self._close()

    def stop(self) -> None:
        """Stop serving (from any thread) and release the port."""
        server, thread = self._server, self._thread
        if server is not None and (thread is not None or self._serving_in_caller):
            server.shutdown()  # waits for the serving loop to finish
        if thread is not None:
            thread.join()
        self._close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://host:port (https:// with an ssl_context); binds the socket if needed, so it
        can be printed before serving."""
        server = self._bind()
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        scheme = "http" if self.ssl_context is None else "https"
        return f"{scheme}://{host}:{server.server_address[1]}"

    # --- scenario, log, faults ---

    def load_scenario(
        self, source: str | PathLike[str] | Mapping[str, Any]
    ) -> dict[str, list[str]]:
        """Seed jobs and faults from a scenario (see batchstat.emulator.scenario for the format)."""
        from .scenario import load_scenario

        return load_scenario(self, source)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._log_lock:
            return list(self._log)

    def requests_clear(self) -> None:
        with self._log_lock:
            self._log.clear()

    # --- dispatch (no sockets below this line) ---

    def respond(self, request: Request) -> Reply:
        """Log the request, apply any matching fault, and produce the reply."""
        provider = _provider_for(request.path)
        params = request_params(request) if provider == "alibaba" else dict(request.query)
        record = RecordedRequest(
            provider=provider,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            params={name: value[: self.max_logged_body] for name, value in params.items()},
            headers=request.headers,
            body=request.body[: self.max_logged_body],
            time=self.clock(),
            body_size=len(request.body),
        )
        with self._log_lock:
            self._log.append(record)
        haystack = "\n".join([request.target, *(f"{k}={v}" for k, v in params.items())])
        fault = self.faults.take(provider, haystack)
        reply = (
            self._reply(provider, request) if fault is None else self._fault(fault, request, params)
        )
        record.status = 0 if reply.drop else reply.status
        record.fault = reply.fault
        return reply

    def _fault(self, fault: Fault, request: Request, params: dict[str, str]) -> Reply:
        provider = _provider_for(request.path)
        if fault.kind in ("slow", "trickle", "stall", "reset", "truncate"):
            reply = self._reply(provider, request)
            if fault.kind != "slow":
                reply.delivery = fault.kind
            if fault.kind == "trickle":
                reply.byte_delay = fault.delay
        elif fault.kind == "drop":
            reply = Reply(0, drop=True)
        elif fault.kind == "redirect":
            assert fault.location is not None  # Fault checks it
            reply = Reply(fault.status or 307, headers={"Location": fault.location})
        elif fault.kind == "huge":
            assert fault.size is not None  # Fault checks it
            reply = Reply(fault.status or 200, content_type=JSON_CONTENT_TYPE)
            reply.chunks, reply.length = huge_chunks(fault.size), fault.size
        elif fault.kind == "body":
            assert fault.body is not None  # Fault checks it
            content_type = fault.content_type or JSON_CONTENT_TYPE
            # An echoing server: the placeholder becomes this request's own Signature.
            body = fault.body.replace(ECHO_SIGNATURE, params.get("Signature", ""))
            reply = Reply(fault.status or 200, body.encode("utf-8"), content_type)
        elif fault.kind == "html":
            status = fault.status or 502
            phrase = _reason(status)
            title = f"{status} {phrase}"
            page = f"<html><head><title>{title}</title></head><body>{phrase}</body></html>"
            reply = text_reply(status, page, "text/html")
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = fault.retry_after
        elif provider == "files":  # a storage host's error: plain text, no cloud body
            status = fault.status or 500
            reply = text_reply(status, f"{_reason(status)}\n")
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = fault.retry_after
        elif provider == "alibaba":
            reply = self.alibaba.fault_reply(request, fault)
        else:
            reply = self.azure.fault_reply(request, fault)
        reply.fault = fault.kind
        if fault.kind not in ("trickle", "stall"):
            reply.delay = fault.delay
        if fault.retry_after is not None and fault.kind in ("redirect", "huge", "body"):
            reply.headers["Retry-After"] = fault.retry_after
        return reply

    def _reply(self, provider: str, request: Request) -> Reply:
        if provider == "azure":
            return self.azure.handle(request)
        if provider == "files":
            return self._file(request)
        return self.alibaba.handle(request)

    def _file(self, request: Request) -> Reply:
        """GET /files/alibaba/<task>/<n>.png and /files/azure/<job>/<doc>.<ext>."""
        parts = request.path.split("/")
        content = None
        if request.method == "GET" and len(parts) == 5 and parts[2] == "alibaba":
            content = self.alibaba.file_content(parts[3], parts[4])
            content_type = "image/png"
        elif request.method == "GET" and len(parts) == 5 and parts[2] == "azure":
            content = self.azure.file_content(parts[3], parts[4])
            content_type = "application/octet-stream"
        if content is None:
            return text_reply(404, "The specified file does not exist.\n")
        return Reply(200, content, content_type)

    # --- socket lifetime ---

    def _bind(self) -> _HTTPServer:
        with self._lifetime_lock:
            if self._server is None:
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                self._server = _HTTPServer((self.host, self.port), self, family, self.ssl_context)
            return self._server

    def _close(self) -> None:
        with self._lifetime_lock:  # stop() and serve_forever()'s exit may race here
            server, self._server, self._thread = self._server, None, None
        if server is not None:
            server.stopping.set()  # ends stalls, trickles and slow answers still in progress
            server.close_connections()
            server.server_close()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "not bound"
        return f"<Emulator {where}>"


def _provider_for(path: str) -> str:
    if path == "/translator" or path.startswith("/translator/"):
        return "azure"
    if path.startswith("/files/"):
        return "files"
    return "alibaba"  # the RPC host answers everything else (404 unless it is "/")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        family: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.address_family = family
        self.emulator = emulator
        self.ssl_context = ssl_context
        self.scheme = "http" if ssl_context is None else "https"
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.stopping = threading.Event()  # handler threads wait on this, never on bare sleeps
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake happens in the handler's thread (setup), so a client that
            # stalls or fails it never holds up the accept loop.
            connection = self.ssl_context.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer (timeouts, drops) are routine here

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake keep-alive handler threads blocked on idle sockets, so they end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # else small answers wait ~40 ms on Nagle + delayed ACK
    server_version = "batchstat-emulator"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)
        if self.server.ssl_context is not None:
            try:
                self.connection.do_handshake()  # an SSLSocket (get_request wrapped it)
            except OSError:  # the client refused the certificate: finish() will not run
                self.server.track(self.connection, open_=False)
                raise

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr chatter

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _answer(self) -> None:
        emulator = self.server.emulator
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._write(text_reply(400, "Unreadable request body.\n"))
            return
        split = urlsplit(self.path)
        headers = HeaderDict(self.headers.items())
        host = headers.get("host") or f"{self.server.server_name}:{self.server.server_port}"
        request = Request(
            method=self.command,
            target=self.path,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            base_url=f"{self.server.scheme}://{host}",
        )
        try:
            reply = emulator.respond(request)
        except Exception:  # an emulator bug should show up in the client, not hang it
            reply = text_reply(500, traceback.format_exc())
        if reply.delay > 0 and self.server.stopping.wait(reply.delay):
            reply.drop = True  # the emulator is stopping: do not keep the client waiting
        if reply.drop:
            self.close_connection = True
            return
        try:
            self._write(reply)
        except OSError:  # the client hung up mid-answer (timeouts, huge bodies)
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def _write(self, reply: Reply) -> None:
        body = reply.body
        length = len(body) if reply.length is None else reply.length
        if reply.delivery in ("reset", "truncate"):
            body = body[: len(body) // 2]
            length = max(length, len(body) + 1)  # always promise more than is sent
        if reply.delivery in ("stall", "reset", "truncate"):
            self.close_connection = True  # the connection cannot carry another answer
        head = self._head(reply, length)
        if self.command == "HEAD":
            body, reply.chunks = b"", None
        if reply.delivery == "whole" and reply.chunks is None:
            # One write for head and body: two small writes would each be a packet.
            self.wfile.write(head + body)
            return
        self.wfile.write(head)
        stopping = self.server.stopping
        if reply.chunks is not None:
            for chunk in reply.chunks:
                if stopping.is_set():
                    self.close_connection = True
                    return
                self.wfile.write(chunk)
        elif reply.delivery == "trickle":
            for index in range(len(body)):
                if stopping.wait(reply.byte_delay):
                    self.close_connection = True
                    return
                self.wfile.write(body[index : index + 1])
        elif reply.delivery == "stall":
            while not stopping.is_set() and not self._peer_closed():
                pass
        elif reply.delivery == "reset":
            self.wfile.write(body)
            self._reset()
        else:
            self.wfile.write(body)

    def _head(self, reply: Reply, length: int) -> bytes:
        lines = [
            f"HTTP/1.1 {reply.status} {_reason(reply.status)}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(self.server.emulator.clock(), usegmt=True)}",
        ]
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        lines.append(f"Content-Length: {length}")
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        # UTF-8, so seeded header values (request ids) reach the client byte for byte.
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def _peer_closed(self) -> bool:
        """Whether the client hung up; waits up to POLL_INTERVAL for it to say something."""
        try:
            readable, _, _ = select.select([self.connection], [], [], POLL_INTERVAL)
            if not readable:
                return False
            if self.connection.recv(1, socket.MSG_PEEK) == b"":
                return True
        except OSError:
            return True
        # Bytes the client sent anyway (a pipelined request) stay unread; keep stalling.
        return self.server.stopping.wait(POLL_INTERVAL)

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the socket closes for real only once its file objects are closed
        self.connection.close()
