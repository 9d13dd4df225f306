"""Output that fits the terminal: `get`'s overview and items, `watch`'s live view and
final tables, at 80 and 160 columns, on the emulator (issue 10).

On a terminal no line is wider than ``COLUMNS`` unless it holds a URL; item rows that do
not fit become one block per item; pipes and ``--wide`` keep the columns scripts parse.
"""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest

from batchstat.cli import run
from batchstat.commands.get import GetRequest
from batchstat.commands.watch import WatchRequest
from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage
from batchstat.runtime import Runtime

# What a terminal does not show: CSI (colours, cursor moves), OSC, other escapes.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")

AZURE_ERROR = {
    "code": "InvalidRequest",
    "message": "Cannot access the source document location with the SAS token given.",
    "target": "Document",
    "innerError": {
        "code": "InvalidDocumentAccessLevel",
        "message": "The SAS token lacks read permission on the container.",
    },
}


def visible_lines(text: str) -> list[str]:
    """The lines a terminal shows (a live view redraws after a carriage return)."""
    return re.split(r"[\r\n]", _ESCAPES.sub("", text))


def assert_fits(text: str, width: int) -> None:
    wide = [line for line in visible_lines(text) if len(line) > width and "://" not in line]
    assert not wide, f"wider than {width}: {wide}"


def terminal(columns: int, **more: str) -> dict[str, str | None]:
    return {"COLUMNS": str(columns), "NO_COLOR": "1", **more}


def azure_documents(ok: int = 1, failed: int = 1) -> list[AzureDocument]:
    docs = [
        AzureDocument(f"https://storage.example.com/source-container/ok-{n}.docx")
        for n in range(ok)
    ]
    docs += [
        AzureDocument(
            f"https://storage.example.com/source-container/bad-{n}.docx",
            status="Failed",
            error=AZURE_ERROR,
        )
        for n in range(failed)
    ]
    return docs


def alibaba_images(ok: int = 1, failed: int = 1) -> list[AlibabaImage]:
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


def seed(emulator, name: str, stages=None, **kwargs) -> str:
    if name == "azure":
        return emulator.azure.add_job(
            documents=kwargs.get("documents") or azure_documents(),
            stages=stages or [Stage("Succeeded")],
            job_id=kwargs.get("job_id"),
        )
    return emulator.alibaba.add_job(
        images=kwargs.get("images") or alibaba_images(), stages=stages or [Stage("finished")]
    )


# -- get -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["azure", "alibaba"])
@pytest.mark.parametrize("columns", [80, 160])
def test_get_on_a_terminal_fits_its_width(cli, emulator, name, columns):
    job = seed(emulator, name)
    result = cli(name, "get", job, stdout_tty=True, stderr_tty=True, env=terminal(columns))
    assert result.code == 0, result.stderr
    assert_fits(result.stdout, columns)
    overview = result.stdout.split("\n\n", 1)[0].splitlines()
    assert overview[0] == f"{name} job {job}"
    assert all(len(line) <= columns for line in overview)  # no URL in the overview
    assert all(line == line.rstrip() for line in result.stdout.splitlines())  # no padding


def test_the_overview_wraps_under_its_values(cli, emulator):
    job = seed(emulator, "azure")
    result = cli("azure", "get", job, stdout_tty=True, env=terminal(60))
    lines = result.stdout.splitlines()
    summary = lines.index(next(line for line in lines if line.startswith("Summary")))
    assert lines[summary + 1].startswith(" " * 20) and "cancelled 0" in lines[summary + 1]
    assert_fits(result.stdout, 60)


def _items(cli, name, job):
    return json.loads(cli(name, "get", job, "-o", "json").stdout)["items"]


def test_record_layout_on_a_narrow_terminal(cli, emulator):
    job = seed(emulator, "azure")
    ok, bad = _items(cli, "azure", job)
    result = cli("azure", "get", job, stdout_tty=True, stderr_tty=True, env=terminal(80))
    out = result.stdout
    assert "SOURCE URL" not in out
    assert f"document {bad['id']} · Failed\n" in out
    block = out.split(f"document {bad['id']} · Failed\n", 1)[1]
    assert block.startswith(
        "  source: https://storage.example.com/source-container/bad-0.docx\n"
        "  result: -\n"
        "  to:     fr\n"
        "  error:  InvalidRequest: Cannot access the source document location with the\n"
        "          SAS token given. (inner: InvalidDocumentAccessLevel: The SAS token\n"
    )
    # A result URL is never cut, whatever the width.
    assert f"  result: {ok['result_url']}\n" in out
    assert_fits(out, 80)


