"""A server is an adversary: what it sends is shown, never obeyed.

Terminal escapes, carriage returns, bidi overrides and Rich markup in every string a
server sends reach no terminal raw (tables, overview, watch lines, live view, error
lines), while JSON keeps the exact values."""

from __future__ import annotations

import json

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage

OSC_LINK = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
HOSTILE = [
    OSC_LINK,
    "\x1b[2J\x1b[31mred",
    "ok\rFORGED",
    "ab\bc",
    "\u202eevil",
    "[/x]",
    "[link=http://evil.example]x[/link]",
    "line\nerror: forged",
]
RAW_MARKERS = ("\x1b", "\r", "\b", "\u202e", "\nerror: forged")


def assert_clean(text: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in text, repr(marker)
    assert "Traceback" not in text and "internal error" not in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_azure_get_shows_hostile_strings_as_text(cli, emulator, hostile):
    job = emulator.azure.add_job(
        documents=[
            AzureDocument(
                f"https://s/{hostile}.docx",
                status="Failed",
                error={"code": hostile, "message": hostile, "innerError": {"code": hostile}},
            )
        ],
        stages=[Stage(f"Succeeded{hostile}")],
        request_id=hostile.replace("\r", "").replace("\n", ""),  # a header: no CR or LF
        created_date_time_utc=hostile,
    )
    for stdout_tty in (False, True):
        table = cli("azure", "get", job, stdout_tty=stdout_tty, stderr_tty=stdout_tty)
        assert table.code == 0, table.stderr
        assert_clean(table.stderr)
        body = table.stdout.replace("\x1b[0m", "").replace("\x1b[1m", "")
        for colour in ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"):
            body = body.replace(colour, "")  # our own colours on a terminal
        assert_clean(body)
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert doc["status"] == f"Succeeded{hostile}"  # JSON keeps the exact value
    assert doc["request_id"] == hostile.replace("\r", "").replace("\n", "")
    assert doc["items"][0]["error"]["message"] == hostile


@pytest.mark.parametrize("hostile", HOSTILE)
def test_alibaba_watch_lines_and_live_view_show_hostile_strings_as_text(cli, emulator, hostile):
    task = emulator.alibaba.add_job(
        images=[
            AlibabaImage(f"https://img/{hostile}.png", success=False, code=107, message=hostile)
        ],
        stages=[Stage(f"running{hostile}", polls=1), Stage("finished")],
        request_id=hostile.replace("\r", "").replace("\n", ""),
    )
    lines = cli("watch", f"alibaba:{task}", "--interval", "1s")
    assert lines.code == 1, lines.stderr
    assert_clean(lines.stderr)
    live = cli("watch", f"alibaba:{task}", "--interval", "1s", stderr_tty=True)
    assert live.code == 1
    # The live view draws with its own escapes: the server's must not be among them.
    for marker in ("\x1b]8;;", "\u202e", "\x1b[2J", "FORGED\r", "\nerror: forged"):
        assert marker not in live.stderr
    assert "internal error" not in live.stderr


def test_markup_in_a_request_id_neither_crashes_nor_alters_the_output(cli, emulator):
    job = emulator.azure.add_job(
        documents=[AzureDocument("https://s/a.docx")],
        stages=[Stage("Succeeded")],
        request_id="[/x][link=http://evil.example]y[/link]",
    )
    result = cli("azure", "get", job)
    assert result.code == 0, result.stderr
    assert "Request id          [/x][link=http://evil.example]y[/link]" in result.stdout


def test_a_target_id_with_markup_does_not_break_the_live_view(cli, emulator):
    task = emulator.alibaba.add_job(
        images=["https://img/a.png"], stages=[Stage("finished")], task_id="[/x]"
    )
    result = cli("watch", f"alibaba:{task}", stderr_tty=True)
    assert result.code == 0, result.stderr
    assert "[/x]" in result.stderr
    assert result.stderr.rstrip().endswith("\x1b[?25h")  # the cursor is shown again


def test_error_lines_from_a_server_message_are_one_clean_line(cli, emulator):
    body = json.dumps(
        {"RequestId": OSC_LINK, "Code": "Forbidden.Hostile", "Message": "no\nerror: forged\x1b[2J"}
    )
    emulator.faults.add(Fault(provider="alibaba", kind="body", status=400, body=body, times=10))
    result = cli("alibaba", "get", "T-1", "--retries", "0")
    assert result.code in (5, 7)
    assert_clean(result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_server_text_cannot_give_the_github_runner_orders(cli, emulator):
    from batchstat.emulator import Fault

    task = emulator.alibaba.add_job(["https://img.example.com/a.png"])
    body = '{"Code": "999", "Message": "##[error]pwned ::add-mask::x", "RequestId": "r"}'
    emulator.faults.add(Fault(provider="alibaba", kind="body", body=body, times=5))
    result = cli("alibaba", "get", task, "--retries", "0", env={"GITHUB_ACTIONS": "true"})
    assert result.code == 7
    assert "##[" not in result.stderr  # the old command form, read anywhere in a line
    # Workflow commands are read at the start of a line: only batchstat's own annotation.
    commands = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error title=batchstat")
