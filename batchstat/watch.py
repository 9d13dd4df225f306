"""The polling loop behind ``batchstat watch``: plain code with an injected clock.

Rules (see the README):
- a job's next poll waits ``max(--interval, Retry-After)``; never sooner than the server asked;
- a job leaves the loop the moment it is terminal (its items are fetched once then);
- each provider has a request budget (requests per second) shared by its jobs, and a
  throttling answer slows the whole provider, not just one job;
- transient failures back off with jitter and count towards a per-job limit;
- a running job whose status (or Azure ``lastActionDateTimeUtc``) has not changed for
  ``stall_warning`` seconds is reported once.

Polls run on a few worker threads so many jobs are watched concurrently; with
``workers=0`` they run inline, which makes the loop exact under a fake clock.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from batchstat.durations import wait_duration
from batchstat.errors import (
    BatchstatError,
    ExitCode,
    TransientError,
    UnavailableError,
    UsageError,
    worst,
)
from batchstat.model import JobRecord
from batchstat.providers import PROVIDERS, provider_of_url, target_examples
from batchstat.retry import Backoff, after_attempts, retry_delay
from batchstat.runtime import Runtime
from batchstat.text import shorten

# Attempts at a job's first poll when nothing answers at all (as `get`: 1 + 3 retries).
FIRST_POLL_ATTEMPTS = 4


@dataclass(frozen=True)
class Target:
    provider: str  # a registry name
    id: str
    label: str | None = None  # a name for humans and reports: PROVIDER:ID=LABEL
    # Settings the target implies (the endpoint of a job URL), as (name, value) pairs.
    settings: tuple[tuple[str, str], ...] = ()
    source: str = field(default="", compare=False)  # as the user wrote it

    def __str__(self) -> str:
        text = f"{self.provider}:{self.id}"
        return f"{text}={self.label}" if self.label else text


_LABEL_RE = re.compile(r"[^\s=]{1,64}")


def _split_label(ref: str) -> tuple[str, str | None]:
    """``ref`` and its ``=LABEL``. A URL's query has ``=`` of its own: there a label is
    a ``=`` after the last ``key=value``."""
    if "://" in ref:
        base, query_mark, query = ref.partition("?")
        last = query.rsplit("&", 1)[-1]
        if query_mark and last.count("=") < 2:
            return ref, None
        if not query_mark and "=" not in base:
            return ref, None
    head, sep, label = ref.rpartition("=")
    if not sep:
        return ref, None
    if not _LABEL_RE.fullmatch(label):
        raise UsageError(
            f"{shorten(label)!r} is not a target label.",
            "A label is up to 64 characters without spaces or '=', e.g. azure:JOB_ID=contracts-fr.",
        )
    return head, label


def parse_target(text: str) -> Target:
    """``PROVIDER:ID``, ``PROVIDER:ID=LABEL``, or a job URL a provider knows (with an
    optional ``=LABEL``); the id is checked by its provider before any request."""
    text = text.strip()
    name, sep, ref = text.partition(":")
    name = name.lower()
    spec = PROVIDERS.get(name) if sep else None
    if spec is None and "://" in text:  # a bare URL: the provider that knows it
        ref = text
        spec = provider_of_url(_split_label(text)[0])
    if spec is None or not ref.strip():
        raise UsageError(f"{shorten(text)!r} is not a watch target.", f"Write {target_examples()}.")
    ref, label = _split_label(ref.strip())
    job_id, settings = spec.reference(ref)
    return Target(spec.name, job_id, label, tuple(sorted(settings.items())), text)


class Poller(Protocol):
    """What the loop needs from a provider adapter (see ``providers.Adapter``)."""

    def poll(self, job_id: str) -> JobRecord: ...

    def complete(self, record: JobRecord) -> JobRecord: ...


@dataclass
class WatchedJob:
    target: Target
    due: float
    started: float
    record: JobRecord | None = None
    polls: int = 0
    errors: int = 0  # consecutive transient failures
    failure: BatchstatError | None = None
    done: bool = False
    in_flight: bool = False
    last_change: float = 0.0
    signature: tuple[Any, ...] | None = None
    progress_mark: Any = None
    stall_warned: bool = False
    finished_at: float | None = None
    # When a poll last saw the job unfinished: it ended after that (None: never seen so).
    unfinished_seen_at: float | None = None
    # The transient failure a retry waits out (due is then the retry), until the job
    # answers again: a live view shows it in the job's row.
    retrying: TransientError | None = None
    last_poll: float = float("-inf")  # when the last poll went out (never: oldest)

    @property
    def exit_code(self) -> int:
        if self.failure is not None:
            return int(self.failure.exit_code)
        if self.record is None or not self.record.terminal or not self.done:
            return int(ExitCode.TIMEOUT)
        return int(self.record.outcome)


class Observer(Protocol):
    """What the loop tells the outside world (``output.progress.Observers`` fans out)."""

    def changed(self, job: WatchedJob) -> None: ...

    def polled(self, job: WatchedJob) -> None: ...

    def warn(self, job: WatchedJob, message: str) -> None: ...


@dataclass
class ProviderBudget:
    """Spaces requests to one provider and slows it down when it throttles."""

    rate: float  # requests per second; 0 = no limit
    next_slot: float = 0.0
    paused_until: float = 0.0

    def reserve(self, now: float) -> float:
        """The time the next request may go; books it when that is now."""
        slot = max(now, self.next_slot, self.paused_until)
        if slot <= now and self.rate > 0:
            self.next_slot = now + 1.0 / self.rate
        return slot

    def throttled(self, now: float, delay: float) -> None:
        self.paused_until = max(self.paused_until, now + delay)
        if self.rate > 0:
            self.rate = max(self.rate / 2, 0.2)


@dataclass
class WatchOptions:
    interval: float = 5.0
    timeout: float | None = None
    stall_warning: float = 600.0
    max_errors: int = 10
    items: bool = True  # fetch a terminal job's items (``Poller.complete``)
    # Requests per second per provider (0: no limit); a provider not named has no limit.
    rates: dict[str, float] = field(default_factory=dict)
    workers: int = 8
    fail_fast: bool = False  # stop at the first job that ends failed or cancelled


class Watch:
    def __init__(
        self,
        targets: Sequence[Target],
        pollers: Mapping[str, Poller],
        runtime: Runtime,
        options: WatchOptions,
        observer: Observer,
    ) -> None:
        now = runtime.clock()
        self.runtime = runtime
        self.options = options
        self.pollers = pollers
        self.observer = observer
        self.started = now
        self.jobs = [WatchedJob(t, due=now, started=now, last_change=now) for t in targets]
        self.budgets = {name: ProviderBudget(rate) for name, rate in options.rates.items()}
        self.backoff = Backoff()
        self.timed_out = False
        self.failed_fast: WatchedJob | None = None  # the job --fail-fast stopped at
        self._results: queue.Queue[tuple[WatchedJob, JobRecord | None, BaseException | None]]
        self._results = queue.Queue()
        self._tasks: queue.Queue[WatchedJob | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    # -- running ----------------------------------------------------------------------

    def run(self) -> int:
        clock = self.runtime.clock
        deadline = None if self.options.timeout is None else self.started + self.options.timeout
        # Polls run on workers when there are several jobs, or a deadline to keep: the
        # loop can then stop waiting for a server that trickles or stalls. One job without
        # a deadline polls inline (and exactly, under a fake clock).
        several = len(self.jobs) > 1 or deadline is not None
        workers = min(self.options.workers, len(self.jobs)) if several else 0
        if several and workers == 0 and self.options.workers > 0:
            workers = 1
        self._start_workers(workers)
        try:
            while True:
                while self._drain(block=False):
                    pass
                if self.options.fail_fast and self._first_failed() is not None:
                    break
                active = [j for j in self.jobs if not j.done]
                if not active:
                    break
                now = clock()
                if deadline is not None and now >= deadline:
                    self.timed_out = True
                    break
                self._warn_stalls(now)
                # Fair to every job: the longest due first, ties to the one polled least
                # recently, so a budget smaller than the jobs' needs starves none of them.
                for job in sorted(active, key=lambda j: (j.due, j.last_poll)):
                    if job.in_flight or job.due > now:
                        continue
                    slot = self.budgets.setdefault(job.target.provider, ProviderBudget(0)).reserve(
                        now
                    )
                    if slot > now:
                        job.due = slot
                        continue
                    self._dispatch(job, inline=workers == 0)
                if any(j.in_flight for j in self.jobs) or not self._results.empty():
                    self._drain(block=True, timeout=self._wait_for(clock(), deadline))
                    continue
                active = [j for j in self.jobs if not j.done]
                if active:
                    wait = self._wait_for(clock(), deadline)
                    if wait > 0:
                        self.runtime.sleep(wait)
        finally:
            self._stop_workers()
        if self.failed_fast is not None:  # the unfinished jobs do not count (no timeout)
            return worst([job.exit_code for job in self.jobs if job.done])
        return worst([job.exit_code for job in self.jobs])

    # -- --fail-fast ------------------------------------------------------------------

    def _first_failed(self) -> WatchedJob | None:
        """The job that ended failed or cancelled first (exit 1), if any: ``--fail-fast``
        stops the watch there."""
        if self.failed_fast is None:
            ended = [
                job
                for job in self.jobs
                if job.done
                and job.failure is None
                and job.record is not None
                and job.record.outcome == ExitCode.JOB_FAILED
            ]
            if ended:
                self.failed_fast = min(ended, key=lambda job: job.finished_at or 0.0)
        return self.failed_fast

    def _wait_for(self, now: float, deadline: float | None) -> float:
        pending = [j.due for j in self.jobs if not j.done and not j.in_flight]
        wake = min(pending) if pending else now + 1.0
        if deadline is not None:
            wake = min(wake, deadline)
        return max(0.0, wake - now)

    def _start_workers(self, count: int) -> None:
        for index in range(count):
            thread = threading.Thread(
                target=self._worker, name=f"batchstat-poll-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _stop_workers(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)

    def _worker(self) -> None:
        while True:
            job = self._tasks.get()
            if job is None:
                return
            self._results.put(self._poll(job))

    def _dispatch(self, job: WatchedJob, *, inline: bool) -> None:
        job.in_flight = True
        job.last_poll = self.runtime.clock()
        if inline:
            self._results.put(self._poll(job))
        else:
            self._tasks.put(job)

    def _poll(self, job: WatchedJob) -> tuple[WatchedJob, JobRecord | None, BaseException | None]:
        poller = self.pollers[job.target.provider]
        record: JobRecord | None = None
        try:
            record = poller.poll(job.target.id)
            if record.terminal and self.options.items:
                # Items (result URLs) once, at the end.
                record = poller.complete(record)
            return job, record, None
        except BaseException as err:  # handed back to the loop thread
            # With the status read, when listing its items failed: both.
            return job, record, err

    def _drain(self, *, block: bool, timeout: float | None = None) -> bool:
        try:
            job, record, err = self._results.get(block=block, timeout=timeout)
        except queue.Empty:
            return False
        job.in_flight = False
        self._handle(job, record, err)
        return True

    # -- one answer -------------------------------------------------------------------

    def _handle(self, job: WatchedJob, record: JobRecord | None, err: BaseException | None) -> None:
        now = self.runtime.clock()
        job.polls += 1
        if err is not None:
            if record is not None:
                # The status was read (its items were not): keep it, so a final document
                # says what is known beside what is missing.
                job.record = record
            self._handle_error(job, err, now)
            return
        assert record is not None
        job.errors = 0
        job.retrying = None
        job.record = record
        signature = (record.status, record.state, tuple(record.summary.to_dict().values()))
        mark = (record.status, record.updated)
        if mark != job.progress_mark:
            job.progress_mark = mark
            job.last_change = now
        if signature != job.signature or record.terminal:
            job.signature = signature
            if record.terminal:
                job.done = True
                job.finished_at = now
            self.observer.changed(job)
        if not record.terminal:
            job.unfinished_seen_at = now
            wait = self.options.interval
            if record.retry_after is not None:
                wait = max(wait, record.retry_after)
            job.due = now + wait
        self.observer.polled(job)

    def _handle_error(self, job: WatchedJob, err: BaseException, now: float) -> None:
        if isinstance(err, TransientError):
            job.errors += 1
            budget = self.budgets.setdefault(job.target.provider, ProviderBudget(0))
            delay = retry_delay(
                err.retry_after,
                self.backoff.delay(job.errors - 1, throttled=err.throttled, rng=self.runtime.rng),
            )
            spec = PROVIDERS.get(job.target.provider)
            throttle_wait = spec.throttle_wait if spec is not None else None
            if err.throttled and err.retry_after is None and throttle_wait is not None:
                # What throttling means for the whole provider (Alibaba: blocked until
                # the next minute, so asking sooner only prolongs it).
                delay = throttle_wait(now, delay)
            if err.throttled:
                budget.throttled(now, delay)
            if err.unreachable and job.record is None and job.errors > FIRST_POLL_ATTEMPTS - 1:
                # Never answered at all: most likely a mistyped endpoint. Fail as `get`
                # would after its retries, instead of watching a host that is not there.
                job.failure = UnavailableError(after_attempts(err.message, job.errors), err.hint)
                job.done = True
                self.observer.changed(job)
                return
            if job.errors > self.options.max_errors:
                job.failure = err
                job.done = True
                self.observer.warn(
                    job, f"giving up after {job.errors} consecutive failures: {err.message}"
                )
                self.observer.changed(job)
                return
            job.due = now + delay
            job.retrying = err
            self.observer.warn(job, f"{err.message} Retrying in {wait_duration(delay)}.")
            return
        if isinstance(err, BatchstatError):
            job.failure = err
            job.done = True
            self.observer.changed(job)
            return
        raise err

    def _warn_stalls(self, now: float) -> None:
        limit = self.options.stall_warning
        for job in self.jobs:
            if job.done or job.stall_warned or job.record is None or limit <= 0:
                continue
            if now - job.last_change >= limit:
                job.stall_warned = True
                from batchstat.durations import format_duration

                self.observer.warn(
                    job,
                    f"no progress for {format_duration(now - job.last_change)} "
                    f"(still {job.record.status}).",
                )
