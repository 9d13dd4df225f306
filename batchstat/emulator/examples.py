"""The example jobs `batchstat emulator` starts with: one per interesting state on each cloud.

Ids are fixed so the README and users can name them. Lives are measured in seconds from
seeding (the emulator's start), so a `batchstat watch` run soon after sees them move.

    alibaba:EXAMPLE-PENDING    created 2 min, running 1 min, then finished
    alibaba:EXAMPLE-RUNNING    running 1 min, then finished
    alibaba:EXAMPLE-PARTIAL    finished, 1 of 3 images failed (107)
    alibaba:EXAMPLE-EXPIRING   finished; its results expire 5 min after seeding
    azure:5eed0000-...-0001    NotStarted 10 s, Running until 3 min, then Succeeded
    azure:5eed0000-...-0002    Succeeded
    azure:5eed0000-...-0003    Succeeded, 1 of 3 documents Failed (TargetFileAlreadyExists)
    azure:5eed0000-...-0004    ValidationFailed: InvalidRequest / InvalidDocumentAccessLevel
    azure:5eed0000-...-0005    Cancelled after 1 of 3 documents
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .alibaba import AlibabaImage
from .azure import DEFAULT_DOCUMENT_ERROR, DEFAULT_VALIDATION_ERROR, AzureDocument
from .lifecycle import Lifecycle, Stage

if TYPE_CHECKING:
    from .server import Emulator

EXPIRES_AFTER = 300.0  # the expiring example's results vanish this long after seeding

ALIBABA_PENDING = "EXAMPLE-PENDING"
ALIBABA_RUNNING = "EXAMPLE-RUNNING"
ALIBABA_PARTIAL = "EXAMPLE-PARTIAL"
ALIBABA_EXPIRING = "EXAMPLE-EXPIRING"
AZURE_RUNNING = "5eed0000-0000-4000-8000-000000000001"
AZURE_SUCCEEDED = "5eed0000-0000-4000-8000-000000000002"
AZURE_PARTIAL = "5eed0000-0000-4000-8000-000000000003"
AZURE_VALIDATION_FAILED = "5eed0000-0000-4000-8000-000000000004"
AZURE_CANCELLED = "5eed0000-0000-4000-8000-000000000005"

_IMAGES = "https://img.example.com/examples"
_SOURCE = "https://examplestore.blob.core.windows.net/source"


@dataclass(frozen=True)
class Example:
    target: str  # what `batchstat watch` takes: "alibaba:<TaskId>" or "azure:<job id>"
    description: str  # one line, for people
    featured: bool = False  # part of the "try:" line: moves soon after start


def seed_examples(emu: Emulator) -> list[Example]:
    """Add the example jobs to `emu` (before it serves) and return them, in a stable order."""
    ali, az = emu.alibaba, emu.azure
    images = [f"{_IMAGES}/{name}" for name in ("menu.png", "street-sign.jpg", "receipt.png")]
    documents = [f"{_SOURCE}/{name}" for name in ("report.docx", "slides.pptx", "contract.pdf")]

    ali.add_job(
        images[:2],
        stages=[Stage("created", seconds=120), Stage("running", seconds=60), Stage("finished")],
        task_id=ALIBABA_PENDING,
    )
    ali.add_job(
        images, stages=[Stage("running", seconds=60), Stage("finished")], task_id=ALIBABA_RUNNING
    )
    ali.add_job(
        [*images[:2], AlibabaImage(images[2], success=False)],
        stages=[Stage("finished")],
        task_id=ALIBABA_PARTIAL,
    )
    ali.add_job(images[:1], stages=[Stage("finished")], task_id=ALIBABA_EXPIRING)
    # Results expire result_retention after the job finished (what the cloud does after 1 h):
    # backdate the finish so they go EXPIRES_AFTER from now, or sooner if retention is shorter.
    expires_in = min(EXPIRES_AFTER, ali.result_retention)
    finished_at = emu.clock() + expires_in - ali.result_retention
    expiring = ali.jobs[ALIBABA_EXPIRING]
    expiring.lifecycle = Lifecycle([Stage("finished")], finished_at)
    expiring.created_at = finished_at

    az.add_job(
        documents,
        stages=[Stage("NotStarted", seconds=10), Stage("Running", seconds=170), Stage("Succeeded")],
        job_id=AZURE_RUNNING,
    )
    az.add_job(documents[:2], stages=[Stage("Succeeded")], job_id=AZURE_SUCCEEDED)
    failed = AzureDocument(
        documents[2], status="Failed", error=copy.deepcopy(DEFAULT_DOCUMENT_ERROR), characters=0
    )
    az.add_job([*documents[:2], failed], stages=[Stage("Succeeded")], job_id=AZURE_PARTIAL)
    az.add_job(
        [],
        stages=[Stage("ValidationFailed")],
        job_id=AZURE_VALIDATION_FAILED,
        error=copy.deepcopy(DEFAULT_VALIDATION_ERROR),
    )
    cancelled = [
        AzureDocument(documents[0]),
        *(AzureDocument(url, status="Cancelled", characters=0) for url in documents[1:]),
    ]
    az.add_job(cancelled, stages=[Stage("Cancelled")], job_id=AZURE_CANCELLED)

    return [
        Example(
            f"alibaba:{ALIBABA_PENDING}",
            "created for 2 min after start, running 1 min, then finished (2 images)",
        ),
        Example(
            f"alibaba:{ALIBABA_RUNNING}",
            "running for 1 min after start, then finished (3 images)",
            featured=True,
        ),
        Example(
            f"alibaba:{ALIBABA_PARTIAL}",
            "finished; 1 of 3 images failed (107 System.TranslateError)",
            featured=True,
        ),
        Example(
            f"alibaba:{ALIBABA_EXPIRING}",
            f"finished; its results expire {_spoken(expires_in)} after start "
            "(then: invalid, not found)",
        ),
        Example(
            f"azure:{AZURE_RUNNING}",
            "NotStarted 10 s, Running until 3 min after start, then Succeeded (3 documents)",
            featured=True,
        ),
        Example(f"azure:{AZURE_SUCCEEDED}", "Succeeded (2 documents)"),
        Example(
            f"azure:{AZURE_PARTIAL}",
            "Succeeded, 1 of 3 documents Failed (TargetFileAlreadyExists)",
        ),
        Example(
            f"azure:{AZURE_VALIDATION_FAILED}",
            "ValidationFailed: InvalidRequest / InvalidDocumentAccessLevel (a SAS without "
            "read and list rights)",
        ),
        Example(f"azure:{AZURE_CANCELLED}", "Cancelled after 1 of 3 documents"),
    ]


def _spoken(seconds: float) -> str:
    """`5 min` or `30 s` (batchstat.durations stays out: the emulator is standard library)."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
