"""The README is part of the product: its commands, options and examples are checked."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command in ci.splitlines()


def _help(*command: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "batchstat", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200"},
    )
    return proc.stdout


@pytest.mark.parametrize(
    "command", [["alibaba", "get"], ["azure", "get"], ["watch"], ["emulator"], ["demo"]]
)
def test_every_option_of_every_command_is_in_the_readme(command):
    text = _help(*command)
    assert "Example: batchstat" in text
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text)) - {"--help"}
    missing = sorted(o for o in options if o not in README)
    assert not missing, f"{' '.join(command)}: {missing} not documented in README.md"


def test_every_exit_code_is_in_the_readme():
    from batchstat.errors import ExitCode

    table = README.split("## Exit codes", 1)[1].split("##", 1)[0]
    codes = {name: code for name, code in vars(ExitCode).items() if name.isupper()}
    assert len(codes) == 13
    for name, code in codes.items():
        assert f"| {code} |" in table, name


def test_readme_scenario_example_loads():
    from batchstat.emulator import Emulator

    block = README.split("A scenario file seeds", 1)[1]
    example = json.loads(re.search(r"```json\n(.*?)\n```", block, re.S).group(1))
    emu = Emulator()
    seeded = emu.load_scenario(example)
    assert seeded["alibaba"] == ["DEMO-1"] and len(seeded["azure"]) == 1


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_current(shell):
    proc = subprocess.run(
        [sys.executable, "-m", "batchstat"],
        capture_output=True,
        text=True,
        env={"_BATCHSTAT_COMPLETE": f"source_{shell}"},
        check=False,
    )
    assert proc.returncode == 0
    shipped = (ROOT / "completions" / f"batchstat.{shell}").read_text()
    assert proc.stdout.replace(sys.executable, "batchstat") == shipped or proc.stdout == shipped


def test_completion_completes_commands_and_options():
    env = {
        "_BATCHSTAT_COMPLETE": "complete_bash",
        "COMP_WORDS": "batchstat watch --out",
        "COMP_CWORD": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "batchstat"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.stdout.split() == ["--output"]
