"""`batchstat watch`: the polling rules, exit codes and outputs, on the emulator with a
fake clock (polls run inline, so every delay is exact)."""

from __future__ import annotations

import io
import itertools
import json
import shlex
import uuid
from datetime import datetime, timezone

import pytest

from batchstat.emulator import AzureDocument, Fault, Stage


def azure_job(emulator, *, polls=(1, 1), final="Succeeded", retry_after=None, documents=None):
    stages = [Stage("NotStarted", polls=polls[0]), Stage("Running", polls=polls[1]), Stage(final)]
    docs = documents or [AzureDocument("https://store.example.com/a.docx")]
    return emulator.azure.add_job(documents=docs, stages=stages, retry_after=retry_after)


def alibaba_job(emulator, *, polls=(1, 1), images=None):
    stages = [
        Stage(status, polls=n) for status, n in zip(("created", "running"), polls, strict=True) if n
    ]
    stages.append(Stage("finished"))
    return emulator.alibaba.add_job(
        images=images or ["https://img.example.com/a.png"], stages=stages
    )


def status_polls(emulator, job_id):
    return [
        r
        for r in emulator.requests
        if (r.provider == "azure" and r.path.endswith(job_id)) or r.params.get("TaskId") == job_id
    ]


def test_polls_exactly_as_often_as_the_life_needs(cli, emulator):
    job = azure_job(emulator, polls=(2, 3))
    result = cli("watch", f"azure:{job}", "--interval", "5s", "-o", "json")
    assert result.code == 0, result.stderr
    # 2 NotStarted + 3 Running + 1 Succeeded, then the documents once.
    assert len(status_polls(emulator, job)) == 6
    docs = [r for r in emulator.requests if r.path.endswith("/documents")]
    assert len(docs) == 1
    assert result.sleeps == [5.0] * 5  # no idle wait after the terminal answer
    final = json.loads(result.stdout)
    assert final[0]["state"] == "succeeded" and final[0]["items"][0]["result_url"]


def test_retry_after_beats_a_shorter_interval(cli, emulator):
    job = azure_job(emulator, polls=(1, 1), retry_after=7)
    result = cli("watch", f"azure:{job}", "--interval", "2s", "-q")
    assert result.code == 0
    assert result.sleeps == [7.0, 7.0]


def test_interval_wins_over_a_shorter_retry_after(cli, emulator):
    job = azure_job(emulator, polls=(1, 1), retry_after=1)
    result = cli("watch", f"azure:{job}", "--interval", "3s", "-q")
    assert result.sleeps == [3.0, 3.0]


def test_429_retry_after_is_honoured_and_does_not_end_the_watch(cli, emulator, clock):
    job = azure_job(emulator, polls=(1, 1))
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=429, retry_after="12", path_contains=job, times=1
        )
    )
    result = cli("watch", f"azure:{job}", "--interval", "1s")
    assert result.code == 0, result.stderr
    assert result.sleeps[0] == 12.0
    assert "429" in result.stderr


def test_several_jobs_take_the_time_of_the_slowest(cli, emulator, clock):
    slow = azure_job(emulator, polls=(2, 4))
    fast = [azure_job(emulator, polls=(1, 1)) for _ in range(3)]
    ali = alibaba_job(emulator, polls=(1, 2))
    start = clock()
    targets = [f"azure:{slow}", *(f"azure:{j}" for j in fast), f"alibaba:{ali}"]
    result = cli("watch", *targets, "--interval", "10s", "-o", "json")
    assert result.code == 0, result.stderr
    # The slow job needs 7 polls: 6 waits of 10 s. Sequential would be far longer.
    assert clock() - start == pytest.approx(60.0, abs=1.0)
    assert [d["id"] for d in json.loads(result.stdout)] == [slow, *fast, ali]


def test_alibaba_request_budget_spreads_polls(cli, emulator, clock):
    jobs = [alibaba_job(emulator, polls=(0, 0)) for _ in range(6)]
    emulator.requests_clear()
    cli("watch", *(f"alibaba:{j}" for j in jobs), "--alibaba-rate", "2", "-q")
    times = sorted(r.time for r in emulator.requests if r.provider == "alibaba")
    assert len(times) == 6
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5 - 1e-6


