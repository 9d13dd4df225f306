"""``batchstat watch``: block until jobs on either cloud finish; exit with their outcome."""

from enum import Enum
from typing import Annotated, Any

import typer

from batchstat.cli.common import runtime_of
from batchstat.errors import ExitCode, UsageError
from batchstat.model import JobRecord
from batchstat.runtime import Runtime


class WatchOutput(str, Enum):
    table = "table"
    json = "json"
    ndjson = "ndjson"


def watch(
    ctx: typer.Context,
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="TARGET...",
            help="alibaba:TASK_ID or azure:JOB_ID; '-' reads targets from stdin, one per line.",
        ),
    ],
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            metavar="DURATION",
            help="Time between polls of a job, unless the "
            "service asks for longer with Retry-After (e.g. 5s, 1m).",
        ),
    ] = "5s",
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="Give up after this long: exit 6 with a resume command.",
        ),
    ] = None,
    stall_warning: Annotated[
        str,
        typer.Option(
            "--stall-warning",
            metavar="DURATION",
            help="Warn once when a running job shows no progress for this long (0 disables).",
        ),
    ] = "10m",
    output: Annotated[
        WatchOutput,
        typer.Option(
            "--output",
            "-o",
            case_sensitive=False,
            help="table or json at the end, or ndjson: one event per state change.",
        ),
    ] = WatchOutput.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but the result.")
    ] = False,
    max_errors: Annotated[
        int,
        typer.Option(
            "--max-errors",
            min=0,
            help="Consecutive transient failures "
            "(throttling, 5xx, network) a job may meet before the watch gives up on it.",
        ),
    ] = 10,
    alibaba_rate: Annotated[
        float,
        typer.Option(
            "--alibaba-rate",
            min=0.0,
            help="Alibaba requests per second, shared by all its jobs (the API allows about 3).",
        ),
    ] = 3.0,
    azure_rate: Annotated[
        float,
        typer.Option(
            "--azure-rate",
            min=0.0,
            help="Azure requests per second (0: no limit but the service's own).",
        ),
    ] = 0.0,
    alibaba_endpoint: Annotated[
        str | None,
        typer.Option(
            "--alibaba-endpoint",
            metavar="URL",
            help="Alibaba endpoint [env BATCHSTAT_ALIBABA_ENDPOINT].",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region", metavar="REGION", help="Alibaba region [env ALIBABA_CLOUD_REGION_ID]."
        ),
    ] = None,
    azure_endpoint: Annotated[
        str | None,
        typer.Option(
            "--azure-endpoint",
            metavar="URL",
            help="Azure endpoint [env AZURE_DOCUMENT_TRANSLATION_ENDPOINT].",
        ),
    ] = None,
    api_version: Annotated[
        str, typer.Option("--api-version", metavar="VERSION", help="Azure API version.")
    ] = "2024-05-01",
) -> None:
    """Watch one or many jobs until they finish, then print their final state.

    Jobs are polled concurrently, each no sooner than the service's Retry-After. The exit
    code is the worst outcome, in this order: 130 interrupted, 5 auth, 7 unavailable,
    6 timed out, 4 not found, 1 failed or cancelled, 3 partially succeeded, 0 succeeded.

    Example: batchstat watch alibaba:EEA28E6D-4828-5031-BD8C-8FF1B3216842 \\
    azure:727bf148-f327-47a0-9481-abae6362f11e --timeout 30m
    """
    from batchstat.durations import parse_duration
    from batchstat.watch import Watch, WatchOptions, parse_target

    runtime = runtime_of(ctx, long_running=True)
    options = WatchOptions(
        interval=parse_duration(interval, option="--interval"),
        timeout=None if timeout is None else parse_duration(timeout, option="--timeout"),
        stall_warning=parse_duration(stall_warning, option="--stall-warning"),
        max_errors=max_errors,
        rates={"alibaba": alibaba_rate, "azure": azure_rate},
        workers=runtime.watch_workers,
    )
    texts = _expand_stdin(targets, runtime)
    parsed = list(dict.fromkeys(parse_target(text) for text in texts))
    if not parsed:
        raise UsageError("no targets to watch.", "Give alibaba:TASK_ID or azure:JOB_ID.")
    pollers = _pollers(
        {t.provider for t in parsed}, runtime, alibaba_endpoint, region, azure_endpoint, api_version
    )

    from batchstat.output.progress import (
        LineProgress,
        LiveProgress,
        NdjsonEvents,
        QuietProgress,
    )

    events = NdjsonEvents(runtime) if output is WatchOutput.ndjson else None
    observer: LineProgress
    if quiet:
        observer = QuietProgress(runtime, events)
    elif runtime.is_tty("stderr"):
        observer = LiveProgress(runtime, events)
    else:
        observer = LineProgress(runtime, events)

    engine = Watch(parsed, pollers, runtime, options, observer)
    observer.start(engine.jobs)
    interrupted = False
    try:
        code = engine.run()
    except KeyboardInterrupt:
        interrupted = True
        code = int(ExitCode.INTERRUPTED)
    finally:
        observer.stop()

    unfinished = [job for job in engine.jobs if not job.done]
    if interrupted or engine.timed_out:
        why = "interrupted" if interrupted else "timed out"
        for job in unfinished:
            last = job.record.status if job.record else "not polled yet"
            runtime.err.write(f"{why}: {job.target} is still {last}\n")
        if unfinished:
            resume = " ".join(str(job.target) for job in unfinished)
            runtime.err.write(f"resume with: batchstat watch {resume}\n")
    _final_output(engine.jobs, runtime, output)
    raise typer.Exit(code)


def _expand_stdin(targets: list[str], runtime: Runtime) -> list[str]:
    out: list[str] = []
    for text in targets:
        if text == "-":
            import sys

            for line in sys.stdin if runtime.stdin is None else runtime.stdin:
                line = line.strip()
                if line and not line.startswith("#"):
                    out.append(line)
        else:
            out.append(text)
    return out


def _final_output(jobs: list[Any], runtime: Runtime, output: WatchOutput) -> None:
    from batchstat.output.progress import watch_document

    if output is WatchOutput.ndjson:
        return  # every change was already printed as it happened
    if output is WatchOutput.json:
        from batchstat.output.jsondoc import dumps

        runtime.out.write(dumps([watch_document(job) for job in jobs]) + "\n")
        return
    from batchstat.output.table import print_jobs

    records: list[JobRecord] = [job.record for job in jobs if job.record is not None]
    print_jobs(records, runtime)
    for job in jobs:
        if job.record is None and job.failure is not None:
            runtime.out.write(f"{job.target}: {job.failure.message}\n")


def _pollers(
    providers: set[str],
    runtime: Runtime,
    alibaba_endpoint: str | None,
    region: str | None,
    azure_endpoint: str | None,
    api_version: str,
) -> dict[str, Any]:
    pollers: dict[str, Any] = {}
    if "alibaba" in providers:
        from batchstat.providers.alibaba import AlibabaConfig, AlibabaProvider

        config = AlibabaConfig.from_env(runtime, region=region, endpoint=alibaba_endpoint)
        pollers["alibaba"] = AlibabaProvider(config, runtime, retries=0)
    if "azure" in providers:
        from batchstat.providers.azure import AzureConfig, AzureProvider

        az = AzureConfig.from_env(runtime, endpoint=azure_endpoint, api_version=api_version)
        # retries=0: the watch loop owns retries (and honours Retry-After itself).
        pollers["azure"] = AzureProvider(az, runtime, retries=0)
    return pollers
