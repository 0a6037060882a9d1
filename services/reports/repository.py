"""The only code of the reports service that speaks pymongo: its aggregates, its read model of
the registry (units, kanoons, members, role grants) and its aggregate buckets."""
from __future__ import annotations

from datetime import date, datetime, timezone

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from kernel.documents import Aggregates, dates_to_datetimes, from_doc, to_doc
from kernel.errors import Conflict, NotFound
from kernel import buckets, personal
from kernel.jalali import Period
from kernel.rulings import ensure_indexes as rulings_indexes
from kernel.registry_view import RegistryView
from kernel.registry_view import ensure_indexes as registry_view_indexes
from kernel.registry_view import event_time  # noqa: F401 (projections)
from kernel.persian import name_tokens
from kernel.store import Db

from .domain import aggregates
from .domain.campaigns import Campaign
from .domain.kanoons import KanoonView
from .domain.monthly import MONTHLY_DEADLINE_DAY, MonthlyReport
from .domain.needs import Beneficiary, ExecutiveProject, Need
from .domain.programs import Program
from .domain.reports import REPORT_WINDOW_DAYS, ActivityReport
from .domain.reservations import Reservation
from .domain.service_types import Instruction, ServiceType

# A beneficiary's fields sealed at rest, and those searched by equality through a blind index.
BENEFICIARY_SEALED = ("national_id", "mobile", "address", "notes")
BENEFICIARY_BLIND = ("national_id", "mobile")

INDEXES = {
    "activity_reports": [[("kanoon_path", ASCENDING), ("day", ASCENDING)], [("reporter_id", ASCENDING)],
                         [("kanoon_id", ASCENDING), ("status", ASCENDING)]],
    "programs": [[("kanoon_path", ASCENDING), ("held_on", ASCENDING)]],
    "monthly_reports": [[("kanoon_path", ASCENDING), ("month", ASCENDING)], [("status", ASCENDING)]],
    "reservations": [[("kanoon_id", ASCENDING), ("status", ASCENDING)]],
    "campaigns": [[("scope_path", ASCENDING)]],
    "instructions": [[("service_type", ASCENDING), ("scope_id", ASCENDING), ("version", DESCENDING)],
                     [("scope_id", ASCENDING)]],
    "beneficiaries": [[("kanoon_id", ASCENDING)], [("kanoon_id", ASCENDING), ("name_tokens", ASCENDING)],
                      [("national_id_bi", ASCENDING)], [("mobile_bi", ASCENDING)]],
    "needs": [[("kanoon_id", ASCENDING), ("status", ASCENDING)]],
    "projects": [[("invited_kanoon_ids", ASCENDING)]],
}


def ensure_indexes(db: Db) -> None:
    registry_view_indexes(db)
    rulings_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    # Beneficiaries registered before they were searchable.
    for doc in db.beneficiaries.find({"name_tokens": {"$exists": False}}, {"full_name": 1}):
        db.beneficiaries.update_one({"_id": doc["_id"]}, {"$set": {"name_tokens": name_tokens(doc["full_name"])}})
    # Beneficiaries registered before their personal data was sealed (kernel.personal).
    personal.seal_existing(db.beneficiaries, BENEFICIARY_SEALED, BENEFICIARY_BLIND)


def _day(d: date) -> datetime:
    """A calendar date as stored (midnight UTC of that day; kernel.documents)."""
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


