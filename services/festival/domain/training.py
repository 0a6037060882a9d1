"""Training (DOMAIN §7.2): needs assessed per tier; courses (online and in person) with dated
sessions and exams, a pass mark and the date their content was last reviewed (listed for review a
year later); enrollment; attendance **registered by the member** (their duty) and **confirmed by the
course's trainer**; exam scores by the trainer. A member completes the course — and gets its
certificate — when the trainer has confirmed at least `min_attendance` of its sessions and every
exam is passed; completion is published (it earns training points)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from kernel.clock import Clock
from kernel.errors import Conflict, Forbidden, Invalid
from .. import events as ev

REVIEW_AFTER = timedelta(days=365)


class Tier(StrEnum):
    khademyar = "khademyar"
    yavar = "yavar"
    kanoon_head = "kanoon_head"
    staff = "staff"


class Mode(StrEnum):
    online = "online"
    in_person = "in_person"


def tier_fits(tier: Tier, member_kind: str | None, roles: set[str]) -> bool:
    """Who a course of the tier is for: khademyars and yavars by their kind; kanoon heads (and
    deputies) by their role; staff by any role held at a unit."""
    if tier in (Tier.khademyar, Tier.yavar):
        return member_kind == tier.value
    if tier == Tier.kanoon_head:
        return bool(roles & {"kanoon_head", "kanoon_deputy"})
    return bool(roles - {"kanoon_head", "kanoon_deputy", "admin"})


class Need(BaseModel):
    id: str
    province_id: str
    tier: Tier
    topic: str
    priority: int                  # 1 (most) to 5
    note: str | None = None
    by: str
    at: datetime


class Session(BaseModel):
    n: int
    on: date
    topic: str


class Exam(BaseModel):
    key: str
    title: str
    on: date


class Course(BaseModel):
    id: str
    province_id: str
    province_path: list[str]
    title: str
    tier: Tier
    mode: Mode
    trainer_id: str
    sessions: list[Session]
    exams: list[Exam]
    pass_mark: float
    min_attendance: float = 0.75
    content_reviewed_on: date
    created_by: str
    created_at: datetime
    version: int = 0

    @classmethod
    def offer(cls, *, province_id: str, province_path: list[str], title: str, tier: Tier, mode: Mode,
              trainer_id: str, sessions: list[tuple[date, str]], exams: list[Exam], pass_mark: float,
              min_attendance: float, content_reviewed_on: date, by: str, clock: Clock) -> tuple["Course", list]:
        if not sessions:
            raise Invalid("a course has at least one session", "sessions")
        if len({e.key for e in exams}) != len(exams):
            raise Invalid("two exams share a key", "exams")
        if not exams:
            raise Invalid("a course has at least one exam (its pass mark decides completion)", "exams")
        c = cls(id=clock.new_id("co"), province_id=province_id, province_path=province_path, title=title, tier=tier,
                mode=mode, trainer_id=trainer_id,
                sessions=[Session(n=i + 1, on=on, topic=t) for i, (on, t) in enumerate(sorted(sessions))],
                exams=exams, pass_mark=pass_mark, min_attendance=min_attendance,
                content_reviewed_on=content_reviewed_on, created_by=by, created_at=clock.now())
        return c, [ev.CourseOffered(course_id=c.id, province_id=province_id, title=title, tier=tier.value,
                                    mode=mode.value, sessions=len(c.sessions))]

    def session(self, n: int) -> Session:
        for s in self.sessions:
            if s.n == n:
                return s
        raise Invalid(f"the course has no session {n}", "session")

    def exam(self, key: str) -> Exam:
        for e in self.exams:
            if e.key == key:
                return e
        raise Invalid(f"the course has no exam {key}", "exam")

    def due_for_review(self, today: date) -> bool:
        return self.content_reviewed_on + REVIEW_AFTER <= today

    def reviewed(self, on: date, today: date) -> None:
        if on > today:
            raise Invalid("the review date is in the future", "reviewed_on")
        self.content_reviewed_on = on


class Attendance(BaseModel):
    registered_at: datetime
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class ExamScore(BaseModel):
    score: float
    passed: bool
    by: str
    at: datetime


class Enrollment(BaseModel):
    id: str                        # <course>:<person>
    course_id: str
    person_id: str
    kanoon_id: str | None
    kanoon_path: list[str]
    enrolled_at: datetime
    attendance: dict[str, Attendance] = {}     # session number → its attendance
    scores: dict[str, ExamScore] = {}          # exam key → score
    certificate: str | None = None
    completed_at: datetime | None = None
    version: int = 0

    @staticmethod
    def key(course_id: str, person_id: str) -> str:
        return f"{course_id}:{person_id}"

    @classmethod
    def enroll(cls, *, course: Course, person_id: str, in_province: bool, member_kind: str | None, roles: set[str],
               kanoon: tuple[str, list[str]] | None, clock: Clock) -> "Enrollment":
        """The province's own members and staff, in a course of their tier."""
        if not in_province:
            raise Forbidden("the course is for the province's own members and staff")
        if not tier_fits(course.tier, member_kind, roles):
            raise Invalid(f"the course is for the {course.tier.value.replace('_', ' ')} tier", "course_id")
        return cls(id=cls.key(course.id, person_id), course_id=course.id, person_id=person_id,
                   kanoon_id=kanoon[0] if kanoon else None, kanoon_path=kanoon[1] if kanoon else [],
                   enrolled_at=clock.now())

    def _open(self) -> None:
        if self.certificate:
            raise Conflict("the course is completed: its certificate is issued", "course_id")

    def register(self, course: Course, n: int, today: date, clock: Clock) -> None:
        self._open()
        s = course.session(n)
        if s.on > today:
            raise Invalid("attendance is registered on or after the session's day", "session")
        if str(n) in self.attendance:
            return   # registered already
        self.attendance[str(n)] = Attendance(registered_at=clock.now())

    def confirm(self, course: Course, n: int, by: str, clock: Clock) -> list:
        self._open()
        course.session(n)
        a = self.attendance.get(str(n))
        if a is None:
            raise Conflict("the member has not registered attendance for this session", "session")
        if a.confirmed_by is None:
            a.confirmed_by, a.confirmed_at = by, clock.now()
        return self._maybe_complete(course, clock)

    def record_score(self, course: Course, key: str, score: float, by: str, today: date, clock: Clock) -> list:
        self._open()
        e = course.exam(key)
        if e.on > today:
            raise Invalid("the exam has not been held yet", "exam")
        if not 0 <= score <= 100:
            raise Invalid("the score is 0 to 100", "score")
        self.scores[key] = ExamScore(score=score, passed=score >= course.pass_mark, by=by, at=clock.now())
        return self._maybe_complete(course, clock)

    def confirmed(self) -> int:
        return sum(1 for a in self.attendance.values() if a.confirmed_by)

    def _maybe_complete(self, course: Course, clock: Clock) -> list:
        attended = self.confirmed() / len(course.sessions)
        passed = all(k.key in self.scores and self.scores[k.key].passed for k in course.exams)
        if attended + 1e-9 < course.min_attendance or not passed:
            return []
        self.certificate = f"CRT-{course.id[3:11].upper()}-{self.person_id[-6:].upper()}"
        self.completed_at = clock.now()
        return [ev.TrainingCompleted(course_id=course.id, province_id=course.province_id, title=course.title,
                                     tier=course.tier.value, person_id=self.person_id, kanoon_id=self.kanoon_id,
                                     kanoon_path=self.kanoon_path, certificate=self.certificate)]
