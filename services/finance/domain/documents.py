"""Financial documents' files (DOMAIN §5.3): invoices and receipts as PDF, JPEG or PNG, recognised
by their content's signature (never by the file's name), at most MAX_BYTES, kept with their sha256
(the rule every service shares: kernel.uploads)."""
from __future__ import annotations

from pydantic import BaseModel

from kernel.uploads import content_type_of
from kernel.uploads import sha256 as digest


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


def describe(doc_id: str, name: str, content: bytes, owner_id: str, owner_path: list[str], by: str) -> DocumentFile:
    return DocumentFile(id=doc_id, name=(name or "document")[:200], content_type=content_type_of(content),
                        size=len(content), sha256=digest(content), owner_id=owner_id,
                        owner_path=owner_path, uploaded_by=by)
