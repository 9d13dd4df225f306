"""What ``watch`` shows while it waits: a live view on a terminal, one line per state
change otherwise (short CI logs), nothing with ``-q``. All of it on stderr; stdout gets
only data (NDJSON events here, the final documents from the command)."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from batchstat.durations import format_duration, spoken_duration
from batchstat.model import JobRecord, JobState, Summary
from batchstat.output.formats import write_line
from batchstat.providers import provider
from batchstat.runtime import Runtime
from batchstat.text import printable

if TYPE_CHECKING:
    from batchstat.watch import WatchedJob


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def watch_document(job: WatchedJob) -> dict[str, Any]:
    """The job document of ``get``, plus ``watch_error`` when the watch itself gave up."""
    record = job.record
    if record is None:
        record = JobRecord(job.target.provider, job.target.id, status="", state=JobState.PENDING)
        doc = record.to_dict()
        # No status was ever read: the state is "unknown", never null (watch_error says why).
        doc.update(status=None, state="unknown", terminal=job.done, summary=Summary().to_dict())
    else:
        doc = record.to_dict()
        if not record.terminal:  # items come once, at the end, on every cloud
            doc["items"] = None
    doc["label"] = job.target.label
    doc["watch_error"] = None
    if job.failure is not None:
        doc["terminal"] = True
        doc["watch_error"] = {
            "exit_code": int(job.failure.exit_code),
            "message": job.failure.message,
        }
    return doc


def progress_text(record: JobRecord | None) -> str:
    """``done/total`` and, when any, ``, N failed``: counts, not a bar ("-" unknown)."""
    if record is None:
        return "-"
    s = record.summary
    if not s.total:
        return "-"
    done = (s.succeeded or 0) + (s.failed or 0) + (s.cancelled or 0)
    return f"{done}/{s.total}" + (f", {s.failed} failed" if s.failed else "")


def state_text(record: JobRecord) -> str:
    """The service's status word, with the state when a finished job's word does not
    say it (``finished (failed)``): a failure reads as one without colour."""
    status = printable(record.status)
    word = record.state.replace("_", " ")
    if not status:
        return word
    said = status.lower().replace(" ", "").replace("_", "")
    if record.terminal and record.state.replace("_", "") not in said:
        return f"{status} ({word})"
    return status


def expiry_note(job: WatchedJob) -> str | None:
    """When a provider deletes results, until when the finished job's URLs stay valid."""
    record = job.record
    if record is None or not record.terminal or job.finished_at is None:
        return None
    spec = provider(record.provider)
    if spec.retention is None or record.state == JobState.NOT_FOUND:
        return None
    kept = spoken_duration(spec.retention)
    if job.unfinished_seen_at is None:
        # The service says nothing of when the job ended: it may have been an hour ago.
        return (
            f"{job.target} had already finished when first seen: its result URLs may "
            f"expire at any moment ({spec.title} deletes them {kept} after a job ends)."
        )
    # It ended after the last poll that saw it unfinished: that is the safe bound.
    return (
        f"{job.target} finished; its result URLs stay valid until about "
        f"{iso(job.unfinished_seen_at + spec.retention)} ({kept} after the job ended)."
    )


def change_lines(job: WatchedJob, *, with_status: bool) -> list[str]:
    """What a state change says: the new state (unless a view shows it), an error, and
    the expiry note."""
    lines = []
    record = job.record
    if job.failure is not None:
        lines.append(f"{job.target} error: {job.failure.sentence}")
    elif record is not None and with_status:
        lines.append(
            f"{job.target} {record.status or '-'} ({record.state}) {progress_text(record)}"
        )
    note = expiry_note(job)
    if note:
        lines.append(note)
    return lines


class Observers(list[Any]):
    """The watch's observers, told in order: progress views, NDJSON events and, later,
    CI annotations; each implements what it needs of ``watch.Observer`` plus
    ``start``/``stop``."""

    def start(self, jobs: list[WatchedJob]) -> None:
        for observer in self:
            observer.start(jobs)

    def stop(self) -> None:
        for observer in self:
            observer.stop()

    def changed(self, job: WatchedJob) -> None:
        for observer in self:
            observer.changed(job)

    def polled(self, job: WatchedJob) -> None:
        for observer in self:
            observer.polled(job)

    def warn(self, job: WatchedJob, message: str) -> None:
        for observer in self:
            observer.warn(job, message)


