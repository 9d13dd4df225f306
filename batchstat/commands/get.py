"""``get``: jobs' status, items and result URLs, from any provider."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from batchstat.errors import BatchstatError, ExitCode, UsageError, worst
from batchstat.model import JobRecord, JobState
from batchstat.providers import ProviderSpec, provider
from batchstat.runtime import Runtime
from batchstat.text import shorten


class GetRequest:
    """What ``batchstat PROVIDER get`` was asked (a plain class: this is the start-up
    path of the command that runs in shell loops)."""

    __slots__ = (
        "download",
        "exit_status",
        "items",
        "job_ids",
        "junit",
        "output",
        "provider",
        "query",
        "retries",
        "settings",
        "summary",
        "wide",
        "with_inpainting",
    )

    def __init__(
        self,
        provider: str,
        job_ids: str | list[str],  # ids or job URLs; "-" reads more from stdin
        *,
        settings: dict[str, Any] | None = None,
        output: str = "table",
        query: str | None = None,
        exit_status: bool = False,
        retries: int = 3,
        items: bool = True,
        wide: bool = False,
        summary: str | None = None,
        junit: str | None = None,
        download: str | None = None,
        with_inpainting: bool = False,
    ) -> None:
        self.provider = provider
        self.job_ids = [job_ids] if isinstance(job_ids, str) else list(job_ids)
        self.settings: dict[str, Any] = {} if settings is None else settings
        self.output = output
        self.query = query
        self.exit_status = exit_status
        self.retries = retries
        self.items = items
        self.wide = wide  # keep the item columns whatever the terminal's width
        self.summary = summary  # CI reports (batchstat/output/ci.py): Markdown, JUnit XML
        self.junit = junit
        self.download = download  # --download DIR: save the results (batchstat/download.py)
        self.with_inpainting = with_inpainting  # and the extra result files

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"GetRequest({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GetRequest) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )


def run_get(request: GetRequest, runtime: Runtime) -> int:
    from batchstat.history import remember
    from batchstat.output.ci import ReportedJob, Reports
    from batchstat.output.formats import Shown, write
    from batchstat.output.jsondoc import compile_query

    spec = provider(request.provider)
    texts = request.job_ids
    if "-" in texts:
        from batchstat.commands.watch import read_targets

        texts = read_targets(texts, runtime)
    # Every id (or job URL) is checked before any request; the same job once.
    references = list(
        dict.fromkeys(
            (job_id, tuple(sorted(implied.items())))
            for job_id, implied in map(spec.reference, texts)
        )
    )
    if not references:
        raise UsageError(f"no {spec.id_metavar} given.", "Give one or more, or '-' for stdin.")
    query = compile_query(request.query)  # a typo is a usage error before any request
    reports = Reports(runtime, "get", summary=request.summary, junit=request.junit)
    reports.check()  # a report that cannot be written fails before any request
    downloads = None
    if request.download is not None or request.with_inpainting:  # checked before any request
        from batchstat.download import GetDownloads, prepare

        saving = prepare(
            request.download, runtime, extras=request.with_inpainting, items=request.items,
            retries=request.retries,
        )  # fmt: skip
        downloads = None if saving is None else GetDownloads(saving, runtime)
    settings = {**request.settings, **implied_settings(spec, references)}
    adapter = spec.build(runtime, settings, retries=request.retries)
    # The ids asked for, for shell completion (batchstat/history.py; never fails).
    asked = [(spec.name, job_id, None) for job_id, _ in references]
    remember(runtime.env, asked, runtime.all_secrets)
    if request.job_ids != ["-"] and len(request.job_ids) == 1:  # one id: a document
        job_id = references[0][0]
        try:
            record = adapter.get(job_id, items=request.items)
        except BatchstatError as err:  # the reports say it too (then the one error line)
            reports.finish([ReportedJob.fetched(spec.name, job_id, err)], annotate=True)
            raise
        write(request.output, [Shown(record)], runtime, query=query, many=False, wide=request.wide)
        reports.finish([ReportedJob.fetched(spec.name, job_id, record)], annotate=True)
        code = finish_get(record, spec, runtime, exit_status=request.exit_status)
        return code if downloads is None else downloads.after_get([record], [code])[0]

    # Several: fetched concurrently, printed in the order given, the worst exit code.
    outcomes = _get_all(adapter, [job_id for job_id, _ in references], request, runtime)
    records = [o for o in outcomes if isinstance(o, JobRecord)]
    write(
        request.output, [Shown(r) for r in records], runtime, query=query, many=True,
        wide=request.wide,
    )  # fmt: skip
    jobs = zip((job_id for job_id, _ in references), outcomes, strict=True)
    reports.finish([ReportedJob.fetched(spec.name, *job) for job in jobs], annotate=True)
    codes = []
    for outcome in outcomes:
        if isinstance(outcome, JobRecord):
            codes.append(finish_get(outcome, spec, runtime, exit_status=request.exit_status))
        else:
            runtime.say(f"error: {outcome.sentence}")
            codes.append(int(outcome.exit_code))
    if downloads is not None:
        codes = downloads.after_get(outcomes, codes)
    return worst(codes)


def implied_settings(
    spec: ProviderSpec, references: Iterable[tuple[str, Iterable[tuple[str, str]]]]
) -> dict[str, str]:
    """What the job URLs among ``references`` (id, implied settings) imply, their endpoint:
    one value per setting, or a usage error (the key goes to one endpoint only)."""
    implied: dict[str, str] = {}
    for _, settings in references:
        for key, value in settings:
            if implied.setdefault(key, value) != value:
                raise UsageError(
                    f"the {spec.name} job URLs point at different endpoints: "
                    f"{implied[key]}, {value}.",
                    "Ask for the jobs of one endpoint at a time.",
                )
    return implied


def _get_all(
    adapter: Any, job_ids: list[str], request: GetRequest, runtime: Runtime
) -> list[JobRecord | BatchstatError]:
    """Each job's record or the error that stopped it, in order; a few at a time."""

    def one(job_id: str) -> JobRecord | BatchstatError:
        try:
            record: JobRecord = adapter.get(job_id, items=request.items)
            return record
        except BatchstatError as err:
            return err

    workers = min(runtime.watch_workers, len(job_ids))
    if workers <= 1:
        return [one(job_id) for job_id in job_ids]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="batchstat-get") as pool:
        return list(pool.map(one, job_ids))


def finish_get(
    record: JobRecord, spec: ProviderSpec, runtime: Runtime, *, exit_status: bool
) -> int:
    """Diagnostics on stderr and the exit code of a ``get``."""
    if record.state == JobState.NOT_FOUND:
        # One shape on every cloud: the document on stdout (state not_found), this line.
        why = "an unknown id"
        if spec.retention is not None:
            from batchstat.durations import spoken_duration

            why += (
                f", or its results expired: {spec.title} deletes them "
                f"{spoken_duration(spec.retention)} after the job ends"
            )
        runtime.say(
            f"error: {spec.title} has no job {shorten(record.id)}: not found ({why}). "
            "Hint: Check the id, and the endpoint (or region) it was submitted to."
        )
        return ExitCode.NOT_FOUND
    if spec.retention is not None and record.terminal and runtime.is_tty("stderr"):
        from batchstat.durations import spoken_duration

        runtime.say(
            f"note: {spec.title} deletes results {spoken_duration(spec.retention)} after a "
            "job ends; see --download."
        )
    return record.outcome if exit_status else ExitCode.OK
