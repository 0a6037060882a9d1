"""Terminals (DOMAIN §5.1): the card readers (POS) and the receipt software that take vows, each
registered to a province account and, usually, a kanoon, under the id it prints on its receipts.
A terminal that has sent nothing for the province's number of days is flagged, so the vows-system
expert can see that the system is not active there."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev


class TerminalKind(StrEnum):
    pos = "pos"                # a card reader
    software = "software"      # the receipt software


DEFAULT_QUIET_DAYS = 7


class Terminal(BaseModel):
    id: str                    # the terminal id the reader or software prints (unique)
    kind: TerminalKind
    label: str
    province_id: str
    owner_id: str              # the kanoon it serves, or the province itself
    owner_path: list[str]
    registered_at: datetime
    last_receipt_at: datetime | None = None
    quiet_since: datetime | None = None   # flagged as inactive since
    retired: bool = False
    version: int = 0

    @classmethod
    def register(cls, *, terminal_id: str, kind: TerminalKind, label: str, province_id: str, owner_id: str,
                 owner_path: list[str], clock: Clock) -> tuple["Terminal", list]:
        if province_id not in owner_path:
            raise Invalid("the terminal's kanoon is not in this province", "owner_id")
        t = cls(id=terminal_id, kind=kind, label=label, province_id=province_id, owner_id=owner_id,
                owner_path=owner_path, registered_at=clock.now())
        return t, [ev.TerminalRegistered(terminal_id=t.id, kind=t.kind, province_id=province_id, owner_id=owner_id,
                                         owner_path=owner_path)]

    def check_open(self) -> None:
        if self.retired:
            raise Conflict(f"the terminal {self.id} is retired", "terminal_id")

    def check(self, last_receipt_at: datetime | None, now: datetime, days: int) -> list:
        """What the periodic check learns: the terminal's latest receipt. Nothing received for
        `days` days (counted from registration when nothing ever came) flags it, once; a receipt
        after that clears the flag."""
        self.last_receipt_at = last_receipt_at
        if self.retired:
            return []
        last = last_receipt_at or self.registered_at
        quiet = now - last >= timedelta(days=days)
        if not quiet:
            self.quiet_since = None
            return []
        if self.quiet_since is not None:
            return []
        self.quiet_since = now
        return [ev.TerminalWentQuiet(terminal_id=self.id, province_id=self.province_id, owner_id=self.owner_id,
                                     last_receipt_at=last_receipt_at, days=days)]