def test_throttling_slows_the_whole_provider(cli, emulator):
    jobs = [alibaba_job(emulator, polls=(0, 0)) for _ in range(3)]
    emulator.faults.add(Fault(provider="alibaba", kind="http", status=400, times=1))
    result = cli("watch", *(f"alibaba:{j}" for j in jobs), "-q")
    assert result.code == 0
    throttled_at = next(r.time for r in emulator.requests if r.fault)
    later = [r.time for r in emulator.requests if r.provider == "alibaba" and not r.fault]
    # Alibaba blocks a throttled account until the next minute: nobody polls before it.
    next_minute = (throttled_at // 60 + 1) * 60
    assert [t for t in later if t > throttled_at]
    assert all(t >= next_minute for t in later if t > throttled_at)


@pytest.mark.parametrize(
    ("final", "failed_docs", "code"),
    [("Succeeded", 0, 0), ("Succeeded", 1, 3), ("Failed", 2, 1), ("Cancelled", 0, 1)],
)
def test_exit_code_is_the_jobs_outcome(cli, emulator, final, failed_docs, code):
    documents = [AzureDocument("https://s.example.com/ok.docx")] if final == "Succeeded" else []
    documents += [
        AzureDocument(
            f"https://s.example.com/bad{n}.docx",
            status="Failed",
            error={"code": "InvalidRequest", "message": "bad"},
        )
        for n in range(failed_docs)
    ]
    if not documents:
        documents = [AzureDocument("https://s.example.com/x.docx", status="Cancelled")]
    job = azure_job(emulator, final=final, documents=documents)
    assert cli("watch", f"azure:{job}", "-q").code == code


def test_not_found_auth_and_unavailable(cli, emulator):
    assert cli("watch", f"azure:{uuid.uuid4()}", "-q").code == 4
    job = azure_job(emulator)
    assert (
        cli("watch", f"azure:{job}", "-q", env={"AZURE_DOCUMENT_TRANSLATION_KEY": "nope-nope"}).code
        == 5
    )
    emulator.faults.add(Fault(provider="azure", kind="http", status=503, times=100))
    result = cli("watch", f"azure:{job}", "--max-errors", "3")
    assert result.code == 7
    assert "giving up after 4 consecutive failures" in result.stderr


def test_unknown_alibaba_task_is_not_found(cli, emulator):
    assert cli("watch", "alibaba:NOPE-1234", "-q").code == 4


def test_worst_outcome_wins_across_jobs(cli, emulator):
    ok = azure_job(emulator)
    failed = azure_job(
        emulator,
        final="Failed",
        documents=[
            AzureDocument(
                "https://s.example.com/b.docx", status="Failed", error={"code": "X", "message": "y"}
            )
        ],
    )
    assert cli("watch", f"azure:{ok}", f"azure:{failed}", f"azure:{uuid.uuid4()}", "-q").code == 4
    assert cli("watch", f"azure:{ok}", f"azure:{failed}", "-q").code == 1


def test_timeout_exits_6_with_resume_hint(cli, emulator):
    job = azure_job(emulator, polls=(1, 100))
    result = cli("watch", f"azure:{job}", "--interval", "10s", "--timeout", "1m")
    assert result.code == 6
    assert f"azure:{job} is still Running" in result.stderr
    assert f"resume with: batchstat watch azure:{job}" in result.stderr
    assert sum(result.sleeps) == pytest.approx(60.0)


def test_ndjson_one_event_per_change_last_terminal(cli, emulator):
    job = azure_job(emulator, polls=(2, 2))
    result = cli("watch", f"azure:{job}", "-o", "ndjson", "--interval", "1s")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["status"] for e in events] == ["NotStarted", "Running", "Succeeded"]
    assert [e["terminal"] for e in events] == [False, False, True]
    assert events[-1]["items"] and events[0]["items"] is None


def test_plain_progress_lines_per_change_not_per_poll(cli, emulator):
    job = azure_job(emulator, polls=(3, 3))
    result = cli("watch", f"azure:{job}", "--interval", "1s")
    lines = [line for line in result.stderr.splitlines() if f"azure:{job}" in line]
    assert len(lines) == 3
    assert "Running" in lines[1] and "Succeeded" in lines[2]
    assert "Succeeded (succeeded)" in result.stdout  # the final table on stdout


