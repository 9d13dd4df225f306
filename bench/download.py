"""Download throughput and memory of `--download` against a bare requests thread pool.

    python bench/download.py [--files 1000] [--workers 8] [--rounds 5] [--big-mib 256]
                             [--markdown]

Run it with the Python that has batchstat installed. It starts `bench/serve_emulator.py`
with a finished Azure job of `--files` documents, reads their result URLs with
`batchstat azure get ID -o json`, then, alternating the order each round, runs two child
processes that download the same files from the emulator with the same concurrency:

- bare:      a `requests` session shared by a `ThreadPoolExecutor(workers)`, each file
             streamed (`iter_content`, 256 KiB chunks) into its own file; nothing else;
- batchstat: batchstat's own download path (`batchstat.download.GetDownloads`, what
             `get --download` runs after printing the job): safe names, a temporary file
             renamed when complete, SHA-256, retries, the manifest.

Each child times its download phase only (imports done before, the same on both sides)
and reports files, bytes and seconds; the parent reaps it with `os.wait4` for its peak
RSS. Budget: batchstat's throughput at least 0.8x the bare loop's (median of the
per-round ratios).

Memory: both sides then download two `--big-mib` files from a streaming server in this
process; batchstat's peak RSS there must stay within 16 MiB of its peak on the 1,000 small
files (streamed: a file is never whole in memory).

The whole command (`batchstat azure get ID --download DIR -o json`, start-up, listing and
all) is timed once per round too, for information. Standard library and requests only.
Exit code 1 when a budget fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
BATCHSTAT = str(Path(sys.executable).parent / "batchstat")
CHUNK = 256 * 1024
THROUGHPUT_BUDGET = 0.8
RSS_SLACK_MIB = 16.0
BIG_FILES = 2


# -- the children --------------------------------------------------------------------------------


def child(mode: str, urls_file: str, directory: str, workers: int) -> None:
    """Download the URLs in ``urls_file`` into ``directory``; print {seconds, files, bytes}."""
    import requests  # before the clock, on both sides

    urls = json.loads(Path(urls_file).read_text())
    if mode == "bare":
        from concurrent.futures import ThreadPoolExecutor

        from requests.adapters import HTTPAdapter

        session = requests.Session()
        adapter = HTTPAdapter(pool_maxsize=workers, max_retries=0)
        session.mount("http://", adapter)

        def one(pair: tuple[int, str]) -> int:
            index, url = pair
            size = 0
            with session.get(url, stream=True, timeout=(15, 120)) as answer:
                answer.raise_for_status()
                with open(os.path.join(directory, str(index)), "wb") as out:
                    for chunk in answer.iter_content(CHUNK):
                        out.write(chunk)
                        size += len(chunk)
            return size

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            sizes = list(pool.map(one, enumerate(urls)))
        seconds = time.perf_counter() - start
        files, total = len(sizes), sum(sizes)
    else:
        import io

        from batchstat.download import GetDownloads, prepare
        from batchstat.model import Item, JobRecord
        from batchstat.runtime import Runtime

        items = [Item(str(n), "Succeeded", True, None, url) for n, url in enumerate(urls)]
        record = JobRecord("azure", "bench-job", "Succeeded", "succeeded", items=items)
        env = {"BATCHSTAT_DOWNLOAD_WORKERS": str(workers)}
        runtime = Runtime(env=env, stdout=io.StringIO(), stderr=io.StringIO(), stderr_tty=False)
        options = prepare(directory, runtime, extras=False, items=True, retries=3)
        assert options is not None
        start = time.perf_counter()
        [code] = GetDownloads(options, runtime).after_get([record], [0])
        seconds = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"batchstat download failed ({code}): {runtime.err.getvalue()}")
        folder = Path(directory, "azure", "bench-job")
        saved = [p for p in folder.iterdir() if p.name != "manifest.json"]
        files, total = len(saved), sum(p.stat().st_size for p in saved)
    print(json.dumps({"seconds": seconds, "files": files, "bytes": total}))


# -- measuring -----------------------------------------------------------------------------------


def spawn(argv: list[str], env: dict[str, str], out_path: Path) -> dict[str, float]:
    """Run a child (stdout to ``out_path``, stderr beside it); its wall time, peak RSS
    (MiB, its own: os.wait4) and exit code."""
    with open(out_path, "wb") as out, open(f"{out_path}.err", "wb") as err:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ]
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    return {
        "wall": wall,
        "rss": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rc": os.waitstatus_to_exitcode(status),
    }


def measure(mode: str, urls: list[str], workers: int, scratch: Path, env: dict[str, str]) -> dict:
    target = Path(tempfile.mkdtemp(dir=scratch))
    urls_file = target / "urls.json"
    urls_file.write_text(json.dumps(urls))
    out = target / "child.out"
    directory = target / "files"
    directory.mkdir()
    argv = [PYTHON, __file__, "--child", mode, str(urls_file), str(directory), str(workers)]
    run = spawn(argv, env, out)
    text = out.read_text().strip()
    errors = Path(f"{out}.err").read_text().strip()
    shutil.rmtree(target, ignore_errors=True)
    if run["rc"] != 0 or not text:
        raise SystemExit(f"{mode} child failed (exit {run['rc']}): {(errors or text)[-400:]}")
    report = json.loads(text.splitlines()[-1])
    if report["files"] != len(urls):
        raise SystemExit(f"{mode} saved {report['files']} of {len(urls)} files")
    return {**run, **report}


class _Big(BaseHTTPRequestHandler):
    """GET /big/N: ``size`` bytes, streamed a MiB at a time, with a Content-Length."""

    protocol_version = "HTTP/1.1"
    size = 0
    block = b"\x5a" * (1024 * 1024)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        left = self.size
        while left > 0:
            piece = self.block if left >= len(self.block) else self.block[:left]
            self.wfile.write(piece)
            left -= len(piece)

    def log_message(self, format: str, *args: object) -> None:
        pass


def whole_command(job: str, env: dict[str, str], scratch: Path) -> float:
    target = Path(tempfile.mkdtemp(dir=scratch))
    argv = [BATCHSTAT, "azure", "get", job, "--download", str(target), "-o", "json"]
    run = spawn(argv, env, target / "out.json")
    shutil.rmtree(target, ignore_errors=True)
    if run["rc"] != 0:
        raise SystemExit(f"batchstat azure get --download failed (exit {run['rc']})")
    return run["wall"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--big-mib", type=int, default=256)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "URLS", "DIR", "WORKERS"))
    args = parser.parse_args()
    if args.child:
        mode, urls_file, directory, workers = args.child
        child(mode, urls_file, directory, int(workers))
        return 0

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD_", "AZURE_DOCUMENT_TRANSLATION_", "BATCHSTAT_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["AZURE_DOCUMENT_TRANSLATION_KEY"] = "emulator-key"
    emulator = subprocess.Popen(
        [PYTHON, str(BENCH / "serve_emulator.py"), "--documents", str(args.files)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert emulator.stdout is not None
    big = ThreadingHTTPServer(("127.0.0.1", 0), _Big)
    big.daemon_threads = True
    _Big.size = args.big_mib * 1024 * 1024
    threading.Thread(target=big.serve_forever, daemon=True).start()
    scratch = Path(tempfile.mkdtemp(prefix="batchstat-bench-download-"))
    try:
        info = json.loads(emulator.stdout.readline())
        env["AZURE_DOCUMENT_TRANSLATION_ENDPOINT"] = info["base_url"]
        job = info["azure_10k"]
        listing = subprocess.run(
            [BATCHSTAT, "azure", "get", job, "-o", "json"], env=env, capture_output=True, check=True
        )
        urls = [item["result_url"] for item in json.loads(listing.stdout)["items"]]
        assert len(urls) == args.files and all(urls)
        print(f"{len(urls)} files of {info['base_url']}, {args.workers} workers", file=sys.stderr)

        measure("bare", urls[:50], args.workers, scratch, env)  # warm-up: page cache, pycache
        measure("batchstat", urls[:50], args.workers, scratch, env)
        rounds: list[dict[str, dict]] = []
        commands: list[float] = []
        for index in range(args.rounds):
            order = ("bare", "batchstat") if index % 2 == 0 else ("batchstat", "bare")
            pair = {mode: measure(mode, urls, args.workers, scratch, env) for mode in order}
            rounds.append(pair)
            commands.append(whole_command(job, env, scratch))
            bare, ours = pair["bare"], pair["batchstat"]
            print(
                f"round {index + 1}: bare {bare['files'] / bare['seconds']:.0f} files/s, "
                f"batchstat {ours['files'] / ours['seconds']:.0f} files/s, "
                f"ratio {bare['seconds'] / ours['seconds']:.2f}",
                file=sys.stderr,
            )
        big_urls = [f"http://127.0.0.1:{big.server_address[1]}/big/{n}" for n in range(BIG_FILES)]
        big_runs = {mode: measure(mode, big_urls, args.workers, scratch, env)
                    for mode in ("bare", "batchstat")}  # fmt: skip
    finally:
        emulator.kill()
        emulator.wait()
        big.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[mode][key] for r in rounds)

    ratios = [r["bare"]["seconds"] / r["batchstat"]["seconds"] for r in rounds]
    ratio = statistics.median(ratios)
    small_rss = max(r["batchstat"]["rss"] for r in rounds)
    big_rss = big_runs["batchstat"]["rss"]
    throughput_ok = ratio >= THROUGHPUT_BUDGET
    memory_ok = big_rss <= small_rss + RSS_SLACK_MIB
    size_mb = rounds[0]["bare"]["bytes"] / 1e6
    lines = [
        f"- files: {args.files} from the emulator ({size_mb:.2f} MB in all), "
        f"{args.workers} workers, {args.rounds} rounds (order alternating)",
        f"- bare requests pool: {args.files / med('bare', 'seconds'):.0f} files/s "
        f"({med('bare', 'seconds') * 1000:.0f} ms), peak RSS {med('bare', 'rss'):.1f} MiB, "
        f"CPU {med('bare', 'cpu') * 1000:.0f} ms",
        f"- batchstat: {args.files / med('batchstat', 'seconds'):.0f} files/s "
        f"({med('batchstat', 'seconds') * 1000:.0f} ms), peak RSS "
        f"{med('batchstat', 'rss'):.1f} MiB, CPU {med('batchstat', 'cpu') * 1000:.0f} ms",
        f"- whole command `batchstat azure get ID --download DIR -o json` (start-up, listing "
        f"{args.files} documents, download): {statistics.median(commands) * 1000:.0f} ms",
        f"- big files: {BIG_FILES} x {args.big_mib} MiB, bare "
        f"{big_runs['bare']['bytes'] / big_runs['bare']['seconds'] / 1e6:.0f} MB/s, peak RSS "
        f"{big_runs['bare']['rss']:.1f} MiB; batchstat "
        f"{big_runs['batchstat']['bytes'] / big_runs['batchstat']['seconds'] / 1e6:.0f} MB/s, "
        f"peak RSS {big_rss:.1f} MiB",
        "",
        "| budget | result | figures |",
        "|---|---|---|",
        f"| throughput >= {THROUGHPUT_BUDGET}x the bare pool | "
        f"{'PASS' if throughput_ok else 'FAIL'} | median {ratio:.2f}x "
        f"[{min(ratios):.2f}-{max(ratios):.2f}] |",
        f"| memory flat: peak RSS on {BIG_FILES} x {args.big_mib} MiB <= small files + "
        f"{RSS_SLACK_MIB:.0f} MiB | {'PASS' if memory_ok else 'FAIL'} | {big_rss:.1f} MiB vs "
        f"{small_rss:.1f} MiB |",
    ]
    print("\n".join(lines))
    return 0 if throughput_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
