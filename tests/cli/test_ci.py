"""CI reports of `get` and `watch`: the Markdown summary (GITHUB_STEP_SUMMARY, --summary),
JUnit XML (--junit), GitHub annotations and groups, and `watch --fail-fast`; on the
emulator with a fake clock, the files parsed back."""

from __future__ import annotations

import json
import os
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from conftest import ALIBABA_SECRET, AZURE_KEY

from batchstat.emulator import AlibabaImage, AzureDocument, Stage

FAILED_DOC = AzureDocument(
    "https://s.example.com/src/b.docx",
    status="Failed",
    error={
        "code": "InvalidRequest",
        "message": "Target file already exists.",
        "innerError": {"code": "TargetFileAlreadyExists", "message": "The file exists."},
    },
)


def azure_job(emulator, documents, *, final="Succeeded", running=1, error=None):
    stages = [Stage("NotStarted", polls=1), Stage("Running", polls=running), Stage(final)]
    return emulator.azure.add_job(documents=documents, stages=stages, error=error)


def three_jobs(emulator):
    """A job that succeeds, one that partially succeeds, one that fails validation."""
    ok = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")])
    partial = azure_job(emulator, [AzureDocument("https://s.example.com/src/c.docx"), FAILED_DOC])
    invalid = azure_job(
        emulator,
        [],
        final="ValidationFailed",
        error={
            "code": "InvalidRequest",
            "message": "Cannot access source document location.",
            "innerError": {"code": "InvalidDocumentAccessLevel", "message": "No list."},
        },
    )
    return ok, partial, invalid


def sections(markdown: str) -> dict[str, str]:
    """The summary's job sections by their heading (without the state mark)."""
    parts = re.split(r"^### \S+ ", markdown, flags=re.M)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def table_rows(section: str) -> list[list[str]]:
    """The cells of a section's item table (header and rule left out)."""
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


# -- the Markdown summary -------------------------------------------------------------


def test_watch_appends_a_summary_per_job_to_the_step_summary(cli, emulator, tmp_path):
    ok, partial, invalid = three_jobs(emulator)
    step = tmp_path / "step_summary.md"
    step.write_text("# an earlier step's summary\n")
    targets = [f"azure:{ok}=contracts-fr", f"azure:{partial}=manuals-de", f"azure:{invalid}"]
    result = cli("watch", *targets, "--interval", "1s", env={"GITHUB_STEP_SUMMARY": str(step)})
    assert result.code == 1, result.stderr

    text = step.read_text()
    assert text.startswith("# an earlier step's summary\n\n## batchstat watch: 3 jobs")
    assert "1 succeeded, 1 partially succeeded, 1 failed" in text
    jobs = sections(text)
    # Labels name the jobs; a job without one is named by its target.
    assert list(jobs) == [
        "contracts-fr: succeeded",
        "manuals-de: partially succeeded",
        f"azure:{invalid}: failed",
    ]
    good = jobs["contracts-fr: succeeded"]
    assert f"azure:{ok} · status Succeeded · 1 document: 1 succeeded" in good
    [row] = table_rows(good)
    assert row[1] == "Succeeded" and row[2] == ""
    assert re.fullmatch(r"\[[-\w]+\.docx\]\(http://127\.0\.0\.1:\d+/files/\S+\)", row[3]), row[3]

    # The failed document first, with its error (inner code and hint); the other's link.
    rows = table_rows(jobs["manuals-de: partially succeeded"])
    assert [r[1] for r in rows] == ["Failed", "Succeeded"]
    assert "TargetFileAlreadyExists" in rows[0][2] and "Hint" in rows[0][2]
    assert rows[0][3] == "" and rows[1][3].endswith(".docx)")
    assert "2 documents: 1 succeeded, 1 failed" in jobs["manuals-de: partially succeeded"]

    failed = jobs[f"azure:{invalid}: failed"]
    assert "**Error:**" in failed and "InvalidDocumentAccessLevel" in failed


