"""`batchstat alibaba get` against the emulator, through aliyunsdkcore over loopback."""

from __future__ import annotations

import json

import pytest

from batchstat.emulator import AlibabaImage, Fault, Stage
from batchstat.hints import CODE_HINTS


def images(ok: int, failed: int = 0) -> list[AlibabaImage]:
    out = [AlibabaImage(f"https://img.example.com/ok-{n}.png") for n in range(ok)]
    out += [
        AlibabaImage(
            f"https://img.example.com/bad-{n}.png",
            success=False,
            code=107,
            message="An error occurred while translating.",
        )
        for n in range(failed)
    ]
    return out


def gets(emulator):
    return [
        r for r in emulator.requests if r.params.get("Action") == "GetTranslateImageBatchResult"
    ]


@pytest.mark.parametrize(
    ("stages", "status", "state", "terminal"),
    [
        ([Stage("created")], "created", "pending", False),
        ([Stage("running")], "running", "running", False),
        ([Stage("finished")], "finished", "succeeded", True),
    ],
)
def test_each_status_is_normalized(cli, emulator, stages, status, state, terminal):
    task = emulator.alibaba.add_job(images=images(2), stages=stages)
    result = cli("alibaba", "get", task, "-o", "json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["provider"], doc["id"], doc["status"], doc["state"], doc["terminal"]) == (
        "alibaba",
        task,
        status,
        state,
        terminal,
    )
    assert doc["raw"]["Data"]["Status"] == status
    assert doc["request_id"] == doc["raw"]["RequestId"]


def test_life_advances_with_polls(cli, emulator):
    task = emulator.alibaba.add_job(
        images=images(1),
        stages=[Stage("created", polls=1), Stage("running", polls=1), Stage("finished")],
    )
    seen = [
        json.loads(cli("alibaba", "get", task, "-o", "json").stdout)["status"] for _ in range(3)
    ]
    assert seen == ["created", "running", "finished"]


def test_finished_job_lists_every_image_with_urls(cli, emulator):
    task = emulator.alibaba.add_job(images=images(2), stages=[Stage("finished")])
    doc = json.loads(cli("alibaba", "get", task, "-o", "json").stdout)
    assert doc["summary"] == {
        "total": 2,
        "succeeded": 2,
        "failed": 0,
        "running": 0,
        "pending": 0,
        "cancelled": 0,
        "characters_charged": None,
        "characters_charged_documents": None,
    }
    first = doc["items"][0]
    assert first["source_url"] == "https://img.example.com/ok-0.png"
    assert first["result_url"].startswith(emulator.base_url)
    assert first["inpainting_url"] and first["template_json"]
    assert first["ok"] is True and first["error"] is None


def test_partial_failure_is_reported_and_exit_status_says_so(cli, emulator):
    task = emulator.alibaba.add_job(images=images(2, failed=1), stages=[Stage("finished")])
    plain = cli("alibaba", "get", task, "-o", "json")
    assert plain.code == 0
    doc = json.loads(plain.stdout)
    assert doc["state"] == "partially_succeeded"
    assert doc["summary"]["failed"] == 1 and doc["summary"]["succeeded"] == 2
    bad = next(item for item in doc["items"] if not item["ok"])
    assert bad["error"] == {
        "code": 107,
        "message": "An error occurred while translating.",
        "hint": CODE_HINTS["107"],
    }
    assert cli("alibaba", "get", task, "--exit-status").code == 3


def test_all_failed_is_failed(cli, emulator):
    task = emulator.alibaba.add_job(images=images(0, failed=2), stages=[Stage("finished")])
    result = cli("alibaba", "get", task, "-o", "json", "--exit-status")
    assert json.loads(result.stdout)["state"] == "failed"
    assert result.code == 1


def test_unfinished_job_exit_status_is_8(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("running")])
    assert cli("alibaba", "get", task, "--exit-status").code == 8
    assert cli("alibaba", "get", task).code == 0


