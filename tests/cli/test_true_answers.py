"""Regression tests for answers that were wrong off the happy path (issue: every answer
true): each asserts what a user sees, and each failed before its fix."""

from __future__ import annotations

import json

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage
from batchstat.retry import MAX_RETRY_AFTER

SAS_ERROR = {
    "error": {
        "code": "InvalidRequest",
        "message": "The SAS token is not valid.",
        "innerError": {"code": "SASTokenInvalid", "message": "Signature did not match."},
    }
}


def azure_job(emulator, *stages: Stage) -> str:
    return emulator.azure.add_job(
        [AzureDocument("https://store.example.com/a.docx")],
        stages=list(stages) or [Stage("Succeeded")],
    )


def alibaba_task(emulator) -> str:
    return emulator.alibaba.add_job([AlibabaImage("https://img.example.com/a.png")])


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- exit codes the README promises ----------------------------------------------------


def test_an_azure_400_is_the_services_answer_exit_7_with_its_inner_code(cli, emulator):
    job = azure_job(emulator)
    emulator.faults.add(
        Fault(
            provider="azure",
            kind="body",
            status=400,
            body=json.dumps(SAS_ERROR),
            path_contains="/documents",
            times=10,
        )
    )
    result = cli("azure", "get", job)
    assert result.code == 7, result.stderr
    [line] = error_lines(result.stderr)
    assert "HTTP 400" in line and "InvalidRequest/SASTokenInvalid" in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("code", "exit_code", "requests"),
    [
        (10004, 7, 1),  # required parameters missing: permanent, not retried
        (10009, 5, 1),  # the sub-account lacks permission
        (10010, 5, 1),  # the service is not activated
        (10013, 5, 1),  # not activated or in arrears
        (10001, 7, 4),  # timed out: transient, retried (--retries 3)
        (19999, 7, 4),  # unknown error: retried
    ],
)
def test_alibaba_five_digit_codes_are_the_twins_of_the_three_digit_ones(
    cli, emulator, code, exit_code, requests
):
    task = alibaba_task(emulator)
    emulator.faults.add(Fault(provider="alibaba", kind="business", code=code, times=10))
    result = cli("alibaba", "get", task, "--retries", "3")
    assert result.code == exit_code, result.stderr
    [line] = error_lines(result.stderr)
    assert f"error {code}" in line
    polls = [r for r in emulator.requests if r.provider == "alibaba"]
    assert len(polls) == requests


# --- Retry-After --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "abc", "nan"])
def test_a_retry_after_of_nothing_never_makes_a_retry_storm(cli, emulator, value):
    job = azure_job(emulator)
    emulator.faults.add(
        Fault(provider="azure", kind="http", status=503, retry_after=value, times=2)
    )
    result = cli("azure", "get", job, "-o", "json")
    assert result.code == 0, result.stderr
    # Every wait is at least the backoff (0.8 s * 2^n, jittered to no less than half).
    assert len(result.sleeps) == 2
    assert all(delay >= 0.4 for delay in result.sleeps), result.sleeps


