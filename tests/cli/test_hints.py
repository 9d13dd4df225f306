"""Errors explained: known failure codes come with their likely cause and fix (``hint``),
in JSON and in the tables; a job total that differs from its documents' sum shows both."""

from __future__ import annotations

import json
import re

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage
from batchstat.hints import CODE_HINTS, STATUS_HINTS, error_hint, explain, hint_for

THREE_DIGIT = [str(c) for c in (*range(101, 109), *range(110, 114))]
FIVE_DIGIT = [str(c) for c in range(10001, 10014)] + ["19999"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- the table ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", THREE_DIGIT + FIVE_DIGIT)
def test_every_alibaba_business_code_has_a_hint(code):
    assert hint_for(code) and hint_for(int(code)) == hint_for(code)  # an int or a string


@pytest.mark.parametrize("code", THREE_DIGIT)
def test_the_five_digit_twins_say_the_same(code):
    assert hint_for(f"100{code[1:]}") == hint_for(code)


def test_109_is_not_published_but_10009_is():
    assert hint_for("109") is None
    assert "permission" in (hint_for("10009") or "")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("InvalidDocumentAccessLevel", ("read", "write", "sr=b", "container SAS")),
        ("TargetFileAlreadyExists", ("same name", "target container")),
        ("SASTokenInvalid", ("SAS",)),
        ("NoTranslatableDocuments", ("filter",)),
    ],
)
def test_azure_codes_say_cause_and_fix(code, words):
    hint = hint_for(code) or ""
    assert all(word in hint for word in words), hint


def test_validation_failed_and_failed_are_told_apart():
    rejected, failed = STATUS_HINTS["ValidationFailed"], STATUS_HINTS["Failed"]
    assert rejected != failed
    assert "before any document" in rejected and "each document's error" in failed


def test_the_most_specific_code_wins_and_the_status_comes_first():
    error = {
        "code": "InvalidRequest",
        "message": "m",
        "inner_error": {"code": "InvalidDocumentAccessLevel", "message": "m"},
    }
    assert error_hint(error) == CODE_HINTS["InvalidDocumentAccessLevel"]
    assert error_hint(error, "ValidationFailed") == (
        STATUS_HINTS["ValidationFailed"] + " " + CODE_HINTS["InvalidDocumentAccessLevel"]
    )
    # An inner code without a hint falls back to the outer one; "Code/Inner" is read too.
    assert (
        error_hint({"code": "ServiceUnavailable", "inner_error": {"code": "X"}})
        == (CODE_HINTS["ServiceUnavailable"])
    )
    assert hint_for("ResourceNotFound/NotFound") == CODE_HINTS["ResourceNotFound"]


def test_an_unknown_code_has_a_null_hint_and_explaining_twice_changes_nothing():
    explained = explain({"code": "Whatever", "message": "m"})
    assert explained == {"code": "Whatever", "message": "m", "hint": None}
    assert explain(explained) is explained
    assert explain(None) is None
    assert hint_for(None) is None and hint_for(True) is None


# --- end to end: Azure --------------------------------------------------------------------

COLLISION = {
    "code": "InvalidRequest",
    "message": "Target document file already exists.",
    "target": "Document",
    "innerError": {"code": "TargetFileAlreadyExists", "message": "exists"},
}


def collision_job(emulator) -> str:
    return emulator.azure.add_job(
        [
            AzureDocument("https://store.example.com/src/a.docx"),
            AzureDocument("https://store.example.com/src/b.docx", status="Failed", error=COLLISION),
        ],
        stages=[Stage("Succeeded")],
    )


def test_a_document_error_carries_its_hint_in_json_and_tables(cli, emulator):
    job = collision_job(emulator)
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    good, bad = doc["items"]
    assert good["error"] is None
    assert bad["error"]["hint"] == CODE_HINTS["TargetFileAlreadyExists"]
    assert bad["error"]["inner_error"]["code"] == "TargetFileAlreadyExists"
    assert doc["error"] is None

    table = cli("azure", "get", job).stdout
    row = next(line for line in table.splitlines() if "/src/b.docx" in line)
    assert row.endswith("Hint: " + CODE_HINTS["TargetFileAlreadyExists"])

    narrow = cli("azure", "get", job, stdout_tty=True, env={"COLUMNS": "70"}).stdout
    text = ANSI.sub("", narrow)
    assert "\n  hint:   A file of the same name" in text


