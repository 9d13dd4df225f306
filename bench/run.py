"""The batchstat performance benchmark: whole processes, batchstat against a floor.

    python bench/run.py [--rounds N] [--only NAME] [--with-az] [--markdown]

Run it with the Python that has batchstat installed: the `batchstat` entry point next to
that interpreter and that interpreter itself (for the floors) are what get measured.
Stdlib only. See bench/README.md for what each measurement means.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import selectors
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
BATCHSTAT = str(Path(sys.executable).parent / "batchstat")
AZ_VENV = BENCH / ".az-venv"
AZ = AZ_VENV / "bin" / "az"

# Emulator credentials (not real secrets, but still never printed). serve_emulator.py
# reads them from the same variables the children get.
CREDENTIAL_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEmulatorKeyId",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret",
    "AZURE_DOCUMENT_TRANSLATION_KEY": "emulator-key",
}
# Variables that would change what batchstat or the SDKs do; dropped from the children's env.
_DROPPED_PREFIXES = ("ALIBABA_CLOUD_", "AZURE_DOCUMENT_TRANSLATION_", "BATCHSTAT_")

WATCH_JOBS = 200
WATCH_LIFE_POLLS = 4  # a job is terminal on its 4th status poll
WATCH_RETRY_AFTER = 1
WATCH_RSS_BUDGET_MIB = 150.0
WATCH_CPU_PER_POLL_BUDGET_MS = 5.0

PACKAGES = (
    "typer",
    "rich",
    "aliyun-python-sdk-core",
    "azure-ai-translation-document",
    "azure-core",
)


class BenchError(Exception):
    """A measurement could not be taken (wrong output, crash, timeout)."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- one whole process ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall_s: float
    maxrss_kib: int  # ru_maxrss of this child alone (Linux: KiB)
    cpu_s: float  # user + sys of this child alone
    returncode: int
    stdout: bytes
    stderr: bytes
    polls: int | None = None  # status polls the emulator served during the run (watch)

    @property
    def wall_ms(self) -> float:
        return self.wall_s * 1000

    @property
    def rss_mib(self) -> float:
        return self.maxrss_kib / 1024

    def tail(self) -> str:
        text = (self.stderr or self.stdout).decode("utf-8", "replace").strip()
        return text[-400:] if text else "(no output)"


