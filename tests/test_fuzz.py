"""Fuzzing the real CLI with hypothesis: arguments, and response bodies over HTTP.

Promises under test (tracker):
- whatever the arguments and whatever a server answers, batchstat exits with a documented
  code (never 70, internal error), prints at most one ``error:`` line and no traceback;
- what a server sends reaches no terminal raw: no escape character, carriage return or
  bidi override on stderr or in ``-o table`` output (nor, on a terminal, in the live view);
- ``-o json`` and ``-o ndjson`` stay strict JSON (no NaN or Infinity).

Bodies reach the real SDKs over HTTP through the emulator's ``body`` fault. Each test
starts one emulator (a fake clock keeps retries and polls instant) and runs its examples
against it, clearing faults between examples. Runs are derandomized and write no example
database, so CI sees the same examples every time. Shrinking is off by default to keep
the file fast; ``BATCHSTAT_FUZZ_SHRINK=1`` turns it on to minimise a new failure, which
then belongs in the test's ``@example`` list (where the known ones already are).
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import re
import signal
import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from batchstat.cli import run
from batchstat.emulator import AlibabaImage, AzureDocument, Emulator, FakeClock, Fault, Stage
from batchstat.runtime import Runtime

KEY_ID = "LTAI5tFuzzKeyId"
SECRET = "fuzz-alibaba-secret"
AZURE_KEY = "fuzz-azure-key"
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 74, 130, 143}
TRACEBACK = "Traceback (most recent call last)"
# Never on stderr nor in a table: escapes (7- and 8-bit), CR, backspace, bidi override.
TERMINAL_MARKERS = ("\x1b", "\x9b", "\r", "\b", "\u202e")
# The live view (stderr on a terminal) draws with its own escapes and CRs: there, look for
# what only a server could have put (OSC links, screen clears, bidi, a CR not redrawing).
LIVE_MARKERS = ("\x1b]", "\x1b[2J", "\x9b", "\b", "\u202e", "\x00")
LIVE_CR = re.compile("\r(?!\x1b\\[2K)")
MAX_SLEEPS = 20_000  # a command sleeping this often under a fake clock is looping
WALL_LIMIT = 30  # seconds of real time one run may take before it counts as hung

SHRINK = os.environ.get("BATCHSTAT_FUZZ_SHRINK") == "1"
PHASES = [Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])]


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=PHASES,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Hung(BaseException):
    """From the fake sleep or a wall-clock alarm: a BaseException, so batchstat's own
    error boundary cannot turn a hang into an exit code."""


@dataclass
class Result:
    argv: list[str]
    code: int
    stdout: str
    stderr: str


class Harness:
    """One emulator on loopback, a fake clock, and the real CLI run in-process.

    Arguments, environment values and stdin may hold placeholders: ``{emu}`` (the
    emulator's URL), ``{task}`` / ``{job}`` (finished jobs), ``{task-partial}`` /
    ``{job-partial}`` (finished with a failure), and ``{running-task}`` /
    ``{running-job}``, each occurrence a new job still running at its first poll.
    """

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.emulator = Emulator(
            clock=self.clock, alibaba_credentials={KEY_ID: SECRET}, azure_keys=(AZURE_KEY,)
        )
        self.emulator.alibaba.max_timestamp_skew = None  # the SDK signs with the real clock
        self.names: dict[str, str] = {}

    def start(self) -> None:
        emu = self.emulator
        emu.start()
        self.names = {
            "{emu}": emu.base_url,
            "{task}": emu.alibaba.add_job(
                images=["https://img.example/a.png"], stages=[Stage("finished")]
            ),
            "{task-partial}": emu.alibaba.add_job(
                images=[
                    "https://img.example/a.png",
                    AlibabaImage("https://img.example/b.png", success=False, code=107, message="x"),
                ],
                stages=[Stage("finished")],
            ),
            "{job}": emu.azure.add_job(
                documents=["https://s.example/a.docx"], stages=[Stage("Succeeded")]
            ),
            "{job-partial}": emu.azure.add_job(
                documents=[
                    "https://s.example/a.docx",
                    AzureDocument("https://s.example/b.docx", status="Failed"),
                ],
                stages=[Stage("Succeeded")],
            ),
        }

    def expand(self, text: str) -> str:
        for name, value in self.names.items():
            text = text.replace(name, value)
        while "{running-task}" in text:
            task = self.emulator.alibaba.add_job(
                images=["https://img.example/a.png"],
                stages=[Stage("running", polls=1), Stage("finished")],
            )
            text = text.replace("{running-task}", task, 1)
        while "{running-job}" in text:
            job = self.emulator.azure.add_job(
                documents=["https://s.example/a.docx"],
                stages=[Stage("Running", polls=1), Stage("Succeeded")],
            )
            text = text.replace("{running-job}", job, 1)
        return text

    def env(self) -> dict[str, str]:
        return {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
            "BATCHSTAT_ALIBABA_ENDPOINT": self.emulator.base_url,
            "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": self.emulator.base_url,
            "AZURE_DOCUMENT_TRANSLATION_KEY": AZURE_KEY,
        }

    def reset(self) -> None:
        self.emulator.faults.clear()
        self.emulator.requests_clear()

    def serve(
        self,
        provider: str,
        body: str,
        status: int = 200,
        where: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """``body`` verbatim for the next requests to ``provider`` (at most 6 of them, so a
        watch ends on the real answer behind)."""
        fault = Fault(
            provider=provider,
            kind="body",
            body=body,
            status=status,
            times=6,
            path_contains=where,
            retry_after=retry_after,
        )
        self.emulator.faults.add(fault)

    def sleep_function(self) -> Any:
        count = 0

        def sleep(seconds: float) -> None:
            # Refuse what time.sleep refuses, then move the fake clock.
            nonlocal count
            count += 1
            if count > MAX_SLEEPS:
                raise Hung(f"more than {MAX_SLEEPS} sleeps: the command does not end")
            if math.isnan(seconds):
                raise ValueError("Invalid value NaN (not a number)")
            if seconds < 0:
                raise ValueError("sleep length must be non-negative")
            if seconds > 9.2e9:
                raise OverflowError("timestamp too large to convert to C _PyTime_t")
            self.clock.advance(seconds)

        return sleep

    def run(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str | None] | None = None,
        stdin: str | None = None,
        stderr_tty: bool = False,
    ) -> Result:
        argv = [self.expand(arg) for arg in argv]
        merged = self.env()
        for name, value in (env or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = self.expand(value)
        out, err = io.StringIO(), io.StringIO()
        runtime = Runtime(
            env=merged,
            clock=self.clock,
            sleep=self.sleep_function(),
            rng=random.Random(7),
            stdout=out,
            stderr=err,
            stdin=io.StringIO(self.expand(stdin or "")),
            stdout_tty=False,
            stderr_tty=stderr_tty,
            watch_workers=0,
        )

        def alarm(signum: int, frame: Any) -> None:
            raise Hung(f"one run took more than {WALL_LIMIT} s of real time: {argv!r}")

        # What reaches the process's own streams (Click's help, logging's last resort)
        # counts as stdout and stderr too.
        sys_out, sys_err = io.StringIO(), io.StringIO()
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, WALL_LIMIT)
        try:
            with redirect_stdout(sys_out), redirect_stderr(sys_err):
                code = run(list(argv), runtime)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        stdout = out.getvalue() + sys_out.getvalue()
        return Result(argv, code, stdout, err.getvalue() + sys_err.getvalue())


@contextmanager
def harness() -> Iterator[Harness]:
    h = Harness()
    h.start()
    try:
        yield h
    finally:
        h.emulator.stop()


# --- the promises, as assertions ------------------------------------------------------


def check_contract(result: Result) -> None:
    """A documented exit code, one error line at most (per job), no traceback: every run."""
    where = f"argv={result.argv!r} exit={result.code} stderr={result.stderr[-400:]!r}"
    assert result.code != 70, f"internal error (exit 70): {where}"
    assert result.code in DOCUMENTED_EXIT_CODES, f"undocumented exit code: {where}"
    assert TRACEBACK not in result.stdout, f"traceback on stdout: {where}"
    assert TRACEBACK not in result.stderr, f"traceback on stderr: {where}"
    error_lines = [line for line in result.stderr.split("\n") if line.startswith("error:")]
    # One line per job a `get` of several ids could not read; one at most otherwise.
    jobs = 1
    if result.argv[1:2] == ["get"]:
        jobs = max(1, len([a for a in result.argv[2:] if not a.startswith("-")]))
    assert len(error_lines) <= jobs, f"{len(error_lines)} error lines: {where}"


def check_terminal(result: Result, output: str, live: bool) -> None:
    """What a server sent reaches no terminal raw: stderr, tables, the live view."""
    where = f"argv={result.argv!r} exit={result.code}"
    if live:
        for marker in LIVE_MARKERS:
            assert marker not in result.stderr, f"{marker!r} in the live view: {where}"
        assert not LIVE_CR.search(result.stderr), f"a bare CR in the live view: {where}"
    else:
        for marker in TERMINAL_MARKERS:
            assert marker not in result.stderr, f"{marker!r} on stderr: {where}"
    if output == "table":
        for marker in TERMINAL_MARKERS:
            assert marker not in result.stdout, f"{marker!r} in the table: {where}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """json.loads without Python's NaN / Infinity extensions."""
    return json.loads(text, parse_constant=_reject_constant)


def check_json(result: Result, output: str) -> None:
    """``-o json`` is one strict JSON document, ``-o ndjson`` one per line."""
    where = f"argv={result.argv!r} exit={result.code}"
    if output == "json" and result.stdout.strip():
        try:
            strict_json(result.stdout)
        except ValueError as err:
            raise AssertionError(f"-o json is not JSON ({err}): {where}") from None
    if output == "ndjson":
        for line in result.stdout.split("\n"):  # NDJSON lines end at \n only
            if line:
                try:
                    strict_json(line)
                except ValueError as err:
                    raise AssertionError(f"-o ndjson line is not JSON ({err}): {where}") from None


# --- argument strategies --------------------------------------------------------------


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four, else ``bad``: most runs get past parsing and reach
    the server, the rest probe the parser."""
    return st.integers(0, 3).flatmap(lambda n: bad if n == 3 else good)


short_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=24)
GOOD_DURATIONS = ["0", "5s", "1ms", "90", "1.5m", "1h30m", "2h", "0.001", "30s", "10000h"]
BAD_DURATIONS = [
    "inf", "nan", "-1", "-5s", "1e400", "1e-300", "", " ", "s", "5x", "5 s", "1h1h",
    "999999999999h", "1e308", "0x10", "\x1b[31m", "Infinity", "-0",
]  # fmt: skip
durations = mostly(
    st.sampled_from(GOOD_DURATIONS),
    st.one_of(
        st.sampled_from(BAD_DURATIONS), st.text(alphabet="0123456789.smh -+eEinfa", max_size=10)
    ),
)
GOOD_QUERIES = [
    "summary.failed", "items[?ok].result_url", "state", "raw", "[0]", "[].state", "@",
    "length(items)", "items[0].error.message", "[].summary", "id", "summary.total",
    "to_number(id)", "max_by(items, &id)", "sort_by(@, &id)", "not_null(error, `1`)",
    "`null`", '`"x"`', "`1.5`", "`[]`", "{a: state}", "raw.Data.Result[0]",
    "abs(summary.failed)", "keys(@)", "join(',', @)", "items[*].error",
]  # fmt: skip
BAD_QUERIES = ["", "[", "foo(", "`{`", "a..b", "@@", "&", "'", "\x1b[31m", "[?", "items[?"]
queries = mostly(
    st.sampled_from(GOOD_QUERIES),
    st.one_of(
        st.sampled_from(BAD_QUERIES),
        st.text(
            alphabet=string.ascii_letters + string.digits + "[]{}?.*@|&!=<>'\"`()-:, _$",
            max_size=30,
        ),
        short_text,
    ),
)
# No resolvable remote https host among them: the fuzz must never reach the network.
GOOD_ENDPOINTS = ["{emu}", "{emu}/", "{emu}/translator"]
BAD_ENDPOINTS = [
    "{emu}/translator/", "http://127.0.0.1:1", "http://127.0.0.1:0", "http://127.0.0.1:99999",
    "http://localhost:1", "http://[::1]:1", "ftp://127.0.0.1", "http://", "https://", "", " ",
    "127.0.0.1:1", "http://[::1", "http://user:pw@127.0.0.1:1", "http://example.com",
    "\x1b[31m", "http://127.0.0.1:1/a?b#c", "http://127.0.0.1:abc",
]  # fmt: skip
endpoints = mostly(st.sampled_from(GOOD_ENDPOINTS), st.sampled_from(BAD_ENDPOINTS))
outputs = mostly(
    st.sampled_from(["table", "json", "ndjson"]),
    st.sampled_from(["TABLE", "Json", "xml", "", "-", "yaml"]),
)
small_ints = mostly(
    st.integers(min_value=0, max_value=3).map(str),
    st.sampled_from(["-1", "-3", "", "x", "1.5", "1e3", "21", "99999999999999999999", " 2"]),
)
rates = mostly(
    st.sampled_from(["0", "1", "3", "0.5", "100"]),
    st.one_of(
        st.sampled_from(["-1", "nan", "inf", "-inf", "1e-9", "1e-300", "1e400", "x", ""]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    ),
)
api_versions = mostly(
    st.sampled_from(["2024-05-01", "2026-03-01"]),
    st.one_of(st.sampled_from(["2020-01-01", "", "latest"]), short_text),
)
regions = mostly(
    st.sampled_from(["cn-hangzhou", "ap-southeast-1", "us-west-1", "cn-shanghai"]),
    st.one_of(st.sampled_from(["", "CN HANGZHOU", "a" * 200, "cn-hangzhou\n"]), short_text),
)
junk = st.sampled_from(
    [["--bogus"], ["-x"], ["--"], [""], ["-"], ["--help"], ["--version"], ["--debug"]]
)
alibaba_ids = mostly(
    st.one_of(
        st.sampled_from(["{task}", "{task-partial}", "{running-task}"]),
        st.uuids().map(lambda u: str(u).upper()),
    ),
    st.one_of(
        st.sampled_from(["", " ", "-", "--", "-x", "x" * 257, "x" * 256, "a b", "é", "%s"]),
        short_text,
    ),
)
azure_ids = mostly(
    st.one_of(st.sampled_from(["{job}", "{job-partial}", "{running-job}"]), st.uuids().map(str)),
    st.one_of(
        st.uuids().map(lambda u: "{" + str(u).upper() + "}"),
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(lambda u: f" {u} "),
        st.sampled_from(["", " ", "-", "--", "not-a-uuid", "x" * 300]),
        short_text,
    ),
)
watch_targets = mostly(
    st.one_of(alibaba_ids.map(lambda i: f"alibaba:{i}"), azure_ids.map(lambda i: f"azure:{i}")),
    st.one_of(
        st.sampled_from(["-", "alibaba:", "azure:", ":x", "aws:x", "ALIBABA:x", "alibaba", ""]),
        st.tuples(short_text, short_text).map(lambda t: f"{t[0]}:{t[1]}"),
        short_text,
    ),
)


def positionals(ids: st.SearchStrategy[str], most: int = 1) -> st.SearchStrategy[list[str]]:
    """Usually the right number of positional arguments, sometimes none or too many."""
    return mostly(
        st.lists(ids, min_size=1, max_size=most), st.lists(ids, min_size=0, max_size=most + 2)
    )


@st.composite
def command_line(
    draw: st.DrawFn,
    prefix: list[str],
    args: st.SearchStrategy[list[str]],
    options: st.SearchStrategy[list[str]],
) -> list[str]:
    """``prefix``, then options and positional arguments in any order; junk sometimes."""
    chosen = draw(st.lists(options, max_size=5))
    if draw(st.integers(0, 7)) == 7:
        chosen.append(draw(junk))
    pieces: list[list[str]] = [*chosen, *([a] for a in draw(args))]
    pieces = draw(st.permutations(pieces))
    head = ["--debug"] if draw(st.booleans()) else []
    return [*head, *prefix, *(item for piece in pieces for item in piece)]


ENV_NAMES = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "AZURE_DOCUMENT_TRANSLATION_KEY", "AZURE_DOCUMENT_TRANSLATION_ENDPOINT",
    "BATCHSTAT_ALIBABA_ENDPOINT", "ALIBABA_CLOUD_REGION_ID", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "AZURE_DOCUMENT_TRANSLATION_REGION", "NO_COLOR",
]  # fmt: skip
env_changes = mostly(
    st.just({}),
    st.dictionaries(
        st.sampled_from(ENV_NAMES),
        st.one_of(st.none(), st.just(""), endpoints, short_text),
        max_size=2,
    ),
)


def option(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return values.map(lambda v: [flag, v])


def flag(*flags: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[f] for f in flags])


# --- 1a. arguments --------------------------------------------------------------------

ALIBABA_GET = command_line(
    ["alibaba", "get"],
    positionals(alibaba_ids),
    st.one_of(
        option("--region", regions),
        option("--endpoint", endpoints),
        option("-o", outputs),
        option("--output", outputs),
        option("--query", queries),
        flag("--exit-status"),
        option("--retries", small_ints),
    ),
)
AZURE_GET = command_line(
    ["azure", "get"],
    positionals(azure_ids),
    st.one_of(
        option("--endpoint", endpoints),
        option("--api-version", api_versions),
        option("-o", outputs),
        option("--query", queries),
        flag("--exit-status", "--documents", "--no-documents"),
        option("--retries", small_ints),
    ),
)
WATCH = command_line(
    ["watch"],
    positionals(watch_targets, most=3),
    st.one_of(
        option("--interval", durations),
        option("--timeout", durations),
        option("--stall-warning", durations),
        option("-o", outputs),
        option("--query", queries),
        flag("-q", "--quiet"),
        option("--max-errors", small_ints),
        option("--alibaba-rate", rates),
        option("--azure-rate", rates),
        option("--alibaba-endpoint", endpoints),
        option("--azure-endpoint", endpoints),
        option("--region", regions),
        option("--api-version", api_versions),
    ),
)
JMESPATH_TYPE_ERROR = (
    "a --query whose JMESPath function gets the wrong type (sort_by/join/length on the "
    "document) raises JMESPathTypeError: exit 70 instead of a usage error"
)


def test_fuzz_alibaba_get_arguments() -> None:
    with harness() as h:

        @fuzz(200)
        @example(argv=["alibaba", "get", "{task}", "--query", "sort_by(@, &id)"], env={})
        @given(argv=ALIBABA_GET, env=env_changes)
        def alibaba_get_arguments(argv: list[str], env: dict[str, str | None]) -> None:
            h.reset()
            check_contract(h.run(argv, env=env))

        alibaba_get_arguments()


def test_fuzz_azure_get_arguments() -> None:
    with harness() as h:

        @fuzz(200)
        @example(argv=["azure", "get", "{job}", "--query", "join(',', @)"], env={})
        @given(argv=AZURE_GET, env=env_changes)
        def azure_get_arguments(argv: list[str], env: dict[str, str | None]) -> None:
            h.reset()
            check_contract(h.run(argv, env=env))

        azure_get_arguments()


def test_fuzz_watch_arguments() -> None:
    with harness() as h:

        @fuzz(200)
        @example(argv=["watch", "alibaba:{running-task}", "--interval", "inf"], env={}, stdin=None)
        @example(argv=["watch", "alibaba:{task}", "--query", "length(items)"], env={}, stdin=None)
        @given(
            argv=WATCH,
            env=env_changes,
            stdin=st.one_of(
                st.none(),
                st.lists(
                    st.one_of(watch_targets, st.sampled_from(["", "# c", "  "])), max_size=3
                ).map("\n".join),
            ),
        )
        def watch_arguments(argv: list[str], env: dict[str, str | None], stdin: str | None) -> None:
            h.reset()
            check_contract(h.run(argv, env=env, stdin=stdin))

        watch_arguments()


# --- 1b. response bodies --------------------------------------------------------------


class Raw:
    """A JSON token written verbatim (NaN, Infinity, 1e400: what json.dumps cannot say)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text!r})"