class Repository(Aggregates, RegistryView):

    # -- generic persistence (_get and _save: kernel.documents.Aggregates)
    def _insert(self, coll: str, obj: BaseModel, duplicate: str, field: str = "id") -> None:
        try:
            self.db[coll].insert_one(to_doc(obj))
        except DuplicateKeyError:
            raise Conflict(duplicate, field) from None

    def kanoon(self, kanoon_id: str, field: str = "kanoon_id") -> KanoonView:
        return self._get("kanoons", KanoonView, kanoon_id, "kanoon", field)

    def find_kanoon(self, kanoon_id: str) -> KanoonView | None:
        return from_doc(KanoonView, self.db.kanoons.find_one({"_id": kanoon_id}))

    def kanoons_under(self, unit_id: str) -> list[KanoonView]:
        q = {"_id": unit_id} if self.db.kanoons.find_one({"_id": unit_id}) else {"unit_path": unit_id}
        return [from_doc(KanoonView, d) for d in self.db.kanoons.find(q)]

    # -- read model of the registry (kernel.registry_view), and this service's view of it

    def province_settings(self, path: list[str]) -> dict:
        """The numbers the province of `path` set in the registry (§9), or the defaults."""
        st = self.settings_of(path)
        return {"report_window_days": st.get("report_window_days") or REPORT_WINDOW_DAYS,
                "monthly_deadline_day": st.get("monthly_deadline_day") or MONTHLY_DEADLINE_DAY}

    def has_specialized_kanoon(self, city_id: str | None, field: str) -> bool:
        if city_id is None:
            return False
        return self.db.kanoons.count_documents(
            {"unit_path": city_id, "field": field, "status": "active", "kind": {"$regex": "^specialized"}},
            limit=1) > 0

    # -- service types
    def service_type(self, type_id: str, field: str = "service_type") -> ServiceType:
        return self._get("service_types", ServiceType, type_id, "service type", field)

    def add_service_type(self, t: ServiceType) -> None:
        self._insert("service_types", t, f"a service type {t.id} exists")

    def service_types_for(self, path: list[str]) -> list[ServiceType]:
        return [from_doc(ServiceType, d) for d in
                self.db.service_types.find({"scope_id": {"$in": path}, "active": True}, sort=[("_id", 1)])]

    def add_instruction(self, i: Instruction) -> None:
        self._insert("instructions", i, f"version {i.version} of this instruction exists", "version")

    def instruction_version(self, type_id: str, scope_id: str) -> int:
        doc = self.db.instructions.find_one({"service_type": type_id, "scope_id": scope_id},
                                            sort=[("version", DESCENDING)])
        return doc["version"] if doc else 0

    def instructions_for(self, path: list[str]) -> list[Instruction]:
        """The instructions in force along a path: the latest version of each type in each scope."""
        latest: dict[tuple[str, str], Instruction] = {}
        for d in self.db.instructions.find({"scope_id": {"$in": path}}, sort=[("version", ASCENDING)]):
            i = from_doc(Instruction, d)
            latest[(i.service_type, i.scope_id)] = i
        return sorted(latest.values(), key=lambda i: i.service_type)

    def active_kanoons_for_type(self, scope_id: str, t: ServiceType) -> list[str]:
        q: dict = {"unit_path": scope_id, "status": "active"}
        if t.field:
            q["field"] = t.field
        return [d["_id"] for d in self.db.kanoons.find(q, {"_id": 1})]

    # -- activity reports
    def report(self, report_id: str) -> ActivityReport:
        return self._get("activity_reports", ActivityReport, report_id, "report")

    def add_report(self, r: ActivityReport) -> None:
        self._insert("activity_reports", r, "this report exists")

    def save_report(self, r: ActivityReport) -> None:
        self._save("activity_reports", r)

    def reports(self, *, kanoon_id: str | None = None, reporter_id: str | None = None, status: str | None = None,
                month: Period | None = None, limit: int = 100, skip: int = 0) -> list[ActivityReport]:
        q: dict = {}
        if kanoon_id:
            q["kanoon_id"] = kanoon_id
        if reporter_id:
            q["reporter_id"] = reporter_id
        if status:
            q["status"] = status
        if month:
            q["day"] = {"$gte": _day(month.first_day), "$lt": _day(month.end_day)}
        return [from_doc(ActivityReport, d) for d in
                self.db.activity_reports.find(q, sort=[("day", DESCENDING), ("_id", 1)], skip=skip, limit=limit)]

    def approved_reports_of(self, kanoon_id: str, month: Period) -> list[ActivityReport]:
        return [from_doc(ActivityReport, d) for d in self.db.activity_reports.find(
            {"kanoon_id": kanoon_id, "status": "approved",
             "day": {"$gte": _day(month.first_day), "$lt": _day(month.end_day)}})]

    def raw_totals(self, unit_id: str, period: Period) -> dict:
        """The approved reports' figures computed from the reports themselves (what the read model
        saves us from; kept for checks and the benchmark)."""
        rows = self.db.activity_reports.aggregate([
            {"$match": {"kanoon_path": unit_id, "status": "approved",
                        "day": {"$gte": _day(period.first_day), "$lt": _day(period.end_day)}}},
            {"$group": {"_id": "$service_type", "reports": {"$sum": 1}, "hours": {"$sum": "$hours"},
                        "beneficiaries": {"$sum": "$beneficiaries"}}},
        ])
        by_type = {r["_id"]: {"reports": r["reports"], "hours": round(r["hours"], 2),
                              "beneficiaries": r["beneficiaries"]} for r in rows}
        return {"reports": sum(t["reports"] for t in by_type.values()),
                "hours": round(sum(t["hours"] for t in by_type.values()), 2),
                "beneficiaries": sum(t["beneficiaries"] for t in by_type.values()),
                "by_service_type": by_type}

    # -- reservations, campaigns, programs
    def reservation(self, rid: str) -> Reservation:
        return self._get("reservations", Reservation, rid, "reservation")

    def add_reservation(self, r: Reservation) -> None:
        self._insert("reservations", r, "this reservation exists")

    def save_reservation(self, r: Reservation) -> None:
        self._save("reservations", r)

    def reservations_of(self, kanoon_id: str, status: str | None) -> list[Reservation]:
        q: dict = {"kanoon_id": kanoon_id}
        if status:
            q["status"] = status
        return [from_doc(Reservation, d) for d in self.db.reservations.find(q, sort=[("day", 1)])]

    def campaign(self, cid: str, field: str = "campaign_id") -> Campaign:
        return self._get("campaigns", Campaign, cid, "campaign", field)

    def occasion(self, occasion_id: str) -> dict:
        """An occasion of the festival service's calendar, as its events brought it."""
        o = self.db.occasions.find_one({"_id": occasion_id})
        if o is None:
            raise NotFound(f"no occasion {occasion_id}", "occasion_id")
        return o

    def add_campaign(self, c: Campaign) -> None:
        self._insert("campaigns", c, "this campaign exists")

    def save_campaign(self, c: Campaign) -> None:
        self._save("campaigns", c)

    def campaigns_for(self, path: list[str]) -> list[Campaign]:
        return [from_doc(Campaign, d) for d in
                self.db.campaigns.find({"scope_id": {"$in": path}}, sort=[("starts_on", DESCENDING)])]

    def add_program(self, p: Program) -> None:
        self._insert("programs", p, "this program exists")

    def programs_of(self, kanoon_id: str, month: Period) -> list[Program]:
        return [from_doc(Program, d) for d in self.db.programs.find(
            {"kanoon_id": kanoon_id, "held_on": {"$gte": _day(month.first_day), "$lt": _day(month.end_day)}},
            sort=[("held_on", 1)])]

    def kanoons_with_programs(self, unit_id: str, month: Period) -> set[str]:
        rows = self.db.programs.find(
            {"kanoon_path": unit_id, "held_on": {"$gte": _day(month.first_day), "$lt": _day(month.end_day)}},
            projection={"kanoon_id": 1})
        return {r["kanoon_id"] for r in rows}

    # -- monthly reports
    def find_monthly(self, kanoon_id: str, month: str) -> MonthlyReport | None:
        return from_doc(MonthlyReport, self.db.monthly_reports.find_one({"_id": MonthlyReport.key(kanoon_id, month)}))

    def monthly(self, kanoon_id: str, month: str) -> MonthlyReport:
        r = self.find_monthly(kanoon_id, month)
        if r is None:
            raise NotFound(f"no report of {month} for kanoon {kanoon_id}", "month")
        return r

    def add_monthly(self, r: MonthlyReport) -> None:
        self._insert("monthly_reports", r, "the month's report is already submitted", "month")

    def save_monthly(self, r: MonthlyReport) -> None:
        self._save("monthly_reports", r)

    def monthly_under(self, unit_id: str, month: str) -> list[dict]:
        return list(self.db.monthly_reports.find({"kanoon_path": unit_id, "month": month},
                                                 projection={"kanoon_id": 1, "on_time": 1, "status": 1}))

    # -- beneficiaries, needs, projects
    @staticmethod
    def _open_beneficiary(doc: dict | None) -> Beneficiary | None:
        return from_doc(Beneficiary, personal.sealer().open_doc(doc, BENEFICIARY_SEALED, BENEFICIARY_BLIND))

    def beneficiary(self, bid: str) -> Beneficiary:
        b = self._open_beneficiary(self.db.beneficiaries.find_one({"_id": bid}))
        if b is None:
            raise NotFound(f"no beneficiary {bid}", "beneficiary_id")
        return b

    def add_beneficiary(self, b: Beneficiary) -> None:
        doc = personal.sealer().seal_doc(to_doc(b), BENEFICIARY_SEALED, BENEFICIARY_BLIND)
        doc["name_tokens"] = name_tokens(b.full_name)  # kept for search (kernel.persian)
        try:
            self.db.beneficiaries.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("this beneficiary exists", "id") from None

    def beneficiaries_of(self, kanoon_id: str, limit: int, skip: int, match: dict | None = None
                         ) -> tuple[list[Beneficiary], int]:
        q = {"kanoon_id": kanoon_id, **(match or {})}
        rows = self.db.beneficiaries.find(q, sort=[("registered_at", 1), ("_id", 1)], skip=skip, limit=limit)
        return [self._open_beneficiary(d) for d in rows], self.db.beneficiaries.count_documents(q)

    def need(self, nid: str, field: str = "need_id") -> Need:
        return self._get("needs", Need, nid, "need", field)

    def add_need(self, n: Need) -> None:
        self._insert("needs", n, "this need exists")

    def save_need(self, n: Need) -> None:
        self._save("needs", n)

    def needs_of(self, kanoon_id: str, status: str | None) -> list[Need]:
        q: dict = {"kanoon_id": kanoon_id}
        if status:
            q["status"] = status
        return [from_doc(Need, d) for d in self.db.needs.find(q, sort=[("registered_at", 1)])]

    def project(self, pid: str) -> ExecutiveProject:
        return self._get("projects", ExecutiveProject, pid, "project")

    def add_project(self, p: ExecutiveProject) -> None:
        self._insert("projects", p, "this project exists")

    def save_project(self, p: ExecutiveProject) -> None:
        self._save("projects", p)

    # -- aggregate buckets
    def add_delta(self, event_id: str, path: list[str], month: str, inc: dict[str, float]) -> None:
        """An event's increments, waiting to be folded into the buckets (kernel.buckets)."""
        buckets.record_delta(self.db, "aggregate_deltas", event_id, path, month, inc)

    def buckets(self, unit_id: str, period: Period) -> list[dict]:
        return self.buckets_by_id(aggregates.bucket_ids(unit_id, period))

    def buckets_by_id(self, ids: list[str]) -> list[dict]:
        return self.db.aggregates.find({"_id": {"$in": ids}})


def as_stored(v):
    return dates_to_datetimes(v)
