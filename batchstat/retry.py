"""Retry policy shared by both providers: bounded attempts, exponential backoff with
full jitter, and the service's ``Retry-After`` taking precedence.

Time is injected (``sleep``) so tests run instantly and can assert each delay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import random

from batchstat.errors import TransientError, UnavailableError

T = TypeVar("T")


# The longest wait a server may ask for: beyond it a "Retry-After: 86400" (or "inf") would
# silently hang a CI step; batchstat waits this long and asks again.
MAX_RETRY_AFTER = 300.0
# Waits at least this long are announced on stderr, so a quiet pause is never a mystery.
LONG_WAIT = 10.0


def clamp_retry_after(value: float | None) -> float | None:
    """A server's delay in ``[0, MAX_RETRY_AFTER]``; None for none (or NaN)."""
    if value is None or value != value:
        return None
    return min(max(0.0, value), MAX_RETRY_AFTER)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date),
    clamped to ``[0, MAX_RETRY_AFTER]``; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return clamp_retry_after(float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare: most services send seconds

    try:
        when = parsedate_to_datetime(value)
        seconds = when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return clamp_retry_after(seconds)


def retry_delay(retry_after: float | None, backoff: float) -> float:
    """How long to wait before a retry: what the server asked (clamped), never less than
    the backoff, so a ``Retry-After: 0`` (or a date in the past) cannot make a storm."""
    asked = clamp_retry_after(retry_after)
    return backoff if asked is None else max(asked, backoff)


def jittered(ceiling: float, rng: random.Random) -> float:
    """Full jitter, but never less than half the step: spreads clients without collapsing
    to a busy retry. The one formula for every backoff (ours and azure-core's policy)."""
    return ceiling / 2 + rng.random() * ceiling / 2


def after_attempts(message: str, attempts: int) -> str:
    """The one wording of exhausted retries: ``... failed after 4 attempt(s).``"""
    message = message.rstrip(".")
    return f"{message} after {attempts} attempt(s)." if attempts > 1 else f"{message}."


class Backoff:
    """Exponential backoff with full jitter, capped.

    Throttling answers start from a longer base: Alibaba blocks a throttled account
    until the next minute, so hammering it only prolongs the block.
    """

    def __init__(self, base: float = 0.5, throttled_base: float = 2.0, cap: float = 30.0) -> None:
        self.base = base
        self.throttled_base = throttled_base
        self.cap = cap

    def delay(self, attempt: int, *, throttled: bool, rng: random.Random) -> float:
        base = self.throttled_base if throttled else self.base
        return jittered(min(self.cap, base * (2**attempt)), rng)


def call_with_retries(
    fn: Callable[[], T],
    *,
    retries: int,
    sleep: Callable[[float], None],
    rng: random.Random,
    backoff: Backoff | None = None,
    on_retry: Callable[[TransientError, float], None] | None = None,
) -> T:
    """Call ``fn``; on :class:`TransientError` wait and try again, ``retries`` times at most."""
    policy = backoff or Backoff()
    attempt = 0
    while True:
        try:
            return fn()
        except TransientError as err:
            if attempt >= retries:
                raise UnavailableError(
                    after_attempts(err.message, attempt + 1),
                    err.hint or "The service may be down or throttling you; try again later.",
                ) from err
            delay = retry_delay(
                err.retry_after, policy.delay(attempt, throttled=err.throttled, rng=rng)
            )
            if on_retry is not None:
                on_retry(err, delay)
            sleep(delay)
            attempt += 1