def test_summary_file_is_the_same_markdown_written_atomically(cli, emulator, tmp_path):
    ok, partial, _ = three_jobs(emulator)
    step, summary = tmp_path / "step.md", tmp_path / "out" / "summary.md"
    summary.parent.mkdir()
    summary.write_text("stale")
    result = cli(
        "watch", f"azure:{ok}", f"azure:{partial}", "--summary", str(summary), "-q",
        env={"GITHUB_STEP_SUMMARY": str(step)},
    )  # fmt: skip
    assert result.code == 3, result.stderr
    assert summary.read_text() == step.read_text()
    assert summary.read_text().startswith("## batchstat watch: 2 jobs")
    assert os.listdir(summary.parent) == ["summary.md"]  # no temporary file left
    umask = os.umask(0o022)
    os.umask(umask)
    assert summary.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_get_writes_the_summary_and_junit_too(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=[FAILED_DOC], stages=[Stage("Succeeded")])
    summary, junit = tmp_path / "s.md", tmp_path / "j.xml"
    result = cli("azure", "get", job, "--summary", str(summary), "--junit", str(junit))
    assert result.code == 0, result.stderr
    text = summary.read_text()
    assert text.startswith("## batchstat get: 1 job, 1 partially succeeded")
    [row] = table_rows(next(iter(sections(text).values())))
    assert row[1] == "Failed" and "TargetFileAlreadyExists" in row[2]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("name") == f"azure:{job}"
    assert suite.find("testcase[@name='https://s.example.com/src/b.docx']/failure") is not None


def test_summary_keeps_within_a_row_budget(cli, emulator, tmp_path):
    docs = [AzureDocument(f"https://s.example.com/src/{n}.docx") for n in range(130)]
    job = azure_job(emulator, docs)
    summary = tmp_path / "s.md"
    assert cli("watch", f"azure:{job}", "-q", "--summary", str(summary)).code == 0
    section = summary.read_text()
    assert len(table_rows(section)) == 100
    assert "… and 30 more documents: see the JSON output." in section


# -- JUnit XML -------------------------------------------------------------------------


def test_junit_one_suite_per_job_one_case_per_document(cli, emulator, tmp_path):
    ok, partial, invalid = three_jobs(emulator)
    junit = tmp_path / "junit.xml"
    targets = [f"azure:{ok}=contracts-fr", f"azure:{partial}=manuals-de", f"azure:{invalid}"]
    result = cli("watch", *targets, "-q", "-o", "json", "--junit", str(junit))
    assert result.code == 1, result.stderr
    json.loads(result.stdout)  # stdout is still the JSON and nothing else

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["contracts-fr", "manuals-de", f"azure:{invalid}"]
    # The job's own case, then one per document.
    names = [c.get("name") for c in suites["manuals-de"].findall("testcase")]
    assert names == ["job", "https://s.example.com/src/c.docx", "https://s.example.com/src/b.docx"]
    assert {c.get("classname") for c in suites["manuals-de"].findall("testcase")} == {"manuals-de"}
    failure = suites["manuals-de"].find(
        "testcase[@name='https://s.example.com/src/b.docx']/failure"
    )
    assert failure is not None
    assert failure.get("type") == "InvalidRequest"
    assert failure.get("message") == "Target file already exists."
    assert "TargetFileAlreadyExists" in failure.text
    assert suites["manuals-de"].get("tests") == "3" and suites["manuals-de"].get("failures") == "1"
    properties = {p.get("name"): p.get("value") for p in suites["manuals-de"].find("properties")}
    assert properties == {
        "provider": "azure", "id": partial, "label": "manuals-de",
        "status": "Succeeded", "state": "partially_succeeded",
    }  # fmt: skip

    # A job that failed validation: its job case fails with the error.
    job_failure = suites[f"azure:{invalid}"].find("testcase[@name='job']/failure")
    assert job_failure.get("type") == "InvalidRequest"
    assert "InvalidDocumentAccessLevel" in job_failure.get("message")
    assert suites["contracts-fr"].get("failures") == "0"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "2", "0")


