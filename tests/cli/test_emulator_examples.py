"""The example jobs `batchstat emulator` starts with, and the README's snippets that submit
jobs to it: what a user sees from `watch`, from the emulator process and from the snippets."""

from __future__ import annotations

import io
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import pytest

from batchstat.cli import run
from batchstat.emulator import Emulator, FakeClock
from batchstat.emulator.examples import EXPIRES_AFTER, seed_examples
from batchstat.runtime import Runtime

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
EMULATOR_ENV = {  # what `batchstat emulator` prints with its default credentials
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEmulatorKeyId",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret",
    "AZURE_DOCUMENT_TRANSLATION_KEY": "emulator-key",
}
WAIT = 30.0  # upper bound for a subprocess to say something; normally well under a second


def example_targets() -> list[str]:
    return [example.target for example in seed_examples(Emulator())]


def batchstat(base_url: str, clock: FakeClock | None, *argv: str) -> tuple[int, str, str]:
    """The CLI in-process; with a fake clock, its waits move the clock instead of taking time."""
    out, err = io.StringIO(), io.StringIO()
    env = {
        **EMULATOR_ENV,
        "BATCHSTAT_ALIBABA_ENDPOINT": base_url,
        "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": base_url,
    }
    runtime = Runtime(
        env=env,
        clock=clock or time.time,
        sleep=clock.advance if clock else time.sleep,
        rng=random.Random(3),
        stdout=out,
        stderr=err,
        watch_workers=0,
    )
    code = run(list(argv), runtime)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=float(int(time.time())))  # whole seconds, like watch's timestamps


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    emulator = Emulator(clock=clock)
    # The SDKs sign with the real clock while the watch moves the fake one by minutes.
    emulator.alibaba.max_timestamp_skew = None
    with emulator:
        yield emulator


# --- the example set ---


def test_watching_every_example_ends_in_every_state(emu, clock):
    seeded_at = clock()
    examples = seed_examples(emu)
    code, stdout, stderr = batchstat(
        emu.base_url, clock, "watch", *(e.target for e in examples), "-o", "json"
    )

    assert code == 1, stderr  # the worst outcome among them: failed and cancelled jobs
    docs = {f"{doc['provider']}:{doc['id']}": doc for doc in json.loads(stdout)}
    assert list(docs) == [e.target for e in examples]
    assert {target: doc["state"] for target, doc in docs.items()} == {
        "alibaba:EXAMPLE-PENDING": "succeeded",
        "alibaba:EXAMPLE-RUNNING": "succeeded",
        "alibaba:EXAMPLE-PARTIAL": "partially_succeeded",
        "alibaba:EXAMPLE-EXPIRING": "succeeded",
        "azure:5eed0000-0000-4000-8000-000000000001": "succeeded",
        "azure:5eed0000-0000-4000-8000-000000000002": "succeeded",
        "azure:5eed0000-0000-4000-8000-000000000003": "partially_succeeded",
        "azure:5eed0000-0000-4000-8000-000000000004": "failed",
        "azure:5eed0000-0000-4000-8000-000000000005": "cancelled",
    }
    failed_image = [item for item in docs["alibaba:EXAMPLE-PARTIAL"]["items"] if not item["ok"]]
    assert [item["code"] for item in failed_image] == [107]
    failed_doc = [
        item
        for item in docs["azure:5eed0000-0000-4000-8000-000000000003"]["items"]
        if not item["ok"]
    ]
    assert [item["error"]["inner_error"]["code"] for item in failed_doc] == [
        "TargetFileAlreadyExists"
    ]
    sas = docs["azure:5eed0000-0000-4000-8000-000000000004"]["error"]
    assert (sas["code"], sas["inner_error"]["code"]) == (
        "InvalidRequest",
        "InvalidDocumentAccessLevel",
    )
    assert docs["azure:5eed0000-0000-4000-8000-000000000005"]["summary"]["cancelled"] == 2

    # The lives are time-based: the watch saw the moving ones go through their states, and
    # end when their last stage began (give or take a poll interval).
    for target, states, ends_after in [
        ("alibaba:EXAMPLE-PENDING", ["pending", "running", "succeeded"], 180),
        ("alibaba:EXAMPLE-RUNNING", ["running", "succeeded"], 60),
        ("azure:5eed0000-0000-4000-8000-000000000001", ["pending", "running", "succeeded"], 180),
    ]:
        changes = re.findall(rf"^(\S+) {re.escape(target)} \w+ \((\w+)\)", stderr, re.M)
        assert [state for _, state in changes] == states, stderr
        ended = datetime.strptime(changes[-1][0], "%Y-%m-%dT%H:%M:%SZ")
        elapsed = ended.replace(tzinfo=timezone.utc).timestamp() - seeded_at
        assert ends_after <= elapsed <= ends_after + 10, (target, elapsed)
    # Finished before the watch began: no promise of a time, a warning instead.
    assert "alibaba:EXAMPLE-EXPIRING had already finished when first seen" in stderr

    # ... and the expiring one is gone EXPIRES_AFTER from seeding; the others stay.
    clock.advance(seeded_at + EXPIRES_AFTER - clock())
    code, stdout, stderr = batchstat(
        emu.base_url, clock, "alibaba", "get", "EXAMPLE-EXPIRING", "-o", "json"
    )
    assert (code, json.loads(stdout)["state"]) == (4, "not_found"), stderr
    code, stdout, _ = batchstat(
        emu.base_url, clock, "alibaba", "get", "EXAMPLE-PARTIAL", "--query", "state"
    )
    assert (code, stdout) == (0, "partially_succeeded\n")