def dump(value: Any) -> str:
    """JSON text of ``value``, with Raw tokens verbatim."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


OSC_LINK = "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\"
HOSTILE_STRINGS = [
    "\x1b[31mred", OSC_LINK, "ok\rFORGED", "ab\bc", "\u202eevil", "[/x]",
    "[link=http://evil]x[/link]", "line\nerror: forged", "\x1b[2J\x1b[H", "\x9b31m", "",
    " ", "\x00", "%s%n{0}", "\x07", "L" * 20_000, "\x1b[31m" * 500,
]  # fmt: skip
SPECIAL_VALUES: list[Any] = [
    Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e400"), Raw("-1e400"), Raw("-0"),
    -1, 0, 2**64, 1.5, True, False, None, [], {}, [None], ["\x1b[31m"], {"\x1b[31m": "\u202e"},
]  # fmt: skip
hostile = st.one_of(
    st.sampled_from(HOSTILE_STRINGS), st.sampled_from(SPECIAL_VALUES), st.text(max_size=12)
)


def field(valid: Any) -> st.SearchStrategy[Any]:
    """Mostly the real value, sometimes a hostile one."""
    return mostly(st.just(valid), hostile)


KNOWN_KEYS = [
    "Code", "Message", "RequestId", "Data", "Status", "Result", "Success", "SourceImageUrl",
    "FinalImageUrl", "status", "summary", "value", "error", "id", "innerError", "code",
    "message", "nextLink", "@nextLink", "total", "failed", "success", "path", "sourcePath",
]  # fmt: skip
arbitrary_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from(HOSTILE_STRINGS[:10]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=20,
)
STATUSES = [200, 200, 200, 200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 503]
RETRY_AFTERS = [
    "", "abc", "-5", "0", "2", "inf", "nan", "1e309", "99999999999", " 3 ", "\u0663",
    "\x1b[31m", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
]  # fmt: skip
retry_afters = mostly(st.none(), st.sampled_from(RETRY_AFTERS))


def alibaba_result_entry(index: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "SourceImageUrl": field(f"https://img.example/{index}.png"),
            "FinalImageUrl": field(f"https://img.example/out/{index}.png"),
            "InPaintingUrl": field(f"https://img.example/inp/{index}.png"),
            "TemplateJson": field('{"TemplateJson": "t"}'),
            "Code": field(200 if index % 2 else 107),
            "Message": field("OK"),
            "Success": field(bool(index % 2)),
        }
    )


alibaba_shapes = st.fixed_dictionaries(
    {
        "Code": mostly(
            st.sampled_from([200, "200"]),
            st.one_of(st.sampled_from([101, "110", "999", "Throttling"]), hostile),
        ),
        "Message": field("OK"),
        "RequestId": field("EFFA795E-73BC-4086-BC26-899AD36150BE"),
        "Data": mostly(
            st.fixed_dictionaries(
                {
                    "Status": mostly(
                        st.sampled_from(["finished", "running", "created", "invalid"]), hostile
                    ),
                    "Result": mostly(
                        st.lists(st.integers(1, 4).flatmap(alibaba_result_entry), max_size=3),
                        hostile,
                    ),
                }
            ),
            hostile,
        ),
    }
)
azure_error = st.one_of(
    st.none(),
    hostile,
    st.fixed_dictionaries(
        {
            "code": field("InvalidRequest"),
            "message": field("Target document file already exists."),
            "target": field("Document"),
            "innerError": mostly(
                st.fixed_dictionaries(
                    {"code": field("TargetFileAlreadyExists"), "message": field("m")}
                ),
                hostile,
            ),
        }
    ),
)
AZURE_JOB_STATUSES = [
    "Succeeded", "Running", "NotStarted", "Failed", "ValidationFailed", "Cancelled", "Cancelling",
]  # fmt: skip
AZURE_SUMMARY = {
    "total": 2, "failed": 1, "success": 1, "inProgress": 0, "notYetStarted": 0, "cancelled": 0,
    "totalCharacterCharged": 120,
}  # fmt: skip
azure_status_shapes = st.fixed_dictionaries(
    {
        "id": field("{job}"),
        "createdDateTimeUtc": field("2026-03-26T00:00:00.0000000Z"),
        "lastActionDateTimeUtc": field("2026-03-26T01:00:00.0000000Z"),
        "status": mostly(st.sampled_from(AZURE_JOB_STATUSES), hostile),
        "summary": mostly(
            st.fixed_dictionaries({name: field(v) for name, v in AZURE_SUMMARY.items()}), hostile
        ),
    },
    optional={"error": azure_error},
)
azure_document_shapes = st.fixed_dictionaries(
    {
        "path": field("http://127.0.0.1:1/files/azure/x/d.docx"),
        "sourcePath": field("https://s.example/a.docx"),
        "createdDateTimeUtc": field("2026-03-26T00:00:00.0000000Z"),
        "lastActionDateTimeUtc": field("2026-03-26T01:00:00.0000000Z"),
        "status": mostly(st.sampled_from(["Succeeded", "Failed", "Running"]), hostile),
        "to": field("fr"),
        "progress": field(1.0),
        "id": field("de6289b4-1e5c-48bc-b5b7-1c271b54329c"),
        "characterCharged": field(120),
    },
    optional={"error": azure_error},
)
# Page links: never a resolvable remote host (the fuzz must not reach the network).
NEXT_LINKS: list[Any] = [None, 5, [], {}, "", "\x1b[31m", "?$skip=1\r", "not a url", OSC_LINK]
azure_page_shapes = st.fixed_dictionaries(
    {"value": mostly(st.lists(azure_document_shapes, max_size=3), hostile)},
    optional={"nextLink": st.sampled_from(NEXT_LINKS), "@nextLink": st.sampled_from(NEXT_LINKS)},
)


def top_level(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The shape, sometimes in a list or replaced by a bare value."""
    return mostly(
        shape, st.one_of(shape.map(lambda v: [v]), st.sampled_from([[], [1], "x", 1, None, {}]))
    )


