"""Tables for people, as plain aligned text: URLs are never truncated or wrapped, no
server text is read as markup, and every value passes the one sanitiser."""

from __future__ import annotations

from typing import IO, Any

from batchstat.errors import redact
from batchstat.model import JobRecord, JobState
from batchstat.providers import provider
from batchstat.runtime import Runtime
from batchstat.text import printable

STATE_STYLES = {
    JobState.PENDING: "yellow",
    JobState.RUNNING: "cyan",
    JobState.SUCCEEDED: "green",
    JobState.PARTIALLY_SUCCEEDED: "yellow",
    JobState.FAILED: "red",
    JobState.CANCELLED: "magenta",
    JobState.NOT_FOUND: "red",
}


def _dash(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _cell(value: Any) -> str:
    """One line of text a terminal shows as it is (see ``batchstat.text``)."""
    return printable(_dash(value))


def format_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    parts = [p for p in (error.get("code"), error.get("message")) if p not in (None, "")]
    text = ": ".join(str(p) for p in parts)
    inner = error.get("inner_error")
    if isinstance(inner, dict) and inner:
        text += f" (inner: {format_error(inner)})"
    return printable(text)


_STATE_ANSI = {
    JobState.PENDING: "\x1b[33m",
    JobState.RUNNING: "\x1b[36m",
    JobState.SUCCEEDED: "\x1b[32m",
    JobState.PARTIALLY_SUCCEEDED: "\x1b[33m",
    JobState.FAILED: "\x1b[31m",
    JobState.CANCELLED: "\x1b[35m",
    JobState.NOT_FOUND: "\x1b[31m",
}
_BOLD = "\x1b[1m"
_ANSI = {True: "\x1b[32m", False: "\x1b[31m"}
_RESET = "\x1b[0m"


def overview_lines(record: JobRecord, *, color: bool) -> list[str]:
    """The job's overview: a title and ``field  value`` lines, no padding past the value.

    Plain text rather than a Rich table: nothing a server sends is ever read as markup,
    and no line is wider than what it holds.
    """
    s = record.summary
    fields = [
        ("Status", f"{_cell(record.status)} ({record.state})"),
        ("Created", _cell(record.created)),
        ("Updated", _cell(record.updated)),
        (
            "Summary",
            f"total {_dash(s.total)}  succeeded {_dash(s.succeeded)}  failed {_dash(s.failed)}  "
            f"running {_dash(s.running)}  pending {_dash(s.pending)}  "
            f"cancelled {_dash(s.cancelled)}",
        ),
        ("Characters charged", _dash(s.characters_charged)),
    ]
    if record.request_id:
        fields.append(("Request id", _cell(record.request_id)))
    if record.error:
        fields.append(("Error", format_error(record.error)))
    width = max(len(name) for name, _ in fields)
    title = f"{record.provider} job {_cell(record.id)}"
    lines = [f"{_BOLD}{title}{_RESET}" if color else title]
    for name, value in fields:
        label = name.ljust(width)
        if color:
            label = f"{_BOLD}{label}{_RESET}"
            if name == "Status":
                value = f"{_STATE_ANSI.get(record.state, '')}{value}{_RESET}"
            elif name == "Error":
                value = f"{_ANSI[False]}{value}{_RESET}"
        lines.append(f"{label}  {value}")
    return lines


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
            format_error(item.error),
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


class _Redacting:
    """Writes whole lines with the secrets in use replaced (servers can echo them)."""

    def __init__(self, out: IO[str], secrets: list[str]) -> None:
        self._out = out
        self._secrets = secrets

    def write(self, text: str) -> int:
        return self._out.write(redact(text, self._secrets))


def print_job(record: JobRecord, runtime: Runtime) -> None:
    color = runtime.color
    out: Any = _Redacting(runtime.out, runtime.all_secrets)
    out.write("\n".join(overview_lines(record, color=color)) + "\n")
    if record.items:
        out.write("\n")
        write_items(record, out, color=color)


def print_jobs(records: list[JobRecord], runtime: Runtime) -> None:
    for index, record in enumerate(records):
        if index:
            runtime.out.write("\n")
        print_job(record, runtime)
