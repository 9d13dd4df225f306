"""Soak: `batchstat watch` over hundreds of emulator jobs on both clouds for minutes, with
chaos (random transient faults) on a fraction of the emulator's answers.

    python bench/soak.py [--jobs 500] [--minutes 3] [--chaos 0.2] [--seed 9] [--markdown]

Run it with the Python that has batchstat installed: the `batchstat` entry point next to
that interpreter is what runs, and bench/serve_emulator.py runs with the interpreter.
Standard library only. It seeds jobs with known lives and outcomes, turns chaos on, runs
`batchstat watch - -o json` over all of them, samples both processes' RSS, then checks:

- every job's final state is its seeded outcome, with no watch_error;
- every job is in the final document exactly once (none lost, none twice, no stranger);
- the exit code is the README's: the worst of the jobs' codes, in its order;
- no "Traceback" on stderr;
- the status polls the emulator served are within what the lives, the interval (or a
  longer Retry-After) and the injected faults explain;
- RSS is flat: at the end within --rss-slack MiB of RSS after the first minute.

It prints a report (a Markdown table with --markdown) and exits 1 when a check fails.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any


def _sibling(name: str) -> Any:
    """bench/NAME.py, loaded by path (bench/ holds scripts, not a package)."""
    import importlib.util

    qualified = f"bench_{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            qualified, Path(__file__).with_name(f"{name}.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
    return sys.modules[qualified]


run = _sibling("run")  # its emulator process

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
BATCHSTAT = str(Path(sys.executable).parent / "batchstat")

# Emulator credentials and the children's environment: as bench/run.py sets them.
CREDENTIAL_ENV = run.CREDENTIAL_ENV
child_env = run.child_env

# The outcomes each cloud's jobs cycle through (mostly successes, every ending represented;
# the names are serve_emulator.SOAK_OUTCOMES).
OUTCOME_CYCLE = {
    "alibaba": (
        "succeeded",
        "partially_succeeded",
        "succeeded",
        "failed",
        "succeeded",
        "not_found",
    ),
    "azure": (
        "succeeded",
        "partially_succeeded",
        "succeeded",
        "failed",
        "validation_failed",
        "succeeded",
        "cancelled",
        "not_found",
    ),
}
# The JSON `state` each outcome ends in (README, "The JSON document").
FINAL_STATE = {
    "succeeded": "succeeded",
    "partially_succeeded": "partially_succeeded",
    "failed": "failed",
    "validation_failed": "failed",
    "cancelled": "cancelled",
    "not_found": "not_found",
}
# README "## Exit codes": a state's code, and watch's rule: the worst code wins, in this order.
STATE_EXIT = {"succeeded": 0, "partially_succeeded": 3, "failed": 1, "cancelled": 1, "not_found": 4}
EXIT_ORDER = (143, 130, 5, 7, 6, 4, 1, 3, 0)
# Chaos kinds (batchstat/emulator/faults.py). Alibaba signals throttling with no
# Retry-After and blocks the account until the next minute: a 429 there would make this a
# test of throttling (a minute's pause, the budget halved) rather than of riding out faults.
CHAOS_KINDS = ("500", "503", "429", "html", "reset", "truncate", "drop")
CHAOS_KINDS_BY_PROVIDER = {
    "alibaba": tuple(kind for kind in CHAOS_KINDS if kind != "429"),
    "azure": CHAOS_KINDS,
}
TRACEBACK = "Traceback (most recent call last)"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the plan and what it implies ------------------------------------------------------------


@dataclass(frozen=True)
class PlannedJob:
    provider: str
    outcome: str  # a serve_emulator.SOAK_OUTCOMES name
    life: float  # seconds from seeding to the outcome
    retry_after: int | None = None  # Azure: the Retry-After of its status answers

    @property
    def state(self) -> str:
        return FINAL_STATE[self.outcome]

    def seed_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"provider": self.provider, "outcome": self.outcome}
        spec["life"] = self.life
        if self.provider == "azure":
            spec["retry_after"] = self.retry_after
        return spec


def plan_jobs(count: int, span: float, interval: float, min_life: float = 2.0) -> list[PlannedJob]:
    """Half the jobs on each cloud, outcomes cycling, lives spread evenly over
    [min_life, span]. Every fourth Azure job asks (Retry-After) for twice the interval."""
    jobs: list[PlannedJob] = []
    for provider, share in (("alibaba", count // 2), ("azure", count - count // 2)):
        cycle = OUTCOME_CYCLE[provider]
        for n in range(share):
            life = min_life + (span - min_life) * (n / max(share - 1, 1))
            retry_after = None
            if provider == "azure":
                retry_after = math.ceil(2 * interval) if n % 4 == 3 else 1
            jobs.append(PlannedJob(provider, cycle[n % len(cycle)], round(life, 3), retry_after))
    return jobs


def expected_exit(states: Sequence[str]) -> int:
    codes = {STATE_EXIT[state] for state in states}
    return next((code for code in EXIT_ORDER if code in codes), 0)


def poll_wait(job: PlannedJob, interval: float) -> float:
    """How often a job may be polled: --interval, or the service's longer Retry-After."""
    return max(interval, float(job.retry_after or 0))


