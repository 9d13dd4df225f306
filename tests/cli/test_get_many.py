"""`get` with several ids: one process, concurrent lookups, an array, the worst exit code."""

from __future__ import annotations

import json
import uuid

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Stage


def azure_job(emulator, stage: str = "Succeeded", failed: bool = False) -> str:
    doc = AzureDocument("https://store.example.com/a.docx")
    if failed:
        doc = AzureDocument("https://store.example.com/a.docx", status="Failed")
    return emulator.azure.add_job([doc], stages=[Stage(stage)])


def alibaba_task(emulator, stage: str = "finished") -> str:
    return emulator.alibaba.add_job([AlibabaImage("https://img.example.com/a.png")], [Stage(stage)])


@pytest.mark.parametrize("workers", [0, 4])
def test_several_azure_ids_give_an_array_in_the_order_given(cli, emulator, workers):
    jobs = [azure_job(emulator) for _ in range(5)]
    result = cli.with_workers(workers)("azure", "get", *jobs, "-o", "json")
    assert result.code == 0, result.stderr
    assert [d["id"] for d in json.loads(result.stdout)] == jobs


def test_the_same_job_twice_is_fetched_once(cli, emulator):
    job = azure_job(emulator)
    result = cli("azure", "get", job, job.upper(), "-o", "json")  # a UUID in any case
    assert [d["id"] for d in json.loads(result.stdout)] == [job]
    polls = [r for r in emulator.requests if r.path.endswith(job)]
    assert len(polls) == 1


def test_ids_from_stdin(cli, emulator):
    tasks = [alibaba_task(emulator), alibaba_task(emulator)]
    stdin = f"{tasks[0]}  # first\n\n{tasks[1]}\n"
    result = cli("alibaba", "get", "-", "--query", "[].state", stdin=stdin)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == ["succeeded", "succeeded"]


def test_the_exit_code_is_the_worst_and_each_failure_is_one_line(cli, emulator):
    ok, failed, running = (
        azure_job(emulator),
        azure_job(emulator, failed=True),
        azure_job(emulator, "Running"),
    )
    missing = str(uuid.uuid4())
    result = cli("azure", "get", ok, failed, running, missing, "-o", "json", "--exit-status")
    assert result.code == 4  # not found outranks partial (3) and pending (8)
    states = {d["id"]: d["state"] for d in json.loads(result.stdout)}
    assert states == {
        ok: "succeeded",
        failed: "partially_succeeded",
        running: "running",
        missing: "not_found",
    }
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and missing in errors[0]
    # Without --exit-status only the lookup failures count.
    assert cli("azure", "get", ok, running, "-o", "json").code == 0
    assert cli("azure", "get", ok, running, "-o", "json", "--exit-status").code == 8
    assert cli("azure", "get", failed, running, "--exit-status").code == 3  # failed already


def test_a_bad_id_among_many_sends_nothing(cli, emulator):
    result = cli("azure", "get", azure_job(emulator), "not-a-uuid")
    assert result.code == 2
    assert emulator.requests == []


def test_table_output_shows_every_job(cli, emulator):
    jobs = [azure_job(emulator) for _ in range(3)]
    result = cli("azure", "get", *jobs)
    assert result.code == 0
    for job in jobs:
        assert f"azure job {job}" in result.stdout
