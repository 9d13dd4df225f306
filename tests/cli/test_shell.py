"""Shell and terminal conventions (issue 12): completion scripts and what they complete,
the history of job ids, global options anywhere, ``--version``, colour."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from batchstat import history
from batchstat.cli import _requested_command, hoist_global_options, run
from batchstat.cli.completion import FILES, SCRIPTS
from batchstat.emulator import AlibabaImage, AzureDocument, Stage
from batchstat.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent.parent
JOB = "727bf148-f327-47a0-9481-abae6362f11e"


def run_text(argv: list[str], env: dict[str, str] | None = None, **runtime: object) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, Runtime(env=env or {}, stdout=out, stderr=err, **runtime))  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def complete(line: str, shell: str = "bash", **env: str) -> list[str]:
    """What batchstat answers a completion script for ``line`` (cursor at its end)."""
    request = {"_BATCHSTAT_COMPLETE": f"complete_{shell}", "_BATCHSTAT_COMPLETE_ARGS": line}
    code, out, err = run_text([], {**request, **env})
    assert code == 0 and err == "", err
    return out.splitlines()


# -- the scripts ------------------------------------------------------------------------


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_completions_folder_holds_what_the_command_prints(shell):
    # Regenerate with: batchstat completion SHELL > completions/<FILES[SHELL]>
    code, out, err = run_text(["completion", shell])
    assert code == 0 and err == ""
    shipped = (ROOT / "completions" / FILES[shell]).read_text()
    assert out == shipped, f"completions/{FILES[shell]} is stale: regenerate it"
    # The same script through the protocol the scripts use (Click's source_SHELL).
    assert run_text([], {"_BATCHSTAT_COMPLETE": f"source_{shell}"})[1] == out


def test_completions_folder_has_no_other_script():
    assert sorted(p.name for p in (ROOT / "completions").iterdir()) == sorted(FILES.values())


def test_an_unknown_shell_is_a_usage_error():
    code, out, err = run_text(["completion", "tcsh"])
    assert code == 2 and out == ""
    assert "bash, zsh, fish, powershell" in err


def test_the_bash_script_completes_in_bash(tmp_path):
    # The real script in a real bash: the function it registers fills COMPREPLY.
    bash = "/bin/bash"
    if not os.path.exists(bash):
        pytest.skip("no bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "batchstat"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m batchstat "$@"\n')
    launcher.chmod(0o755)
    history_file = tmp_path / "history"
    history_file.write_text(f"azure\t{JOB}\tcontracts\n")
    script = (ROOT / "completions" / "batchstat.bash").read_text()
    probe = (
        script
        + 'COMP_LINE="batchstat watch azure:727"; COMP_POINT=${#COMP_LINE}\n'
        + "_batchstat_completion batchstat\n"
        + 'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(
        [bash, "--norc", "-c", probe],
        capture_output=True,
        text=True,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "BATCHSTAT_HISTORY": str(history_file),
            "PYTHONPATH": str(ROOT),
        },
        timeout=60,
        check=False,
    )
    # bash replaces only the part after ':', so the answer starts after it.
    assert proc.stdout.splitlines() == [f"{JOB}=contracts"], proc.stderr


# -- what completes ---------------------------------------------------------------------


def test_commands_and_options_complete():
    assert "watch" in complete("batchstat ")
    assert "completion" in complete("batchstat ")
    assert complete("batchstat wat") == ["watch"]
    assert complete("batchstat watch --out") == ["--output"]
    assert complete("batchstat completion ") == ["bash", "zsh", "fish", "powershell"]


def test_global_options_complete_before_and_after_the_command():
    assert complete("batchstat --de") == ["--debug"]
    assert complete("batchstat watch --no-c") == ["--no-color"]
    assert complete("batchstat azure get x --ca") == ["--ca-bundle"]


def test_output_formats_complete():
    assert complete("batchstat azure get -o ") == ["table", "json", "ndjson"]
    assert complete("batchstat watch x:y --output nd") == ["ndjson"]


def test_api_versions_complete():
    assert complete("batchstat azure get --api-version ") == ["2024-05-01", "2026-03-01"]
    assert complete("batchstat watch --api-version 2026") == ["2026-03-01"]
    assert complete("batchstat azure get --api-version=2024") == ["2024-05-01"]


def test_regions_complete():
    regions = complete("batchstat alibaba get --region cn-h")
    assert regions[0] == "cn-hangzhou" and "cn-hongkong" in regions
    assert all(r.startswith("cn-h") for r in regions)
    regions = complete("batchstat watch --region ap-southeast-")
    assert regions[:2] == ["ap-southeast-1", "ap-southeast-2"]
    assert all(r.startswith("ap-southeast-") for r in regions)


def test_a_global_option_value_does_not_hide_the_command():
    # "--ca-bundle FILE alibaba get": FILE is not the command.
    assert complete("batchstat --ca-bundle /x.pem alibaba get --reg") == ["--region"]


def test_old_bash_scripts_still_get_answers():
    # Typer's bash script sends COMP_WORDS and COMP_CWORD.
    env = {
        "_BATCHSTAT_COMPLETE": "complete_bash",
        "COMP_WORDS": "batchstat watch --out",
        "COMP_CWORD": "2",
    }
    assert run_text([], env)[1].split() == ["--output"]


def test_a_bad_completion_request_is_one_line():
    code, out, err = run_text([], {"_BATCHSTAT_COMPLETE": "complete_tcsh"})
    assert code == 2 and out == "" and err.startswith("error: ")


# -- the history ------------------------------------------------------------------------


@pytest.fixture
def history_env(tmp_path) -> dict[str, str]:
    return {"BATCHSTAT_HISTORY": str(tmp_path / "history")}


def test_ids_complete_from_the_jobs_get_and_watch_were_asked_for(cli, emulator, history_env):
    task = emulator.alibaba.add_job(images=[AlibabaImage("https://i.example/a.png")])
    job = emulator.azure.add_job(documents=[AzureDocument("https://s.example/a.docx")])
    other = emulator.azure.add_job(documents=[AzureDocument("https://s.example/b.docx")])
    assert cli("alibaba", "get", task, env=history_env).code == 0
    assert cli("azure", "get", job, env=history_env).code == 0
    assert cli("watch", f"azure:{other}=contracts-fr", "-q", env=history_env).code == 0

    # Each provider's own ids, the most recent first, with its label as the description.
    assert complete("batchstat azure get ", **history_env) == [other, job]
    assert complete("batchstat alibaba get ", **history_env) == [task]
    assert complete("batchstat azure get ", "fish", **history_env) == [
        f"{other}\tcontracts-fr",
        job,
    ]
    assert complete("batchstat azure get ", "zsh", **history_env)[0] == f"{other}:contracts-fr"
    # watch: PROVIDER:ID, with the label it was watched with.
    assert complete("batchstat watch ", **history_env) == [
        f"azure:{other}=contracts-fr",
        f"azure:{job}",
        f"alibaba:{task}",
    ]
    assert complete(f"batchstat watch azure:{job[:4]}", **history_env) == [job]
    assert complete(f"batchstat watch azure:{job[:4]}", "zsh", **history_env) == [f"azure\\:{job}"]


def test_history_is_off_with_batchstat_history_0(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=[AzureDocument("https://s.example/a.docx")])
    env = {"BATCHSTAT_HISTORY": "0", "XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert cli("azure", "get", job, env=env).code == 0
    assert list(tmp_path.iterdir()) == []
    assert complete("batchstat azure get ", **env) == []


def test_history_follows_the_state_directory_conventions(tmp_path):
    assert history.history_path({"XDG_STATE_HOME": "/state", "HOME": "/home/u"}) == (
        "/state/batchstat/history"
    )
    if sys.platform.startswith("linux"):
        assert history.history_path({"HOME": "/home/u"}) == (
            "/home/u/.local/state/batchstat/history"
        )
        # A relative XDG_STATE_HOME is to be ignored (the XDG spec).
        assert history.history_path({"XDG_STATE_HOME": "rel", "HOME": "/h"}) == (
            "/h/.local/state/batchstat/history"
        )
    assert history.history_path({}) is None  # no home: no history
    assert history.history_path({"BATCHSTAT_HISTORY": "off", "HOME": "/h"}) is None
    assert history.history_path({"BATCHSTAT_HISTORY": "/x/h", "HOME": "/h"}) == "/x/h"


def test_a_history_that_cannot_be_written_fails_nothing(cli, emulator, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where the directory should be
    job = emulator.azure.add_job(documents=[AzureDocument("https://s.example/a.docx")])
    result = cli("azure", "get", job, env={"BATCHSTAT_HISTORY": str(blocker / "history")})
    assert result.code == 0 and result.stderr == ""


def test_history_is_bounded_and_keeps_the_latest(tmp_path, monkeypatch):
    env = {"BATCHSTAT_HISTORY": str(tmp_path / "history")}
    monkeypatch.setattr(history, "LIMIT", 20)
    monkeypatch.setattr(history, "TRIM_BYTES", 1000)
    for n in range(500):
        history.remember(env, [("azure", f"job-{n:04d}", None)])
    assert (tmp_path / "history").stat().st_size <= 1000 + 16  # trimmed as it grows
    entries = history.recent(env)
    assert [e.id for e in entries] == [f"job-{n:04d}" for n in range(499, 479, -1)]
    assert not list(tmp_path.glob("*.tmp"))


def test_history_lists_a_job_once_at_its_latest_with_its_last_label(tmp_path):
    env = {"BATCHSTAT_HISTORY": str(tmp_path / "history")}
    history.remember(env, [("azure", "a", "old"), ("azure", "b", None), ("alibaba", "a", None)])
    history.remember(env, [("azure", "a", "new")])
    history.remember(env, [("azure", "a", None)])  # asked again without one: keeps "new"
    assert history.recent(env) == [
        history.Entry("azure", "a", "new"),
        history.Entry("alibaba", "a", None),
        history.Entry("azure", "b", None),
    ]
    assert history.recent(env, "alibaba") == [history.Entry("alibaba", "a", None)]


def test_history_never_holds_a_secret_nor_a_broken_line(tmp_path):
    env = {"BATCHSTAT_HISTORY": str(tmp_path / "history")}
    history.remember(
        env,
        [
            ("azure", "id-1", "label-with-s3cret-value"),
            ("azure", "id-2", "tab\there"),
            ("azure", "s3cret-value", None),
            ("azure", "id-3", "ok"),
        ],
        secrets=["s3cret-value"],
    )
    text = (tmp_path / "history").read_text()
    assert "s3cret" not in text
    assert text.splitlines() == ["azure\tid-2\t", "azure\tid-3\tok"]
    assert (tmp_path / "history").stat().st_mode & 0o077 == 0  # the user's own


def test_a_watch_remembers_its_targets_and_labels(cli, emulator, history_env):
    task = emulator.alibaba.add_job(images=[AlibabaImage("https://i.example/a.png")])
    result = cli("watch", f"alibaba:{task}=menu", "-q", env=history_env)
    assert result.code == 0
    assert history.recent(history_env) == [history.Entry("alibaba", task, "menu")]


# -- global options anywhere ------------------------------------------------------------


def parse(*argv: str, env: dict[str, str] | None = None) -> tuple[object, Runtime]:
    seen: list[object] = []
    err = io.StringIO()
    runtime = Runtime(env=env or {}, stderr=err, stdout=io.StringIO(), on_request=seen.append)
    runtime.on_request = lambda request: seen.append(request) or 0
    code = run(list(argv), runtime)
    assert code == 0, err.getvalue()
    (request,) = seen
    return request, runtime


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "--no-color", "--ca-bundle", "{pem}", "watch", "azure:{job}"],
        ["watch", "azure:{job}", "--debug", "--no-color", "--ca-bundle", "{pem}"],
        ["watch", "--debug", "azure:{job}", "--ca-bundle={pem}", "--no-color"],
        ["--no-color", "watch", "--ca-bundle", "{pem}", "azure:{job}", "--debug"],
    ],
)
def test_global_options_before_or_after_the_command(argv, tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    argv = [a.format(pem=pem, job=JOB) for a in argv]
    request, runtime = parse(*argv)
    assert request.targets == [f"azure:{JOB}"]  # type: ignore[attr-defined]
    assert (runtime.debug, runtime.no_color, runtime.ca_bundle) == (True, True, str(pem))


def test_the_resume_line_of_a_watch_keeps_the_global_options(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    request, _ = parse("watch", f"azure:{JOB}", "--ca-bundle", str(pem), "--timeout", "1m")
    assert request.resume_options == ["--ca-bundle", str(pem), "--timeout", "1m"]  # type: ignore[attr-defined]


def test_global_options_after_a_provider_get(tmp_path):
    request, runtime = parse("azure", "get", JOB, "--debug", "-o", "json")
    assert runtime.debug and request.output == "json"  # type: ignore[attr-defined]
    request, runtime = parse("alibaba", "--no-color", "get", "T-1")
    assert runtime.no_color and request.job_ids == ["T-1"]  # type: ignore[attr-defined]


def test_a_bad_ca_bundle_after_the_command_is_a_usage_error_before_any_request(tmp_path):
    seen: list[object] = []
    err = io.StringIO()
    missing = str(tmp_path / "missing.pem")
    runtime = Runtime(env={}, stderr=err, on_request=seen.append)
    assert run(["watch", f"azure:{JOB}", "--ca-bundle", missing], runtime) == 2
    assert seen == [] and "--ca-bundle" in err.getvalue()


def test_the_loader_skips_the_values_of_global_options():
    assert _requested_command(["--ca-bundle", "watch", "azure", "get"]) == "azure"
    assert _requested_command(["--ca-bundle=x.pem", "watch"]) == "watch"
    assert _requested_command(["--debug", "demo"]) == "demo"
    assert _requested_command(["--debug", "--help", "watch"]) is None
    # An option's value that happens to be a command name does not pick the command.
    assert hoist_global_options(["watch", "a:b", "--ca-bundle", "azure"]) == [
        "--ca-bundle",
        "azure",
        "watch",
        "a:b",
    ]


def test_nothing_after_double_dash_is_a_global_option():
    assert hoist_global_options(["watch", "--", "--debug"]) == ["watch", "--", "--debug"]


def test_adding_a_global_option_is_one_entry(monkeypatch):
    # One GlobalOption (as --profile was added): it works anywhere, and the loader knows
    # its value is not the command.
    import batchstat.cli as cli_module

    option = cli_module.GlobalOption("--tag", metavar="NAME", help="A tag.")
    monkeypatch.setattr(cli_module, "GLOBAL_OPTIONS", (*cli_module.GLOBAL_OPTIONS, option))
    monkeypatch.setattr(cli_module.root, "__signature__", cli_module._root_signature())
    for argv in (["--tag", "ci", "watch", "a:b"], ["watch", "a:b", "--tag", "ci"]):
        _, runtime = parse(*argv)
        assert runtime.tag == "ci"  # type: ignore[attr-defined]
    assert _requested_command(["--tag", "watch", "demo"]) == "demo"


# -- --version, help --------------------------------------------------------------------


def test_version_names_batchstat_both_sdks_and_python_without_importing_them():
    code = (
        "import sys\n"
        "from batchstat.cli import run\n"
        "status = run(['--version'])\n"
        "sdks = [m for m in sys.modules if m.startswith(('aliyunsdkcore', 'azure'))]\n"
        "print('imported:', sdks, status)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = proc.stdout.splitlines()
    from importlib.metadata import version

    import batchstat

    assert lines[0] == f"batchstat {batchstat.__version__}"
    assert f"aliyun-python-sdk-core {version('aliyun-python-sdk-core')}" in lines
    assert f"azure-ai-translation-document {version('azure-ai-translation-document')}" in lines
    assert lines[-2].startswith("Python 3.")
    assert lines[-1] == "imported: [] 0"


def every_command() -> list[list[str]]:
    """Every command's path, groups included, read from the app itself."""
    from batchstat.cli import _build_command

    found: list[list[str]] = []
    pending: list[tuple[list[str], object]] = [([], _build_command())]
    while pending:
        path, command = pending.pop()
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            pending.append(([*path, name], sub))
    return sorted(found)


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_every_help_has_an_example_and_names_the_global_options(command, capsys):
    assert run_text([*command, "--help"])[0] == 0
    text = capsys.readouterr().out
    has_example = "Example: batchstat " in text or "Example: source <(batchstat " in text
    assert has_example, f"'batchstat {' '.join(command)} --help' has no 'Example: batchstat ...'"
    assert "--no-color" in text and "--ca-bundle" in text