# The launcher: a tiny long-lived process that spawns every measured child and reaps it with
# wait4. Why not spawn from here: on Linux a child's ru_maxrss starts at the RSS high-water
# mark of the process that forked it (exec keeps it), so children of this runner, which holds
# megabytes of captured output, would all report at least the runner's peak.
LAUNCHER = """
import json, os, sys, threading, time
for line in sys.stdin:
    req = json.loads(line)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    out, err = os.open(req["stdout"], flags, 0o600), os.open(req["stderr"], flags, 0o600)
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
    start = time.perf_counter()
    pid = os.posix_spawnp(req["argv"][0], req["argv"], req["env"], file_actions=actions)
    os.close(out)
    os.close(err)
    killer = threading.Timer(req["timeout"], os.kill, (pid, 9))
    killer.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    killer.cancel()
    print(json.dumps({"wall": wall, "maxrss": usage.ru_maxrss,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "rc": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        # -I -S: no site, no user paths: the launcher's own RSS stays near the minimum.
        self._proc = subprocess.Popen(
            [PYTHON, "-I", "-S", "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._dir = tempfile.TemporaryDirectory(prefix="batchstat-bench-")

    def run(self, argv: list[str], env: dict[str, str], timeout: float) -> Run:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        out, err = Path(self._dir.name, "stdout"), Path(self._dir.name, "stderr")
        request = {"argv": argv, "env": env, "stdout": str(out), "stderr": str(err)}
        self._proc.stdin.write(json.dumps({**request, "timeout": timeout}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise BenchError(f"the launcher died running {Path(argv[0]).name}")
        answer = json.loads(line)
        return Run(
            wall_s=float(answer["wall"]),
            maxrss_kib=int(answer["maxrss"]),
            cpu_s=float(answer["cpu"]),
            returncode=int(answer["rc"]),
            stdout=out.read_bytes(),
            stderr=err.read_bytes(),
        )

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(10)
        self._dir.cleanup()


_launcher: Launcher | None = None


def run_process(argv: list[str], env: dict[str, str], timeout: float = 300) -> Run:
    """Run one process to the end; wall time, peak RSS and CPU of that child only."""
    global _launcher
    if _launcher is None:
        _launcher = Launcher()
    return _launcher.run(argv, env, timeout)


Check = Callable[[Run], str | None]  # None when the output is right, else what is wrong


def expect_rc(code: int = 0) -> Check:
    def check(run: Run) -> str | None:
        return None if run.returncode == code else f"exit {run.returncode} (want {code})"

    return check


def expect_json(predicate: Callable[[Any], bool], what: str) -> Check:
    def check(run: Run) -> str | None:
        if run.returncode != 0:
            return f"exit {run.returncode}"
        try:
            ok = predicate(json.loads(run.stdout))
        except (ValueError, KeyError, TypeError):
            ok = False
        return None if ok else f"output is not {what}"

    return check


def expect_stdout(text: str) -> Check:
    """Exit 0 and stdout equal to text, ignoring case (the SDK prints Status.SUCCEEDED)."""

    def check(run: Run) -> str | None:
        if run.returncode != 0:
            return f"exit {run.returncode}"
        got = run.stdout.decode("utf-8", "replace").strip()
        return None if got.lower() == text.lower() else f"printed {got[:80]!r}, want {text!r}"

    return check


def measured(
    argv: list[str], env: dict[str, str], check: Check, timeout: float = 300, keep: bool = False
) -> Run:
    """Run and check; the captured output is dropped unless kept (the runner stays small)."""
    run = run_process(argv, env, timeout)
    problem = check(run)
    if problem:
        shown = " ".join(Path(a).name if "/" in a else a for a in argv[:4])
        raise BenchError(f"{shown}: {problem}: {run.tail()}")
    return run if keep else dataclasses.replace(run, stdout=b"", stderr=b"")


# -- the emulator in its own process -------------------------------------------------------


class EmulatorProcess:
    """bench/serve_emulator.py: seeds jobs, prints one JSON line, answers commands on stdin."""

    def __init__(self, env: dict[str, str], args: Sequence[str] = ()) -> None:
        # A file, not a pipe: a chatty emulator must never block on a full pipe.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [PYTHON, str(BENCH / "serve_emulator.py"), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
            bufsize=1,
        )
        self.info = self._read_line(timeout=120)

    def _read_line(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise BenchError(f"the emulator did not answer within {timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace").strip()[-1500:]
            raise BenchError(f"the emulator exited:\n{tail}")
        return dict(json.loads(line))

    def command(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self._read_line(timeout=120)
        if "error" in answer:
            raise BenchError(f"emulator: {answer['error']}")
        return answer

    @property
    def base_url(self) -> str:
        return str(self.info["base_url"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def child_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(CREDENTIAL_ENV)
    env["BATCHSTAT_ALIBABA_ENDPOINT"] = base_url
    env["AZURE_DOCUMENT_TRANSLATION_ENDPOINT"] = base_url
    # The Azure SDK (requests) honours proxy variables; the emulator is local.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


# -- measurements --------------------------------------------------------------------------

Side = Callable[[], Run]


@dataclass
class Verdict:
    label: str  # e.g. "wall <= 1.15x"
    value: str  # what was measured, e.g. "1.07x"
    ok: bool


@dataclass
class Result:
    name: str
    baseline_label: str
    baseline: list[Run] = field(default_factory=list)
    batchstat: list[Run] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    note: str = ""
    info: bool = False  # a comparison for the reader, not a budget

    @property
    def ratios(self) -> list[float]:
        return [b.wall_s / a.wall_s for a, b in zip(self.baseline, self.batchstat, strict=True)]

    @property
    def rss_ratios(self) -> list[float]:
        return [
            b.maxrss_kib / a.maxrss_kib for a, b in zip(self.baseline, self.batchstat, strict=True)
        ]

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIP"
        if self.error:
            return "ERROR"
        if self.info:
            return "INFO"
        return "PASS" if all(v.ok for v in self.verdicts) else "FAIL"


@dataclass
class Pair:
    name: str
    baseline_label: str
    baseline: Side
    batchstat: Side
    evaluate: Callable[[Result], None]
    note: str = ""
    info: bool = False


def wall_budget(limit: float) -> Callable[[Result], None]:
    def evaluate(result: Result) -> None:
        ratio = statistics.median(result.ratios)
        result.verdicts.append(Verdict(f"wall <= {limit:.2f}x", f"{ratio:.2f}x", ratio <= limit))

    return evaluate


def wall_info(result: Result) -> None:
    ratio = statistics.median(result.ratios)
    result.verdicts.append(Verdict("wall (info, no budget)", f"{ratio:.2f}x", True))


def wall_and_rss_budget(wall: float, rss: float) -> Callable[[Result], None]:
    def evaluate(result: Result) -> None:
        wall_budget(wall)(result)
        ratio = statistics.median(result.rss_ratios)
        result.verdicts.append(Verdict(f"rss <= {rss:.1f}x", f"{ratio:.2f}x", ratio <= rss))
        # Not a budget: the client's own CPU, which the emulator's serving time cannot hide.
        cpu = statistics.median(
            b.cpu_s / a.cpu_s for a, b in zip(result.baseline, result.batchstat, strict=True)
        )
        result.verdicts.append(Verdict("cpu ratio (info)", f"{cpu:.2f}x", True))

    return evaluate


def watch_budget(result: Result) -> None:
    wall_budget(1.3)(result)
    peak = max(r.rss_mib for r in result.batchstat)
    result.verdicts.append(
        Verdict(
            f"rss <= {WATCH_RSS_BUDGET_MIB:.0f} MiB",
            f"{peak:.1f} MiB",
            peak <= WATCH_RSS_BUDGET_MIB,
        )
    )
    # Each job's life is WATCH_LIFE_POLLS status polls: not one more, in every round.
    need = WATCH_JOBS * WATCH_LIFE_POLLS
    counts = sorted({r.polls or 0 for r in result.batchstat})
    result.verdicts.append(
        Verdict(
            f"status polls == {need}",
            " / ".join(str(c) for c in counts),
            counts == [need],
        )
    )
    per_poll = statistics.median(r.cpu_s * 1000 / max(r.polls or 0, 1) for r in result.batchstat)
    result.verdicts.append(
        Verdict(
            f"cpu/poll <= {WATCH_CPU_PER_POLL_BUDGET_MS:.0f} ms",
            f"{per_poll:.2f} ms",
            per_poll <= WATCH_CPU_PER_POLL_BUDGET_MS,
        )
    )


def measure_pair(pair: Pair, rounds: int) -> Result:
    result = Result(pair.name, pair.baseline_label, note=pair.note, info=pair.info)
    log(f"[{pair.name}] warm-up")
    pair.baseline()
    pair.batchstat()
    for index in range(rounds):
        # Alternate the order so drift on a noisy machine hits both sides alike.
        if index % 2 == 0:
            base, ours = pair.baseline(), pair.batchstat()
        else:
            ours, base = pair.batchstat(), pair.baseline()
        result.baseline.append(base)
        result.batchstat.append(ours)
        log(
            f"[{pair.name}] round {index + 1}/{rounds}: {base.wall_ms:.0f} ms vs "
            f"{ours.wall_ms:.0f} ms ({ours.wall_s / base.wall_s:.2f}x)"
        )
    pair.evaluate(result)
    return result


def imported_modules(importtime_stderr: str) -> list[str]:
    names = []
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.append(line.rsplit("|", 1)[1].strip())
    return [name for name in names if name != "imported package"]  # drop the header


def measure_usage_error_imports(env: dict[str, str], rounds: int) -> Result:
    """A malformed id must fail before any SDK is imported."""
    result = Result("usage-error-imports", "-")
    forbidden = ("aliyunsdkcore", "azure.ai.translation.document")
    argv = [PYTHON, "-X", "importtime", "-m", "batchstat", "azure", "get", "not-a-uuid"]
    leaked: set[str] = set()
    for _ in range(max(rounds, 1)):
        run = measured(argv, env, expect_rc(2), keep=True)
        result.batchstat.append(run)
        modules = imported_modules(run.stderr.decode("utf-8", "replace"))
        if not modules:
            raise BenchError("no -X importtime output to inspect")
        leaked |= {m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden)}
    top = sorted({m.split(".")[0] if m.startswith("aliyunsdkcore") else m for m in leaked})
    result.verdicts.append(
        Verdict("no SDK imported", "leaked: " + ", ".join(top[:3]) if top else "none", not top)
    )
    return result


# -- az (the comparison for --help/--version), in a throwaway venv -------------------------


def ensure_az(with_az: bool) -> str | None:
    """Path to az, or None. Built only on request: azure-cli is big and never a dependency."""
    if AZ.exists():
        return str(AZ)
    if not with_az:
        return None
    log(f"creating {AZ_VENV} and installing azure-cli (a few minutes, once)...")
    try:
        subprocess.run([PYTHON, "-m", "venv", str(AZ_VENV)], check=True)
        subprocess.run(
            [
                str(AZ_VENV / "bin" / "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "azure-cli",
            ],
            check=True,
        )
    except subprocess.CalledProcessError as err:
        log(f"could not install azure-cli: {err}")
        return None
    return str(AZ) if AZ.exists() else None


def az_env(env: dict[str, str]) -> dict[str, str]:
    # Its own config dir: az writes a command index and config there, not to ~/.azure.
    return {**env, "AZURE_CONFIG_DIR": str(AZ_VENV / "config")}


def az_version() -> str | None:
    if not AZ.exists():
        return None
    probe = subprocess.run(
        [
            str(AZ_VENV / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('azure-cli'))",
        ],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() or None


# -- the list of measurements --------------------------------------------------------------

ALL_NAMES = (
    "alibaba-get",
    "alibaba-get-tuned",
    "azure-get",
    "azure-get-tuned",
    "azure-get-50",
    "help",
    "version",
    "usage-error-imports",
    "azure-10k-json",
    "azure-10k-table",
    "watch-200",
)


def selected(name: str, only: list[str]) -> bool:
    return not only or any(name == o or name.startswith(o + "-") for o in only)


def watch_available(env: dict[str, str]) -> bool:
    probe = subprocess.run([BATCHSTAT, "watch", "--help"], env=env, capture_output=True)
    return probe.returncode == 0


def watch_side(emu: EmulatorProcess, env: dict[str, str], jobs: int) -> Side:
    def side() -> Run:
        # Fresh jobs every run: a job's life is counted in polls, so it is used up.
        ids = emu.command(
            cmd="seed-watch", count=jobs, life_polls=WATCH_LIFE_POLLS, retry_after=WATCH_RETRY_AFTER
        )["azure"]
        before = int(emu.command(cmd="polls")["polls"])
        # --interval 1s: the service's Retry-After (1 s), not watch's 5 s default, sets the pace.
        argv = [BATCHSTAT, "watch", *(f"azure:{i}" for i in ids), "--interval", "1s", "-o", "json"]
        done = expect_json(
            lambda doc: len(doc) == jobs and all(job["state"] == "succeeded" for job in doc),
            f"{jobs} succeeded jobs",
        )
        run = measured(argv, env, done, timeout=180)
        after = int(emu.command(cmd="polls")["polls"])
        return Run(
            run.wall_s,
            run.maxrss_kib,
            run.cpu_s,
            run.returncode,
            run.stdout,
            run.stderr,
            polls=after - before,
        )

    return side


NOTE_TUNED = (
    "baseline: the floor run by bench/tuned.py with the two interpreter settings of "
    "batchstat's console script (cyclic GC off, no teardown at exit): batchstat's own cost"
)
NOTE_10K = (
    "baseline: the SDK pager over all document statuses; batchstat also gets the job status "
    "(one request more) and renders every document"
)


def build_pairs(emu: EmulatorProcess, env: dict[str, str], az: str | None) -> dict[str, Pair]:
    ids = emu.info
    ali, azj, big = str(ids["alibaba"]), str(ids["azure"]), str(ids["azure_10k"])
    docs = int(ids["azure_10k_documents"])
    # Terminal from the first poll on, so they can be asked for in every round.
    many = [
        str(j)
        for j in emu.command(cmd="seed-watch", count=50, life_polls=1, retry_after=0)["azure"]
    ]

    def cmd(argv: list[str], check: Check, environ: dict[str, str] = env) -> Side:
        return lambda: measured(argv, environ, check)

    def has_items(count: int) -> Callable[[Any], bool]:
        return lambda doc: doc["state"] == "succeeded" and len(doc["items"]) == count

    pairs = {
        "alibaba-get": Pair(
            "alibaba-get",
            "floor_alibaba.py",
            cmd([PYTHON, str(BENCH / "floor_alibaba.py"), ali], expect_rc(0)),
            cmd(
                [BATCHSTAT, "alibaba", "get", ali, "-o", "json"],
                expect_json(has_items(1), "a finished job with 1 image"),
            ),
            wall_budget(1.15),
        ),
        "azure-get": Pair(
            "azure-get",
            "floor_azure.py",
            cmd([PYTHON, str(BENCH / "floor_azure.py"), azj], expect_stdout("Status.SUCCEEDED")),
            cmd(
                [BATCHSTAT, "azure", "get", azj, "--no-documents", "-o", "json"],
                expect_json(lambda d: d["status"] == "Succeeded", "a Succeeded job"),
            ),
            wall_budget(1.15),
        ),
        # The same, against the floors run as batchstat's console script runs (GC off, no
        # teardown at exit): what batchstat itself costs, apart from those two settings.
        "alibaba-get-tuned": Pair(
            "alibaba-get-tuned",
            "tuned.py floor_alibaba.py",
            cmd(
                [PYTHON, str(BENCH / "tuned.py"), str(BENCH / "floor_alibaba.py"), ali],
                expect_rc(0),
            ),
            cmd(
                [BATCHSTAT, "alibaba", "get", ali, "-o", "json"],
                expect_json(has_items(1), "a finished job with 1 image"),
            ),
            wall_info,
            note=NOTE_TUNED,
            info=True,
        ),
        "azure-get-tuned": Pair(
            "azure-get-tuned",
            "tuned.py floor_azure.py",
            cmd(
                [PYTHON, str(BENCH / "tuned.py"), str(BENCH / "floor_azure.py"), azj],
                expect_stdout("Status.SUCCEEDED"),
            ),
            cmd(
                [BATCHSTAT, "azure", "get", azj, "--no-documents", "-o", "json"],
                expect_json(lambda d: d["status"] == "Succeeded", "a Succeeded job"),
            ),
            wall_info,
            note=NOTE_TUNED,
            info=True,
        ),
        # 50 distinct jobs in one `get` (fetched concurrently) against one job: a shell
        # loop would pay a whole start-up per id.
        "azure-get-50": Pair(
            "azure-get-50",
            "azure get 1 id",
            cmd(
                [BATCHSTAT, "azure", "get", azj, "--no-documents", "-o", "json"],
                expect_json(lambda d: d["status"] == "Succeeded", "a Succeeded job"),
            ),
            cmd(
                [BATCHSTAT, "azure", "get", *many, "--no-documents", "-o", "json"],
                expect_json(
                    lambda docs: (
                        len(docs) == len(many) and all(d["status"] == "Succeeded" for d in docs)
                    ),
                    f"{len(many)} Succeeded jobs",
                ),
            ),
            wall_budget(2.0),
            note=f"{len(many)} distinct Succeeded Azure jobs in one get; baseline: one of them",
        ),
        "azure-10k-json": Pair(
            "azure-10k-json",
            "floor_azure_list.py",
            cmd([PYTHON, str(BENCH / "floor_azure_list.py"), big], expect_stdout(str(docs))),
            cmd(
                [BATCHSTAT, "azure", "get", big, "-o", "json"],
                expect_json(has_items(docs), f"a job with {docs} documents"),
            ),
            wall_and_rss_budget(1.3, 2.0),
            note=NOTE_10K,
        ),
        "azure-10k-table": Pair(
            "azure-10k-table",
            "floor_azure_list.py",
            cmd([PYTHON, str(BENCH / "floor_azure_list.py"), big], expect_stdout(str(docs))),
            cmd([BATCHSTAT, "azure", "get", big], expect_rc(0)),
            wall_and_rss_budget(1.3, 2.0),
            note=NOTE_10K,
        ),
        "watch-200": Pair(
            "watch-200",
            "watch 1 job",
            watch_side(emu, env, 1),
            watch_side(emu, env, WATCH_JOBS),
            watch_budget,
            note=f"{WATCH_JOBS} Azure jobs, each terminal on status poll {WATCH_LIFE_POLLS} with "
            f"Retry-After {WATCH_RETRY_AFTER} s (a life of "
            f"{(WATCH_LIFE_POLLS - 1) * WATCH_RETRY_AFTER} s between first and last poll); "
            "baseline: the same watch of 1 such job",
        ),
    }
    if az:
        environ = az_env(env)
        az_help = cmd([az, "--help"], expect_rc(0), environ)
        pairs["help"] = Pair(
            "help", "az --help", az_help, cmd([BATCHSTAT, "--help"], expect_rc(0)), wall_budget(1.0)
        )
        pairs["version"] = Pair(
            "version",
            "az --help",
            az_help,
            cmd([BATCHSTAT, "--version"], expect_rc(0)),
            wall_budget(1.0),
        )
    return pairs


SKIP_AZ = (
    "az is not installed: rerun with --with-az to build bench/.az-venv "
    "(pip install azure-cli there; never a project dependency)"
)
SKIP_WATCH = "'batchstat watch --help' failed: the watch command does not exist yet"


def run_all(rounds: int, only: list[str], with_az: bool) -> list[Result]:
    unknown = [o for o in only if not any(selected(n, [o]) for n in ALL_NAMES)]
    if unknown:
        raise SystemExit(f"unknown measurement {unknown[0]!r}; one of: {', '.join(ALL_NAMES)}")
    wanted = [n for n in ALL_NAMES if selected(n, only)]
    az = ensure_az(with_az) if {"help", "version"} & set(wanted) else None
    emu = EmulatorProcess({**os.environ, **CREDENTIAL_ENV})
    results: list[Result] = []
    try:
        env = child_env(emu.base_url)
        pairs = build_pairs(emu, env, az)
        for name in wanted:
            try:
                if name == "usage-error-imports":
                    log(f"[{name}] {rounds} runs")
                    results.append(measure_usage_error_imports(env, rounds))
                elif name in ("help", "version") and not az:
                    results.append(Result(name, "az --help", skipped=SKIP_AZ))
                elif name == "watch-200" and not watch_available(env):
                    results.append(Result(name, "watch 1 job", skipped=SKIP_WATCH))
                else:
                    results.append(measure_pair(pairs[name], rounds))
            except BenchError as err:
                log(f"[{name}] ERROR: {err}")
                label = pairs[name].baseline_label if name in pairs else "-"
                results.append(Result(name, label, error=str(err)))
    finally:
        emu.close()
        if _launcher is not None:
            _launcher.close()
    return results


# -- reporting -----------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(value: float | None, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def rows(results: list[Result]) -> list[list[str]]:
    table = []
    for r in results:
        ratios = r.ratios if r.baseline else []
        ratio = (
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
            if ratios
            else "-"
        )
        checks = "; ".join(f"{v.label}: {v.value}" for v in r.verdicts)
        if r.skipped or r.error:
            checks = r.skipped or f"error: {r.error}"
        table.append(
            [
                r.name,
                r.baseline_label,
                _fmt(_median([x.wall_ms for x in r.baseline])),
                _fmt(_median([x.wall_ms for x in r.batchstat])),
                ratio,
                _fmt(_median([x.rss_mib for x in r.baseline]), ".1f"),
                _fmt(_median([x.rss_mib for x in r.batchstat]), ".1f"),
                _fmt(_median([x.cpu_s * 1000 for x in r.baseline])),
                _fmt(_median([x.cpu_s * 1000 for x in r.batchstat])),
                checks,
                r.status,
            ]
        )
    return table


HEADERS = [
    "measurement",
    "baseline",
    "base ms",
    "batchstat ms",
    "ratio med [min-max]",
    "base MiB",
    "batchstat MiB",
    "base cpu ms",
    "batchstat cpu ms",
    "budgets",
    "result",
]


def print_text(results: list[Result], out: IO[str]) -> None:
    table = [HEADERS, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS) - 2)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1].ljust(6), row[-2]]), file=out)
    for r in results:
        if r.note and not r.skipped:
            print(f"{r.name}: {r.note}", file=out)


LOAD_AT_START = os.getloadavg()[0]


def batchstat_commit() -> str:
    """HEAD, marked dirty when batchstat's own files differ from it (read-only git)."""
    root = BENCH.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "batchstat", "pyproject.toml"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def machine_facts(start_commit: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(),
        "cpu": f"{cpu} ({os.cpu_count()} cores)",
        "load average (1 min), start / end": f"{LOAD_AT_START:.2f} / {os.getloadavg()[0]:.2f}",
        "python": platform.python_version(),
    }
    end_commit = batchstat_commit()
    facts["batchstat commit"] = (
        start_commit if start_commit == end_commit else f"{start_commit}, then {end_commit}"
    )
    for name in PACKAGES:
        try:
            facts[name] = version(name)
        except PackageNotFoundError:
            facts[name] = "not installed"
    az = az_version()
    if az:
        facts["azure-cli (baseline only)"] = az
    return facts


