"""Output formats in one place: what ``-o`` offers, for ``get`` and ``watch`` alike.

A command hands over what it has (one or several :class:`Shown` jobs); the format
decides how it looks. ``--query`` applies to the JSON document of each format that
prints documents, and turns ``table`` into ``json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from batchstat.model import JobRecord
from batchstat.runtime import Runtime


class Shown:
    """One job as output sees it: its record (None when no status was ever read), its
    JSON document, and the one line to print when there is no record to show."""

    __slots__ = ("_document", "error", "record")

    def __init__(
        self,
        record: JobRecord | None,
        document: Callable[[], dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> None:
        self.record = record
        self._document = document
        self.error = error

    def document(self) -> dict[str, Any]:
        if self._document is not None:
            return self._document()
        assert self.record is not None
        return self.record.to_dict()


if TYPE_CHECKING:  # a Protocol class costs start-up time; only mypy reads it
    from typing import Protocol

    class Writer(Protocol):
        def __call__(
            self,
            results: Sequence[Shown],
            runtime: Runtime,
            query: Any,
            many: bool,
            *,
            wide: bool = False,
        ) -> None: ...


class Format:
    """``write(results, runtime, query, many, wide=...)``: ``many`` is false for one job
    asked for by itself (``get ID``), which prints a document rather than an array;
    ``wide`` (``--wide``) keeps a table's columns whatever the terminal's width.
    ``streams``: the format prints each change as it happens (``watch``), not at the end.
    """

    __slots__ = ("help", "name", "streams", "write")

    def __init__(self, name: str, help: str, write: Writer, *, streams: bool = False) -> None:
        self.name = name
        self.help = help
        self.write = write
        self.streams = streams


def _write_table(
    results: Sequence[Shown], runtime: Runtime, query: Any, many: bool, *, wide: bool = False
) -> None:
    from batchstat.output.table import print_jobs

    print_jobs([r.record for r in results if r.record is not None], runtime, wide=wide)
    for result in results:
        if result.record is None and result.error:
            runtime.say(result.error)  # a message, not data: stderr


def _write_json(
    results: Sequence[Shown], runtime: Runtime, query: Any, many: bool, *, wide: bool = False
) -> None:
    from batchstat.output.jsondoc import write_json

    documents = [runtime.redact_document(r.document()) for r in results]
    write_json(documents if many else documents[0], runtime.out, query=query)


def _write_ndjson(
    results: Sequence[Shown], runtime: Runtime, query: Any, many: bool, *, wide: bool = False
) -> None:
    for result in results:
        write_line(result.document(), runtime, query)


def write_line(document: dict[str, Any], runtime: Runtime, query: Any) -> None:
    """One compact JSON line (after ``--query``), flushed: an NDJSON record or event."""
    from batchstat.output.jsondoc import apply_query, dumps

    value = apply_query(runtime.redact_document(document), query)
    runtime.out.write((value if isinstance(value, str) else dumps(value, pretty=False)) + "\n")
    runtime.out.flush()


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("table", "tables for people", _write_table),
        Format("json", "one JSON document (an array for several jobs)", _write_json),
        Format(
            "ndjson",
            "one JSON object per line (watch: per state change)",
            _write_ndjson,
            streams=True,
        ),
    )
}


def choose(name: str, query: Any) -> Format:
    """The format to use: ``--query`` implies JSON when the table was asked for."""
    if query is not None and name == "table":
        name = "json"
    return FORMATS[name]


def write(
    name: str,
    results: Sequence[Shown],
    runtime: Runtime,
    *,
    query: Any = None,
    many: bool,
    wide: bool = False,
) -> None:
    choose(name, query).write(results, runtime, query, many, wide=wide)


def write_listing(
    name: str,
    records: Sequence[JobRecord],
    runtime: Runtime,
    *,
    query: Any = None,
    wide: bool = False,
) -> None:
    """A list of jobs (``list``): in a table one row per job (``no jobs`` on stderr when
    there are none); in JSON an array of their documents, in NDJSON one line each."""
    fmt = choose(name, query)
    if fmt.name == "table":
        if not records:
            runtime.say("no jobs")
            return
        from batchstat.output.table import print_job_list

        print_job_list(list(records), runtime, wide=wide)
        return
    fmt.write([Shown(record) for record in records], runtime, query, True, wide=wide)
