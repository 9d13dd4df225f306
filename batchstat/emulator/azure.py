"""Azure AI Document Translation (batch API, api-version 2024-05-01 and 2026-03-01) emulator.

Routes live under /translator (api-spec §2.2, §4.2): start a batch, list batches, get and cancel
one, list its documents and get one document. Job lives are scripted with Stages; per-document
states and the summary counters are derived from the documents at the moment of the request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from .clock import Clock, iso_utc_7
from .faults import Fault
from .lifecycle import Lifecycle, Stage
from .wire import JSON_CONTENT_TYPE, Reply, Request, json_reply

API_VERSIONS = ("2024-05-01", "2026-03-01")
BATCHES_PATH = "/translator/document/batches"
MAX_PAGE_SIZE = 100
NEXT_LINK_KEYS = ("nextLink", "@nextLink", "both")
# normal: a link while items remain; endless: every page links to a new $skip, forever;
# foreign: every page links to the same listing on another host (foreign_base_url).
NEXT_LINK_MODES = ("normal", "endless", "foreign")
FOREIGN_HOST = "127.0.0.2"  # loopback, yet another origin than 127.0.0.1
REQUEST_ID_HEADERS = ("apim-request-id", "x-requestid")
JOB_STATUSES = (
    "NotStarted",
    "Running",
    "Succeeded",
    "Failed",
    "Cancelled",
    "Cancelling",
    "ValidationFailed",
)
TERMINAL_JOB_STATUSES = frozenset({"Succeeded", "Failed", "Cancelled", "ValidationFailed"})
# Documents in these states keep them when their job is cancelled.
FINISHED_DOCUMENT_STATUSES = frozenset({"Succeeded", "Failed", "ValidationFailed", "Cancelled"})

_STATUS_SPELLINGS = {status.lower(): status for status in JOB_STATUSES} | {
    "canceled": "Cancelled",  # the SDK's spelling; the wire says Cancelled
    "canceling": "Cancelling",
}

APIM_UNAUTHORIZED = {
    "error": {
        "code": "401",
        "message": (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
            "provide a valid key for an active subscription and use a correct regional API "
            "endpoint for your resource."
        ),
    }
}
APIM_NOT_FOUND = {"error": {"code": "404", "message": "Resource not found"}}

# status -> (code, message, innerError code) for injected "http" faults
HTTP_FAULT_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("InvalidRequest", "The request is invalid.", "InvalidRequest"),
    404: ("ResourceNotFound", "Cannot find the requested resource.", "NotFound"),
    429: ("RequestRateTooHigh", "User's request rate is too high", "RateTooHigh"),
    500: ("InternalServerError", "Internal Server Error", "InternalServerError"),
    503: ("ServiceUnavailable", "Service is temporarily unavailable", "ServiceUnavailable"),
}

DEFAULT_DOCUMENT_ERROR: dict[str, Any] = {
    "code": "InvalidRequest",
    "message": "Target document file already exists.",
    "target": "Document",
    "innerError": {
        "code": "TargetFileAlreadyExists",
        "message": "Target document file already exists.",
    },
}
DEFAULT_VALIDATION_ERROR: dict[str, Any] = {
    "code": "InvalidRequest",
    "message": "Cannot access source document location with the current permissions.",
    "target": "Operation",
    "innerError": {
        "code": "InvalidDocumentAccessLevel",
        "message": "Cannot access source document location with the current permissions.",
    },
}
NO_DOCUMENTS_ERROR: dict[str, Any] = {
    "code": "InvalidRequest",
    "message": "No translatable documents were found in the source.",
    "target": "Operation",
    "innerError": {
        "code": "NoTranslatableDocuments",
        "message": "No translatable documents were found in the source.",
    },
}


def normalize_status(status: str) -> str:
    """Known statuses in their wire spelling (Cancelled, not Canceled); others unchanged."""
    return _STATUS_SPELLINGS.get(status.lower(), status)


@dataclass
class AzureDocument:
    """One document of a batch and the state it ends in.

    `path` replaces the translated document's location, verbatim and whatever the status;
    None shows the emulator's own file URL once the document Succeeded.
    """

    source_url: str
    target_language: str = "fr"
    status: str = "Succeeded"
    error: dict[str, Any] | None = None
    characters: int = 120
    id: str | None = None
    path: str | None = None

    @classmethod
    def from_url(cls, url: str, target_language: str = "fr") -> AzureDocument:
        """A plain URL succeeds, unless its file name contains "fail"."""
        failed = "fail" in _file_name(url).lower()
        return cls(url, target_language, status="Failed" if failed else "Succeeded")


@dataclass
class AzureJob:
    id: str
    documents: list[AzureDocument]  # ids always set
    lifecycle: Lifecycle
    created_at: float
    error: dict[str, Any] | None = None
    retry_after: int | None = 1
    cancel_requested: bool = False
    request_id: str | None = None  # sent as apim-request-id and x-requestid when set
    created_date_time_utc: str | None = None  # verbatim timestamps for the job and its documents
    last_action_date_time_utc: str | None = None


@dataclass(frozen=True)
class _ListedItem:
    id: str
    status: str
    created_at: float
    last_action_at: float
    render: Callable[[], dict[str, Any]]  # built only when the item is on the page sent


@dataclass(frozen=True)
class _ListQuery:
    top: int | None
    skip: int
    page_size: int
    ids: frozenset[str] | None
    statuses: frozenset[str] | None
    created_start: float | None
    created_end: float | None
    order_by_last_action: bool
    descending: bool
    carried_filters: dict[str, str]  # copied into nextLink


class _BadRequest(Exception):
    def __init__(self, message: str, inner_code: str = "InvalidArgument") -> None:
        super().__init__(message)
        self.message = message
        self.inner_code = inner_code


class _NotFound(Exception):
    pass


def service_error(
    status: int,
    code: str,
    message: str,
    inner_code: str,
    target: str = "Operation",
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """The Translator error shape, camelCase innerError included."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "target": target,
            "innerError": {"code": inner_code, "message": message},
        }
    }
    return json_reply(status, body, {"x-ms-error-code": code, **(headers or {})})


