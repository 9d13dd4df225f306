"""The emulator as a hostile server: redirects, huge, slow and broken answers, arbitrary bodies,
endless or foreign next links, and hostile strings, as a plain HTTP client receives them."""

from __future__ import annotations

import http.client
import itertools
import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.exceptions import AzureError
from emu_support import (
    AZURE_KEY,
    AlimtCall,
    alimt_request,
    make_acs_client,
    make_azure_client,
    raw_get,
    raw_header,
)

from batchstat.emulator import AlibabaImage, AzureDocument, Emulator, Fault, Stage

DOCS = "https://acct.blob.core.windows.net/src"
KEY = {"Ocp-Apim-Subscription-Key": AZURE_KEY}
HOSTILE = [
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 terminal hyperlink
    "[/x]",  # rich markup closing tag
    "[link=http://evil]x[/link]",  # rich markup link
    "\u202e",  # right-to-left override
]


def status_path(job_id: str) -> str:
    return f"/translator/document/batches/{job_id}?api-version=2024-05-01"


def documents_path(job_id: str) -> str:
    return f"/translator/document/batches/{job_id}/documents?api-version=2024-05-01"


def plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment
    return session


@pytest.fixture
def foreign() -> Iterator[Emulator]:
    """A second emulator on another loopback address, standing for a foreign host."""
    other = Emulator(host="127.0.0.2")
    try:
        other.start()
    except OSError:
        pytest.skip("127.0.0.2 is not a local address here")
    with other:
        yield other


def succeeded_job(emu: Emulator) -> str:
    return emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")])


# --- redirect ---


def test_redirect_answers_the_location_and_no_body(emu: Emulator) -> None:
    target = "http://127.0.0.2:9/translator/elsewhere?x=1"
    emu.faults.add(Fault(kind="redirect", location=target))
    emu.faults.add(Fault(kind="redirect", status=301, location="https://evil.example/"))

    with raw_get(emu.base_url, status_path("any"), KEY) as response:
        assert (response.status, response.getheader("Location")) == (307, target)
        assert response.getheader("Content-Length") == "0" and response.read() == b""
    with raw_get(emu.base_url, "/") as response:
        assert (response.status, response.getheader("Location")) == (301, "https://evil.example/")
    assert [(r.status, r.fault) for r in emu.requests] == [(307, "redirect"), (301, "redirect")]


def test_redirect_target_logs_what_the_sdk_sends_it(emu: Emulator, foreign: Emulator) -> None:
    job_id = succeeded_job(emu)
    foreign.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")], job_id=job_id)
    emu.faults.add(Fault(kind="redirect", location=foreign.base_url + status_path(job_id)))

    assert make_azure_client(emu, retry_total=0).get_translation_status(job_id).status

    (followed,) = foreign.requests  # a test can now check this for credentials
    assert followed.path == f"/translator/document/batches/{job_id}"
    assert followed.headers["Host"] == foreign.base_url.removeprefix("http://")


# --- huge ---


def test_huge_is_valid_json_of_the_exact_size(emu: Emulator) -> None:
    emu.faults.add(Fault(kind="huge", size=100))
    with raw_get(emu.base_url, "/") as response:
        body = response.read()
        assert response.status == 200 and response.getheader("Content-Length") == "100"
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
    assert len(body) == 100 and json.loads(body) == {"pad": "x" * 90}


def test_huge_is_streamed_not_built(emu: Emulator) -> None:
    size = 8 * 1024 * 1024
    emu.faults.add(Fault(provider="azure", kind="huge", size=size))
    received = 0
    tracemalloc.start()
    try:
        with raw_get(emu.base_url, status_path("any"), KEY) as response:
            assert response.getheader("Content-Length") == str(size)
            while chunk := response.read(64 * 1024):
                received += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert received == size
    assert peak < size // 8, peak  # neither side ever held the body whole


# --- trickle, stall ---


def test_trickle_sends_one_body_byte_per_delay(emu: Emulator) -> None:
    job_id = succeeded_job(emu)
    with raw_get(emu.base_url, status_path(job_id), KEY) as response:
        whole = response.read()
    emu.faults.add(Fault(kind="trickle", delay=0.02))

    started = time.monotonic()
    with raw_get(emu.base_url, status_path(job_id), KEY, timeout=1.0) as response:
        assert response.status == 200  # the head came at once
        assert response.getheader("Content-Length") == str(len(whole))
        first = b"".join(response.read(1) for _ in range(5))  # each read within its timeout
    assert first == whole[:5]
    assert time.monotonic() - started >= 4 * 0.02
    assert emu.requests[-1].fault == "trickle"


