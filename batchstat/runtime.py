"""What a command needs from the outside world, in one injectable object.

Streams, environment, clock, sleep and randomness come from here and nowhere else, so
tests run the real commands with a fake clock and their own environment.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

from batchstat.errors import ExitCode, OutputError, Terminated, redact
from batchstat.text import printable

if TYPE_CHECKING:
    import random


class Runtime:
    """Injected environment, clock, sleep, randomness and streams (a plain class: a
    dataclass costs measurable start-up time in a CLI that runs in loops)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        stdout: IO[str] | None = None,  # None: sys.stdout at the time of use
        stderr: IO[str] | None = None,
        stdout_tty: bool | None = None,  # tests force the terminal paths; None: detect
        stderr_tty: bool | None = None,
        stdin: IO[str] | None = None,  # None: sys.stdin
        watch_workers: int = 8,  # watch's poll threads; 0 polls inline (exact under a fake clock)
        debug: bool = False,
        no_color: bool = False,  # --no-color
        ca_bundle: str | None = None,  # --ca-bundle (see endpoints.ca_bundle)
        profile: str | None = None,  # --profile (see config.py)
        key_file: str | None = None,  # --key-file, --secret-file (see credentials.py)
        secret_file: str | None = None,
        secrets: list[str] | None = None,
        on_request: Callable[[Any], int] | None = None,
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.clock = clock
        self.sleep = sleep
        self._rng = rng
        self.stdout = stdout
        self.stderr = stderr
        self.stdout_tty = stdout_tty
        self.stderr_tty = stderr_tty
        self.stdin = stdin
        self.watch_workers = watch_workers
        self.debug = debug
        self.no_color = no_color
        self.ca_bundle = ca_bundle
        self.profile = profile
        self.key_file = key_file
        self.secret_file = secret_file
        # Secrets seen while resolving credentials: scrubbed from every message we print.
        self.secrets: list[str] = [] if secrets is None else secrets
        # The signatures of the last requests (a server may echo them): scrubbed too.
        self.recent_secrets: deque[str] = deque(maxlen=16)
        # Tests of flag parsing: a command hands its request object here instead of
        # running it (GitHub CLI's runF), so no SDK and no server are involved.
        self.on_request = on_request

    @property
    def rng(self) -> random.Random:
        if self._rng is None:
            import random

            self._rng = random.Random()
        return self._rng

    def replace(self, **changes: Any) -> Runtime:
        """A copy with some attributes changed; the secrets list is the copy's own."""
        clone = object.__new__(Runtime)
        clone.__dict__.update(
            self.__dict__,
            secrets=list(self.secrets),
            recent_secrets=deque(self.recent_secrets, maxlen=16),
        )
        for name, value in changes.items():
            if name not in clone.__dict__:
                raise TypeError(f"Runtime has no setting {name!r}")
            setattr(clone, name, value)
        return clone

    def dispatch(self, request: Any, run: Callable[[Any, Runtime], int]) -> int:
        """Run a command's request, or hand it to ``on_request`` (tests of flag parsing)."""
        if self.on_request is not None:
            return self.on_request(request)
        try:
            return run(request, self)
        except KeyboardInterrupt as stop:  # here: Typer would turn it into a silent 130
            if isinstance(stop, Terminated):
                self.say("terminated")
                return ExitCode.TERMINATED
            self.say("interrupted")
            return ExitCode.INTERRUPTED

    def input_lines(self) -> IO[str]:
        """Standard input (``watch -``)."""
        return sys.stdin if self.stdin is None else self.stdin

    def say(self, text: str) -> None:
        """One line on stderr: every message batchstat prints goes through here, scrubbed
        of the secrets in use and of anything a terminal would interpret (a newline in
        server text becomes a space, so it cannot forge a line). A closed or full stderr
        loses the message, never the exit code or the data on stdout."""
        self._write_err(self.scrub(text) + "\n")

    def say_lines(self, text: str) -> None:
        """batchstat's own multi-line text (help for the real clouds, a --debug traceback),
        each line scrubbed as :meth:`say` does."""
        self._write_err("".join(self.scrub(line) + "\n" for line in text.split("\n")))

    def _write_err(self, text: str) -> None:
        try:
            self.err.write(text)
            self.err.flush()
        except (OSError, ValueError):
            pass

    def scrub(self, text: str) -> str:
        """One line of ``text``, printable and without the secrets in use. ``##[`` is
        broken up: GitHub's runner reads its older workflow commands (``##[error]``)
        anywhere in a log line, and a server's text must not give the runner orders."""
        line = printable(redact(text, self.all_secrets))
        return line.replace("##[", "# #[") if "##[" in line else line

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
        """Colour on stdout (see :meth:`color_on`)."""
        return self.color_on("stdout")

    def color_on(self, stream: str) -> bool:
        """Colour on ``stream``, as users of CLI tools expect: never with ``--no-color``
        or ``NO_COLOR`` (any non-empty value, no-color.org); always with ``FORCE_COLOR``
        (non-empty, not ``0``), even through a pipe; else only on a terminal that is
        not ``TERM=dumb``."""
        if self.no_color or self.env.get("NO_COLOR"):
            return False
        force = self.env.get("FORCE_COLOR", "")
        if force and force != "0":
            return True
        return self.is_tty(stream) and self.env.get("TERM") != "dumb"

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

    def ephemeral_secret(self, value: str) -> None:
        """A secret of one request (its signature): kept among the last 16 only."""
        if value:
            self.recent_secrets.append(value)

    @property
    def all_secrets(self) -> list[str]:
        return [*self.secrets, *self.recent_secrets]

    def redact_document(self, document: Any) -> Any:
        """A JSON document without any secret in use (servers can echo them)."""
        from batchstat.errors import redact_document

        return redact_document(document, self.all_secrets)


class StdoutClosed(Exception):
    """The reader of stdout went away (``| head``). Not an OSError on purpose: Typer turns
    a broken pipe into exit 1, while batchstat ends quietly."""


class _PipeGuard:
    """A stdout wrapper: a broken pipe becomes :class:`StdoutClosed`, any other write
    failure (disk full) an :class:`OutputError`."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise StdoutClosed from None
        except OSError as err:
            raise output_error(err) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise StdoutClosed from None
        except OSError as err:
            raise output_error(err) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def output_error(err: OSError) -> OutputError:
    """A write to stdout that failed for a reason other than a closed pipe."""
    return OutputError(
        f"cannot write the output: {err.strerror or err}.",
        "Check the free space and where standard output goes.",
    )
