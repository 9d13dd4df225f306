"""Fault injection: a queue of scripted failures, consumed in order by matching requests."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

FAULT_KINDS = (
    "http",
    "html",
    "bad_json",
    "business",
    "slow",
    "drop",
    "redirect",
    "huge",
    "trickle",
    "stall",
    "reset",
    "truncate",
    "body",
)
FAULT_PROVIDERS = ("alibaba", "azure", "any")
REDIRECT_STATUSES = (301, 302, 307, 308)
HUGE_PREFIX = b'{"pad":"'
HUGE_SUFFIX = b'"}'
MIN_HUGE_SIZE = len(HUGE_PREFIX) + len(HUGE_SUFFIX)


@dataclass(frozen=True, kw_only=True)
class Fault:
    """A failure to inject. Keyword-only, because `provider` defaults while `kind` does not.

    kinds:
      http      `status` with the provider's own error body (optional `code` overrides the error
                code, optional `retry_after` adds a Retry-After header)
      html      `status` (default 502) with a text/html body, like a proxy in front of the cloud
      bad_json  Azure: 502 labelled application/json with a non-JSON body; Alibaba: 200, non-JSON
      business  Alibaba only: HTTP 200 whose Code is `code` (default 102) with the table message
      slow      answer normally after waiting `delay` real seconds (for timeout tests only)
      drop      close the connection without any response
      redirect  `status` (301, 302, 307 or 308; default 307), `Location: <location>` (an
                absolute URL), empty body; point it at a second emulator to see what a client
                sends to the target
      huge      `status` (default 200) with JSON `{"pad":"xxx..."}` of exactly `size` bytes (at
                least 10), streamed in chunks, never whole in memory, with a correct Content-Length
      trickle   the normal answer's head at once, then its body one byte every `delay` seconds
      stall     the normal answer's head, then nothing until the client hangs up or the
                emulator stops
      reset     the normal answer's head and the first half of its body, then a TCP reset
      truncate  the normal answer's head and the first half of its body, then a clean close; the
                Content-Length promises the whole body (at least one byte more than was sent)
      body      `status` (default 200) with `body` verbatim as UTF-8, labelled `content_type`
                (default application/json; charset=utf-8): any JSON shape, or none
    `retry_after` (http, html, redirect, huge, body) is any text without CR or LF, sent verbatim
    as UTF-8: "abc", "-5", "inf", "1e309", "0" and HTTP dates included.
    `delay` is also a wait before answering for every kind but trickle (where it is per byte)
    and stall; stopping the emulator cuts every wait short. The normal answer behind trickle,
    stall, reset and truncate is computed as usual, so it counts as a poll. `path_contains`
    narrows matching to requests whose path and query, or (Alibaba) one of whose `Name=value`
    params, contain the text.
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
    location: str | None = None
    size: int | None = None
    body: str | None = None
    content_type: str | None = None

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
        if self.retry_after is not None and not isinstance(self.retry_after, str):
            # Scenario JSON may well say "retry_after": 2; the header is text either way.
            object.__setattr__(self, "retry_after", str(self.retry_after))
        for name in ("retry_after", "location", "content_type"):
            value = getattr(self, name)
            if value is not None and ("\r" in value or "\n" in value):
                raise ValueError(f"{name} must not contain CR or LF (it is a header value)")
        if self.kind == "redirect":
            if self.status is not None and self.status not in REDIRECT_STATUSES:
                raise ValueError(f"a redirect status must be one of {REDIRECT_STATUSES}")
            parts = urlsplit(self.location or "")
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                raise ValueError("a redirect fault needs an absolute http(s) location")
        if self.kind == "huge" and (not isinstance(self.size, int) or self.size < MIN_HUGE_SIZE):
            raise ValueError(f"a huge fault needs a size of at least {MIN_HUGE_SIZE} bytes")
        if self.kind == "trickle" and self.delay <= 0:
            raise ValueError("a trickle fault needs a positive delay (seconds per byte)")
        if self.kind == "body" and not isinstance(self.body, str):
            raise ValueError("a body fault needs a body (a string)")

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


def huge_chunks(size: int, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """`{"pad":"xxx..."}` of exactly `size` bytes, a chunk at a time (never whole in memory)."""
    yield HUGE_PREFIX
    left = size - MIN_HUGE_SIZE
    block = b"x" * min(chunk_size, left)
    while left > 0:
        piece = block if left >= len(block) else block[:left]
        left -= len(piece)
        yield piece
    yield HUGE_SUFFIX
