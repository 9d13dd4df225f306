"""Alibaba alimt jobs through the real aliyunsdkcore: lives, results, expiry, submission."""

from __future__ import annotations

import pytest
from emu_support import AlimtCall, send_raw

from batchstat.emulator import AlibabaImage, Emulator, FakeClock, Stage

GET_RESULT = "GetTranslateImageBatchResult"


def status_of(alimt: AlimtCall, task_id: str, method: str = "GET") -> dict:
    return alimt(GET_RESULT, {"TaskId": task_id}, method)


def test_default_life_advances_one_status_per_poll(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(["https://img.example/a.png"])

    seen = [status_of(alimt, task_id)["Data"] for _ in range(4)]

    assert [data["Status"] for data in seen] == ["created", "running", "finished", "finished"]
    assert seen[0]["Result"] == [] and seen[1]["Result"] == []
    assert len(seen[2]["Result"]) == 1


def test_finished_result_items_and_partial_failures(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(
        [
            "https://img.example/a.png",
            "https://img.example/a.png",  # a duplicate is processed once
            "https://img.example/will-fail.png",
            AlibabaImage("https://img.example/c.png", success=False, code=105, message="pair"),
        ],
        stages=[Stage("finished")],
    )

    body = status_of(alimt, task_id)

    assert body["Code"] == 200 and body["Message"] == "OK" and body["RequestId"]
    ok, plain_fail, custom_fail = body["Data"]["Result"]
    assert ok["Success"] is True and ok["Code"] == 200 and ok["Message"] == "OK"
    assert ok["SourceImageUrl"] == "https://img.example/a.png"
    assert ok["FinalImageUrl"] == f"{emu.base_url}/files/alibaba/{task_id}/1.png"
    assert ok["InPaintingUrl"].endswith("/1-inpainting.png")
    assert isinstance(ok["TemplateJson"], str) and ok["TemplateJson"].startswith("{")
    assert plain_fail["Success"] is False and plain_fail["Code"] == 107
    assert "System.TranslateError" in plain_fail["Message"]
    assert "FinalImageUrl" not in plain_fail and "InPaintingUrl" not in plain_fail
    assert (custom_fail["Code"], custom_fail["Message"]) == (105, "pair")


def test_result_files_are_served_as_png(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(
        ["https://img.example/a.png", "https://img.example/fail.png"], stages=[Stage("finished")]
    )
    item = status_of(alimt, task_id)["Data"]["Result"][0]
    base = emu.base_url

    for url in (item["FinalImageUrl"], item["InPaintingUrl"]):
        status, headers, content = send_raw(base, url.removeprefix(base))
        assert status == 200 and headers["Content-Type"] == "image/png"
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in content

    assert send_raw(base, f"/files/alibaba/{task_id}/2.png")[0] == 404  # the failed image
    assert send_raw(base, "/files/alibaba/NO-SUCH-TASK/1.png")[0] == 404
    assert emu.requests[-1].provider == "files"


def test_stages_by_seconds_follow_the_clock(
    emu: Emulator, alimt: AlimtCall, clock: FakeClock
) -> None:
    task_id = emu.alibaba.add_job(
        ["https://img.example/a.png"],
        stages=[Stage("created", seconds=5), Stage("running", seconds=10), Stage("finished")],
    )

    assert status_of(alimt, task_id)["Data"]["Status"] == "created"
    clock.advance(4.9)
    assert status_of(alimt, task_id)["Data"]["Status"] == "created"
    clock.advance(0.1)
    assert status_of(alimt, task_id)["Data"]["Status"] == "running"
    clock.advance(10)
    assert status_of(alimt, task_id)["Data"]["Status"] == "finished"


def test_stuck_job_stays_running(emu: Emulator, alimt: AlimtCall, clock: FakeClock) -> None:
    task_id = emu.alibaba.add_job(["https://img.example/a.png"], stages=[Stage("running")])
    for _ in range(3):
        clock.advance(250)  # stays within the 15-minute timestamp window
        assert status_of(alimt, task_id)["Data"] == {"Status": "running", "Result": []}


def test_results_expire_to_invalid_after_retention(
    emu: Emulator, alimt: AlimtCall, clock: FakeClock
) -> None:
    # The SDK stamps requests with the real clock; a FakeClock an hour ahead would trip the
    # 15-minute skew check, which is the documented reason for this knob.
    emu.alibaba.max_timestamp_skew = None
    task_id = emu.alibaba.add_job(
        ["https://img.example/a.png"], stages=[Stage("running", seconds=30), Stage("finished")]
    )
    clock.advance(30 + 3600 - 1)
    assert status_of(alimt, task_id)["Data"]["Status"] == "finished"
    assert send_raw(emu.base_url, f"/files/alibaba/{task_id}/1.png")[0] == 200

    clock.advance(1)

    assert status_of(alimt, task_id)["Data"] == {"Status": "invalid", "Result": []}
    assert send_raw(emu.base_url, f"/files/alibaba/{task_id}/1.png")[0] == 404
    assert emu.alibaba.status(task_id) == "invalid"


def test_custom_retention_and_scripted_invalid_stage(clock: FakeClock) -> None:
    with Emulator(clock=clock, result_retention=60) as emu:
        expiring = emu.alibaba.add_job(["https://img.example/a.png"], stages=[Stage("finished")])
        scripted = emu.alibaba.add_job(
            ["https://img.example/a.png"], stages=[Stage("created", polls=1), Stage("invalid")]
        )
        clock.advance(60)
        assert emu.alibaba.status(expiring) == "invalid"
        assert emu.alibaba.status(scripted) == "created"


def test_unknown_task_id_is_a_successful_invalid(alimt: AlimtCall) -> None:
    body = status_of(alimt, "00000000-0000-0000-0000-000000000000")
    assert body["Code"] == 200
    assert body["Data"] == {"Status": "invalid", "Result": []}


def test_post_with_task_id_in_the_form_body(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(["https://img.example/a.png"], task_id="MY-TASK")

    assert status_of(alimt, task_id, method="POST")["Data"]["Status"] == "created"

    record = emu.requests[-1]
    assert record.method == "POST" and "TaskId" not in record.query
    assert record.params["TaskId"] == "MY-TASK"
    assert record.body == b"TaskId=MY-TASK"


def test_code_as_string(emu: Emulator, alimt: AlimtCall) -> None:
    task_id = emu.alibaba.add_job(
        ["https://img.example/a.png"], stages=[Stage("finished")], code_as_string=True
    )
    body = status_of(alimt, task_id)
    assert body["Code"] == "200"
    assert body["Data"]["Result"][0]["Code"] == "200"


def test_submit_then_poll_to_finished_on_the_default_time_life(
    emu: Emulator, alimt: AlimtCall, clock: FakeClock
) -> None:
    submitted = alimt(
        "TranslateImageBatch",
        {
            "ImageUrls": "https://img.example/a.png,https://img.example/fail-b.png,"
            "https://img.example/a.png",
            "SourceLanguage": "zh",
            "TargetLanguage": "en",
            "Field": "e-commerce",
        },
        method="POST",
    )
    assert submitted["Code"] == 200 and submitted["Message"] == "OK"
    task_id = submitted["Data"]["TaskId"]
    assert task_id == task_id.upper() and len(task_id) == 36

    assert status_of(alimt, task_id)["Data"]["Status"] == "created"
    clock.advance(1)
    assert status_of(alimt, task_id)["Data"]["Status"] == "running"
    clock.advance(2)
    result = status_of(alimt, task_id)["Data"]
    assert result["Status"] == "finished"
    assert [item["Success"] for item in result["Result"]] == [True, False]
    job = emu.alibaba.jobs[task_id]
    assert (job.source_language, job.target_language, job.field) == ("zh", "en", "e-commerce")


def test_need_editor_data_false_leaves_out_editor_fields(
    emu: Emulator, alimt: AlimtCall, clock: FakeClock
) -> None:
    task_id = alimt(
        "TranslateImageBatch",
        {
            "ImageUrls": "https://img.example/a.png",
            "SourceLanguage": "zh",
            "TargetLanguage": "en",
            "Ext": '{"needEditorData": "false"}',
        },
    )["Data"]["TaskId"]
    clock.advance(3)
    item = status_of(alimt, task_id)["Data"]["Result"][0]
    assert "FinalImageUrl" in item
    assert "InPaintingUrl" not in item and "TemplateJson" not in item


def test_custom_task_id_is_idempotent_for_three_minutes(
    emu: Emulator, alimt: AlimtCall, clock: FakeClock
) -> None:
    params = {
        "ImageUrls": "https://img.example/a.png",
        "SourceLanguage": "zh",
        "TargetLanguage": "en",
        "CustomTaskId": "order-42",
    }
    first = alimt("TranslateImageBatch", params)["Data"]["TaskId"]
    clock.advance(179)
    assert alimt("TranslateImageBatch", params)["Data"]["TaskId"] == first
    clock.advance(1)
    assert alimt("TranslateImageBatch", params)["Data"]["TaskId"] != first
    assert len(emu.alibaba.jobs) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"SourceLanguage": "zh", "TargetLanguage": "en"},
        {"ImageUrls": "https://img.example/a.png", "TargetLanguage": "en"},
        {
            "ImageUrls": ",".join(f"https://img.example/{n}.png" for n in range(21)),
            **{"SourceLanguage": "zh", "TargetLanguage": "en"},
        },
        {
            "ImageUrls": "https://img.example/a.png",
            "SourceLanguage": "zh",
            "TargetLanguage": "en",
            "Ext": "not json",
        },
    ],
    ids=["no-urls", "no-source-language", "21-urls", "bad-ext"],
)
def test_bad_submissions_are_business_error_104_in_a_200(
    emu: Emulator, alimt: AlimtCall, params: dict[str, str]
) -> None:
    body = alimt("TranslateImageBatch", params)  # no exception: HTTP 200

    assert body["Code"] == 104
    assert "System.ParameterError" in body["Message"]
    assert emu.requests[-1].status == 200 and emu.alibaba.jobs == {}


def test_missing_task_id_and_the_gateway_style_switch(emu: Emulator, alimt: AlimtCall) -> None:
    from aliyunsdkcore.acs_exception.exceptions import ServerException

    assert alimt(GET_RESULT, {})["Code"] == 104

    emu.alibaba.missing_param_style = "gateway"
    with pytest.raises(ServerException) as caught:
        alimt(GET_RESULT, {})
    assert caught.value.get_http_status() == 400
    assert caught.value.get_error_code() == "MissingTaskId"
