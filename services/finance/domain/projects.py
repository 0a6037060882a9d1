"""Fundraising projects (DOMAIN §5.2): a kanoon defines a project with its target; receipts
earmarked to it raise it (its fund account in the ledger); it is open, reaches its target, and is
closed. What it raised is read from the ledger, never typed in."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from .. import events as ev


class Project(BaseModel):
    id: str
    title: str
    description: str
    kanoon_id: str
    kanoon_path: list[str]
    province_id: str
    target: int                     # rials
    closed: bool = False
    closed_at: datetime | None = None
    closing_note: str | None = None
    created_by: str
    created_at: datetime
    version: int = 0

    @property
    def account(self) -> str:
        return f"project:{self.id}"

    @classmethod
    def define(cls, *, title: str, description: str, kanoon_id: str, kanoon_path: list[str], kanoon_active: bool,
               province_id: str, target: int, by: str, clock: Clock) -> tuple["Project", list]:
        if not kanoon_active:
            raise Conflict("a project is defined by an active kanoon", "kanoon_id")
        p = cls(id=clock.new_id("pr"), title=title, description=description, kanoon_id=kanoon_id,
                kanoon_path=kanoon_path, province_id=province_id, target=target, created_by=by,
                created_at=clock.now())
        return p, [ev.ProjectDefined(project_id=p.id, kanoon_id=kanoon_id, kanoon_path=kanoon_path, target=target)]

    def check_open_for(self, owner_path: list[str]) -> None:
        """A receipt earmarked to this project: the project is open and the terminal is its kanoon's
        or its province's own."""
        if self.closed:
            raise Conflict(f"the project {self.id} is closed", "project_id")
        if self.kanoon_id not in owner_path and owner_path[-1] != self.province_id:
            raise Invalid("the project is another kanoon's", "project_id")

    def status(self, raised: int) -> str:
        if self.closed:
            return "closed"
        return "reached" if raised >= self.target else "open"

    def close(self, note: str, by: str, clock: Clock, raised: int) -> list:
        if self.closed:
            raise Conflict("the project is closed already", "project_id")
        if not note or len(note.strip()) < 3:
            raise Invalid("closing a project says why (reached, cancelled, …)", "note")
        self.closed, self.closed_at, self.closing_note = True, clock.now(), note
        return [ev.ProjectClosed(project_id=self.id, kanoon_id=self.kanoon_id, raised=raised, target=self.target, by=by)]
