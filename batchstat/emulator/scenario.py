"""Scenario files: JSON that seeds an emulator with jobs and faults.

Every key is optional; unknown keys are errors, so typos do not pass silently. Strings are
served verbatim (stage statuses, messages, URLs, ids, request ids, timestamps), so a scenario can
seed hostile text such as terminal escapes, markup or bidi controls.

    {
      "alibaba": {
        "jobs": [
          {"task_id": "EEA28E6D-4828-5031-BD8C-8FF1B3216842",     # default: a new UUID
           "images": ["https://img.example/a.png",               # plain URL: succeeds unless
                                                                 # it contains "fail"
                      {"source_url": "https://img.example/b.png",
                       "success": false, "code": 107, "message": "...",
                       "final_url": "...", "inpainting_url": "..."}],   # default: the
                                                                 # emulator's /files URLs
           "stages": [{"status": "created", "polls": 1},         # default: created 1 poll,
                      {"status": "running", "seconds": 3},       # running 1 poll, finished;
                      {"status": "finished"}],                   # any word is sent as is
           "code_as_string": false,                              # Code "200" instead of 200
           "request_id": "..."}                                  # default: a new UUID a poll
        ]
      },
      "azure": {
        "page_size": 50,                                         # when no maxpagesize is sent
        "next_link_key": "nextLink",                             # or "@nextLink" or "both"
        "next_link_mode": "normal",                              # "endless": every page links
                                                                 # to a new $skip, forever;
                                                                 # "foreign": every page links
                                                                 # to foreign_base_url
        "foreign_base_url": "http://127.0.0.2:8080",             # default: 127.0.0.2, same port
        "containers": [{"source_url_prefix": "https://acct.blob.core.windows.net/src",
                        "names": ["a.docx", "b.docx"]}],         # what POST batches expands to
        "jobs": [
          {"job_id": "727bf148-f327-47a0-9481-abae6362f11e",    # default: a new UUID
           "documents": ["https://acct.blob.core.windows.net/src/a.docx",
                         {"source_url": "https://acct.blob.core.windows.net/src/b.docx",
                          "target_language": "de", "status": "Failed",
                          "error": {"code": "...", "message": "...", "target": "...",
                                    "innerError": {"code": "...", "message": "..."}},
                          "characters": 0, "id": "...",
                          "path": "..."}],                       # default: the emulator's URL
           "stages": [{"status": "Running", "polls": 2}, {"status": "Succeeded"}],
           "error": {"code": "InvalidRequest", "message": "...", "target": "Operation",
                     "innerError": {"code": "InvalidDocumentAccessLevel", "message": "..."}},
           "retry_after": 1,                                     # null: no Retry-After header
           "request_id": "...",                                  # apim-request-id, x-requestid
           "created_date_time_utc": "...",                       # default: from the clock
           "last_action_date_time_utc": "..."}
        ]
      },
      "faults": [{"provider": "azure", "kind": "http", "status": 429,
                  "retry_after": "2", "times": 1}]               # any Fault field
    }

Fault kinds (details in batchstat.emulator.faults.Fault):
    http      {"kind": "http", "status": 503, "code": "...", "retry_after": "abc"}
    html      {"kind": "html", "status": 502}
    bad_json  {"kind": "bad_json"}
    business  {"provider": "alibaba", "kind": "business", "code": 104}
    slow      {"kind": "slow", "delay": 12}                 # normal answer, late
    drop      {"kind": "drop"}                              # close, no answer
    redirect  {"kind": "redirect", "status": 307, "location": "http://127.0.0.2:8080/x"}
    huge      {"kind": "huge", "size": 50000000}            # 200 {"pad":"xxx..."}, streamed
    trickle   {"kind": "trickle", "delay": 1}               # normal answer, a byte a second
    stall     {"kind": "stall"}                             # head, then silence
    reset     {"kind": "reset"}                             # head, half the body, TCP RST
    truncate  {"kind": "truncate"}                          # head, half the body, close
    body      {"kind": "body", "status": 200, "body": "[1,2]",
               "content_type": "application/json; charset=utf-8"}
Every kind also takes provider ("alibaba" | "azure" | "any"), times or rate, path_contains.

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
from .azure import NEXT_LINK_MODES, AzureDocument
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
        job = _object(entry, where, {"task_id", "images", "stages", "code_as_string", "request_id"})
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
                request_id=_text(job, "request_id", where),
            )
        )

    azure = _object(
        top.get("azure", {}),
        "azure",
        {"page_size", "next_link_key", "next_link_mode", "foreign_base_url", "containers", "jobs"},
    )
    if "page_size" in azure:
        emulator.azure.page_size = int(azure["page_size"])
    if "next_link_key" in azure:
        if azure["next_link_key"] not in ("nextLink", "@nextLink", "both"):
            raise ScenarioError('azure.next_link_key: expected "nextLink", "@nextLink" or "both"')
        emulator.azure.next_link_key = azure["next_link_key"]
    if "next_link_mode" in azure:
        if azure["next_link_mode"] not in NEXT_LINK_MODES:
            raise ScenarioError('azure.next_link_mode: expected "normal", "endless" or "foreign"')
        emulator.azure.next_link_mode = azure["next_link_mode"]
    if "foreign_base_url" in azure:
        emulator.azure.foreign_base_url = _text(azure, "foreign_base_url", "azure")
    for index, entry in enumerate(_list(azure.get("containers", []), "azure.containers")):
        container = _object(entry, f"azure.containers[{index}]", {"source_url_prefix", "names"})
        emulator.azure.add_container(
            str(container["source_url_prefix"]),
            [str(name) for name in _list(container.get("names", []), "names")],
        )
    for index, entry in enumerate(_list(azure.get("jobs", []), "azure.jobs")):
        where = f"azure.jobs[{index}]"
        job = _object(
            entry,
            where,
            {"job_id", "documents", "stages", "error", "retry_after", "request_id"}
            | {"created_date_time_utc", "last_action_date_time_utc"},
        )
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
                request_id=_text(job, "request_id", where),
                created_date_time_utc=_text(job, "created_date_time_utc", where),
                last_action_date_time_utc=_text(job, "last_action_date_time_utc", where),
            )
        )

    for index, entry in enumerate(_list(top.get("faults", []), "faults")):
        emulator.faults.add(_build(Fault, entry, f"faults[{index}]"))
    return created


def _text(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"{where}.{name}: expected a string")
    return value


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
