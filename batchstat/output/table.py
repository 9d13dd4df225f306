"""Rich tables for people. URLs are never truncated or wrapped: the console is made as
wide as the table needs, whatever the terminal or pipe width."""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING, Any

from batchstat.model import JobRecord, JobState
from batchstat.providers import provider
from batchstat.runtime import Runtime

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

STATE_STYLES = {
    JobState.PENDING: "yellow",
    JobState.RUNNING: "cyan",
    JobState.SUCCEEDED: "green",
    JobState.PARTIALLY_SUCCEEDED: "yellow",
    JobState.FAILED: "red",
    JobState.CANCELLED: "magenta",
    JobState.NOT_FOUND: "red",
}


def _console(runtime: Runtime) -> Console:
    from rich.console import Console

    color = runtime.color
    return Console(
        file=runtime.out,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        width=100_000,  # narrowed per table in _print_unwrapped
        soft_wrap=False,
    )


def _print_unwrapped(console: Console, renderable: RenderableType) -> None:
    needed = console.measure(renderable).maximum
    console.width = max(needed, 1)
    console.print(renderable)
    console.width = 100_000


def _dash(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def format_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    parts = [p for p in (error.get("code"), error.get("message")) if p not in (None, "")]
    text = ": ".join(str(p) for p in parts)
    inner = error.get("inner_error")
    if inner:
        text += f" (inner: {format_error(inner)})"
    return text


def job_overview(record: JobRecord) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        show_header=False,
        box=None,
        pad_edge=False,
        title_justify="left",
        title=Text(f"{record.provider} job {record.id}", style="bold"),
    )
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", no_wrap=True, overflow="ignore")
    style = STATE_STYLES.get(record.state, "")
    table.add_row("Status", Text(f"{record.status} ({record.state})", style=style))
    table.add_row("Created", _dash(record.created))
    table.add_row("Updated", _dash(record.updated))
    s = record.summary
    counts = (
        f"total {_dash(s.total)}  succeeded {_dash(s.succeeded)}  failed {_dash(s.failed)}  "
        f"running {_dash(s.running)}  pending {_dash(s.pending)}  cancelled {_dash(s.cancelled)}"
    )
    table.add_row("Summary", counts)
    table.add_row("Characters charged", _dash(s.characters_charged))
    if record.request_id:
        table.add_row("Request id", record.request_id)
    if record.error:
        table.add_row("Error", Text(format_error(record.error), style="red"))
    return table


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_ANSI = {True: "\x1b[32m", False: "\x1b[31m"}
_RESET = "\x1b[0m"


def _cell(value: Any) -> str:
    """One line of plain text: control characters from a service (newlines, escape
    sequences) never reach the terminal."""
    return _CONTROL.sub(" ", _dash(value))


def item_rows(record: JobRecord) -> tuple[list[str], list[list[str]]]:
    """The item table: the provider's noun and its extra columns come from the registry."""
    spec = provider(record.provider)
    header = [spec.noun.upper(), "STATUS"]
    header += [title for title, _ in spec.item_columns]
    header += ["SOURCE URL", "RESULT URL", "ERROR"]
    rows = []
    for item in record.items or []:
        row = [_cell(item.id), _cell(item.status)]
        row += [_cell(item.extra.get(key)) for _, key in spec.item_columns]
        row += [
            _cell(item.source_url),
            _cell(item.result_url),
            _CONTROL.sub(" ", format_error(item.error)),
        ]
        rows.append(row)
    return header, rows


def write_items(record: JobRecord, out: IO[str], *, color: bool) -> None:
    """The per-item table as plain aligned columns, streamed line by line.

    Not a Rich table: 10,000 rows must print faster than they were fetched, and a URL is
    never cut or wrapped, whatever the width.
    """
    header, rows = item_rows(record)
    widths = [len(h) for h in header]
    for row in rows:
        for index, text in enumerate(row):
            if len(text) > widths[index]:
                widths[index] = len(text)
    last = len(header) - 1

    def line(cells: list[str], status_ok: bool | None = None) -> str:
        parts = []
        for index, text in enumerate(cells):
            padded = text if index == last else text.ljust(widths[index])
            if index == 1 and color and status_ok is not None:
                padded = _ANSI[status_ok] + padded + _RESET
            parts.append(padded)
        return "  ".join(parts).rstrip() + "\n"

    out.write(line(header))
    chunk: list[str] = []
    for item, row in zip(record.items or [], rows, strict=True):
        chunk.append(line(row, item.ok))
        if len(chunk) >= 500:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))


def print_job(record: JobRecord, runtime: Runtime, console: Console | None = None) -> None:
    console = console or _console(runtime)
    _print_unwrapped(console, job_overview(record))
    if record.items:
        console.print()
        console.file.flush()
        write_items(record, runtime.out, color=runtime.color)


def print_jobs(records: list[JobRecord], runtime: Runtime) -> None:
    console = _console(runtime)
    for index, record in enumerate(records):
        if index:
            console.print()
        print_job(record, runtime, console)
