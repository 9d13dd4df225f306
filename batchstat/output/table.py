"""Rich tables for people. URLs are never truncated or wrapped: the console is made as
wide as the table needs, whatever the terminal or pipe width."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batchstat.model import JobRecord, JobState
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


def job_overview(record: JobRecord, runtime: Runtime) -> RenderableType:
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
    table.add_row("Status", Text(f"{record.status} ({record.state.value})", style=style))
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


def items_table(record: JobRecord) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    label = "Image" if record.provider == "alibaba" else "Document"
    table = Table(title_justify="left", show_lines=False)
    table.add_column(label, no_wrap=True, overflow="ignore")
    table.add_column("Status", no_wrap=True)
    if record.provider == "azure":
        table.add_column("To", no_wrap=True)
    table.add_column("Source URL", no_wrap=True, overflow="ignore")
    table.add_column("Result URL", no_wrap=True, overflow="ignore")
    table.add_column("Error", no_wrap=True, overflow="ignore")
    for item in record.items or []:
        style = "green" if item.ok else ("red" if item.ok is False else "")
        row: list[Any] = [Text(item.id), Text(item.status, style=style)]
        if record.provider == "azure":
            row.append(_dash(item.extra.get("target_language")))
        row += [
            Text(_dash(item.source_url)),
            Text(_dash(item.result_url)),
            Text(format_error(item.error), style="red"),
        ]
        table.add_row(*row)
    return table


def print_job(record: JobRecord, runtime: Runtime, console: Console | None = None) -> None:
    console = console or _console(runtime)
    _print_unwrapped(console, job_overview(record, runtime))
    if record.items:
        console.print()
        _print_unwrapped(console, items_table(record))


def print_jobs(records: list[JobRecord], runtime: Runtime) -> None:
    console = _console(runtime)
    for index, record in enumerate(records):
        if index:
            console.print()
        print_job(record, runtime, console)
