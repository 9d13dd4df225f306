"""The one JSON path: every command's machine output goes through here."""

from __future__ import annotations

import json
from typing import IO, Any

from batchstat.errors import UsageError


def compile_query(expression: str | None) -> Any:
    """Compile a JMESPath expression up front, so a typo is a usage error before any request."""
    if expression is None:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as err:
        first = str(err).splitlines()[0] if str(err) else "invalid expression"
        raise UsageError(
            f"--query: {expression!r} is not a valid JMESPath expression: {first}"
        ) from None


def apply_query(document: Any, query: Any) -> Any:
    """``document`` after ``--query``. A function given the wrong type (``length`` of a
    number, ``sort_by`` of an object) is the expression's fault: a usage error."""
    if query is None:
        return document
    from jmespath.exceptions import JMESPathError, JMESPathTypeError

    try:
        return query.search(document)
    except JMESPathError as err:
        if isinstance(err, JMESPathTypeError):  # not its text: that quotes the whole value
            expected = " or ".join(err.expected_types)
            first = f"{err.function_name}() expects {expected}, got {err.actual_type}"
        else:
            first = str(err).splitlines()[0] if str(err) else "it does not apply"
        raise UsageError(
            f"--query: {query.expression!r} does not fit the JSON document: {first}",
            "See the README's JSON document section for its fields.",
        ) from None


def dumps(document: Any, *, pretty: bool = True) -> str:
    if pretty:
        return json.dumps(document, indent=2, ensure_ascii=False)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def write_json(document: Any, out: IO[str], *, query: Any = None) -> None:
    """Print ``document`` (after ``--query``). A bare string prints as itself, like ``10``."""
    result = apply_query(document, query)
    if query is not None and isinstance(result, str):
        out.write(result + "\n")
        return
    # Streamed in pieces: a 10,000-document job is megabytes of JSON, and one big string
    # would double the peak memory.
    chunk: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(result):
        chunk.append(piece)
        size += len(piece)
        if size >= 65536:
            out.write("".join(chunk))
            chunk.clear()
            size = 0
    chunk.append("\n")
    out.write("".join(chunk))