def test_a_rejected_job_explains_its_status_and_code(cli, emulator):
    error = {
        "code": "InvalidRequest",
        "message": "Cannot access source document location.",
        "target": "Operation",
        "innerError": {"code": "InvalidDocumentAccessLevel", "message": "no read"},
    }
    job = emulator.azure.add_job([], stages=[Stage("ValidationFailed")], error=error)
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert doc["error"]["hint"].startswith(STATUS_HINTS["ValidationFailed"])
    assert doc["error"]["hint"].endswith(CODE_HINTS["InvalidDocumentAccessLevel"])
    assert "hint" not in doc["error"]["inner_error"]  # once, on the error itself
    overview = cli("azure", "get", job).stdout
    assert "\nHint " in overview and "sr=c" in overview


def test_a_failed_job_with_an_error_says_what_failed_means(cli, emulator):
    error = {"code": "InternalServerError", "message": "boom", "target": "Operation"}
    job = emulator.azure.add_job(
        ["https://store.example.com/src/fail.docx"], stages=[Stage("Failed")], error=error
    )
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert doc["error"]["hint"] == (
        STATUS_HINTS["Failed"] + " " + CODE_HINTS["InternalServerError"]
    )


def test_watch_documents_carry_hints_too(cli, emulator):
    job = collision_job(emulator)
    result = cli("watch", f"azure:{job}", "-o", "json", "-q")
    docs = json.loads(result.stdout)
    bad = [i for i in docs[0]["items"] if i["ok"] is False]
    assert bad[0]["error"]["hint"] == CODE_HINTS["TargetFileAlreadyExists"]


# --- end to end: Alibaba ------------------------------------------------------------------


def test_a_failed_image_carries_the_hint_of_its_code(cli, emulator):
    task = emulator.alibaba.add_job(
        images=[
            AlibabaImage("https://img.example.com/a.png"),
            AlibabaImage("https://img.example.com/b.png", success=False, code=10005, message="x"),
        ],
        stages=[Stage("finished")],
    )
    doc = json.loads(cli("alibaba", "get", task, "-o", "json").stdout)
    bad = doc["items"][1]
    assert bad["error"] == {"code": 10005, "message": "x", "hint": CODE_HINTS["105"]}
    table = cli("alibaba", "get", task).stdout
    assert "Hint: The language pair is not supported" in table


@pytest.mark.parametrize(("code", "exit_code"), [("105", 7), ("10013", 5), ("103", 7)])
def test_a_business_error_names_its_fix(cli, emulator, code, exit_code):
    task = emulator.alibaba.add_job(images=[AlibabaImage("https://img.example.com/a.png")])
    emulator.faults.add(Fault(provider="alibaba", kind="business", code=int(code), times=5))
    result = cli("alibaba", "get", task)
    assert result.code == exit_code
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("Hint: " + CODE_HINTS[code])


# --- charged characters -------------------------------------------------------------------


def test_a_job_total_that_differs_from_the_documents_sum_shows_both(cli, emulator):
    job = emulator.azure.add_job(
        [AzureDocument("https://store.example.com/src/a.docx", characters=120)],
        stages=[Stage("Succeeded")],
    )
    status = json.loads(cli("azure", "get", job, "-o", "json", "--no-documents").stdout)["raw"]
    status["summary"]["totalCharacterCharged"] = 1000
    emulator.faults.add(
        Fault(
            provider="azure",
            kind="body",
            body=json.dumps(status),
            path_contains=f"{job}?",
            times=2,
        )
    )
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert doc["summary"]["characters_charged"] == 1000  # the job's own total
    assert doc["summary"]["characters_charged_documents"] == 120
    overview = cli("azure", "get", job).stdout
    assert "Characters charged  1000 (job), 120 (sum of the documents)" in overview


def test_equal_totals_show_once_and_no_documents_means_unknown(cli, emulator):
    job = emulator.azure.add_job(
        [AzureDocument("https://store.example.com/src/a.docx", characters=120)],
        stages=[Stage("Succeeded")],
    )
    doc = json.loads(cli("azure", "get", job, "-o", "json").stdout)
    assert (
        doc["summary"]["characters_charged"],
        doc["summary"]["characters_charged_documents"],
    ) == (
        120,
        120,
    )
    assert "Characters charged  120\n" in cli("azure", "get", job).stdout
    bare = json.loads(cli("azure", "get", job, "-o", "json", "--no-documents").stdout)
    assert bare["summary"]["characters_charged_documents"] is None
