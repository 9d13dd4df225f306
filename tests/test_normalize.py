"""Each adapter's mapping from a raw body to the normalized record, without HTTP."""

from __future__ import annotations

import pytest

from batchstat.errors import UnavailableError
from batchstat.hints import CODE_HINTS
from batchstat.providers import alibaba, azure


def ali(status, results=None, **extra):
    return {
        "Code": 200,
        "Message": "OK",
        "RequestId": "R-1",
        "Data": {"Status": status, "Result": results or []},
        **extra,
    }


def image(ok=True, code=200, message="OK", n=1):
    return {
        "SourceImageUrl": f"https://src.example.com/{n}.png",
        "FinalImageUrl": f"https://out.example.com/{n}.png" if ok else "",
        "InPaintingUrl": f"https://bg.example.com/{n}.png" if ok else "",
        "TemplateJson": '{"k": 1}' if ok else "",
        "Code": code,
        "Message": message,
        "Success": ok,
    }


@pytest.mark.parametrize(
    "status, state, terminal",
    [
        ("created", "pending", False),
        ("running", "running", False),
        ("invalid", "not_found", True),
        ("somethingnew", "running", False),  # an unknown word keeps the watch going
    ],
)
def test_alibaba_states(status, state, terminal):
    record = alibaba.normalize("T-1", ali(status))
    assert (record.status, record.state, record.terminal) == (status, state, terminal)
    assert record.summary.total is None  # Alibaba says nothing of counts before finished
    assert record.provider == "alibaba" and record.id == "T-1" and record.request_id == "R-1"


def test_alibaba_finished_counts_and_items():
    record = alibaba.normalize(
        "T-1", ali("finished", [image(n=1), image(ok=False, code=107, message="no", n=2)])
    )
    assert record.state == "partially_succeeded"
    assert record.summary.to_dict() == {
        "total": 2,
        "succeeded": 1,
        "failed": 1,
        "running": 0,
        "pending": 0,
        "cancelled": 0,
        "characters_charged": None,
        "characters_charged_documents": None,
    }
    good, bad = (item.to_dict() for item in record.items or [])
    assert good == {
        "id": "1",
        "status": "succeeded",
        "ok": True,
        "source_url": "https://src.example.com/1.png",
        "result_url": "https://out.example.com/1.png",
        "error": None,
        "inpainting_url": "https://bg.example.com/1.png",
        "template_json": '{"k": 1}',
        "code": 200,
        "message": "OK",
    }
    assert bad["ok"] is False and bad["result_url"] is None
    assert bad["error"] == {"code": 107, "message": "no", "hint": CODE_HINTS["107"]}


def test_alibaba_all_failed_is_failed_and_success_as_a_string_is_read():
    record = alibaba.normalize("T", ali("finished", [{**image(), "Success": "false"}]))
    assert record.state == "failed"
    record = alibaba.normalize("T", ali("finished", [{**image(), "Success": "true"}]))
    assert record.state == "succeeded"


def test_alibaba_without_a_status_is_the_service_fault():
    with pytest.raises(UnavailableError, match="no job status"):
        alibaba.normalize("T", {"Code": 200, "Data": {}})


JOB = "727bf148-f327-47a0-9481-abae6362f11e"


def az(status, summary=None, **extra):
    return {
        "id": "727bf148-f327-47a0-9481-abae6362f11e",
        "createdDateTimeUtc": "2021-03-23T07:03:30.0136316Z",
        "lastActionDateTimeUtc": "2021-03-26T01:00:00Z",
        "status": status,
        "summary": summary
        or {
            "total": 10,
            "failed": 0,
            "success": 10,
            "inProgress": 0,
            "notYetStarted": 0,
            "cancelled": 0,
            "totalCharacterCharged": 1000,
        },
        **extra,
    }


@pytest.mark.parametrize(
    "status, state",
    [
        ("NotStarted", "pending"),
        ("Running", "running"),
        ("Cancelling", "running"),
        ("Succeeded", "succeeded"),
        ("Failed", "failed"),
        ("ValidationFailed", "failed"),
        ("Cancelled", "cancelled"),
        ("Canceled", "cancelled"),
    ],
)
def test_azure_states(status, state):
    record = azure.normalize(az(status), None, JOB)
    assert (record.status, record.state) == (status, state)


def test_azure_summary_timestamps_and_partial_success():
    raw = az(
        "Succeeded",
        {
            "total": 3,
            "failed": 1,
            "success": 2,
            "inProgress": 0,
            "notYetStarted": 0,
            "cancelled": 0,
            "totalCharacterCharged": 0,
        },
    )
    docs = [
        azure.document_item(
            {
                "id": "d1",
                "status": "Succeeded",
                "to": "fr",
                "progress": 1,
                "characterCharged": 40,
                "sourcePath": "https://s/a.docx",
                "path": "https://t/a.docx",
                "createdDateTimeUtc": "2021-03-23T07:03:30.0136316Z",
                "lastActionDateTimeUtc": "2021-03-23T07:04:00Z",
            }
        ),
        azure.document_item(
            {
                "id": "d2",
                "status": "Failed",
                "to": "fr",
                "progress": 0,
                "characterCharged": 2,
                "sourcePath": "https://s/b.docx",
                "error": {
                    "code": "InvalidRequest",
                    "message": "Target exists",
                    "target": "Document",
                    "innerError": {"code": "TargetFileAlreadyExists", "message": "exists"},
                },
            }
        ),
    ]
    record = azure.normalize(raw, docs, JOB)
    assert record.state == "partially_succeeded"
    assert record.created == "2021-03-23T07:03:30.013631Z"  # microseconds at most
    # the job total reads 0 while documents report charges: their sum is shown
    assert record.summary.characters_charged == 42
    assert docs[0].to_dict()["result_url"] == "https://t/a.docx"
    assert docs[0].ok is True and docs[1].ok is False
    assert docs[1].error == {
        "code": "InvalidRequest",  # the outer code, which the SDK's models overwrite
        "message": "Target exists",
        "target": "Document",
        "inner_error": {
            "code": "TargetFileAlreadyExists",
            "message": "exists",
            "target": None,
            "inner_error": None,
        },
        "hint": CODE_HINTS["TargetFileAlreadyExists"],
    }


def test_azure_job_error_keeps_its_inner_error():
    record = azure.normalize(
        az(
            "ValidationFailed",
            error={
                "code": "InvalidRequest",
                "message": "Cannot access source document location.",
                "target": "Operation",
                "innerError": {"code": "InvalidDocumentAccessLevel", "message": "SAS"},
            },
        ),
        None,
        JOB,
    )
    assert record.state == "failed"
    assert record.error is not None
    assert record.error["inner_error"]["code"] == "InvalidDocumentAccessLevel"


def test_azure_missing_counts_read_as_unknown():
    record = azure.normalize(az("Running", {"total": 4}), None, JOB)
    assert record.summary.total == 4 and record.summary.failed is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-03-23T07:03:30.0136316Z", "2021-03-23T07:03:30.013631Z"),
        ("2021-03-23T07:03:30Z", "2021-03-23T07:03:30Z"),
        ("2021-03-23T07:03:30+00:00", "2021-03-23T07:03:30Z"),
        (None, None),
    ],
)
def test_azure_timestamps(value, expected):
    assert azure.normalize_timestamp(value) == expected


def test_azure_id_is_the_one_asked_for_whatever_the_body_says():
    record = azure.normalize({**az("Running"), "id": "something-else"}, None, JOB)
    assert record.id == JOB
    assert azure.document_item({"documentId": "d-9", "status": "Running"}).id == "d-9"
