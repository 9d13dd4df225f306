"""What a command needs from the outside world, in one injectable object.

Streams, environment, clock, sleep and randomness come from here and nowhere else, so
tests run the real commands with a fake clock and their own environment.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any


@dataclass
class Runtime:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    stdout: IO[str] | None = None  # None: sys.stdout at the time of use
    stderr: IO[str] | None = None
    # Tests force the terminal code paths with these; None means detect.
    stdout_tty: bool | None = None
    stderr_tty: bool | None = None
    stdin: IO[str] | None = None  # None: sys.stdin
    # watch's poll threads; 0 polls inline (exact under a fake clock, used by tests).
    watch_workers: int = 8
    debug: bool = False
    # Secrets seen while resolving credentials: scrubbed from every message we print.
    secrets: list[str] = field(default_factory=list)

    @property
    def out(self) -> IO[str]:
        return _PipeGuard(self.stdout if self.stdout is not None else sys.stdout)  # type: ignore[return-value]

    @property
    def err(self) -> IO[str]:
        return self.stderr if self.stderr is not None else sys.stderr

    def is_tty(self, stream: str) -> bool:
        forced = self.stdout_tty if stream == "stdout" else self.stderr_tty
        if forced is not None:
            return forced
        target: Any = self.out if stream == "stdout" else self.err
        try:
            return bool(target.isatty())
        except (AttributeError, ValueError):
            return False

    @property
    def color(self) -> bool:
        """Colour on stdout: only on a terminal, never with NO_COLOR set."""
        return self.is_tty("stdout") and not self.env.get("NO_COLOR")

    def quiet_logger(self, name: str) -> None:
        """Keep an SDK's own log lines (which can echo what was signed) off the user's
        stderr; ``--debug`` lets them through."""
        import logging

        logger = logging.getLogger(name)
        if not self.debug:
            logger.addHandler(logging.NullHandler())
            logger.propagate = False

    def secret(self, value: str | None) -> str | None:
        if value:
            self.secrets.append(value)
        return value


class StdoutClosed(Exception):
    """The reader of stdout went away (``| head``). Not an OSError on purpose: Typer turns
    a broken pipe into exit 1, while batchstat ends quietly."""


class _PipeGuard:
    """A stdout wrapper that turns a broken pipe into :class:`StdoutClosed`."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise StdoutClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise StdoutClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
