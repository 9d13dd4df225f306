"""What ``--download`` shows while it saves files, on stderr: a Rich progress bar (files
and bytes) on a terminal, plain lines elsewhere (a line when a job's download starts and
ends, one per retry), nothing but errors with ``watch -q``.

Lines name files by their sanitised names and hosts, never by URL: a result URL's query
may hold a SAS token (the JSON document and the manifest carry the URLs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from batchstat.durations import wait_duration
from batchstat.runtime import Runtime

if TYPE_CHECKING:
    from batchstat.download import JobDownload


class DownloadProgress(Protocol):
    """What a download tells the outside world; called from worker threads."""

    def job_started(self, label: str, files: int, kept: int, folder: str) -> None: ...

    def advanced(self, label: str, size: int) -> None: ...

    def file_done(self, label: str) -> None: ...

    def retrying(self, label: str, file: str, message: str, delay: float) -> None: ...

    def job_finished(self, job: JobDownload) -> None: ...

    def close(self) -> None: ...


def format_size(size: int) -> str:
    """``532 B``, ``1.2 kB``, ``3.4 MB``: decimal units, as Rich and most tools show."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns


def finished_line(job: JobDownload) -> str:
    failed = len(job.failures)
    parts = [f"{job.fetched} saved ({format_size(job.bytes)})"]
    if job.kept:
        parts.append(f"{job.kept} already there")
    if failed:
        parts.append(f"{failed} failed")
    return f"downloaded {job.label}: {', '.join(parts)}, in {job.folder}"


class DownloadLines:
    """Plain lines, for logs: the start and end of each job's download, and retries."""

    def __init__(self, say: Callable[[str], None], *, quiet: bool = False) -> None:
        self.say = say
        self.quiet = quiet

    def job_started(self, label: str, files: int, kept: int, folder: str) -> None:
        if self.quiet or not files:
            return
        already = f" ({kept} already there)" if kept else ""
        self.say(
            f"downloading {label}: {files} file{'s' if files != 1 else ''} to {folder}{already}"
        )

    def advanced(self, label: str, size: int) -> None:
        pass

    def file_done(self, label: str) -> None:
        pass

    def retrying(self, label: str, file: str, message: str, delay: float) -> None:
        if not self.quiet:
            self.say(f"warning: {label}: {file}: {message} Retrying in {wait_duration(delay)}.")

    def job_finished(self, job: JobDownload) -> None:
        if not self.quiet:
            self.say(finished_line(job))

    def close(self) -> None:
        pass


class DownloadBar:
    """A Rich progress bar on stderr: one row per job, files done of all and bytes."""

    def __init__(self, runtime: Runtime) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        columns = runtime.env.get("COLUMNS", "")
        console = Console(
            file=runtime.err,
            width=int(columns) if columns.isdigit() else None,
            force_terminal=True,
            no_color=not runtime.color_on("stderr"),
            highlight=False,
            markup=False,  # labels and file names are text, never markup
            emoji=False,
        )
        self.runtime = runtime
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[size]}", markup=False),
            console=console,
            refresh_per_second=4,
        )
        self.tasks: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}
        self._lock = threading.Lock()
        self.progress.start()

    def _print(self, text: str) -> None:
        self.progress.console.print(self.runtime.scrub(text), markup=False, highlight=False)

    def job_started(self, label: str, files: int, kept: int, folder: str) -> None:
        with self._lock:
            self.sizes[label] = 0
            self.tasks[label] = self.progress.add_task(
                self.runtime.scrub(label), total=files + kept, completed=kept, size="0 B"
            )

    def advanced(self, label: str, size: int) -> None:
        with self._lock:
            self.sizes[label] = total = self.sizes.get(label, 0) + size
            task = self.tasks.get(label)
        if task is not None:
            self.progress.update(task, size=format_size(total))

    def file_done(self, label: str) -> None:
        task = self.tasks.get(label)
        if task is not None:
            self.progress.advance(task)

    def retrying(self, label: str, file: str, message: str, delay: float) -> None:
        self._print(f"warning: {label}: {file}: {message} Retrying in {wait_duration(delay)}.")

    def job_finished(self, job: JobDownload) -> None:
        task = self.tasks.get(job.label)
        if task is not None:
            self.progress.update(task, size=format_size(job.bytes))
        self._print(finished_line(job))

    def close(self) -> None:
        self.progress.refresh()
        self.progress.stop()


def progress_for(
    runtime: Runtime,
    *,
    bar: bool,
    say: Callable[[str], None] | None = None,
    quiet: bool = False,
) -> DownloadProgress:
    """A progress bar (``bar``: stderr is a terminal and nothing else draws there), or
    lines through ``say`` (default ``runtime.say``)."""
    if bar:
        return DownloadBar(runtime)
    return DownloadLines(say or runtime.say, quiet=quiet)


def watch_writer(runtime: Runtime, views: list[Any]) -> Callable[[str], None]:
    """How a watch's download lines are printed: above its live view when it has one
    (which a second bar would garble), else as its line log's, with a timestamp."""
    from batchstat.output.progress import LiveView, iso

    live_view = next((view for view in views if isinstance(view, LiveView)), None)

    def say(text: str) -> None:
        live = live_view.live if live_view is not None else None
        if live is None:
            runtime.say(f"{iso(runtime.clock())} {text}")
        else:
            live.console.print(runtime.scrub(text), markup=False, highlight=False)

    return say