def status_poll_bound(plan: Sequence[PlannedJob], interval: float) -> int:
    """The most status polls the lives explain, before faults.

    A successful poll is followed by the next no sooner than the job's wait, fault or not
    (a fault's retry only comes later still), so a job seen unfinished for at most `life`
    seconds has at most floor(life / wait) + 1 unfinished answers, then its terminal one.
    A not-found job is one answer. Each injected fault adds at most one status request:
    the faulted status request itself, or, when it hit the documents listing after the
    terminal answer, the status poll that tries again.
    """
    bound = 0
    for job in plan:
        if job.outcome == "not_found":
            bound += 1
        else:
            bound += math.floor(job.life / poll_wait(job, interval)) + 2
    return bound


# -- checking a watch's output ---------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _key(document: dict[str, Any]) -> tuple[str, str]:
    return str(document.get("provider")), str(document.get("id"))


def _final_documents(output: str, stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The final document of each job as reported, and problems with how it was reported.
    json: the array. ndjson: each job's last event, which must be its only terminal one."""
    problems: list[str] = []
    if output == "json":
        documents = json.loads(stdout)
        if not isinstance(documents, list):
            return [], ["the output is not a JSON array"]
        return documents, problems
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    last: dict[tuple[str, str], dict[str, Any]] = {}
    terminal: Counter[tuple[str, str]] = Counter()
    for event in events:
        key = _key(event)
        if key in last and last[key].get("terminal"):
            problems.append(f"{key[0]}:{key[1]} has an event after its terminal one")
        last[key] = event
        terminal[key] += bool(event.get("terminal"))
    twice = [f"{p}:{i}" for (p, i), n in terminal.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} jobs with several terminal events, e.g. {twice[0]}")
    return list(last.values()), problems


def check_watch(
    plan: Sequence[PlannedJob],
    ids: Sequence[str],
    code: int,
    stdout: str,
    stderr: str,
    output: str = "json",
) -> list[Check]:
    """The checks on what the watch printed and returned (all but requests and memory)."""
    expected = {(job.provider, job_id): job for job, job_id in zip(plan, ids, strict=True)}
    try:
        documents, problems = _final_documents(output, stdout)
    except ValueError as err:
        documents, problems = [], [f"the output is not JSON: {err}"]
    seen = Counter(_key(doc) for doc in documents)
    lost = [key for key in expected if key not in seen]
    twice = [key for key, n in seen.items() if n > 1]
    strangers = [key for key in seen if key not in expected]
    once_detail = f"{len(documents)} documents for {len(expected)} jobs"
    for what, keys in (("lost", lost), ("twice", twice), ("unknown", strangers)):
        if keys:
            once_detail += f"; {len(keys)} {what}, e.g. {keys[0][0]}:{keys[0][1]}"
    for problem in problems:
        once_detail += f"; {problem}"

    wrong: list[str] = []
    for doc in documents:
        job = expected.get(_key(doc))
        if job is None:
            continue
        if doc.get("state") != job.state or not doc.get("terminal") or doc.get("watch_error"):
            error = (doc.get("watch_error") or {}).get("message")
            wrong.append(
                f"{doc.get('provider')}:{doc.get('id')} is {doc.get('state')} "
                f"({'terminal' if doc.get('terminal') else 'not terminal'}), expected "
                f"{job.state}" + (f"; the watch gave up on it: {error}" if error else "")
            )
    states = Counter(job.state for job in plan)
    state_detail = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    if wrong:
        state_detail = f"{len(wrong)} wrong, e.g. {wrong[0]}"

    want = expected_exit([job.state for job in plan])
    tracebacks = stderr.count(TRACEBACK)
    return [
        Check("every final state is the seeded outcome", not wrong, state_detail),
        Check(
            "each job reported exactly once",
            not (lost or twice or strangers or problems),
            once_detail,
        ),
        Check("exit code as the README says", code == want, f"{code} (expected {want})"),
        Check("no traceback on stderr", tracebacks == 0, f"{tracebacks} tracebacks"),
    ]


def check_requests(served: int, bound: int, faults: int) -> Check:
    limit = bound + faults
    return Check(
        "status polls within lives + faults",
        served <= limit,
        f"{served} served <= {bound} (lives/interval) + {faults} (faults) = {limit}",
    )


# -- processes -------------------------------------------------------------------------------


class EmulatorProcess(run.EmulatorProcess):  # type: ignore[name-defined]
    """bench/serve_emulator.py in its own process (bench/run.py's), with a bounded log."""

    def __init__(self, env: dict[str, str], max_requests: int) -> None:
        super().__init__(env, ["--documents", "1", "--max-requests", str(max_requests)])


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Sample:
    at: float  # seconds since the watch started
    batchstat_kib: int | None
    emulator_kib: int | None


@dataclass
class WatchRun:
    code: int
    wall_s: float
    cpu_s: float  # the watch's user + system CPU (wait4)
    maxrss_kib: int
    stdout: str
    stderr: str
    samples: list[Sample] = field(default_factory=list)
    killed: bool = False


def run_watch(
    argv: list[str],
    env: dict[str, str],
    stdin_text: str,
    emulator_pid: int,
    sample_every: float,
    give_up_after: float,
    logs: Path,
) -> WatchRun:
    """Run the watch to its end, sampling its RSS and the emulator's."""
    targets = logs / "targets.txt"
    targets.write_text(stdin_text, encoding="utf-8")
    out_path, err_path = logs / "watch.stdout", logs / "watch.stderr"
    with (
        open(targets, encoding="utf-8") as stdin,
        open(out_path, "wb") as stdout,
        open(err_path, "wb") as stderr,
    ):
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env)
    samples: list[Sample] = []
    killed = False
    next_sample = started
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if now >= next_sample:
            samples.append(Sample(now - started, rss_kib(proc.pid), rss_kib(emulator_pid)))
            next_sample += sample_every
        if now - started > give_up_after and not killed:
            log(f"soak: the watch is still running after {give_up_after:.0f} s: killing it")
            proc.kill()
            killed = True
        time.sleep(0.05)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return WatchRun(
        code=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
        samples=samples,
        killed=killed,
    )


