"""Documents people attach (invoices, receipts, an inspection's photos and minutes, a festival work):
PDF, JPEG or PNG, recognised by their content's signature (never by the file's name), at most
MAX_BYTES, kept with their sha256. One rule for every service that takes files."""
from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import gridfs

from .errors import Invalid, NotFound

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


def decode(content_b64: str) -> bytes:
    """A file as an RPC carries it (base64); a malformed one is refused naming `content`."""
    try:
        return base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the file's content is not base64", "content") from None


def keyed_id(prefix: str, idempotency, clock) -> str:
    """An id a retried request (the same Idempotency-Key) gets again, so that what it writes before
    its transaction — a file, a batch's rows — is written once; a fresh id without a key."""
    if idempotency:
        return f"{prefix}_" + hashlib.sha256(idempotency.key.encode()).hexdigest()[:16]
    return clock.new_id(prefix)


class Files:
    """A repository's files in a GridFS bucket (`FILES_BUCKET`), written before the record that
    names them commits: a file whose record never commits is an orphan, never a record without its
    file; the same id written again (a retried upload) is the same bytes."""

    FILES_BUCKET = "attachments"
    FILE_FIELD = "attachment_id"
    db: Any

    def _bucket(self):
        return gridfs.GridFSBucket(self.db.raw, bucket_name=self.FILES_BUCKET)

    def store_file(self, file_id: str, name: str, content: bytes, content_type: str) -> None:
        try:
            self._bucket().upload_from_stream_with_id(file_id, name, content, metadata={"content_type": content_type})
        except gridfs.errors.FileExists:
            pass

    def file_content(self, file_id: str) -> bytes:
        try:
            return self._bucket().open_download_stream(file_id).read()
        except gridfs.errors.NoFile:
            raise NotFound(f"no file {file_id}", self.FILE_FIELD) from None
