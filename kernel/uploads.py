"""Documents people attach (invoices, receipts, an inspection's photos and minutes, a festival work):
PDF, JPEG or PNG, recognised by their content's signature (never by the file's name), at most
MAX_BYTES, kept with their sha256. One rule for every service that takes files."""
from __future__ import annotations

import hashlib

from .errors import Invalid

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def content_type_of(content: bytes) -> str:
    if not content:
        raise Invalid("the file is empty", "file")
    if len(content) > MAX_BYTES:
        raise Invalid(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", "file")
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return kind
    raise Invalid("a document is a PDF, JPEG or PNG file (read from its content, not its name)", "file")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
