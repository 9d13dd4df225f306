"""Scripted job lives: a job walks through a list of stages, each lasting polls or seconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One status a job holds, for `polls` successful status polls or `seconds` of the clock.

    Neither means forever; the last stage of a life always lasts forever.
    """

    status: str
    polls: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if not self.status:
            raise ValueError("a Stage needs a status")
        if self.polls is not None and self.seconds is not None:
            raise ValueError(f"Stage {self.status!r}: polls and seconds are exclusive")
        if self.polls is not None and self.polls < 1:
            raise ValueError(f"Stage {self.status!r}: polls must be at least 1")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError(f"Stage {self.status!r}: seconds must not be negative")


class Lifecycle:
    """Where a job is in its stages. Not thread-safe: callers hold their store's lock.

    Time-based stages end at exact clock instants (entered + seconds) whether or not anyone
    looked, so results do not depend on when polls happen. Poll-based stages end on the poll
    that used them up; the next stage is entered at that poll's time.
    """

    def __init__(self, stages: Sequence[Stage], started_at: float) -> None:
        if not stages:
            raise ValueError("a job needs at least one stage")
        self._stages = list(stages)
        self._index = 0
        self._entered_at = started_at
        self._polls_in_stage = 0
        self._first_entered: dict[str, float] = {self._stages[0].status: started_at}

    @property
    def stages(self) -> list[Stage]:
        return list(self._stages)

    def status(self, now: float) -> str:
        self._catch_up(now)
        return self._stages[self._index].status

    def entered_at(self, now: float) -> float:
        """When the current stage began (Azure's lastActionDateTimeUtc)."""
        self._catch_up(now)
        return self._entered_at

    def first_entered_at(self, status: str, now: float) -> float | None:
        self._catch_up(now)
        return self._first_entered.get(status)

    def record_poll(self, now: float) -> None:
        """Count one successful status poll; call it after rendering the answer."""
        self._catch_up(now)
        stage = self._stages[self._index]
        if stage.polls is None or self._is_last():
            return
        self._polls_in_stage += 1
        if self._polls_in_stage >= stage.polls:
            self._enter(self._index + 1, now)

    def replace_remaining(self, stages: Sequence[Stage], now: float) -> None:
        """Drop the rest of the script and continue with `stages` from now (e.g. a cancel)."""
        if not stages:
            raise ValueError("replacement needs at least one stage")
        self._catch_up(now)
        self._stages = [*self._stages[: self._index + 1], *stages]
        self._enter(self._index + 1, now)

    def _is_last(self) -> bool:
        return self._index == len(self._stages) - 1

    def _enter(self, index: int, at: float) -> None:
        self._index = index
        self._entered_at = at
        self._polls_in_stage = 0
        self._first_entered.setdefault(self._stages[index].status, at)

    def _catch_up(self, now: float) -> None:
        while not self._is_last():
            seconds = self._stages[self._index].seconds
            if seconds is None or now < self._entered_at + seconds:
                return
            self._enter(self._index + 1, self._entered_at + seconds)