@pytest.mark.parametrize("value", ["inf", "1e309", "99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
@pytest.mark.parametrize("command", ["azure", "watch"])
def test_a_huge_retry_after_is_clamped_and_announced(cli, emulator, value, command):
    job = azure_job(emulator)
    emulator.faults.add(
        Fault(provider="azure", kind="http", status=503, retry_after=value, times=1)
    )
    if command == "azure":
        result = cli("azure", "get", job, "-o", "json")
    else:
        result = cli("watch", f"azure:{job}", "-o", "json")
    assert result.code == 0, result.stderr
    assert max(result.sleeps) == MAX_RETRY_AFTER
    assert "5m00s" in result.stderr  # said before the wait: never a silent pause
    assert json.loads(result.stdout)


def test_alibaba_get_announces_a_long_wait(cli, emulator):
    task = alibaba_task(emulator)
    # Throttled: the backoff starts at 1-2 s and doubles, so the fifth wait is 16-32 s.
    emulator.faults.add(Fault(provider="alibaba", kind="http", status=400, times=5))
    result = cli("alibaba", "get", task, "--retries", "5")
    assert result.code == 0, result.stderr
    assert len(result.sleeps) == 5 and max(result.sleeps) >= 10
    announced = [line for line in result.stderr.splitlines() if "before asking" in line]
    assert len(announced) == sum(1 for delay in result.sleeps if delay >= 10)


# --- malformed answers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"Code": 200, "Data": {"Status": "finished", "Result": "x"}},
        {"Code": 200, "Data": {"Status": "finished", "Result": 7}},
        {"Code": 200, "Data": {"Status": None, "Result": []}},
        {"Code": 200, "Data": {"Status": {}, "Result": []}},
        {"Code": 200, "Data": {"Status": "finished", "Result": [None]}},
        [1, 2],
    ],
)
def test_a_malformed_alibaba_body_is_one_line_and_exit_7(cli, emulator, body):
    task = alibaba_task(emulator)
    emulator.faults.add(Fault(provider="alibaba", kind="body", body=json.dumps(body), times=10))
    result = cli("alibaba", "get", task, "--retries", "1")
    assert result.code == 7, result.stderr
    [line] = error_lines(result.stderr)
    assert "Alibaba Cloud answered with a malformed body" in line
    assert "after 2 attempt(s)" in line  # retried like any transient fault


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "x", "status": "Succeeded", "summary": {"total": NaN}}',
        '{"id": "x", "status": "Succeeded", "summary": {"total": 1e400}}',
        '{"id": "x", "status": "Succeeded", "summary": {"total": -1}}',
        '{"id": "x", "status": null}',
        '{"id": "x", "status": {}}',
        "[]",
        "null",
    ],
)
def test_a_malformed_azure_status_is_one_line_and_exit_7(cli, emulator, text):
    job = azure_job(emulator)
    emulator.faults.add(
        Fault(provider="azure", kind="body", body=text, path_contains=f"{job}?", times=10)
    )
    result = cli("azure", "get", job, "-o", "json")
    assert result.code == 7, result.stderr
    [line] = error_lines(result.stderr)
    assert "Azure answered with" in line
    assert result.stdout == ""


def test_azure_watch_retries_a_non_json_200_and_recovers(cli, emulator):
    job = azure_job(emulator, Stage("Running", polls=1), Stage("Succeeded"))
    emulator.faults.add(
        Fault(provider="azure", kind="body", body="<html>proxy</html>", path_contains=f"{job}?")
    )
    result = cli("watch", f"azure:{job}", "-o", "json", "--interval", "1s")
    assert result.code == 0, result.stderr
    [document] = json.loads(result.stdout)
    assert document["state"] == "succeeded" and document["watch_error"] is None
    assert "not JSON" in result.stderr  # said as a warning, then retried


def test_watch_keeps_the_status_it_read_when_the_documents_cannot_be_listed(cli, emulator):
    job = azure_job(emulator)
    emulator.faults.add(
        Fault(provider="azure", kind="http", status=500, path_contains="/documents", times=50)
    )
    result = cli("watch", f"azure:{job}", "-o", "json", "--max-errors", "1")
    assert result.code == 7, result.stderr
    [document] = json.loads(result.stdout)
    assert document["status"] == "Succeeded"
    assert document["state"] == "succeeded"
    assert document["summary"]["total"] == 1
    assert document["items"] is None  # what is missing ...
    assert "HTTP 500" in document["watch_error"]["message"]  # ... and why


def test_the_json_id_is_the_id_asked_for_whatever_the_body_says(cli, emulator):
    job = azure_job(emulator)
    body = {"id": "someone-else", "status": "Succeeded", "summary": {"total": 0}}
    emulator.faults.add(
        Fault(provider="azure", kind="body", body=json.dumps(body), path_contains=f"{job}?")
    )
    document = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert document["id"] == job


# --- arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--interval", "inf", "is not a duration"),
        ("--interval", "1e400", "is not a duration"),
        ("--interval", "99999999999", "is out of range"),
        ("--interval", "0", "is out of range"),
        ("--interval", "0.2s", "is out of range"),
        ("--timeout", "0", "is out of range"),
        ("--timeout", "nan", "is not a duration"),
    ],
)
def test_durations_out_of_bounds_are_usage_errors(cli, emulator, option, value, words):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}", option, value)
    assert result.code == 2
    [line] = error_lines(result.stderr)
    assert option in line and words in line
    assert emulator.requests == []  # no request sent


