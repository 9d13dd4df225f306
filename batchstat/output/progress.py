"""What ``watch`` shows while it waits: a live view on a terminal, one line per state
change otherwise (short CI logs), nothing with ``-q``. All of it on stderr; stdout gets
only data (NDJSON events here, the final documents from the command)."""

from __future__ import annotations

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
    doc["watch_error"] = None
    if job.failure is not None:
        doc["terminal"] = True
        doc["watch_error"] = {
            "exit_code": int(job.failure.exit_code),
            "message": job.failure.message,
        }
    return doc


def progress_text(record: JobRecord | None) -> str:
    if record is None:
        return "-"
    s = record.summary
    if s.total:
        done = (s.succeeded or 0) + (s.failed or 0) + (s.cancelled or 0)
        return f"{done}/{s.total}"
    return "-"


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
        lines.append(f"{job.target} error: {job.failure.message}")
    elif record is not None and with_status:
        lines.append(f"{job.target} {record.status} ({record.state}) {progress_text(record)}")
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
    """A Rich live table on stderr: provider, id, state, progress, elapsed, next poll.

    Drawing costs about half a millisecond a row. Redrawing every row at every change
    made a terminal watch of 200 jobs spend 40 s of CPU on a 4 s watch, so changes are
    drawn at most every ``MIN_REDRAW_SECONDS`` (the once-a-second refresh shows the
    rest), and the table has only the rows the terminal can show: unfinished jobs
    first, then one line that counts the others.
    """

    MIN_REDRAW_SECONDS = 0.25

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.jobs: list[WatchedJob] = []
        self.live: Any = None
        self._drawn_at: float | None = None

    def start(self, jobs: list[WatchedJob]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.jobs = jobs
        columns = self.runtime.env.get("COLUMNS", "")
        lines = self.runtime.env.get("LINES", "")
        console = Console(
            file=self.runtime.err,
            width=int(columns) if columns.isdigit() else None,
            height=int(lines) if lines.isdigit() else None,
            force_terminal=True,
            no_color=bool(self.runtime.env.get("NO_COLOR")),
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

    def warn(self, job: WatchedJob, message: str) -> None:
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

    def __rich__(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        from batchstat.output.table import STATE_STYLES

        now = self.runtime.clock()
        table = Table(box=None, pad_edge=False)
        for name in ("Provider", "Job", "State", "Progress", "Elapsed", "Next poll"):
            # The id is what a user copies: never cut it.
            table.add_column(name, no_wrap=True, min_width=36 if name == "Job" else None)
        shown, counted = self._rows()
        for job in shown:
            record = job.record
            state = Text("waiting")
            bar: Any = Text("-")
            if job.failure is not None:
                state = Text("error", style="red")
            elif record is not None:
                state = Text(printable(record.status), style=STATE_STYLES.get(record.state, ""))
                total = record.summary.total or 0
                if total:
                    s = record.summary
                    done = (s.succeeded or 0) + (s.failed or 0) + (s.cancelled or 0)
                    bar = ProgressBar(total=total, completed=done, width=12)
            end = job.finished_at if job.done and job.finished_at else now
            next_poll = "-" if job.done else format_duration(max(0.0, job.due - now))
            table.add_row(
                Text(job.target.provider),
                Text(printable(job.target.id)),
                state,
                bar,
                format_duration(end - job.started),
                next_poll,
            )
        if counted:
            states: dict[str, int] = {}
            for job in counted:
                word = "error" if job.failure else job.record.state if job.record else "waiting"
                states[word] = states.get(word, 0) + 1
            tally = ", ".join(f"{n} {word}" for word, n in states.items())
            table.add_row("...", Text(f"{len(counted)} more jobs: {tally}"), "", "", "", "")
        return table
