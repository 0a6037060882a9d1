"""Reading the files people keep their lists in (CSV or Excel: the receipt software's and the banks'
exports, HQ's lists of members, units and kanoons) into rows of cells.
Formats are recognised by their content (an Excel file is a ZIP with the workbook inside; a CSV is
text), never by the file's name; anything else is refused."""
from __future__ import annotations

import csv
import io
import zipfile

from .errors import Invalid

MAX_BYTES = 25 * 1024 * 1024


def rows_of(content: bytes, max_rows: int) -> tuple[str, list[str], list[list]]:
    """(format, header, rows) of a CSV or XLSX file."""
    if not content:
        raise Invalid("the file is empty", "file")
    if len(content) > MAX_BYTES:
        raise Invalid(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it", "file")
    if content[:4] == b"PK\x03\x04":
        return ("xlsx", *_xlsx(content, max_rows))
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise Invalid("old Excel files (.xls) are not read: save the sheet as .xlsx or CSV", "file")
    return ("csv", *_csv(content, max_rows))


def _text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise Invalid("the file is neither an Excel workbook nor CSV text in UTF-8", "file")


def _csv(content: bytes, max_rows: int) -> tuple[list[str], list[list]]:
    text = _text(content)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [r for r in reader if any(c.strip() for c in r)]
    return _split(rows, max_rows)


def _xlsx(content: bytes, max_rows: int) -> tuple[list[str], list[list]]:
    import openpyxl  # noqa: PLC0415 (only an Excel import needs it)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Invalid(f"the Excel file cannot be read ({type(exc).__name__})", "file") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            if any(v not in (None, "") for v in values):
                rows.append(list(values))
            if len(rows) > max_rows + 1:
                break
    finally:
        book.close()
    return _split(rows, max_rows)


def _split(rows: list[list], max_rows: int) -> tuple[list[str], list[list]]:
    if not rows:
        raise Invalid("the file has no rows", "file")
    if len(rows) - 1 > max_rows:
        raise Invalid(f"a file holds at most {max_rows:,} rows; split it", "file")
    return [str(h or "").strip() for h in rows[0]], rows[1:]
