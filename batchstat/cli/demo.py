"""``batchstat demo``: the whole product on the embedded emulator, no account needed."""

from typing import Annotated

import typer

from batchstat.cli.common import runtime_of
from batchstat.errors import ExitCode

DEMO_IMAGES = [
    "https://img.example.com/demo/menu.png",
    "https://img.example.com/demo/street-sign.jpg",
    "https://img.example.com/demo/fail-blurry-receipt.png",  # "fail": the emulator fails it
]
DEMO_SOURCE = "https://demostore.blob.core.windows.net/source"
DEMO_TARGET = "https://demostore.blob.core.windows.net/target-fr"
DEMO_DOCUMENTS = ["report.docx", "slides.pptx", "fail-scanned-contract.pdf"]

REAL_CLOUDS = """\
To check real jobs:
  Alibaba: export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
           batchstat alibaba get TASK_ID [--region cn-hangzhou]
  Azure:   export AZURE_DOCUMENT_TRANSLATION_ENDPOINT=https://<resource>.cognitiveservices.azure.com
           export AZURE_DOCUMENT_TRANSLATION_KEY=...
           batchstat azure get JOB_ID
  Both:    batchstat watch alibaba:TASK_ID azure:JOB_ID --timeout 30m
Rehearse offline with: batchstat emulator"""


def demo(
    ctx: typer.Context,
    interval: Annotated[str, typer.Option("--interval", help="Poll interval of the watch.")] = "1s",
) -> None:
    """Start the emulator in-process, submit one Alibaba image batch and one Azure document
    batch through the official SDKs (one image and one document fail), and watch both.

    Exits 0 when the demo ran as designed, although its sample jobs include failures.

    Example: batchstat demo
    """
    import secrets

    from batchstat.commands.watch import WatchRequest, run_watch
    from batchstat.durations import parse_duration
    from batchstat.emulator import Emulator
    from batchstat.providers.alibaba import AlibabaConfig, AlibabaProvider
    from batchstat.providers.azure import AzureConfig, AzureProvider

    runtime = runtime_of(ctx)
    request = WatchRequest(
        targets=[],
        interval=parse_duration(interval, option="--interval", minimum=1.0, maximum=3600.0),
    )
    request.timeout = 120.0
    key_id, secret, azure_key = "LTAI5tDemo", secrets.token_urlsafe(16), secrets.token_hex(16)
    emu = Emulator(
        alibaba_credentials={key_id: secret},
        azure_keys=(azure_key,),
        port=0,
        clock=runtime.clock,  # the jobs live on the same clock the watch waits on
    )
    emu.azure.add_container(DEMO_SOURCE, DEMO_DOCUMENTS)
    with emu:
        env = {
            **runtime.env,
            "BATCHSTAT_ALIBABA_ENDPOINT": emu.base_url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
            "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": emu.base_url,
            "AZURE_DOCUMENT_TRANSLATION_KEY": azure_key,
        }
        env.pop("ALIBABA_CLOUD_SECURITY_TOKEN", None)
        demo_runtime = runtime.replace(env=env, secrets=[*runtime.secrets, secret, azure_key])
        runtime.say(f"emulator started at {emu.base_url}")
        ali = AlibabaProvider(AlibabaConfig.from_env(demo_runtime), demo_runtime)
        task_id = ali.submit(DEMO_IMAGES, "zh", "en")
        runtime.say(f"submitted Alibaba image batch {task_id} ({len(DEMO_IMAGES)} images)")
        az = AzureProvider(AzureConfig.from_env(demo_runtime), demo_runtime)
        job_id = az.submit(DEMO_SOURCE, DEMO_TARGET, "fr")
        runtime.say(f"submitted Azure document batch {job_id} ({len(DEMO_DOCUMENTS)} documents)")
        request.targets = [f"alibaba:{task_id}", f"azure:{job_id}"]
        code = run_watch(request, demo_runtime)
    runtime.say("")
    runtime.say_lines(REAL_CLOUDS)
    # Both sample jobs include one failure by design: partial success is the expected end.
    if code == ExitCode.PARTIAL:
        raise typer.Exit(0)
    runtime.say(f"demo did not end as designed (watch exit code {code})")
    raise typer.Exit(code)
