"""Errors explained: the likely cause and fix of the failure codes services are known to
send, as data. ``explain`` adds them to an error dict as ``hint``; the model calls it
for every item error and job error, so JSON and tables show the same words.

A code is looked up as sent (Alibaba's ``Code`` is an integer or a string); an error with
nested inner errors is explained by its most specific code that has a hint (Azure sends
``InvalidRequest`` outside, ``InvalidDocumentAccessLevel`` inside).
"""

from __future__ import annotations

from typing import Any

_ACCESS = (
    "The storage SAS lacks a permission: the source container needs read and list, the "
    "target container write and list. A blob SAS (sr=b) where a container is expected "
    "fails the same way: give a container SAS (sr=c)."
)

# Codes (as text) -> likely cause and fix.
CODE_HINTS: dict[str, str] = {
    # Document Translation: inner codes first, then the outer TranslationErrorCode values.
    "InvalidDocumentAccessLevel": _ACCESS,
    "TargetFileAlreadyExists": (
        "A file of the same name is already in the target container, and the service "
        "never overwrites one: delete it or pick another target container or folder, "
        "then submit the document again."
    ),
    "SASTokenInvalid": (
        "The SAS token is malformed, expired or signed with a rotated key: generate a new "
        "one (check its start and expiry times) and submit again."
    ),
    "NoTranslatableDocuments": (
        "No document in the source matched: check the source URL, the filter's prefix and "
        "suffix, and that the files are of a supported format."
    ),
    "InternalServerError": (
        "A failure on the service's side: submit the failed documents again; if it "
        "persists, report it with the job id."
    ),
    "ServiceUnavailable": "The service was unavailable: submit the failed documents again later.",
    "RequestRateTooHigh": "Too many requests to the resource: wait, then submit again.",
    "Unauthorized": (
        "The key does not belong to this resource, or the resource may not use the storage "
        "account: check the key and the storage access (SAS or managed identity)."
    ),
    "ResourceNotFound": (
        "The service does not know this id at this endpoint: check the id and that the "
        "endpoint is the resource the job was submitted to."
    ),
    # Alibaba Cloud machine translation business codes (101-113; their 1000N twins below).
    "101": (
        "A timeout on the service's side, which passes: try again (an image that failed "
        "with it must be submitted again)."
    ),
    "102": (
        "A system error on the service's side, which passes: try again later (an image "
        "that failed with it must be submitted again)."
    ),
    "103": (
        "The service could not decode an image URL: percent-encode it (spaces, non-ASCII "
        "characters) and submit again."
    ),
    "104": (
        "A required parameter was missing: ImageUrls, SourceLanguage and TargetLanguage "
        "are required."
    ),
    "105": (
        "The language pair is not supported for image translation: check SourceLanguage and "
        "TargetLanguage against the supported pairs."
    ),
    "106": (
        "The source language could not be detected: give SourceLanguage explicitly, and "
        "check that the image holds legible text."
    ),
    "107": (
        "Translating the image failed: check it (at most 10 MB, aspect ratio under 10:1, "
        "jpg, png, bmp, gif or webp) and submit it again."
    ),
    "108": "The text is too long for one request: use a smaller image, or split it.",
    "110": "The account has not activated Machine Translation: activate it in the console.",
    "111": (
        "The sub-account (RAM user) call failed: check the RAM user's permissions for "
        "machine translation, or use the account's own key."
    ),
    "112": (
        "The service's call to its translation engine failed, which passes: try again "
        "later (an image that failed with it must be submitted again)."
    ),
    "113": (
        "Machine Translation is not activated, or the account has an overdue balance: "
        "activate the service or top up the account."
    ),
    "19999": (
        "An unknown error on the service's side: try again; if it persists, contact "
        "support with the request id."
    ),
}
# The five-digit twins of the three-digit codes (10N <-> 1000N, 11N <-> 1001N).
CODE_HINTS.update(
    {
        f"100{code[1:]}": hint
        for code, hint in list(CODE_HINTS.items())
        if code.isdigit() and len(code) == 3
    }
)
# 10009 has no three-digit twin (109 is not published).
CODE_HINTS["10009"] = (
    "The RAM user has no permission for machine translation: grant it (e.g. the "
    "AliyunMTFullAccess policy), or use another access key."
)

# A job's status word -> what it means, put before the code's hint in the job's error.
STATUS_HINTS: dict[str, str] = {
    "ValidationFailed": (
        "ValidationFailed: the job was rejected before any document was translated "
        "(nothing charged); fix the cause and submit it again."
    ),
    "Failed": "Failed: every document was tried and failed; each document's error says why.",
}


def hint_for(code: Any) -> str | None:
    """The hint for ``code`` (``Code/InnerCode`` is read inner first), or None."""
    if code is None or isinstance(code, bool):
        return None
    for part in reversed(str(code).split("/")):
        hint = CODE_HINTS.get(part.strip())
        if hint is not None:
            return hint
    return None


def error_hint(error: dict[str, Any], status: str | None = None) -> str | None:
    """The hint of an error: its most specific code's, after the job status's."""
    codes = []
    current: Any = error
    depth = 0
    while isinstance(current, dict) and depth < 8:  # nested inner errors, bounded
        codes.append(current.get("code"))
        current = current.get("inner_error")
        depth += 1
    found = next((h for h in map(hint_for, reversed(codes)) if h is not None), None)
    said = STATUS_HINTS.get(status) if status else None
    if said and found:
        return f"{said} {found}"
    return said or found


def explain(error: dict[str, Any] | None, status: str | None = None) -> dict[str, Any] | None:
    """``error`` with its ``hint`` (None when nothing is known of its code)."""
    if error is None:
        return None
    if "hint" in error:  # explained already
        return error
    return {**error, "hint": error_hint(error, status)}
