"""Injected faults as the two SDKs experience them."""

from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from azure.core.exceptions import DecodeError, HttpResponseError, ServiceResponseError
from emu_support import AlimtCall, alimt_request, error_response, make_acs_client, make_azure_client

from batchstat.emulator import Emulator, Fault, Stage

DOCS = "https://acct.blob.core.windows.net/src"
GET_RESULT = "GetTranslateImageBatchResult"


def azure_job(emu: Emulator) -> str:
    return emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")])


# --- Azure ---


def test_429_with_retry_after_is_retried_by_the_sdk(emu: Emulator) -> None:
    job_id = azure_job(emu)
    emu.faults.add(Fault(provider="azure", kind="http", status=429, retry_after="0"))
    client = make_azure_client(emu)  # default retry policy

    assert client.get_translation_status(job_id).status == "Succeeded"

    first, second = emu.requests
    assert (first.status, first.fault, second.status, second.fault) == (429, "http", 200, None)
    assert emu.faults.pending == []


def test_429_body_and_headers(emu: Emulator) -> None:
    emu.faults.add(Fault(kind="http", status=429, retry_after="2"))
    client = make_azure_client(emu, retry_total=0)
    with pytest.raises(HttpResponseError) as caught:
        client.get_translation_status(azure_job(emu))
    response = error_response(caught.value)
    assert caught.value.status_code == 429
    assert response.headers["Retry-After"] == "2"
    error = json.loads(response.text())["error"]
    assert (error["code"], error["innerError"]["code"]) == ("RequestRateTooHigh", "RateTooHigh")


def test_500_then_200_and_503_every_time(emu: Emulator) -> None:
    job_id = azure_job(emu)
    client = make_azure_client(emu, retry_backoff_factor=0)

    emu.faults.add(Fault(provider="azure", kind="http", status=500))
    assert client.get_translation_status(job_id).status == "Succeeded"
    assert [r.status for r in emu.requests] == [500, 200]

    emu.requests_clear()
    emu.faults.add(Fault(provider="azure", kind="http", status=503, rate=1.0))
    with pytest.raises(HttpResponseError) as caught:
        client.get_translation_status(job_id)
    assert caught.value.status_code == 503
    assert [r.status for r in emu.requests] == [503] * 4  # first try + 3 status retries


def test_404_with_retry_after_is_retried(emu: Emulator) -> None:
    job_id = azure_job(emu)
    emu.faults.add(Fault(provider="azure", kind="http", status=404, retry_after="0"))
    client = make_azure_client(emu)
    assert client.get_translation_status(job_id).status == "Succeeded"
    assert [r.status for r in emu.requests] == [404, 200]


def test_html_error_page(emu: Emulator) -> None:
    emu.faults.add(Fault(provider="azure", kind="html", status=503))
    client = make_azure_client(emu, retry_total=0)
    with pytest.raises(HttpResponseError) as caught:
        client.get_translation_status(azure_job(emu))
    assert caught.value.status_code == 503
    assert error_response(caught.value).text().startswith("<html>")
    assert error_response(caught.value).headers["Content-Type"] == "text/html"


def test_bad_json_is_a_decode_error(emu: Emulator) -> None:
    emu.faults.add(Fault(provider="azure", kind="bad_json"))
    client = make_azure_client(emu, retry_total=0)
    with pytest.raises(DecodeError) as caught:
        client.get_translation_status(azure_job(emu))
    assert caught.value.status_code == 502


def test_dropped_connection(emu: Emulator) -> None:
    job_id = azure_job(emu)
    emu.faults.add(Fault(provider="azure", kind="drop"))
    with pytest.raises(ServiceResponseError):
        make_azure_client(emu, retry_total=0).get_translation_status(job_id)
    assert (emu.requests[0].status, emu.requests[0].fault) == (0, "drop")

    emu.faults.add(Fault(provider="azure", kind="drop"))
    assert make_azure_client(emu).get_translation_status(job_id).status == "Succeeded"
    assert [r.status for r in emu.requests] == [0, 0, 200]


def test_faults_do_not_advance_poll_driven_lives(emu: Emulator) -> None:
    job_id = emu.azure.add_job([f"{DOCS}/a.docx"])
    emu.faults.add(Fault(provider="azure", kind="http", status=500, times=2))
    client = make_azure_client(emu, retry_backoff_factor=0)
    assert client.get_translation_status(job_id).status == "NotStarted"
    assert client.get_translation_status(job_id).status == "Running"


