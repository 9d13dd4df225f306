"""The console script leaves without the interpreter's teardown (``batchstat/__main__.py``):
a file a command leaves open when ``run()`` returns would never be flushed or closed.
Every command must have closed the files it opened by then."""

from __future__ import annotations

import os

import pytest

from batchstat.emulator import Stage


def open_files() -> set[str]:
    """Regular files this process holds open (sockets, pipes and devices aside)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            found.add(f"{fd} -> {target}")
    return found


@pytest.fixture
def jobs(emulator):
    finished = [Stage("finished")]
    return {
        "alibaba": emulator.alibaba.add_job(
            images=["https://img.example.com/a.png"], stages=finished
        ),
        "azure": emulator.azure.add_job(documents=[], stages=[Stage("Succeeded")]),
    }


def commands(jobs, tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text("{not json")
    return [
        ["alibaba", "get", jobs["alibaba"]],
        ["azure", "get", jobs["azure"], "-o", "json"],
        ["watch", f"alibaba:{jobs['alibaba']}", f"azure:{jobs['azure']}", "-o", "ndjson"],
        ["demo", "--interval", "1s"],
        ["emulator", "--port", "0", "--scenario", str(scenario)],  # reads it, then fails
        ["--help"],
    ]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_command_leaves_a_file_open(cli, jobs, tmp_path):
    for argv in commands(jobs, tmp_path):
        before = open_files()
        cli(*argv)
        assert open_files() - before == set(), argv


def test_the_check_sees_a_file_left_open(tmp_path):
    before = open_files()
    handle = open(tmp_path / "left-open.txt", "w")  # noqa: SIM115
    try:
        assert any("left-open.txt" in entry for entry in open_files() - before)
    finally:
        handle.close()
