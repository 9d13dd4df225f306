"""`batchstat azure get` against the emulator, through azure-ai-translation-document."""

from __future__ import annotations

import json
import uuid

import pytest

from batchstat.emulator import AzureDocument, Fault, Stage
from batchstat.hints import CODE_HINTS, STATUS_HINTS

ERROR = {
    "code": "InvalidRequest",
    "message": "Cannot access source document location.",
    "target": "Operation",
    "innerError": {
        "code": "InvalidDocumentAccessLevel",
        "message": "The SAS token lacks read permission.",
    },
}


def docs(ok: int, failed: int = 0) -> list[AzureDocument]:
    out = [AzureDocument(f"https://store.example.com/src/ok-{n}.docx") for n in range(ok)]
    out += [
        AzureDocument(
            f"https://store.example.com/src/bad-{n}.docx",
            status="Failed",
            error={
                "code": "InvalidRequest",
                "message": "Target exists.",
                "target": "Document",
                "innerError": {
                    "code": "TargetFileAlreadyExists",
                    "message": "The target file already exists.",
                },
            },
        )
        for n in range(failed)
    ]
    return out


def requests_to(emulator, suffix: str):
    return [r for r in emulator.requests if r.provider == "azure" and r.path.endswith(suffix)]


def get_json(cli, job, *extra):
    result = cli("azure", "get", job, "-o", "json", *extra)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("stage", "state", "terminal"),
    [
        ("NotStarted", "pending", False),
        ("Running", "running", False),
        ("Cancelling", "running", False),
        ("Succeeded", "succeeded", True),
        ("Failed", "failed", True),
        ("Cancelled", "cancelled", True),
    ],
)
def test_each_status_is_normalized(cli, emulator, stage, state, terminal):
    job = emulator.azure.add_job(documents=docs(2), stages=[Stage(stage)])
    doc = get_json(cli, job)
    assert (doc["provider"], doc["id"], doc["status"], doc["state"], doc["terminal"]) == (
        "azure",
        job,
        stage,
        state,
        terminal,
    )
    assert doc["raw"]["status"] == stage
    assert doc["created"].endswith("Z") and doc["updated"].endswith("Z")


def test_validation_failed_keeps_error_and_inner_error(cli, emulator):
    job = emulator.azure.add_job(documents=[], stages=[Stage("ValidationFailed")], error=ERROR)
    result = cli("azure", "get", job, "-o", "json", "--exit-status")
    assert result.code == 1
    doc = json.loads(result.stdout)
    assert doc["state"] == "failed"
    assert doc["error"] == {
        "code": "InvalidRequest",
        "message": "Cannot access source document location.",
        "target": "Operation",
        "inner_error": {
            "code": "InvalidDocumentAccessLevel",
            "message": "The SAS token lacks read permission.",
            "target": None,
            "inner_error": None,
        },
        "hint": STATUS_HINTS["ValidationFailed"] + " " + CODE_HINTS["InvalidDocumentAccessLevel"],
    }
    table = cli("azure", "get", job)
    assert "InvalidDocumentAccessLevel" in table.stdout


def test_partial_success_counts_and_items(cli, emulator):
    job = emulator.azure.add_job(documents=docs(3, failed=1), stages=[Stage("Succeeded")])
    doc = get_json(cli, job)
    assert doc["state"] == "partially_succeeded"
    summary = doc["summary"]
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (4, 3, 1)
    assert summary["characters_charged"] == 360
    assert len(doc["items"]) == 4
    good = [i for i in doc["items"] if i["ok"]]
    bad = [i for i in doc["items"] if i["ok"] is False]
    assert all(i["result_url"].startswith(emulator.base_url) for i in good)
    assert bad[0]["result_url"] is None
    assert bad[0]["error"]["inner_error"]["code"] == "TargetFileAlreadyExists"
    assert bad[0]["target_language"] == "fr"
    assert cli("azure", "get", job, "--exit-status").code == 3