# --- Alibaba ---


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, None, "Throttling.User"),
        (400, "Throttling.Api", "Throttling.Api"),
        (500, None, "InternalError"),
        (503, None, "ServiceUnavailable"),
    ],
)
def test_alibaba_http_faults_raise_server_exception(
    emu: Emulator, alimt: AlimtCall, status: int, code: str | None, expected: str
) -> None:
    emu.faults.add(Fault(provider="alibaba", kind="http", status=status, code=code))
    with pytest.raises(ServerException) as caught:
        alimt(GET_RESULT, {"TaskId": "T"})
    assert caught.value.get_http_status() == status
    assert caught.value.get_error_code() == expected
    assert caught.value.get_request_id()
    assert len(emu.requests) == 1  # aliyunsdkcore never retries alimt


def test_alibaba_html_502_is_an_unknown_server_error(emu: Emulator, alimt: AlimtCall) -> None:
    emu.faults.add(Fault(provider="alibaba", kind="html"))
    with pytest.raises(ServerException) as caught:
        alimt(GET_RESULT, {"TaskId": "T"})
    assert caught.value.get_http_status() == 502
    assert caught.value.get_error_code() == "SDK.UnknownServerError"


def test_alibaba_bad_json_reaches_the_caller(emu: Emulator, acs: object) -> None:
    emu.faults.add(Fault(provider="alibaba", kind="bad_json"))
    body = make_acs_client().do_action_with_exception(
        alimt_request(emu, GET_RESULT, {"TaskId": "T"})
    )
    with pytest.raises(ValueError):
        json.loads(body)


def test_business_fault_is_a_200(emu: Emulator, alimt: AlimtCall) -> None:
    emu.faults.add(Fault(kind="business", code=104))
    body = alimt(GET_RESULT, {"TaskId": "T"})
    assert body["Code"] == 104
    assert "System.ParameterError" in body["Message"] and body["RequestId"]
    assert emu.requests[-1].status == 200 and emu.requests[-1].fault == "business"


def test_alibaba_drop_and_slow(emu: Emulator, alimt: AlimtCall) -> None:
    emu.faults.add(Fault(provider="alibaba", kind="drop"))
    with pytest.raises(ClientException) as dropped:
        alimt(GET_RESULT, {"TaskId": "T"})
    assert dropped.value.get_error_code() == "SDK.HttpError"

    emu.faults.add(Fault(provider="alibaba", kind="slow", delay=0.5))
    with pytest.raises(ClientException) as timed_out:
        alimt(GET_RESULT, {"TaskId": "T"}, client=make_acs_client(timeout=0.1))
    assert "timed out" in timed_out.value.get_error_msg().lower()
    assert emu.requests[-1].fault == "slow"


# --- matching and consumption ---


def test_provider_path_and_times_decide_what_is_hit(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(["https://img.example/a.png"])
    emu.faults.add(Fault(provider="azure", kind="http", status=500))
    emu.faults.add(
        Fault(kind="business", code=102, times=2, path_contains="Action=TranslateImageBatch")
    )

    assert alimt(GET_RESULT, {"TaskId": task_id})["Code"] == 200
    submit = {"ImageUrls": "https://img.example/b.png", "SourceLanguage": "zh"}
    submit["TargetLanguage"] = "en"
    assert alimt("TranslateImageBatch", submit, method="POST")["Code"] == 102
    assert alimt("TranslateImageBatch", submit, method="POST")["Code"] == 102
    assert alimt("TranslateImageBatch", submit, method="POST")["Code"] == 200
    assert [f.provider for f in emu.faults.pending] == ["azure"]
    emu.faults.clear()
    assert emu.faults.pending == []


def test_rate_faults_follow_the_seed(emu: Emulator) -> None:
    def pattern(seed: int) -> list[bool]:
        with Emulator(seed=seed) as fresh:
            fresh.faults.add(Fault(provider="alibaba", kind="business", code=101, rate=0.5))
            client = make_acs_client()
            codes = [
                json.loads(
                    client.do_action_with_exception(
                        alimt_request(fresh, GET_RESULT, {"TaskId": "T"})
                    )
                )["Code"]
                for _ in range(12)
            ]
            return [code == 101 for code in codes]

    first = pattern(7)
    assert first == pattern(7)
    assert any(first) and not all(first)


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault(kind="explode")
    with pytest.raises(ValueError):
        Fault(provider="azure", kind="business")
    with pytest.raises(ValueError):
        Fault(kind="http")  # no status