def test_a_shorter_retention_makes_the_expiring_example_go_sooner(clock):
    emu = Emulator(clock=clock, result_retention=60)
    [expiring] = [e for e in seed_examples(emu) if e.target == "alibaba:EXAMPLE-EXPIRING"]
    assert "expire 1 min after start" in expiring.description
    assert emu.alibaba.status("EXAMPLE-EXPIRING") == "finished"
    clock.advance(60)
    assert emu.alibaba.status("EXAMPLE-EXPIRING") == "invalid"


def test_the_readme_lists_the_examples():
    section = README.split("### `batchstat emulator`", 1)[1].split("### `batchstat demo`", 1)[0]
    listed = re.findall(r"^\| `((?:alibaba|azure):[^`]+)` \|", section, re.M)
    assert listed == example_targets()


# --- `batchstat emulator` as a process ---


def _env(**extra: str) -> dict[str, str]:
    drop = ("ALIBABA_CLOUD_", "AZURE_DOCUMENT_", "BATCHSTAT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **extra}


def _reader(stream: IO[str]) -> queue.Queue[str]:
    """Lines of `stream` as they come, so a test can wait for one with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")  # end of stream

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], done: Callable[[str], bool], deadline: float) -> list[str]:
    seen: list[str] = []
    while True:
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        assert line, f"the stream ended early after {seen}"
        seen.append(line)
        if done(line):
            return seen


def _drain(lines: queue.Queue[str], deadline: float) -> list[str]:
    """The rest of a stream whose process has ended."""
    rest: list[str] = []
    while line := lines.get(timeout=max(deadline - time.monotonic(), 0.01)):
        rest.append(line)
    return rest


def _emulator_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "batchstat", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_the_emulator_process_prints_its_examples_and_a_watch_to_try():
    expected = example_targets()
    # Both processes start at once: their start-ups overlap instead of adding up.
    default, empty = _emulator_process(), _emulator_process("--empty")
    try:
        assert default.stdout and default.stderr and empty.stdout and empty.stderr
        deadline = time.monotonic() + WAIT
        out = _read_until(_reader(default.stdout), lambda line: expected[-1] in line, deadline)
        err = _read_until(_reader(default.stderr), lambda line: line.startswith("try:"), deadline)
        # The stderr line comes after stdout's flush: all of --empty's stdout is out by then.
        empty_err = _reader(empty.stderr)
        _read_until(empty_err, lambda line: "Ctrl-C stops it" in line, deadline)
        exports = [line for line in out if line.startswith("export ")]
        env = dict(line.removeprefix("export ").strip().split("=", 1) for line in exports)
        served = batchstat(
            env["BATCHSTAT_ALIBABA_ENDPOINT"],
            None,
            "alibaba",
            "get",
            "EXAMPLE-PARTIAL",
            "-o",
            "json",
        )
    finally:
        _stop(default)
        _stop(empty)

    assert len(exports) == 5
    examples = [line.split() for line in out if line.startswith("# example: ")]
    assert [words[2] for words in examples] == expected
    assert all(len(words) > 3 for words in examples)  # each with a description
    assert out == [*exports, *(line for line in out if line.startswith("# example: "))]
    [try_line] = [line for line in err if line.startswith("try:")]
    watched = try_line.split()[3:]
    assert try_line.startswith("try: batchstat watch ") and 2 <= len(watched) <= 3
    assert set(watched) <= set(expected)
    assert {target.split(":")[0] for target in watched} == {"alibaba", "azure"}
    code, stdout, stderr = served
    assert (code, json.loads(stdout)["state"]) == (0, "partially_succeeded"), stderr

    rest = empty.stdout.read()
    assert rest.count("export ") == 5 and "# example" not in rest
    assert not any(line.startswith("try:") for line in _drain(empty_err, deadline))


def test_a_scenario_replaces_the_examples_unless_they_are_asked_for(tmp_path):
    scenario = tmp_path / "jobs.json"
    scenario.write_text(json.dumps({"alibaba": {"jobs": [{"task_id": "MINE"}]}}))
    procs = {
        args: _emulator_process("--scenario", str(scenario), *args)
        for args in [(), ("--examples",)]
    }
    deadline = time.monotonic() + WAIT
    shown: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    try:
        for args, proc in procs.items():
            assert proc.stdout and proc.stderr
            err = _reader(proc.stderr)
            _read_until(err, lambda line: "Ctrl-C stops it" in line, deadline)
            _stop(proc)
            shown[args] = (proc.stdout.read(), _drain(err, deadline))
    finally:
        for proc in procs.values():
            _stop(proc)

    alone, together = shown[()], shown[("--examples",)]
    assert "# seeded: alibaba:MINE\n" in alone[0] and "# example" not in alone[0]
    assert not any(line.startswith("try:") for line in alone[1])
    lines = together[0].splitlines()
    examples = [line.split()[2] for line in lines if line.startswith("# example: ")]
    assert examples == example_targets()
    assert lines.index("# seeded: alibaba:MINE") < lines.index(
        next(line for line in lines if line.startswith("# example: "))
    )
    assert any(line.startswith("try: batchstat watch ") for line in together[1])


# --- the README's "Submitting jobs to the emulator" snippets ---


def readme_snippets() -> list[str]:
    section = README.split("### Submitting jobs to the emulator\n", 1)[1]
    section = re.split(r"^#{2,3} ", section, maxsplit=1, flags=re.M)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_snippets_submit_jobs_that_batchstat_finds(emu, clock):
    snippets = readme_snippets()
    assert len(snippets) == 2
    with socket.socket() as dead:  # a proxy that refuses: the snippets must not use it
        dead.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{dead.getsockname()[1]}"
    env = _env(
        **EMULATOR_ENV,
        BATCHSTAT_ALIBABA_ENDPOINT=emu.base_url,
        AZURE_DOCUMENT_TRANSLATION_ENDPOINT=emu.base_url,
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        NO_PROXY="127.0.0.1,localhost",  # what the README asks of Azure SDK users with a proxy
    )
    for name in ("http_proxy", "https_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for code in snippets
    ]
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=WAIT)
        assert proc.returncode == 0, stderr
        outputs.append(stdout)
    ali_out, az_out = outputs
    assert re.fullmatch(r"alibaba:[0-9A-F-]{36}\n", ali_out)
    assert re.fullmatch(r"azure:[0-9a-f-]{36}\n", az_out)

    posts = [
        (r.provider, r.path, r.params.get("Action")) for r in emu.requests if r.method == "POST"
    ]
    assert ("alibaba", "/", "TranslateImageBatch") in posts
    assert ("azure", "/translator/document/batches", None) in posts

    targets = [ali_out.strip(), az_out.strip()]
    code, stdout, stderr = batchstat(emu.base_url, clock, "watch", *targets, "-o", "json")
    assert code == 0, stderr
    docs = json.loads(stdout)
    assert [f"{doc['provider']}:{doc['id']}" for doc in docs] == targets
    assert [(doc["state"], doc["summary"]["total"]) for doc in docs] == [
        ("succeeded", 2),
        ("succeeded", 3),
    ]
