"""Durations as people type them: ``90``, ``5s``, ``1.5m``, ``1h30m``, ``2d``."""

from __future__ import annotations

import re

from batchstat.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


MAX_DURATION = 30 * 86400.0  # a month: more is a typo (or "inf"), not a plan


def parse_duration(
    text: str, *, option: str, minimum: float = 0.0, maximum: float = MAX_DURATION
) -> float:
    """Seconds from ``text``, between ``minimum`` and ``maximum`` (a usage error outside)."""
    value = text.strip().lower()
    try:
        number = float(value)
    except ValueError:
        total, position = 0.0, 0
        for match in _PART.finditer(value):
            if match.start() != position:
                break
            total += float(match.group(1)) * _UNITS[match.group(2)]
            position = match.end()
        if position != len(value) or position == 0:
            _fail(text, option)
        number = total
    if number != number or number < 0 or number == float("inf"):  # nan, -1, inf, 1e400
        _fail(text, option)
    if number < minimum or number > maximum:
        raise UsageError(
            f"{option}: {text.strip()[:40]!r} is out of range.",
            f"Use a duration from {format_duration(minimum)} to {format_duration(maximum)}.",
        )
    return number


def _fail(text: str, option: str) -> float:
    raise UsageError(
        f"{option}: {text.strip()[:40]!r} is not a duration.", "Use e.g. 30s, 5m, 1h30m or 90."
    )


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def wait_duration(seconds: float) -> str:
    """A wait as a message says it: ``0.4s`` below ten seconds, else ``5m00s``."""
    return f"{seconds:.1f}s" if seconds < 10 else format_duration(seconds)


def spoken_duration(seconds: float) -> str:
    """``1 hour``, ``90 minutes``, ``45 seconds``: for sentences."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"
