"""The normalized job record every provider returns and every output renders.

One shape for both clouds, so scripts and the watch loop never look at a provider's own
payload (it stays available as ``raw``). The JSON form is documented in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class JobState(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"

    @property
    def terminal(self) -> bool:
        return self not in (JobState.PENDING, JobState.RUNNING)


@dataclass
class Summary:
    """Counts of a job's items. ``None`` where the provider does not say (yet)."""

    total: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    running: int | None = None
    pending: int | None = None
    cancelled: int | None = None
    characters_charged: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {
            "total": self.total,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "running": self.running,
            "pending": self.pending,
            "cancelled": self.cancelled,
            "characters_charged": self.characters_charged,
        }


@dataclass
class Item:
    """One image (Alibaba) or document (Azure) of a job."""

    id: str
    status: str
    ok: bool | None
    source_url: str | None
    result_url: str | None
    error: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "ok": self.ok,
            "source_url": self.source_url,
            "result_url": self.result_url,
            "error": self.error,
        }
        out.update(self.extra)
        return out


@dataclass
class JobRecord:
    provider: str
    id: str
    status: str  # the provider's own word, verbatim
    state: JobState
    created: str | None = None
    updated: str | None = None
    summary: Summary = field(default_factory=Summary)
    items: list[Item] | None = None  # None: not fetched (--no-documents)
    error: dict[str, Any] | None = None
    request_id: str | None = None
    raw: Any = None
    # Not part of the document: how long the service asked us to wait before the next poll.
    retry_after: float | None = None

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "id": self.id,
            "status": self.status,
            "state": self.state.value,
            "terminal": self.terminal,
            "created": self.created,
            "updated": self.updated,
            "summary": self.summary.to_dict(),
            "items": None if self.items is None else [item.to_dict() for item in self.items],
            "error": self.error,
            "request_id": self.request_id,
            "raw": self.raw,
        }
