"""`batchstat demo` in-process, and `batchstat emulator` as a real process driven by the
real console entry point (`python -m batchstat`)."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys

import pytest

from batchstat.cli import run
from batchstat.emulator import FakeClock
from batchstat.runtime import Runtime


def test_demo_submits_watches_and_exits_0():
    clock = FakeClock()
    out, err = io.StringIO(), io.StringIO()
    runtime = Runtime(
        env={},
        clock=clock,
        sleep=clock.advance,
        rng=random.Random(1),
        stdout=out,
        stderr=err,
        watch_workers=0,
    )
    code = run(["demo"], runtime)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "finished (partially_succeeded)" in text
    assert "Succeeded (partially_succeeded)" in text
    assert "fail-blurry-receipt.png" in text and "fail-scanned-contract.pdf" in text
    assert "To check real jobs" in err.getvalue()


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD_", "AZURE_DOCUMENT_", "BATCHSTAT_"))
    }
    env.update(extra)
    return env


def batchstat(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "batchstat", *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=60,
        check=False,
    )


def test_emulator_command_serves_a_scenario_until_interrupted(tmp_path):
    scenario = tmp_path / "jobs.json"
    scenario.write_text(
        json.dumps(
            {
                "alibaba": {
                    "jobs": [
                        {
                            "task_id": "DEMO-TASK-1",
                            "images": ["https://img.example.com/a.png"],
                            "stages": [{"status": "finished"}],
                        }
                    ]
                },
                "azure": {
                    "jobs": [
                        {
                            "job_id": "727bf148-f327-47a0-9481-abae6362f11e",
                            "documents": ["https://s.example.com/a.docx"],
                            "stages": [{"status": "Succeeded"}],
                        }
                    ]
                },
            }
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchstat", "emulator", "--port", "0", "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(7)]
        exports = dict(
            line[len("export ") :].strip().split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert "# seeded: alibaba:DEMO-TASK-1\n" in lines
        env = _env(**exports)
        ali = batchstat("alibaba", "get", "DEMO-TASK-1", "--query", "state", env=env)
        assert (ali.returncode, ali.stdout) == (0, "succeeded\n"), ali.stderr
        az = batchstat(
            "azure",
            "get",
            "727bf148-f327-47a0-9481-abae6362f11e",
            "--query",
            "summary.total",
            env=env,
        )
        assert (az.returncode, az.stdout) == (0, "1\n"), az.stderr
        # The SDK's own error log (which echoes what was signed) stays off stderr.
        wrong = batchstat(
            "alibaba",
            "get",
            "DEMO-TASK-1",
            env={**env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"},
        )
        assert wrong.returncode == 5
        assert len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr


def test_usage_error_imports_neither_sdk():
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "batchstat", "azure", "get", "not-a-uuid"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "batchstat.cli" in imported
    assert not any(name.startswith(("aliyunsdkcore", "azure")) for name in imported)


def test_process_errors_are_one_line_without_traceback(tmp_path):
    # A dead endpoint: connection refused, retried, then one line and exit 7.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _env(
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIx",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="s3cr3t-value",
        BATCHSTAT_ALIBABA_ENDPOINT=f"http://127.0.0.1:{port}",
    )
    proc = batchstat("alibaba", "get", "T-1", "--retries", "0", env=env)
    assert proc.returncode == 7
    # One attempt (--retries 0) needs no count; more say "failed after N attempt(s)."
    assert (
        f"the connection to http://127.0.0.1:{port} was refused or its host is unknown. Hint:"
        in proc.stderr
    )
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "s3cr3t-value" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_help_and_version_exit_0():
    version = batchstat("--version")
    assert version.returncode == 0 and version.stdout.startswith("batchstat ")
    for command in ([], ["alibaba", "get"], ["azure", "get"], ["watch"], ["emulator"], ["demo"]):
        shown = batchstat(*command, "--help")
        assert shown.returncode == 0
        assert "Usage:" in shown.stdout
        if command:
            assert "Example:" in shown.stdout, command


def test_closing_stdout_early_ends_quietly(emulator, cli_env):
    from batchstat.emulator import AzureDocument, Stage

    docs = [AzureDocument(f"https://s.example.com/doc-{n}.docx") for n in range(400)]
    job = emulator.azure.add_job(documents=docs, stages=[Stage("Succeeded")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "batchstat", "azure", "get", job, "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(**cli_env),
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)  # like `| head -c 10`: read a little, then hang up
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert stderr == ""


def test_a_process_delivers_all_output_and_its_exit_code(emulator, cli_env):
    # The console script leaves without the interpreter's teardown: it must still flush
    # every byte of a large document and the diagnostics, and keep the job's exit code.
    from batchstat.emulator import AzureDocument, Stage

    docs = [AzureDocument(f"https://s.example.com/doc-{n}.docx") for n in range(1500)]
    docs.append(AzureDocument.from_url("https://s.example.com/fail.docx"))
    job = emulator.azure.add_job(documents=docs, stages=[Stage("Succeeded")])
    proc = batchstat("azure", "get", job, "-o", "json", "--exit-status", env=_env(**cli_env))
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert len(doc["items"]) == 1501 and doc["summary"]["failed"] == 1
    missing = batchstat("azure", "get", "00000000-0000-4000-8000-000000000000", env=_env(**cli_env))
    assert missing.returncode == 4
    assert missing.stderr.startswith("error: Azure has no job")


def test_ctrl_c_while_starting_exits_130_without_traceback():
    # Ctrl-C can land while Python is still importing Typer; simulate it at that import.
    code = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def interrupted(name, *args, **kwargs):\n"
        "    if name == 'batchstat.cli':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupted\n"
        "from batchstat.__main__ import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "alibaba", "get", "T-1"], capture_output=True, text=True
    )
    assert proc.returncode == 130
    assert proc.stderr == "interrupted\n"
    assert proc.stdout == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["azure", "get", "JOB", "-o", "json"], ["--version"]])
def test_a_full_disk_is_one_line_and_exit_74(emulator, cli_env, command):
    from batchstat.emulator import Stage

    job = emulator.azure.add_job(
        documents=["https://s.example.com/a.docx"], stages=[Stage("Succeeded")]
    )
    args = [job if arg == "JOB" else arg for arg in command]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "batchstat", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(**cli_env),
        )
    assert proc.returncode == 74
    assert proc.stderr == (
        "error: cannot write the output: No space left on device. "
        "Hint: Check the free space and where standard output goes.\n"
    )


def test_sigint_stops_a_threaded_watch_with_last_states(emulator, cli_env):
    from batchstat.emulator import Stage

    jobs = [
        emulator.azure.add_job(
            documents=["https://s.example.com/a.docx"], stages=[Stage("Running")], retry_after=None
        )
        for _ in range(2)
    ]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "batchstat",
            "watch",
            *(f"azure:{j}" for j in jobs),
            "--interval",
            "1m",
            "-o",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**cli_env),
    )
    assert proc.stderr is not None
    seen = 0
    while seen < 2:  # wait for both first answers: then the loop is waiting for the next poll
        if "Running (running)" in proc.stderr.readline():
            seen += 1
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise AssertionError(f"no exit 30 s after SIGINT; {stdout=} {stderr=}") from None
    assert proc.returncode == 130, stderr
    assert [doc["status"] for doc in json.loads(stdout)] == ["Running", "Running"]
    assert "resume with: batchstat watch " + " ".join(f"azure:{j}" for j in jobs) in stderr
    assert "Traceback" not in stderr