@pytest.mark.parametrize(
    "query", ["sort_by(@, &id)", "join(',', @)", "length(summary.total)", "abs(status)"]
)
def test_a_query_of_the_wrong_type_is_a_usage_error_not_a_crash(cli, emulator, query):
    job = azure_job(emulator)
    result = cli("azure", "get", job, "--query", query)
    assert result.code == 2, result.stderr
    [line] = error_lines(result.stderr)
    assert "--query" in line and "expects" in line
    assert "Traceback" not in result.stderr


def test_an_alibaba_task_id_with_a_trailing_newline_is_refused(cli, emulator):
    task = alibaba_task(emulator)
    result = cli("alibaba", "get", task + "\n")
    assert result.code == 2
    assert "is not a valid Alibaba task id" in result.stderr
    assert emulator.requests == []


@pytest.mark.parametrize(
    "argv",
    [
        ["alibaba", "get", "A" * 10_000],
        ["azure", "get", "B" * 10_000],
        ["watch", "azure:" + "C" * 10_000],
        ["watch", "D" * 10_000],
    ],
)
def test_a_huge_id_is_not_echoed_whole(cli, argv):
    result = cli(*argv)
    assert result.code == 2
    [line] = error_lines(result.stderr)
    assert len(line) < 400


# --- bounds on what a server may send ----------------------------------------------------


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_an_answer_bigger_than_the_bound_is_refused_not_read(cli, emulator, provider):
    job = azure_job(emulator) if provider == "azure" else alibaba_task(emulator)
    # 3 MiB against a bound of 1 MiB (the default is 16 MiB).
    emulator.faults.add(Fault(provider=provider, kind="huge", size=3 * 1024 * 1024, times=10))
    result = cli(provider, "get", job, "--retries", "0", env={"BATCHSTAT_MAX_BODY_MB": "1"})
    assert result.code == 7, result.stderr
    [line] = error_lines(result.stderr)
    assert "larger than 1 MiB" in line and "BATCHSTAT_MAX_BODY_MB" in line
    assert result.stdout == ""


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_an_answer_within_the_bound_is_read(cli, emulator, provider):
    job = azure_job(emulator) if provider == "azure" else alibaba_task(emulator)
    result = cli(provider, "get", job, "-o", "json", env={"BATCHSTAT_MAX_BODY_MB": "1"})
    assert result.code == 0, result.stderr


def test_an_endless_chain_of_next_links_stops_at_the_page_bound(cli, emulator):
    job = emulator.azure.add_job(
        [AzureDocument(f"https://store.example.com/{n}.docx") for n in range(3)],
        stages=[Stage("Succeeded")],
    )
    emulator.azure.next_link_mode = "endless"
    result = cli("azure", "get", job, env={"BATCHSTAT_MAX_PAGES": "5"})
    assert result.code == 7, result.stderr
    [line] = error_lines(result.stderr)
    assert "more than 5 pages" in line and "BATCHSTAT_MAX_PAGES" in line
    pages = [r for r in emulator.requests if r.path.endswith("/documents")]
    assert len(pages) == 5


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_watch_of_an_endpoint_where_nothing_answers_fails_like_get(cli, emulator, provider):
    job = azure_job(emulator) if provider == "azure" else alibaba_task(emulator)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    result = cli("watch", f"{provider}:{job}", f"--{provider}-endpoint", nowhere, "-o", "json")
    assert result.code == 7, result.stderr
    [document] = json.loads(result.stdout)
    assert document["state"] == "unknown"
    message = document["watch_error"]["message"]
    assert nowhere in message and "after 4 attempt(s)" in message
    # get's retries (backoff 0.5 s, doubling), not --max-errors (10) of them
    assert len([delay for delay in result.sleeps if delay > 0.1]) == 3
    assert "Check the endpoint" in result.stderr


def test_azure_get_backs_off_after_a_body_broken_off(cli, emulator):
    # azure-core records no history for this failure: the backoff must not start at 0.
    job = azure_job(emulator)
    emulator.faults.add(Fault(provider="azure", kind="reset", times=2, path_contains=f"{job}?"))
    result = cli("azure", "get", job, "-o", "json")
    assert result.code == 0, result.stderr
    assert len(result.sleeps) == 2 and all(delay >= 0.4 for delay in result.sleeps), result.sleeps
