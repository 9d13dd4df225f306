"""What every provider adapter shares: its settings, the runtime and one lazily built client."""

from __future__ import annotations

from typing import Any

from batchstat.errors import redact
from batchstat.retry import LONG_WAIT
from batchstat.runtime import Runtime


class ProviderBase:
    """Settings, runtime and the lazily built SDK client of an adapter (see ``Adapter``)."""

    service = "the service"  # for messages: "Azure", "Alibaba Cloud"
    default_connect_timeout = 10.0
    default_read_timeout = 30.0

    def __init__(
        self,
        runtime: Runtime,
        *,
        retries: int = 3,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.runtime = runtime
        self.retries = retries
        self._connect_timeout = connect_timeout or self.default_connect_timeout
        self._read_timeout = read_timeout or self.default_read_timeout
        # The SDK client, built on first use and reused across polls (a new client per
        # call costs a new connection pool).
        self._client: Any = None

    def _safe(self, text: str) -> str:
        return redact(text, self.runtime.all_secrets)

    def _announce_wait(self, delay: float) -> None:
        """One stderr line before a long wait between retries (see ``retry.LONG_WAIT``)."""
        if delay >= LONG_WAIT:
            from batchstat.durations import format_duration

            self.runtime.say(
                f"waiting {format_duration(delay)} before asking {self.service} again "
                "(Ctrl-C to stop)."
            )