def test_quiet_prints_only_the_result(cli, emulator):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}", "-q", "-o", "json")
    assert result.stderr == ""
    assert json.loads(result.stdout)[0]["state"] == "succeeded"


def test_targets_from_stdin(cli, emulator):
    a, b = azure_job(emulator), alibaba_job(emulator)
    result = cli("watch", "-", "-q", "-o", "json", stdin=f"azure:{a}\n\n# a comment\nalibaba:{b}\n")
    assert result.code == 0
    assert [d["id"] for d in json.loads(result.stdout)] == [a, b]


def test_stall_warning_once(cli, emulator):
    job = azure_job(emulator, polls=(1, 30))
    result = cli("watch", f"azure:{job}", "--interval", "1m", "--stall-warning", "5m")
    warnings = [line for line in result.stderr.splitlines() if "no progress" in line]
    assert len(warnings) == 1
    assert job in warnings[0] and "Running" in warnings[0]


def test_alibaba_finish_says_until_when_results_stay(cli, emulator, clock):
    # Seen running at the first poll and finished at the second, 10 s later: the job
    # ended after the first poll, so its results stay until that poll + 1 hour.
    job = alibaba_job(emulator, polls=(0, 1))
    first_poll = clock()
    result = cli("watch", f"alibaba:{job}", "--interval", "10s")
    until = datetime.fromtimestamp(first_poll + 3600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"stay valid until about {until} (1 hour after the job ended)" in result.stderr


def test_alibaba_finished_when_first_seen_promises_no_time(cli, emulator, clock):
    # GetTranslateImageBatchResult says nothing of when the job ended: maybe an hour ago.
    job = alibaba_job(emulator, polls=(0, 0))
    result = cli("watch", f"alibaba:{job}")
    assert "valid until" not in result.stderr
    assert "had already finished when first seen: its result URLs may expire" in result.stderr


@pytest.mark.parametrize("target", ["azure:not-a-uuid", "gcp:123", "nocolon", "alibaba:"])
def test_bad_targets_are_usage_errors(cli, emulator, target):
    result = cli("watch", target)
    assert result.code == 2
    assert emulator.requests == []


def test_bad_duration_is_usage_error(cli, emulator):
    result = cli("watch", f"azure:{uuid.uuid4()}", "--interval", "soon")
    assert result.code == 2 and "--interval" in result.stderr


def test_ctrl_c_prints_last_state_and_exits_130(cli, emulator):
    job = azure_job(emulator, polls=(1, 100))
    calls = {"n": 0}

    def interrupt_on_third(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt

    result = cli.with_sleep(interrupt_on_third)("watch", f"azure:{job}", "-o", "json")
    assert result.code == 130
    assert json.loads(result.stdout)[0]["status"] == "Running"
    assert f"resume with: batchstat watch azure:{job}" in result.stderr


def test_live_view_on_a_terminal(cli, emulator):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}", stderr_tty=True, env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.code == 0
    assert "Next poll" in result.stderr and job in result.stderr


def test_live_view_of_many_jobs_fits_the_terminal_and_draws_per_round(cli, emulator):
    # 40 jobs change state 120 times; the view draws once per round of polls (plus the
    # first and last frame), and as many rows as the terminal has, then counts the rest.
    jobs = [azure_job(emulator) for _ in range(40)]
    result = cli(
        "watch",
        *(f"azure:{j}" for j in jobs),
        "--interval",
        "5s",
        stderr_tty=True,
        env={"NO_COLOR": "1", "COLUMNS": "140", "LINES": "15"},
    )
    assert result.code == 0, result.stderr
    frames = result.stderr.count("Next poll")
    assert 3 <= frames <= 12, frames
    assert "29 more jobs: 29 waiting" in result.stderr  # 12 rows fit: 11 jobs and the count
    assert "more jobs: 29 succeeded" in result.stderr  # the last frame


def test_worker_threads_poll_many_jobs_exactly(cli, emulator):
    jobs = [azure_job(emulator, polls=(1, 2)) for _ in range(6)]
    threaded = cli.with_workers(4)
    result = threaded(*(["watch"] + [f"azure:{j}" for j in jobs]), "-q", "-o", "json")
    assert result.code == 0, result.stderr
    assert all(len(status_polls(emulator, j)) == 4 for j in jobs)
    assert [d["state"] for d in json.loads(result.stdout)] == ["succeeded"] * 6


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_watch_of_an_unknown_job_ends_not_found_on_both_clouds(cli, emulator, provider):
    job = str(uuid.uuid4()) if provider == "azure" else "EEA28E6D-4828-5031-BD8C-8FF1B3216842"
    result = cli("watch", f"{provider}:{job}", "-o", "json")
    assert result.code == 4
    [document] = json.loads(result.stdout)
    assert document["state"] == "not_found" and document["watch_error"] is None


def test_watch_json_state_is_unknown_when_no_status_was_read(cli, emulator):
    job = str(uuid.uuid4())
    emulator.faults.add(Fault(provider="azure", kind="http", status=503, times=100))
    result = cli("watch", f"azure:{job}", "-o", "json", "--max-errors", "1")
    assert result.code == 7
    [document] = json.loads(result.stdout)
    assert document["state"] == "unknown" and document["status"] is None
    assert document["watch_error"]["exit_code"] == 7


def test_the_resume_line_reproduces_every_option_given(cli, emulator):
    from batchstat.cli import run
    from batchstat.runtime import Runtime

    job = azure_job(emulator, polls=(1, 100))
    options = [
        "--interval", "10s", "--timeout", "1m", "--stall-warning", "0", "-o", "ndjson",
        "--query", "{id: id, state: state}", "--max-errors", "3", "--no-documents",
        "--azure-endpoint", emulator.base_url, "--api-version", "2026-03-01",
        "--azure-rate", "2", "--alibaba-endpoint", emulator.base_url, "--region", "cn-hangzhou",
    ]  # fmt: skip
    result = cli("watch", f"azure:{job}", *options)
    assert result.code == 6
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("resume with: ")]
    argv = shlex.split(line.removeprefix("resume with: "))
    assert argv[:3] == ["batchstat", "watch", f"azure:{job}"]

    def request_of(args: list[str]):
        captured = []
        run(args, Runtime(env={}, on_request=lambda r: captured.append(r) or 0))
        return captured[0]

    # Pasted, it asks for exactly the same watch.
    assert request_of(argv[1:]) == request_of(["watch", f"azure:{job}", *options])


