"""Fault injection: a queue of scripted failures, consumed in order by matching requests."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

FAULT_KINDS = ("http", "html", "bad_json", "business", "slow", "drop")
FAULT_PROVIDERS = ("alibaba", "azure", "any")


@dataclass(frozen=True, kw_only=True)
class Fault:
    """A failure to inject. Keyword-only, because `provider` defaults while `kind` does not.

    kinds:
      http      `status` with the provider's own error body (optional `code` overrides the error
                code, optional `retry_after` adds a Retry-After header)
      html      `status` (default 502) with a text/html body, like a proxy in front of the cloud
      bad_json  Azure: 502 labelled application/json with a non-JSON body; Alibaba: 200, non-JSON
      business  Alibaba only: HTTP 200 whose Code is `code` (default 102) with the table message
      slow      answer normally after sleeping `delay` real seconds (for timeout tests only)
      drop      close the connection without any response
    `delay` also applies to the other kinds. `path_contains` narrows matching to requests whose
    path and query, or (Alibaba) one of whose `Name=value` params, contain the text.
    """

    provider: str = "any"
    kind: str
    times: int = 1
    rate: float | None = None
    status: int | None = None
    retry_after: str | None = None
    code: int | str | None = None
    delay: float = 0.0
    path_contains: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.provider not in FAULT_PROVIDERS:
            raise ValueError(f"unknown fault provider {self.provider!r}")
        if self.kind == "business" and self.provider == "azure":
            raise ValueError("business faults exist only for alibaba")
        if self.kind == "http" and self.status is None:
            raise ValueError("an http fault needs a status")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.rate is None and self.times < 1:
            raise ValueError("times must be at least 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")

    def matches(self, provider: str, haystack: str) -> bool:
        if provider not in ("alibaba", "azure"):
            return False  # the files endpoint is never faulted
        if self.provider not in ("any", provider):
            return False
        if self.kind == "business" and provider != "alibaba":
            return False
        return self.path_contains is None or self.path_contains in haystack


@dataclass
class _ArmedFault:
    fault: Fault
    hits_left: int


class FaultQueue:
    """Thread-safe queue of faults. Counted faults are used up; rate-based ones stay forever."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._armed: list[_ArmedFault] = []
        self._rng = random.Random(seed)  # seeded so rate-based runs are reproducible

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(_ArmedFault(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return [armed.fault for armed in self._armed]

    def take(self, provider: str, haystack: str) -> Fault | None:
        """The fault hitting this request, if any; counts it as used."""
        with self._lock:
            for position, armed in enumerate(self._armed):
                fault = armed.fault
                if not fault.matches(provider, haystack):
                    continue
                if fault.rate is not None:
                    if self._rng.random() < fault.rate:
                        return fault
                    continue
                armed.hits_left -= 1
                if armed.hits_left <= 0:
                    del self._armed[position]
                return fault
            return None