# (argv, output format, stderr on a terminal)
Command = tuple[list[str], str, bool]
WATCH_FLAGS = ["--interval", "1s", "--timeout", "2m", "--max-errors", "2"]
ALIBABA_COMMANDS: list[Command] = [
    (["alibaba", "get", "{task}", "--retries", "1"], "table", False),
    (["alibaba", "get", "{task}", "--retries", "1", "-o", "json"], "json", False),
    (["alibaba", "get", "{task}", "--retries", "1", "--exit-status"], "table", False),
    (["--debug", "alibaba", "get", "{task}", "--retries", "0", "-o", "json"], "json", False),
    (["watch", "alibaba:{task}", *WATCH_FLAGS], "table", False),
    (["watch", "alibaba:{task}", *WATCH_FLAGS, "-o", "json"], "json", False),
    (["watch", "alibaba:{task}", *WATCH_FLAGS, "-o", "ndjson"], "ndjson", False),
    (["watch", "alibaba:{task}", *WATCH_FLAGS, "-q"], "table", False),
    (["watch", "alibaba:{task}", *WATCH_FLAGS], "table", True),
]
AZURE_COMMANDS: list[Command] = [
    (["azure", "get", "{job}", "--retries", "1"], "table", False),
    (["azure", "get", "{job}", "--retries", "1", "-o", "json"], "json", False),
    (["azure", "get", "{job}", "--retries", "1", "--exit-status"], "table", False),
    (["azure", "get", "{job}", "--retries", "1", "--no-documents"], "table", False),
    (["--debug", "azure", "get", "{job}", "--retries", "0", "-o", "json"], "json", False),
    (["watch", "azure:{job}", *WATCH_FLAGS], "table", False),
    (["watch", "azure:{job}", *WATCH_FLAGS, "-o", "json"], "json", False),
    (["watch", "azure:{job}", *WATCH_FLAGS, "-o", "ndjson"], "ndjson", False),
    (["watch", "azure:{job}", *WATCH_FLAGS], "table", True),
]
NO_ERROR = (400, {"error": None})  # the error body of examples that serve none
AZURE_STATUS_ONLY = "{job}?"  # path_contains: the status request, not the document pages
AZURE_DOCUMENTS = "/documents"


