"""`batchstat emulator` reads its secrets from the environment (out of `ps`) and never prints
them. Runs the real console script, since the command serves until it is stopped."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from emu_support import send_signed, signed_params

KEY_ID = "LTAIKeyIdFromTheEnvironment"
SECRET = "alibaba-secret-from-the-environment"
AZURE_KEY = "azure-key-from-the-environment"
STARTUP_TIMEOUT = 30.0  # generous for a loaded CI machine; a healthy start takes well under 1 s


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("batchstat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "batchstat"]


def test_secrets_come_from_the_environment_and_stay_hidden() -> None:
    env = {
        **os.environ,
        "BATCHSTAT_EMULATOR_ALIBABA_ACCESS_KEY_ID": KEY_ID,
        "BATCHSTAT_EMULATOR_ALIBABA_ACCESS_KEY_SECRET": SECRET,
        "BATCHSTAT_EMULATOR_AZURE_KEY": AZURE_KEY,
    }
    command = [*console_script(), "emulator", "--port", "0"]
    printed: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:  # a thread, so waiting for a line can time out
            for line in process.stdout or ():
                lines.put(line)
            lines.put(None)  # end of output: the emulator exited

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            exports = read_exports(lines, printed)
            check_the_emulator_uses(exports)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            finally:
                process.kill()  # in case terminate was not enough; a no-op otherwise
                reader.join(timeout=10)
        while not lines.empty():  # whatever came after the exports
            printed.append(lines.get_nowait() or "")
        printed.append(process.stderr.read() if process.stderr else "")
    assert not any(SECRET in text or AZURE_KEY in text for text in printed)


def read_exports(lines: queue.Queue[str | None], printed: list[str]) -> dict[str, str]:
    """The `export NAME=value` lines, up to the Azure key's."""
    exports: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while "AZURE_DOCUMENT_TRANSLATION_KEY" not in exports:
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        if line is None:
            pytest.fail(f"the emulator exited early; it printed {printed!r}")
        printed.append(line)
        name, _, value = line.strip().removeprefix("export ").partition("=")
        exports[name] = value
    return exports


def check_the_emulator_uses(exports: dict[str, str]) -> None:
    assert exports["ALIBABA_CLOUD_ACCESS_KEY_ID"] == KEY_ID  # an id, not a secret
    assert exports["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] == "'<your --alibaba-access-key-secret>'"
    assert exports["AZURE_DOCUMENT_TRANSLATION_KEY"] == "'<your --azure-key>'"

    url = exports["AZURE_DOCUMENT_TRANSLATION_ENDPOINT"] + (
        f"/translator/document/batches/{uuid.uuid4()}?api-version=2024-05-01"
    )
    with requests.Session() as session:
        session.trust_env = False  # no proxies
        accepted = session.get(url, headers={"Ocp-Apim-Subscription-Key": AZURE_KEY}, timeout=5)
        default = session.get(url, headers={"Ocp-Apim-Subscription-Key": "emulator-key"}, timeout=5)
    assert accepted.status_code == 404
    assert accepted.json()["error"]["code"] == "ResourceNotFound"
    assert default.status_code == 401  # the variable replaced the default key

    params = signed_params(
        "GetTranslateImageBatchResult",
        {"TaskId": "NO-SUCH-TASK"},
        when=time.time(),
        access_key_id=KEY_ID,
        secret=SECRET,
    )
    status, body = send_signed(exports["BATCHSTAT_ALIBABA_ENDPOINT"], params)
    assert (status, body["Data"]["Status"]) == (200, "invalid")  # the signature was verified
