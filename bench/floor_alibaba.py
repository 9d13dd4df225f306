"""Floor for `batchstat alibaba get`: the one SDK call batchstat makes, and nothing else.

Usage: python bench/floor_alibaba.py TASK_ID  (env as for batchstat)
"""

import json
import os
import sys
from urllib.parse import urlsplit

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

endpoint = urlsplit(os.environ["BATCHSTAT_ALIBABA_ENDPOINT"])
client = AcsClient(
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
    os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    "cn-hangzhou",
    auto_retry=False,
    # As batchstat does for a loopback endpoint: the SDK ignores NO_PROXY.
    proxy={"http": None, "https": None},
)
request = CommonRequest(
    domain=endpoint.netloc, version="2018-10-12", action_name="GetTranslateImageBatchResult"
)
request.set_protocol_type(endpoint.scheme)
request.set_method("POST")
request.set_accept_format("json")
request.add_body_params("TaskId", sys.argv[1])
print(json.loads(client.do_action_with_exception(request)))