def test_unknown_task_is_not_found_exit_4(cli, emulator):
    result = cli("alibaba", "get", "EEA28E6D-4828-5031-BD8C-8FF1B3216842", "-o", "json")
    assert result.code == 4
    assert json.loads(result.stdout)["state"] == "not_found"
    assert "not found" in result.stderr
    assert "note:" not in result.stderr  # no expiry note for a job that is not there


def test_expired_results_are_not_found(cli, emulator, clock):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    assert cli("alibaba", "get", task).code == 0
    clock.advance(3601)
    result = cli("alibaba", "get", task, "-o", "json")
    assert result.code == 4
    assert json.loads(result.stdout)["status"] == "invalid"


def test_code_as_string_is_accepted(cli, emulator):
    task = emulator.alibaba.add_job(
        images=images(1), stages=[Stage("finished")], code_as_string=True
    )
    result = cli("alibaba", "get", task, "-o", "json")
    assert result.code == 0
    assert json.loads(result.stdout)["raw"]["Code"] == "200"


def test_query_prints_bare_scalars(cli, emulator):
    task = emulator.alibaba.add_job(images=images(2, failed=1), stages=[Stage("finished")])
    assert cli("alibaba", "get", task, "--query", "summary.failed").stdout == "1\n"
    assert cli("alibaba", "get", task, "--query", "state").stdout == "partially_succeeded\n"
    listed = cli("alibaba", "get", task, "--query", "items[?ok].source_url")
    assert json.loads(listed.stdout) == [
        "https://img.example.com/ok-0.png",
        "https://img.example.com/ok-1.png",
    ]