def test_stall_sends_the_head_then_nothing(emu: Emulator) -> None:
    emu.faults.add(Fault(kind="stall"))
    with raw_get(emu.base_url, "/", timeout=0.2) as response:
        assert response.status == 400 and response.getheader("Connection") == "close"
        with pytest.raises(TimeoutError):
            response.read(1)
    assert (emu.requests[-1].status, emu.requests[-1].fault) == (400, "stall")


@pytest.mark.parametrize(
    "fault", [Fault(kind="stall"), Fault(kind="trickle", delay=60)], ids=["stall", "trickle"]
)
def test_stop_ends_stalled_answers_at_once(fault: Fault) -> None:
    with Emulator() as emulator:  # stopped twice: in the test, then on the way out
        emulator.faults.add(fault)
        with raw_get(emulator.base_url, "/", timeout=5) as response:
            started = time.monotonic()
            emulator.stop()
            assert time.monotonic() - started < 1
            with pytest.raises(http.client.IncompleteRead):  # closed by the emulator, no timeout
                response.read()
            assert time.monotonic() - started < 1


# --- reset, truncate ---


def test_reset_after_the_head(emu: Emulator) -> None:
    job_id = succeeded_job(emu)
    emu.faults.add(Fault(kind="reset"))
    with raw_get(emu.base_url, status_path(job_id), KEY) as response:
        assert response.status == 200 and int(response.getheader("Content-Length") or 0) > 0
        with pytest.raises(ConnectionResetError):
            response.read()

    emu.faults.add(Fault(kind="reset"))
    with pytest.raises(AzureError):
        make_azure_client(emu, retry_total=0).get_translation_status(job_id)
    assert [r.fault for r in emu.requests] == ["reset", "reset"]


def test_truncate_sends_half_and_closes(emu: Emulator) -> None:
    job_id = succeeded_job(emu)
    with raw_get(emu.base_url, status_path(job_id), KEY) as response:
        whole = response.read()
    emu.faults.add(Fault(kind="truncate"))

    with raw_get(emu.base_url, status_path(job_id), KEY) as response:
        assert response.getheader("Content-Length") == str(len(whole))
        with pytest.raises(http.client.IncompleteRead) as caught:
            response.read()
    assert caught.value.partial == whole[: len(whole) // 2]
    assert caught.value.expected == len(whole) - len(whole) // 2

    emu.faults.add(Fault(kind="truncate"))
    with pytest.raises(AzureError):
        make_azure_client(emu, retry_total=0).get_translation_status(job_id)


# --- body ---


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        '{"Code": 200, "Data": {"Status": "finished", "Result": "not a list"}}',
        '{"summary": {"total": NaN, "failed": -Infinity}}',
        json.dumps({"status": HOSTILE[0]}, ensure_ascii=False) + HOSTILE[3],
        "",
    ],
)
def test_body_is_served_verbatim(emu: Emulator, body: str) -> None:
    emu.faults.add(Fault(kind="body", body=body))
    with raw_get(emu.base_url, status_path("any"), KEY) as response:
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
        assert response.read() == body.encode("utf-8")


def test_body_with_status_and_content_type(emu: Emulator) -> None:
    emu.faults.add(
        Fault(kind="body", status=404, body="gone", content_type="text/plain", retry_after="abc")
    )
    with raw_get(emu.base_url, "/") as response:
        assert (response.status, response.getheader("Content-Type")) == (404, "text/plain")
        assert (response.read(), response.getheader("Retry-After")) == (b"gone", "abc")


def test_body_reaches_the_alibaba_sdk_untouched(emu: Emulator) -> None:
    body = '{"Code": "200", "Data": {"Status": "finished", "Result": "oops"}}'
    emu.faults.add(Fault(provider="alibaba", kind="body", body=body))
    request = alimt_request(emu, "GetTranslateImageBatchResult", {"TaskId": "T"})
    assert make_acs_client().do_action_with_exception(request) == body.encode()


# --- Retry-After ---


@pytest.mark.parametrize(
    "value", ["abc", "-5", "inf", "1e309", "0", "Wed, 21 Oct 2015 07:28:00 GMT", "\u202e7"]
)
def test_retry_after_is_sent_verbatim(emu: Emulator, value: str) -> None:
    emu.faults.add(Fault(provider="azure", kind="http", status=429, retry_after=value))
    emu.faults.add(Fault(provider="alibaba", kind="http", status=503, retry_after=value))
    emu.faults.add(Fault(kind="html", status=503, retry_after=value))
    for path, headers, status in [
        (status_path("any"), KEY, 429),
        ("/", {}, 503),
        ("/", {}, 503),
    ]:
        with raw_get(emu.base_url, path, headers) as response:
            assert response.status == status
            assert raw_header(response, "Retry-After") == value.encode("utf-8")


