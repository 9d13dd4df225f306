"""A provider is one unit: a throwaway third provider, registered here and nowhere else,
works in watch, get, every output format and the live view; and no module outside the
providers' own names one."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from batchstat.cli import run
from batchstat.commands.get import GetRequest, run_get
from batchstat.emulator import FakeClock
from batchstat.errors import TransientError, UsageError
from batchstat.model import Item, JobRecord, JobState, Summary
from batchstat.providers import PROVIDERS, ProviderSpec, register, unregister
from batchstat.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent


class AcmeAdapter:
    """A fake adapter: each job answers a scripted list of states, one per poll."""

    def __init__(self, script: dict[str, list[str]], calls: list[str]) -> None:
        self.script = script
        self.calls = calls

    def _record(self, job_id: str, status: str) -> JobRecord:
        terminal = status in ("done", "broken")
        return JobRecord(
            "acme",
            job_id,
            status=status,
            state={
                "queued": JobState.PENDING,
                "working": JobState.RUNNING,
                "done": JobState.SUCCEEDED,
                "broken": JobState.FAILED,
            }[status],
            summary=Summary(total=2, succeeded=2 if status == "done" else 0, failed=0)
            if terminal
            else Summary(total=2),
        )

    def poll(self, job_id: str) -> JobRecord:
        self.calls.append(f"poll {job_id}")
        states = self.script[job_id]
        status = states.pop(0) if len(states) > 1 else states[0]
        if status == "throttled":
            raise TransientError("acme is throttling.", throttled=True)
        return self._record(job_id, status)

    def complete(self, record: JobRecord) -> JobRecord:
        self.calls.append(f"complete {record.id}")
        record.items = [
            Item(
                str(n),
                "ok",
                True,
                f"https://src.acme.test/{n}.html",
                f"https://out.acme.test/{n}.html",
                extra={"lang": "de"},
            )
            for n in (1, 2)
        ]
        return record

    def get(self, job_id: str, *, items: bool = True) -> JobRecord:
        record = self.poll(job_id)
        return self.complete(record) if items and record.terminal else record


@pytest.fixture
def acme(monkeypatch):
    """Registers provider ``acme`` with a fake adapter module; returns (script, calls)."""
    script: dict[str, list[str]] = {}
    calls: list[str] = []
    module = types.ModuleType("acme_adapter")

    def validate_id(text: str) -> str:
        if not text.startswith("J"):
            raise UsageError(f"{text!r} is not an acme job id.")
        return text

    module.validate_id = validate_id  # type: ignore[attr-defined]
    module.build = lambda runtime, settings, *, retries: AcmeAdapter(script, calls)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_adapter", module)
    register(
        ProviderSpec(
            "acme",
            title="Acme Translate",
            noun="page",
            adapter="acme_adapter",
            cli=None,
            item_columns=(("LANG", "lang"),),
            retention=600.0,
            default_rate=0.0,
        )
    )
    try:
        yield script, calls
    finally:
        unregister("acme")


def runtime(clock: FakeClock, **kwargs) -> tuple[Runtime, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    kwargs.setdefault("env", {})
    rt = Runtime(
        clock=clock,
        sleep=clock.advance,
        rng=random.Random(1),
        stdout=out,
        stderr=err,
        watch_workers=0,
        **kwargs,
    )
    return rt, out, err


def test_watch_json_for_a_third_provider(acme):
    script, calls = acme
    script["J1"] = ["queued", "working", "done"]
    script["J2"] = ["working", "broken"]
    rt, out, err = runtime(FakeClock(1000.0), stdout_tty=False, stderr_tty=False)
    code = run(["watch", "acme:J1", "acme:J2", "--interval", "2s", "-o", "json"], rt)
    assert code == 1, err.getvalue()  # the worst outcome: J2 failed
    docs = json.loads(out.getvalue())
    assert [(d["provider"], d["id"], d["state"]) for d in docs] == [
        ("acme", "J1", "succeeded"),
        ("acme", "J2", "failed"),
    ]
    assert docs[0]["items"][0]["lang"] == "de"
    assert calls.count("poll J1") == 3 and "complete J1" in calls
    # The line log speaks of the job by its target, and the retention note uses the entry.
    assert "acme:J1 done (succeeded) 2/2" in err.getvalue()
    assert "acme:J1 finished; its result URLs stay valid until about" in err.getvalue()
    assert "(10 minutes after the job ended)" in err.getvalue()


def test_watch_options_and_usage_come_from_the_registry(acme):
    script, _ = acme
    script["J1"] = ["done"]
    rt, out, err = runtime(FakeClock(0.0))
    assert run(["watch", "acme:J1", "--acme-rate", "0.5", "-q", "--query", "[0].state"], rt) == 0
    assert out.getvalue() == "succeeded\n"
    rt, _, err = runtime(FakeClock(0.0))
    assert run(["watch", "acme:nope"], rt) == 2
    assert "'nope' is not an acme job id." in err.getvalue()
    rt, _, err = runtime(FakeClock(0.0))
    assert run(["watch", "bogus:J1"], rt) == 2
    assert "acme:JOB_ID" in err.getvalue()  # the hint lists every registered provider


def test_get_style_table_and_ndjson_for_a_third_provider(acme):
    script, _ = acme
    script["J7"] = ["done"]
    rt, out, err = runtime(FakeClock(0.0), stderr_tty=True)  # the note is for a terminal
    assert run_get(GetRequest("acme", "J7"), rt) == 0
    table = out.getvalue()
    assert "acme job J7" in table
    header = next(line for line in table.splitlines() if line.startswith("PAGE"))
    assert header.split() == ["PAGE", "STATUS", "LANG", "SOURCE", "URL", "RESULT", "URL", "ERROR"]
    assert "https://out.acme.test/2.html" in table
    assert "note: Acme Translate deletes results 10 minutes after a job ends" in err.getvalue()

    rt, out, _ = runtime(FakeClock(0.0))
    assert run_get(GetRequest("acme", "J7", output="ndjson"), rt) == 0
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["items"][1]["result_url"] == "https://out.acme.test/2.html"


def test_live_view_for_a_third_provider(acme):
    script, _ = acme
    script["J1"] = ["working", "working", "done"]
    rt, _, err = runtime(FakeClock(0.0), stderr_tty=True, env={"COLUMNS": "100", "LINES": "20"})
    assert run(["watch", "acme:J1", "--interval", "1s"], rt) == 0
    screen = err.getvalue()
    assert "acme" in screen and "J1" in screen and "done" in screen


def test_a_throttled_provider_without_a_rule_keeps_the_backoff(acme):
    script, _ = acme
    script["J1"] = ["throttled", "done"]
    clock = FakeClock(30.0)
    rt, _, _ = runtime(clock)
    assert run(["watch", "acme:J1", "-q"], rt) == 0
    # acme has no "blocked until the next minute" rule: the retry comes after the
    # throttled backoff (1 s to 2 s), not at the minute.
    assert 31.0 <= clock() <= 32.0


def test_provider_names_appear_only_in_their_own_modules():
    allowed = {
        "batchstat/providers/__init__.py",
        "batchstat/providers/alibaba.py",
        "batchstat/providers/azure.py",
        "batchstat/cli/alibaba.py",
        "batchstat/cli/azure.py",
    }
    found = subprocess.run(
        ["grep", "-rn", r'"alibaba"\|"azure"', "batchstat/", "--include=*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    offenders = [
        line
        for line in found
        if line.split(":", 1)[0] not in allowed and not line.startswith("batchstat/emulator/")
    ]
    assert offenders == []
    assert set(PROVIDERS) >= {"alibaba", "azure"}
