"""The service festival (DOMAIN §7.1): a province's edition per Jalali year, its axes and criteria and
submission window; works and new experiences submitted by members and kanoons; judges from the
qualitative evaluation group, never from the work's own kanoon (nor its city, in a city round);
scores combined by a stated rule, wide disagreement flagged for a second look; awards and
publication; the exhibition, the opening and the closing dated.

**The combination rule**: a judge's mark is the criteria's weighted mean (each criterion 0–100);
the submission's score is the mean of its judges' marks, trimmed — with four or more judges the
highest and the lowest mark are dropped first. The judges **disagree widely** when the highest and
the lowest mark differ by more than the edition's `disagreement` (default 30 points): the
submission is flagged and cannot be decided until the festival head records a second look."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Invalid
from kernel.types import Attachment  # noqa: F401 (the model its records keep)
from .. import events as ev

MIN_JUDGES = 3
DEFAULT_DISAGREEMENT = 30.0


class Axis(BaseModel):
    key: str
    title: str
    collective: bool = False       # collective work (کار جمعی) is an axis of its own


class Criterion(BaseModel):
    key: str
    title: str
    weight: float = 1.0


class DatedKind(StrEnum):
    exhibition = "exhibition"
    opening = "opening"
    closing = "closing"


class Dated(BaseModel):
    kind: DatedKind
    on: date
    place: str | None = None
    by: str
    at: datetime


class Edition(BaseModel):
    id: str                        # fe_<province>_<year>
    province_id: str
    province_path: list[str]
    year: int
    title: str
    axes: list[Axis]
    criteria: list[Criterion]
    opens_on: date
    closes_on: date
    judges_per_submission: int = MIN_JUDGES
    disagreement: float = DEFAULT_DISAGREEMENT
    dates: list[Dated] = []
    created_by: str
    created_at: datetime
    version: int = 0

    @staticmethod
    def key(province_id: str, year: int) -> str:
        return f"fe_{province_id}_{year}"

    @classmethod
    def open(cls, *, province_id: str, province_path: list[str], year: int, title: str, axes: list[Axis],
             criteria: list[Criterion], opens_on: date, closes_on: date, judges_per_submission: int,
             disagreement: float, by: str, clock: Clock) -> tuple["Edition", list]:
        if closes_on < opens_on:
            raise Invalid("the submission window closes before it opens", "closes_on")
        for what, items in (("axes", axes), ("criteria", criteria)):
            keys = [i.key for i in items]
            if len(set(keys)) != len(keys):
                raise Invalid(f"two {what} share a key", what)
        if not any(a.collective for a in axes):
            raise Invalid("collective work is one of the festival's axes: mark one axis collective", "axes")
        if judges_per_submission < MIN_JUDGES:
            raise Invalid(f"each submission is scored by at least {MIN_JUDGES} judges", "judges_per_submission")
        e = cls(id=cls.key(province_id, year), province_id=province_id, province_path=province_path, year=year,
                title=title, axes=axes, criteria=criteria, opens_on=opens_on, closes_on=closes_on,
                judges_per_submission=judges_per_submission, disagreement=disagreement, created_by=by,
                created_at=clock.now())
        return e, [ev.EditionOpened(edition_id=e.id, province_id=province_id, year=year,
                                    axes=[a.key for a in axes], opens_on=opens_on, closes_on=closes_on)]

    def axis(self, key: str) -> Axis:
        for a in self.axes:
            if a.key == key:
                return a
        raise Invalid(f"the edition has no axis {key}", "axis")

    def check_open(self, today: date) -> None:
        if today < self.opens_on:
            raise Conflict("the submission window has not opened yet", "edition_id")
        if today > self.closes_on:
            raise Conflict("the submission window has closed", "edition_id")

    def date_event(self, kind: DatedKind, on: date, place: str | None, by: str, clock: Clock) -> list:
        self.dates = [d for d in self.dates if d.kind != kind] + [Dated(kind=kind, on=on, place=place, by=by,
                                                                        at=clock.now())]
        self.dates.sort(key=lambda d: d.on)
        return [ev.EditionDated(edition_id=self.id, province_id=self.province_id, kind=kind.value, on=on)]


class JudgeInfo(BaseModel):
    """What decides a conflict of interest: the judge's own kanoons (a member of, or its head or
    deputy) and the cities they belong to."""
    person_id: str
    kanoon_ids: set[str] = set()
    city_ids: set[str] = set()


class Round(StrEnum):
    city = "city"
    province = "province"


def conflict_of(judge: JudgeInfo, submission: "Submission", round_: Round) -> str | None:
    """Why the judge may not score the submission, or None."""
    if judge.person_id == submission.person_id:
        return "a judge does not score their own work"
    if submission.kanoon_id and submission.kanoon_id in judge.kanoon_ids:
        return "a judge does not score a submission from their own kanoon"
    if round_ == Round.city and submission.city_id and submission.city_id in judge.city_ids:
        return "in a city round a judge does not score a submission from their own city"
    return None


def draw(pool: list[JudgeInfo], submission: "Submission", round_: Round, need: int) -> list[JudgeInfo] | None:
    """`need` judges for the submission from the pool, none in conflict and none assigned already, in
    an order fixed by a hash of the work and the judge (the same draw when run again); None when
    the pool has too few."""
    assigned = {j.person_id for j in submission.judges}
    eligible = sorted((j for j in pool if j.person_id not in assigned and conflict_of(j, submission, round_) is None),
                      key=lambda j: hashlib.sha256(f"{submission.id}:{j.person_id}".encode()).hexdigest())
    return eligible[:need] if len(eligible) >= need else None


class Award(StrEnum):
    first = "first"
    second = "second"
    third = "third"
    mention = "mention"
    none = "none"



class Judge(BaseModel):
    person_id: str
    round: Round
    by: str
    at: datetime


class Score(BaseModel):
    judge_id: str
    marks: dict[str, float]        # criterion → 0–100
    mark: float                    # the weighted mean
    at: datetime


class SubmissionStatus(StrEnum):
    submitted = "submitted"
    judging = "judging"
    decided = "decided"


class Submission(BaseModel):
    id: str
    edition_id: str
    province_id: str
    year: int
    axis: str
    title: str
    description: str
    by_kind: str                   # member | kanoon
    person_id: str | None          # a member's work: its author
    kanoon_id: str | None
    kanoon_path: list[str]
    city_id: str | None
    submitted_by: str
    submitted_at: datetime
    attachments: list[Attachment] = []
    judges: list[Judge] = []
    scores: list[Score] = []
    combined: float | None = None
    flagged: bool = False
    second_look: str | None = None
    status: SubmissionStatus = SubmissionStatus.submitted
    award: Award | None = None
    published: bool = False
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int = 0

    @classmethod
    def submit(cls, *, edition: Edition, axis: str, title: str, description: str, by_kind: str,
               person_id: str | None, kanoon_id: str | None, kanoon_path: list[str], city_id: str | None,
               by: str, today: date, clock: Clock) -> tuple["Submission", list]:
        edition.check_open(today)
        edition.axis(axis)
        s = cls(id=clock.new_id("fs"), edition_id=edition.id, province_id=edition.province_id, year=edition.year,
                axis=axis, title=title, description=description, by_kind=by_kind, person_id=person_id,
                kanoon_id=kanoon_id, kanoon_path=kanoon_path, city_id=city_id, submitted_by=by,
                submitted_at=clock.now())
        return s, [ev.SubmissionReceived(submission_id=s.id, edition_id=edition.id, province_id=edition.province_id,
                                         axis=axis, by_kind=by_kind, person_id=person_id, kanoon_id=kanoon_id)]

    def _open(self) -> None:
        if self.status == SubmissionStatus.decided:
            raise Conflict("the submission is decided", "submission_id")

    def assign(self, judge: JudgeInfo, round_: Round, by: str, clock: Clock) -> None:
        self._open()
        why = conflict_of(judge, self, round_)
        if why:
            raise Invalid(why, "judge_ids")
        if any(j.person_id == judge.person_id for j in self.judges):
            return   # assigned already
        self.judges.append(Judge(person_id=judge.person_id, round=round_, by=by, at=clock.now()))
        self.status = SubmissionStatus.judging

    def score(self, judge: JudgeInfo, marks: dict[str, float], edition: Edition, clock: Clock) -> list:
        """A judge's marks (again: replaced, until the decision). `judge`: the judge's kanoons and
        cities as they are now — a conflict of interest that arose after the assignment (the judge
        joined the work's kanoon, or came to head it) forbids scoring as much as one before."""
        self._open()
        seat = next((j for j in self.judges if j.person_id == judge.person_id), None)
        if seat is None:
            raise Invalid("you are not a judge of this submission", "judge")
        why = conflict_of(judge, self, seat.round)
        if why:
            raise Conflict(f"{why}: a conflict of interest since you were assigned; the festival's head "
                           "assigns another judge", "judge")
        judge_id = judge.person_id
        wanted = {c.key for c in edition.criteria}
        if set(marks) != wanted:
            missing, extra = sorted(wanted - set(marks)), sorted(set(marks) - wanted)
            raise Invalid(f"mark every criterion of the edition and no other (missing {missing}, unknown {extra})",
                          "marks")
        for k, v in marks.items():
            if not 0 <= v <= 100:
                raise Invalid(f"the mark for {k} is 0 to 100", f"marks.{k}")
        mark = judge_mark(marks, edition.criteria)
        self.scores = [s for s in self.scores if s.judge_id != judge_id] + [
            Score(judge_id=judge_id, marks=marks, mark=mark, at=clock.now())]
        self.combined, self.flagged = None, False
        if len(self.scores) >= edition.judges_per_submission:
            self.combined = combine([s.mark for s in self.scores])
            self.flagged = disagree([s.mark for s in self.scores], edition.disagreement)
            self.second_look = None
        return [ev.SubmissionScored(submission_id=self.id, edition_id=self.edition_id, scores=len(self.scores),
                                    combined=self.combined, flagged=self.flagged)]

    def judges_standing(self, judges: dict[str, JudgeInfo]) -> int:
        """The assigned judges who count towards the edition's number: those who have scored, and
        those still free of conflict (`judges`: what is known of each now; one not known counts). A
        judge whose conflict arose after the assignment and who has not scored leaves a seat for the
        draw to fill."""
        scored = {s.judge_id for s in self.scores}
        return sum(1 for j in self.judges if j.person_id in scored or j.person_id not in judges
                   or conflict_of(judges[j.person_id], self, j.round) is None)

    def look_again(self, note: str) -> None:
        self._open()
        if not self.flagged:
            raise Conflict("the judges agree: no second look is needed", "submission_id")
        self.second_look = note

    def decide(self, award: Award, publish: bool, by: str, clock: Clock) -> list:
        self._open()
        if self.combined is None:
            raise Conflict(f"the submission has {len(self.scores)} scores; it is decided after every judge's",
                           "submission_id")
        if self.flagged and not self.second_look:
            raise Conflict("the judges disagree widely: record a second look first", "submission_id")
        self.status, self.award, self.published = SubmissionStatus.decided, award, publish
        self.decided_by, self.decided_at = by, clock.now()
        return [ev.AwardDecided(submission_id=self.id, edition_id=self.edition_id, province_id=self.province_id,
                                year=self.year, axis=self.axis, title=self.title, award=award.value,
                                published=publish, person_id=self.person_id, kanoon_id=self.kanoon_id,
                                kanoon_path=self.kanoon_path, combined=self.combined)]


def judge_mark(marks: dict[str, float], criteria: list[Criterion]) -> float:
    total = sum(c.weight for c in criteria)
    return round(sum(marks[c.key] * c.weight for c in criteria) / total, 2)


def combine(marks: list[float]) -> float:
    """The trimmed mean: with four or more marks the highest and the lowest are dropped."""
    xs = sorted(marks)
    if len(xs) >= 4:
        xs = xs[1:-1]
    return round(sum(xs) / len(xs), 2)


def disagree(marks: list[float], spread: float) -> bool:
    return max(marks) - min(marks) > spread


def participation(province: dict, country: dict) -> dict:
    """The province's participation against the country's, per axis: submissions, and the share of
    members and of kanoons that took part (`province`/`country`: {"members": n, "kanoons": n,
    "axes": {axis: {"submissions", "members", "kanoons"}}})."""
    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0
    axes = sorted(set(province["axes"]) | set(country["axes"]))
    out = {}
    for a in axes:
        p = province["axes"].get(a, {"submissions": 0, "members": 0, "kanoons": 0})
        c = country["axes"].get(a, {"submissions": 0, "members": 0, "kanoons": 0})
        out[a] = {"province": {**p, "member_share": share(p["members"], province["members"]),
                               "kanoon_share": share(p["kanoons"], province["kanoons"])},
                  "country": {**c, "member_share": share(c["members"], country["members"]),
                              "kanoon_share": share(c["kanoons"], country["kanoons"])}}
    return out
