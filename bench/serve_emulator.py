"""The benchmark's emulator: seed jobs, print one JSON line, then serve until killed.

    python bench/serve_emulator.py [--documents 10000]

The line: {"base_url", "alibaba", "azure", "azure_10k", "azure_10k_documents"}. Credentials
come from the same variables batchstat reads (the emulator accepts exactly those).

While serving, it answers JSON commands on stdin, one per line, with one JSON line each:
  {"cmd": "seed-watch", "count": N, "life_polls": P, "retry_after": S} -> {"azure": [ids]}
  {"cmd": "polls"} -> {"polls": status polls served so far (both clouds)}
At the end of stdin it just keeps serving (run by hand, it is a plain emulator).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from batchstat.emulator import Emulator, RecordedRequest, Stage

_AZURE_BATCHES = "/translator/document/batches/"


def is_status_poll(request: RecordedRequest) -> bool:
    """A job-status poll (what moves a poll-counted life), not a document-list page."""
    if request.provider == "azure":
        rest = (
            request.path[len(_AZURE_BATCHES) :] if request.path.startswith(_AZURE_BATCHES) else ""
        )
        return request.method == "GET" and bool(rest) and "/" not in rest.rstrip("/")
    if request.provider == "alibaba":
        return request.params.get("Action") == "GetTranslateImageBatchResult"
    return False


def seed_watch(emu: Emulator, count: int, life_polls: int, retry_after: int) -> list[str]:
    # Not terminal for life_polls - 1 polls; the poll number life_polls sees Succeeded.
    stages = (
        [Stage("Running", polls=life_polls - 1), Stage("Succeeded")]
        if life_polls > 1
        else [Stage("Succeeded")]
    )
    return [
        emu.azure.add_job(
            documents=[f"https://example.com/watch/{n}.docx"],
            stages=stages,
            retry_after=retry_after,
        )
        for n in range(count)
    ]


def answer(emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
    command = request.get("cmd")
    if command == "seed-watch":
        ids = seed_watch(
            emu, int(request["count"]), int(request["life_polls"]), int(request["retry_after"])
        )
        return {"azure": ids}
    if command == "polls":
        return {"polls": sum(1 for r in emu.requests if is_status_poll(r))}
    return {"error": f"unknown command {command!r}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--documents", type=int, default=10_000)
    args = parser.parse_args()
    # Our protocol owns stdout; anything else printing goes to stderr.
    protocol, sys.stdout = sys.stdout, sys.stderr
    emu = Emulator(
        host=args.host,
        port=args.port,
        alibaba_credentials={
            os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tEmulatorKeyId"): os.environ.get(
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "emulator-secret"
            )
        },
        azure_keys=(os.environ.get("AZURE_DOCUMENT_TRANSLATION_KEY", "emulator-key"),),
    ).start()
    info = {
        "base_url": emu.base_url,
        "alibaba": emu.alibaba.add_job(
            images=["https://example.com/a.png"], stages=[Stage("finished")]
        ),
        "azure": emu.azure.add_job(
            documents=["https://example.com/a.docx"], stages=[Stage("Succeeded")], retry_after=1
        ),
        "azure_10k": emu.azure.add_job(
            documents=[f"https://example.com/big/{n:05d}.docx" for n in range(args.documents)],
            stages=[Stage("Succeeded")],
            retry_after=1,
        ),
        "azure_10k_documents": args.documents,
    }
    print(json.dumps(info), file=protocol, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(emu, json.loads(line))
        except (ValueError, KeyError, TypeError) as err:
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), file=protocol, flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