def default_stages(documents: Sequence[AzureDocument]) -> list[Stage]:
    return [
        Stage("NotStarted", polls=1),
        Stage("Running", polls=1),
        Stage(terminal_status(documents)),
    ]


def default_created_job_stages(documents: Sequence[AzureDocument]) -> list[Stage]:
    return [
        Stage("NotStarted", seconds=1),
        Stage("Running", seconds=2),
        Stage(terminal_status(documents)),
    ]


def default_cancel_stages() -> list[Stage]:
    return [Stage("Cancelling", polls=1), Stage("Cancelled")]


def terminal_status(documents: Sequence[AzureDocument]) -> str:
    """Succeeded as soon as one document succeeded, as the service does."""
    return "Succeeded" if any(doc.status == "Succeeded" for doc in documents) else "Failed"


class AzureEmulator:
    """State and request handling for the Document Translation side of the emulator."""

    def __init__(
        self,
        clock: Clock,
        keys: Sequence[str] = ("emulator-key",),
        bearer_tokens: Sequence[str] = (),
    ) -> None:
        self.clock = clock
        self.keys = tuple(keys)
        self.bearer_tokens = tuple(bearer_tokens)
        self.jobs: dict[str, AzureJob] = {}  # keyed by lower-case id
        self._listings: dict[str, tuple[Any, list[_ListedItem]]] = {}  # job id -> (state, items)
        self.page_size = 50
        self.next_link_key = "nextLink"
        self.next_link_mode = "normal"  # see NEXT_LINK_MODES
        self.foreign_base_url: str | None = None  # None: http://127.0.0.2:<the emulator's port>
        # Life of jobs made by POST batches; None: NotStarted 1 s, Running 2 s, then terminal.
        self.created_job_stages: list[Stage] | None = None
        self.created_job_retry_after: int | None = 1
        self.cancel_stages: list[Stage] = default_cancel_stages()
        self._containers: list[tuple[str, list[str]]] = []
        self._lock = threading.RLock()

    def add_job(
        self,
        documents: Sequence[AzureDocument | str],
        stages: Sequence[Stage] | None = None,
        job_id: str | None = None,
        error: dict[str, Any] | None = None,
        retry_after: int | None = 1,
        request_id: str | None = None,
        created_date_time_utc: str | None = None,
        last_action_date_time_utc: str | None = None,
    ) -> str:
        """Seed a job. Every string (stage statuses included) is answered verbatim."""
        if request_id is not None and ("\r" in request_id or "\n" in request_id):
            raise ValueError("request_id must not contain CR or LF (it is a header value)")
        entries = [AzureDocument.from_url(d) if isinstance(d, str) else d for d in documents]
        with self._lock:
            job = self._create_job(entries, stages or default_stages(entries), job_id)
            job.error = error
            job.retry_after = retry_after
            job.request_id = request_id
            job.created_date_time_utc = created_date_time_utc
            job.last_action_date_time_utc = last_action_date_time_utc
            return job.id

    def add_container(self, source_url_prefix: str, names: Sequence[str]) -> None:
        """Blob names a container source expands to when POST batches names it."""
        with self._lock:
            self._containers.append((_without_query(source_url_prefix), list(names)))

    def status(self, job_id: str) -> str | None:
        """The job's status right now without counting a poll; None for an unknown id."""
        with self._lock:
            job = self.jobs.get(job_id.lower())
            return None if job is None else job.lifecycle.status(self.clock())

    def handle(self, request: Request) -> Reply:
        if not self._authorized(request):
            return json_reply(401, APIM_UNAUTHORIZED)
        route = _route(request.path)
        if route is None:
            return json_reply(404, APIM_NOT_FOUND)
        api_version = request.query.get("api-version")
        if not api_version:
            return service_error(
                400,
                "InvalidArgument",
                "The api-version query parameter is required.",
                "MissingApiVersion",
            )
        if api_version not in API_VERSIONS:
            return service_error(
                400,
                "InvalidArgument",
                f"The api-version '{api_version}' is not supported. "
                f"Supported versions: {', '.join(API_VERSIONS)}.",
                "UnsupportedApiVersion",
            )
        job_id, documents, document_id = route
        handlers: dict[str, Callable[[], Reply]]
        if job_id is None:
            handlers = {
                "GET": lambda: self._list_translations(request),
                "POST": lambda: self._start_translation(request, api_version),
            }
        elif not documents:
            handlers = {
                "GET": lambda: self._get_translation_status(job_id),
                "DELETE": lambda: self._cancel_translation(job_id),
            }
        elif document_id is None:
            handlers = {"GET": lambda: self._list_documents(request, job_id)}
        else:
            handlers = {"GET": lambda: self._get_document_status(request, job_id, document_id)}
        handler = handlers.get(request.method)
        if handler is None:
            reply = service_error(
                405,
                "InvalidRequest",
                f"Method {request.method} is not allowed here.",
                "MethodNotAllowed",
            )
            reply.headers["Allow"] = ", ".join(handlers)
            return reply
        with self._lock:
            try:
                reply = handler()
            except _BadRequest as bad:
                reply = service_error(400, "InvalidArgument", bad.message, bad.inner_code)
            except _NotFound:
                reply = service_error(
                    404,
                    "ResourceNotFound",
                    "Cannot find the requested translation operation.",
                    "NotFound",
                )
            job = None if job_id is None else self.jobs.get(job_id.lower())
            if job is not None and job.request_id is not None:
                reply.headers.update(dict.fromkeys(REQUEST_ID_HEADERS, job.request_id))
            return reply

    def file_content(self, job_id: str, name: str) -> bytes | None:
        """Bytes behind a Succeeded document's `path`."""
        document_id = name.split(".", 1)[0].lower()
        with self._lock:
            job = self.jobs.get(job_id.lower())
            if job is None:
                return None
            for doc, status in self._document_states(job, job.lifecycle.status(self.clock())):
                if status == "Succeeded" and (doc.id or "").lower() == document_id:
                    text = f"batchstat emulator: {doc.source_url} -> {doc.target_language}\n"
                    return text.encode("utf-8")
            return None

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        if fault.kind == "bad_json":
            body = b"<html><body>Bad Gateway</body></html>"  # labelled JSON, is not
            return Reply(502, body, JSON_CONTENT_TYPE)
        status = fault.status or 500
        if status == 401:
            reply = json_reply(401, APIM_UNAUTHORIZED)
        else:
            fallback = (
                ("InternalServerError", "Internal Server Error", "InternalServerError")
                if status >= 500
                else ("InvalidRequest", "The request is invalid.", "InvalidRequest")
            )
            code, message, inner_code = HTTP_FAULT_ERRORS.get(status, fallback)
            if fault.code is not None:
                code = str(fault.code)
            reply = service_error(status, code, message, inner_code)
        if fault.retry_after is not None:
            reply.headers["Retry-After"] = fault.retry_after
        return reply

    # --- auth ---

    def _authorized(self, request: Request) -> bool:
        key = request.headers.get("ocp-apim-subscription-key")
        if key is not None and key in self.keys:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.bearer_tokens

    # --- operations ---

    def _get_translation_status(self, job_id: str) -> Reply:
        job = self._job(job_id)
        now = self.clock()
        payload = self._translation_status(job, now)
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = {"ETag": f'"{hashlib.sha1(body).hexdigest()[:32]}"'}
        if job.retry_after is not None:
            headers["Retry-After"] = str(job.retry_after)
        job.lifecycle.record_poll(now)  # only this call moves poll-driven lives
        return Reply(200, body, JSON_CONTENT_TYPE, headers)

    def _cancel_translation(self, job_id: str) -> Reply:
        job = self._job(job_id)
        now = self.clock()
        status = job.lifecycle.status(now)
        if status in TERMINAL_JOB_STATUSES:
            return service_error(
                400,
                "InvalidRequest",
                f"The translation job cannot be cancelled because it is already {status}.",
                "OperationNotCancellable",
            )
        if status != "Cancelling":
            job.cancel_requested = True
            job.lifecycle.replace_remaining(self.cancel_stages, now)
        return json_reply(200, self._translation_status(job, now))

    def _list_translations(self, request: Request) -> Reply:
        now = self.clock()
        items = []
        for job in self.jobs.values():
            payload = self._translation_status(job, now)
            items.append(
                _ListedItem(
                    job.id,
                    payload["status"],
                    job.created_at,
                    job.lifecycle.entered_at(now),
                    partial(dict, payload),
                )
            )
        return self._page(request, items)

    def _list_documents(self, request: Request, job_id: str) -> Reply:
        job = self._job(job_id)
        now = self.clock()
        last_action = job.lifecycle.entered_at(now)
        # A client pages through the same listing: build it once per job state.
        key = (job.lifecycle.status(now), last_action, request.base_url, len(job.documents))
        cached = self._listings.get(job.id)
        if cached is None or cached[0] != key:
            items = [
                _ListedItem(doc.id or "", doc_status, job.created_at, last_action, render)
                for doc, doc_status, render in self._document_renderers(job, now, request.base_url)
            ]
            cached = self._listings[job.id] = (key, items)
        return self._page(request, cached[1])

    def _get_document_status(self, request: Request, job_id: str, document_id: str) -> Reply:
        job = self._job(job_id)
        for view in self._document_views(job, self.clock(), request.base_url):
            if view["id"].lower() == document_id.lower():
                return json_reply(200, view)
        return service_error(
            404,
            "ResourceNotFound",
            "Cannot find the requested document.",
            "DocumentNotFound",
            target="Document",
        )

    def _start_translation(self, request: Request, api_version: str) -> Reply:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return service_error(
                400, "InvalidRequest", "The request body is not valid JSON.", "InvalidArgument"
            )
        documents = self._documents_from_inputs(body)
        if documents:
            stages = self.created_job_stages or default_created_job_stages(documents)
            error = None
        else:
            stages = [Stage("NotStarted", seconds=1), Stage("ValidationFailed")]
            error = NO_DOCUMENTS_ERROR
        job = self._create_job(documents, stages, None)
        job.error = error
        job.retry_after = self.created_job_retry_after
        location = f"{request.base_url}{BATCHES_PATH}/{job.id}?api-version={api_version}"
        return Reply(202, b"", None, {"Operation-Location": location})

    def _documents_from_inputs(self, body: Any) -> list[AzureDocument]:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise _BadRequest("The request has no inputs.", "InvalidInputs")
        documents: list[AzureDocument] = []
        for position, entry in enumerate(inputs):
            source = entry.get("source") if isinstance(entry, dict) else None
            source_url = source.get("sourceUrl") if isinstance(source, dict) else None
            if not isinstance(source_url, str) or not source_url:
                raise _BadRequest(
                    f"inputs[{position}].source.sourceUrl is required.", "InvalidSourceUrl"
                )
            targets = entry.get("targets")
            if not isinstance(targets, list) or not targets:
                raise _BadRequest(f"inputs[{position}].targets is required.", "InvalidTargets")
            languages = []
            for number, target in enumerate(targets):
                if not isinstance(target, dict) or not target.get("targetUrl"):
                    raise _BadRequest(
                        f"inputs[{position}].targets[{number}].targetUrl is required.",
                        "InvalidTargetUrl",
                    )
                if not target.get("language"):
                    raise _BadRequest(
                        f"inputs[{position}].targets[{number}].language is required.",
                        "InvalidTargetLanguage",
                    )
                languages.append(str(target["language"]))
            assert isinstance(source, dict)
            source_urls = self._source_documents(source_url, entry.get("storageType"), source)
            documents += [
                AzureDocument.from_url(url, lang) for lang in languages for url in source_urls
            ]
        return documents

    def _source_documents(
        self, source_url: str, storage_type: Any, source: dict[str, Any]
    ) -> list[str]:
        """One URL for a File source; a container's registered or synthetic blobs otherwise."""
        if str(storage_type or "Folder").lower() == "file":
            return [source_url]
        container = _without_query(source_url)
        names = ["doc1.docx", "doc2.docx", "doc3.docx"]  # when nothing was registered
        for prefix, registered in reversed(self._containers):
            if container.startswith(prefix):
                names = registered
                break
        name_filter = source.get("filter") or {}
        prefix_filter = str(name_filter.get("prefix") or "")
        suffix_filter = str(name_filter.get("suffix") or "")
        return [
            f"{container}/{name}"
            for name in names
            if name.startswith(prefix_filter) and name.endswith(suffix_filter)
        ]

    # --- rendering ---

    def _translation_status(self, job: AzureJob, now: float) -> dict[str, Any]:
        status = job.lifecycle.status(now)
        states = self._document_states(job, status)
        counts = Counter(doc_status for _, doc_status in states)
        created, last_action = _timestamps(job, now)
        payload: dict[str, Any] = {
            "id": job.id,
            "createdDateTimeUtc": created,
            "lastActionDateTimeUtc": last_action,
            "status": status,
            "summary": {
                "total": len(states),
                "failed": counts["Failed"] + counts["ValidationFailed"],
                "success": counts["Succeeded"],
                "inProgress": counts["Running"] + counts["Cancelling"],
                "notYetStarted": counts["NotStarted"],
                "cancelled": counts["Cancelled"],
                "totalCharacterCharged": sum(
                    doc.characters for doc, doc_status in states if doc_status == "Succeeded"
                ),
            },
        }
        if status == "ValidationFailed":
            payload["error"] = job.error or DEFAULT_VALIDATION_ERROR
        elif status == "Failed" and job.error is not None:
            payload["error"] = job.error
        return payload

    def _document_states(self, job: AzureJob, job_status: str) -> list[tuple[AzureDocument, str]]:
        """Each document's status given its job's status."""
        if job_status == "ValidationFailed":
            return []  # the job never got as far as documents
        if job_status in ("NotStarted", "Running"):
            return [(doc, job_status) for doc in job.documents]
        if job_status in ("Cancelling", "Cancelled"):
            return [
                (
                    doc,
                    doc.status
                    if doc.status in FINISHED_DOCUMENT_STATUSES and not job.cancel_requested
                    else "Cancelled",
                )
                for doc in job.documents
            ]
        return [(doc, doc.status) for doc in job.documents]

    def _document_views(self, job: AzureJob, now: float, base_url: str) -> list[dict[str, Any]]:
        return [view() for _, _, view in self._document_renderers(job, now, base_url)]

    def _document_renderers(
        self, job: AzureJob, now: float, base_url: str
    ) -> list[tuple[AzureDocument, str, Callable[[], dict[str, Any]]]]:
        """Each document with its status and a function building its JSON view.

        Views are built only for the page being answered: listing 10,000 documents page by
        page would otherwise cost the emulator O(n^2) and measure it instead of the client.
        """
        status = job.lifecycle.status(now)
        created, last_action = _timestamps(job, now)

        def render(doc: AzureDocument, doc_status: str) -> dict[str, Any]:
            view: dict[str, Any] = {}
            if doc.path is not None:
                view["path"] = doc.path
            elif doc_status == "Succeeded":
                extension = _extension(doc.source_url)
                view["path"] = f"{base_url}/files/azure/{job.id}/{doc.id}{extension}"
            view.update(
                {
                    "sourcePath": doc.source_url,
                    "createdDateTimeUtc": created,
                    "lastActionDateTimeUtc": last_action,
                    "status": doc_status,
                    "to": doc.target_language,
                    "progress": {"Running": 0.5, "Succeeded": 1.0, "Failed": 1.0}.get(
                        doc_status, 0.0
                    ),
                    "id": doc.id,
                    "characterCharged": doc.characters if doc_status == "Succeeded" else 0,
                }
            )
            if doc_status == "Failed":
                view["error"] = doc.error or DEFAULT_DOCUMENT_ERROR
            return view

        return [
            (doc, doc_status, partial(render, doc, doc_status))
            for doc, doc_status in self._document_states(job, status)
        ]

    # --- lists and paging (api-spec §2.4, §4.2.5-6) ---

    def _page(self, request: Request, items: list[_ListedItem]) -> Reply:
        query = self._list_query(request.query)
        selected = [item for item in items if _selected(item, query)]
        selected.sort(
            key=lambda item: item.last_action_at if query.order_by_last_action else item.created_at,
            reverse=query.descending,  # sort is stable either way, so ties keep their order
        )
        end = None if query.top is None else query.skip + query.top
        window = selected[query.skip : end]
        page = window[: query.page_size]
        body: dict[str, Any] = {"value": [item.render() for item in page]}
        if self.next_link_mode not in NEXT_LINK_MODES:
            raise ValueError(f"next_link_mode must be one of {NEXT_LINK_MODES}")
        if len(window) > len(page) or self.next_link_mode != "normal":
            link = self._next_link(request, query, len(page))
            if self.next_link_key not in NEXT_LINK_KEYS:
                raise ValueError(f"next_link_key must be one of {NEXT_LINK_KEYS}")
            if self.next_link_key in ("nextLink", "both"):
                body["nextLink"] = link
            if self.next_link_key in ("@nextLink", "both"):
                body["@nextLink"] = link
        return json_reply(200, body)

    def _next_link(self, request: Request, query: _ListQuery, consumed: int) -> str:
        endless = self.next_link_mode == "endless"
        # Endless: a whole page further each time, so every link differs even past the end.
        params: dict[str, str] = {
            "$skip": str(query.skip + (query.page_size if endless else consumed))
        }
        if query.top is not None and not endless:  # a shrinking $top would end the chain
            params["$top"] = str(max(query.top - consumed, 0))
        params["$maxpagesize"] = str(query.page_size)
        params.update(query.carried_filters)
        params["api-version"] = request.query.get("api-version", API_VERSIONS[0])
        encoded = urlencode(params, safe=",$:", quote_via=quote)
        base = request.base_url
        if self.next_link_mode == "foreign":
            base = self.foreign_base_url or _foreign_base(request.base_url)
        return f"{base.rstrip('/')}{request.path}?{encoded}"

    def _list_query(self, raw: Mapping[str, str]) -> _ListQuery:
        # Accept top and $top, orderby and $orderBy, ... (the SDK and the docs disagree).
        options = {name.lstrip("$").lower(): value for name, value in raw.items()}
        top = _int_option(options, "top", minimum=0)
        skip = _int_option(options, "skip", minimum=0) or 0
        page_size = _int_option(options, "maxpagesize", minimum=1)
        if page_size is not None and page_size > MAX_PAGE_SIZE:
            raise _BadRequest(f"maxpagesize must not exceed {MAX_PAGE_SIZE}.", "InvalidPageSize")
        carried: dict[str, str] = {}
        ids = statuses = None
        if options.get("ids"):
            carried["ids"] = options["ids"]
            ids = frozenset(
                part.strip().lower() for part in options["ids"].split(",") if part.strip()
            )
        if options.get("statuses"):
            carried["statuses"] = options["statuses"]
            statuses = frozenset(
                normalize_status(part.strip())
                for part in options["statuses"].split(",")
                if part.strip()
            )
        created_start = created_end = None
        if options.get("createddatetimeutcstart"):
            carried["createdDateTimeUtcStart"] = options["createddatetimeutcstart"]
            created_start = parse_datetime(options["createddatetimeutcstart"])
        if options.get("createddatetimeutcend"):
            carried["createdDateTimeUtcEnd"] = options["createddatetimeutcend"]
            created_end = parse_datetime(options["createddatetimeutcend"])
        by_last_action, descending = False, True  # the service's default order
        if options.get("orderby"):
            carried["$orderBy"] = options["orderby"]
            by_last_action, descending = _order_by(options["orderby"])
        return _ListQuery(
            top=top,
            skip=skip,
            page_size=page_size or self.page_size,
            ids=ids,
            statuses=statuses,
            created_start=created_start,
            created_end=created_end,
            order_by_last_action=by_last_action,
            descending=descending,
            carried_filters=carried,
        )

    # --- store ---

    def _job(self, job_id: str) -> AzureJob:
        job = self.jobs.get(job_id.lower())
        if job is None:
            raise _NotFound()
        return job

    def _create_job(
        self, documents: Sequence[AzureDocument], stages: Sequence[Stage], job_id: str | None
    ) -> AzureJob:
        now = self.clock()
        job = AzureJob(
            id=job_id or str(uuid.uuid4()),
            documents=[replace(doc, id=doc.id or str(uuid.uuid4())) for doc in documents],
            lifecycle=Lifecycle(
                [replace(stage, status=normalize_status(stage.status)) for stage in stages], now
            ),
            created_at=now,
        )
        self.jobs[job.id.lower()] = job
        return job


