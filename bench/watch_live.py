"""CPU of a watch of many jobs with the live view (stderr a terminal) against plain lines.

The live view is what a person at a terminal sees; `bench/run.py` measures watch with
stderr on a pipe (lines). This runs `batchstat watch` in this process, with stderr forced
to be a terminal or not, against `bench/serve_emulator.py` in its own process (so its
CPU is not counted), and prints the process CPU and wall time of each, alternating.

Usage: python bench/watch_live.py [JOBS]   (default 200; each job lives 4 polls)
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from batchstat.cli import run
from batchstat.runtime import Runtime

HERE = Path(__file__).resolve().parent


def main() -> int:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD_", "AZURE_DOCUMENT_", "BATCHSTAT_"))
    }
    env["AZURE_DOCUMENT_TRANSLATION_KEY"] = "bench-key"
    emulator = subprocess.Popen(
        [sys.executable, str(HERE / "serve_emulator.py"), "--documents", "10"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert emulator.stdin is not None and emulator.stdout is not None
    try:
        info = json.loads(emulator.stdout.readline())
        env.update(AZURE_DOCUMENT_TRANSLATION_ENDPOINT=info["base_url"], COLUMNS="150")
        warm = Runtime(env=env, stdout=io.StringIO(), stderr=io.StringIO())
        run(["azure", "get", info["azure"]], warm)  # imports, as in a real start
        for tty in (False, True, False, True):
            request = {"cmd": "seed-watch", "count": jobs, "life_polls": 4, "retry_after": 1}
            emulator.stdin.write(json.dumps(request) + "\n")
            emulator.stdin.flush()
            ids = json.loads(emulator.stdout.readline())["azure"]
            err = io.StringIO()
            runtime = Runtime(env=env, stdout=io.StringIO(), stderr=err, stderr_tty=tty)
            cpu, wall = time.process_time(), time.perf_counter()
            code = run(["watch", *(f"azure:{i}" for i in ids), "--interval", "1s"], runtime)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            view = "live view" if tty else "lines    "
            print(
                f"{view} {jobs} jobs: exit {code}, cpu {cpu:.2f} s, wall {wall:.2f} s, "
                f"stderr {len(err.getvalue()) // 1024} KiB"
            )
    finally:
        emulator.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
