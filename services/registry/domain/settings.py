"""Numbers the seeds do not give, set per province (DOMAIN §9): how long a transfer waits for its
decisions, and how long after leaving a kanoon a move to another one counts as a transfer."""
from __future__ import annotations

from pydantic import BaseModel

from kernel.errors import Invalid

DEFAULT_TRANSFER_EXPIRY_DAYS = 30
DEFAULT_MOVE_WINDOW_DAYS = 90


class ProvinceSettings(BaseModel):
    province_id: str
    transfer_expiry_days: int = DEFAULT_TRANSFER_EXPIRY_DAYS
    move_window_days: int = DEFAULT_MOVE_WINDOW_DAYS

    @staticmethod
    def validate(transfer_expiry_days: int, move_window_days: int) -> None:
        if not 1 <= transfer_expiry_days <= 365:
            raise Invalid("a transfer waits between 1 and 365 days for its decisions", "transfer_expiry_days")
        if not 0 <= move_window_days <= 730:
            raise Invalid("the move window is between 0 and 730 days", "move_window_days")
