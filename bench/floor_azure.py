"""Floor for `batchstat azure get --no-documents`: the one SDK call batchstat makes.

Usage: python bench/floor_azure.py JOB_ID  (env as for batchstat)
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
print(client.get_translation_status(sys.argv[1]).status)
