"""Floor for `batchstat azure get` on a large job: list every document status with the SDK.

Usage: python bench/floor_azure_list.py JOB_ID  (env as for batchstat); prints the count.
"""

import os
import sys

from azure.ai.translation.document import DocumentTranslationClient
from azure.core.credentials import AzureKeyCredential

client = DocumentTranslationClient(
    os.environ["AZURE_DOCUMENT_TRANSLATION_ENDPOINT"],
    AzureKeyCredential(os.environ["AZURE_DOCUMENT_TRANSLATION_KEY"]),
    api_version="2024-05-01",
)
count = 0
for _ in client.list_document_statuses(sys.argv[1], maxpagesize=100):
    count += 1
print(count)