# -- colour -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tty", "env", "argv", "coloured"),
    [
        (True, {}, [], True),
        (False, {}, [], False),
        (True, {"NO_COLOR": "1"}, [], False),
        (True, {"NO_COLOR": ""}, [], True),  # empty: not set (no-color.org)
        (True, {}, ["--no-color"], False),
        (True, {"FORCE_COLOR": "1"}, ["--no-color"], False),
        (False, {"FORCE_COLOR": "1"}, [], True),  # through a pipe (less -R)
        (False, {"FORCE_COLOR": "0"}, [], False),
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        (True, {"TERM": "dumb"}, [], False),
    ],
)
def test_table_colour(cli, emulator, tty, env, argv, coloured):
    task = emulator.alibaba.add_job(
        images=[AlibabaImage("https://i.example/a.png")], stages=[Stage("finished")]
    )
    result = cli("alibaba", "get", task, *argv, env=env, stdout_tty=tty)
    assert result.code == 0
    assert ("\x1b[" in result.stdout) is coloured
    assert "finished (succeeded)" in result.stdout  # the words say it either way


def test_no_color_reaches_the_live_view(cli, emulator):
    job = emulator.azure.add_job(
        documents=[AzureDocument("https://s.example/a.docx")],
        stages=[Stage("Running", polls=1), Stage("Succeeded")],
    )
    coloured = cli("watch", f"azure:{job}", "--interval", "1s", stderr_tty=True)
    plain = cli("watch", f"azure:{job}", "--interval", "1s", "--no-color", stderr_tty=True)
    colour = "\x1b[3"  # a foreground colour (cursor moves stay)
    assert coloured.code == plain.code == 0
    assert colour in coloured.stderr and colour not in plain.stderr


def test_a_global_option_without_its_value_is_a_usage_error():
    code, out, err = run_text(["watch", f"azure:{JOB}", "--ca-bundle"])
    assert code == 2 and out == ""
    assert err.startswith("error: option --ca-bundle needs a value: --ca-bundle FILE.")