def test_junit_for_alibaba_images(cli, emulator, tmp_path):
    task = emulator.alibaba.add_job(
        images=[
            "https://img.example.com/a.png",
            AlibabaImage("https://img.example.com/b.png", success=False, code=107, message="boom"),
        ],
        stages=[Stage("finished")],
    )
    junit = tmp_path / "junit.xml"
    result = cli("alibaba", "get", task, "--junit", str(junit), "--exit-status")
    assert result.code == 3, result.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"job", "https://img.example.com/a.png", "https://img.example.com/b.png"}
    failure = cases["https://img.example.com/b.png"].find("failure")
    assert failure.get("type") == "107" and failure.get("message") == "boom"
    assert cases["https://img.example.com/a.png"].find("*") is None  # passed


def test_timeout_and_unreadable_jobs_in_the_reports(cli, emulator, tmp_path):
    slow = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")], running=99)
    missing = str(uuid.uuid4())
    junit, summary = tmp_path / "j.xml", tmp_path / "s.md"
    result = cli(
        "watch", f"azure:{slow}=slow", f"azure:{missing}=gone", "--timeout", "10s", "-q",
        "--junit", str(junit), "--summary", str(summary),
    )  # fmt: skip
    assert result.code == 6
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    skipped = suites["slow"].find("testcase[@name='job']/skipped")
    assert skipped.get("message") == "not finished (Running)."
    assert (
        suites["gone"]
        .find("testcase[@name='job']/failure")
        .get("type")
        .startswith("ResourceNotFound")
    )
    text = summary.read_text()
    assert "### ⏳ slow: running" in text and "**Note:** not finished \\(Running\\)." in text
    assert "### ❌ gone: not found" in text


def test_a_job_get_cannot_read_is_an_error_case(cli, emulator, tmp_path):
    job = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")])
    junit = tmp_path / "j.xml"
    result = cli(
        "azure", "get", job, "--junit", str(junit),
        env={"AZURE_DOCUMENT_TRANSLATION_KEY": "wrong-key-1234"},
    )  # fmt: skip
    assert result.code == 5
    error = ET.parse(junit).getroot().find("testsuite/testcase[@name='job']/error")
    assert error.get("type") == "exit 5"


# -- GitHub Actions ---------------------------------------------------------------------


def test_github_actions_groups_and_annotations_instead_of_the_live_view(cli, emulator):
    ok, partial, _ = three_jobs(emulator)
    result = cli(
        "watch", f"azure:{ok}=contracts-fr", f"azure:{partial}=manuals-de", "-o", "json",
        env={"GITHUB_ACTIONS": "true", "NO_COLOR": "1"}, stderr_tty=True,
    )  # fmt: skip
    assert result.code == 3, result.stderr
    assert [d["label"] for d in json.loads(result.stdout)] == ["contracts-fr", "manuals-de"]
    err = result.stderr.splitlines()
    assert "Next poll" not in result.stderr  # no live view
    groups = [line for line in err if line.startswith("::group::")]
    assert len(groups) == 2 and err.count("::endgroup::") == 2
    assert f"azure:{partial}=manuals-de Succeeded (partially_succeeded)" in groups[1]
    start = err.index(groups[1])
    inside = err[start + 1 : err.index("::endgroup::", start)]
    assert any("Failed https://s.example.com/src/b.docx: InvalidRequest" in x for x in inside)
    assert not any("/files/" in line for line in err)  # result URLs stay out of the log
    [error] = [line for line in err if line.startswith("::error")]
    assert error.startswith(
        "::error title=batchstat%3A manuals-de::https://s.example.com/src/b.docx: "
        "InvalidRequest: Target file already exists. (inner: TargetFileAlreadyExists: "
        "The file exists.) Hint: A file of the same name"
    )
    assert err.index(error) > start  # after the job's group


def test_github_actions_quiet_keeps_the_annotations_and_get_annotates(cli, emulator):
    invalid = three_jobs(emulator)[2]
    env = {"GITHUB_ACTIONS": "true"}
    result = cli("watch", f"azure:{invalid}=batch-1", "-q", env=env)
    assert result.code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"::error title=batchstat%3A batch-1::azure:{invalid} ValidationFailed")
    got = cli("azure", "get", invalid, env=env)
    assert "::error title=batchstat%3A azure%3A" in got.stderr
    assert cli("azure", "get", invalid).stderr.count("::error") == 0  # not outside Actions