def test_record_layout_names_items_as_the_registry_does(cli, emulator):
    task = seed(emulator, "alibaba")
    result = cli("alibaba", "get", task, stdout_tty=True, env=terminal(80))
    assert "image 2 · failed\n" in result.stdout
    assert "  error:  107: An error occurred while translating.\n" in result.stdout
    assert "IMAGE  STATUS" not in result.stdout


@pytest.mark.parametrize("how", ["--wide", "pipe"])
def test_wide_or_a_pipe_keeps_the_columns(cli, emulator, how):
    job = seed(emulator, "azure")
    ok, bad = _items(cli, "azure", job)
    argv = ["azure", "get", job] + (["--wide"] if how == "--wide" else [])
    result = cli(*argv, stdout_tty=how == "--wide", env=terminal(80))
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("DOCUMENT"))
    assert header.split() == ["DOCUMENT", "STATUS", "TO", "SOURCE", "URL", "RESULT", "URL", "ERROR"]
    rows = lines[lines.index(header) + 1 :]
    assert [row.split()[:2] for row in rows] == [[ok["id"], "Succeeded"], [bad["id"], "Failed"]]
    assert ok["result_url"] in rows[0] and "(inner: InvalidDocumentAccessLevel" in rows[1]
    assert max(len(row) for row in rows) > 80  # one row an item, whatever the width


def test_columns_are_kept_when_they_fit(cli, emulator):
    job = seed(emulator, "azure")
    result = cli("azure", "get", job, stdout_tty=True, env=terminal(1000))
    header = next(line for line in result.stdout.splitlines() if line.startswith("DOCUMENT"))
    assert header.split()[:4] == ["DOCUMENT", "STATUS", "TO", "SOURCE"]
    assert "· Failed" not in result.stdout


def test_wide_reaches_the_requests():
    seen: list[object] = []

    def capture(request: object) -> int:
        seen.append(request)
        return 0

    job = str(uuid.uuid4())
    for argv in (["azure", "get", job, "--wide"], ["alibaba", "get", "T-1", "--wide"]):
        run(argv, Runtime(env={}, stderr=io.StringIO(), stdout=io.StringIO(), on_request=capture))
    run(
        ["watch", f"azure:{job}", "--wide"],
        Runtime(env={}, stderr=io.StringIO(), stdout=io.StringIO(), on_request=capture),
    )
    get_azure, get_alibaba, watch = seen
    assert isinstance(get_azure, GetRequest) and get_azure.wide
    assert isinstance(get_alibaba, GetRequest) and get_alibaba.wide
    assert isinstance(watch, WatchRequest) and watch.wide
    assert "--wide" in watch.resume_options


# -- watch ---------------------------------------------------------------------------


def last_frame(stderr: str) -> str:
    """The live view's last drawing: from its last header line to the end."""
    text = "\n".join(visible_lines(stderr))
    head = text.rindex("Next poll")
    return text[text.rindex("\n", 0, head) + 1 :]


def test_watch_final_tables_fit_too_unless_wide(cli, emulator):
    job = seed(emulator, "azure")
    narrow = cli("watch", f"azure:{job}", stdout_tty=True, env=terminal(80))
    assert narrow.code == 3, narrow.stderr  # one document failed: partially succeeded
    assert "· Failed" in narrow.stdout and "SOURCE URL" not in narrow.stdout
    assert_fits(narrow.stdout, 80)
    wide = cli("watch", f"azure:{job}", "--wide", stdout_tty=True, env=terminal(80))
    assert "SOURCE URL" in wide.stdout and "· Failed" not in wide.stdout


