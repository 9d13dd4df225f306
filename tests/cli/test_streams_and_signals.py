"""Streams and signals: SIGTERM like Ctrl-C, a closed stdout or stderr, Ctrl-C during get,
and a --timeout that holds whatever the server does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage


def running_azure_job(emulator) -> str:
    return emulator.azure.add_job(
        [AzureDocument("https://store.example.com/a.docx")],
        stages=[Stage("Running", polls=1000), Stage("Succeeded")],
    )


def sigterm_on(call: int):
    """A sleep hook that sends this process SIGTERM on its ``call``-th wait, as CI does
    when it cancels a step."""
    calls = {"n": 0}

    def hook(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == call:
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


@pytest.mark.parametrize("output", ["json", "ndjson", "table"])
def test_sigterm_stops_watch_like_ctrl_c_with_exit_143(cli, emulator, output):
    job = running_azure_job(emulator)
    before = signal.getsignal(signal.SIGTERM)
    result = cli.with_sleep(sigterm_on(3))("watch", f"azure:{job}", "-o", output)
    assert result.code == 143
    assert f"terminated: azure:{job} is still Running" in result.stderr
    assert f"resume with: batchstat watch azure:{job}" in result.stderr
    if output == "json":
        [document] = json.loads(result.stdout)
        assert document["status"] == "Running"
    elif output == "ndjson":
        assert all(json.loads(line) for line in result.stdout.splitlines())
    assert "Traceback" not in result.stderr
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back


def test_sigterm_restores_the_cursor_of_the_live_view(cli, emulator):
    job = running_azure_job(emulator)
    result = cli.with_sleep(sigterm_on(3))(
        "watch", f"azure:{job}", stderr_tty=True, env={"COLUMNS": "100"}
    )
    assert result.code == 143
    hide, show = "\x1b[?25l", "\x1b[?25h"
    assert result.stderr.count(hide) >= 1
    assert result.stderr.rindex(show) > result.stderr.rindex(hide)


def test_ctrl_c_during_get_says_interrupted(cli, emulator):
    task = emulator.alibaba.add_job([AlibabaImage("https://img.example.com/a.png")])
    emulator.faults.add(Fault(provider="alibaba", kind="http", status=503, times=5))

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    result = cli.with_sleep(interrupt)("alibaba", "get", task)
    assert result.code == 130
    assert result.stderr.strip().splitlines()[-1] == "interrupted"
    assert result.stdout == ""


def test_sigterm_during_get_says_terminated(cli, emulator):
    task = emulator.alibaba.add_job([AlibabaImage("https://img.example.com/a.png")])
    emulator.faults.add(Fault(provider="alibaba", kind="http", status=503, times=5))
    result = cli.with_sleep(sigterm_on(1))("alibaba", "get", task)
    assert result.code == 143
    assert result.stderr.strip().splitlines()[-1] == "terminated"


# --- closed streams, through the console script ---------------------------------------


def batchstat(*args: str, **popen: object) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", ""), "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tx"}
    return subprocess.run([sys.executable, "-m", "batchstat", *args], env=env, check=False, **popen)  # type: ignore[call-overload]


def test_a_closed_stdout_is_exit_74_and_one_line(tmp_path):
    err = tmp_path / "err"
    with err.open("wb") as stderr:
        # stdout closed in the child, as `batchstat ... >&-` does
        proc = batchstat(
            "--version",
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            close_fds=True,
            preexec_fn=lambda: os.close(1),
        )
    text = err.read_text()
    assert proc.returncode == 74
    assert text.count("\n") == 1 and text.startswith("error: standard output is closed")


def test_a_closed_stderr_changes_neither_the_exit_code_nor_stdout():
    proc = batchstat(
        "--version",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(2),
    )
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("batchstat ")
    proc = batchstat(
        "alibaba",
        "get",
        "not a task id",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(2),
    )
    assert proc.returncode == 2  # the usage error, said nowhere, still its code
    assert proc.stdout == b""


def test_a_full_stderr_changes_nothing_but_the_messages():
    with open("/dev/full", "w") as full:
        proc = batchstat("alibaba", "get", "not a task id", stdout=subprocess.PIPE, stderr=full)
    assert proc.returncode == 2


# --- --timeout is a deadline ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stall", "trickle"])
def test_timeout_holds_with_one_job_on_a_server_that_never_finishes_answering(
    emulator, cli_env, kind
):
    """The real clock: the loop must stop waiting for the poll at the deadline (1 s here),
    while the server holds the answer for 60 s. The emulator releases the connection
    when the test ends."""
    from batchstat.cli import run
    from batchstat.runtime import Runtime

    job = running_azure_job(emulator)
    emulator.faults.add(
        Fault(provider="azure", kind=kind, delay=60.0 if kind == "trickle" else 0.0, times=100)
    )
    done = threading.Event()
    out, err = _Buffer(), _Buffer()
    codes: list[int] = []

    def watch() -> None:
        runtime = Runtime(env=cli_env, stdout=out, stderr=err)
        codes.append(run(["watch", f"azure:{job}", "--timeout", "1s", "-o", "json"], runtime))
        done.set()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    # Far more than the deadline; a watch that waits for the server never sets it.
    assert done.wait(30), "watch --timeout 1s was still waiting for the server after 30 s"
    assert codes == [6]
    [document] = json.loads(out.getvalue())
    assert document["id"] == job
    assert f"timed out: azure:{job}" in err.getvalue()


class _Buffer:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        with self._lock:
            return "".join(self._parts)
