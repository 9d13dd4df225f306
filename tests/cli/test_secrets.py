"""No secret ever appears in any output: success, failure, debug, watch events."""

from __future__ import annotations

import uuid

from batchstat.emulator import Fault, Stage


def test_no_secret_in_any_output(cli, emulator, cli_env):
    secrets = [
        cli_env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        cli_env["AZURE_DOCUMENT_TRANSLATION_KEY"],
    ]
    task = emulator.alibaba.add_job(
        images=["https://img.example.com/a.png"],
        stages=[Stage("running", polls=1), Stage("finished")],
    )
    job = emulator.azure.add_job(
        documents=["https://s.example.com/a.docx"],
        stages=[Stage("Running", polls=1), Stage("Succeeded")],
    )
    runs = [
        cli("--debug", "alibaba", "get", task, "-o", "json"),
        cli("--debug", "alibaba", "get", task),
        cli("--debug", "azure", "get", job, "-o", "json"),
        cli("--debug", "azure", "get", job),
        cli("--debug", "watch", f"alibaba:{task}", f"azure:{job}", "-o", "ndjson"),
        cli("--debug", "azure", "get", str(uuid.uuid4())),
        cli("--debug", "alibaba", "get", task, env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIother"}),
    ]
    emulator.faults.add(Fault(provider="any", kind="http", status=503, times=100))
    runs.append(cli("--debug", "azure", "get", job, "--retries", "1"))
    runs.append(cli("--debug", "alibaba", "get", task, "--retries", "1"))
    runs.append(cli("--debug", "watch", f"azure:{job}", "--max-errors", "1"))
    assert {r.code for r in runs} >= {0, 4, 5, 7}
    for result in runs:
        for secret in secrets:
            assert secret not in result.output