def test_github_actions_warns_of_unfinished_jobs(cli, emulator):
    slow = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")], running=99)
    result = cli("watch", f"azure:{slow}", "--timeout", "5s", env={"GITHUB_ACTIONS": "true"})
    assert result.code == 6
    assert f"::warning title=batchstat%3A azure%3A{slow}::azure:{slow} not finished" in (
        result.stderr
    )


# -- untrusted text -------------------------------------------------------------------

HOSTILE = (
    "<script>alert(1)</script> | **bold** [x](javascript:alert(1)) 100% \x1b[31mred\x1b[0m"
    "\n::add-mask::oops ##[set-output name=a]b \u202eevil "
)


def test_server_text_is_escaped_everywhere_and_secrets_never_written(cli, emulator, tmp_path):
    bad = AzureDocument(
        "https://s.example.com/src/x|y.docx",
        status="Failed",
        error={"code": "Bad|Code<", "message": HOSTILE + AZURE_KEY + " " + ALIBABA_SECRET},
    )
    good = AzureDocument(
        "https://s.example.com/src/ok.docx", path="https://s.example.com/out/o k(1).docx?sig=a|b"
    )
    job = azure_job(emulator, [bad, good])
    step, junit = tmp_path / "step.md", tmp_path / "j.xml"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step)}
    result = cli("watch", f"azure:{job}=a|b<c>", "--junit", str(junit), env=env)
    assert result.code == 3, result.stderr

    text = step.read_text()
    junit_text = junit.read_text()
    for written in (text, junit_text, result.stderr):
        assert AZURE_KEY not in written and ALIBABA_SECRET not in written
        assert "\x1b" not in written and "\u202e" not in written
    # Markdown: no HTML, no markup, table cells intact, the link's target encoded.
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\*\\*bold\\*\\*" in text and "\\[x\\]\\(javascript" in text
    assert "### ⚠️ a\\|b&lt;c&gt;: partially succeeded" in text
    rows = table_rows(next(iter(sections(text).values())))
    assert [len(r) for r in rows] == [4, 4]
    assert rows[0][0] == "https://s.example.com/src/x\\|y.docx"
    assert rows[1][3] == "[o k\\(1\\).docx](https://s.example.com/out/o%20k%281%29.docx?sig=a%7Cb)"
    # JUnit: well formed, the values as text.
    failure = ET.fromstring(junit_text).find(".//failure")
    assert failure.get("type") == "Bad|Code<" and "<script>" in failure.get("message")
    assert "***" in failure.get("message")
    # Annotations: one line each, data escaped; no log line starts a command or holds ##[.
    errors = [line for line in result.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "100%25" in errors[0]
    assert "##[" not in result.stderr
    for line in result.stderr.splitlines():
        assert not line.lstrip().startswith("::") or line.startswith(
            ("::group::", "::endgroup::", "::error title=batchstat%3A a|b<c>::")
        ), line


def test_invalid_xml_characters_are_dropped(tmp_path):
    from batchstat.model import Item, JobRecord, Summary
    from batchstat.output.ci import ReportedJob, junit_xml
    from batchstat.runtime import Runtime

    item = Item("1", "Failed", False, "https://s/\ud800a\ufffe.docx", None, {"code": "X"})
    record = JobRecord(
        "azure", "id-1", "Succeeded", "partially_succeeded", summary=Summary(total=1), items=[item]
    )
    data = junit_xml([ReportedJob("azure", "id-1", record)], Runtime(env={}), "get")
    case = ET.fromstring(data).find(".//testcase[failure]")
    assert case.get("name") == "https://s/a.docx"


# -- writing failures -------------------------------------------------------------------


def test_a_missing_directory_fails_before_any_request(cli, emulator, tmp_path):
    job = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")])
    for argv in (
        ["watch", f"azure:{job}", "--junit", str(tmp_path / "no" / "j.xml")],
        ["azure", "get", job, "--summary", str(tmp_path / "no" / "s.md")],
    ):
        emulator.requests_clear()
        result = cli(*argv)
        assert result.code == 74
        assert len(result.stderr.splitlines()) == 1
        assert "no such directory" in result.stderr
        assert emulator.requests == []


def test_a_write_that_fails_is_exit_74_with_one_line(cli, emulator, tmp_path):
    job = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")])
    result = cli("watch", f"azure:{job}", "-q", env={"GITHUB_STEP_SUMMARY": str(tmp_path)})
    assert result.code == 74
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: cannot write the step summary to {tmp_path}: ")
    result = cli("azure", "get", job, "-o", "json", "--junit", str(tmp_path))
    assert result.code == 74 and json.loads(result.stdout)["id"] == job
    assert "cannot write the JUnit report" in result.stderr
    assert not [n for n in os.listdir(tmp_path.parent) if n.startswith(".batchstat-")]


# -- --fail-fast --------------------------------------------------------------------------


def test_fail_fast_stops_at_the_first_failed_job(cli, emulator, clock):
    slow = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")], running=50)
    failed = azure_job(emulator, [], final="Cancelled", running=2)
    start = clock()
    result = cli(
        "watch", f"azure:{slow}=slow", f"azure:{failed}=doomed", "--fail-fast",
        "--interval", "10s", "-o", "json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    assert clock() - start == pytest.approx(30.0)  # 4 polls of the failed job, not 52
    docs = {d["label"]: d for d in json.loads(result.stdout)}
    assert docs["doomed"]["state"] == "cancelled"
    assert docs["slow"]["state"] == "running" and docs["slow"]["terminal"] is False
    assert f"fail-fast: azure:{failed}=doomed ended Cancelled (cancelled)" in result.stderr
    assert f"fail-fast: azure:{slow}=slow is still Running" in result.stderr
    resume = f"resume with: batchstat watch azure:{slow}=slow --interval 10s --output json"
    assert f"{resume} --fail-fast\n" in result.stderr


def test_fail_fast_waits_for_all_when_none_fails(cli, emulator):
    a = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")], running=3)
    b = azure_job(emulator, [FAILED_DOC], running=1)  # partially succeeded: not a failure
    result = cli("watch", f"azure:{a}", f"azure:{b}", "--fail-fast", "-q", "-o", "json")
    assert result.code == 3
    assert [d["terminal"] for d in json.loads(result.stdout)] == [True, True]
    assert "fail-fast" not in result.stderr


def test_fail_fast_keeps_a_worse_code_of_a_job_that_ended_before(cli, emulator):
    failed = azure_job(emulator, [], final="Failed", running=2)
    slow = azure_job(emulator, [AzureDocument("https://s.example.com/src/a.docx")], running=50)
    missing = str(uuid.uuid4())
    result = cli(
        "watch", f"azure:{failed}", f"azure:{missing}", f"azure:{slow}", "--fail-fast", "-q"
    )
    assert result.code == 4  # not found (ended first) outranks failed; no timeout 6


# -- flags -----------------------------------------------------------------------------


def test_flags_reach_the_requests():
    import io

    from batchstat.cli import run
    from batchstat.commands.get import GetRequest
    from batchstat.commands.watch import WatchRequest
    from batchstat.runtime import Runtime

    seen: list[object] = []

    def parse(*argv: str) -> object:
        runtime = Runtime(
            env={}, stdout=io.StringIO(), stderr=io.StringIO(), on_request=seen.append
        )
        run(list(argv), runtime)
        return seen.pop()

    watch = parse("watch", "azure:x", "--summary", "s.md", "--junit", "j.xml", "--fail-fast")
    assert isinstance(watch, WatchRequest)
    assert (watch.summary, watch.junit, watch.fail_fast) == ("s.md", "j.xml", True)
    assert watch.resume_options[-5:] == ["--summary", "s.md", "--junit", "j.xml", "--fail-fast"]
    for name in ("alibaba", "azure"):
        get = parse(name, "get", "x", "--summary", "s.md", "--junit", "j.xml")
        assert isinstance(get, GetRequest) and (get.summary, get.junit) == ("s.md", "j.xml")
