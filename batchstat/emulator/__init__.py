"""Local emulator of Alibaba Cloud alimt (image batch translation) and Azure Document Translation.

Standard library only, so importing it stays cheap. Typical use in a test:

    from batchstat.emulator import Emulator, FakeClock, Stage

    clock = FakeClock()
    with Emulator(clock=clock) as emu:
        task_id = emu.alibaba.add_job(["https://img.example/a.png"])
        job_id = emu.azure.add_job(["https://acct.blob.core.windows.net/src/a.docx"])
        ...  # point the SDKs at emu.base_url

See server.py for the HTTP side, alibaba.py / azure.py for each cloud, scenario.py for the
JSON scenario format.
"""

from .alibaba import AlibabaImage, AlibabaJob
from .azure import AzureDocument, AzureJob
from .clock import FakeClock
from .faults import Fault
from .lifecycle import Stage
from .scenario import ScenarioError
from .server import Emulator, RecordedRequest

__all__ = [
    "AlibabaImage",
    "AlibabaJob",
    "AzureDocument",
    "AzureJob",
    "Emulator",
    "FakeClock",
    "Fault",
    "RecordedRequest",
    "ScenarioError",
    "Stage",
]