def check(promise: str, result: Result, output: str, live: bool) -> None:
    """One promise per test, so a bug against one cannot hide a bug against another
    (hypothesis stops exploring at its first failure)."""
    if promise == "exit_code":
        check_contract(result)
    elif promise == "terminal":
        check_terminal(result, output, live)
    else:
        check_json(result, output)


MALFORMED_EXIT_70 = (
    "a malformed body (null, a number, a list, a string in place of the object) ends in "
    "an internal error (exit 70: TypeError/AttributeError) instead of exit 7"
)
NAN_IN_JSON = (
    "NaN/Infinity from the body are written into -o json / ndjson (raw and fields): not valid JSON"
)
BAD_NUMBERS_EXIT_70 = (
    "a malformed status body exits 70: [] (AttributeError), a summary count NaN (ValueError) "
    "or -1e400 (OverflowError) in int(), a document characterCharged 'x' (ValueError)"
)


def promises(**reasons: str) -> Any:
    """The promise parameter, each known failure marked xfail with its bug."""
    return pytest.mark.parametrize(
        "promise",
        [
            pytest.param(p, marks=pytest.mark.xfail(strict=False, reason=reasons[p]))
            if p in reasons
            else p
            for p in ("exit_code", "terminal", "json")
        ],
    )


def alibaba_cmd(index: int) -> Command:
    return ALIBABA_COMMANDS[index]


