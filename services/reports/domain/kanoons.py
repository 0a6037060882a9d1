"""The registry's kanoons as this service knows them from the registry's events."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class KanoonView(BaseModel):
    """The registry's kanoon as this service knows it from events."""
    id: str
    name: str = ""
    kind: str = "neighborhood"
    field: str | None = None
    unit_path: list[str] = []
    status: str = "requested"  # requested | active | rejected | closed
    founding_date: date | None = None
    closed_on: date | None = None
    head_id: str | None = None
    deputy_id: str | None = None

    @property
    def path(self) -> list[str]:
        return [*self.unit_path, self.id]

    @property
    def specialized(self) -> bool:
        return self.kind.startswith("specialized")

    def expected_in(self, month_first_day: date, month_end_day: date) -> bool:
        """Whether the kanoon owes a program and a monthly report for the month: it was approved
        before the month began and not closed before it ended (docs/decisions.md)."""
        if self.founding_date is None or self.status not in ("active", "closed"):
            return False
        if self.founding_date > month_first_day:
            return False
        return self.closed_on is None or self.closed_on >= month_end_day
