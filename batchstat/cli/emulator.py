"""``batchstat emulator``: both clouds on one local port, for rehearsing scripts offline."""

from typing import Annotated

import typer

from batchstat.cli.common import runtime_of
from batchstat.errors import Terminated, UsageError

DEFAULT_ALIBABA_KEY_ID = "LTAI5tEmulatorKeyId"
DEFAULT_ALIBABA_SECRET = "emulator-secret"
DEFAULT_AZURE_KEY = "emulator-key"


def emulator(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")
    ] = 8080,
    alibaba_access_key_id: Annotated[
        str,
        typer.Option(
            "--alibaba-access-key-id",
            envvar="BATCHSTAT_EMULATOR_ALIBABA_ACCESS_KEY_ID",
            help="AccessKeyId the emulator accepts.",
        ),
    ] = DEFAULT_ALIBABA_KEY_ID,
    alibaba_access_key_secret: Annotated[
        str,
        typer.Option(
            "--alibaba-access-key-secret",
            envvar="BATCHSTAT_EMULATOR_ALIBABA_ACCESS_KEY_SECRET",
            # Named in the text: "[env var: ...]" would split this long name mid-word at 80 columns.
            show_envvar=False,
            help="Its secret (signatures are verified). Env var (kept out of ps): "
            "BATCHSTAT_EMULATOR_ALIBABA_ACCESS_KEY_SECRET",
        ),
    ] = DEFAULT_ALIBABA_SECRET,
    azure_key: Annotated[
        str,
        typer.Option(
            "--azure-key",
            envvar="BATCHSTAT_EMULATOR_AZURE_KEY",
            help="Ocp-Apim-Subscription-Key the emulator accepts (the env var keeps it out of ps).",
        ),
    ] = DEFAULT_AZURE_KEY,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="JSON file seeding jobs and faults (format in the README); replaces the "
            "example jobs unless --examples is given.",
        ),
    ] = None,
    examples: Annotated[
        bool | None,
        typer.Option(
            "--examples/--empty",
            show_default=False,
            help="Start with the example jobs (the default without --scenario), or with none.",
        ),
    ] = None,
    result_retention: Annotated[
        str,
        typer.Option(
            "--result-retention",
            help="How long Alibaba results stay after a job finishes (the cloud keeps them 1h).",
        ),
    ] = "1h",
) -> None:
    """Serve local stand-ins for Alibaba alimt and Azure Document Translation until Ctrl-C.

    Prints the environment variables that point batchstat (and the SDKs) at it, then the
    example jobs it starts with (one per state on each cloud) as "# example:" comments.

    Example: batchstat emulator --port 8080 --empty
    """
    import shlex

    from batchstat.durations import parse_duration
    from batchstat.emulator import Emulator, ScenarioError
    from batchstat.emulator.examples import Example, seed_examples

    runtime = runtime_of(ctx)
    emu = Emulator(
        host=host,
        port=port,
        alibaba_credentials={alibaba_access_key_id: alibaba_access_key_secret},
        azure_keys=(azure_key,),
        result_retention=parse_duration(result_retention, option="--result-retention"),
    )
    try:
        base = emu.base_url  # binds now, so a busy port fails before anything is printed
    except OSError as err:
        raise UsageError(
            f"cannot listen on {host}:{port}: {err.strerror or err}.",
            "Pick another --port (0 chooses a free one).",
        ) from None
    # A scenario describes a whole rehearsal (listings, paging, faults): examples only on request.
    seeded_examples: list[Example] = []
    if examples or (examples is None and scenario is None):
        seeded_examples = seed_examples(emu)
    seeded: dict[str, list[str]] = {}
    if scenario is not None:
        try:
            seeded = emu.load_scenario(scenario)
        except (OSError, ValueError, ScenarioError) as err:
            raise UsageError(f"--scenario {scenario}: {err}") from None

    def shown(value: str, default: str, option: str) -> str:
        # The documented defaults are public dummies; a value you chose stays off the screen.
        return shlex.quote(value) if value == default else f"'<your {option}>'"

    lines = [
        f"export BATCHSTAT_ALIBABA_ENDPOINT={base}",
        f"export ALIBABA_CLOUD_ACCESS_KEY_ID={shlex.quote(alibaba_access_key_id)}",
        "export ALIBABA_CLOUD_ACCESS_KEY_SECRET="
        + shown(alibaba_access_key_secret, DEFAULT_ALIBABA_SECRET, "--alibaba-access-key-secret"),
        f"export AZURE_DOCUMENT_TRANSLATION_ENDPOINT={base}",
        "export AZURE_DOCUMENT_TRANSLATION_KEY="
        + shown(azure_key, DEFAULT_AZURE_KEY, "--azure-key"),
    ]
    runtime.out.write("\n".join(lines) + "\n")
    for provider, ids in seeded.items():
        for job_id in ids:
            runtime.out.write(f"# seeded: {provider}:{job_id}\n")
    # Shell comments on stdout: the output stays a script that only sets variables.
    width = max((len(example.target) for example in seeded_examples), default=0)
    for example in seeded_examples:
        runtime.out.write(f"# example: {example.target:<{width}}  {example.description}\n")
    runtime.out.flush()
    runtime.say(
        f"batchstat emulator serving Alibaba at {base}/ and Azure at "
        f"{base}/translator; Ctrl-C stops it.",
    )
    featured = [example.target for example in seeded_examples if example.featured]
    if featured:
        runtime.say(f"try: batchstat watch {' '.join(featured)}")
    try:
        emu.serve_forever()
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated)
        runtime.say("emulator stopped")
        raise typer.Exit(143 if isinstance(stop, Terminated) else 130) from None