# -- memory ----------------------------------------------------------------------------------


def _mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.1f}"


def memory_checks(samples: Sequence[Sample], after: float, slack_mib: float) -> list[Check]:
    """RSS at the end against RSS `after` seconds into the watch, for both processes."""
    checks = []
    for name, attr in (("batchstat", "batchstat_kib"), ("emulator", "emulator_kib")):
        values = [(s.at, getattr(s, attr)) for s in samples if getattr(s, attr) is not None]
        settled = next(((at, kib) for at, kib in values if at >= after), None)
        if settled is None or len(values) < 2 or values[-1][0] <= settled[0]:
            checks.append(Check(f"{name} RSS flat", False, "the run was too short to tell"))
            continue
        end_at, end = values[-1]
        peak = max(kib for _, kib in values)
        growth = (end - settled[1]) / 1024
        checks.append(
            Check(
                f"{name} RSS flat",
                growth <= slack_mib,
                f"{_mib(settled[1])} MiB at {settled[0]:.0f} s, {_mib(end)} MiB at {end_at:.0f} s "
                f"({growth:+.1f} MiB, limit +{slack_mib:g}), peak {_mib(peak)} MiB",
            )
        )
    return checks


def rss_timeline(samples: Sequence[Sample], every: float = 30.0) -> list[Sample]:
    """One sample every `every` seconds, and the last one."""
    shown: list[Sample] = []
    for sample in samples:
        if not shown or sample.at >= shown[-1].at + every - 0.5:
            shown.append(sample)
    if samples and shown[-1] is not samples[-1]:
        shown.append(samples[-1])
    return shown