@pytest.mark.parametrize("columns", [80, 160])
def test_live_view_fits_and_never_cuts_a_state(cli, emulator, columns):
    jobs = [
        seed(
            emulator,
            "azure",
            [Stage("NotStarted", polls=1), Stage("Running", polls=1), Stage("Succeeded")],
            documents=azure_documents(2, 1),
        ),
        seed(emulator, "alibaba", [Stage("running", polls=1), Stage("finished")]),
        seed(emulator, "azure", [Stage("Running", polls=2), Stage("Cancelled")]),
    ]
    targets = [f"azure:{jobs[0]}", f"alibaba:{jobs[1]}", f"azure:{jobs[2]}"]
    result = cli("watch", *targets, stderr_tty=True, env=terminal(columns))
    assert_fits(result.stderr, columns)
    assert "…" not in result.stderr
    frame = last_frame(result.stderr)
    for word in ("Succeeded (partially succeeded)", "finished (partially succeeded)"):
        assert word in frame
    assert "Cancelled" in frame
    assert "NotStarted" in result.stderr and "Running" in result.stderr
    assert "3/3, 1 failed" in frame and "2/2, 1 failed" in frame  # counts, not a bar
    if columns == 160:  # the width allows whole ids
        assert all(job in frame for job in jobs)


def test_live_view_shortens_ids_to_unique_prefixes(cli, emulator):
    # Two ids that share their first 11 characters need 12 to tell apart; the third
    # shows as many, as git abbreviates every id of a listing alike.
    ids = ["12345678-90ab-4000-8000-000000000001", "12345678-90cd-4000-8000-000000000002"]
    jobs = [seed(emulator, "azure", job_id=job_id) for job_id in ids]
    jobs.append(seed(emulator, "azure"))
    result = cli(
        "watch",
        *(f"azure:{j}" for j in jobs),
        stderr_tty=True,
        env=terminal(80),
    )
    frame = last_frame(result.stderr)
    rows = [line.split() for line in frame.splitlines()[1:] if line.strip()]
    shown = [next(cell for cell in row if cell[:4] in {j[:4] for j in jobs}) for row in rows]
    assert shown == ["12345678-90a", "12345678-90c", jobs[2][:12]]
    assert not any(job in result.stderr for job in jobs)
    assert_fits(result.stderr, 80)


def test_a_failed_job_says_failed_without_colour(cli, emulator):
    # Alibaba says "finished" whether every image failed or none did.
    task = seed(emulator, "alibaba", images=alibaba_images(0, 2))
    failed = seed(
        emulator,
        "azure",
        [Stage("Running", polls=1), Stage("Failed")],
        documents=azure_documents(0, 2),
    )
    result = cli("watch", f"alibaba:{task}", f"azure:{failed}", stderr_tty=True, env=terminal(80))
    assert result.code == 1
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", result.stderr)  # NO_COLOR: no colours
    frame = last_frame(result.stderr)
    alibaba_row = next(line for line in frame.splitlines() if task[:8] in line)
    azure_row = next(line for line in frame.splitlines() if failed[:8] in line)
    assert "finished (failed)" in alibaba_row and "2/2, 2 failed" in alibaba_row
    assert "Failed" in azure_row and "2/2, 2 failed" in azure_row


def test_a_throttled_job_says_so_in_its_row_until_it_answers(cli, emulator):
    job = seed(
        emulator,
        "azure",
        [Stage("NotStarted", polls=1), Stage("Running", polls=1), Stage("Succeeded")],
    )
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=429, retry_after="12", path_contains=job, times=1
        )
    )
    result = cli("watch", f"azure:{job}", "--interval", "1s", stderr_tty=True, env=terminal(80))
    assert result.code == 3, result.stderr  # one of its documents failed
    assert result.sleeps[0] == 12.0
    shown = "\n".join(visible_lines(result.stderr))
    row = next(line for line in shown.splitlines() if "retrying" in line)
    assert "throttled, retrying in 12s" in row and "unavailable" not in row
    # Not a warning pinned above the table, and gone once the job answered.
    assert "warning" not in shown and "429" not in shown
    assert "throttled" not in last_frame(result.stderr)
    assert_fits(result.stderr, 80)


def test_the_line_log_keeps_one_line_per_retry(cli, emulator):
    job = seed(emulator, "azure")
    emulator.faults.add(
        Fault(
            provider="azure", kind="http", status=503, retry_after="3", path_contains=job, times=2
        )
    )
    result = cli("watch", f"azure:{job}", "--interval", "1s")
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 2 and all("Retrying in 3.0s" in line for line in warnings)
