"""batchstat against the clouds' own published material, served verbatim on loopback.

Each body comes from ``data/`` (provenance in ``SOURCES.md``): the Azure REST API
specification's examples across api versions, recordings of the Azure SDK's live test
traffic, and Alibaba's published OpenAPI metadata for ``GetTranslateImageBatchResult``.
The expected values below were read from those files by hand and are written as
literals. The 2024-05-01 examples name ids with stale keys (``translationId``,
``documentId``): batchstat reports the job id it was asked for, and reads either key for
documents.
"""

from __future__ import annotations

import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from server import ReplayServer, reply_headers

from batchstat.cli import run
from batchstat.hints import CODE_HINTS
from batchstat.runtime import Runtime

DATA = Path(__file__).parent / "data"
NOW = 1_700_000_000.0

# -- loading the published material ---------------------------------------------------


@dataclass
class Body:
    raw: bytes  # what the server sends
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def spec_example(name: str) -> Body:
    """The 200 response of an azure-rest-api-specs example file (body and headers)."""
    response = json.loads((DATA / name).read_text(encoding="utf-8"))["responses"]["200"]
    return Body(json.dumps(response["body"]).encode(), reply_headers(response["headers"]))


def list_item(name: str) -> Body:
    """The first TranslationStatus of a *list translations* example, as a status body."""
    response = json.loads((DATA / name).read_text(encoding="utf-8"))["responses"]["200"]
    return Body(json.dumps(response["body"]["value"][0]).encode(), {})


def recorded(name: str, index: int) -> Body:
    """Entry ``index`` of a recording excerpt of the Azure SDK's test suite."""
    entry = json.loads((DATA / name).read_text(encoding="utf-8"))["Entries"][index]
    return Body(json.dumps(entry["ResponseBody"]).encode(), reply_headers(entry["ResponseHeaders"]))


# -- running batchstat in-process -------------------------------------------------------


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    sleeps: list[float]

    @property
    def doc(self) -> dict[str, Any]:
        assert self.code == 0, f"exit {self.code}: {self.stderr}"
        return json.loads(self.stdout)


def batchstat(replay: ReplayServer, *argv: str) -> Result:
    env = {
        "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": replay.base_url,
        "AZURE_DOCUMENT_TRANSLATION_KEY": replay.azure_key,
        "BATCHSTAT_ALIBABA_ENDPOINT": replay.base_url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tReplayKeyId",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "replay-alibaba-secret",
    }
    out, err = io.StringIO(), io.StringIO()
    sleeps: list[float] = []
    runtime = Runtime(
        env=env,
        clock=lambda: NOW,
        sleep=sleeps.append,
        rng=random.Random(7),
        stdout=out,
        stderr=err,
        stdout_tty=False,
        stderr_tty=False,
        watch_workers=0,
    )
    code = run(list(argv), runtime)
    return Result(code, out.getvalue(), err.getvalue(), sleeps)


# -- Azure: what each example says, read by hand ---------------------------------------

SPEC_JOB = "727bf148-f327-47a0-9481-abae6362f11e"
SPEC_DOC_ID = "273622bd-835c-4946-9798-fd8f19f6bbf2"
SPEC_SUMMARY = {
    "total": 10,
    "succeeded": 9,
    "failed": 1,
    "running": 0,
    "pending": 0,
    "cancelled": 0,
    "characters_charged": 0,
    "characters_charged_documents": 0,
}
SPEC_ITEM = {
    "status": "Running",
    "ok": None,
    "source_url": "https://myblob.blob.core.windows.net/sourceContainer/fr/mydoc.txt",
    "result_url": "https://myblob.blob.core.windows.net/destinationContainer/fr/mydoc.txt",
    "error": None,
    "target_language": "fr",
    "progress": 0.1,
    "characters_charged": 0,
    "created": "2021-03-23T07:03:39.013631Z",
    "updated": "2021-03-23T07:03:41.012452Z",
}
REC1 = "azure-sdk-python-recording-test_list_statuses.excerpt.json"
REC2 = "azure-sdk-python-recording-test_existing_documents_in_target_one_valid.excerpt.json"
REC2_SRC = "https://fakeendpoint.blob.core.windows.net/srca11601ee-7ad7-468e-b1e7-8da1a652acb0"
REC2_DST = "https://fakeendpoint.blob.core.windows.net/target08332b95-2672-41a1-af5e-75404c2b71ec"


@dataclass
class Case:
    """One Azure job as published: its status body, its documents body, what they say."""

    status: Body
    documents: Body | None  # None: run with --no-documents
    job_id: str
    expected: dict[str, Any]  # top-level fields of the JSON document, id excepted
    expected_id: str
    items: list[dict[str, Any]] | None = None  # per item, id excepted
    item_ids: list[str] | None = None


