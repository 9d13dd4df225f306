"""Scenario files seed jobs, Azure settings and faults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from emu_support import AZURE_KEY, AlimtCall, make_azure_client, raw_get, raw_header

from batchstat.emulator import Emulator, ScenarioError

SCENARIO: dict[str, Any] = {
    "alibaba": {
        "jobs": [
            {
                "task_id": "SCENARIO-TASK",
                "images": [
                    "https://img.example/a.png",
                    {"source_url": "https://img.example/b.png", "success": False, "code": 106},
                ],
                "stages": [{"status": "running", "polls": 1}, {"status": "finished"}],
                "code_as_string": True,
            },
            {"images": ["https://img.example/c.png"]},
        ]
    },
    "azure": {
        "page_size": 1,
        "next_link_key": "both",
        "containers": [{"source_url_prefix": "https://acct/src", "names": ["x.docx"]}],
        "jobs": [
            {
                "job_id": "727BF148-F327-47A0-9481-ABAE6362F11E",
                "documents": [
                    "https://acct/src/a.docx",
                    {"source_url": "https://acct/src/b.docx", "target_language": "de"},
                ],
                "stages": [{"status": "Running", "seconds": 10}, {"status": "Succeeded"}],
                "retry_after": None,
            }
        ],
    },
    "faults": [{"provider": "azure", "kind": "http", "status": 429, "retry_after": "0"}],
}


def test_dict_scenario_seeds_everything(emu: Emulator, alimt: AlimtCall) -> None:
    created = emu.load_scenario(SCENARIO)

    assert created["alibaba"][0] == "SCENARIO-TASK" and len(created["alibaba"]) == 2
    assert created["azure"] == ["727BF148-F327-47A0-9481-ABAE6362F11E"]
    assert alimt("GetTranslateImageBatchResult", {"TaskId": "SCENARIO-TASK"})["Code"] == "200"
    finished = alimt("GetTranslateImageBatchResult", {"TaskId": "SCENARIO-TASK"})["Data"]
    assert [item["Code"] for item in finished["Result"]] == ["200", "106"]

    assert (emu.azure.page_size, emu.azure.next_link_key) == (1, "both")
    client = make_azure_client(emu)
    status = client.get_translation_status(created["azure"][0].lower())  # 429 retried first
    assert status.status == "Running"
    assert [r.status for r in emu.requests[-2:]] == [429, 200]
    assert len(list(client.list_document_statuses(created["azure"][0]))) == 2


def test_hostile_server_settings_from_a_scenario(emu: Emulator, alimt: AlimtCall) -> None:
    created = emu.load_scenario(
        {
            "alibaba": {
                "jobs": [
                    {
                        "images": [{"source_url": "https://i/a.png", "final_url": "[/x]"}],
                        "stages": [{"status": "finished"}],
                        "request_id": "\u202e",
                    }
                ]
            },
            "azure": {
                "next_link_mode": "foreign",
                "foreign_base_url": "http://127.0.0.2:9",
                "jobs": [
                    {
                        "documents": [{"source_url": "https://acct/src/a.docx", "path": "[/x]"}],
                        "stages": [{"status": "Succeeded"}],
                        "request_id": "\u202e",
                        "created_date_time_utc": "yesterday",
                        "last_action_date_time_utc": "NaN",
                    }
                ],
            },
            "faults": [
                {"kind": "redirect", "location": "http://127.0.0.2:9/", "path_contains": "/f"},
                {"kind": "huge", "size": 1000, "path_contains": "/f"},
                {"kind": "body", "body": "[]", "status": 201, "path_contains": "/f"},
            ],
        }
    )
    answers = []
    for _ in range(3):
        with raw_get(emu.base_url, "/f") as response:
            answers.append((response.status, len(response.read())))
    assert answers == [(307, 0), (200, 1000), (201, 2)]

    body = alimt("GetTranslateImageBatchResult", {"TaskId": created["alibaba"][0]})
    assert (body["RequestId"], body["Data"]["Result"][0]["FinalImageUrl"]) == ("\u202e", "[/x]")

    path = f"/translator/document/batches/{created['azure'][0]}"
    key = {"Ocp-Apim-Subscription-Key": AZURE_KEY}
    with raw_get(emu.base_url, path + "?api-version=2024-05-01", key) as response:
        assert raw_header(response, "apim-request-id") == "\u202e".encode()
        status = json.loads(response.read())
    assert (status["createdDateTimeUtc"], status["lastActionDateTimeUtc"]) == ("yesterday", "NaN")
    with raw_get(emu.base_url, path + "/documents?api-version=2024-05-01", key) as response:
        listing = json.loads(response.read())
    assert listing["value"][0]["path"] == "[/x]"
    assert listing["nextLink"].startswith(f"http://127.0.0.2:9{path}/documents?")


def test_file_scenario(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"alibaba": {"jobs": [{"images": ["https://i/a.png"]}]}}))
    created = emu.load_scenario(path)
    assert list(emu.alibaba.jobs) == created["alibaba"] and created["azure"] == []
    assert emu.load_scenario(str(path))["alibaba"] != created["alibaba"]


@pytest.mark.parametrize(
    ("scenario", "where"),
    [
        ({"alibab": {}}, "scenario: unknown key(s) alibab"),
        ({"alibaba": {"jobs": [{"imgs": []}]}}, "alibaba.jobs[0]: unknown key(s) imgs"),
        ({"alibaba": {"jobs": {}}}, "alibaba.jobs: expected a list"),
        (
            {"azure": {"jobs": [{"stages": [{"status": "Running", "polls": 1, "seconds": 1}]}]}},
            "azure.jobs[0].stages[0]:",
        ),
        ({"azure": {"next_link_key": "link"}}, "azure.next_link_key"),
        ({"azure": {"next_link_mode": "loop"}}, "azure.next_link_mode"),
        ({"azure": {"jobs": [{"request_id": 7}]}}, "azure.jobs[0].request_id: expected a string"),
        ({"faults": [{"kind": "huge", "size": 3}]}, "faults[0]: a huge fault needs a size"),
        ({"faults": [{"kind": "boom"}]}, "faults[0]: unknown fault kind"),
    ],
)
def test_scenario_errors_say_where(emu: Emulator, scenario: dict[str, Any], where: str) -> None:
    with pytest.raises(ScenarioError, match="^" + re.escape(where)):
        emu.load_scenario(scenario)


def test_not_json(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        emu.load_scenario(path)
