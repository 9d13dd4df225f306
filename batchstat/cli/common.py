"""Pieces every command shares: output options, rendering a record, the outcome exit code."""

from enum import Enum
from typing import Annotated, Any

import typer

from batchstat.errors import ExitCode
from batchstat.model import JobRecord, JobState
from batchstat.runtime import Runtime


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output", "-o", help="table for people, json for scripts.", case_sensitive=False
    ),
]
QueryOption = Annotated[
    str | None,
    typer.Option(
        "--query",
        metavar="JMESPATH",
        help="JMESPath expression applied to the JSON document (implies -o json); "
        "a bare scalar prints as itself, e.g. 'summary.failed'.",
    ),
]
ExitStatusOption = Annotated[
    bool,
    typer.Option(
        "--exit-status",
        help="Exit with the job's outcome: 0 succeeded, 1 failed or cancelled, "
        "3 partially succeeded, 8 not finished yet.",
    ),
]
RetriesOption = Annotated[
    int,
    typer.Option(
        "--retries",
        min=0,
        max=20,
        help="Retries for throttling, server errors and network failures.",
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Service endpoint (scheme://host[:port]); http only for loopback.",
    ),
]


def runtime_of(ctx: typer.Context, *, long_running: bool = False) -> Runtime:
    """The run's :class:`Runtime`.

    ``long_running`` commands (watch, emulator, demo) turn the cyclic garbage collector
    back on: the console script starts with it off (see ``batchstat/__main__.py``).
    """
    if long_running:
        import gc

        gc.enable()
    obj = ctx.find_root().obj
    if not isinstance(obj, Runtime):  # invoked without run(): e.g. Typer's own test runner
        obj = Runtime()
        ctx.find_root().obj = obj
    return obj


def render_record(record: JobRecord, runtime: Runtime, output: OutputFormat, query: Any) -> None:
    if output is OutputFormat.json or query is not None:
        from batchstat.output.jsondoc import write_json

        write_json(record.to_dict(), runtime.out, query=query)
    else:
        from batchstat.output.table import print_job

        print_job(record, runtime)


def finish_get(record: JobRecord, runtime: Runtime, *, exit_status: bool) -> int:
    """Diagnostics on stderr and the exit code of a ``get``."""
    if record.state == JobState.NOT_FOUND:
        note(
            runtime,
            f"{record.provider} job {record.id} was not found: the id is invalid, "
            "or its results expired and were cleaned up.",
        )
        return ExitCode.NOT_FOUND
    if record.provider == "alibaba" and record.terminal:
        note(
            runtime,
            "note: Alibaba keeps results for 1 hour after the job ends; "
            "download them before they expire.",
        )
    return record.outcome if exit_status else ExitCode.OK


def note(runtime: Runtime, message: str) -> None:
    runtime.err.write(message + "\n")
    runtime.err.flush()
