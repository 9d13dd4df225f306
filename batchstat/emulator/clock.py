"""Clocks for the emulator: wall time by default, a hand-driven one for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], float]
"""Anything returning epoch seconds; `time.time` is the default."""


class FakeClock:
    """A clock that only moves when told to, so tests never wait for real time."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"FakeClock({self():.3f})"


def iso_utc_7(epoch: float) -> str:
    """ISO 8601 UTC with 7 fractional digits and a Z, the way Azure prints timestamps."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}0Z"
