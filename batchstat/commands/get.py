"""``get``: one job's status, items and result URLs, from any provider."""

from __future__ import annotations

from typing import Any

from batchstat.errors import ExitCode
from batchstat.model import JobRecord, JobState
from batchstat.providers import ProviderSpec, provider
from batchstat.runtime import Runtime
from batchstat.text import shorten


class GetRequest:
    """What ``batchstat PROVIDER get`` was asked (a plain class: this is the start-up
    path of the command that runs in shell loops)."""

    __slots__ = (
        "exit_status",
        "items",
        "job_id",
        "output",
        "provider",
        "query",
        "retries",
        "settings",
        "wide",
    )

    def __init__(
        self,
        provider: str,
        job_id: str,
        *,
        settings: dict[str, Any] | None = None,
        output: str = "table",
        query: str | None = None,
        exit_status: bool = False,
        retries: int = 3,
        items: bool = True,
        wide: bool = False,
    ) -> None:
        self.provider = provider
        self.job_id = job_id
        self.settings: dict[str, Any] = {} if settings is None else settings
        self.output = output
        self.query = query
        self.exit_status = exit_status
        self.retries = retries
        self.items = items
        self.wide = wide  # keep the item columns whatever the terminal's width

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"GetRequest({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GetRequest) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )


def run_get(request: GetRequest, runtime: Runtime) -> int:
    from batchstat.output.formats import Shown, write
    from batchstat.output.jsondoc import compile_query

    spec = provider(request.provider)
    job_id, implied = spec.reference(request.job_id)  # an id, or a job URL
    query = compile_query(request.query)  # a typo is a usage error before any request
    adapter = spec.build(runtime, {**request.settings, **implied}, retries=request.retries)
    record = adapter.get(job_id, items=request.items)
    write(request.output, [Shown(record)], runtime, query=query, many=False, wide=request.wide)
    return finish_get(record, spec, runtime, exit_status=request.exit_status)


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
            f"note: {spec.title} keeps results for {spoken_duration(spec.retention)} "
            "after the job ends; download them before they expire."
        )
    return record.outcome if exit_status else ExitCode.OK
