"""Scenario files: JSON that seeds an emulator with jobs and faults.

Every key is optional; unknown keys are errors, so typos do not pass silently.

    {
      "alibaba": {
        "jobs": [
          {"task_id": "EEA28E6D-4828-5031-BD8C-8FF1B3216842",     # default: a new UUID
           "images": ["https://img.example/a.png",               # plain URL: succeeds unless
                                                                 # it contains "fail"
                      {"source_url": "https://img.example/b.png",
                       "success": false, "code": 107, "message": "..."}],
           "stages": [{"status": "created", "polls": 1},         # default: created 1 poll,
                      {"status": "running", "seconds": 3},       # running 1 poll, finished
                      {"status": "finished"}],
           "code_as_string": false}                              # Code "200" instead of 200
        ]
      },
      "azure": {
        "page_size": 50,                                         # when no maxpagesize is sent
        "next_link_key": "nextLink",                             # or "@nextLink" or "both"
        "containers": [{"source_url_prefix": "https://acct.blob.core.windows.net/src",
                        "names": ["a.docx", "b.docx"]}],         # what POST batches expands to
        "jobs": [
          {"job_id": "727bf148-f327-47a0-9481-abae6362f11e",    # default: a new UUID
           "documents": ["https://acct.blob.core.windows.net/src/a.docx",
                         {"source_url": "https://acct.blob.core.windows.net/src/b.docx",
                          "target_language": "de", "status": "Failed",
                          "error": {"code": "...", "message": "...", "target": "...",
                                    "innerError": {"code": "...", "message": "..."}},
                          "characters": 0, "id": "..."}],
           "stages": [{"status": "Running", "polls": 2}, {"status": "Succeeded"}],
           "error": {"code": "InvalidRequest", "message": "...", "target": "Operation",
                     "innerError": {"code": "InvalidDocumentAccessLevel", "message": "..."}},
           "retry_after": 1}                                     # null: no Retry-After header
        ]
      },
      "faults": [{"provider": "azure", "kind": "http", "status": 429,
                  "retry_after": "2", "times": 1}]               # any Fault field
    }

Stage lists default like the Python API (see Emulator docs). load_scenario returns the ids it
created: {"alibaba": [task ids], "azure": [job ids]}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from os import PathLike
from typing import TYPE_CHECKING, Any

from .alibaba import AlibabaImage
from .azure import AzureDocument
from .faults import Fault
from .lifecycle import Stage

if TYPE_CHECKING:
    from .server import Emulator


class ScenarioError(ValueError):
    """A scenario that does not follow the format; the message says where."""


def load_scenario(
    emulator: Emulator, source: str | PathLike[str] | Mapping[str, Any]
) -> dict[str, list[str]]:
    if isinstance(source, Mapping):
        scenario: Any = source
    else:
        with open(source, encoding="utf-8") as file:
            try:
                scenario = json.load(file)
            except ValueError as error:
                raise ScenarioError(f"{source}: not valid JSON: {error}") from None
    top = _object(scenario, "scenario", {"alibaba", "azure", "faults"})
    created: dict[str, list[str]] = {"alibaba": [], "azure": []}

    alibaba = _object(top.get("alibaba", {}), "alibaba", {"jobs"})
    for index, entry in enumerate(_list(alibaba.get("jobs", []), "alibaba.jobs")):
        where = f"alibaba.jobs[{index}]"
        job = _object(entry, where, {"task_id", "images", "stages", "code_as_string"})
        images = [
            image if isinstance(image, str) else _build(AlibabaImage, image, f"{where}.images[{n}]")
            for n, image in enumerate(_list(job.get("images", []), f"{where}.images"))
        ]
        created["alibaba"].append(
            emulator.alibaba.add_job(
                images,
                stages=_stages(job.get("stages"), f"{where}.stages"),
                task_id=job.get("task_id"),
                code_as_string=bool(job.get("code_as_string", False)),
            )
        )

    azure = _object(
        top.get("azure", {}), "azure", {"page_size", "next_link_key", "containers", "jobs"}
    )
    if "page_size" in azure:
        emulator.azure.page_size = int(azure["page_size"])
    if "next_link_key" in azure:
        if azure["next_link_key"] not in ("nextLink", "@nextLink", "both"):
            raise ScenarioError('azure.next_link_key: expected "nextLink", "@nextLink" or "both"')
        emulator.azure.next_link_key = azure["next_link_key"]
    for index, entry in enumerate(_list(azure.get("containers", []), "azure.containers")):
        container = _object(entry, f"azure.containers[{index}]", {"source_url_prefix", "names"})
        emulator.azure.add_container(
            str(container["source_url_prefix"]),
            [str(name) for name in _list(container.get("names", []), "names")],
        )
    for index, entry in enumerate(_list(azure.get("jobs", []), "azure.jobs")):
        where = f"azure.jobs[{index}]"
        job = _object(entry, where, {"job_id", "documents", "stages", "error", "retry_after"})
        documents = [
            doc if isinstance(doc, str) else _build(AzureDocument, doc, f"{where}.documents[{n}]")
            for n, doc in enumerate(_list(job.get("documents", []), f"{where}.documents"))
        ]
        created["azure"].append(
            emulator.azure.add_job(
                documents,
                stages=_stages(job.get("stages"), f"{where}.stages"),
                job_id=job.get("job_id"),
                error=job.get("error"),
                retry_after=job.get("retry_after", 1),
            )
        )

    for index, entry in enumerate(_list(top.get("faults", []), "faults")):
        emulator.faults.add(_build(Fault, entry, f"faults[{index}]"))
    return created


def _stages(raw: Any, where: str) -> list[Stage] | None:
    if raw is None:
        return None
    return [_build(Stage, entry, f"{where}[{n}]") for n, entry in enumerate(_list(raw, where))]


def _build(kind: Any, raw: Any, where: str) -> Any:
    """kind(**raw) for a dataclass, with the scenario path in any error."""
    allowed = {field.name for field in fields(kind)}
    values = _object(raw, where, allowed)
    try:
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise ScenarioError(f"{where}: {error}") from None


def _object(raw: Any, where: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where}: expected an object")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return raw


def _list(raw: Any, where: str) -> Sequence[Any]:
    if not isinstance(raw, list):
        raise ScenarioError(f"{where}: expected a list")
    return raw