@pytest.mark.parametrize("link_key", ["nextLink", "@nextLink", "both"])
def test_every_document_page_is_followed(cli, emulator, link_key):
    emulator.azure.next_link_key = link_key
    job = emulator.azure.add_job(documents=docs(250), stages=[Stage("Succeeded")])
    doc = get_json(cli, job)
    assert len(doc["items"]) == 250
    assert len({item["id"] for item in doc["items"]}) == 250
    assert len(requests_to(emulator, "/documents")) == 3


def test_no_documents_skips_the_listing(cli, emulator):
    job = emulator.azure.add_job(documents=docs(2), stages=[Stage("Succeeded")])
    doc = get_json(cli, job, "--no-documents")
    assert doc["items"] is None
    assert requests_to(emulator, "/documents") == []


@pytest.mark.parametrize("version", ["2024-05-01", "2026-03-01"])
def test_api_versions(cli, emulator, version):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    get_json(cli, job, "--api-version", version)
    assert {r.query["api-version"] for r in requests_to(emulator, job)} == {version}


def test_unsupported_api_version_is_usage_error(cli, emulator):
    result = cli("azure", "get", str(uuid.uuid4()), "--api-version", "2019-01-01")
    assert result.code == 2
    assert emulator.requests == []


def test_endpoint_copied_with_translator_suffix_still_works(cli, emulator):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    result = cli("azure", "get", job, "--endpoint", emulator.base_url + "/translator/")
    assert result.code == 0, result.stderr


def test_unknown_job_is_not_found(cli, emulator):
    job = str(uuid.uuid4())
    result = cli("azure", "get", job)
    assert result.code == 4
    assert result.stderr.startswith(f"error: Azure has no job {job}: not found")
    assert result.stderr.count("\n") == 1 and "Hint:" in result.stderr


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_not_found_has_one_shape_on_both_clouds(cli, emulator, provider):
    job = str(uuid.uuid4()) if provider == "azure" else "EEA28E6D-4828-5031-BD8C-8FF1B3216842"
    result = cli(provider, "get", job, "-o", "json")
    assert result.code == 4
    document = json.loads(result.stdout)  # the document, on stdout
    assert document["id"] == job and document["state"] == "not_found"
    assert document["terminal"] is True
    [line] = result.stderr.splitlines()  # one error line, with a hint
    assert line.startswith("error: ") and "not found" in line and "Hint:" in line
    assert cli(provider, "get", job, "--query", "state").stdout == "not_found\n"


def test_wrong_key_is_auth_failure_without_leaking(cli, emulator):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    wrong = "wrong-azure-key-4567"
    result = cli("--debug", "azure", "get", job, env={"AZURE_DOCUMENT_TRANSLATION_KEY": wrong})
    assert result.code == 5
    assert "AZURE_DOCUMENT_TRANSLATION_KEY" in result.stderr
    assert wrong not in result.output
    assert len(requests_to(emulator, job)) == 1  # a 401 is not retried


@pytest.mark.parametrize("job_id", ["not-a-uuid", "727bf148", "../../etc"])
def test_malformed_job_id_is_usage_error_without_request(cli, emulator, job_id):
    result = cli("azure", "get", job_id)
    assert result.code == 2
    assert "UUID" in result.stderr
    assert emulator.requests == []


@pytest.mark.parametrize(
    "variable", ["AZURE_DOCUMENT_TRANSLATION_ENDPOINT", "AZURE_DOCUMENT_TRANSLATION_KEY"]
)
def test_missing_settings_name_the_variable(cli, emulator, variable):
    result = cli("azure", "get", str(uuid.uuid4()), env={variable: None})
    assert result.code == 2
    assert variable in result.stderr
    assert emulator.requests == []


def test_429_honours_retry_after(cli, emulator):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=429, retry_after="7", path_contains=job, times=1
        )
    )
    doc = get_json(cli, job, "--no-documents")
    assert doc["status"] == "Succeeded"
    assert [r.status for r in requests_to(emulator, job)] == [429, 200]


def test_429_retry_after_as_http_date(cli, emulator, clock):
    from email.utils import formatdate

    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    when = formatdate(clock() + 30, usegmt=True)
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=429, retry_after=when, path_contains=job, times=1
        )
    )
    result = cli("azure", "get", job, "--no-documents")
    assert result.code == 0
    assert 28 <= result.sleeps[0] <= 31


