"""Batches of receipts from a file (DOMAIN §5.1): each row is read on its own and ends accepted,
a duplicate (its terminal and reference number were recorded before, or earlier in the same file)
or refused with the field and the reason. A row is applied whole or not at all."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel import jalali
from kernel.errors import Invalid
from kernel.persian import normalize_digits, normalize_text
from .. import events as ev
from . import figures
from .money import rials
from .receipts import Channel

# The columns a file may carry, by the names the receipt software, the bank or a person uses.
COLUMNS = {
    "terminal_id": ("terminal_id", "terminal", "ترمینال", "شماره ترمینال", "پایانه", "شماره پایانه"),
    "rrn": ("rrn", "reference", "trace", "شماره مرجع", "مرجع", "شماره پیگیری", "پیگیری"),
    "at": ("at", "time", "datetime", "date", "زمان", "تاریخ", "تاریخ و ساعت"),
    "amount": ("amount", "مبلغ", "مبلغ (ریال)"),
    "intent": ("intent", "purpose", "نیت", "بابت"),
    "channel": ("channel", "kind", "نوع"),
    "donor": ("donor", "نیکوکار", "نام نیکوکار", "واریزکننده"),
    "project_id": ("project_id", "project", "پروژه"),
}
REQUIRED = ("terminal_id", "rrn", "at", "amount")
CHANNEL_NAMES = {"نذر": Channel.vow, "نذورات": Channel.vow, "مشارکت": Channel.contribution,
                 "هدیه": Channel.gift, "هدایا": Channel.gift, "وقف": Channel.endowment, "موقوفات": Channel.endowment}
MAX_ROWS = 200_000


class Row(BaseModel):
    row: int                   # 1 = the first row after the header
    terminal_id: str
    rrn: str
    at: datetime
    amount: int
    channel: Channel = Channel.vow
    intent: str = "عمومی"
    donor: str | None = None
    project_id: str | None = None


def header_map(header: list[str]) -> dict[str, int]:
    """Which column holds which field; unknown columns are ignored, a missing required one refused."""
    names = {normalize_text(str(h or "")).lower(): i for i, h in enumerate(header)}
    found = {}
    for field, aliases in COLUMNS.items():
        for a in aliases:
            if a.lower() in names:
                found[field] = names[a.lower()]
                break
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise Invalid("the file's header lacks the column " + ", ".join(missing)
                      + " (e.g. terminal_id, rrn, at, amount, intent)", "file")
    return found


def read_row(n: int, cells: list, columns: dict[str, int]) -> Row:
    """One row of the file, or Invalid naming the column at fault."""
    def cell(field):
        i = columns.get(field)
        v = cells[i] if i is not None and i < len(cells) else None
        if isinstance(v, str):
            v = normalize_text(v)
        return None if v in (None, "") else v
    for f in REQUIRED:
        if cell(f) is None:
            raise Invalid(f"the {f} is empty", f)
    terminal = normalize_digits(str(cell("terminal_id"))).strip()
    rrn = normalize_digits(str(cell("rrn"))).strip()
    if isinstance(cell("terminal_id"), float) or isinstance(cell("rrn"), float):
        raise Invalid("write terminal ids and reference numbers as text, not as decimal numbers", "rrn")
    if len(terminal) > 40 or len(rrn) > 40 or not rrn.replace("-", "").isalnum():
        raise Invalid("the terminal id and the reference number are at most 40 letters or digits", "rrn")
    try:
        at = jalali.parse_instant(cell("at"))
    except ValueError as exc:
        raise Invalid(str(exc), "at") from None
    channel_text = cell("channel")
    if channel_text is None:
        channel = Channel.vow
    else:
        channel = CHANNEL_NAMES.get(str(channel_text)) or _channel(str(channel_text).lower())
    intent = str(cell("intent") or "عمومی")[:100]
    donor = str(cell("donor"))[:200] if cell("donor") is not None else None
    project = str(cell("project_id")) if cell("project_id") is not None else None
    return Row(row=n, terminal_id=terminal, rrn=rrn, at=at, amount=rials(cell("amount")), channel=channel,
               intent=intent, donor=donor, project_id=project)


def _channel(text: str) -> Channel:
    try:
        return Channel(text)
    except ValueError:
        raise Invalid("the kind is vow, contribution, gift or endowment (نذر، مشارکت، هدیه، وقف)", "channel") from None


def chunk_event(batch_id: str, chunk: int, recorded: list) -> "ev.ReceiptsImported":
    """One event for a chunk of receipts recorded together (`recorded`: [(receipt, posting)]): the
    figures and ledger lines they add, summed, so the event stays small whatever the chunk."""
    figs: dict[tuple[tuple[str, ...], str], dict[str, int]] = {}
    lines: dict[str, int] = {}
    for r, p in recorded:
        into = figs.setdefault((tuple(r.owner_path), r.month), {})
        for k, v in figures.deltas("finance.receipt.recorded.v1", r.facts()).items():
            into[k] = into.get(k, 0) + v
        for x in p.lines:
            lines[x.account] = lines.get(x.account, 0) + x.amount
    return ev.ReceiptsImported(
        batch_id=batch_id, chunk=chunk, count=len(recorded), amount=sum(r.amount for r, _ in recorded),
        receipt_ids=[r.id for r, _ in recorded], posting_ids=[p.id for _, p in recorded],
        figures=[{"path": list(path), "month": month, "inc": inc} for (path, month), inc in figs.items()],
        lines=[[a, n] for a, n in sorted(lines.items()) if n])


class Outcome(BaseModel):
    row: int
    status: str                # accepted | duplicate | refused
    receipt_id: str | None = None
    field: str | None = None
    reason: str | None = None


class BatchReport(BaseModel):
    id: str
    file_name: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    amount: int = 0            # rials accepted
    outcomes: list[Outcome] = []

    def add(self, o: Outcome, amount: int = 0) -> None:
        self.rows += 1
        self.outcomes.append(o)
        if o.status == "accepted":
            self.accepted += 1
            self.amount += amount
        elif o.status == "duplicate":
            self.duplicates += 1
        else:
            self.refused += 1