def spec_case(operation: str, documents: str, **overrides: Any) -> Case:
    expected = {
        "provider": "azure",
        "status": "Succeeded",
        "state": "partially_succeeded",
        "terminal": True,
        "created": "2020-03-26T00:00:00Z",
        "updated": "2020-03-26T01:00:00Z",
        "summary": SPEC_SUMMARY,
        "error": None,
        "request_id": None,
    }
    expected.update(overrides.pop("expected", {}))
    return Case(
        status=spec_example(operation),
        documents=spec_example(documents),
        job_id=SPEC_JOB,
        expected=expected,
        expected_id=SPEC_JOB,
        items=[{**SPEC_ITEM, **overrides.pop("item", {})}],
        item_ids=[SPEC_DOC_ID],
        **overrides,
    )


CASES: dict[str, Case] = {
    # Get translation status (TypeSpec examples, 2024-05-01) + get documents status
    # (data-plane examples, stable/2024-05-01).
    "spec-2024-05-01": spec_case(
        "azure-spec-2024-05-01-typespec-operation.json", "azure-spec-2024-05-01-documents.json"
    ),
    "spec-2024-05-01-typespec": spec_case(
        "azure-spec-2024-05-01-typespec-operation.json",
        "azure-spec-2024-05-01-typespec-documents.json",
    ),
    "spec-v1.0": spec_case("azure-spec-v1.0-operation.json", "azure-spec-v1.0-documents.json"),
    "spec-v1.1": spec_case("azure-spec-v1.1-operation.json", "azure-spec-v1.1-documents.json"),
    "spec-2024-11-15-preview": spec_case(
        "azure-spec-2024-11-15-preview-operation.json",
        "azure-spec-2024-11-15-preview-documents.json",
    ),
    # No totalCharacterCharged in this status; the document reports 0: the count is unknown.
    "spec-v1.0-preview.1": spec_case(
        "azure-spec-v1.0-preview.1-operation.json",
        "azure-spec-v1.0-preview.1-documents.json",
        expected={"summary": {**SPEC_SUMMARY, "characters_charged": None}},
        item={"created": "2020-03-26T00:00:00Z", "updated": "2020-03-26T01:00:00Z"},
    ),
    # The TranslationStatus of the *list translations* example, served as a job's status.
    "spec-2024-05-01-list-item": Case(
        status=list_item("azure-spec-2024-05-01-operations.json"),
        documents=None,
        job_id="273622bd-835c-4946-9798-fd8f19f6bbf2",
        expected={
            "provider": "azure",
            "status": "Succeeded",
            "state": "partially_succeeded",
            "terminal": True,
            "created": "2021-03-23T07:03:30.013631Z",
            "updated": "2021-03-26T01:00:00Z",
            "summary": {
                **SPEC_SUMMARY,
                "characters_charged": 1000,
                "characters_charged_documents": None,  # no documents listed
            },
            "error": None,
            "request_id": None,
            "items": None,
        },
        expected_id="273622bd-835c-4946-9798-fd8f19f6bbf2",
    ),
    # Live traffic recorded by azure-sdk-for-python's tests (v1.0 service, 2022-01-25).
    "recording-list-statuses": Case(
        status=recorded(REC1, 0),
        documents=recorded(REC1, 1),
        job_id="b462ccd4-bcba-47a3-9a84-d15c579e0045",
        expected={
            "provider": "azure",
            "status": "Succeeded",
            "state": "succeeded",
            "terminal": True,
            "created": "2022-01-25T22:46:28.791852Z",
            "updated": "2022-01-25T22:46:37.285332Z",
            "summary": {
                "total": 1,
                "succeeded": 1,
                "failed": 0,
                "running": 0,
                "pending": 0,
                "cancelled": 0,
                "characters_charged": 17,
                "characters_charged_documents": 17,
            },
            "error": None,
            "request_id": "592d4963-52af-40e7-8e95-ec57835a87d3",
        },
        expected_id="b462ccd4-bcba-47a3-9a84-d15c579e0045",
        items=[
            {
                "status": "Succeeded",
                "ok": True,
                "source_url": "https://fakeendpoint.blob.core.windows.net/"
                "src218942cc-5519-418c-9659-07720676fc79/c026884e-63c3-4d68-8947-d07c9ff9aaaf.txt",
                "result_url": "https://fakeendpoint.blob.core.windows.net/"
                "targeta68a6dea-1124-4fcf-b560-aee0edbbdce1/c026884e-63c3-4d68-8947-d07c9ff9aaaf.txt",
                "error": None,
                "target_language": "es",
                "progress": 1,
                "characters_charged": 17,
                "created": "2022-01-25T22:46:29.419074Z",
                "updated": "2022-01-25T22:46:37.285325Z",
            }
        ],
        item_ids=["001f0a16-0000-0000-0000-000000000000"],
    ),
    "recording-one-valid": Case(
        status=recorded(REC2, 0),
        documents=recorded(REC2, 1),
        job_id="d5404acd-ea24-4340-95c4-df9cfe52c940",
        expected={
            "provider": "azure",
            "status": "Succeeded",
            "state": "partially_succeeded",
            "terminal": True,
            "created": "2022-01-25T23:02:38.606556Z",
            "updated": "2022-01-25T23:02:41.022651Z",
            "summary": {
                "total": 2,
                "succeeded": 1,
                "failed": 1,
                "running": 0,
                "pending": 0,
                "cancelled": 0,
                "characters_charged": 27,
                "characters_charged_documents": 27,
            },
            "error": None,
            "request_id": "0d60de94-8539-4328-b1dc-025878e4ea34",
        },
        expected_id="d5404acd-ea24-4340-95c4-df9cfe52c940",
        items=[
            {
                "status": "Succeeded",
                "ok": True,
                "source_url": f"{REC2_SRC}/8bf3df42-924f-4f9e-b339-dffc74b6bce7.txt",
                "result_url": f"{REC2_DST}/8bf3df42-924f-4f9e-b339-dffc74b6bce7.txt",
                "error": None,
                "target_language": "es",
                "progress": 1,
                "characters_charged": 27,
                "created": "2022-01-25T23:02:38.830136Z",
                "updated": "2022-01-25T23:02:41.022646Z",
            },
            {
                "status": "Failed",
                "ok": False,
                "source_url": f"{REC2_SRC}/document.txt",
                "result_url": None,  # no "path": nothing was written
                "error": {
                    "code": "InvalidRequest",
                    "message": "Target document file already exists.",
                    "target": "Document",
                    "inner_error": {
                        "code": "TargetFileAlreadyExists",
                        "message": "Target document file already exists.",
                        "target": None,
                        "inner_error": None,
                    },
                    "hint": CODE_HINTS["TargetFileAlreadyExists"],
                },
                "target_language": "es",
                "progress": 0,
                "characters_charged": 0,
                "created": None,  # no createdDateTimeUtc in the recorded body
                "updated": "2022-01-25T23:02:38.721476Z",
            },
        ],
        item_ids=[
            "001f1349-0000-0000-0000-000000000000",
            "001f134a-0000-0000-0000-000000000000",
        ],
    ),
}