def test_no_documents_skips_the_listing(cli, emulator):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}", "-o", "json", "--no-documents")
    assert result.code == 0
    [document] = json.loads(result.stdout)
    assert document["state"] == "succeeded" and document["items"] is None
    assert not [r for r in emulator.requests if r.path.endswith("/documents")]


def test_stdin_lines_may_end_in_a_comment(cli, emulator):
    a, b = azure_job(emulator), alibaba_job(emulator)
    stdin = f"azure:{a}   # contracts, French\nalibaba:{b}\t# banners\n"
    result = cli("watch", "-", "-q", "-o", "json", stdin=stdin)
    assert result.code == 0, result.stderr
    assert [d["id"] for d in json.loads(result.stdout)] == [a, b]


def test_watch_dash_on_a_terminal_says_it_reads_stdin(cli, emulator, cli_env):
    class TerminalInput(io.StringIO):
        def isatty(self) -> bool:
            return True

    from batchstat.cli import run
    from batchstat.runtime import Runtime

    job = azure_job(emulator)
    err = io.StringIO()
    runtime = Runtime(
        env=cli_env,
        clock=cli.clock,
        sleep=cli.clock.advance,
        stdin=TerminalInput(f"azure:{job}\n"),
        stdout=io.StringIO(),
        stderr=err,
        watch_workers=0,
    )
    assert run(["watch", "-", "-q"], runtime) == 0
    assert err.getvalue().startswith("reading targets from stdin, one per line")


def test_a_label_shows_in_json_and_lines(cli, emulator):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}=contracts-fr", "-o", "json")
    assert result.code == 0, result.stderr
    [document] = json.loads(result.stdout)
    assert document["id"] == job and document["label"] == "contracts-fr"
    assert f"azure:{job}=contracts-fr Succeeded" in result.stderr


def operation_location(emulator, job: str) -> str:
    return f"{emulator.base_url}/translator/document/batches/{job}?api-version=2024-05-01"


