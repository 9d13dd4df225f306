"""Shared fixtures: a real emulator on loopback, and the real CLI run in-process with an
injected runtime (environment, fake clock and sleep, captured streams)."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from batchstat.cli import run
from batchstat.emulator import Emulator, FakeClock
from batchstat.runtime import Runtime

ALIBABA_KEY_ID = "LTAI5tTestKeyId"
ALIBABA_SECRET = "alibaba-test-secret-value"
AZURE_KEY = "azure-test-key-0123456789"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    sleeps: list[float] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(autouse=True)
def _no_history_in_the_users_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run as subprocesses inherit os.environ: keep them from adding test jobs to
    the real history of job ids (tests that want one point BATCHSTAT_HISTORY at tmp_path)."""
    monkeypatch.setenv("BATCHSTAT_HISTORY", "0")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[Emulator]:
    emu = Emulator(
        clock=clock,
        alibaba_credentials={ALIBABA_KEY_ID: ALIBABA_SECRET},
        alibaba_sts={"STS.TestKeyId": ("sts-test-secret-value", "sts-token-value-xyz")},
        azure_keys=(AZURE_KEY,),
    )
    # The SDKs sign with the real clock while tests move the fake one by hours:
    # the skew check has its own tests in tests/emulator.
    emu.alibaba.max_timestamp_skew = None
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def base_env(emulator: Emulator) -> dict[str, str]:
    return {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ALIBABA_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ALIBABA_SECRET,
        "BATCHSTAT_ALIBABA_ENDPOINT": emulator.base_url,
        "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": emulator.base_url,
        "AZURE_DOCUMENT_TRANSLATION_KEY": AZURE_KEY,
    }


class Cli:
    """Runs ``batchstat`` in-process through the same ``run()`` as the console script."""

    def __init__(
        self,
        emulator: Emulator,
        clock: FakeClock,
        extra_sleep: Callable[[float], None] | None = None,
        workers: int = 0,
    ) -> None:
        self.emulator = emulator
        self.clock = clock
        self.extra_sleep = extra_sleep
        self.workers = workers

    def with_workers(self, workers: int) -> Cli:
        """The same CLI with watch's poll threads on (inline polling is the default)."""
        return Cli(self.emulator, self.clock, self.extra_sleep, workers)

    def with_sleep(self, extra_sleep: Callable[[float], None]) -> Cli:
        """The same CLI, calling ``extra_sleep`` on every wait (e.g. to raise Ctrl-C)."""
        return Cli(self.emulator, self.clock, extra_sleep, self.workers)

    def __call__(
        self,
        *argv: str,
        env: dict[str, str | None] | None = None,
        stdin: str | None = None,
        stdout_tty: bool = False,
        stderr_tty: bool = False,
    ) -> CliResult:
        merged: dict[str, str] = base_env(self.emulator)
        for key, value in (env or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        out, err = io.StringIO(), io.StringIO()
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if self.extra_sleep is not None:
                self.extra_sleep(seconds)
            self.clock.advance(seconds)

        runtime = Runtime(
            env=merged,
            clock=self.clock,
            sleep=sleep,
            rng=random.Random(7),
            stdout=out,
            stderr=err,
            stdin=io.StringIO(stdin) if stdin is not None else None,
            stdout_tty=stdout_tty,
            stderr_tty=stderr_tty,
            watch_workers=self.workers,
        )
        code = run(list(argv), runtime)
        return CliResult(code, out.getvalue(), err.getvalue(), sleeps)


@pytest.fixture
def cli(emulator: Emulator, clock: FakeClock) -> Cli:
    return Cli(emulator, clock)


@pytest.fixture
def cli_env(emulator: Emulator) -> dict[str, str]:
    """The environment the ``cli`` fixture runs with (credentials included)."""
    return base_env(emulator)
