"""Receipts (DOMAIN §5.1): vows, contributions, gifts and endowments received by a terminal, one
by one or in batches from the files the receipt software or the bank exports. A receipt is
identified by its terminal and reference number (RRN/trace), so the same receipt twice is recorded
once. Each receipt posts to the ledger: the terminal's account is debited, the income of its
kanoon or province (or an earmarked project's fund) credited."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel import jalali
from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev
from .ledger import Posting
from .terminals import Terminal


class Channel(StrEnum):
    vow = "vow"                    # نذورات
    contribution = "contribution"  # مشارکت‌ها
    gift = "gift"                  # هدایا
    endowment = "endowment"        # موقوفات


class Receipt(BaseModel):
    id: str                        # <terminal>:<rrn>
    terminal_id: str
    rrn: str
    at: datetime
    amount: int
    channel: Channel
    intent: str                    # the purpose the giver named (نیت)
    donor: str | None = None       # personal data: finance staff only, never on the bus
    owner_id: str
    owner_path: list[str]
    province_id: str
    project_id: str | None = None
    posting_id: str
    batch_id: str | None = None
    reversed: bool = False
    reversal_reason: str | None = None
    recorded_at: datetime
    version: int = 0

    @staticmethod
    def key(terminal_id: str, rrn: str) -> str:
        return f"{terminal_id}:{rrn}"

    @property
    def month(self) -> str:
        y, m = jalali.jalali_year_month(jalali.local_date(self.at))
        return f"{y}-{m:02d}"

    def facts(self) -> dict:
        """What a figure needs to count the receipt; no donor."""
        return {"receipt_id": self.id, "terminal_id": self.terminal_id, "owner_id": self.owner_id,
                "owner_path": self.owner_path, "month": self.month, "channel": self.channel,
                "intent": self.intent, "amount": self.amount, "project_id": self.project_id}

    @classmethod
    def record(cls, *, terminal: Terminal, rrn: str, at: datetime, amount: int, channel: Channel, intent: str,
               donor: str | None, by: str, clock: Clock, project_id: str | None = None,
               batch_id: str | None = None) -> tuple["Receipt", Posting, list]:
        terminal.check_open()
        if at > clock.now():
            raise Invalid("a receipt's time is not in the future", "at")
        if at < terminal.registered_at.replace(year=terminal.registered_at.year - 1):
            raise Invalid("the receipt is more than a year older than its terminal's registration", "at")
        income = f"project:{project_id}" if project_id else f"income:{channel}:{terminal.owner_id}"
        posting = Posting.make(kind="receipt", ref=cls.key(terminal.id, rrn), by=by, clock=clock,
                               lines=[(f"terminal:{terminal.id}", amount), (income, -amount)])
        r = cls(id=cls.key(terminal.id, rrn), terminal_id=terminal.id, rrn=rrn, at=at, amount=amount, channel=channel,
                intent=intent, donor=donor, owner_id=terminal.owner_id, owner_path=terminal.owner_path,
                province_id=terminal.province_id, project_id=project_id, posting_id=posting.id, batch_id=batch_id,
                recorded_at=clock.now())
        return r, posting, [ev.ReceiptRecorded(**r.facts()), posting.event()]

    def reverse(self, posting: Posting, reason: str, by: str, clock: Clock) -> tuple[Posting, list]:
        """A receipt recorded in error is reversed, never deleted: a reversing posting names it."""
        if self.reversed:
            raise Conflict("the receipt is already reversed", "receipt_id")
        if not reason or len(reason.strip()) < 3:
            raise Invalid("a reversal states its reason", "reason")
        undo = posting.reversal(ref=self.id, by=by, clock=clock)
        self.reversed, self.reversal_reason = True, reason
        return undo, [ev.ReceiptReversed(**self.facts(), reason=reason, posting_id=undo.id), undo.event()]