def test_retry_after_sleep_is_the_servers(cli, emulator):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=503, retry_after="4", path_contains=job, times=1
        )
    )
    result = cli("azure", "get", job, "--no-documents")
    assert result.code == 0
    assert result.sleeps == [4.0]


@pytest.mark.parametrize(
    ("kind", "status"),
    [("http", 500), ("http", 503), ("drop", None), ("html", None), ("bad_json", None)],
)
def test_server_faults_are_retried_then_exit_7(cli, emulator, kind, status):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    emulator.faults.add(
        Fault(provider="azure", kind=kind, status=status, times=20, path_contains=job)
    )
    result = cli("azure", "get", job, "--no-documents", "--retries", "2")
    assert result.code == 7, result.stderr
    assert len(requests_to(emulator, job)) == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_one_server_error_then_success(cli, emulator):
    job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    emulator.faults.add(
        Fault(provider="azure", kind="http", status=500, times=1, path_contains=job)
    )
    doc = get_json(cli, job, "--no-documents")
    assert doc["state"] == "succeeded"
    assert [r.status for r in requests_to(emulator, job)] == [500, 200]


def test_table_lists_documents_with_whole_urls(cli, emulator):
    job = emulator.azure.add_job(documents=docs(2, failed=1), stages=[Stage("Succeeded")])
    doc = get_json(cli, job)
    result = cli("azure", "get", job, env={"COLUMNS": "30"})
    assert result.code == 0
    for item in doc["items"]:
        assert any(item["source_url"] in line for line in result.stdout.splitlines())
        if item["result_url"]:
            assert any(item["result_url"] in line for line in result.stdout.splitlines())
    assert "Succeeded (partially_succeeded)" in result.stdout
    assert "TargetFileAlreadyExists" in result.stdout


def test_next_links_are_pinned_to_the_endpoint_and_api_version():
    from batchstat.endpoints import Endpoint
    from batchstat.errors import UnavailableError
    from batchstat.providers.azure import AzureConfig, AzureProvider
    from batchstat.runtime import Runtime

    config = AzureConfig(Endpoint("https", "res.example.com", None), "k", None, "2024-05-01")
    provider = AzureProvider(config, Runtime(env={}))
    pinned = provider._safe_next_link(
        "https://res.example.com/translator/document/batches/x/documents?$skip=100"
        "&api-version=2026-03-01"
    )
    assert pinned == (
        "https://res.example.com/translator/document/batches/x/documents?%24skip=100"
        "&api-version=2024-05-01"
    )
    relative = provider._safe_next_link("document/batches/x/documents?$skip=5")
    assert relative.startswith("https://res.example.com/translator/document/batches/x/")
    with pytest.raises(UnavailableError, match="another host"):
        provider._safe_next_link("https://evil.example.net/translator/document/batches/x")


@pytest.mark.parametrize("provider", ["azure", "alibaba"])
def test_proxy_variables_are_honoured(cli, emulator, provider):
    # Both SDKs take the proxy batchstat resolves from the environment it was given
    # (aliyunsdkcore would ignore NO_PROXY on its own).
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    if provider == "azure":
        job = emulator.azure.add_job(documents=docs(1), stages=[Stage("Succeeded")])
    else:
        job = emulator.alibaba.add_job(
            images=["https://img.example.com/a.png"], stages=[Stage("finished")]
        )
    proxy = {"HTTP_PROXY": f"http://127.0.0.1:{dead}"}
    through_dead_proxy = cli(provider, "get", job, "--retries", "0", env=proxy)
    assert through_dead_proxy.code == 7, through_dead_proxy.stderr
    assert emulator.requests == []  # nothing went straight to the endpoint

    for bypass in ("127.0.0.1", "localhost,127.0.0.1:" + emulator.base_url.rsplit(":", 1)[1], "*"):
        direct = cli(provider, "get", job, "-o", "json", env={**proxy, "NO_PROXY": bypass})
        assert direct.code == 0, (bypass, direct.stderr)
        assert json.loads(direct.stdout)["state"] == "succeeded"