def azure_cmd(index: int) -> Command:
    return AZURE_COMMANDS[index]


@promises()
def test_fuzz_alibaba_arbitrary_json_bodies(promise: str) -> None:
    with harness() as h:

        @fuzz(100)
        @example(value=None, status=400, retry_after=None, command=alibaba_cmd(0))
        @given(
            value=arbitrary_json,
            status=st.sampled_from(STATUSES),
            retry_after=retry_afters,
            command=st.sampled_from(ALIBABA_COMMANDS),
        )
        def alibaba_arbitrary_json(
            value: Any, status: int, retry_after: str | None, command: Command
        ) -> None:
            h.reset()
            h.serve("alibaba", dump(value), status, retry_after=retry_after)
            argv, output, live = command
            check(promise, h.run(argv, stderr_tty=live), output, live)

        alibaba_arbitrary_json()


RETRY_AFTER_EXIT_70 = (
    "a Retry-After of inf, 1e309, 99999999999 or year 9999 is slept as is: time.sleep "
    "raises OverflowError, exit 70 (and a malformed body, as for Alibaba, exits 70)"
)


@promises()
def test_fuzz_azure_arbitrary_json_bodies(promise: str) -> None:
    with harness() as h:

        @fuzz(100)
        @example(
            value=None, status=200, where=AZURE_STATUS_ONLY, retry_after=None, command=azure_cmd(0)
        )
        @example(
            value={}, status=503, where=AZURE_STATUS_ONLY, retry_after="inf", command=azure_cmd(0)
        )
        @example(
            value={},
            status=200,
            where=AZURE_STATUS_ONLY,
            retry_after="99999999999",
            command=(["watch", "azure:{job}"], "table", False),
        )
        @given(
            value=arbitrary_json,
            status=st.sampled_from(STATUSES),
            where=st.sampled_from([AZURE_STATUS_ONLY, AZURE_DOCUMENTS, None]),
            retry_after=retry_afters,
            command=st.sampled_from(AZURE_COMMANDS),
        )
        def azure_arbitrary_json(
            value: Any, status: int, where: str | None, retry_after: str | None, command: Command
        ) -> None:
            h.reset()
            where = h.expand(where) if where else None
            h.serve("azure", dump(value), status, where, retry_after)
            argv, output, live = command
            check(promise, h.run(argv, stderr_tty=live), output, live)

        azure_arbitrary_json()


