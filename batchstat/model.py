"""The normalized job record every provider returns and every output renders.

One shape for both clouds, so scripts and the watch loop never look at a provider's own
payload (it stays available as ``raw``). The JSON form is documented in the README.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from batchstat.errors import ExitCode

# The normalized states. Typed, so mypy catches a misspelt state wherever one is set.
State = Literal[
    "pending", "running", "succeeded", "partially_succeeded", "failed", "cancelled", "not_found"
]


class JobState:
    """The states as names (plain strings: an Enum costs ~1 M instructions a start)."""

    PENDING: Final = "pending"
    RUNNING: Final = "running"
    SUCCEEDED: Final = "succeeded"
    PARTIALLY_SUCCEEDED: Final = "partially_succeeded"
    FAILED: Final = "failed"
    CANCELLED: Final = "cancelled"
    NOT_FOUND: Final = "not_found"


_OUTCOMES: dict[State, int] = {
    JobState.SUCCEEDED: ExitCode.OK,
    JobState.PARTIALLY_SUCCEEDED: ExitCode.PARTIAL,
    JobState.FAILED: ExitCode.JOB_FAILED,
    JobState.CANCELLED: ExitCode.JOB_FAILED,
    JobState.NOT_FOUND: ExitCode.NOT_FOUND,
    JobState.PENDING: ExitCode.PENDING,
    JobState.RUNNING: ExitCode.PENDING,
}


def _explained(error: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """The error with its ``hint`` (see ``batchstat.hints``): the one place hints join
    the record, so JSON, tables and watch events all show them."""
    from batchstat.hints import explain

    return explain(error, status) or error


SUMMARY_FIELDS = (
    "total",
    "succeeded",
    "failed",
    "running",
    "pending",
    "cancelled",
    "characters_charged",
    "characters_charged_documents",
)


class Summary:
    """Counts of a job's items. ``None`` where the provider does not say (yet)."""

    # Plain classes, not dataclasses: ``import dataclasses`` and building one cost ~3M
    # instructions, paid on every start of a CLI that runs in loops (bench/RESULTS.md).
    __slots__ = SUMMARY_FIELDS

    def __init__(
        self,
        total: int | None = None,
        succeeded: int | None = None,
        failed: int | None = None,
        running: int | None = None,
        pending: int | None = None,
        cancelled: int | None = None,
        characters_charged: int | None = None,
        characters_charged_documents: int | None = None,  # the items' own sum, if known
    ) -> None:
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.running = running
        self.pending = pending
        self.cancelled = cancelled
        self.characters_charged = characters_charged
        self.characters_charged_documents = characters_charged_documents

    def to_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}

    def __repr__(self) -> str:
        return f"Summary({self.to_dict()})"


class Item:
    """One image (Alibaba) or document (Azure) of a job."""

    __slots__ = ("error", "extra", "id", "ok", "result_url", "source_url", "status")

    def __init__(
        self,
        id: str,
        status: str,
        ok: bool | None,
        source_url: str | None,
        result_url: str | None,
        error: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.status = status
        self.ok = ok
        self.source_url = source_url
        self.result_url = result_url
        self.error = error if error is None else _explained(error)
        self.extra: dict[str, Any] = {} if extra is None else extra

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status or None,  # null when the service said no status word
            "ok": self.ok,
            "source_url": self.source_url,
            "result_url": self.result_url,
            "error": self.error,
        }
        out.update(self.extra)
        return out

    def __repr__(self) -> str:
        return f"Item({self.to_dict()})"


class JobRecord:
    __slots__ = (
        "created",
        "error",
        "id",
        "items",
        "label",
        "provider",
        "raw",
        "request_id",
        "retry_after",
        "state",
        "status",
        "summary",
        "updated",
    )

    def __init__(
        self,
        provider: str,
        id: str,
        status: str,  # the provider's own word, verbatim
        state: State,
        created: str | None = None,
        updated: str | None = None,
        summary: Summary | None = None,
        items: list[Item] | None = None,  # None: not fetched (--no-documents)
        error: dict[str, Any] | None = None,
        request_id: str | None = None,
        raw: Any = None,
        # Not part of the document: how long the service asked us to wait before the
        # next poll.
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.id = id
        self.status = status
        self.state = state
        self.created = created
        self.updated = updated
        self.summary = Summary() if summary is None else summary
        self.items = items
        self.error = error if error is None else _explained(error, status)
        self.request_id = request_id
        self.raw = raw
        self.retry_after = retry_after
        # Not part of the document either: the name a watch target gave the job.
        self.label: str | None = None

    @property
    def terminal(self) -> bool:
        return self.state not in (JobState.PENDING, JobState.RUNNING)

    @property
    def outcome(self) -> int:
        """The exit code this job's state stands for (get --exit-status, watch)."""
        return _OUTCOMES[self.state]

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "id": self.id,
            "status": self.status or None,  # null when the service said no status word
            "state": self.state,
            "terminal": self.terminal,
            "created": self.created,
            "updated": self.updated,
            "summary": self.summary.to_dict(),
            "items": None if self.items is None else [item.to_dict() for item in self.items],
            "error": self.error,
            "request_id": self.request_id,
            "raw": self.raw,
        }

    def __repr__(self) -> str:
        return f"JobRecord({self.provider}:{self.id} {self.status} {self.state})"
