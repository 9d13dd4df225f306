"""The soak in small (bench/soak.py is the real one): `watch` over 40 emulator jobs of
both clouds with chaos on 20 % of the answers, in-process under a fake clock.

The same plan, seeding and checks as the soak (imported from bench/), minus memory:
every final state is the seeded outcome, each job is reported exactly once, the exit
code is the README's, no traceback, and the status polls stay within what the lives,
the interval and the injected faults explain. Polls run inline, so a run is exact and
repeatable: the chaos seed fixes which answers fail and how.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from batchstat.emulator import Emulator
from batchstat.emulator.faults import Chaos

BENCH = Path(__file__).resolve().parent.parent / "bench"
JOBS = 40
SPAN = 300.0  # the longest life, in fake seconds
INTERVAL = 10.0
CHAOS_RATE = 0.2
SEED = 9
TRACEBACK = "Traceback (most recent call last):\n  File ..."


def _bench_module(name: str) -> ModuleType:
    """bench/NAME.py (bench/ is scripts, not a package)."""
    qualified = f"bench_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


soak = _bench_module("soak")
serve_emulator = _bench_module("serve_emulator")


def soak_in_small(cli, emulator: Emulator, output: str):
    """The soak's plan, seeding, chaos and checks (but memory), on JOBS jobs."""
    plan = soak.plan_jobs(JOBS, SPAN, INTERVAL)
    ids = serve_emulator.seed_soak(emulator, [job.seed_spec() for job in plan])
    for provider, kinds in soak.CHAOS_KINDS_BY_PROVIDER.items():
        seed = SEED + (provider == "alibaba")  # as bench/soak.py seeds them
        emulator.faults.set_chaos(Chaos(rate=CHAOS_RATE, seed=seed, kinds=kinds, provider=provider))
    emulator.requests_clear()
    targets = "".join(f"{job.provider}:{job_id}\n" for job, job_id in zip(plan, ids, strict=True))
    result = cli(
        "watch",
        "-",
        "-o",
        output,
        "--interval",
        f"{INTERVAL:g}s",
        "--alibaba-rate",
        "40",
        stdin=targets,
    )
    checks = soak.check_watch(plan, ids, result.code, result.stdout, result.stderr, output)
    served = sum(1 for request in emulator.requests if serve_emulator.is_status_poll(request))
    counts = emulator.faults.chaos_counts()
    faults = sum(count["injected"] for count in counts.values())
    checks.append(soak.check_requests(served, soak.status_poll_bound(plan, INTERVAL), faults))
    return checks, counts


def assert_passed(checks) -> None:
    failed = [f"{check.name}: {check.detail}" for check in checks if not check.ok]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("output", ["json", "ndjson"])
def test_watch_rides_out_chaos_on_both_clouds(cli, emulator, output):
    checks, counts = soak_in_small(cli, emulator, output)
    for provider, kinds in soak.CHAOS_KINDS_BY_PROVIDER.items():
        injected = counts[provider]["kinds"]
        assert all(injected[kind] > 0 for kind in kinds), (provider, injected)  # each kind met
    assert_passed(checks)


def test_the_plan_mixes_every_outcome_and_its_bound_is_the_lives():
    plan = soak.plan_jobs(JOBS, SPAN, INTERVAL)
    assert [job.provider for job in plan].count("alibaba") == JOBS // 2
    assert {job.outcome for job in plan if job.provider == "azure"} == set(
        serve_emulator.SOAK_OUTCOMES["azure"]
    )
    assert {job.outcome for job in plan if job.provider == "alibaba"} == set(
        serve_emulator.SOAK_OUTCOMES["alibaba"]
    )
    assert max(job.life for job in plan) == SPAN
    # With a not-found job in the mix, the README's order makes the watch exit 4.
    assert soak.expected_exit([job.state for job in plan]) == 4
    assert soak.expected_exit(["succeeded", "partially_succeeded", "cancelled"]) == 1
    assert soak.expected_exit(["succeeded", "partially_succeeded"]) == 3
    one = soak.PlannedJob("azure", "succeeded", life=95.0, retry_after=30)
    assert soak.status_poll_bound([one], INTERVAL) == 3 + 2  # paced by its Retry-After


def test_the_checks_catch_a_lost_a_doubled_and_a_wrong_job():
    plan = [
        soak.PlannedJob("alibaba", "succeeded", 10.0),
        soak.PlannedJob("azure", "cancelled", 10.0, 1),
        soak.PlannedJob("azure", "not_found", 10.0, 1),
    ]
    ids = ["T1", "j2", "j3"]

    def doc(provider, job_id, state, terminal=True):
        return {"provider": provider, "id": job_id, "state": state, "terminal": terminal}

    good = [doc("alibaba", "T1", "succeeded"), doc("azure", "j2", "cancelled")]
    good.append(doc("azure", "j3", "not_found"))
    assert all(c.ok for c in soak.check_watch(plan, ids, 4, json.dumps(good), ""))

    bad = [doc("alibaba", "T1", "succeeded"), doc("alibaba", "T1", "succeeded")]
    bad.append(doc("azure", "j2", "running", terminal=False))
    checks = {c.name: c for c in soak.check_watch(plan, ids, 7, json.dumps(bad), TRACEBACK)}
    assert [name for name, check in checks.items() if not check.ok] == [
        "every final state is the seeded outcome",
        "each job reported exactly once",
        "exit code as the README says",
        "no traceback on stderr",
    ]
    assert "1 lost" in checks["each job reported exactly once"].detail
    assert "1 twice" in checks["each job reported exactly once"].detail

    events = [doc("alibaba", "T1", "succeeded"), doc("azure", "j2", "running", terminal=False)]
    events += [doc("azure", "j2", "cancelled"), doc("azure", "j3", "not_found")]
    events.append(doc("azure", "j2", "cancelled"))  # a second terminal event
    stream = "".join(json.dumps(event) + "\n" for event in events)
    checks = {c.name: c for c in soak.check_watch(plan, ids, 4, stream, "", "ndjson")}
    assert not checks["each job reported exactly once"].ok
    assert checks["every final state is the seeded outcome"].ok

    assert not soak.check_requests(served=11, bound=8, faults=2).ok
    assert soak.check_requests(served=10, bound=8, faults=2).ok