def _alibaba_body(**entry: Any) -> dict[str, Any]:
    image = {"SourceImageUrl": "https://img.example/1.png", "Code": 200, "Message": "OK"}
    return {
        "Code": 200,
        "Message": "OK",
        "RequestId": "r",
        "Data": {"Status": "finished", "Result": [{**image, "Success": True, **entry}]},
    }


@promises()
def test_fuzz_alibaba_hostile_values_in_real_shapes(promise: str) -> None:
    with harness() as h:

        @fuzz(100)
        @example(value=1, status=400, command=alibaba_cmd(0))
        @example(value=_alibaba_body(Success=Raw("NaN")), status=200, command=alibaba_cmd(1))
        @example(value=_alibaba_body(Success=Raw("NaN")), status=200, command=alibaba_cmd(6))
        @given(
            value=top_level(alibaba_shapes),
            status=st.sampled_from([200, 200, 200, 400, 500]),
            command=st.sampled_from(ALIBABA_COMMANDS),
        )
        def alibaba_hostile_shape(value: Any, status: int, command: Command) -> None:
            h.reset()
            h.serve("alibaba", dump(value), status)
            argv, output, live = command
            check(promise, h.run(argv, stderr_tty=live), output, live)

        alibaba_hostile_shape()


AZURE_DOCUMENT = {
    "path": "http://127.0.0.1:1/files/azure/x/d.docx",
    "sourcePath": "https://s.example/a.docx",
    "createdDateTimeUtc": "2026-03-26T00:00:00.0000000Z",
    "lastActionDateTimeUtc": "2026-03-26T01:00:00.0000000Z",
    "status": "Succeeded",
    "to": "fr",
    "progress": 1.0,
    "id": "de6289b4-1e5c-48bc-b5b7-1c271b54329c",
    "characterCharged": 120,
}


