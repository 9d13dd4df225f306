"""What a server's answer must be before anything reads it: strict JSON, bounded in size,
of the expected shape. Every violation is the service's fault (exit 7, retried like any
transient failure), never an internal error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from batchstat.errors import TransientError

# Generous bounds: a status answer is a few KiB, a page of 100 documents about 60 KiB.
DEFAULT_MAX_BODY_MB = 16
DEFAULT_MAX_PAGES = 10_000  # 1,000,000 documents at 100 a page
ENV_MAX_BODY_MB = "BATCHSTAT_MAX_BODY_MB"
ENV_MAX_PAGES = "BATCHSTAT_MAX_PAGES"


class MalformedError(TransientError):
    """The answer was not what the API documents (not JSON, a wrong shape, a bad number)."""


def limit(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole-number bound from ``env[name]``, else ``default``."""
    value = (env.get(name) or "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return default


def max_body_bytes(env: Mapping[str, str]) -> int:
    return limit(env, ENV_MAX_BODY_MB, DEFAULT_MAX_BODY_MB) * 1024 * 1024


def max_pages(env: Mapping[str, str]) -> int:
    return limit(env, ENV_MAX_PAGES, DEFAULT_MAX_PAGES)


def too_large(service: str, size: int | None, env: Mapping[str, str]) -> MalformedError:
    mb = limit(env, ENV_MAX_BODY_MB, DEFAULT_MAX_BODY_MB)
    said = f" ({size:,} bytes)" if size else ""
    return MalformedError(
        f"{service} sent an answer larger than {mb} MiB{said}; stopped reading it.",
        f"Raise the bound with {ENV_MAX_BODY_MB} if the answer is genuine.",
    )


def bounded_body_hook(
    service: str, env: Mapping[str, str], on_headers: Callable[[Any], None] | None = None
) -> Any:
    """A requests response hook (for the session under an SDK) that reads the body itself,
    at most ``max_body_bytes`` of it: a bigger answer raises :class:`MalformedError`
    instead of filling memory. The hook runs before requests would read the body; what it
    read becomes the response's content, as requests' own reading would have made it.
    ``on_headers`` sees each answer's headers first."""
    limit = max_body_bytes(env)

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if on_headers is not None:  # for an SDK whose errors keep no headers
            on_headers(response.headers)
        declared = str(response.headers.get("Content-Length") or "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise too_large(service, int(declared), env)
        parts: list[bytes] = []
        size = 0
        # iter_content turns the transport's failures into requests' own exceptions,
        # which the SDKs already know how to report.
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > limit:
                response.close()
                raise too_large(service, None, env)
            parts.append(chunk)
        response._content = b"".join(parts)  # requests' own cache of the body
        return response

    return hook


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def loads(text: str | bytes, service: str) -> Any:
    """Strict JSON: no NaN or Infinity, no number that overflows a float."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedError(f"{service} answered with a body that is not JSON.") from None


def malformed(service: str, what: str) -> MalformedError:
    return MalformedError(f"{service} answered with a malformed body: {what}.")


def count(value: Any, field: str, service: str) -> int | None:
    """A count: absent or null is unknown; otherwise a whole number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise malformed(service, f"{field} is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise malformed(service, f"{field} is not a whole number")
        value = int(value)
    if value < 0:
        raise malformed(service, f"{field} is negative")
    return value


def text(value: Any, field: str, service: str) -> str | None:
    """A string field: absent, null or empty is None; a number is its decimal form."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise malformed(service, f"{field} is not a string")


def mapping(value: Any, field: str, service: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(service, f"{field} is not an object")
    return value


def array(value: Any, field: str, service: str) -> list[Any]:
    """A list; absent or null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(service, f"{field} is not a list")
    return value