def get_azure(replay: ReplayServer, case: Case) -> Result:
    replay.serve_azure(
        case.status.raw,
        None if case.documents is None else case.documents.raw,
        status_headers=case.status.headers,
        documents_headers=None if case.documents is None else case.documents.headers,
    )
    argv = ["azure", "get", case.job_id, "-o", "json"]
    if case.documents is None:
        argv.append("--no-documents")
    return batchstat(replay, *argv)


ALL = list(CASES)
WITH_DOCUMENTS = [n for n in ALL if CASES[n].documents is not None]


@pytest.mark.parametrize("name", ALL)
def test_azure_status_fields(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    result = get_azure(replay, case)
    doc = result.doc
    for key, value in case.expected.items():
        assert doc[key] == value, key
    assert doc["raw"] == case.status.json  # the status answer, as received
    assert result.sleeps == []  # nothing was retried


EXIT_STATUS = {"succeeded": 0, "partially_succeeded": 3}  # README: exit codes


@pytest.mark.parametrize("name", ALL)
def test_azure_exit_status(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    replay.serve_azure(
        case.status.raw,
        None if case.documents is None else case.documents.raw,
        status_headers=case.status.headers,
    )
    argv = ["azure", "get", case.job_id, "--exit-status", "-o", "json"]
    result = batchstat(replay, *argv, *([] if case.documents else ["--no-documents"]))
    assert result.code == EXIT_STATUS[case.expected["state"]]
    assert json.loads(result.stdout)["state"] == case.expected["state"]


@pytest.mark.parametrize("name", ALL)
def test_azure_job_id(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    assert get_azure(replay, case).doc["id"] == case.expected_id


@pytest.mark.parametrize("name", WITH_DOCUMENTS)
def test_azure_document_fields(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    items = get_azure(replay, case).doc["items"]
    assert case.items is not None
    assert len(items) == len(case.items)
    for item, expected in zip(items, case.items, strict=True):
        for key, value in expected.items():
            assert item[key] == value, key
        assert set(item) == {"id", *expected}  # nothing lost, nothing unexpected


@pytest.mark.parametrize("name", WITH_DOCUMENTS)
def test_azure_document_ids(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    items = get_azure(replay, case).doc["items"]
    assert [item["id"] for item in items] == case.item_ids


# The next-page link each published documents example carries (path part; the query too
# is as published). batchstat must follow it with the key, on its own api-version.
NEXT_LINK_PATHS = {
    "spec-2024-05-01": "/translator/text/batch/v1.0/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",
    "spec-2024-05-01-typespec": "/translator/text/batch/v1.0/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",
    "spec-v1.0": "/translator/text/batch/v1.0/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",  # as "@nextLink"
    "spec-v1.1": "/translator/text/batch/v1.1/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",  # as "@nextLink"
    "spec-2024-11-15-preview": "/translator/text/batch/v1.0/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",
    "spec-v1.0-preview.1": "/translator/text/batch/v1.0.preview.1/operation/"
    "0FA2822F-4C2A-4317-9C20-658C801E0E55/documents",  # as "@nextLink"
}


@pytest.mark.parametrize("name", list(NEXT_LINK_PATHS))
def test_azure_follows_published_next_link(replay: ReplayServer, name: str) -> None:
    case = CASES[name]
    assert get_azure(replay, case).code == 0
    followed = replay.seen(NEXT_LINK_PATHS[name])
    assert len(followed) == 1
    assert followed[0].method == "GET"
    assert followed[0].headers["ocp-apim-subscription-key"] == replay.azure_key
    assert followed[0].query["api-version"] == "2024-05-01"
    paths = [seen.path for seen in replay.requests]
    assert paths == [
        f"/translator/document/batches/{SPEC_JOB}",
        f"/translator/document/batches/{SPEC_JOB}/documents",
        NEXT_LINK_PATHS[name],
    ]


def test_azure_refuses_the_published_foreign_next_link(replay: ReplayServer) -> None:
    """Served unrewritten, the v1.0 example's @nextLink names westus.cognitiveservices.azure.com:
    batchstat must not send the key there (README: the link is refused)."""
    replay.rewrite_next_links = False
    result = get_azure(replay, CASES["spec-v1.0"])
    assert result.code == 7
    assert result.stdout == ""
    assert "westus.cognitiveservices.azure.com" in result.stderr
    assert replay.azure_key not in result.stderr
    assert len(replay.requests) == 2  # status and the first page, nothing more


# -- Alibaba: GetTranslateImageBatchResult's published responseDemo ------------------------

ALIBABA_METADATA = "alibaba-alimt-2018-10-12-api-docs.GetTranslateImageBatchResult.php.txt"
ALIBABA_DEMO = "alibaba-GetTranslateImageBatchResult.responseDemo.json"
ALIBABA_TASK = "EEA28E6D-4828-5031-BD8C-8FF1B3216842"  # the metadata's TaskId example


def test_alibaba_demo_file_is_the_metadata_response_demo() -> None:
    """The stored JSON body is exactly the "json" responseDemo of the stored metadata."""
    text = (DATA / ALIBABA_METADATA).read_text(encoding="utf-8")
    match = re.search(r"^ {12}'responseDemo' => '((?:[^'\\]|\\.)*)',$", text, re.M)
    assert match
    demos = json.loads(re.sub(r"\\([\\'])", r"\1", match.group(1)))  # PHP '...' string
    assert demos[0]["type"] == "json"
    assert demos[0]["example"] == (DATA / ALIBABA_DEMO).read_text(encoding="utf-8")


def test_alibaba_published_response_demo(replay: ReplayServer) -> None:
    body = (DATA / ALIBABA_DEMO).read_bytes()
    replay.serve_alibaba(body)
    result = batchstat(replay, "alibaba", "get", ALIBABA_TASK, "-o", "json")
    doc = result.doc
    assert doc["provider"] == "alibaba"
    assert doc["id"] == ALIBABA_TASK
    assert doc["status"] == "finished"
    assert doc["state"] == "succeeded"
    assert doc["terminal"] is True
    assert doc["created"] is None
    assert doc["updated"] is None
    assert doc["summary"] == {
        "total": 1,
        "succeeded": 1,
        "failed": 0,
        "running": 0,
        "pending": 0,
        "cancelled": 0,
        "characters_charged": None,
        "characters_charged_documents": None,
    }
    assert doc["items"] == [
        {
            "id": "1",
            "status": "succeeded",
            "ok": True,
            "source_url": "https://example.com/example.jpg",
            "result_url": "https://example.com/example.jpg",
            "error": None,
            "inpainting_url": "https://example.com/example.jpg",
            "template_json": '{"TemplateJson": "Editor Template Json String\t"}',
            "code": 200,
            "message": "OK",
        }
    ]
    assert doc["error"] is None
    assert doc["request_id"] == "DACD263C-C068-5116-83EC-117245AA35CF"
    assert doc["raw"] == json.loads(body)
    assert result.sleeps == []
    posted = replay.seen("/")
    assert len(posted) == 1  # one signed call, no retry
