"""``watch``: wait for jobs on any provider, show their progress, exit with their outcome."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from batchstat.errors import ExitCode, Terminated, UsageError
from batchstat.providers import PROVIDERS, provider, target_examples
from batchstat.runtime import Runtime


@dataclass
class WatchRequest:
    """What ``batchstat watch`` was asked. Durations are in seconds."""

    targets: list[str]  # PROVIDER:ID texts; "-" reads more from stdin
    interval: float = 5.0
    timeout: float | None = None
    stall_warning: float = 600.0
    output: str = "table"
    query: str | None = None
    wide: bool = False  # final tables keep their columns whatever the terminal's width
    quiet: bool = False
    max_errors: int = 10
    items: bool = True  # list each finished job's items (--no-documents: not)
    # Requests per second per provider; a provider not named gets its registry default.
    rates: dict[str, float] = field(default_factory=dict)
    # Per provider, the settings its adapter is built from (endpoint, region, ...).
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The options as given, to print a resume command that works when pasted.
    resume_options: list[str] = field(default_factory=list, compare=False)
    # CI reports (batchstat/output/ci.py): Markdown summary and JUnit XML files.
    summary: str | None = None
    junit: str | None = None
    fail_fast: bool = False  # stop at the first job that ends failed or cancelled
    # --download DIR: each job's results the moment it ends (batchstat/download.py).
    download: str | None = None
    with_inpainting: bool = False  # and the extra result files


def read_targets(texts: list[str], runtime: Runtime) -> list[str]:
    """The targets, with ``-`` replaced by the lines of stdin (blank lines, ``#`` comment
    lines and trailing `` # comments`` skipped)."""
    out: list[str] = []
    for text in texts:
        if text != "-":
            out.append(text)
            continue
        stdin = runtime.input_lines()
        if _is_terminal(stdin):  # not silence: say what it waits for
            runtime.say("reading targets from stdin, one per line; end with Ctrl-D.")
        for line in stdin:
            line = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            line = _TRAILING_COMMENT.sub("", line).strip()
            if line:
                out.append(line)
    return out


_TRAILING_COMMENT = re.compile(r"\s+#.*$", re.S)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _settings(request: WatchRequest, targets: list[Any], name: str) -> dict[str, Any]:
    """A provider's settings: its flags, plus what its targets imply (the endpoint of job
    URLs), which must agree."""
    from batchstat.commands.get import implied_settings

    mine = [(t.id, t.settings) for t in targets if t.provider == name]
    return {**(request.settings.get(name) or {}), **implied_settings(provider(name), mine)}


def run_watch(request: WatchRequest, runtime: Runtime) -> int:
    from batchstat.history import remember
    from batchstat.output.ci import ReportedJob, Reports
    from batchstat.output.formats import choose
    from batchstat.output.jsondoc import compile_query
    from batchstat.output.progress import LineLog, LiveView, NdjsonEvents, Observers
    from batchstat.watch import Watch, WatchOptions, parse_target

    query = compile_query(request.query)
    fmt = choose(request.output, query)
    parsed = list(dict.fromkeys(parse_target(t) for t in read_targets(request.targets, runtime)))
    if not parsed:
        raise UsageError("no targets to watch.", f"Give {target_examples()}.")
    reports = Reports(runtime, "watch", summary=request.summary, junit=request.junit)
    reports.check()  # a report that cannot be written fails before the first request
    downloads = None
    if request.download is not None or request.with_inpainting:
        from batchstat.download import WatchDownloads, prepare

        saving = prepare(
            request.download, runtime, extras=request.with_inpainting, items=request.items,
            retries=3,
        )  # fmt: skip
        downloads = None if saving is None else WatchDownloads(saving, runtime, quiet=request.quiet)
    names = list(dict.fromkeys(t.provider for t in parsed))
    # Every provider's configuration is checked before the first request goes out.
    # retries=0: the watch loop owns retries (and honours Retry-After itself).
    adapters = {
        name: provider(name).build(runtime, _settings(request, parsed, name), retries=0)
        for name in names
    }
    # The jobs asked for, for shell completion (batchstat/history.py; never fails).
    remember(runtime.env, [(t.provider, t.id, t.label) for t in parsed], runtime.all_secrets)
    options = WatchOptions(
        interval=request.interval,
        timeout=request.timeout,
        stall_warning=request.stall_warning,
        max_errors=request.max_errors,
        items=request.items,
        rates={
            name: request.rates.get(name, spec.default_rate) for name, spec in PROVIDERS.items()
        },
        workers=runtime.watch_workers,
        fail_fast=request.fail_fast,
    )

    observers = Observers()
    if fmt.streams:
        observers.append(NdjsonEvents(runtime, query))
    github = reports.log(quiet=request.quiet)  # on GitHub Actions: groups, annotations
    if github is not None:
        observers.append(github)
    elif not request.quiet:
        observers.append(LiveView(runtime) if runtime.is_tty("stderr") else LineLog(runtime))
    if downloads is not None:
        downloads.attach(observers)  # a job's download starts the moment it ends

    engine = Watch(parsed, adapters, runtime, options, observers)
    observers.start(engine.jobs)
    interrupted: str | None = None
    try:
        code = engine.run()
        if downloads is not None:
            downloads.wait()  # the downloads still running (Ctrl-C stops them too)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated)
        interrupted = "terminated" if isinstance(stop, Terminated) else "interrupted"
        code = ExitCode.TERMINATED if isinstance(stop, Terminated) else ExitCode.INTERRUPTED
    finally:
        observers.stop()

    unfinished = [job for job in engine.jobs if not job.done]
    if engine.failed_fast is not None and unfinished:
        record = engine.failed_fast.record
        runtime.say(
            f"fail-fast: {engine.failed_fast.target} ended {record.status if record else '-'}"
            f" ({record.state if record else '-'}); not waiting for the other jobs."
        )
    if interrupted or engine.timed_out or (engine.failed_fast is not None and unfinished):
        why = interrupted or ("timed out" if engine.timed_out else "fail-fast")
        for job in unfinished:
            last = job.record.status if job.record else "not polled yet"
            runtime.say(f"{why}: {job.target} is still {last}")
        if unfinished:
            import shlex

            words = [job.target.source or str(job.target) for job in unfinished]
            words += request.resume_options
            runtime.say(f"resume with: batchstat watch {shlex.join(words)}")
    if not fmt.streams:
        from batchstat.output.formats import Shown
        from batchstat.output.progress import watch_document

        for job in engine.jobs:
            if job.record is not None:
                job.record.label = job.target.label
        shown = [
            Shown(
                job.record,
                functools.partial(watch_document, job),
                # Said once: by the progress lines, or here when they were quiet.
                None
                if job.failure is None or not request.quiet
                else f"error: {job.target}: {job.failure.message}",
            )
            for job in engine.jobs
        ]
        fmt.write(shown, runtime, query, True, wide=request.wide)
    reports.finish([ReportedJob.watched(job) for job in engine.jobs])
    if downloads is not None:
        code = downloads.finish(code)  # a failed download makes a success exit 7
    return code
