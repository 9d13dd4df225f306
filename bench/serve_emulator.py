"""The benchmark's emulator: seed jobs, print one JSON line, then serve until killed.

    python bench/serve_emulator.py [--documents 10000] [--max-requests 10000]

The line: {"base_url", "alibaba", "azure", "azure_10k", "azure_10k_documents", "pid"}.
Credentials come from the same variables batchstat reads (the emulator accepts exactly
those). --max-requests bounds the emulator's request log (what a long run keeps in memory).

While serving, it answers JSON commands on stdin, one per line, with one JSON line each:
  {"cmd": "seed-watch", "count": N, "life_polls": P, "retry_after": S} -> {"azure": [ids]}
  {"cmd": "seed-soak", "jobs": [{"provider", "outcome", "life", "retry_after"}, ...]}
      -> {"ids": [one id per job, in order]}: jobs living `life` seconds from now and
      ending in `outcome` (see SOAK_OUTCOMES); a not_found job is an id never seeded
  {"cmd": "polls"} -> {"polls": status polls served so far (both clouds), "alibaba": n,
      "azure": n}: counted as they arrive, faulted ones included (the log is bounded)
  {"cmd": "chaos", "rate": 0.2, "seed": 9, "kinds": [...], "provider": "any",
      "retry_after": "1"} -> {"chaos": [the settings in force]}  (Chaos in
      batchstat/emulator/faults.py; only rate is required)
  {"cmd": "chaos-off"} -> {"chaos": []}
  {"cmd": "chaos-counts"} -> {"alibaba": {"answers", "injected", "kinds"}, "azure": ...}
At the end of stdin it just keeps serving (run by hand, it is a plain emulator).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from batchstat.emulator import AlibabaImage, AzureDocument, Emulator, RecordedRequest, Stage
from batchstat.emulator.alibaba import request_params
from batchstat.emulator.faults import Chaos
from batchstat.emulator.wire import Reply, Request

_AZURE_BATCHES = "/translator/document/batches/"
GET_RESULT = "GetTranslateImageBatchResult"  # Alibaba's status poll
# What a soak job may end in, per provider (validation_failed and failed both read failed).
SOAK_OUTCOMES = {
    "alibaba": ("succeeded", "partially_succeeded", "failed", "not_found"),
    "azure": (
        "succeeded",
        "partially_succeeded",
        "failed",
        "validation_failed",
        "cancelled",
        "not_found",
    ),
}


def is_status_poll(request: RecordedRequest) -> bool:
    """A job-status poll (what moves a poll-counted life), not a document-list page."""
    if request.provider == "azure":
        return request.method == "GET" and _is_azure_job_path(request.path)
    if request.provider == "alibaba":
        return request.params.get("Action") == GET_RESULT
    return False


def _is_azure_job_path(path: str) -> bool:
    rest = path[len(_AZURE_BATCHES) :] if path.startswith(_AZURE_BATCHES) else ""
    return bool(rest) and "/" not in rest.rstrip("/")


class CountingEmulator(Emulator):
    """An emulator that counts the status polls it receives, per provider. The request
    log keeps only the last max_requests, so a long run cannot count from it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._polls: Counter[str] = Counter()
        self._polls_lock = threading.Lock()

    def respond(self, request: Request) -> Reply:
        provider = None
        if request.method == "GET" and _is_azure_job_path(request.path):
            provider = "azure"
        elif request.path == "/" and request_params(request).get("Action") == GET_RESULT:
            provider = "alibaba"
        if provider is not None:
            with self._polls_lock:
                self._polls[provider] += 1
        return super().respond(request)

    @property
    def polls(self) -> dict[str, int]:
        with self._polls_lock:
            return {"alibaba": self._polls["alibaba"], "azure": self._polls["azure"]}


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


