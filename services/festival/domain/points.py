"""Points and rankings (DOMAIN §2.8, §7.3): what each event from the other services earns, as lines of
a ledger, and how the lines become a score and the scores ranks.

Every line names the event it came from (its id is the event's id and the line's number), so any
figure can be explained line by line, and the same event applied twice writes the same lines once.
A score is the weighted sum of a subject's points per index for a Jalali year:

    score = Σ over indices (weight of the index that year × the index's points)

The weights are the planning head's per year (default 1 each). Increments commute, so the
incremental figures equal a recomputation from the ledger whatever order the events came in; the
one thing that is replaced rather than added — the oversight group's opinion, revised — is added as
the difference to what the ledger already holds for it, and an older revision arriving late adds
nothing.

Ranks are competition ranks ("1224"): equal scores share a rank and the next rank skips; the list is
ordered by score, then by id so that it reads the same every time. A kanoon's **coefficient** in a
unit is (n − rank + 1) / n: 1 for the first of n, 1/n for the last; the evaluation of a role above
kanoons (a city secretary) is the mean coefficient of the kanoons it covers, × 100."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable, Protocol

from pydantic import BaseModel


class Index(StrEnum):
    reports = "reports"              # approved activity reports
    campaigns = "campaigns"          # participation in campaigns (approved reports of a campaign)
    programs = "programs"            # collective programs held (partners of a joint one too)
    timeliness = "timeliness"        # monthly reports submitted on time
    completeness = "completeness"    # monthly reports accepted
    quality = "quality"              # reports flagged by the evaluation head (a penalty)
    training = "training"            # courses completed
    festival = "festival"            # festival awards
    inspection = "inspection"        # inspection scores (0–100 → 0–10)
    opinion = "opinion"              # the oversight group's opinion (0–100 → 0–10)
    violations = "violations"        # violations recorded (a penalty)


LABELS = {
    Index.reports: "گزارش فعالیت تأییدشده", Index.campaigns: "مشارکت در پویش", Index.programs: "برنامه جمعی",
    Index.timeliness: "گزارش ماهانه به‌موقع", Index.completeness: "گزارش ماهانه پذیرفته‌شده",
    Index.quality: "کیفیت گزارش‌ها", Index.training: "دوره آموزشی گذرانده", Index.festival: "جایزه جشنواره",
    Index.inspection: "امتیاز بازرسی", Index.opinion: "نظر گروه پایش", Index.violations: "تخلف",
}

# Points per fact (a setting of the evaluation, documented in docs/decisions.md).
REPORT = 1.0
CAMPAIGN = 2.0
PROGRAM = 5.0
PROGRAM_PARTNER = 2.0
MONTHLY_ON_TIME = 3.0
MONTHLY_LATE = 1.0
MONTHLY_ACCEPTED = 2.0
FLAGGED = -2.0
TRAINING_MEMBER = 5.0
TRAINING_KANOON = 2.0
AWARDS = {"first": 30.0, "second": 20.0, "third": 10.0, "mention": 5.0}
VIOLATION_MEMBER = -10.0
VIOLATION_KANOON = -5.0

DEFAULT_WEIGHTS = {i.value: 1.0 for i in Index}
LEVELS = ("city", "province", "region", "country")


class Line(BaseModel):
    id: str                        # <event id>:<n>
    event_id: str
    event_type: str
    subject_kind: str              # member | kanoon
    subject_id: str
    kanoon_id: str | None          # the kanoon it counts in (a member's at the time)
    path: list[str]                # that kanoon's path, the kanoon last ([] when none)
    year: int                      # Jalali
    month: str | None              # Jalali YYYY-MM, when the fact has one
    index: Index
    points: float
    note: str
    at: datetime


class Resolver(Protocol):
    """What the lines of an event need to know beyond the event (the service's read models)."""

    def kanoon_path(self, kanoon_id: str) -> list[str] | None: ...

    def member_kanoon(self, person_id: str) -> tuple[str, list[str]] | None: ...

    def opinion_known(self, target_id: str, period: str) -> tuple[int, float] | None:
        """The revision and the points the ledger already holds for an opinion."""


def year_of(text: str) -> int:
    """1404, 1404-05, 1404-Q3, 1404-H1 → 1404."""
    return int(str(text)[:4])


@dataclass
class _Out:
    event_id: str
    event_type: str
    at: datetime
    lines: list[Line]

    def add(self, kind: str, subject_id: str, kanoon_id: str | None, path: list[str], year: int,
            month: str | None, index: Index, points: float, note: str | None = None) -> None:
        if not points:
            return
        self.lines.append(Line(id=f"{self.event_id}:{len(self.lines)}", event_id=self.event_id,
                               event_type=self.event_type, subject_kind=kind, subject_id=subject_id,
                               kanoon_id=kanoon_id, path=list(path), year=year, month=month, index=index,
                               points=round(points, 2), note=note or LABELS[index], at=self.at))


def lines_of(event_type: str, data: dict, event_id: str, at: datetime, year_at: int,
             resolve: Resolver) -> list[Line]:
    """The ledger lines an event earns (none for an event that earns nothing). `year_at` is the
    Jalali year of the event's time, for facts that carry no period of their own."""
    kind = event_type.rsplit(".", 1)[0]
    out = _Out(event_id, event_type, at, [])
    d = data
    if kind == "reports.report.approved":
        path, month, y = d["kanoon_path"], d["month"], year_of(d["month"])
        out.add("member", d["reporter_id"], d["kanoon_id"], path, y, month, Index.reports, REPORT)
        out.add("kanoon", d["kanoon_id"], d["kanoon_id"], path, y, month, Index.reports, REPORT)
        if d.get("campaign_id"):
            out.add("member", d["reporter_id"], d["kanoon_id"], path, y, month, Index.campaigns, CAMPAIGN)
            out.add("kanoon", d["kanoon_id"], d["kanoon_id"], path, y, month, Index.campaigns, CAMPAIGN)
    elif kind == "reports.report.flagged":
        path = d["kanoon_path"]
        out.add("kanoon", path[-1], path[-1], path, year_of(d["month"]), d["month"], Index.quality, FLAGGED,
                f"{LABELS[Index.quality]}: {d['flag']}")
    elif kind == "reports.program.held":
        y = year_of(d["month"])
        out.add("kanoon", d["kanoon_id"], d["kanoon_id"], d["kanoon_path"], y, d["month"], Index.programs, PROGRAM)
        for partner in d.get("partner_kanoon_ids") or []:
            p = resolve.kanoon_path(partner)
            if p is not None:
                out.add("kanoon", partner, partner, p, y, d["month"], Index.programs, PROGRAM_PARTNER,
                        "برنامه جمعی مشترک")
    elif kind == "reports.monthly_report.submitted":
        if not d.get("resubmission"):
            pts = MONTHLY_ON_TIME if d["on_time"] else MONTHLY_LATE
            out.add("kanoon", d["kanoon_id"], d["kanoon_id"], d["kanoon_path"], year_of(d["month"]), d["month"],
                    Index.timeliness, pts, LABELS[Index.timeliness] if d["on_time"] else "گزارش ماهانه با تأخیر")
    elif kind == "reports.monthly_report.accepted":
        out.add("kanoon", d["kanoon_id"], d["kanoon_id"], d["kanoon_path"], year_of(d["month"]), d["month"],
                Index.completeness, MONTHLY_ACCEPTED)
    elif kind == "oversight.inspection.done":
        path = resolve.kanoon_path(d["target_id"])
        if path is not None:   # a kanoon's inspection (a county's visit scores no kanoon)
            out.add("kanoon", d["target_id"], d["target_id"], path, year_of(d["season"]), None, Index.inspection,
                    float(d["score"]) / 10, f"{LABELS[Index.inspection]} {d['score']:g} از ۱۰۰")
    elif kind == "oversight.opinion.published":
        path = resolve.kanoon_path(d["target_id"])
        if path is not None:
            known = resolve.opinion_known(d["target_id"], d["period"])
            if known is None or d["revision"] > known[0]:
                pts = float(d["rating"]) / 10 - (known[1] if known else 0.0)
                out.add("kanoon", d["target_id"], d["target_id"], path, year_of(d["period"]), None, Index.opinion,
                        pts, f"{LABELS[Index.opinion]} ({d['period']}، نسخه {d['revision']}): {d['rating']} از ۱۰۰")
    elif kind == "oversight.violation.recorded":
        where = resolve.member_kanoon(d["person_id"])
        kid, path = where if where else (None, [])
        out.add("member", d["person_id"], kid, path, year_at, None, Index.violations, VIOLATION_MEMBER)
        if kid:
            out.add("kanoon", kid, kid, path, year_at, None, Index.violations, VIOLATION_KANOON)
    elif kind == "festival.training.completed":
        if d.get("kanoon_id"):
            path = d["kanoon_path"]
            out.add("member", d["person_id"], d["kanoon_id"], path, year_at, None, Index.training, TRAINING_MEMBER,
                    f"{LABELS[Index.training]}: {d['title']}")
            out.add("kanoon", d["kanoon_id"], d["kanoon_id"], path, year_at, None, Index.training, TRAINING_KANOON,
                    f"{LABELS[Index.training]}: {d['title']}")
        else:
            out.add("member", d["person_id"], None, [], year_at, None, Index.training, TRAINING_MEMBER)
    elif kind == "festival.award.decided":
        pts = AWARDS.get(d["award"], 0.0)
        note = f"{LABELS[Index.festival]} ({d['award']}): {d['title']}"
        if d.get("person_id"):
            out.add("member", d["person_id"], d.get("kanoon_id"), d.get("kanoon_path") or [], d["year"], None,
                    Index.festival, pts, note)
        if d.get("kanoon_id"):
            out.add("kanoon", d["kanoon_id"], d["kanoon_id"], d["kanoon_path"], d["year"], None, Index.festival,
                    pts, note)
    return out.lines


# ------------------------------------------------------------ scores and ranks

def weighted(by_index: dict[str, float], weights: dict[str, float]) -> float:
    return round(sum(weights.get(k, 1.0) * v for k, v in by_index.items()), 2)


def totals(lines: Iterable[dict | Line]) -> dict[tuple[str, str, int], dict[str, float]]:
    """Points per subject and year, per index: what the incremental figures must equal."""
    out: dict[tuple[str, str, int], dict[str, float]] = {}
    for ln in lines:
        x = ln.model_dump() if isinstance(ln, Line) else ln
        into = out.setdefault((x["subject_kind"], x["subject_id"], x["year"]), {})
        into[str(x["index"])] = round(into.get(str(x["index"]), 0.0) + x["points"], 2)
    return out


@dataclass(frozen=True)
class Ranked:
    id: str
    score: float
    rank: int


def rank(entries: Iterable[tuple[str, float]]) -> list[Ranked]:
    """Competition ranks: ordered by score (highest first), then id; equal scores share a rank."""
    ordered = sorted(entries, key=lambda e: (-e[1], e[0]))
    out: list[Ranked] = []
    for n, (id_, score) in enumerate(ordered):
        r = out[-1].rank if out and out[-1].score == score else n + 1
        out.append(Ranked(id_, score, r))
    return out


def coefficient(rank_: int, of: int) -> float:
    return round((of - rank_ + 1) / of, 4) if of else 0.0


def role_rankings(ranked: list[Ranked], city_of: dict[str, str | None], head_of: dict[str, str | None]
                  ) -> tuple[list[tuple[Ranked, int]], list[tuple[Ranked, str]]]:
    """From a province's ranking: its cities ranked by the evaluation of the role above their
    kanoons (with how many kanoons each), and the kanoons' heads ranked by their kanoon's score
    (with the kanoon)."""
    n = len(ranked)
    cities: dict[str, list[float]] = {}
    for r in ranked:
        if city_of.get(r.id):
            cities.setdefault(city_of[r.id], []).append(coefficient(r.rank, n))
    city_rows = [(r, len(cities[r.id])) for r in rank([(c, role_evaluation(v)) for c, v in cities.items()])]
    kanoon_of = {head_of[r.id]: r.id for r in ranked if head_of.get(r.id)}
    heads = [(r, kanoon_of[r.id]) for r in rank([(head_of[r.id], r.score) for r in ranked if head_of.get(r.id)])]
    return city_rows, heads


def role_evaluation(coefficients: list[float]) -> float:
    """A role above kanoons (a city secretary): the mean coefficient of its kanoons, × 100."""
    return round(100 * sum(coefficients) / len(coefficients), 2) if coefficients else 0.0
