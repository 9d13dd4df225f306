"""Typed errors and the one exit-code table.

Every failure a user can meet becomes a :class:`BatchstatError` at the edge where it
happens (argument checks, provider adapters); the CLI root prints its one line and hint
and exits with its code. Nothing else in the package decides exit codes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any


class ExitCode:
    """The exit codes, as plain ints (an IntEnum costs ~1 M instructions on every start)."""

    OK = 0
    JOB_FAILED = 1  # the job failed or was cancelled (with --exit-status / watch)
    USAGE = 2  # bad arguments, malformed id, missing configuration: no request sent
    PARTIAL = 3  # the job partially succeeded (with --exit-status / watch)
    NOT_FOUND = 4  # unknown, invalid or expired job
    AUTH = 5  # authentication or permission failure
    TIMEOUT = 6  # gave up waiting (watch --timeout)
    UNAVAILABLE = 7  # service or network unavailable after retries
    PENDING = 8  # the job has not finished yet (get --exit-status)
    INTERNAL = 70  # a bug in batchstat: please report it
    OUTPUT = 74  # the output could not be written (disk full, I/O error)
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM: CI cancelling a step, `timeout`, `kill`


# Worst first: the exit code of a command over several jobs (watch, get with several
# ids) is the worst of theirs.
EXIT_SEVERITY = (
    ExitCode.TERMINATED,
    ExitCode.INTERRUPTED,
    ExitCode.OUTPUT,
    ExitCode.INTERNAL,
    ExitCode.USAGE,  # a setting found wrong only when a job's client was built
    ExitCode.AUTH,
    ExitCode.UNAVAILABLE,
    ExitCode.TIMEOUT,
    ExitCode.NOT_FOUND,
    ExitCode.JOB_FAILED,
    ExitCode.PARTIAL,
    ExitCode.PENDING,  # get --exit-status: something failed already outranks "not yet"
    ExitCode.OK,
)


def worst(codes: Iterable[int]) -> int:
    seen = set(codes)
    ranked = [c for c in EXIT_SEVERITY if c in seen]
    return int(ranked[0]) if ranked else int(ExitCode.OK)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it stops as cleanly as on Ctrl-C."""


class BatchstatError(Exception):
    """An error with a user-facing message, a hint and an exit code."""

    exit_code: int = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def sentence(self) -> str:
        """The message and its hint, as every error line says them."""
        return f"{self.message} Hint: {self.hint}" if self.hint else self.message


class UsageError(BatchstatError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """Missing or invalid credential, endpoint or option: no request was sent."""


class NotFoundError(BatchstatError):
    exit_code = ExitCode.NOT_FOUND


class AuthError(BatchstatError):
    exit_code = ExitCode.AUTH


class UnavailableError(BatchstatError):
    """The service or network failed, after the retries allowed."""

    exit_code = ExitCode.UNAVAILABLE


class TransientError(UnavailableError):
    """A failure worth retrying (throttling, 5xx, timeouts, connection errors).

    ``retry_after`` is the delay the service asked for, in seconds, when it said one.
    Raised by providers inside a retry loop; when the retries run out it reaches the
    user as an :class:`UnavailableError` (exit 7).
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        retry_after: float | None = None,
        throttled: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after
        self.throttled = throttled
        # Nothing answered at all (connection refused, unknown host): a watch gives up
        # on a job whose first polls all end so, rather than watch a host that is not there.
        self.unreachable = unreachable


class OutputError(BatchstatError):
    """stdout (or another stream) refused the output: disk full, I/O error."""

    exit_code = ExitCode.OUTPUT


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret value in ``text`` with ``***``, plain or percent-encoded
    (once or twice, as in Alibaba's string to sign). Request signatures count as secrets
    (``Runtime.ephemeral_secret``).

    The last line of defence: messages from SDKs and servers can echo what was sent
    (Alibaba echoes the string to sign, which holds an STS token).
    """
    known = [s for s in secrets if s and len(s) >= 4]
    if len(text) < 4096:
        # A message: plain replacements. (A pattern per set of secrets would be compiled
        # again for almost every line, the signatures of recent requests changing.)
        for secret in known:
            for variant in _variants(secret):
                if variant in text:
                    text = text.replace(variant, "***")
        return text
    return _pattern(tuple(known)).sub("***", text) if known else text


def redact_document(value: Any, secrets: Iterable[str | None]) -> Any:
    """``value`` (a JSON document) with :func:`redact` applied to every string, and the
    value of any ``Signature`` key replaced: what a server echoes must not reach stdout."""
    known = tuple(s for s in secrets if s and len(s) >= 4)
    pattern = _pattern(known) if known else None

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return pattern.sub("***", node) if pattern is not None else node
        if isinstance(node, dict):
            return {
                key: "***" if key.lower() == "signature" and node[key] else walk(node[key])
                for key in node
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(value)


@functools.lru_cache(maxsize=8)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    variants = {variant for secret in secrets for variant in _variants(secret)}
    return re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))


@functools.lru_cache(maxsize=256)
def _variants(secret: str) -> tuple[str, ...]:
    """The secret as it may be echoed: plain, percent-encoded once or twice, longest first
    (so a longer form is replaced whole before a shorter one inside it)."""
    from urllib.parse import quote

    once = quote(secret, safe="")
    forms = {secret, once, quote(once, safe=""), quote(secret)}
    return tuple(sorted(forms, key=len, reverse=True))
