"""The festival service's events (its public contract; snapshots in event_schemas/): the festival's
editions, submissions and awards, training completed, and the evaluation's published ranks, best
members and honours. The registry shows a kanoon's published ranks from `festival.kanoon.ranked`."""
from __future__ import annotations

from datetime import date

from kernel.events import EventData, event_type


@event_type("festival.edition.opened.v1", "edition/{edition_id}")
class EditionOpened(EventData):
    edition_id: str
    province_id: str
    year: int
    axes: list[str]
    opens_on: date
    closes_on: date


@event_type("festival.edition.dated.v1", "edition/{edition_id}")
class EditionDated(EventData):
    """An exhibition, the opening or the closing, dated (and placed)."""
    edition_id: str
    province_id: str
    kind: str                  # exhibition | opening | closing
    on: date


@event_type("festival.submission.received.v1", "submission/{submission_id}")
class SubmissionReceived(EventData):
    submission_id: str
    edition_id: str
    province_id: str
    axis: str
    by_kind: str               # member | kanoon
    person_id: str | None      # a member's work
    kanoon_id: str | None


@event_type("festival.submission.scored.v1", "submission/{submission_id}")
class SubmissionScored(EventData):
    submission_id: str
    edition_id: str
    scores: int                # judges who have scored it
    combined: float | None     # the combined score once enough judges have scored
    flagged: bool              # judges disagree widely: a second look before a decision


@event_type("festival.award.decided.v1", "submission/{submission_id}")
class AwardDecided(EventData):
    submission_id: str
    edition_id: str
    province_id: str
    year: int
    axis: str
    title: str
    award: str                 # first | second | third | mention | none
    published: bool
    person_id: str | None
    kanoon_id: str | None
    kanoon_path: list[str]
    combined: float


@event_type("festival.training.completed.v1", "course/{course_id}")
class TrainingCompleted(EventData):
    course_id: str
    province_id: str
    title: str
    tier: str
    person_id: str
    kanoon_id: str | None
    kanoon_path: list[str]
    certificate: str


@event_type("festival.course.offered.v1", "course/{course_id}")
class CourseOffered(EventData):
    course_id: str
    province_id: str
    title: str
    tier: str
    mode: str
    sessions: int


@event_type("festival.weights.set.v1", "weights/{scope_id}")
class WeightsSet(EventData):
    scope_id: str              # a province, or the country
    year: int
    weights: dict[str, float]
    by: str


@event_type("festival.kanoon.ranked.v1", "kanoon/{kanoon_id}")
class KanoonRanked(EventData):
    """A kanoon's ranks for a Jalali year as published (a snapshot): rank and of how many at each
    level (city, province, region, country), and its score there."""
    kanoon_id: str
    province_id: str
    year: int
    ranks: dict[str, dict[str, float]]   # level → {"rank", "of", "score"}
    published_on: date


@event_type("festival.best_member.chosen.v1", "kanoon/{kanoon_id}")
class BestMemberChosen(EventData):
    kanoon_id: str
    period: str                # a Jalali period
    member_kind: str           # khademyar | yavar
    person_id: str
    points: float
    by: str


@event_type("festival.head.honoured.v1", "person/{person_id}")
class HeadHonoured(EventData):
    person_id: str
    kanoon_id: str
    year: int
    by: str
    by_role: str


@event_type("festival.occasion.set.v1", "occasion/{occasion_id}")
class OccasionSet(EventData):
    """A dated occasion of the calendar (the country's or a province's); programs and campaigns name
    it by id."""
    occasion_id: str
    scope_id: str
    year: int
    kind: str                  # national_day | imam_reza | karamat_decade | safar_last_decade | other
    title: str
    starts_on: date
    ends_on: date


@event_type("festival.program.approved.v1", "program/{program_id}")
class ProgramApproved(EventData):
    program_id: str
    kind: str                  # annual | monthly | kanoon_annual
    owner_id: str              # the province, or the kanoon
    province_id: str
    period: str
    by: str


@event_type("festival.program.evaluated.v1", "program/{program_id}")
class ProgramEvaluated(EventData):
    program_id: str
    kind: str
    owner_id: str
    province_id: str
    period: str
    score: float               # 0–100 against its written indices
