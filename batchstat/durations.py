"""Durations as people type them: ``90``, ``5s``, ``1.5m``, ``1h30m``."""

from __future__ import annotations

import re

from batchstat.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, *, option: str) -> float:
    value = text.strip().lower()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if number >= 0 else _fail(text, option)
    total, position = 0.0, 0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(value) or position == 0:
        _fail(text, option)
    return total


def _fail(text: str, option: str) -> float:
    raise UsageError(f"{option}: {text!r} is not a duration.", "Use e.g. 30s, 5m, 1h30m or 90.")


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def spoken_duration(seconds: float) -> str:
    """``1 hour``, ``90 minutes``, ``45 seconds``: for sentences."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"
