"""`batchstat azure list` against the emulator, through azure-ai-translation-document."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from batchstat.cli import run
from batchstat.commands.list import ListRequest, point_in_time
from batchstat.emulator import AzureDocument, Fault, Stage
from batchstat.hints import CODE_HINTS, STATUS_HINTS
from batchstat.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def listings(emulator):
    return [
        r
        for r in emulator.requests
        if r.provider == "azure" and r.path.rstrip("/") == "/translator/document/batches"
    ]


def add_jobs(emulator, clock, count, *, stage="Succeeded", step=60.0):
    """``count`` jobs, one every ``step`` seconds; returns their ids, oldest first."""
    ids = []
    for n in range(count):
        ids.append(
            emulator.azure.add_job(
                [AzureDocument(f"https://store.example.com/src/{n}.docx")], stages=[Stage(stage)]
            )
        )
        clock.advance(step)
    return ids


def list_json(cli, *args):
    result = cli("azure", "list", "-o", "json", *args)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_lists_newest_first_as_a_table_and_as_json(cli, emulator, clock):
    old, middle, new = add_jobs(emulator, clock, 3)
    table = cli("azure", "list")
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["JOB", "STATUS", "CREATED", "DOCUMENTS", "FAILED", "ERROR"]
    assert [line.split()[0] for line in lines[1:]] == [new, middle, old]
    assert table.stderr == ""

    docs = list_json(cli)
    assert [doc["id"] for doc in docs] == [new, middle, old]
    first = docs[0]
    assert (first["provider"], first["status"], first["state"]) == (
        "azure",
        "Succeeded",
        "succeeded",
    )
    assert first["items"] is None  # a listing does not fetch documents
    assert first["summary"]["total"] == 1
    assert first["raw"]["id"] == new
    # Filtered and ordered by the service: one request, its parameters as documented.
    sent = listings(emulator)[-1].query
    assert sent["orderby"] == "createdDateTimeUtc desc"
    assert sent["top"] == "50" and sent["api-version"] == "2024-05-01"


def test_ndjson_is_one_document_a_line_and_query_applies(cli, emulator, clock):
    ids = add_jobs(emulator, clock, 2)
    lines = cli("azure", "list", "-o", "ndjson").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids[::-1]
    result = cli("azure", "list", "--query", "[].id")
    assert json.loads(result.stdout) == ids[::-1]  # --query implies JSON


def test_status_filter_is_sent_to_the_service(cli, emulator, clock):
    done = add_jobs(emulator, clock, 1)[0]
    failed = add_jobs(emulator, clock, 1, stage="Failed")[0]
    rejected = emulator.azure.add_job([], stages=[Stage("ValidationFailed")])
    add_jobs(emulator, clock, 1, stage="Cancelled")
    docs = list_json(cli, "--status", "failed", "--status", "VALIDATIONFAILED,Failed")
    assert [doc["id"] for doc in docs] == [rejected, failed]
    assert listings(emulator)[-1].query["statuses"] == "Failed,ValidationFailed"
    assert [d["id"] for d in list_json(cli, "--status", "Succeeded")] == [done]
    canceled = list_json(cli, "--status", "Canceled")  # the SDK's spelling
    assert [d["status"] for d in canceled] == ["Cancelled"]
    assert listings(emulator)[-1].query["statuses"] == "Cancelled"


def test_since_and_until_take_durations_and_iso_dates(cli, emulator, clock):
    ids = add_jobs(emulator, clock, 5, step=3600.0)  # one an hour; now is 1 h after the last
    assert [d["id"] for d in list_json(cli, "--since", "2h30m")] == ids[:-3:-1]
    sent = listings(emulator)[-1].query["createdDateTimeUtcStart"]
    expected = datetime.fromtimestamp(clock() - 9000, tz=timezone.utc)
    assert sent.startswith(expected.strftime("%Y-%m-%dT%H:%M:%S"))
    # --until 2h30m: created at least two and a half hours ago.
    assert [d["id"] for d in list_json(cli, "--until", "2h30m")] == ids[2::-1]
    # An ISO date-time, UTC unless it says; both bounds together.
    start = datetime.fromtimestamp(clock() - 4.5 * 3600, tz=timezone.utc)
    end = datetime.fromtimestamp(clock() - 2.5 * 3600, tz=timezone.utc)
    docs = list_json(
        cli, "--since", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "--until", end.isoformat()
    )
    assert [d["id"] for d in docs] == [ids[2], ids[1]]
    query = listings(emulator)[-1].query
    assert "createdDateTimeUtcStart" in query and "createdDateTimeUtcEnd" in query


@pytest.mark.parametrize("link_key", ["nextLink", "@nextLink", "both"])
def test_top_bounds_the_list_and_every_page_is_followed(cli, emulator, clock, link_key):
    emulator.azure.next_link_key = link_key
    ids = add_jobs(emulator, clock, 230, step=1.0)
    docs = list_json(cli, "--top", "1000", "--api-version", "2026-03-01")
    assert [d["id"] for d in docs] == ids[::-1]  # all 230, newest first, once each
    pages = listings(emulator)
    assert len(pages) == 3  # 100 a page
    assert all(page.query["api-version"] == "2026-03-01" for page in pages)
    assert len(list_json(cli, "--top", "7")) == 7
    assert listings(emulator)[-1].query["maxpagesize"] == "7"


def emulator_status(cli, job_id):
    return json.loads(cli("azure", "get", job_id, "-o", "json", "--no-documents").stdout)["raw"]


def test_a_next_link_is_followed_on_our_api_version_and_host(cli, emulator, clock):
    ids = add_jobs(emulator, clock, 2)
    link = f"{emulator.base_url}/translator/document/batches?$skip=1&api-version=2099-01-01"
    first = {"value": [emulator_status(cli, ids[1])], "nextLink": link}
    emulator.faults.add(
        Fault(provider="azure", kind="body", body=json.dumps(first), path_contains="top=")
    )
    docs = list_json(cli, "--api-version", "2026-03-01")
    assert [d["id"] for d in docs] == [ids[1], ids[0]]
    followed = listings(emulator)[-1]
    assert followed.query["api-version"] == "2026-03-01"
    assert followed.query["$skip"] == "1"


def test_a_server_that_ignores_top_is_cut_short(cli, emulator, clock):
    add_jobs(emulator, clock, 3, step=1.0)
    emulator.azure.next_link_mode = "endless"  # a link on every page, forever
    docs = list_json(cli, "--top", "3")
    assert len(docs) == 3
    assert len(listings(emulator)) == 1  # no page asked for beyond what was needed


def test_endless_pages_stop_at_the_page_bound(cli, emulator, clock):
    add_jobs(emulator, clock, 1)
    emulator.azure.next_link_mode = "endless"
    result = cli("azure", "list", "--top", "500", env={"BATCHSTAT_MAX_PAGES": "4"})
    assert result.code == 7
    assert "more than 4 pages of jobs" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(listings(emulator)) == 4


def test_a_next_link_to_another_host_is_refused(cli, emulator, clock):
    add_jobs(emulator, clock, 1)
    emulator.azure.next_link_mode = "foreign"
    result = cli("azure", "list", "--top", "5")
    assert result.code == 7
    assert "another host" in result.stderr and "Traceback" not in result.output
    assert len(listings(emulator)) == 1


def test_a_looping_next_link_is_refused(cli, emulator, clock):
    add_jobs(emulator, clock, 1)
    page = {"value": [], "nextLink": f"{emulator.base_url}/translator/document/batches?x=1"}
    emulator.faults.add(
        Fault(provider="azure", kind="body", body=json.dumps(page), times=10, path_contains="x=1")
    )
    emulator.faults.add(Fault(provider="azure", kind="body", body=json.dumps(page), times=1))
    result = cli("azure", "list")
    assert result.code == 7
    assert "loops" in result.stderr


def test_nothing_found_is_exit_0_and_says_so_on_stderr(cli, emulator):
    table = cli("azure", "list")
    assert (table.code, table.stdout, table.stderr) == (0, "", "no jobs\n")
    as_json = cli("azure", "list", "-o", "json")
    assert (as_json.code, json.loads(as_json.stdout), as_json.stderr) == (0, [], "")
    assert cli("azure", "list", "-o", "ndjson").stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--status", "Done"], "'Done' is not a job status"),
        (["--since", "yesterday"], "not a duration"),
        (["--since", "2026-13-45"], "not an ISO 8601 date"),
        (["--since", "1h", "--until", "2h"], "later than --until"),
        (["--top", "0"], "--top"),
        (["--query", "[?"], "--query"),
    ],
)
def test_bad_flags_are_usage_errors_before_any_request(cli, emulator, args, words):
    result = cli("azure", "list", *args)
    assert result.code == 2
    assert words in result.stderr
    assert listings(emulator) == []


@pytest.mark.parametrize(
    "body",
    [
        '{"value": {}}',  # not a list
        '{"value": [{"status": "Succeeded", "summary": {}}]}',  # a job without an id
        '{"value": [{"id": "x", "summary": {"total": -1}, "status": "Running"}]}',
        "[]",
    ],
)
def test_a_malformed_page_is_exit_7_after_retries(cli, emulator, body):
    emulator.faults.add(Fault(provider="azure", kind="body", body=body, times=10))
    result = cli("azure", "list", "--retries", "1")
    assert result.code == 7, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert len(listings(emulator)) == 2  # retried once


def test_a_transient_failure_is_retried(cli, emulator, clock):
    ids = add_jobs(emulator, clock, 1)
    emulator.faults.add(Fault(provider="azure", kind="http", status=503, times=1))
    assert [d["id"] for d in list_json(cli)] == ids


def test_wrong_key_is_exit_5(cli, emulator):
    result = cli("azure", "list", env={"AZURE_DOCUMENT_TRANSLATION_KEY": "wrong"})
    assert result.code == 5
    assert "wrong" not in result.output


def test_a_failed_job_shows_its_error_and_hint(cli, emulator, clock):
    error = {
        "code": "InvalidRequest",
        "message": "Cannot access source document location.",
        "target": "Operation",
        "innerError": {"code": "InvalidDocumentAccessLevel", "message": "SAS lacks read."},
    }
    job = emulator.azure.add_job([], stages=[Stage("ValidationFailed")], error=error)
    doc = list_json(cli)[0]
    assert doc["id"] == job and doc["state"] == "failed"
    hint = STATUS_HINTS["ValidationFailed"] + " " + CODE_HINTS["InvalidDocumentAccessLevel"]
    assert doc["error"]["hint"] == hint
    table = cli("azure", "list", "--wide", stdout_tty=True, env={"COLUMNS": "80"})
    row = table.stdout.splitlines()[1]
    assert "InvalidDocumentAccessLevel" in row and "Hint: ValidationFailed" in row
    # A narrow terminal: one block per job, the hint wrapped under its label.
    narrow = cli("azure", "list", stdout_tty=True, env={"COLUMNS": "60", "NO_COLOR": "1"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", narrow.stdout)
    assert text.startswith(f"job {job} · ValidationFailed (failed)\n")
    assert "\n  hint:" in text and "sr=c" in text
    assert all(len(line) <= 60 for line in text.splitlines() if line.startswith("  "))


def test_server_text_is_made_printable_in_the_table(cli, emulator):
    hostile = "bad\x1b[2J\x1b]0;title\x07news\r\nline"
    emulator.azure.add_job(
        [],
        stages=[Stage("ValidationFailed")],
        error={"code": "InvalidRequest", "message": hostile},
    )
    table = cli("azure", "list").stdout
    assert "\x1b" not in table and "\r" not in table
    assert "badnews line" in table
    assert hostile in json.loads(cli("azure", "list", "-o", "json").stdout)[0]["error"]["message"]


def parse(*argv: str) -> object:
    seen: list[object] = []
    err = io.StringIO()
    runtime = Runtime(env={}, stderr=err, stdout=io.StringIO(), on_request=seen.append)
    assert run(list(argv), runtime) in (0, None), err.getvalue()
    (request,) = seen
    return request


def test_flags_become_a_list_request_with_nothing_sent():
    assert parse("azure", "list") == ListRequest(
        "azure", settings={"endpoint": None, "api_version": None, "region": None}, top=50
    )
    assert parse(
        "azure",
        "list",
        "--status",
        "Failed",
        "--status",
        "Running,NotStarted",
        "--since",
        "2h",
        "--until",
        "2026-03-01",
        "--top",
        "5",
        "--endpoint",
        "https://res.example.com",
        "--api-version",
        "2026-03-01",
        "-o",
        "ndjson",
        "--query",
        "id",
        "--retries",
        "0",
        "--wide",
    ) == ListRequest(
        "azure",
        settings={
            "endpoint": "https://res.example.com",
            "api_version": "2026-03-01",
            "region": None,
        },
        statuses=["Failed", "Running,NotStarted"],
        since="2h",
        until="2026-03-01",
        top=5,
        output="ndjson",
        query="id",
        retries=0,
        wide=True,
    )


def test_points_in_time():
    now = 1_800_000_000.0
    assert point_in_time(None, "--since", now) is None
    assert point_in_time("90m", "--since", now) == now - 5400
    assert (
        point_in_time("2026-03-01", "--since", now)
        == datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()
    )
    assert (
        point_in_time("2026-03-01T12:00:00+02:00", "--until", now)
        == datetime(2026, 3, 1, 10, tzinfo=timezone.utc).timestamp()
    )
    assert (
        point_in_time("2026-03-01T10:00:00z", "--until", now)
        == datetime(2026, 3, 1, 10, tzinfo=timezone.utc).timestamp()
    )


def _help(*command: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "batchstat", *command, "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200"},
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _options(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text)) - {"--help"}


def test_the_readme_documents_the_command_and_each_option():
    text = _help("azure", "list")
    assert "Example: batchstat azure list" in text
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `batchstat azure list`", 1)[1].split("\n### ", 1)[0]
    global_options = _options(_help())  # documented once, for every command
    missing = sorted(o for o in _options(text) - global_options if o not in section)
    assert not missing, f"azure list: {missing} not documented in its README section"
    assert "| `batchstat azure list` |" in readme  # in the table of commands