class Observer:
    """An observer that ignores everything: views override what they show."""

    def start(self, jobs: list[WatchedJob]) -> None:
        pass

    def stop(self) -> None:
        pass

    def changed(self, job: WatchedJob) -> None:
        pass

    def polled(self, job: WatchedJob) -> None:
        pass

    def warn(self, job: WatchedJob, message: str) -> None:
        pass


class NdjsonEvents(Observer):
    """One JSON object per state change, on stdout, as it happens."""

    def __init__(self, runtime: Runtime, query: Any = None) -> None:
        self.runtime = runtime
        self.query = query

    def changed(self, job: WatchedJob) -> None:
        write_line(watch_document(job), self.runtime, self.query)


class LineLog(Observer):
    """Plain lines on stderr: one per state change, not one per poll (short CI logs)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _line(self, text: str) -> None:
        self.runtime.say(f"{iso(self.runtime.clock())} {text}")

    def changed(self, job: WatchedJob) -> None:
        for text in change_lines(job, with_status=True):
            self._line(text)

    def warn(self, job: WatchedJob, message: str) -> None:
        self._line(f"warning: {job.target}: {message}")


class LiveView(Observer):
    """A live table on stderr: provider, id, state, progress, elapsed, next poll.

    It fits the terminal: ids shorten to their shortest unique prefix among the shown
    jobs (at least 8 characters, as git abbreviates), then the elapsed and provider
    columns go; a state word is never cut. Progress is ``done/total`` and the failed
    count, and a failed job's state says so in words (no colour needed). A retry (the
    job throttled, the service unavailable) is shown in the job's row until the job
    answers again, rather than as a line that would stay above the table.

    Drawing costs about half a millisecond a row. Redrawing every row at every change
    made a terminal watch of 200 jobs spend 40 s of CPU on a 4 s watch, so changes are
    drawn at most every ``MIN_REDRAW_SECONDS`` (the once-a-second refresh shows the
    rest), and the table has only the rows the terminal can show: unfinished jobs
    first, then one line that counts the others.
    """

    MIN_REDRAW_SECONDS = 0.25
    HEADER: tuple[str, ...] = ("Provider", "Job", "State", "Progress", "Elapsed", "Next poll")
    # Left out, in this order, while a row is wider than the terminal with short ids.
    OPTIONAL = ("Elapsed", "Provider")
    ID_COLUMN, STATE_COLUMN = 1, 2

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.jobs: list[WatchedJob] = []
        self.live: Any = None
        self._drawn_at: float | None = None
        # The retry each job's row shows (the loop clears ``job.retrying`` on an answer).
        self._retries: dict[Any, Any] = {}

    def start(self, jobs: list[WatchedJob]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.jobs = jobs
        if any(job.target.label for job in jobs):  # a Label column, after the id
            self.HEADER = ("Provider", "Job", "Label", "State", "Progress", "Elapsed", "Next poll")
            self.STATE_COLUMN = 3
        columns = self.runtime.env.get("COLUMNS", "")
        lines = self.runtime.env.get("LINES", "")
        console = Console(
            file=self.runtime.err,
            width=int(columns) if columns.isdigit() else None,
            height=int(lines) if lines.isdigit() else None,
            force_terminal=True,
            no_color=not self.runtime.color_on("stderr"),
            highlight=False,
            markup=False,  # ids and status words are text, never markup
            emoji=False,
        )
        # Redrawn when something changes, and once a second for the clocks.
        self.live = Live(self, console=console, refresh_per_second=1, transient=False)
        self.live.start()

    def stop(self) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None

    def _line(self, text: str) -> None:
        """A line printed above the live table (errors, notes, warnings)."""
        if self.live is None:
            self.runtime.say(f"{iso(self.runtime.clock())} {text}")
        else:
            self.live.console.print(self.runtime.scrub(text), markup=False, highlight=False)

    def changed(self, job: WatchedJob) -> None:
        # The state itself is in the live table; only errors and notes become lines.
        for text in change_lines(job, with_status=False):
            self._line(text)
        self._redraw()

    def polled(self, job: WatchedJob) -> None:
        if self._retries.pop(job.target, None) is not None:
            self._redraw()  # it answered: its row no longer says it is retrying

    def warn(self, job: WatchedJob, message: str) -> None:
        # The warning of a retry the loop has just scheduled goes in the job's row; any
        # other (a stall, giving up) is a line above the table.
        retry = job.retrying
        if retry is not None and not job.done and self._retries.get(job.target) is not retry:
            self._retries[job.target] = retry
            self._redraw()
            return
        self._line(f"warning: {job.target}: {message}")

    def _redraw(self) -> None:
        if self.live is None:
            return
        now = self.runtime.clock()
        if self._drawn_at is None or now - self._drawn_at >= self.MIN_REDRAW_SECONDS:
            self._drawn_at = now
            self.live.refresh()

    def _rows(self) -> tuple[list[WatchedJob], list[WatchedJob]]:
        """The jobs to show and the jobs only counted, to fit the terminal."""
        room = max(3, self.live.console.height - 3) if self.live is not None else len(self.jobs)
        if len(self.jobs) <= room:
            return self.jobs, []
        ordered = [j for j in self.jobs if not j.done] + [j for j in self.jobs if j.done]
        return ordered[: room - 1], ordered[room - 1 :]

    def _cells(
        self, job: WatchedJob, now: float, state_styles: dict[str, str]
    ) -> tuple[list[str], str]:
        """A job's row as text, and the style of its state."""
        record = job.record
        state, style = "waiting", ""
        if job.failure is not None:
            state, style = "error", "red"
        elif record is not None:
            state, style = state_text(record), state_styles.get(record.state, "")
        end = job.finished_at if job.done and job.finished_at else now
        if job.done:
            next_poll = "-"
        elif job.retrying is not None:
            why = "throttled" if job.retrying.throttled else "unavailable"
            next_poll = f"{why}, retrying in {format_duration(max(0.0, job.due - now))}"
        else:
            next_poll = format_duration(max(0.0, job.due - now))
        cells = [
            job.target.provider,
            printable(job.target.id),
            *([printable(job.target.label or "-")] if len(self.HEADER) > 6 else []),
            state,
            progress_text(record),
            format_duration(end - job.started),
            next_poll,
        ]
        return cells, style

    def _fit(self, rows: list[list[str]], width: int) -> tuple[list[int], list[list[str]]]:
        """The columns to show and the rows (ids shortened if need be) within ``width``."""
        from rich.cells import cell_len

        def widths(table: list[list[str]], columns: list[int]) -> int:
            total = sum(max(cell_len(row[i]) for row in table) for i in columns)
            return total + 2 * (len(columns) - 1)

        columns = list(range(len(self.HEADER)))
        table = [list(self.HEADER), *rows]
        if widths(table, columns) <= width:
            return columns, rows
        keep = unique_prefix_length([row[self.ID_COLUMN] for row in rows])
        at = self.ID_COLUMN
        rows = [[*row[:at], row[at][:keep], *row[at + 1 :]] for row in rows]
        table = [list(self.HEADER), *rows]
        for name in self.OPTIONAL:
            if widths(table, columns) <= width:
                break
            columns.remove(self.HEADER.index(name))
        return columns, rows

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.cells import cell_len
        from rich.text import Text

        from batchstat.output.table import STATE_STYLES

        now = self.runtime.clock()
        shown, counted = self._rows()
        cells = [self._cells(job, now, STATE_STYLES) for job in shown]
        columns, rows = self._fit([row for row, _ in cells], options.max_width)
        table = [list(self.HEADER), *rows]
        widths = {i: max(cell_len(row[i]) for row in table) for i in columns}
        last = columns[-1]
        styles = ["bold", *(style for _, style in cells)]
        for index, row in enumerate(table):
            line = Text(no_wrap=True, overflow="ellipsis")
            for i in columns:
                text = row[i] if i == last else row[i] + " " * (widths[i] - cell_len(row[i]))
                style = styles[index] if index == 0 or i == self.STATE_COLUMN else ""
                line.append(text, style=style)
                if i != last:
                    line.append("  ")
            line.rstrip()
            yield line
        if counted:
            states: dict[str, int] = {}
            for job in counted:
                word = "error" if job.failure else job.record.state if job.record else "waiting"
                states[word] = states.get(word, 0) + 1
            tally = ", ".join(f"{n} {word}" for word, n in states.items())
            yield Text(f"... {len(counted)} more jobs: {tally}")


def unique_prefix_length(ids: list[str], minimum: int = 8) -> int:
    """The shortest length at which no two of ``ids`` share their start (at least
    ``minimum``), as git abbreviates object names."""
    ordered = sorted(set(ids))
    length = minimum
    for a, b in itertools.pairwise(ordered):  # sorted: an id shares most with a neighbour
        length = max(length, _shared_start(a, b) + 1)
    return length


def _shared_start(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count
