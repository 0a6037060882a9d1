"""Numbers the seeds do not give, set per province (DOMAIN §9): how long a transfer waits for its
decisions, how long after leaving a kanoon a move to another one counts as a transfer, how far back a
service may be reported, and by which day of the next month a monthly report is on time. The
registry keeps them and publishes them (`registry.province_settings.set`); the reports service reads
the report window and deadline day from that event, the finance service the days after which a
silent vows terminal is flagged."""
from __future__ import annotations

from pydantic import BaseModel

DEFAULT_TRANSFER_EXPIRY_DAYS = 30
DEFAULT_MOVE_WINDOW_DAYS = 90
DEFAULT_REPORT_WINDOW_DAYS = 60
DEFAULT_MONTHLY_DEADLINE_DAY = 5
DEFAULT_TERMINAL_QUIET_DAYS = 7
DEFAULT_VOUCHER_OVERDUE_DAYS = 30


class ProvinceSettings(BaseModel):
    province_id: str
    transfer_expiry_days: int = DEFAULT_TRANSFER_EXPIRY_DAYS
    move_window_days: int = DEFAULT_MOVE_WINDOW_DAYS
    report_window_days: int = DEFAULT_REPORT_WINDOW_DAYS
    monthly_deadline_day: int = DEFAULT_MONTHLY_DEADLINE_DAY
    terminal_quiet_days: int = DEFAULT_TERMINAL_QUIET_DAYS
    voucher_overdue_days: int = DEFAULT_VOUCHER_OVERDUE_DAYS