def _azure_status(**changes: Any) -> dict[str, Any]:
    return {
        "id": "{job}",
        "createdDateTimeUtc": "2026-03-26T00:00:00.0000000Z",
        "lastActionDateTimeUtc": "2026-03-26T01:00:00.0000000Z",
        "status": "Succeeded",
        "summary": dict(AZURE_SUMMARY),
        **changes,
    }


@promises()
def test_fuzz_azure_hostile_values_in_real_shapes(promise: str) -> None:
    with harness() as h:
        page = {"value": []}

        @fuzz(100)
        @example(
            status_body=[], page_body=page, where="status", error=NO_ERROR, command=azure_cmd(0)
        )
        @example(
            status_body=_azure_status(summary={**AZURE_SUMMARY, "failed": Raw("NaN")}),
            page_body=page,
            where="status",
            error=NO_ERROR,
            command=azure_cmd(0),
        )
        @example(
            status_body=_azure_status(summary={**AZURE_SUMMARY, "success": Raw("-1e400")}),
            page_body=page,
            where="status",
            error=NO_ERROR,
            command=azure_cmd(0),
        )
        @example(
            status_body=_azure_status(summary={**AZURE_SUMMARY, "totalCharacterCharged": 0}),
            page_body={"value": [{**AZURE_DOCUMENT, "characterCharged": "x"}]},
            where="both",
            error=NO_ERROR,
            command=azure_cmd(0),
        )
        @example(
            status_body=_azure_status(status=Raw("NaN")),
            page_body=page,
            where="status",
            error=NO_ERROR,
            command=azure_cmd(1),
        )
        @example(
            status_body=_azure_status(status=Raw("NaN")),
            page_body=page,
            where="status",
            error=NO_ERROR,
            command=azure_cmd(7),
        )
        @given(
            status_body=top_level(azure_status_shapes),
            page_body=top_level(azure_page_shapes),
            where=st.sampled_from(["status", "documents", "both", "error"]),
            error=st.tuples(
                st.sampled_from([400, 401, 403, 404, 429, 500, 503]),
                st.fixed_dictionaries({"error": azure_error}),
            ),
            command=st.sampled_from(AZURE_COMMANDS),
        )
        def azure_hostile_shape(
            status_body: Any,
            page_body: Any,
            where: str,
            error: tuple[int, Any],
            command: Command,
        ) -> None:
            h.reset()
            if where in ("status", "both"):
                h.serve("azure", h.expand(dump(status_body)), 200, h.expand(AZURE_STATUS_ONLY))
            if where in ("documents", "both"):
                h.serve("azure", dump(page_body), 200, AZURE_DOCUMENTS)
            if where == "error":  # the service's error shape, hostile inside
                h.serve("azure", dump(error[1]), error[0])
            argv, output, live = command
            check(promise, h.run(argv, stderr_tty=live), output, live)

        azure_hostile_shape()


def test_fuzz_harness_sanity() -> None:
    """The harness itself: unfaulted runs pass every check, so failures are the product's."""
    with harness() as h:
        for argv, output, live in [*ALIBABA_COMMANDS, *AZURE_COMMANDS]:
            result = h.run(argv, stderr_tty=live)
            assert result.code == 0, (argv, result.stderr)
            for promise in ("exit_code", "terminal", "json"):
                check(promise, result, output, live)
        assert dump({"a": [Raw("NaN"), "\x1b"]}) == '{"a":[NaN,"\\u001b"]}'
        with pytest.raises(ValueError):
            strict_json('{"a": NaN}')
