"""Financial documents' files (DOMAIN §5.3): invoices and receipts as PDF, JPEG or PNG, recognised
by their content's signature (never by the file's name), at most MAX_BYTES, kept with their sha256."""
from __future__ import annotations

import hashlib

from pydantic import BaseModel

from kernel.errors import Invalid

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class DocumentFile(BaseModel):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    owner_id: str              # the kanoon or the province it belongs to
    owner_path: list[str]
    uploaded_by: str
    expense_id: str | None = None   # the expense it documents, once attached
    discharge_of: str | None = None  # or the funding whose discharge letter it is


def content_type_of(content: bytes) -> str:
    if not content:
        raise Invalid("the file is empty", "file")
    if len(content) > MAX_BYTES:
        raise Invalid(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", "file")
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return kind
    raise Invalid("a document is a PDF, JPEG or PNG file (read from its content, not its name)", "file")


def describe(doc_id: str, name: str, content: bytes, owner_id: str, owner_path: list[str], by: str) -> DocumentFile:
    return DocumentFile(id=doc_id, name=(name or "document")[:200], content_type=content_type_of(content),
                        size=len(content), sha256=hashlib.sha256(content).hexdigest(), owner_id=owner_id,
                        owner_path=owner_path, uploaded_by=by)
