"""Alibaba Cloud Machine Translation (alimt, RPC API 2018-10-12) emulator.

Checks each request the way the POP gateway does (api-spec §1.5, §1.6, §4.1): Action and
Version, the common parameters, Timestamp, AccessKeyId, STS token, HMAC-SHA1 signature and nonce
replay. Then it runs TranslateImageBatch or GetTranslateImageBatchResult against an in-memory
job store. Answers are always JSON (the SDK always asks for JSON; XML is not emulated).
"""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import hmac
import json
import re
import struct
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from .clock import Clock
from .faults import Fault
from .lifecycle import Lifecycle, Stage
from .wire import Reply, Request, json_reply

API_VERSION = "2018-10-12"
ACTIONS = ("TranslateImageBatch", "GetTranslateImageBatchResult")
COMMON_PARAMS = (
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Signature",
)
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
MAX_TIMESTAMP_SKEW = 15 * 60.0
NONCE_MEMORY = 15 * 60.0  # at least the timestamp window, or a replay could slip through
CUSTOM_TASK_ID_WINDOW = 3 * 60.0
MAX_IMAGES_PER_BATCH = 20
DEFAULT_HOST_ID = "mt.cn-hangzhou.aliyuncs.com"

BUSINESS_ERRORS: dict[int, tuple[str, str]] = {
    101: ("System.RequestTimeOut", "The request has timed out."),
    102: ("System.Error", "A system error occurred."),
    103: (
        "System.UrlDecodingError",
        "An error occurred while decoding the URL. Verify that the specified URL is encoded.",
    ),
    104: ("System.ParameterError", "Some required parameters are missing."),
    105: ("System.LanguageNotSupported", "The specified language pair is not supported."),
    106: ("System.LanguageDetectError", "An error occurred while detecting the language."),
    107: ("System.TranslateError", "An error occurred while translating."),
    108: ("System.StringTooLong", "The maximum length of the specified string is exceeded."),
    110: ("System.AccountNotActivated", "The account has not activated the service."),
    111: ("System.SubServiceFailed", "Sub-account service failed."),
    112: ("System.TranslateServiceCallFailed", "Failed to call the translation service."),
    113: (
        "System.AccountNotActivatedOrInArrears",
        "The service is not activated or the account has an outstanding balance.",
    ),
}
# The five-digit twins of the published errorCodes (1000N <-> 10N, 1001N <-> 11N), and the
# two codes without a three-digit twin.
BUSINESS_ERRORS.update({10000 + code - 100: entry for code, entry in list(BUSINESS_ERRORS.items())})
BUSINESS_ERRORS[10009] = ("System.SubAccountNoPermission", "The sub-account has no permission.")
BUSINESS_ERRORS[19999] = ("System.UnknownError", "An unknown error occurred.")

