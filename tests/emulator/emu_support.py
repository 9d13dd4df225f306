"""Helpers for the emulator's tests: SDK clients pointed at an emulator, raw HTTP, and an
independent RPC v1 signer (api-spec §1.5, written from the spec rather than from the emulator
code) for hand-made requests (replays, skewed timestamps) and for cross-checking SDK and emulator.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from batchstat.emulator import Emulator

AK_ID = "LTAI5tEmulatorKeyId"
AK_SECRET = "emulator-secret"
AZURE_KEY = "emulator-key"
STS_AK_ID = "STS.EmulatorTemporaryKey"
STS_SECRET = "sts-secret"
STS_TOKEN = "sts-token-value"
NO_PROXY = {"http": None, "https": None}  # aliyunsdkcore ignores NO_PROXY (api-spec §1.4)


# --- Alibaba ---


def make_acs_client(
    access_key_id: str = AK_ID, secret: str = AK_SECRET, **kwargs: Any
) -> AcsClient:
    return AcsClient(access_key_id, secret, "cn-hangzhou", proxy=NO_PROXY, **kwargs)


def alimt_request(
    emu: Emulator, action: str, params: dict[str, str] | None = None, method: str = "GET"
) -> CommonRequest:
    """A CommonRequest for the emulator; GET puts params in the query, POST in the form body."""
    domain = emu.base_url.removeprefix("http://")
    request = CommonRequest(domain=domain, version="2018-10-12", action_name=action)
    request.set_method(method)
    for name, value in (params or {}).items():
        if method == "POST":
            request.add_body_params(name, value)
        else:
            request.add_query_param(name, value)
    return request


AlimtCall = Callable[..., dict[str, Any]]


def percent(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def hand_sign(method: str, params: dict[str, str], secret: str) -> tuple[str, str]:
    """(signature, string to sign), straight from the spec's reference verifier."""
    canonical = "&".join(
        percent(k) + "=" + percent(v) for k, v in sorted(params.items()) if k != "Signature"
    )
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode(), to_sign


def signed_params(
    action: str,
    extra: dict[str, str],
    *,
    when: float,
    access_key_id: str = AK_ID,
    secret: str = AK_SECRET,
    nonce: str | None = None,
    method: str = "GET",
) -> dict[str, str]:
    params = {
        "Action": action,
        "Version": "2018-10-12",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureType": "",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
        **extra,
    }
    params["Signature"] = hand_sign(method, params, secret)[0]
    return params


def send_raw(
    base_url: str,
    path_and_query: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Plain urllib (no proxies): (status, headers, body), also for error statuses."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        base_url + path_and_query, data=body, method=method, headers=headers or {}
    )
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextlib.contextmanager
def raw_get(
    base_url: str, path: str, headers: dict[str, str] | None = None, timeout: float = 5.0
) -> Iterator[http.client.HTTPResponse]:
    """A GET with http.client: the response as soon as its head arrived, body still unread."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        try:
            yield response
        finally:
            response.close()  # else the socket stays open under the response
    finally:
        connection.close()


def raw_header(response: http.client.HTTPResponse, name: str) -> bytes:
    """A header's bytes as sent (http.client decodes them as latin-1)."""
    value = response.getheader(name)
    assert value is not None, f"no {name} header"
    return value.encode("latin-1")


def send_signed(base_url: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    status, _, body = send_raw(base_url, "/?" + query)
    return status, json.loads(body)


# --- Azure ---


def make_azure_client(
    emu: Emulator, key: str = AZURE_KEY, **kwargs: Any
) -> DocumentTranslationClient:
    return DocumentTranslationClient(emu.base_url, AzureKeyCredential(key), **kwargs)


def raw_json_hook(sink: dict[str, Any]) -> Callable[[Any], None]:
    """raw_response_hook that keeps the last response's headers and JSON body in `sink`."""

    def hook(pipeline_response: Any) -> None:
        http_response = pipeline_response.http_response
        sink["headers"] = dict(http_response.headers)
        sink["status"] = http_response.status_code
        text = http_response.text()
        sink["json"] = json.loads(text) if text else None

    return hook


def error_response(error: HttpResponseError) -> Any:
    """The HTTP response behind an SDK error (always present for answers from the emulator)."""
    assert error.response is not None
    return error.response
