"""Azure Document Translation through the real azure-ai-translation-document client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.ai.translation.document import DocumentTranslationClient
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from emu_support import AZURE_KEY, error_response, make_azure_client, raw_json_hook, send_raw

from batchstat.emulator import AzureDocument, Emulator, FakeClock, Stage

DOCS = "https://acct.blob.core.windows.net/src"


def summary_of(payload: dict[str, Any]) -> tuple[int, ...]:
    summary = payload["summary"]
    return tuple(
        summary[key]
        for key in (
            "total",
            "failed",
            "success",
            "inProgress",
            "notYetStarted",
            "cancelled",
            "totalCharacterCharged",
        )
    )


def raw_status(azure: DocumentTranslationClient, job_id: str) -> dict[str, Any]:
    sink: dict[str, Any] = {}
    azure.get_translation_status(job_id, raw_response_hook=raw_json_hook(sink))
    return sink


def test_default_life_by_polls_with_summary(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    job_id = emu.azure.add_job(
        [f"{DOCS}/a.docx", f"{DOCS}/b-fail.docx", AzureDocument(f"{DOCS}/c.txt", characters=30)]
    )

    seen = [raw_status(azure, job_id)["json"] for _ in range(4)]

    assert [p["status"] for p in seen] == ["NotStarted", "Running", "Succeeded", "Succeeded"]
    assert summary_of(seen[0]) == (3, 0, 0, 0, 3, 0, 0)
    assert summary_of(seen[1]) == (3, 0, 0, 3, 0, 0, 0)
    assert summary_of(seen[2]) == (3, 1, 2, 0, 0, 0, 150)
    first = seen[0]
    assert first["id"] == job_id and job_id == job_id.lower()
    assert first["createdDateTimeUtc"].endswith("Z") and len(first["createdDateTimeUtc"]) == 28
    assert "error" not in seen[2]


def test_sdk_models_read_the_status(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")])
    status = azure.get_translation_status(job_id)
    assert status.status == "Succeeded" and status.id == job_id
    assert status.summary.total == 1 and status.summary.total_characters_charged == 120
    assert status.created_on.tzinfo is not None


def test_every_document_state_during_the_life(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx", f"{DOCS}/fail.docx"])

    def documents() -> list[tuple[str, float, bool, Any]]:
        return [
            (str(d.status), d.translation_progress, d.translated_document_url is not None, d.error)
            for d in azure.list_document_statuses(job_id)
        ]

    assert documents() == [("Status.NOT_STARTED", 0.0, False, None)] * 2
    # Listing documents does not count as a status poll.
    assert documents() == [("Status.NOT_STARTED", 0.0, False, None)] * 2
    azure.get_translation_status(job_id)
    assert documents() == [("Status.RUNNING", 0.5, False, None)] * 2
    azure.get_translation_status(job_id)
    succeeded, failed = documents()
    assert succeeded[:3] == ("Status.SUCCEEDED", 1.0, True)
    assert failed[:3] == ("Status.FAILED", 1.0, False)
    assert (
        failed[3] is not None and failed[3].code == "TargetFileAlreadyExists"
    )  # the SDK keeps only innerError.code


def test_document_path_is_served(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = emu.azure.add_job(
        [AzureDocument(f"{DOCS}/report.pdf", target_language="de")], stages=[Stage("Succeeded")]
    )
    document = next(iter(azure.list_document_statuses(job_id)))
    path = document.translated_document_url
    assert path is not None
    assert path.startswith(f"{emu.base_url}/files/azure/{job_id}/") and path.endswith(".pdf")

    status, _, content = send_raw(emu.base_url, path.removeprefix(emu.base_url))

    assert status == 200 and b"report.pdf" in content and b"de" in content
    single = azure.get_document_status(job_id, document.id)
    assert single.source_document_url == f"{DOCS}/report.pdf" and single.translated_to == "de"


def test_cancelled_job_marks_unfinished_documents(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    job_id = emu.azure.add_job(
        [f"{DOCS}/done.docx", AzureDocument(f"{DOCS}/pending.docx", status="NotStarted")],
        stages=[Stage("Cancelled")],
    )
    sink = raw_status(azure, job_id)
    assert sink["json"]["status"] == "Cancelled"  # the wire spelling
    assert summary_of(sink["json"]) == (2, 0, 1, 0, 0, 1, 120)
    model = azure.get_translation_status(job_id)
    assert str(model.status).lower() in {"canceled", "cancelled"}  # the SDK renames it
    assert sorted(str(d.status) for d in azure.list_document_statuses(job_id)) == [
        "Canceled",
        "Status.SUCCEEDED",
    ]


def test_validation_failed_carries_error_and_no_documents(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    error = {
        "code": "InvalidRequest",
        "message": "Cannot access source document location with the current permissions.",
        "target": "Operation",
        "innerError": {"code": "InvalidDocumentAccessLevel", "message": "SAS lacks read."},
    }
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("ValidationFailed")], error=error)

    sink = raw_status(azure, job_id)

    assert sink["json"]["status"] == "ValidationFailed"
    assert sink["json"]["error"] == error
    assert summary_of(sink["json"]) == (0, 0, 0, 0, 0, 0, 0)
    model_error = azure.get_translation_status(job_id).error
    assert model_error is not None and model_error.code == "InvalidDocumentAccessLevel"
    assert list(azure.list_document_statuses(job_id)) == []


def test_failed_job_error_without_inner_error(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    error = {"code": "InternalServerError", "message": "boom", "target": "Operation"}
    job_id = emu.azure.add_job([f"{DOCS}/fail.docx"], stages=[Stage("Failed")], error=error)
    assert raw_status(azure, job_id)["json"]["error"] == error
    model_error = azure.get_translation_status(job_id).error
    assert model_error is not None and model_error.code is None  # SDK quirk, api-spec §3


def test_retry_after_and_etag_on_status(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"], retry_after=7)
    quiet_id = emu.azure.add_job([f"{DOCS}/a.docx"], retry_after=None)

    first, second, third = (raw_status(azure, job_id) for _ in range(3))

    assert first["headers"]["Retry-After"] == "7"
    assert first["headers"]["Content-Type"] == "application/json; charset=utf-8"
    etags = [sink["headers"]["ETag"] for sink in (first, second, third)]
    assert all(etag.startswith('"') and etag.endswith('"') for etag in etags)
    assert len(set(etags)) == 3  # it changes with the status
    assert "Retry-After" not in raw_status(azure, quiet_id)["headers"]


def test_bad_key_is_401_with_the_apim_body(emu: Emulator) -> None:
    client = make_azure_client(emu, key="wrong-key", retry_total=0)
    with pytest.raises(ClientAuthenticationError) as caught:
        client.get_translation_status("727bf148-f327-47a0-9481-abae6362f11e")
    assert caught.value.status_code == 401
    body = json.loads(error_response(caught.value).text())
    assert body["error"]["code"] == "401"
    assert body["error"]["message"].startswith("Access denied due to invalid subscription key")


def test_bearer_token_is_accepted(emu: Emulator) -> None:
    emu.azure.bearer_tokens = ("aad-token",)
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"])
    path = f"/translator/document/batches/{job_id}?api-version=2024-05-01"
    ok = send_raw(emu.base_url, path, headers={"Authorization": "Bearer aad-token"})
    refused = send_raw(emu.base_url, path, headers={"Authorization": "Bearer other"})
    assert (ok[0], refused[0]) == (200, 401)


def test_unknown_id_is_404_and_ids_ignore_case(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        azure.get_translation_status("00000000-0000-0000-0000-000000000000")
    error = json.loads(error_response(caught.value).text())["error"]
    assert error["code"] == "ResourceNotFound" and error["target"] == "Operation"
    assert error["innerError"]["code"] == "NotFound"
    assert error_response(caught.value).headers["x-ms-error-code"] == "ResourceNotFound"

    job_id = emu.azure.add_job([f"{DOCS}/a.docx"])
    assert azure.get_translation_status(job_id.upper()).id == job_id


def test_api_version_is_required_and_checked(emu: Emulator) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"])
    key = {"Ocp-Apim-Subscription-Key": AZURE_KEY}
    path = f"/translator/document/batches/{job_id}"
    for query in ("", "?api-version=2023-01-01"):
        status, _, body = send_raw(emu.base_url, path + query, headers=key)
        assert status == 400
        assert json.loads(body)["error"]["code"] == "InvalidArgument"
    assert send_raw(emu.base_url, path + "?api-version=2024-05-01", headers=key)[0] == 200
    client = make_azure_client(emu, api_version="2024-05-01")
    client.get_translation_status(job_id)
    assert emu.requests[-1].query == {"api-version": "2024-05-01"}


# --- paging ---


def seven_document_job(emu: Emulator) -> str:
    return emu.azure.add_job([f"{DOCS}/doc{n}.docx" for n in range(7)], stages=[Stage("Succeeded")])


def document_requests(emu: Emulator) -> list[dict[str, str]]:
    return [r.query for r in emu.requests if r.path.endswith("/documents")]


def test_paging_with_next_link_gets_everything(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    job_id = seven_document_job(emu)

    documents = list(azure.list_document_statuses(job_id, maxpagesize=3))

    assert [d.source_document_url for d in documents] == [f"{DOCS}/doc{n}.docx" for n in range(7)]
    pages = document_requests(emu)
    assert len(pages) == 3
    assert pages[0] == {"api-version": "2026-03-01", "maxpagesize": "3"}
    assert (pages[1]["$skip"], pages[1]["$maxpagesize"]) == ("3", "3")
    assert pages[2]["$skip"] == "6"


def test_at_next_link_makes_the_sdk_stop_after_page_one(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    emu.azure.next_link_key = "@nextLink"
    job_id = seven_document_job(emu)
    sink: dict[str, Any] = {}

    documents = list(
        azure.list_document_statuses(job_id, maxpagesize=3, raw_response_hook=raw_json_hook(sink))
    )

    assert len(documents) == 3 and len(document_requests(emu)) == 1
    assert "nextLink" not in sink["json"]
    assert sink["json"]["@nextLink"].startswith(f"{emu.base_url}/translator/document/batches/")


def test_both_link_keys_and_the_default_page_size(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    emu.azure.next_link_key = "both"
    emu.azure.page_size = 2
    job_id = seven_document_job(emu)
    sink: dict[str, Any] = {}
    pages = azure.list_document_statuses(job_id, raw_response_hook=raw_json_hook(sink)).by_page()
    first = list(next(pages))
    assert len(first) == 2 and sink["json"]["nextLink"] == sink["json"]["@nextLink"]
    rest = [doc for page in pages for doc in page]
    assert len(rest) == 5 and len(document_requests(emu)) == 4
    assert "nextLink" not in sink["json"] and "@nextLink" not in sink["json"]  # last page


def test_top_skip_and_filters(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = emu.azure.add_job(
        [f"{DOCS}/doc{n}.docx" for n in range(6)] + [f"{DOCS}/fail{n}.docx" for n in range(2)],
        stages=[Stage("Failed")],
    )
    window = list(azure.list_document_statuses(job_id, top=4, skip=1, maxpagesize=3))
    assert [d.source_document_url for d in window] == [f"{DOCS}/doc{n}.docx" for n in range(1, 5)]
    assert document_requests(emu)[1]["$top"] == "1"

    failed = list(azure.list_document_statuses(job_id, statuses=["Failed"], maxpagesize=1))
    assert [d.source_document_url for d in failed] == [f"{DOCS}/fail0.docx", f"{DOCS}/fail1.docx"]
    assert document_requests(emu)[-1]["statuses"] == "Failed"  # filters ride the nextLink

    ids = [failed[1].id.upper()]
    assert [d.id for d in azure.list_document_statuses(job_id, document_ids=ids)] == [failed[1].id]


def test_page_size_above_100_is_400(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = seven_document_job(emu)
    with pytest.raises(HttpResponseError) as caught:
        list(azure.list_document_statuses(job_id, maxpagesize=101))
    assert caught.value.status_code == 400


def test_unknown_document_is_404(emu: Emulator, azure: DocumentTranslationClient) -> None:
    job_id = seven_document_job(emu)
    with pytest.raises(ResourceNotFoundError):
        azure.get_document_status(job_id, "00000000-0000-0000-0000-000000000000")


def test_list_translations_orders_and_filters(
    emu: Emulator, azure: DocumentTranslationClient, clock: FakeClock
) -> None:
    older = emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")])
    clock.advance(60)
    newer = emu.azure.add_job([f"{DOCS}/b.docx"], stages=[Stage("Running")])

    assert [t.id for t in azure.list_translation_statuses()] == [newer, older]
    ascending = azure.list_translation_statuses(order_by=["created_on asc"])
    assert [t.id for t in ascending] == [older, newer]
    assert [t.id for t in azure.list_translation_statuses(statuses=["Running"])] == [newer]
    assert [t.id for t in azure.list_translation_statuses(translation_ids=[older])] == [older]
    assert azure.get_translation_status(newer).status == "Running"  # lists did not advance it


# --- start and cancel ---


def test_begin_translation_end_to_end(emu: Emulator, clock: FakeClock) -> None:
    emu.azure.created_job_retry_after = None  # so the poller waits polling_interval (0)
    emu.azure.add_container(f"{DOCS}/", ["one.docx", "two-fail.docx", "notes.txt"])
    client = make_azure_client(emu)

    def one_second_per_response(_: Any) -> None:
        clock.advance(1)  # the job's time-based life moves with each answer, not with real time

    poller = client.begin_translation(
        f"{DOCS}?sv=sas",
        "https://acct.blob.core.windows.net/dst?sv=sas",
        "de",
        suffix=".docx",
        polling_interval=0,
        raw_response_hook=one_second_per_response,
    )
    documents = list(poller.result())

    assert poller.status() == "Succeeded"
    assert sorted((d.source_document_url, str(d.status)) for d in documents) == [
        (f"{DOCS}/one.docx", "Status.SUCCEEDED"),
        (f"{DOCS}/two-fail.docx", "Status.FAILED"),
    ]
    assert all(d.translated_to == "de" for d in documents)
    post = emu.requests[0]
    assert (post.method, post.path, post.status) == ("POST", "/translator/document/batches", 202)
    assert json.loads(post.body)["inputs"][0]["targets"][0]["language"] == "de"
    polls = [r for r in emu.requests if r.method == "GET" and r.path.endswith(poller.id)]
    assert len(polls) >= 2 and all(r.status == 200 for r in polls)


def test_start_translation_answers_202_with_operation_location(emu: Emulator) -> None:
    body = json.dumps(
        {
            "inputs": [
                {
                    "source": {"sourceUrl": f"{DOCS}/single.docx"},
                    "storageType": "File",
                    "targets": [
                        {"targetUrl": "https://t/fr", "language": "fr"},
                        {"targetUrl": "https://t/es", "language": "es"},
                    ],
                }
            ]
        }
    ).encode()
    status, headers, content = send_raw(
        emu.base_url,
        "/translator/document/batches?api-version=2024-05-01",
        method="POST",
        headers={"Ocp-Apim-Subscription-Key": AZURE_KEY, "Content-Type": "application/json"},
        body=body,
    )
    assert (status, content) == (202, b"")
    location = headers["Operation-Location"]
    job_id = location.split("/batches/")[1].split("?api-version")[0]
    assert location == f"{emu.base_url}/translator/document/batches/{job_id}?api-version=2024-05-01"
    assert sorted(d.target_language for d in emu.azure.jobs[job_id].documents) == ["es", "fr"]
    assert emu.azure.status(job_id) == "NotStarted"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"inputs": [{"source": {}, "targets": [{"targetUrl": "https://t", "language": "fr"}]}]},
        {"inputs": [{"source": {"sourceUrl": "https://s"}, "targets": [{"targetUrl": "x"}]}]},
    ],
    ids=["no-inputs", "no-source-url", "no-language"],
)
def test_start_translation_validates_the_body(emu: Emulator, payload: dict[str, Any]) -> None:
    status, _, content = send_raw(
        emu.base_url,
        "/translator/document/batches?api-version=2024-05-01",
        method="POST",
        headers={"Ocp-Apim-Subscription-Key": AZURE_KEY, "Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
    )
    assert status == 400
    assert set(json.loads(content)["error"]) == {"code", "message", "target", "innerError"}
    assert emu.azure.jobs == {}


def test_cancel_goes_through_cancelling_to_cancelled(
    emu: Emulator, azure: DocumentTranslationClient
) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx", f"{DOCS}/b.docx"])
    assert azure.get_translation_status(job_id).status == "NotStarted"

    azure.cancel_translation(job_id)

    assert emu.requests[-1].method == "DELETE" and emu.requests[-1].status == 200
    cancelling = raw_status(azure, job_id)["json"]
    assert cancelling["status"] == "Cancelling"
    assert summary_of(cancelling) == (2, 0, 0, 0, 0, 2, 0)
    assert raw_status(azure, job_id)["json"]["status"] == "Cancelled"
    with pytest.raises(HttpResponseError) as caught:
        azure.cancel_translation(job_id)  # already terminal
    assert caught.value.status_code == 400
