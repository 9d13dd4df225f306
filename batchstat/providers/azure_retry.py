"""azure-core's own RetryPolicy, with jitter and an injectable sleep.

Kept in its own module because it imports azure.core: the Azure adapter loads it only
when it builds a client. Only public RetryPolicy methods are overridden.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from azure.core.pipeline.policies import RetryPolicy

from batchstat.endpoints import tls_failure
from batchstat.retry import LONG_WAIT, jittered, retry_delay


class JitteredRetryPolicy(RetryPolicy):
    """Retries 408/429/5xx and connection errors; ``Retry-After`` (clamped, at least the
    backoff) wins over backoff."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None],
        rng: random.Random,
        on_long_wait: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._sleep_fn = sleep
        self._rng = rng
        self._on_long_wait = on_long_wait

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        # The retries so far: azure-core records no history for some failures (a body
        # broken off mid-read), so count what the budget has spent as well.
        spent = self.total_retries - settings["total"]
        attempts = max(len(settings["history"]), spent)
        if attempts < 1:
            return 0.0
        ceiling = min(settings["max_backoff"], settings["backoff"] * (2 ** (attempts - 1)))
        return jittered(ceiling, self._rng)

    def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
        """No retry of a certificate failure: it fails the same way every time."""
        if error is not None and tls_failure(str(error)):
            return False
        return bool(super().increment(settings, response=response, error=error))

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        try:
            asked = self.get_retry_after(response) if response is not None else None
        except (ValueError, TypeError, IndexError, OverflowError, OSError):  # hostile text
            asked = None
        delay = retry_delay(asked, self.get_backoff_time(settings))
        if delay >= LONG_WAIT and self._on_long_wait is not None:
            self._on_long_wait(delay)
        if delay > 0:
            self._sleep_fn(delay)