# --- validation ---


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "redirect"},
        {"kind": "redirect", "location": "/relative"},
        {"kind": "redirect", "location": "http://x/", "status": 200},
        {"kind": "huge"},
        {"kind": "huge", "size": 9},
        {"kind": "trickle"},
        {"kind": "body"},
        {"kind": "http", "status": 429, "retry_after": "1\r\nSet-Cookie: x=y"},
        {"kind": "redirect", "location": "http://x/\nSet-Cookie: x=y"},
    ],
)
def test_new_fault_fields_are_checked(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**fields)


# --- Azure next links ---


def next_links(emu: Emulator, job_id: str, pages: int) -> list[str]:
    links, url = [], emu.base_url + documents_path(job_id)
    with plain_session() as session:
        for _ in range(pages):
            body = session.get(url, headers=KEY, timeout=5).json()
            url = body["nextLink"]
            links.append(url)
    return links


def test_endless_next_links_never_repeat(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx", f"{DOCS}/b.docx"], stages=[Stage("Succeeded")])
    emu.azure.next_link_mode = "endless"

    links = next_links(emu, job_id, 6)
    skips = [int(dict(parse_qsl(urlsplit(link).query))["$skip"]) for link in links]
    assert len(set(links)) == 6 and skips == sorted(set(skips))
    assert all(link.startswith(emu.base_url + "/translator/") for link in links)

    emu.requests_clear()
    pages = azure.list_document_statuses(job_id).by_page()
    assert sum(len(list(page)) for page in itertools.islice(pages, 5)) == 2  # then empty pages
    sent = [r.query.get("$skip") for r in emu.requests]
    assert len(sent) == 5 and len(set(sent)) == 5


def test_foreign_next_link(emu: Emulator, foreign: Emulator) -> None:
    job_id = succeeded_job(emu)  # one document: only the foreign mode gives it a next link
    emu.azure.next_link_mode = "foreign"
    port = emu.base_url.rsplit(":", 1)[1]
    assert next_links(emu, job_id, 1)[0].startswith(f"http://127.0.0.2:{port}/translator/")

    emu.azure.foreign_base_url = foreign.base_url
    (link,) = next_links(emu, job_id, 1)
    assert link.startswith(foreign.base_url + documents_path(job_id).split("?")[0] + "?")

    with pytest.raises(AzureError):  # the foreign host does not know the job
        list(make_azure_client(emu, retry_total=0).list_document_statuses(job_id))
    assert [r.path for r in foreign.requests] == [
        f"/translator/document/batches/{job_id}/documents"
    ]


# --- hostile strings ---


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_reach_an_alibaba_client_exactly(
    emu: Emulator, alimt: AlimtCall, text: str
) -> None:
    image = AlibabaImage(text, message=text, final_url=text, inpainting_url=text)
    finished = emu.alibaba.add_job([image], stages=[Stage("finished")], request_id=text)
    odd = emu.alibaba.add_job(["https://img.example/a.png"], stages=[Stage(text)])

    body = alimt("GetTranslateImageBatchResult", {"TaskId": finished})
    (item,) = body["Data"]["Result"]
    assert body["RequestId"] == text
    fields = ("SourceImageUrl", "Message", "FinalImageUrl", "InPaintingUrl")
    assert [item[name] for name in fields] == [text] * 4
    assert alimt("GetTranslateImageBatchResult", {"TaskId": odd})["Data"]["Status"] == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_reach_an_azure_client_exactly(emu: Emulator, text: str) -> None:
    inner = {"code": text, "message": text}
    error: dict[str, Any] = {"code": text, "message": text, "target": text, "innerError": inner}
    documents = [
        AzureDocument(text, status=text, id=text, path=text),
        AzureDocument(text, status="Failed", id=f"{text}2", error=error),
    ]
    failed = emu.azure.add_job(
        documents,
        stages=[Stage("Failed")],
        error=error,
        request_id=text,
        created_date_time_utc=text,
        last_action_date_time_utc=text,
    )
    odd = emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage(text)], request_id=text)

    answers = []
    for path in (status_path(failed), documents_path(failed), status_path(odd)):
        with raw_get(emu.base_url, path, KEY) as response:
            assert response.status == 200
            assert raw_header(response, "apim-request-id") == text.encode("utf-8")
            assert raw_header(response, "x-requestid") == text.encode("utf-8")
            answers.append(json.loads(response.read()))
    status, listing, odd_status = answers
    assert odd_status["status"] == text
    assert status["error"] == error
    assert status["createdDateTimeUtc"] == status["lastActionDateTimeUtc"] == text
    first, second = listing["value"]
    assert [first[k] for k in ("status", "id", "path", "sourcePath")] == [text] * 4
    assert first["createdDateTimeUtc"] == first["lastActionDateTimeUtc"] == text
    assert second["error"] == error and second["id"] == f"{text}2"

    client = make_azure_client(emu, retry_total=0)
    assert client.get_translation_status(odd).status == text
