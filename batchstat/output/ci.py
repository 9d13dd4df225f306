"""Reports for CI: a Markdown summary (appended to GitHub's ``GITHUB_STEP_SUMMARY``, or
written to ``--summary FILE``), a JUnit XML report (``--junit FILE``), and on GitHub
Actions the workflow commands: ``::error::`` annotations for failed items and jobs, and
``::group::`` log lines in place of the live view.

Everything a server sends is untrusted: every string passes ``Runtime.scrub`` (the
secrets in use removed, no control or escape characters), then the escaping of where it
goes: Markdown punctuation and HTML, XML (ElementTree escapes; characters XML 1.0
forbids are dropped), workflow-command data. Files are replaced atomically (a temporary
file, then a rename); the step summary is appended, as GitHub's contract says.

Only the standard library, imported where used: ``get`` runs in shell loops.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from batchstat.errors import BatchstatError, OutputError

if TYPE_CHECKING:
    from batchstat.model import Item, JobRecord
    from batchstat.runtime import Runtime
    from batchstat.watch import WatchedJob

# GitHub refuses a step summary over 1 MiB: stay under it with room for other steps.
SUMMARY_BUDGET = 900 * 1024
SUMMARY_ROWS = 100  # item rows per job in the summary; the JSON output has them all
ANNOTATIONS_PER_JOB = 10  # GitHub shows 10 error annotations a step: then one that counts
GROUP_LINES = 1000  # item lines per job in a log group


class ReportedJob:
    """One job as the reports see it: the name people gave it (its target's label, else
    ``PROVIDER:ID``), its last record, and the error that ended it, if any."""

    __slots__ = ("error", "id", "label", "provider", "record")

    def __init__(
        self,
        provider: str,
        id: str,
        record: JobRecord | None,
        *,
        label: str | None = None,
        error: BatchstatError | None = None,
    ) -> None:
        self.provider = provider
        self.id = id
        self.record = record
        self.label = label
        self.error = error

    @classmethod
    def watched(cls, job: WatchedJob) -> ReportedJob:
        target = job.target
        return cls(
            target.provider,
            target.id,
            job.record,
            label=target.label,
            error=job.failure,
        )

    @classmethod
    def fetched(cls, provider: str, id: str, outcome: JobRecord | BatchstatError) -> ReportedJob:
        """A job of ``get``: its record, or the error that stopped it."""
        if isinstance(outcome, BatchstatError):
            return cls(provider, id, None, error=outcome)
        return cls(provider, id, outcome)

    @property
    def target(self) -> str:
        return f"{self.provider}:{self.id}"

    @property
    def name(self) -> str:
        return self.label or self.target

    @property
    def noun(self) -> str:
        from batchstat.providers import provider

        return provider(self.provider).noun

    @property
    def state(self) -> str:
        """What became of the job, in words: ``failed``, ``partially succeeded``,
        ``error`` (the command gave up on it), ``running`` (not finished), ..."""
        if self.error is not None:
            return "error"
        if self.record is None:
            return "not polled"
        return self.record.state.replace("_", " ")

    @property
    def failed(self) -> bool:
        """The job itself failed: an error, or a state that exits 1 or 4."""
        if self.error is not None:
            return True
        record = self.record
        return record is not None and record.terminal and record.state in _FAILED_STATES


_FAILED_STATES = ("failed", "cancelled", "not_found")


class Reports:
    """The reports a command writes, from its options and the environment."""

    def __init__(
        self, runtime: Runtime, command: str, *, summary: str | None, junit: str | None
    ) -> None:
        self.runtime = runtime
        self.command = command
        self.summary = summary or None
        self.junit = junit or None
        self.step_summary = runtime.env.get("GITHUB_STEP_SUMMARY") or None
        self.github = runtime.env.get("GITHUB_ACTIONS") == "true"

    def check(self) -> None:
        """A file that cannot be written fails now, before any request (exit 74), not
        after a watch of an hour."""
        for path, what in self._files():
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise OutputError(
                    f"cannot write the {what} to {path}: no such directory.",
                    "Create the directory, or give another path.",
                )

    def _files(self) -> list[tuple[str, str]]:
        files = [(self.step_summary, "step summary"), (self.summary, "Markdown summary")]
        files.append((self.junit, "JUnit report"))
        return [(path, what) for path, what in files if path]

    def log(self, *, quiet: bool) -> GithubLog | None:
        """The watch observer on GitHub Actions (groups, annotations), else None."""
        return GithubLog(self.runtime, groups=not quiet) if self.github else None

    def finish(self, jobs: Sequence[ReportedJob], *, annotate: bool = False) -> None:
        """Write the reports; ``annotate``: the annotations too (``get``; a watch's are
        printed by its :class:`GithubLog` as each job ends)."""
        if annotate and self.github:
            for job in jobs:
                for line in annotation_lines(job, self.runtime):
                    self.runtime.say(line)
        if self.summary or self.step_summary:
            text = markdown_summary(jobs, self.runtime, self.command)
            if self.step_summary:
                _append(self.step_summary, text, "step summary")
            if self.summary:
                _replace(self.summary, text.encode("utf-8"), "Markdown summary")
        if self.junit:
            _replace(self.junit, junit_xml(jobs, self.runtime, self.command), "JUnit report")


# -- files ----------------------------------------------------------------------------


def _append(path: str, text: str, what: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as out:
            if out.tell() > 0:  # after another step's or command's summary
                text = "\n" + text
            out.write(text)
    except OSError as err:
        raise _write_error(path, what, err) from None


def _replace(path: str, data: bytes, what: str) -> None:
    """``data`` in ``path``, atomically: a reader sees the old file or the whole new one."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    temp = None
    try:
        fd, temp = tempfile.mkstemp(prefix=".batchstat-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        mask = os.umask(0o022)  # mkstemp makes 0600: give the file the usual mode
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        os.replace(temp, path)
    except OSError as err:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise _write_error(path, what, err) from None


def _write_error(path: str, what: str, err: OSError) -> OutputError:
    return OutputError(
        f"cannot write the {what} to {path}: {err.strerror or err}.",
        "Check the path, its permissions and the free space.",
    )


# -- text -----------------------------------------------------------------------------


def _error_text(error: dict[str, Any] | None) -> str:
    """``code: message (inner: ...) Hint: ...``, as the tables show it."""
    from batchstat.output.table import error_cell

    return error_cell(error)


def _item_name(item: Item) -> str:
    return item.source_url or item.id


def _count_line(job: ReportedJob) -> str:
    """``3 documents: 2 succeeded, 1 failed`` (counts the provider does not say left out)."""
    if job.record is None:
        return ""
    s = job.record.summary
    counts = [
        f"{value} {name}"
        for name in ("succeeded", "failed", "cancelled", "running", "pending")
        if (value := getattr(s, name))
    ]
    if s.total is None:
        return ", ".join(counts)
    head = f"{s.total} {job.noun}{'' if s.total == 1 else 's'}"
    return f"{head}: {', '.join(counts)}" if counts else head


def _failure_text(job: ReportedJob) -> str:
    """Why the job itself failed or is unfinished, in one line ('' when it did not)."""
    record = job.record
    if job.error is not None:
        return f"exit {int(job.error.exit_code)}: {job.error.sentence}"
    if record is None:
        return "never polled: the command stopped first."
    if not record.terminal:
        return f"not finished ({record.status or record.state})."
    if record.state in _FAILED_STATES:
        said = _error_text(record.error)
        return f"{record.status or '-'} ({record.state})" + (f": {said}" if said else "")
    return ""


# -- Markdown -------------------------------------------------------------------------

# What could start Markdown in the middle of a line (emphasis, code, links, images,
# table cells, HTML, math, mentions, a heading's closing #s) is written escaped, and the
# HTML characters as entities: server text is shown as it is, never rendered. (Our text
# never starts a line, so list and heading markers there need nothing.)
_MD_PUNCTUATION = r"[\\`*_{}\[\]()<>#!|~&$@]"  # compiled on first use (start-up)
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_text(text: str) -> str:
    """Scrubbed text as literal Markdown, safe in a table cell (``|`` escaped too)."""
    return re.sub(_MD_PUNCTUATION, lambda m: _MD_ENTITIES.get(m[0]) or "\\" + m[0], text)


# In a link's destination: what would end it, break the table, or start HTML.
_URL_UNSAFE = {c: f"%{ord(c):02X}" for c in " \"'()<>\\`|"}


def md_link(url: str, runtime: Runtime) -> str:
    """A link to ``url`` (http and https only), named by its file name."""
    clean = runtime.scrub(url).strip()
    if not clean.lower().startswith(("https://", "http://")):
        return md_text(clean)
    from urllib.parse import urlsplit

    name = urlsplit(clean).path.rsplit("/", 1)[-1] or "result"
    target = "".join(_URL_UNSAFE.get(c, c) for c in clean)
    return f"[{md_text(name)}]({target})"


_STATE_MARKS = {
    "succeeded": "✅",
    "partially succeeded": "⚠️",
    "error": "❌",
    "failed": "❌",
    "cancelled": "❌",
    "not found": "❌",
}


def markdown_summary(jobs: Sequence[ReportedJob], runtime: Runtime, command: str) -> str:
    """The summary: a title that counts the outcomes, then one section and table per job
    (its state and counts, its failed items with their errors first, then the others
    with their result links), within GitHub's size limit."""
    tally: dict[str, int] = {}
    for job in jobs:
        tally[job.state] = tally.get(job.state, 0) + 1
    counted = ", ".join(f"{n} {state}" for state, n in tally.items())
    plural = "" if len(jobs) == 1 else "s"
    parts = [f"## batchstat {command}: {len(jobs)} job{plural}, {md_text(counted)}\n"]
    size = len(parts[0].encode("utf-8"))
    for index, job in enumerate(jobs):
        section = _job_section(job, runtime, rows=SUMMARY_ROWS)
        if size + len(section.encode("utf-8")) > SUMMARY_BUDGET:
            section = _job_section(job, runtime, rows=0)  # its state and counts only
        if size + len(section.encode("utf-8")) > SUMMARY_BUDGET - 200:
            parts.append(f"\n… and {len(jobs) - index} more jobs: see the JSON output.\n")
            break
        parts.append(section)
        size += len(section.encode("utf-8"))
    return "".join(parts)


def _job_section(job: ReportedJob, runtime: Runtime, *, rows: int) -> str:
    def text(value: Any) -> str:
        return md_text(runtime.scrub("-" if value in (None, "") else str(value)))

    mark = _STATE_MARKS.get(job.state, "⏳")
    lines = ["", f"### {mark} {text(job.name)}: {text(job.state)}", ""]
    facts = [text(job.target)]
    if job.record is not None:
        facts.append(f"status {text(job.record.status)}")
        counts = _count_line(job)
        if counts:
            facts.append(text(counts))
    lines.append(" · ".join(facts))
    why = _failure_text(job)
    if why:
        lines += ["", f"**{'Error' if job.failed else 'Note'}:** {text(why)}"]
    items = (job.record.items if job.record is not None else None) or []
    if rows and items:
        # Failed first (they are what a reader looks for), then unfinished, then the rest.
        ordered = sorted(items, key=lambda i: {False: 0, None: 1, True: 2}[i.ok])
        lines += ["", f"| {job.noun} | status | error | result |", "| --- | --- | --- | --- |"]
        for item in ordered[:rows]:
            result = md_link(item.result_url, runtime) if item.result_url else ""
            error = text(_error_text(item.error)) if item.error else ""
            lines.append(f"| {text(_item_name(item))} | {text(item.status)} | {error} | {result} |")
        if len(ordered) > rows:
            lines += ["", f"… and {len(ordered) - rows} more {job.noun}s: see the JSON output."]
    return "\n".join(lines) + "\n"


# -- JUnit XML ------------------------------------------------------------------------

# Characters XML 1.0 forbids (most controls are gone already: lone surrogates, U+FFFE).
# Compiled on first use: it costs 3 ms, and ``get`` runs in shell loops.
_XML_FORBIDDEN = "[^\t\n\r -\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def junit_xml(jobs: Sequence[ReportedJob], runtime: Runtime, command: str) -> bytes:
    """One ``testsuite`` per job (named by its label), a ``job`` test case for the job's
    own outcome, then one test case per item: failed items are failures (their code as
    the type, their message), cancelled and unfinished ones skipped."""
    import xml.etree.ElementTree as ET

    forbidden = re.compile(_XML_FORBIDDEN)

    def clean(value: Any) -> str:
        return forbidden.sub("", runtime.scrub("" if value is None else str(value)))

    root = ET.Element("testsuites", name=f"batchstat {command}")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for job in jobs:
        name = clean(job.name)
        suite = ET.SubElement(root, "testsuite", name=name)
        properties = ET.SubElement(suite, "properties")
        record = job.record
        facts = [("provider", job.provider), ("id", job.id), ("label", job.label)]
        if record is not None:
            facts += [("status", record.status), ("state", record.state)]
        for fact, said in facts:
            if said:
                ET.SubElement(properties, "property", name=fact, value=clean(said))
        counts = dict.fromkeys(totals, 0)
        cases = [_job_case(job, clean)]
        for item in (record.items if record is not None else None) or []:
            case = ET.Element("testcase", classname=name, name=clean(_item_name(item)))
            if item.ok is False and item.status.lower().startswith("cancel"):
                ET.SubElement(case, "skipped", message=clean(item.status))
            elif item.ok is False:
                error = item.error or {}
                detail = _error_text(item.error) or f"{item.status or 'failed'}"
                ET.SubElement(
                    case,
                    "failure",
                    type=clean(error.get("code") or item.status or "failed"),
                    message=clean(error.get("message") or detail),
                ).text = clean(detail)
            elif item.ok is None:
                ET.SubElement(case, "skipped", message=clean(f"not finished: {item.status}"))
            cases.append(case)
        for case in cases:
            case.set("classname", name)
            suite.append(case)
            counts["tests"] += 1
            for tag, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
                if case.find(tag) is not None:
                    counts[key] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _job_case(job: ReportedJob, clean: Any) -> Any:
    """The job's own test case: an error when the command gave up on it, a failure when
    it failed, was cancelled or is not found, skipped when unfinished."""
    import xml.etree.ElementTree as ET

    case = ET.Element("testcase", name="job")
    why = clean(_failure_text(job))
    if job.error is not None:
        ET.SubElement(case, "error", type=f"exit {int(job.error.exit_code)}", message=why)
    elif job.failed:
        assert job.record is not None
        error = job.record.error or {}
        ET.SubElement(
            case,
            "failure",
            type=clean(error.get("code") or job.record.state),
            message=why,
        ).text = why
    elif why:
        ET.SubElement(case, "skipped", message=why)
    return case


# -- GitHub Actions -------------------------------------------------------------------


def command_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub documents."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """A workflow command's property value (``title=``): ``:`` and ``,`` escaped too."""
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


def log_text(text: str) -> str:
    """Text for a log line: the runner also takes ``##[command]`` anywhere in a line."""
    return text.replace("##[", "## [")


def annotation_lines(job: ReportedJob, runtime: Runtime, *, unfinished: bool = False) -> list[str]:
    """``::error::`` lines for a job's failed items (at most ``ANNOTATIONS_PER_JOB``,
    then one that counts the rest), and for the job itself when the command gave up on
    it or it failed without a failed item to show; with ``unfinished`` (a watch that
    stopped first), a ``::warning::`` for a job that had not finished."""

    def line(level: str, title: str, message: str) -> str:
        title = command_property(log_text(runtime.scrub(title)))
        return f"::{level} title={title}::{command_data(log_text(runtime.scrub(message)))}"

    title = f"batchstat: {job.name}"
    items = (job.record.items if job.record is not None else None) or []
    failed = [item for item in items if item.ok is False and item.error is not None]
    out = [
        line("error", title, f"{_item_name(item)}: {_error_text(item.error)}")
        for item in failed[:ANNOTATIONS_PER_JOB]
    ]
    if len(failed) > ANNOTATIONS_PER_JOB:
        more = len(failed) - ANNOTATIONS_PER_JOB
        out.append(line("error", title, f"… and {more} more failed {job.noun}s."))
    why = _failure_text(job)
    if job.failed and (job.error is not None or not failed):
        out.append(line("error", title, f"{job.target} {why}"))
    elif unfinished and why and not job.failed:
        out.append(line("warning", title, f"{job.target} {why}"))
    return out


class GithubLog:
    """The watch's progress on GitHub Actions: a line per state change as the line log
    prints it, and, when a job ends, a collapsed ``::group::`` holding its items and
    errors, followed by its annotations. With ``-q`` (``groups=False``) only the
    annotations. Workflow commands go to stderr, which the runner reads as it reads
    stdout: stdout keeps only data (``-o json``)."""

    def __init__(self, runtime: Runtime, *, groups: bool) -> None:
        self.runtime = runtime
        self.groups = groups
        self.jobs: list[WatchedJob] = []

    def _line(self, text: str) -> None:
        from batchstat.output.progress import iso

        # A line starts with the time: server text can never begin a command.
        self.runtime.say(f"{iso(self.runtime.clock())} {log_text(self.runtime.scrub(text))}")

    def start(self, jobs: list[WatchedJob]) -> None:
        self.jobs = jobs

    def stop(self) -> None:
        for job in self.jobs:  # unfinished (timed out, interrupted, --fail-fast)
            if not job.done:
                for line in annotation_lines(
                    ReportedJob.watched(job), self.runtime, unfinished=True
                ):
                    self.runtime.say(line)

    def polled(self, job: WatchedJob) -> None:
        pass

    def warn(self, job: WatchedJob, message: str) -> None:
        if self.groups:
            self._line(f"warning: {job.target}: {message}")

    def changed(self, job: WatchedJob) -> None:
        from batchstat.output.progress import change_lines, iso

        if self.groups and not job.done:
            for text in change_lines(job, with_status=True):
                self._line(text)
        elif self.groups:
            lines = change_lines(job, with_status=True)
            title = lines[0] if lines else str(job.target)
            stamp = iso(self.runtime.clock())
            title = command_data(log_text(self.runtime.scrub(title)))
            self.runtime.say(f"::group::{stamp} {title}")
            for text in self._item_lines(job):  # "- ...": never the start of a command
                self.runtime.say(log_text(self.runtime.scrub(text)))
            for text in lines[1:]:
                self._line(text)
            self.runtime.say("::endgroup::")
        if job.done:
            for line in annotation_lines(ReportedJob.watched(job), self.runtime):
                self.runtime.say(line)

    def _item_lines(self, job: WatchedJob) -> list[str]:
        """One line per item: status, name, error (no result URLs: a log is read by more
        people than the summary, and the URLs may hold the storage's SAS tokens)."""
        items = (job.record.items if job.record is not None else None) or []
        out = []
        for item in items[:GROUP_LINES]:
            error = _error_text(item.error)
            said = f"- {item.status or '-'} {_item_name(item)}"
            out.append(f"{said}: {error}" if error else said)
        if len(items) > GROUP_LINES:
            out.append(f"- … and {len(items) - GROUP_LINES} more")
        return out