GATEWAY_ERRORS: dict[str, tuple[int, str]] = {
    "SignatureDoesNotMatch": (400, "Specified signature is not matched with our calculation."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "InvalidAccessKeyId.Inactive": (400, "Specified access key is disabled."),
    "InvalidTimeStamp.Format": (
        400,
        "Specified time stamp or date value is not well formatted.",
    ),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidApi.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "InvalidVersion": (404, "Specified parameter Version is not valid."),
    "MissingSecurityToken": (400, "SecurityToken is mandatory for this action."),
    "InvalidSecurityToken.MismatchWithAccessKey": (
        400,
        "Specified SecurityToken mismatch with the AccessKey.",
    ),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "Throttling": (400, "Request was denied due to request throttling."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
    "ServiceUnavailable": (
        503,
        "The request has failed due to a temporary failure of the server.",
    ),
}

# Error code an injected "http" fault uses for its status, unless the fault names one.
HTTP_FAULT_CODES = {
    400: "Throttling.User",
    404: "InvalidAccessKeyId.NotFound",
    500: "InternalError",
    503: "ServiceUnavailable",
}


# --- signature (api-spec §1.5) ---------------------------------------------------------------


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of UTF-8: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text, safe="-_.~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """The v1 string to sign; every param but Signature takes part, empty values included."""
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def compute_signature(text_to_sign: str, secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), text_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def request_params(request: Request) -> dict[str, str]:
    """Query merged with the form body; the SDK signs both, and body values win on clashes."""
    params = dict(request.query)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.body and content_type == "application/x-www-form-urlencoded":
        text = request.body.decode("utf-8", "replace")
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def business_message(code: int) -> str:
    """`System.Name: text` for a business code (101-113 or a five-digit twin), so both
    spellings from the docs show up."""
    name, text = BUSINESS_ERRORS.get(code, ("System.Error", "A system error occurred."))
    return f"{name}: {text}"


# --- job store ---------------------------------------------------------------------------------


@dataclass
class AlibabaImage:
    """One image of a batch and how its translation ends.

    A failed image left at Code 200 gets Code 107 (System.TranslateError) instead.
    `final_url` and `inpainting_url` replace the emulator's own result URLs, verbatim.
    """

    source_url: str
    success: bool = True
    code: int = 200
    message: str = "OK"
    final_url: str | None = None
    inpainting_url: str | None = None

    def __post_init__(self) -> None:
        if not self.success and self.code == 200:
            self.code = 107
            if self.message == "OK":
                self.message = business_message(107)

    @classmethod
    def from_url(cls, url: str) -> AlibabaImage:
        """A plain URL succeeds, unless it contains "fail"."""
        return cls(url, success="fail" not in url.lower())


@dataclass
class AlibabaJob:
    task_id: str
    images: list[AlibabaImage]  # unique by source_url, in submission order
    lifecycle: Lifecycle
    created_at: float
    code_as_string: bool = False
    editor_data: bool = True  # Ext needEditorData: InPaintingUrl and TemplateJson
    source_language: str | None = None
    target_language: str | None = None
    field: str = "general"
    request_id: str | None = None  # RequestId of every poll answer; None: a new UUID each


def default_stages() -> list[Stage]:
    return [Stage("created", polls=1), Stage("running", polls=1), Stage("finished")]


def default_created_job_stages() -> list[Stage]:
    return [Stage("created", seconds=1), Stage("running", seconds=2), Stage("finished")]


class AlibabaEmulator:
    """State and request handling for the alimt side of the emulator."""

    def __init__(
        self,
        clock: Clock,
        credentials: Mapping[str, str],
        sts: Mapping[str, tuple[str, str]] | None = None,
        result_retention: float = 3600.0,
    ) -> None:
        self.clock = clock
        self.credentials = dict(credentials)  # AccessKeyId -> secret
        self.sts = dict(sts or {})  # temporary AccessKeyId -> (secret, SecurityToken)
        self.result_retention = result_retention
        self.jobs: dict[str, AlibabaJob] = {}
        # None turns the check off, e.g. when a FakeClock runs far from the SDK's real clock.
        self.max_timestamp_skew: float | None = MAX_TIMESTAMP_SKEW
        # "business": HTTP 200 + Code 104; "gateway": HTTP 400 Missing<Name>.
        self.missing_param_style = "business"
        # Life of jobs made by TranslateImageBatch; None means created 1 s, running 2 s, finished.
        self.created_job_stages: list[Stage] | None = None
        self._lock = threading.RLock()
        self._nonces_seen: dict[tuple[str, str], float] = {}
        self._nonce_order: deque[tuple[float, tuple[str, str]]] = deque()
        self._custom_task_ids: dict[str, tuple[str, float]] = {}

    def add_job(
        self,
        images: Sequence[AlibabaImage | str],
        stages: Sequence[Stage] | None = None,
        task_id: str | None = None,
        code_as_string: bool = False,
        request_id: str | None = None,
    ) -> str:
        """Seed a job. Every string (stage statuses included) is answered verbatim."""
        with self._lock:
            job = self._create_job(images, stages or default_stages(), task_id)
            job.code_as_string = code_as_string
            job.request_id = request_id
            return job.task_id

    def status(self, task_id: str) -> str:
        """What a poll would see right now, without counting as a poll."""
        with self._lock:
            job = self.jobs.get(task_id)
            return "invalid" if job is None else self._visible_status(job, self.clock())

    def handle(self, request: Request) -> Reply:
        if request.path != "/" or request.method not in ("GET", "POST"):
            return self.gateway_error(request, "InvalidApi.NotFound")
        params = request_params(request)
        with self._lock:
            rejection = self._check_gateway(request, params)
            if rejection is not None:
                return rejection
            if params["Action"] == "TranslateImageBatch":
                return self._translate_image_batch(request, params)
            return self._get_translate_image_batch_result(request, params)

    def file_content(self, task_id: str, name: str) -> bytes | None:
        """The PNG behind a result URL, while the job's results are visible."""
        match = re.fullmatch(r"(\d+)(-inpainting)?\.png", name)
        with self._lock:
            job = self.jobs.get(task_id)
            if match is None or job is None:
                return None
            if self._visible_status(job, self.clock()) != "finished":
                return None
            number = int(match.group(1))
            if not 1 <= number <= len(job.images) or not job.images[number - 1].success:
                return None
            return tiny_png()

    # --- errors ---

    def gateway_error(
        self, request: Request, code: str, message: str | None = None, status: int | None = None
    ) -> Reply:
        """A POP gateway error: RequestId, HostId, Code, Message, Recommend."""
        known_status, known_message = GATEWAY_ERRORS.get(code, (400, code))
        request_id = new_request_id()
        body = {
            "RequestId": request_id,
            "HostId": request.headers.get("host", DEFAULT_HOST_ID),
            "Code": code,
            "Message": message if message is not None else known_message,
            "Recommend": (
                f"https://api.aliyun.com/troubleshoot?q={code}&product=alimt&requestId={request_id}"
            ),
        }
        return json_reply(status if status is not None else known_status, body)

    def business_error(self, code: int | str) -> Reply:
        """HTTP 200 with a non-200 Code, as alimt reports its 101-113 errors."""
        number = int(code) if str(code).isdigit() else 102
        body = {"RequestId": new_request_id(), "Code": code, "Message": business_message(number)}
        return json_reply(200, body)

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        if fault.kind == "business":
            return self.business_error(fault.code if fault.code is not None else 102)
        if fault.kind == "bad_json":
            # The SDK returns 2xx bodies untouched, so this reaches the CLI's own json.loads.
            return Reply(200, b'{"RequestId": "truncated', "application/json;charset=utf-8")
        status = fault.status or 500
        if isinstance(fault.code, str):
            code = fault.code
        else:
            code = HTTP_FAULT_CODES.get(status, "InternalError" if status >= 500 else "Throttling")
        reply = self.gateway_error(request, code, status=status)
        if fault.retry_after is not None:
            reply.headers["Retry-After"] = fault.retry_after
        return reply

    # --- gateway checks ---

    def _check_gateway(self, request: Request, params: dict[str, str]) -> Reply | None:
        for name in ("Action", "Version"):
            if not params.get(name):
                return self._missing(request, name)
        if params["Version"] != API_VERSION:
            return self.gateway_error(request, "InvalidVersion")
        if params["Action"] not in ACTIONS:
            return self.gateway_error(request, "InvalidApi.NotFound")
        for name in COMMON_PARAMS:
            if not params.get(name):
                return self._missing(request, name)
        if params["SignatureMethod"] != "HMAC-SHA1":
            return self._invalid(request, "SignatureMethod")
        if params["SignatureVersion"] != "1.0":
            return self._invalid(request, "SignatureVersion")
        now = self.clock()
        timestamp = params["Timestamp"]
        if not TIMESTAMP_PATTERN.fullmatch(timestamp):
            return self.gateway_error(request, "InvalidTimeStamp.Format")
        try:
            sent_at = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return self.gateway_error(request, "InvalidTimeStamp.Format")
        if self.max_timestamp_skew is not None and abs(now - sent_at) > self.max_timestamp_skew:
            return self.gateway_error(request, "InvalidTimeStamp.Expired")

        access_key_id = params["AccessKeyId"]
        if access_key_id in self.sts:
            secret, token = self.sts[access_key_id]
            sent_token = params.get("SecurityToken")
            if not sent_token:
                return self.gateway_error(request, "MissingSecurityToken")
            if not hmac.compare_digest(sent_token, token):
                return self.gateway_error(request, "InvalidSecurityToken.MismatchWithAccessKey")
        elif access_key_id in self.credentials:
            secret = self.credentials[access_key_id]
        else:
            return self.gateway_error(request, "InvalidAccessKeyId.NotFound")

        expected_string = string_to_sign(request.method, params)
        expected = compute_signature(expected_string, secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            # aliyunsdkcore splits this message on ":" and needs the part after it.
            message = (
                "Specified signature is not matched with our calculation. "
                f"server string to sign is:{expected_string}"
            )
            return self.gateway_error(request, "SignatureDoesNotMatch", message)

        # Checked after the signature, so a forged request cannot burn someone's nonce.
        if self._nonce_used(access_key_id, params["SignatureNonce"], now):
            return self.gateway_error(request, "SignatureNonceUsed")
        return None

    def _nonce_used(self, access_key_id: str, nonce: str, now: float) -> bool:
        while self._nonce_order and now - self._nonce_order[0][0] > NONCE_MEMORY:
            seen_at, key = self._nonce_order.popleft()
            if self._nonces_seen.get(key) == seen_at:
                del self._nonces_seen[key]
        key = (access_key_id, nonce)
        if key in self._nonces_seen:
            return True
        self._nonces_seen[key] = now
        self._nonce_order.append((now, key))
        return False

    def _missing(self, request: Request, name: str) -> Reply:
        return self.gateway_error(
            request, f"Missing{name}", f"{name} is mandatory for this action.", status=400
        )

    def _invalid(self, request: Request, name: str) -> Reply:
        return self.gateway_error(
            request, f"Invalid{name}", f"Specified parameter {name} is not valid.", status=400
        )

    def _missing_business_param(self, request: Request, name: str) -> Reply:
        if self.missing_param_style == "gateway":
            return self._missing(request, name)
        return self.business_error(104)

    # --- actions ---

    def _translate_image_batch(self, request: Request, params: dict[str, str]) -> Reply:
        for name in ("ImageUrls", "SourceLanguage", "TargetLanguage"):
            if not params.get(name):
                return self._missing_business_param(request, name)
        urls = [url.strip() for url in params["ImageUrls"].split(",") if url.strip()]
        if not urls or len(urls) > MAX_IMAGES_PER_BATCH:
            return self.business_error(104)
        editor_data = True
        if params.get("Ext"):
            try:
                ext = json.loads(params["Ext"])
            except ValueError:
                return self.business_error(104)
            if not isinstance(ext, dict):
                return self.business_error(104)
            editor_data = str(ext.get("needEditorData", "true")).lower() != "false"

        now = self.clock()
        custom_task_id = params.get("CustomTaskId")
        if custom_task_id:
            earlier = self._custom_task_ids.get(custom_task_id)
            if earlier and now - earlier[1] < CUSTOM_TASK_ID_WINDOW and earlier[0] in self.jobs:
                return self._submitted(earlier[0])
        job = self._create_job(
            [AlibabaImage.from_url(url) for url in urls],
            self.created_job_stages or default_created_job_stages(),
            None,
        )
        job.editor_data = editor_data
        job.source_language = params["SourceLanguage"]
        job.target_language = params["TargetLanguage"]
        job.field = "e-commerce" if params.get("Field") == "e-commerce" else "general"
        if custom_task_id:
            self._custom_task_ids[custom_task_id] = (job.task_id, now)
        return self._submitted(job.task_id)

    def _submitted(self, task_id: str) -> Reply:
        body = {
            "RequestId": new_request_id(),
            "Message": "OK",
            "Code": 200,
            "Data": {"TaskId": task_id},
        }
        return json_reply(200, body)

    def _get_translate_image_batch_result(self, request: Request, params: dict[str, str]) -> Reply:
        task_id = params.get("TaskId")
        if not task_id:
            return self._missing_business_param(request, "TaskId")
        job = self.jobs.get(task_id)
        status, results, as_string = "invalid", [], False
        request_id = new_request_id()
        if job is not None:
            request_id = _or(job.request_id, request_id)
            now = self.clock()
            status = self._visible_status(job, now)
            as_string = job.code_as_string
            if status == "finished":
                results = [
                    self._result_item(job, number, image, request.base_url)
                    for number, image in enumerate(job.images, start=1)
                ]
            job.lifecycle.record_poll(now)
        body = {
            "Code": "200" if as_string else 200,
            "Message": "OK",
            "RequestId": request_id,
            "Data": {"Status": status, "Result": results},
        }
        return json_reply(200, body)

    def _result_item(
        self, job: AlibabaJob, number: int, image: AlibabaImage, base_url: str
    ) -> dict[str, object]:
        item: dict[str, object] = {}
        if image.success:
            file_base = f"{base_url}/files/alibaba/{job.task_id}/{number}"
            if job.editor_data:
                item["InPaintingUrl"] = _or(image.inpainting_url, f"{file_base}-inpainting.png")
            item["FinalImageUrl"] = _or(image.final_url, f"{file_base}.png")
            if job.editor_data:
                item["TemplateJson"] = json.dumps(
                    {"TemplateJson": f"emulator template for image {number}"}
                )
        item["SourceImageUrl"] = image.source_url
        item["Code"] = str(image.code) if job.code_as_string else image.code
        item["Message"] = image.message
        item["Success"] = image.success
        return item

    def _visible_status(self, job: AlibabaJob, now: float) -> str:
        """The scripted status, except that results expire `result_retention` after finishing."""
        status = job.lifecycle.status(now)
        finished_at = job.lifecycle.first_entered_at("finished", now)
        if finished_at is not None and now >= finished_at + self.result_retention:
            return "invalid"
        return status

    def _create_job(
        self,
        images: Sequence[AlibabaImage | str],
        stages: Sequence[Stage],
        task_id: str | None,
    ) -> AlibabaJob:
        unique: dict[str, AlibabaImage] = {}
        for image in images:
            entry = AlibabaImage.from_url(image) if isinstance(image, str) else image
            unique.setdefault(entry.source_url, entry)  # a URL given twice is processed once
        now = self.clock()
        job = AlibabaJob(
            task_id=task_id or str(uuid.uuid4()).upper(),
            images=list(unique.values()),
            lifecycle=Lifecycle(stages, now),
            created_at=now,
        )
        self.jobs[job.task_id] = job
        return job


def _or(override: str | None, default: str) -> str:
    return default if override is None else override  # "" is a value a test may want


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


@functools.cache
def tiny_png() -> bytes:
    """A valid 1x1 white PNG (CRCs computed rather than pasted)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )
