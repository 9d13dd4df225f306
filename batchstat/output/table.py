"""Tables for people, as plain aligned text: URLs are never truncated or wrapped, no
server text is read as markup, and every value passes the one sanitiser.

On a terminal the output fits its width: only a line holding a URL may be wider. Item
rows that do not fit become one block per item (``field: value`` lines); pipes and
``--wide`` keep the column layout, which scripts parse.
"""

from __future__ import annotations

import os
from typing import IO, Any

from batchstat.errors import redact
from batchstat.model import JobRecord, JobState, Summary
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


def terminal_width(runtime: Runtime, stream: str = "stdout") -> int | None:
    """The width to fit on a terminal (``COLUMNS``, else the terminal's own size); None
    when ``stream`` is not a terminal: pipes keep the column layout scripts parse."""
    if not runtime.is_tty(stream):
        return None
    columns = runtime.env.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    target: Any = runtime.out if stream == "stdout" else runtime.err
    try:
        return os.get_terminal_size(target.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):  # no descriptor, or not a real terminal
        return 80


def text_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: East Asian wide characters take two
    (Alibaba's messages can be Chinese)."""
    if text.isascii():
        return len(text)
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def wrap(words: list[str], width: int, sep: str = " ") -> list[str]:
    """``words`` joined by ``sep`` in lines of at most ``width`` columns. A URL is never
    cut (its line may be wider); any other word longer than a line is split."""
    lines: list[str] = []
    current = ""
    for word in words:
        if current and text_width(current) + len(sep) + text_width(word) <= width:
            current += sep + word
            continue
        if current:
            lines.append(current)
        current = word
        while text_width(current) > width and "://" not in current:
            head = _fit(current, width)
            lines.append(head)
            current = current[len(head) :]
    lines.append(current)
    return lines


def _fit(text: str, width: int) -> str:
    """The longest start of ``text`` (at least one character) within ``width`` columns."""
    end, used = 0, 0
    for char in text:
        used += text_width(char)
        if used > width and end:
            break
        end += 1
    return text[:end]


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


def overview_lines(record: JobRecord, *, color: bool, width: int | None = None) -> list[str]:
    """The job's overview: a title and ``field  value`` lines, no padding past the value.

    Plain text rather than a Rich table: nothing a server sends is ever read as markup,
    and no line is wider than what it holds. With a ``width`` (a terminal), values wrap
    under themselves; a URL is never cut.
    """
    s = record.summary
    counts = [
        f"{name} {_dash(getattr(s, name))}"
        for name in ("total", "succeeded", "failed", "running", "pending", "cancelled")
    ]
    # Each value as its words and their separator: the summary wraps between counts.
    fields: list[tuple[str, list[str], str]] = [
        ("Status", f"{_cell(record.status)} ({record.state})".split(" "), " "),
        ("Created", [_cell(record.created)], " "),
        ("Updated", [_cell(record.updated)], " "),
        ("Summary", counts, "  "),
        ("Characters charged", _charged(s), " "),
    ]
    if record.request_id:
        fields.append(("Request id", [_cell(record.request_id)], " "))
    if record.error:
        fields.append(("Error", format_error(record.error).split(" "), " "))
        if record.error.get("hint"):
            fields.append(("Hint", printable(record.error["hint"]).split(" "), " "))
    label_width = max(len(name) for name, _, _ in fields)
    title = f"{record.provider} job {_cell(record.id)}"
    if record.label:
        title += f" ({_cell(record.label)})"
    lines = [f"{_BOLD}{title}{_RESET}" if color else title]
    indent = " " * (label_width + 2)
    for name, words, sep in fields:
        if width is None:
            values = [sep.join(words)]
        else:
            values = wrap(words, max(16, width - len(indent)), sep)
        if color and name == "Status":
            values = [f"{_STATE_ANSI.get(record.state, '')}{v}{_RESET}" for v in values]
        elif color and name == "Error":
            values = [f"{_ANSI[False]}{v}{_RESET}" for v in values]
        label = name.ljust(label_width)
        if color:
            label = f"{_BOLD}{label}{_RESET}"
        lines.append(f"{label}  {values[0]}")
        lines.extend(indent + value for value in values[1:])
    return lines


def _charged(summary: Summary) -> list[str]:
    """The job's total; the documents' own sum beside it when the two differ."""
    job, documents = summary.characters_charged, summary.characters_charged_documents
    if documents is None or documents == job:
        return [_dash(job)]
    return f"{_dash(job)} (job), {documents} (sum of the documents)".split(" ")


def error_cell(error: dict[str, Any] | None) -> str:
    """An error and its hint, in one cell."""
    text = format_error(error)
    if error and error.get("hint"):
        text += f" Hint: {printable(error['hint'])}"
    return text


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
            error_cell(item.error),
        ]
        rows.append(row)
    return header, rows


def write_items(record: JobRecord, out: IO[str], *, color: bool, width: int | None = None) -> None:
    """The per-item table as plain aligned columns, streamed line by line; with a
    ``width`` (a terminal) that the widest row exceeds, one block per item instead.

    Not a Rich table: 10,000 rows must print faster than they were fetched, and a URL is
    never cut or wrapped, whatever the width.
    """
    header, rows = item_rows(record)
    widths = [len(h) for h in header]
    for row in rows:
        for index, text in enumerate(row):
            size = text_width(text)
            if size > widths[index]:
                widths[index] = size
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        write_item_records(record, out, color=color, width=width)
        return
    last = len(header) - 1

    def line(cells: list[str], status_ok: bool | None = None) -> str:
        parts = []
        for index, text in enumerate(cells):
            padded = text if index == last else _pad(text, widths[index])
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


def write_item_records(record: JobRecord, out: IO[str], *, color: bool, width: int) -> None:
    """One block per item, for a terminal too narrow for the columns::

        document 1 · Failed
          source: https://...
          result: -
          to:     fr
          error:  InvalidRequest: ... (inner: ...)
          hint:   A file of the same name is already in the target container, ...

    URLs are never cut (their line may be wider); an error wraps under itself.
    """
    spec = provider(record.provider)
    labels = ["source", "result", *(title.lower() for title, _ in spec.item_columns), "error"]
    label_width = max(len(label) for label in labels) + 1  # and its colon
    indent = " " * (2 + label_width + 1)
    chunk: list[str] = []
    for item in record.items or []:
        status = _cell(item.status)
        if color and item.ok is not None:
            status = _ANSI[item.ok] + status + _RESET
        values = [_cell(item.source_url), _cell(item.result_url)]
        values += [_cell(item.extra.get(key)) for _, key in spec.item_columns]
        block = [f"{spec.noun} {_cell(item.id)} · {status}"]
        for label, value in zip(labels[:-1], values, strict=True):
            block.append(f"  {(label + ':').ljust(label_width)} {value}")
        error = format_error(item.error)
        if error:
            lines = wrap(error.split(" "), max(16, width - len(indent)))
            if color:
                lines = [_ANSI[False] + text + _RESET for text in lines]
            block.append(f"  {'error:'.ljust(label_width)} {lines[0]}")
            block.extend(indent + text for text in lines[1:])
        hint = printable(item.error["hint"]) if item.error and item.error.get("hint") else ""
        if hint:
            lines = wrap(hint.split(" "), max(16, width - len(indent)))
            block.append(f"  {'hint:'.ljust(label_width)} {lines[0]}")
            block.extend(indent + text for text in lines[1:])
        chunk.append("\n".join(block) + "\n")
        if len(chunk) >= 200:
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


def print_job(record: JobRecord, runtime: Runtime, *, wide: bool = False) -> None:
    """The overview and the items; ``wide`` keeps the item columns whatever the width."""
    color = runtime.color
    width = terminal_width(runtime)
    out: Any = _Redacting(runtime.out, runtime.all_secrets)
    out.write("\n".join(overview_lines(record, color=color, width=width)) + "\n")
    if record.items:
        out.write("\n")
        write_items(record, out, color=color, width=None if wide else width)


def print_jobs(records: list[JobRecord], runtime: Runtime, *, wide: bool = False) -> None:
    for index, record in enumerate(records):
        if index:
            runtime.out.write("\n")
        print_job(record, runtime, wide=wide)


def job_list_rows(records: list[JobRecord]) -> tuple[list[str], list[list[str]]]:
    """The job list (``list``): one row per job, its error and hint last."""
    nouns = {provider(record.provider).noun for record in records}
    noun = nouns.pop() if len(nouns) == 1 else "item"
    header = ["JOB", "STATUS", "CREATED", f"{noun.upper()}S", "FAILED", "ERROR"]
    rows = [
        [
            _cell(record.id),
            _cell(record.status),
            _cell(record.created),
            _cell(record.summary.total),
            _cell(record.summary.failed),
            error_cell(record.error),
        ]
        for record in records
    ]
    return header, rows


def print_job_list(records: list[JobRecord], runtime: Runtime, *, wide: bool = False) -> None:
    """The job list as aligned columns; on a terminal narrower than its widest row (and
    without ``wide``), one block per job instead."""
    color = runtime.color
    width = None if wide else terminal_width(runtime)
    out: Any = _Redacting(runtime.out, runtime.all_secrets)
    header, rows = job_list_rows(records)
    widths = [max(text_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        _write_job_blocks(records, header, rows, out, color=color, width=width)
        return
    last = len(header) - 1

    def line(cells: list[str], state: str | None = None) -> str:
        parts = []
        for index, text in enumerate(cells):
            padded = text if index == last else _pad(text, widths[index])
            if index == 1 and color and state is not None:
                padded = _STATE_ANSI.get(state, "") + padded + _RESET
            parts.append(padded)
        return "  ".join(parts).rstrip() + "\n"

    lines = [line(row, record.state) for record, row in zip(records, rows, strict=True)]
    out.write(line(header) + "".join(lines))


def _write_job_blocks(
    records: list[JobRecord],
    header: list[str],
    rows: list[list[str]],
    out: Any,
    *,
    color: bool,
    width: int,
) -> None:
    """One block per job, for a terminal too narrow for the columns: a title line
    (``job ID · STATUS (state)``), then ``created:``, ``documents:``, ``failed:`` and,
    when the job has one, its ``error:`` and ``hint:``, wrapped under themselves."""
    labels = [title.lower() + ":" for title in header[2:5]] + ["error:", "hint:"]
    label_width = max(len(label) for label in labels)
    indent = " " * (2 + label_width + 1)
    for index, (record, row) in enumerate(zip(records, rows, strict=True)):
        status = f"{row[1]} ({record.state})"
        if color:
            status = _STATE_ANSI.get(record.state, "") + status + _RESET
        block = [f"job {row[0]} · {status}"]
        for label, value in zip(labels[:3], row[2:5], strict=True):
            block.append(f"  {label.ljust(label_width)} {value}")
        error = record.error or {}
        for label, value in (
            ("error:", format_error(record.error)),
            ("hint:", printable(error["hint"]) if error.get("hint") else ""),
        ):
            if value:
                lines = wrap(value.split(" "), max(16, width - len(indent)))
                block.append(f"  {label.ljust(label_width)} {lines[0]}")
                block.extend(indent + text for text in lines[1:])
        out.write(("\n" if index else "") + "\n".join(block) + "\n")
