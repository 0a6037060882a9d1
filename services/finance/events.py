"""The finance service's events (its public contract; snapshots in event_schemas/). Amounts are
whole rials. No event carries a donor's name."""
from __future__ import annotations

from datetime import date, datetime

from kernel import personal
from kernel.events import EventData, event_type


@event_type("finance.posting.recorded.v1", "posting/{posting_id}")
class PostingRecorded(EventData):
    posting_id: str
    kind: str                  # receipt | reversal
    ref: str                   # what it records
    reverses: str | None
    lines: list[list]          # [account, rials] pairs; they sum to zero


@event_type("finance.terminal.registered.v1", "terminal/{terminal_id}")
class TerminalRegistered(EventData):
    terminal_id: str
    kind: str                  # pos | software
    province_id: str
    owner_id: str              # a kanoon, or the province
    owner_path: list[str]


@event_type("finance.terminal.went_quiet.v1", "terminal/{terminal_id}")
class TerminalWentQuiet(EventData):
    terminal_id: str
    province_id: str
    owner_id: str
    last_receipt_at: datetime | None
    days: int                  # the province's number of days without receipts


class ReceiptFacts(EventData):
    receipt_id: str
    terminal_id: str
    owner_id: str
    owner_path: list[str]
    month: str                 # Jalali YYYY-MM of the receipt's time in Iran
    channel: str               # vow | contribution | gift | endowment
    intent: str
    amount: int
    project_id: str | None


@event_type("finance.receipt.recorded.v1", "receipt/{receipt_id}")
class ReceiptRecorded(ReceiptFacts):
    pass


@event_type("finance.receipt.reversed.v1", "receipt/{receipt_id}")
class ReceiptReversed(ReceiptFacts):
    reason: str
    posting_id: str            # the reversing posting


@event_type("finance.receipts.imported.v1", "batch/{batch_id}")
class ReceiptsImported(EventData):
    """A chunk of a file's receipts, recorded in one commit: which receipts and postings, what they
    add to each unit's month (`figures`: path, month, increments, as `receipt.recorded` would) and
    to each ledger account (`lines`, summed; they sum to zero). The receipts themselves are read
    from the service (`GET /api/finance/receipts/{id}`)."""
    batch_id: str
    chunk: int
    count: int
    amount: int
    receipt_ids: list[str]
    posting_ids: list[str]
    figures: list[dict]        # [{"path": [...], "month": "1404-08", "inc": {"total.amount": …}}]
    lines: list[list]          # [account, rials] summed over the chunk's postings


@event_type("finance.batch.imported.v1", "batch/{batch_id}")
class BatchImported(EventData):
    batch_id: str
    province_id: str
    rows: int
    accepted: int
    duplicates: int
    refused: int
    amount: int


@event_type("finance.statement.reconciled.v1", "terminal/{terminal_id}")
class StatementReconciled(EventData):
    terminal_id: str
    day: date
    matches: bool
    difference: int            # statement − recorded, rials
    owner_id: str | None = None   # the terminal's kanoon or province


@event_type("finance.asset.registered.v1", "asset/{asset_id}")
class AssetRegistered(EventData):
    asset_id: str
    province_id: str
    unit_id: str
    custodian_id: str
    value: int


@event_type("finance.asset.handover_requested.v1", "asset/{asset_id}")
class AssetHandoverRequested(EventData):
    asset_id: str
    from_custodian_id: str
    to_custodian_id: str
    by: str


@event_type("finance.asset.handed_over.v1", "asset/{asset_id}")
class AssetHandedOver(EventData):
    asset_id: str
    from_custodian_id: str
    to_custodian_id: str


@event_type("finance.project.defined.v1", "project/{project_id}")
class ProjectDefined(EventData):
    project_id: str
    kanoon_id: str
    kanoon_path: list[str]
    target: int


@event_type("finance.project.closed.v1", "project/{project_id}")
class ProjectClosed(EventData):
    project_id: str
    kanoon_id: str
    raised: int                # rials, from the ledger
    target: int
    by: str


@event_type("finance.expense.recorded.v1", "expense/{expense_id}")
class ExpenseRecorded(EventData):
    expense_id: str
    owner_id: str
    owner_path: list[str]
    category: str
    amount: int
    documents: int             # how many documents carry it
    funding_id: str | None = None            # spent from a body's funding, not reimbursed by the Center
    executive_project_id: str | None = None  # one of the reports service's executive projects


@event_type("finance.voucher.drafted.v1", "voucher/{voucher_id}")
class VoucherDrafted(EventData):
    voucher_id: str
    owner_id: str
    total: int
    expenses: int


@event_type("finance.voucher.stepped.v1", "voucher/{voucher_id}")
class VoucherStepped(EventData):
    voucher_id: str
    owner_id: str
    status: str                # checked | sent | reimbursed | returned
    by: str


@event_type("finance.funding.received.v1", "funding/{funding_id}")
class FundingReceived(EventData):
    funding_id: str
    body: str                  # the body that gave it (an institution, never a person's name)
    body_kind: str             # center | astan | province_body | charity | other
    owner_id: str
    owner_path: list[str]
    amount: int
    executive_project_id: str | None = None


@event_type("finance.funding.returned.v1", "funding/{funding_id}")
class FundingReturned(EventData):
    funding_id: str
    owner_id: str
    amount: int                # paid back to the body
    missing: int               # still neither documented nor returned


@event_type("finance.settlement.certified.v1", "funding/{funding_id}")
class SettlementCertified(EventData):
    funding_id: str
    certificate_id: str
    owner_id: str
    received: int
    documented: int
    returned: int


@event_type("finance.discharge.stepped.v1", "funding/{funding_id}")
class DischargeStepped(EventData):
    funding_id: str
    owner_id: str
    body: str
    status: str                # requested | received
    follow_ups: int
    by: str


@event_type("finance.consolidated.issued.v1", "consolidated/{statement_id}")
class ConsolidatedIssued(EventData):
    statement_id: str
    province_id: str
    period: str                # Jalali: 1404-07, 1404-Q3, 1404-H1 or 1404
    received: int              # receipts (vows, contributions, gifts, endowments)
    funded: int                # from bodies
    spent: int                 # expenses


@event_type("finance.consolidated.sent.v1", "consolidated/{statement_id}")
class ConsolidatedSent(EventData):
    statement_id: str
    province_id: str
    recipient: str             # astan_bodies | province_bodies | center
    by: str


@event_type("finance.personal_data.accessed.v1", "personal_data/{record_kind}")
class PersonalDataAccessed(personal.PersonalDataAccessed):
    """A receipt's donor read, listed or recorded by a person (kernel.personal): the audit trail the
    oversight service keeps."""
