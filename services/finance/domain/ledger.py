"""The ledger (DOMAIN §5): every movement of money is an append-only, double-entry posting whose
lines sum to zero across accounts. Nothing is edited or deleted; a correction is a reversing
posting that names the one it reverses. Balances and period figures are derived from postings.

Accounts are named by what they hold:
    terminal:<id>              money a card reader or the receipt software took, not yet settled
    income:<channel>:<owner>   what was received for a kanoon or a province (vow, contribution, …)
    project:<id>               a fundraising project's fund (receipts earmarked to it)
Debits are positive, credits negative."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev


class Line(BaseModel):
    account: str
    amount: int  # rials; + debit, − credit


class Posting(BaseModel):
    id: str
    kind: str                      # receipt | reversal | …
    ref: str                       # what it records (a receipt id, …)
    lines: list[Line]
    at: datetime
    by: str
    reverses: str | None = None    # the posting this one reverses
    reversed_by: str | None = None

    @classmethod
    def make(cls, *, kind: str, ref: str, lines: list[tuple[str, int]], by: str, clock: Clock,
             reverses: str | None = None) -> "Posting":
        check_balanced(lines)
        return cls(id=clock.new_id("pt"), kind=kind, ref=ref, lines=[Line(account=a, amount=n) for a, n in lines],
                   at=clock.now(), by=by, reverses=reverses)

    def reversal(self, *, ref: str, by: str, clock: Clock) -> "Posting":
        """The posting that undoes this one: every line negated, naming this one."""
        if self.reversed_by is not None:
            raise Conflict(f"the posting {self.id} is already reversed by {self.reversed_by}", "posting_id")
        if self.reverses is not None:
            raise Conflict("a reversal is not reversed; record the movement again instead", "posting_id")
        r = Posting.make(kind="reversal", ref=ref, lines=[(x.account, -x.amount) for x in self.lines], by=by,
                         clock=clock, reverses=self.id)
        self.reversed_by = r.id
        return r

    def event(self) -> ev.PostingRecorded:
        return ev.PostingRecorded(posting_id=self.id, kind=self.kind, ref=self.ref, reverses=self.reverses,
                                  lines=[[x.account, x.amount] for x in self.lines])


def check_balanced(lines: list[tuple[str, int]]) -> None:
    if len(lines) < 2:
        raise Invalid("a posting moves money between at least two accounts", "lines")
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise Invalid("ledger amounts are whole rials", "lines")
        if amount == 0:
            raise Invalid(f"a line of zero rials on {account}", "lines")
        if not account or ":" not in account:
            raise Invalid(f"{account!r} is not an account name", "lines")
    if sum(a for _, a in lines) != 0:
        raise Invalid("a posting's lines sum to zero (debits equal credits)", "lines")


def balances(postings: list[Posting]) -> dict[str, int]:
    """Each account's balance from postings (what the read model keeps incrementally)."""
    out: dict[str, int] = {}
    for p in postings:
        for x in p.lines:
            out[x.account] = out.get(x.account, 0) + x.amount
    return {k: v for k, v in out.items() if v}