def test_bad_query_is_a_usage_error_before_any_request(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    result = cli("alibaba", "get", task, "--query", "items[?")
    assert result.code == 2
    assert "--query" in result.stderr
    assert gets(emulator) == []


def test_table_shows_whole_urls_on_one_line(cli, emulator):
    long_url = "https://img.example.com/" + "very-long-path-segment/" * 8 + "picture.png"
    task = emulator.alibaba.add_job(images=[AlibabaImage(long_url)], stages=[Stage("finished")])
    result = cli("alibaba", "get", task, env={"COLUMNS": "40"}, stderr_tty=True)
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert any(long_url in line for line in lines)
    result_url = json.loads(cli("alibaba", "get", task, "-o", "json").stdout)["items"][0][
        "result_url"
    ]
    assert any(result_url in line for line in lines)
    assert "finished (succeeded)" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert "1 hour" in result.stderr  # the retention warning goes to stderr ...
    assert cli("alibaba", "get", task).stderr == ""  # ... on a terminal only, not in logs


def test_table_colour_only_on_terminal_and_never_with_no_color(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    assert "\x1b[" in cli("alibaba", "get", task, stdout_tty=True).stdout
    assert "\x1b[" not in cli("alibaba", "get", task, stdout_tty=True, env={"NO_COLOR": "1"}).stdout


def test_wrong_secret_is_auth_failure_without_leaking(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    wrong = "wrong-secret-value-123"
    result = cli("alibaba", "get", task, env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": wrong})
    assert result.code == 5
    assert "SignatureDoesNotMatch" in result.stderr
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in result.stderr
    assert wrong not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert gets(emulator)[-1].status == 400


def test_unknown_access_key_is_auth_failure(cli, emulator):
    result = cli("alibaba", "get", "T1", env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAInobody"})
    assert result.code == 5
    assert "InvalidAccessKeyId.NotFound" in result.stderr
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr


def test_sts_credentials_sign_with_token(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.TestKeyId",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sts-test-secret-value",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "sts-token-value-xyz",
    }
    assert cli("alibaba", "get", task, env=env).code == 0
    assert gets(emulator)[-1].params["SecurityToken"] == "sts-token-value-xyz"


def test_sts_token_never_printed_on_signature_error(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.TestKeyId",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sts-wrong-secret-value",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "sts-token-value-xyz",
    }
    result = cli("--debug", "alibaba", "get", task, env=env)
    assert result.code == 5
    for secret in env.values():
        if "secret" in secret or "token" in secret:
            assert secret not in result.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ALIBABA_CLOUD_ACCESS_KEY_ID", None), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", None)],
)
def test_missing_credentials_name_the_variable(cli, emulator, variable, value):
    result = cli("alibaba", "get", "T1", env={variable: value})
    assert result.code == 2
    assert variable in result.stderr
    assert emulator.requests == []


@pytest.mark.parametrize("task_id", ["has space", "", "x" * 300, "tab\there"])
def test_malformed_task_id_is_usage_error_without_request(cli, emulator, task_id):
    result = cli("alibaba", "get", task_id)
    assert result.code == 2
    assert emulator.requests == []


def test_plain_http_only_for_loopback(cli, emulator):
    result = cli("alibaba", "get", "T1", "--endpoint", "http://mt.example.com")
    assert result.code == 2
    assert "loopback" in result.stderr


def test_transient_business_error_is_retried(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    emulator.faults.add(Fault(provider="alibaba", kind="business", code=102, times=1))
    result = cli("alibaba", "get", task, "-o", "json")
    assert result.code == 0, result.stderr
    assert [r.fault for r in gets(emulator)] == ["business", None]
    assert len(result.sleeps) == 1


def test_throttling_backs_off_longer_then_succeeds(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    emulator.faults.add(Fault(provider="alibaba", kind="http", status=400, times=2))
    result = cli("alibaba", "get", task)
    assert result.code == 0, result.stderr
    assert len(gets(emulator)) == 3
    # Throttling starts from a 2 s base with jitter, doubling: [1, 2) then [2, 4).
    assert 1.0 <= result.sleeps[0] < 2.0 and 2.0 <= result.sleeps[1] < 4.0


@pytest.mark.parametrize(
    ("kind", "status"),
    [("http", 503), ("http", 500), ("drop", None), ("html", None), ("bad_json", None)],
)
def test_server_faults_are_retried_then_exit_7(cli, emulator, kind, status):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    emulator.faults.add(Fault(provider="alibaba", kind=kind, status=status, times=10))
    result = cli("alibaba", "get", task, "--retries", "2")
    assert result.code == 7
    assert len(gets(emulator)) == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_business_error_that_is_not_transient_is_not_retried(cli, emulator):
    emulator.faults.add(Fault(provider="alibaba", kind="business", code=113, times=1))
    result = cli("alibaba", "get", "T1")
    assert result.code == 5
    assert "113" in result.stderr and "arrears" in result.stderr
    assert len(gets(emulator)) == 1


def test_control_characters_from_the_service_never_reach_the_terminal(cli, emulator):
    hostile = AlibabaImage(
        "https://img.example.com/x.png\x1b[2J",
        success=False,
        code=107,
        message="bad\nline\x1b]0;pwned\x07",
    )
    task = emulator.alibaba.add_job(images=[hostile], stages=[Stage("finished")])
    result = cli("alibaba", "get", task)
    assert result.code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "bad line" in result.stdout


def test_an_unknown_region_is_refused_with_the_closest_one(cli, emulator):
    env = {"BATCHSTAT_ALIBABA_ENDPOINT": None}
    result = cli(
        "alibaba", "get", "EEA28E6D-4828-5031-BD8C-8FF1B3216842", "--region", "cn-hangzou", env=env
    )
    assert result.code == 2
    [line] = result.stderr.splitlines()
    assert "did you mean 'cn-hangzhou'?" in line and "--endpoint" in line
    assert emulator.requests == []


def test_a_region_is_free_when_the_endpoint_is_given(cli, emulator):
    task = emulator.alibaba.add_job(images=images(1), stages=[Stage("finished")])
    result = cli("alibaba", "get", task, "--region", "xx-test-1", "--endpoint", emulator.base_url)
    assert result.code == 0, result.stderr
