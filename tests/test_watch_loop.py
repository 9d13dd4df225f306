"""The polling loop alone: a fake poller (no HTTP), a fake clock, exact times."""

from __future__ import annotations

import itertools
import random

from batchstat.emulator import FakeClock
from batchstat.errors import AuthError, ExitCode, TransientError
from batchstat.model import JobRecord, JobState, State
from batchstat.runtime import Runtime
from batchstat.watch import Target, Watch, WatchOptions

STATES: dict[str, State] = {
    "wait": JobState.PENDING,
    "run": JobState.RUNNING,
    "ok": JobState.SUCCEEDED,
    "bad": JobState.FAILED,
}


class FakePoller:
    """Answers each job from a script; an entry may be an exception to raise."""

    def __init__(self, clock: FakeClock, script: dict[str, list], retry_after=None) -> None:
        self.clock = clock
        self.script = script
        self.retry_after = retry_after
        self.polls: list[tuple[str, float]] = []
        self.completed: list[str] = []

    def poll(self, job_id: str) -> JobRecord:
        self.polls.append((job_id, self.clock()))
        answers = self.script[job_id]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return JobRecord("fake", job_id, answer, STATES[answer], retry_after=self.retry_after)

    def complete(self, record: JobRecord) -> JobRecord:
        self.completed.append(record.id)
        return record

    def times(self, job_id: str) -> list[float]:
        return [t for j, t in self.polls if j == job_id]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def changed(self, job) -> None:
        self.events.append(("changed", job.target.id, job.record.status if job.record else "-"))

    def polled(self, job) -> None:
        pass

    def warn(self, job, message: str) -> None:
        self.events.append(("warn", job.target.id, message))


def watch(script, *, provider="fake", retry_after=None, **options):
    clock = FakeClock(0.0)
    poller = FakePoller(clock, script, retry_after)
    runtime = Runtime(env={}, clock=clock, sleep=clock.advance, rng=random.Random(3))
    recorder = Recorder()
    engine = Watch(
        [Target(provider, job_id) for job_id in script],
        {provider: poller},
        runtime,
        WatchOptions(workers=0, **options),
        recorder,
    )
    return engine, poller, recorder, clock


def test_each_job_polls_at_its_interval_and_leaves_when_terminal():
    engine, poller, recorder, _ = watch(
        {"a": ["wait", "run", "ok"], "b": ["run", "bad"]}, interval=5.0
    )
    assert engine.run() == ExitCode.JOB_FAILED
    assert poller.times("a") == [0.0, 5.0, 10.0]
    assert poller.times("b") == [0.0, 5.0]
    assert sorted(poller.completed) == ["a", "b"]  # items fetched once, at the end
    assert ("changed", "a", "ok") in recorder.events


def test_retry_after_longer_than_the_interval_wins():
    engine, poller, _, _ = watch({"a": ["run", "run", "ok"]}, interval=2.0, retry_after=7.0)
    engine.run()
    assert poller.times("a") == [0.0, 7.0, 14.0]


def test_the_provider_budget_spaces_requests_across_jobs():
    engine, poller, _, _ = watch(
        {"a": ["run", "ok"], "b": ["run", "ok"], "c": ["run", "ok"]},
        interval=1.0,
        rates={"fake": 2.0},
    )
    engine.run()
    starts = sorted(t for _, t in poller.polls)
    assert starts == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_alibaba_throttling_waits_for_the_next_minute():
    # The registry's rule for alibaba: a throttled account is blocked until the minute.
    throttled = TransientError("throttled", throttled=True)
    engine, poller, _, clock = watch({"T": [throttled, "ok"]}, provider="alibaba")
    clock.advance(42.0)
    engine.started = engine.jobs[0].due = 42.0
    engine.run()
    assert poller.times("T") == [42.0, 60.0]


def test_transient_failures_back_off_then_give_up_after_max_errors():
    failure = TransientError("the service is down.")
    engine, poller, recorder, _ = watch({"a": [failure]}, max_errors=2)
    assert engine.run() == ExitCode.UNAVAILABLE
    assert len(poller.times("a")) == 3  # two retries, then the third failure ends it
    warnings = [m for kind, _, m in recorder.events if kind == "warn"]
    assert warnings[-1] == "giving up after 3 consecutive failures: the service is down."


def test_a_final_error_ends_one_job_and_not_the_others():
    engine, poller, _, _ = watch({"a": [AuthError("refused.")], "b": ["run", "ok"]}, interval=1.0)
    assert engine.run() == ExitCode.AUTH
    assert poller.times("a") == [0.0]
    assert poller.times("b") == [0.0, 1.0]
    assert engine.jobs[1].record is not None and engine.jobs[1].record.state == "succeeded"


def test_timeout_stops_with_the_jobs_unfinished():
    engine, poller, _, clock = watch({"a": ["run"]}, interval=10.0, timeout=25.0)
    assert engine.run() == ExitCode.TIMEOUT
    assert engine.timed_out and clock() == 25.0
    assert poller.times("a") == [0.0, 10.0, 20.0]


def test_a_stalled_job_is_reported_once():
    engine, _, recorder, _ = watch({"a": ["run"] * 8 + ["ok"]}, interval=10.0, stall_warning=30.0)
    engine.run()
    stalls = [m for kind, _, m in recorder.events if kind == "warn" and "no progress" in m]
    assert stalls == ["no progress for 30s (still run)."]


def test_a_small_budget_starves_no_job():
    # 100 jobs that never finish, 3 requests a second for all of them: every job gets
    # its share (the budget allows 300 polls in 100 s, 3 per job), none waits forever.
    script = {f"job-{n:03d}": ["run"] for n in range(100)}
    engine, poller, _, _ = watch(script, interval=5.0, timeout=100.0, rates={"fake": 3.0})
    assert engine.run() == ExitCode.TIMEOUT
    counts = [len(poller.times(job_id)) for job_id in script]
    assert 300 <= sum(counts) <= 301  # polls at 0, 1/3, 2/3 ... 100 s
    assert min(counts) == 3 and max(counts) <= 4
    # and each job's polls are spread over the whole watch, not bunched at the start
    for job_id in script:
        times = poller.times(job_id)
        assert all(later - earlier >= 30.0 for earlier, later in itertools.pairwise(times))