# -- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500, help="jobs, half on each cloud")
    parser.add_argument("--minutes", type=float, default=3.0, help="the longest job's life")
    parser.add_argument("--interval", type=float, default=10.0, help="watch --interval, seconds")
    parser.add_argument("--chaos", type=float, default=0.2, help="fraction of faulty answers")
    parser.add_argument("--seed", type=int, default=9, help="chaos seed (Alibaba: seed + 1)")
    parser.add_argument(
        "--alibaba-rate",
        type=float,
        default=40.0,
        help="watch --alibaba-rate (the emulator does not throttle; the default 3 a second "
        "would poll 250 jobs once every 80 s)",
    )
    for provider, kinds in CHAOS_KINDS_BY_PROVIDER.items():
        parser.add_argument(
            f"--{provider}-kinds",
            default=",".join(kinds),
            metavar="K,K",
            help=f"chaos kinds on {provider} (default {','.join(kinds)})",
        )
    parser.add_argument("--output", choices=("json", "ndjson"), default="json")
    parser.add_argument(
        "--rss-slack", type=float, default=10.0, help="allowed RSS growth after the settle time"
    )
    parser.add_argument(
        "--settle", type=float, default=60.0, help="seconds before RSS counts as settled"
    )
    parser.add_argument(
        "--max-requests", type=int, default=2000, help="the emulator's request log bound"
    )
    parser.add_argument("--logs", metavar="DIR", help="keep the watch's stdin, stdout, stderr")
    parser.add_argument("--markdown", action="store_true", help="a Markdown report")
    args = parser.parse_args(argv)
    if args.jobs < 2 or args.minutes <= 0 or not 0 <= args.chaos <= 1:
        parser.error("need at least 2 jobs, a positive --minutes and --chaos in [0, 1]")
    if not Path(BATCHSTAT).exists():
        parser.error(f"{BATCHSTAT} not found: run this with the Python that has batchstat")

    span = args.minutes * 60.0
    plan = plan_jobs(args.jobs, span, args.interval)
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="batchstat-soak-"))
    logs.mkdir(parents=True, exist_ok=True)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    emu = EmulatorProcess({**os.environ, **CREDENTIAL_ENV}, args.max_requests)
    try:
        ids = emu.command(cmd="seed-soak", jobs=[job.seed_spec() for job in plan])["ids"]
        for offset, provider in enumerate(("alibaba", "azure")):
            emu.command(
                cmd="chaos",
                provider=provider,
                rate=args.chaos,
                seed=args.seed + (1 - offset),
                kinds=[k for k in getattr(args, f"{provider}_kinds").split(",") if k],
                retry_after="1",
            )
        emulator_pid = int(emu.info["pid"])
        emulator_cpu_start = cpu_seconds(emulator_pid) or 0.0
        polls_before = emu.command(cmd="polls")
        order = list(zip(plan, ids, strict=True))
        random.Random(args.seed).shuffle(order)  # the clouds' jobs interleaved on stdin
        stdin_text = "".join(f"{job.provider}:{job_id}\n" for job, job_id in order)
        watch_argv = [
            BATCHSTAT,
            "watch",
            "-",
            "-o",
            args.output,
            "--interval",
            f"{args.interval:g}s",
            "--alibaba-rate",
            f"{args.alibaba_rate:g}",
            "--timeout",
            f"{math.ceil(span * 2 + 120)}s",
        ]
        log(
            f"soak: {len(plan)} jobs, chaos {args.chaos:.0%} (seed {args.seed}), "
            f"lives up to {span:.0f} s; the watch's output goes to {logs}"
        )
        run = run_watch(
            watch_argv,
            child_env(emu.info["base_url"]),
            stdin_text,
            emulator_pid,
            sample_every=1.0,
            give_up_after=span * 2 + 300,
            logs=logs,
        )
        polls_after = emu.command(cmd="polls")
        counts = emu.command(cmd="chaos-counts")
        emulator_cpu = (cpu_seconds(emulator_pid) or 0.0) - emulator_cpu_start
    finally:
        emu.close()

    served = {p: polls_after[p] - polls_before[p] for p in ("alibaba", "azure")}
    faults = sum(int(c["injected"]) for c in counts.values())
    bound = status_poll_bound(plan, args.interval)
    checks = check_watch(plan, ids, run.code, run.stdout, run.stderr, args.output)
    checks.append(check_requests(sum(served.values()), bound, faults))
    checks += memory_checks(run.samples, args.settle, args.rss_slack)
    if run.killed:
        checks.append(Check("the watch ended by itself", False, "killed"))

    facts = {
        "date": date,
        "command": "python bench/soak.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "watch": " ".join(["batchstat", *watch_argv[1:]]) + " < targets",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"load {load_start:.2f} -> {os.getloadavg()[0]:.2f}",
        "python": platform.python_version(),
        "jobs": ", ".join(
            f"{n} {provider}" for provider, n in sorted(Counter(j.provider for j in plan).items())
        )
        + f"; lives 2 s to {span:.0f} s; outcomes "
        + ", ".join(f"{n} {o}" for o, n in sorted(Counter(j.outcome for j in plan).items())),
        "watch wall / CPU": f"{run.wall_s:.1f} s / {run.cpu_s:.1f} s "
        f"({run.cpu_s * 1000 / max(sum(served.values()), 1):.2f} ms per status poll); "
        f"emulator CPU {emulator_cpu:.1f} s",
        "status polls served": f"{sum(served.values())} "
        f"(alibaba {served['alibaba']}, azure {served['azure']}); bound {bound} + {faults}",
        "peak RSS (wait4)": f"batchstat {_mib(run.maxrss_kib)} MiB",
    }
    for provider, count in counts.items():
        met = ", ".join(f"{kind} {n}" for kind, n in count["kinds"].items() if n)
        facts[f"chaos on {provider}"] = (
            f"{count['injected']} faults in {count['answers']} answers "
            f"({count['injected'] / max(count['answers'], 1):.1%}): {met}"
        )
    timeline = rss_timeline(run.samples)
    facts["RSS MiB (batchstat / emulator)"] = ", ".join(
        f"{s.at:.0f} s {_mib(s.batchstat_kib)}/{_mib(s.emulator_kib)}" for s in timeline
    )
    report(facts, checks, args.markdown, sys.stdout)
    failed = [c for c in checks if not c.ok]
    if failed:
        log(f"soak: {len(failed)} checks failed; the watch's output is in {logs}")
        tail = "\n".join(run.stderr.strip().splitlines()[-15:])
        log(f"soak: last lines of the watch's stderr:\n{tail}")
    elif not args.logs:
        shutil.rmtree(logs, ignore_errors=True)  # kept only when asked, or for a failure
    return 1 if failed else 0


def report(facts: dict[str, str], checks: Sequence[Check], markdown: bool, out: IO[str]) -> None:
    if markdown:
        for key, value in facts.items():
            shown = f"`{value}`" if key in ("command", "watch") else value
            print(f"- {key}: {shown}", file=out)
        print("\n| check | result | figures |\n|---|---|---|", file=out)
        for check in checks:
            detail = check.detail.replace("|", "\\|")
            print(f"| {check.name} | {'PASS' if check.ok else 'FAIL'} | {detail} |", file=out)
        return
    for key, value in facts.items():
        print(f"{key}: {value}", file=out)
    print(file=out)
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}", file=out)


if __name__ == "__main__":
    sys.exit(main())
