"""Flags -> request objects, with no SDK, no server and no clock: each command hands its
request to ``Runtime.on_request`` instead of running it."""

from __future__ import annotations

import io

import pytest

from batchstat.cli import run
from batchstat.commands.get import GetRequest
from batchstat.commands.watch import WatchRequest, read_targets
from batchstat.runtime import Runtime

JOB = "727bf148-f327-47a0-9481-abae6362f11e"


def parse(*argv: str) -> object:
    seen: list[object] = []

    def capture(request: object) -> int:
        seen.append(request)
        return 0

    err = io.StringIO()
    code = run(list(argv), Runtime(env={}, stderr=err, stdout=io.StringIO(), on_request=capture))
    assert code == 0, err.getvalue()
    (request,) = seen
    return request


def test_alibaba_get_flags():
    assert parse(
        "alibaba", "get", "T-1", "--region", "cn-shanghai", "-o", "JSON", "--exit-status"
    ) == GetRequest(
        "alibaba",
        "T-1",
        settings={"region": "cn-shanghai", "endpoint": None},
        output="json",
        exit_status=True,
    )


def test_azure_get_flags():
    assert parse(
        "azure",
        "get",
        JOB,
        "--endpoint",
        "https://res.example.com",
        "--api-version",
        "2026-03-01",
        "--no-documents",
        "--query",
        "summary",
        "--retries",
        "5",
        "--region",
        "westus2",
    ) == GetRequest(
        "azure",
        JOB,
        settings={
            "endpoint": "https://res.example.com",
            "api_version": "2026-03-01",
            "region": "westus2",
        },
        query="summary",
        retries=5,
        items=False,
    )


def test_watch_defaults():
    request = parse("watch", f"azure:{JOB}")
    assert request == WatchRequest(
        targets=[f"azure:{JOB}"],
        settings={
            "alibaba": {"endpoint": None, "region": None},
            "azure": {"endpoint": None, "api_version": None, "region": None},
        },
    )


def test_watch_flags_reach_each_provider():
    request = parse(
        "watch",
        "alibaba:T-1",
        f"azure:{JOB}",
        "--interval",
        "1m30s",
        "--timeout",
        "2h",
        "--stall-warning",
        "0",
        "-o",
        "ndjson",
        "--query",
        "state",
        "-q",
        "--max-errors",
        "3",
        "--alibaba-endpoint",
        "http://127.0.0.1:9",
        "--region",
        "ap-southeast-1",
        "--azure-endpoint",
        "https://res.example.com",
        "--api-version",
        "2026-03-01",
        "--azure-region",
        "westus2",
        "--alibaba-rate",
        "1.5",
        "--azure-rate",
        "0",
    )
    assert request == WatchRequest(
        targets=["alibaba:T-1", f"azure:{JOB}"],
        interval=90.0,
        timeout=7200.0,
        stall_warning=0.0,
        output="ndjson",
        query="state",
        quiet=True,
        max_errors=3,
        rates={"alibaba": 1.5, "azure": 0.0},
        settings={
            "alibaba": {"endpoint": "http://127.0.0.1:9", "region": "ap-southeast-1"},
            "azure": {
                "endpoint": "https://res.example.com",
                "api_version": "2026-03-01",
                "region": "westus2",
            },
        },
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["watch", "alibaba:T", "--interval", "soon"], "--interval: 'soon' is not a duration."),
        (["watch", "alibaba:T", "-o", "xml"], "Invalid value for '--output' / '-o'"),
        (["alibaba", "get", "T", "--retries", "99"], "Invalid value for '--retries'"),
    ],
)
def test_bad_flags_are_usage_errors_before_any_request(argv, message):
    err = io.StringIO()
    seen: list[object] = []
    code = run(argv, Runtime(env={}, stderr=err, on_request=seen.append))
    assert code == 2
    assert message in err.getvalue()
    assert seen == []


def test_stdin_targets_skip_blanks_and_comments():
    runtime = Runtime(env={}, stdin=io.StringIO("alibaba:A\n\n# a comment\n  azure:B  \n"))
    assert read_targets(["x:1", "-"], runtime) == ["x:1", "alibaba:A", "azure:B"]


@pytest.mark.parametrize(
    "argv, collected", [(["watch", "alibaba:T"], True), (["alibaba", "get", "T"], False)]
)
def test_long_running_commands_turn_the_garbage_collector_back_on(argv, collected):
    # The console script starts with the cyclic GC off (batchstat/__main__.py); the
    # commands registered as long-running turn it on before they run.
    import gc

    states: list[bool] = []

    def capture(request: object) -> int:
        states.append(gc.isenabled())
        return 0

    gc.disable()
    try:
        assert run(argv, Runtime(env={}, on_request=capture)) == 0
    finally:
        gc.enable()
    assert states == [collected]


def test_which_commands_are_long_running_is_declared_in_one_table():
    from batchstat.cli import commands

    table = commands()
    assert {name for name, c in table.items() if c.long_running} == {"watch", "emulator", "demo"}


def run_text(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), Runtime(env={}, stdout=out, stderr=err, on_request=lambda r: 0))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "command",
    [[], ["alibaba"], ["alibaba", "get"], ["azure"], ["azure", "get"], ["watch"], ["emulator"],
     ["demo"]],
)  # fmt: skip
def test_dash_h_is_help_everywhere(command, capsys):
    # Help is Typer's own text on the process's stdout.
    assert run_text(*command, "-h")[0] == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: batchstat {' '.join(command)}".rstrip())
    assert run_text(*command, "--help")[0] == 0
    assert capsys.readouterr().out == out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["azure", "get", JOB, "--quey", "x"], ("--quey", "--query", "batchstat azure get --help")),
        (["watch", "--intervl", "5", f"azure:{JOB}"], ("--interval", "batchstat watch --help")),
        (["alibaba", "get"], ("TASK_ID", "batchstat alibaba get --help")),
        (["wath", f"azure:{JOB}"], ("'watch'", "batchstat --help")),
        (["azure", "gett", JOB], ("'get'", "batchstat azure --help")),
    ],
)
def test_a_usage_error_suggests_and_points_at_the_commands_help(argv, words):
    code, out, err = run_text(*argv)
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("error: ")
    for word in words:
        assert word in line