@pytest.mark.parametrize("prefix", ["", "azure:"])
def test_an_operation_location_url_is_a_target(cli, emulator, prefix):
    job = azure_job(emulator)
    url = operation_location(emulator, job)
    # No endpoint configured: the URL's own endpoint is used.
    env = {"AZURE_DOCUMENT_TRANSLATION_ENDPOINT": None}
    result = cli("watch", f"{prefix}{url}=memo", "-o", "json", env=env)
    assert result.code == 0, result.stderr
    [document] = json.loads(result.stdout)
    assert (document["id"], document["label"], document["state"]) == (job, "memo", "succeeded")
    assert cli("azure", "get", url, "--query", "state", env=env).stdout == "succeeded\n"


def test_a_job_url_on_another_host_than_the_configured_endpoint_is_refused(cli, emulator):
    job = azure_job(emulator)
    port = emulator.base_url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/translator/document/batches/{job}"  # the same server
    for argv in (["watch", url], ["azure", "get", url]):
        result = cli(*argv)  # the configured endpoint is http://127.0.0.1:PORT
        assert result.code == 2
        [line] = result.stderr.splitlines()
        assert "sends the key only to the endpoint you configured" in line
    assert emulator.requests == []  # the key went nowhere


def test_the_resume_line_keeps_the_job_url(cli, emulator):
    job = azure_job(emulator, polls=(1, 100))
    url = operation_location(emulator, job)
    env = {"AZURE_DOCUMENT_TRANSLATION_ENDPOINT": None}
    result = cli("watch", url, "--timeout", "1m", env=env)
    assert result.code == 6
    assert f"resume with: batchstat watch '{url}' --timeout 1m" in result.stderr


def test_a_label_shows_in_the_final_table_and_the_live_view(cli, emulator):
    job = azure_job(emulator)
    result = cli("watch", f"azure:{job}=contracts-fr")
    assert f"azure job {job} (contracts-fr)" in result.stdout
    live = cli("watch", f"azure:{job}=contracts-fr", stderr_tty=True, env={"COLUMNS": "120"})
    assert "Label" in live.stderr and "contracts-fr" in live.stderr


@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_ndjson_items_are_null_until_the_end_on_both_clouds(cli, emulator, provider):
    job = alibaba_job(emulator) if provider == "alibaba" else azure_job(emulator, polls=(1, 1))
    result = cli("watch", f"{provider}:{job}", "-o", "ndjson")
    assert result.code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) >= 2
    assert all(e["items"] is None for e in events[:-1])
    assert events[-1]["terminal"] and len(events[-1]["items"]) == 1


def test_a_failed_job_in_table_output_is_a_line_on_stderr_not_stdout(cli, emulator):
    job = str(uuid.uuid4())
    emulator.faults.add(Fault(provider="azure", kind="http", status=503, times=100))
    result = cli("watch", f"azure:{job}", "--max-errors", "1")
    assert result.code == 7
    assert result.stdout == ""
    assert f"azure:{job}" in result.stderr and "HTTP 503" in result.stderr


@pytest.mark.parametrize("quiet", [False, True])
def test_a_watch_failure_is_said_once(cli, emulator, quiet):
    job = str(uuid.uuid4())
    emulator.faults.add(Fault(provider="azure", kind="http", status=503, times=100))
    result = cli("watch", f"azure:{job}", "--max-errors", "1", *(["-q"] if quiet else []))
    assert result.code == 7
    assert len([line for line in result.stderr.splitlines() if "error:" in line]) == 1


@pytest.mark.parametrize("command", ["watch", "get"])
def test_job_urls_on_two_endpoints_are_refused_before_any_request(cli, emulator, command):
    job_a, job_b = azure_job(emulator), azure_job(emulator)
    port = emulator.base_url.rsplit(":", 1)[1]
    urls = [
        f"http://127.0.0.1:{port}/translator/document/batches/{job_a}",
        f"http://localhost:{port}/translator/document/batches/{job_b}",
    ]
    env = {"AZURE_DOCUMENT_TRANSLATION_ENDPOINT": None}
    argv = ["watch", *urls] if command == "watch" else ["azure", "get", *urls]
    result = cli(*argv, env=env)
    assert result.code == 2
    [line] = result.stderr.splitlines()
    assert "point at different endpoints" in line and "Hint:" in line
    assert emulator.requests == []
