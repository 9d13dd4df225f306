"""Fault injection: a queue of scripted failures, consumed in order by matching requests, and
chaos: a seeded fraction of answers turned into transient failures, counted per kind."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
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
# The failures chaos chooses among: transient ones a client is expected to ride out.
CHAOS_KINDS = ("500", "503", "429", "html", "reset", "truncate", "drop")


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
    params, contain the text. The result files (/files/...) are faulted only by a fault of
    provider "any" whose `path_contains` starts with "/files/" (http answers there are text).
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
        if provider == "files":  # result files: only by a fault aimed at one (/files/...)
            aimed = self.path_contains or ""
            return aimed.startswith("/files/") and self.provider == "any" and aimed in haystack
        if provider not in ("alibaba", "azure"):
            return False
        if self.provider not in ("any", provider):
            return False
        if self.kind == "business" and provider != "alibaba":
            return False
        return self.path_contains is None or self.path_contains in haystack


@dataclass(frozen=True, kw_only=True)
class Chaos:
    """Transient failures on a random fraction of a provider's answers, reproducible by seed.

    rate         the fraction of answers that fail, each answer drawn independently (0 to 1)
    seed         seeds the draws: the same requests in the same order fail the same way
    kinds        what a failing answer is, chosen uniformly among these (default: all):
                   500       HTTP 500 with the provider's error body
                   503       HTTP 503 with the provider's error body and `retry_after`
                   429       HTTP 429 with the provider's error body and `retry_after`
                   html      HTTP 502 with an HTML page, like a proxy in front of the cloud
                   reset     the normal answer's head and half its body, then a TCP reset
                   truncate  the normal answer's head and half its body, then a clean close
                   drop      the connection closed without an answer
    provider     "alibaba", "azure" or "any"; a provider's own setting wins over "any"
    retry_after  the Retry-After of 429 and 503 answers, as text (None: no header)

    Only transient kinds: no authentication failure, no malformed body. On Alibaba a 429
    is the gateway's Throttling error, which a client must read as "blocked until the next
    minute": leave it out unless throttling is what is being tested. The reset and
    truncate kinds compute the normal answer first, so they count as a poll of a job whose
    life is counted in polls (time-based lives are not affected).
    """

    rate: float
    seed: int = 0
    kinds: tuple[str, ...] = CHAOS_KINDS
    provider: str = "any"
    retry_after: str | None = "1"

    def __post_init__(self) -> None:
        if isinstance(self.rate, bool) or not isinstance(self.rate, int | float):
            raise ValueError("chaos rate must be a number")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("chaos rate must be between 0 and 1")
        if isinstance(self.kinds, str) or not self.kinds:
            raise ValueError(f"chaos needs a list of kinds among {CHAOS_KINDS}")
        kinds = tuple(str(kind) for kind in self.kinds)  # JSON gives a list, maybe of 500s
        unknown = [kind for kind in kinds if kind not in CHAOS_KINDS]
        if unknown:
            raise ValueError(f"unknown chaos kind(s) {unknown}; expected some of {CHAOS_KINDS}")
        object.__setattr__(self, "kinds", kinds)
        if self.provider not in FAULT_PROVIDERS:
            raise ValueError(f"unknown chaos provider {self.provider!r}")
        if self.retry_after is not None:
            # A setting from JSON may well say "retry_after": 2; the header is text either way.
            object.__setattr__(self, "retry_after", str(self.retry_after))
        for kind in kinds:
            self.fault(kind)  # Fault's own checks (a Retry-After with a line break)

    def fault(self, kind: str) -> Fault:
        """The scripted fault a `kind` of this setting stands for."""
        if kind in ("500", "503", "429"):
            retry_after = None if kind == "500" else self.retry_after
            return Fault(kind="http", status=int(kind), retry_after=retry_after)
        if kind == "html":
            return Fault(kind="html", status=502)
        return Fault(kind=kind)


@dataclass
class _ChaosDraws:
    chaos: Chaos
    rng: random.Random
    faults: dict[str, Fault]


@dataclass
class _ArmedFault:
    fault: Fault
    hits_left: int


class FaultQueue:
    """Thread-safe queue of faults. Counted faults are used up; rate-based ones stay forever.

    Chaos (`set_chaos`) applies to the answers no queued fault took; `chaos_counts()` says
    how many answers it drew for and how many of each kind it injected, per provider.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._armed: list[_ArmedFault] = []
        self._rng = random.Random(seed)  # seeded so rate-based runs are reproducible
        self._chaos: dict[str, _ChaosDraws] = {}  # by Chaos.provider
        self._answers: Counter[str] = Counter()  # provider -> answers chaos drew for
        self._injected: dict[str, Counter[str]] = {}  # provider -> chaos kind -> count

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(_ArmedFault(fault, fault.times))

    def clear(self) -> None:
        """No more faults: the queue empties and chaos stops (its counts stay)."""
        with self._lock:
            self._armed.clear()
            self._chaos.clear()

    def set_chaos(self, chaos: Chaos) -> None:
        """Turn chaos on for `chaos.provider`, replacing its earlier setting; the draws
        start over from the seed. Counts carry on."""
        faults = {kind: chaos.fault(kind) for kind in chaos.kinds}
        with self._lock:
            self._chaos[chaos.provider] = _ChaosDraws(chaos, random.Random(chaos.seed), faults)

    def clear_chaos(self) -> None:
        """Chaos off for every provider (its counts stay); queued faults stay armed."""
        with self._lock:
            self._chaos.clear()

    @property
    def chaos(self) -> list[Chaos]:
        """The chaos settings in force."""
        with self._lock:
            return [draws.chaos for draws in self._chaos.values()]

    def chaos_counts(self) -> dict[str, dict[str, Any]]:
        """Per provider that chaos drew for: {"answers": n, "injected": total, "kinds":
        {kind: count for every chaos kind}}."""
        with self._lock:
            counts = {}
            for provider, answers in sorted(self._answers.items()):
                injected = self._injected.get(provider, Counter())
                counts[provider] = {
                    "answers": answers,
                    "injected": sum(injected.values()),
                    "kinds": {kind: injected[kind] for kind in CHAOS_KINDS},
                }
            return counts

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
            return self._chaos_fault(provider)

    def _chaos_fault(self, provider: str) -> Fault | None:
        """Chaos's draw for an answer of `provider` (the caller holds the lock)."""
        draws = self._chaos.get(provider) or self._chaos.get("any")
        if draws is None or provider not in ("alibaba", "azure"):  # files are never faulted
            return None
        self._answers[provider] += 1
        if draws.rng.random() >= draws.chaos.rate:
            return None
        kind = draws.rng.choice(draws.chaos.kinds)
        self._injected.setdefault(provider, Counter())[kind] += 1
        return draws.faults[kind]


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
