"""``list``: a provider's recent jobs, newest first, so a lost job id can be found."""

from __future__ import annotations

from typing import Any

from batchstat.errors import ExitCode, UsageError
from batchstat.runtime import Runtime

# --since 3650d is a decade: further back is a typo, not a search.
MAX_LOOKBACK = 3650 * 86400.0


class ListRequest:
    """What ``batchstat PROVIDER list`` was asked: filters (``since``/``until`` as typed,
    a duration back from now or an ISO date), output and the adapter's settings."""

    __slots__ = (
        "output",
        "provider",
        "query",
        "retries",
        "settings",
        "since",
        "statuses",
        "top",
        "until",
        "wide",
    )

    def __init__(
        self,
        provider: str,
        *,
        settings: dict[str, Any] | None = None,
        statuses: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        top: int | None = None,
        output: str = "table",
        query: str | None = None,
        retries: int = 3,
        wide: bool = False,
    ) -> None:
        self.provider = provider
        self.settings: dict[str, Any] = {} if settings is None else settings
        self.statuses = list(statuses or [])
        self.since = since
        self.until = until
        self.top = top
        self.output = output
        self.query = query
        self.retries = retries
        self.wide = wide

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"ListRequest({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ListRequest) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )


def run_list(request: ListRequest, runtime: Runtime) -> int:
    """List the jobs and print them; exit 0, also when none match."""
    from batchstat.output.formats import write_listing
    from batchstat.output.jsondoc import compile_query
    from batchstat.providers import provider

    spec = provider(request.provider)
    query = compile_query(request.query)  # every usage error before any request
    now = runtime.clock()
    after = point_in_time(request.since, "--since", now)
    before = point_in_time(request.until, "--until", now)
    if after is not None and before is not None and after > before:
        raise UsageError(
            f"--since {request.since} is later than --until {request.until}.",
            "Give --since the earlier time.",
        )
    adapter = spec.build(runtime, request.settings, retries=request.retries)
    list_jobs = getattr(adapter, "list_jobs", None)
    if list_jobs is None:
        raise UsageError(f"{spec.title} jobs cannot be listed.")
    records = list_jobs(
        statuses=request.statuses, created_after=after, created_before=before, top=request.top
    )
    write_listing(request.output, records, runtime, query=query, wide=request.wide)
    return ExitCode.OK


def point_in_time(text: str | None, option: str, now: float) -> float | None:
    """Epoch seconds from a duration back from ``now`` (``2h``, ``7d``) or an ISO 8601
    date or date-time (``2026-03-01``, ``2026-03-01T12:00:00Z``; UTC unless it says)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
        return _iso_moment(value, option)
    from batchstat.durations import parse_duration

    return now - parse_duration(value, option=option, maximum=MAX_LOOKBACK)


def _iso_moment(value: str, option: str) -> float:
    from datetime import datetime, timezone

    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(
            f"{option}: {value[:40]!r} is not an ISO 8601 date.",
            "Use e.g. 2026-03-01, 2026-03-01T12:00:00Z, or a duration back from now: 2h, 7d.",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