def _timestamps(job: AzureJob, now: float) -> tuple[str, str]:
    """(createdDateTimeUtc, lastActionDateTimeUtc) as shown: the seeded text, else the clock's."""
    created = job.created_date_time_utc
    last_action = job.last_action_date_time_utc
    return (
        iso_utc_7(job.created_at) if created is None else created,
        iso_utc_7(job.lifecycle.entered_at(now)) if last_action is None else last_action,
    )


def _foreign_base(base_url: str) -> str:
    """The emulator's port on 127.0.0.2, so a second emulator bound there can see who comes."""
    port = urlsplit(base_url).port or 80
    return f"http://{FOREIGN_HOST}:{port}"


def _selected(item: _ListedItem, query: _ListQuery) -> bool:
    if query.ids is not None and item.id.lower() not in query.ids:
        return False
    if query.statuses is not None and item.status not in query.statuses:
        return False
    if query.created_start is not None and item.created_at < query.created_start:
        return False
    return query.created_end is None or item.created_at <= query.created_end


def _int_option(options: Mapping[str, str], name: str, minimum: int) -> int | None:
    text = options.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer.", "InvalidArgument") from None
    if value < minimum:
        raise _BadRequest(f"{name} must be at least {minimum}.", "InvalidArgument")
    return value


def _order_by(text: str) -> tuple[bool, bool]:
    """(by lastActionDateTimeUtc, descending) from e.g. "createdDateTimeUtc desc"."""
    first = text.split(",")[0].split()
    field = first[0].lower() if first else ""
    direction = first[1].lower() if len(first) > 1 else "asc"
    if field not in ("createddatetimeutc", "lastactiondatetimeutc") or direction not in (
        "asc",
        "desc",
    ):
        raise _BadRequest(f"Unsupported orderby '{text}'.", "InvalidOrderBy")
    return field == "lastactiondatetimeutc", direction == "desc"


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def parse_datetime(text: str) -> float:
    """Epoch seconds from the ISO 8601 variants clients send (any fraction, Z or offset)."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise _BadRequest(f"'{text}' is not an ISO 8601 date-time.", "InvalidDateTime")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:
        raise _BadRequest(f"'{text}' is not a valid date-time.", "InvalidDateTime") from None
    if fraction:
        moment += timedelta(seconds=float(f"0.{fraction}"))
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.timestamp()


def _route(path: str) -> tuple[str | None, bool, str | None] | None:
    """(job id, documents?, document id) for a batches path, else None."""
    if path.rstrip("/") == BATCHES_PATH:
        return None, False, None
    if not path.startswith(BATCHES_PATH + "/"):
        return None
    parts = [unquote(part) for part in path[len(BATCHES_PATH) + 1 :].rstrip("/").split("/")]
    if len(parts) == 1 and parts[0]:
        return parts[0], False, None
    if len(parts) in (2, 3) and parts[1] == "documents" and all(parts):
        return parts[0], True, parts[2] if len(parts) == 3 else None
    return None


def _without_query(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/")


def _file_name(url: str) -> str:
    return _without_query(url).rsplit("/", 1)[-1]


def _extension(url: str) -> str:
    name = _file_name(url)
    return name[name.rindex(".") :] if "." in name else ".txt"
