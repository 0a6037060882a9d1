"""Reconciliation (DOMAIN §5.1): a terminal's settlement statement for a day (what the bank says it
settled) against the receipts recorded for that terminal and day; a mismatch is listed with its
difference."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Statement(BaseModel):
    id: str                    # <terminal>:<day>
    terminal_id: str
    day: date                  # the day in Iran
    total: int                 # rials settled
    count: int                 # transactions settled
    province_id: str


class Reconciliation(BaseModel):
    terminal_id: str
    day: date
    statement_total: int
    statement_count: int
    recorded_total: int
    recorded_count: int
    difference: int            # statement − recorded: positive when receipts are missing here
    matches: bool


def reconcile(statement: Statement, receipts: list[tuple[int, bool]]) -> Reconciliation:
    """`receipts`: (amount, reversed) of the terminal's receipts of the statement's day."""
    kept = [amount for amount, reversed_ in receipts if not reversed_]
    total, count = sum(kept), len(kept)
    diff = statement.total - total
    return Reconciliation(terminal_id=statement.terminal_id, day=statement.day, statement_total=statement.total,
                          statement_count=statement.count, recorded_total=total, recorded_count=count,
                          difference=diff, matches=diff == 0 and count == statement.count)