def seed_soak(emu: Emulator, jobs: Sequence[dict[str, Any]]) -> list[str]:
    """One id per planned job: {"provider", "outcome", "life" (seconds from now),
    "retry_after" (Azure's header on status answers; absent: 1, null: none)}.

    A life is time-based (the clock, not the polls, moves it), so chaos's reset and
    truncate answers, which count as polls, cannot change it: 20 % pending (created,
    NotStarted), then running, then the outcome for good. A not_found job is a fresh id.
    """
    ids = []
    for job in jobs:
        provider, outcome, life = job["provider"], job["outcome"], float(job["life"])
        if outcome not in SOAK_OUTCOMES.get(provider, ()):
            raise ValueError(f"no soak outcome {outcome!r} for {provider!r}")
        if outcome == "not_found":
            fresh = str(uuid.uuid4())
            ids.append(fresh.upper() if provider == "alibaba" else fresh)
            continue
        pending, running = life * 0.2, life * 0.8
        if provider == "alibaba":
            ok = AlibabaImage("https://img.example/soak/ok.png")
            bad = AlibabaImage("https://img.example/soak/bad.png", success=False, code=107)
            images = {
                "succeeded": [ok],
                "partially_succeeded": [ok, bad],
                "failed": [bad],
            }[outcome]
            stages = [Stage("created", seconds=pending), Stage("running", seconds=running)]
            ids.append(emu.alibaba.add_job(images, stages=[*stages, Stage("finished")]))
            continue
        ok_doc = AzureDocument("https://store.example/soak/ok.docx")
        bad_doc = AzureDocument(
            "https://store.example/soak/bad.docx",
            status="Failed",
            error={"code": "InvalidRequest", "message": "Target document file already exists."},
        )
        documents, final = {
            "succeeded": ([ok_doc], "Succeeded"),
            "partially_succeeded": ([ok_doc, bad_doc], "Succeeded"),
            "failed": ([bad_doc], "Failed"),
            "validation_failed": ([ok_doc], "ValidationFailed"),
            "cancelled": ([dataclasses.replace(ok_doc, status="Cancelled")], "Cancelled"),
        }[outcome]
        stages = [Stage("NotStarted", seconds=pending)]
        if outcome == "cancelled":  # as a cancelled job goes: Cancelling for a while first
            stages += [
                Stage("Running", seconds=life * 0.6),
                Stage("Cancelling", seconds=life * 0.2),
            ]
        else:
            stages.append(Stage("Running", seconds=running))
        stages.append(Stage(final))
        ids.append(
            emu.azure.add_job(documents, stages=stages, retry_after=job.get("retry_after", 1))
        )
    return ids


def answer(emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
    command = request.get("cmd")
    if command == "seed-watch":
        ids = seed_watch(
            emu, int(request["count"]), int(request["life_polls"]), int(request["retry_after"])
        )
        return {"azure": ids}
    if command == "seed-soak":
        return {"ids": seed_soak(emu, request["jobs"])}
    if command == "polls":
        if isinstance(emu, CountingEmulator):
            counted = emu.polls
            return {"polls": sum(counted.values()), **counted}
        return {"polls": sum(1 for r in emu.requests if is_status_poll(r))}
    if command == "chaos":
        settings = {key: value for key, value in request.items() if key != "cmd"}
        emu.faults.set_chaos(Chaos(**settings))
        return {"chaos": [dataclasses.asdict(chaos) for chaos in emu.faults.chaos]}
    if command == "chaos-off":
        emu.faults.clear_chaos()
        return {"chaos": []}
    if command == "chaos-counts":
        return emu.faults.chaos_counts()
    return {"error": f"unknown command {command!r}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--max-requests", type=int, default=10_000)
    args = parser.parse_args()
    # Our protocol owns stdout; anything else printing goes to stderr.
    protocol, sys.stdout = sys.stdout, sys.stderr
    emu = CountingEmulator(
        max_requests=args.max_requests,
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
        "pid": os.getpid(),
    }
    print(json.dumps(info), file=protocol, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(emu, json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), file=protocol, flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