def print_markdown(results: list[Result], rounds: int, commit: str, out: IO[str]) -> None:
    facts = machine_facts(commit)
    print(f"Rounds: {rounds} per measurement (after one warm-up round), medians.\n", file=out)
    for key, value in facts.items():
        print(f"- {key}: {value}", file=out)
    print(file=out)
    print("| " + " | ".join(HEADERS) + " |", file=out)
    print("|" + "|".join("---" for _ in HEADERS) + "|", file=out)
    for row in rows(results):
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |", file=out)
    notes = [f"- {r.name}: {r.note}" for r in results if r.note and not r.skipped]
    if notes:
        print("\n" + "\n".join(notes), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds (default 10)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only NAME (repeatable; a prefix like azure-10k works): {', '.join(ALL_NAMES)}",
    )
    parser.add_argument(
        "--with-az",
        action="store_true",
        help="create bench/.az-venv with azure-cli for the help/version pairs",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print a Markdown table for bench/RESULTS.md instead of plain text",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not Path(BATCHSTAT).exists():
        parser.error(f"{BATCHSTAT} not found: run this with the Python that has batchstat")
    only = [name for item in args.only for name in item.split(",") if name]
    # An installed package has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every start and measure
    # the compiler. compileall writes the .pyc files whatever that variable says.
    import batchstat

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(batchstat.__file__).parent)],
        check=True,
    )
    commit = batchstat_commit()  # the code may change under a long run: note both ends
    results = run_all(args.rounds, only, args.with_az)
    if args.markdown:
        print_markdown(results, args.rounds, commit, sys.stdout)
    else:
        print_text(results, sys.stdout)
    return 1 if any(r.status in ("FAIL", "ERROR") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
