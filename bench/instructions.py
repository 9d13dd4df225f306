"""Instruction counts (valgrind callgrind) of `get` against its bare-SDK floor.

Wall time on a shared 2-core machine moves by +-20 % between runs; instructions executed
do not. Needs valgrind (Debian package `valgrind`); about two minutes. Run it with the
Python of a venv where batchstat is installed the way users install it (`pip install .`):
an editable install adds the same constant to both sides and flatters the ratio.

    python bench/instructions.py

Besides the budget (batchstat against the floor script as written), it prints the floor
run with the two interpreter settings batchstat's console script uses (`bench/tuned.py`:
the cyclic garbage collector off, and an exit without the interpreter's teardown): the
cost of batchstat over an equally tuned bare-SDK script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from batchstat.emulator import Emulator, Stage

HERE = Path(__file__).resolve().parent
BATCHSTAT = str(Path(sys.executable).parent / "batchstat")
BUDGET = 1.15


def instructions(command: list[str], env: dict[str, str]) -> int:
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if match is None:
        raise SystemExit(f"no instruction count from valgrind for {command}")
    return int(match.group(1))


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    import batchstat

    # Installed packages have their bytecode; measure that, not the compiler.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(batchstat.__file__).parent)], check=True
    )
    emu = Emulator(
        alibaba_credentials={"LTAIbench": "bench-secret"}, azure_keys=("bench-key",)
    ).start()
    task = emu.alibaba.add_job(["https://img.example.com/a.png"], stages=[Stage("finished")])
    job = emu.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    env = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIbench",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bench-secret",
        "BATCHSTAT_ALIBABA_ENDPOINT": emu.base_url,
        "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": emu.base_url,
        "AZURE_DOCUMENT_TRANSLATION_KEY": "bench-key",
    }
    pairs = [
        (
            "alibaba-get",
            [sys.executable, str(HERE / "floor_alibaba.py"), task],
            [BATCHSTAT, "alibaba", "get", task, "-o", "json"],
        ),
        (
            "azure-get",
            [sys.executable, str(HERE / "floor_azure.py"), job],
            [BATCHSTAT, "azure", "get", job, "--no-documents", "-o", "json"],
        ),
    ]
    failed = False
    print(
        f"{'measurement':12} {'floor':>14} {'batchstat':>14} {'extra':>12} {'ratio':>6}  "
        f"budget       {'tuned floor':>14} {'ratio':>6}"
    )
    for name, floor_cmd, batchstat_cmd in pairs:
        floor = instructions(floor_cmd, env)
        ours = instructions(batchstat_cmd, env)
        tuned = instructions([floor_cmd[0], str(HERE / "tuned.py"), *floor_cmd[1:]], env)
        ratio = ours / floor
        verdict = "PASS" if ratio <= BUDGET else "FAIL"
        failed |= verdict == "FAIL"
        print(
            f"{name:12} {floor:>14,} {ours:>14,} {ours - floor:>12,} {ratio:6.3f}  "
            f"<= {BUDGET}x {verdict}  {tuned:>14,} {ours / tuned:6.3f}"
        )
    emu.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
