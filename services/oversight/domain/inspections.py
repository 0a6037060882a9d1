"""Checklists and inspections (DOMAIN §6.2).

A **checklist** is built from the rules: items with weights. It is versioned: changing it makes a
new version, and an inspection keeps the version it used, so old scores keep their meaning.

An **inspection** visits a kanoon (or, for a deputy's visit, a county): periodic ones are planned for
every active kanoon each Jalali season, surprise ones at any time; the city secretary's regular
visits to kanoons and the deputies' visits to counties are recorded the same way, with the
visitor's role. Its answers give the score (the weights of the items met over all weights, 0–100),
with minutes; then it is sent to the Center."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.types import Attachment  # noqa: F401 (the model its records keep)
from .. import events as ev

MAX_WEIGHT = 10


class Item(BaseModel):
    key: str
    text: str
    weight: int


class Checklist(BaseModel):
    id: str                      # <key>:v<version>
    key: str                     # the checklist's name across versions
    version: int
    province_id: str
    title: str
    items: list[Item]
    created_by: str
    created_at: datetime       # a version is never edited: a change is the next version

    @staticmethod
    def check_items(items: list[Item]) -> None:
        if not items:
            raise Invalid("a checklist has at least one item", "items")
        keys = [i.key for i in items]
        if len(set(keys)) != len(keys):
            raise Invalid("each item has its own key", "items")
        for i in items:
            if not 1 <= i.weight <= MAX_WEIGHT:
                raise Invalid(f"an item's weight is 1 to {MAX_WEIGHT}", "items")

    @classmethod
    def define(cls, *, key: str, province_id: str, title: str, items: list[Item], previous: "Checklist | None",
               by: str, clock: Clock) -> tuple["Checklist", list]:
        cls.check_items(items)
        version = previous.version + 1 if previous else 1
        if previous is not None and [i.model_dump() for i in previous.items] == [i.model_dump() for i in items] \
                and previous.title == title:
            raise Conflict(f"version {previous.version} already has these items", "items")
        # A checklist is a province's: two provinces may each have their own "kanoon-periodic".
        c = cls(id=f"{province_id}:{key}:v{version}", key=key, version=version, province_id=province_id, title=title, items=items,
                created_by=by, created_at=clock.now())
        return c, [ev.ChecklistDefined(checklist_id=c.id, key=key, version=version, province_id=province_id,
                                       items=len(items))]



MAX_ATTACHMENTS = 20


class InspectionKind(StrEnum):
    periodic = "periodic"              # planned each season for every active kanoon
    surprise = "surprise"
    secretary_visit = "secretary_visit"  # the city secretary's regular visit to a kanoon
    deputy_visit = "deputy_visit"        # a deputy's visit to a county


class InspectionStatus(StrEnum):
    planned = "planned"
    done = "done"
    sent = "sent"                      # to the Center


class Inspection(BaseModel):
    id: str
    kind: InspectionKind
    target_id: str                     # a kanoon, or a county for a deputy's visit
    target_path: list[str]
    province_id: str
    season: str                        # the Jalali season it belongs to, 1404-Q3
    checklist_id: str
    status: InspectionStatus = InspectionStatus.planned
    visitor_id: str | None = None
    visitor_role: str | None = None
    visited_on: date | None = None
    answers: dict[str, bool] = {}
    score: float | None = None
    minutes: str | None = None
    attachments: list[Attachment] = []
    sent_at: datetime | None = None
    planned_by: str
    planned_at: datetime
    version: int = 0

    @staticmethod
    def key(target_id: str, season: str) -> str:
        """The periodic inspection of a kanoon in a season: one, whoever plans it and how often."""
        return f"in:{target_id}:{season}"

    @classmethod
    def plan(cls, *, kind: InspectionKind, target_id: str, target_path: list[str], province_id: str, season: str,
             checklist: Checklist, by: str, clock: Clock, new_id: str | None = None) -> "Inspection":
        if checklist.province_id != province_id:
            raise Invalid("the checklist is another province's", "checklist_id")
        iid = cls.key(target_id, season) if kind == InspectionKind.periodic else (new_id or clock.new_id("in"))
        return cls(id=iid, kind=kind, target_id=target_id, target_path=target_path, province_id=province_id,
                   season=season, checklist_id=checklist.id, planned_by=by, planned_at=clock.now())

    def record(self, *, checklist: Checklist, answers: dict[str, bool], minutes: str, visited_on: date,
               visitor_id: str, visitor_role: str, today: date, clock: Clock) -> list:
        """The visit's answers: every item of the inspection's checklist version answered."""
        if self.status != InspectionStatus.planned:
            raise Conflict(f"the inspection is {self.status}", "status")
        if checklist.id != self.checklist_id:
            raise Invalid("answers follow the checklist version the inspection was planned with", "checklist_id")
        if visited_on > today:
            raise Invalid("a visit is recorded after it happened", "visited_on")
        keys = {i.key for i in checklist.items}
        unknown, missing = set(answers) - keys, keys - set(answers)
        if unknown:
            raise Invalid(f"no item {sorted(unknown)[0]} in this checklist", "answers")
        if missing:
            raise Invalid(f"answer every item: {sorted(missing)[0]} is missing", "answers")
        if not minutes or len(minutes.strip()) < 10:
            raise Invalid("the minutes say what was seen", "minutes")
        self.answers, self.minutes = dict(answers), minutes.strip()
        self.score = score(checklist, answers)
        self.visitor_id, self.visitor_role, self.visited_on = visitor_id, visitor_role, visited_on
        self.status = InspectionStatus.done
        return [ev.InspectionDone(inspection_id=self.id, kind=self.kind, target_id=self.target_id,
                                  province_id=self.province_id, season=self.season, checklist_id=self.checklist_id,
                                  score=self.score, visitor_role=visitor_role)]

    def attach(self, attachment: Attachment) -> None:
        """Photos and scanned minutes, until the inspection is sent to the Center."""
        if self.status == InspectionStatus.sent:
            raise Conflict("the inspection was sent to the Center; nothing more is attached", "status")
        if len(self.attachments) >= MAX_ATTACHMENTS:
            raise Conflict(f"an inspection has at most {MAX_ATTACHMENTS} attachments", "file")
        if any(a.sha256 == attachment.sha256 for a in self.attachments):
            raise Conflict("this file is attached already", "file")
        self.attachments.append(attachment)

    def send(self, by: str, clock: Clock) -> list:
        if self.status != InspectionStatus.done:
            raise Conflict(f"the inspection is {self.status}; a done one is sent to the Center", "status")
        self.status, self.sent_at = InspectionStatus.sent, clock.now()
        return [ev.InspectionSent(inspection_id=self.id, province_id=self.province_id, by=by)]


def score(checklist: Checklist, answers: dict[str, bool]) -> float:
    """The weights of the items met over all the weights, 0–100, one decimal."""
    total = sum(i.weight for i in checklist.items)
    met = sum(i.weight for i in checklist.items if answers.get(i.key))
    return round(100 * met / total, 1)


def coverage(planned: list[Inspection], kanoons: list[str]) -> dict:
    """Inspected against planned in a period, the mean score, and the kanoons never inspected."""
    done = [i for i in planned if i.status != InspectionStatus.planned]
    periodic = [i for i in planned if i.kind == InspectionKind.periodic]
    inspected = {i.target_id for i in done}
    scores = [i.score for i in done if i.score is not None]
    return {"planned": len(periodic), "inspected": len([i for i in periodic if i.status != InspectionStatus.planned]),
            "visits": len(done), "mean_score": round(sum(scores) / len(scores), 1) if scores else None,
            "never_inspected": sorted(k for k in kanoons if k not in inspected)}
