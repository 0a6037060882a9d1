"""The only code of the secretariat service that speaks pymongo: letters (their numbers' counters and
their files in GridFS), memoranda, the council's choices, assembly sessions, the HQ's reports, the
heads' meetings, news, tickets, the approved reports whose media news may use, and the registry's
read model (kernel.registry_view)."""
from __future__ import annotations

from datetime import date

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from kernel.documents import Aggregates, from_doc, to_doc
from kernel.errors import Conflict
from kernel.registry_view import RegistryView
from kernel.registry_view import ensure_indexes as registry_view_indexes
from kernel.uploads import Files

from .domain.desk import Ticket
from .domain.hq import AssemblySession, CouncilChoice, HqReport
from .domain.letters import Letter
from .domain.meetings import HeadsMeeting
from .domain.mous import Mou
from .domain.news import NewsItem

INDEXES = {
    "letters": [[("province_id", ASCENDING), ("registered_at", DESCENDING)],
                [("status", ASCENDING), ("direction", ASCENDING), ("deadline", ASCENDING)]],
    "mous": [[("province_id", ASCENDING), ("ends_on", ASCENDING)]],
    "hq_reports": [[("province_id", ASCENDING), ("to", ASCENDING)]],
    "meetings": [[("unit_id", ASCENDING), ("month", DESCENDING)]],
    "news": [[("province_id", ASCENDING), ("written_at", DESCENDING)]],
    "tickets": [[("province_id", ASCENDING), ("status", ASCENDING)], [("person_id", ASCENDING)]],
    "approved_reports": [[("path", ASCENDING)]],
    # Collections first written inside transactions: created with the indexes (devenv/indexes.py).
    "council": [[("province_id", ASCENDING)]],
    "assemblies": [[("province_id", ASCENDING)]],
    "counters": [[("seq", ASCENDING)]],
}


def ensure_indexes(db) -> None:
    registry_view_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    db.letters.create_index([("province_id", ASCENDING), ("number", ASCENDING)], unique=True, name="one_number")


class Repository(Aggregates, Files, RegistryView):
    FILES_BUCKET = "letters"

    # -- letters

    def next_seq(self, province_id: str, year: int, direction: str) -> int:
        """The next number of the province's letters of a year and direction, in the caller's
        transaction (two letters registered at once: one of them retries with the next number)."""
        doc = self.db.counters.find_one_and_update({"_id": f"{province_id}:{year}:{direction}"}, {"$inc": {"seq": 1}},
                                                   upsert=True, return_document=ReturnDocument.AFTER)
        return doc["seq"]

    def letter(self, letter_id: str) -> Letter:
        return self._get("letters", Letter, letter_id, "letter")

    def add_letter(self, letter: Letter) -> None:
        try:
            self.db.letters.insert_one(to_doc(letter))
        except DuplicateKeyError:
            raise Conflict(f"the number {letter.number} is taken; register the letter again", "number") from None

    def save_letter(self, letter: Letter) -> None:
        self._save("letters", letter)

    def letters(self, province_id: str, direction: str | None, status: str | None, waiting: bool,
                limit: int, skip: int) -> tuple[list[Letter], int]:
        q: dict = {"province_id": province_id}
        if direction:
            q["direction"] = direction
        if status:
            q["status"] = status
        if waiting:
            q.update(direction="incoming", status="open", deadline={"$ne": None})
        rows = self.db.letters.find(q, sort=[("registered_at", -1)], skip=skip, limit=limit)
        return [from_doc(Letter, d) for d in rows], self.db.letters.count_documents(q)

    def letters_to_check(self) -> list[Letter]:
        """Incoming letters with a deadline still open whose reminder or notice may be due."""
        rows = self.db.letters.find({"status": "open", "direction": "incoming", "deadline": {"$ne": None},
                                     "overdue_notified": False})
        return [from_doc(Letter, d) for d in rows]

    # -- memoranda

    def mou(self, mou_id: str) -> Mou:
        return self._get("mous", Mou, mou_id, "memorandum", "mou_id")

    def add_mou(self, m: Mou) -> None:
        self.db.mous.insert_one(to_doc(m))

    def save_mou(self, m: Mou) -> None:
        self._save("mous", m)

    def mous(self, province_id: str) -> list[Mou]:
        return [from_doc(Mou, d) for d in self.db.mous.find({"province_id": province_id}, sort=[("ends_on", 1)])]

    def mous_to_check(self) -> list[Mou]:
        return [from_doc(Mou, d) for d in self.db.mous.find({})
                if d.get("notified_for") != d.get("ends_on")]

    # -- the council, the assembly, the HQ's reports

    def council(self, province_id: str, province_path: list[str], year: int) -> CouncilChoice:
        doc = self.db.council.find_one({"_id": f"{province_id}:{year}"})
        return from_doc(CouncilChoice, doc) if doc else CouncilChoice(
            id=f"{province_id}:{year}", province_id=province_id, province_path=province_path, year=year)

    def save_council(self, c: CouncilChoice) -> None:
        if c.version == 0 and self.db.council.find_one({"_id": c.id}, {"_id": 1}) is None:
            c.version = 1
            self.db.council.insert_one(to_doc(c))
        else:
            self._save("council", c)

    def councils(self, province_id: str) -> list[CouncilChoice]:
        return [from_doc(CouncilChoice, d) for d in self.db.council.find({"province_id": province_id},
                                                                          sort=[("year", -1)])]

    def add_assembly(self, s: AssemblySession) -> None:
        try:
            self.db.assemblies.insert_one(to_doc(s))
        except DuplicateKeyError:
            raise Conflict(f"the general assembly's session of {s.year} is recorded already", "held_on") from None

    def assemblies(self, province_id: str) -> list[AssemblySession]:
        return [from_doc(AssemblySession, d) for d in self.db.assemblies.find({"province_id": province_id},
                                                                               sort=[("year", -1)])]

    def hq_report(self, report_id: str) -> HqReport:
        return self._get("hq_reports", HqReport, report_id, "report")

    def add_hq_report(self, r: HqReport) -> None:
        self.db.hq_reports.insert_one(to_doc(r))

    def save_hq_report(self, r: HqReport) -> None:
        self._save("hq_reports", r)

    def hq_reports(self, province_id: str) -> list[HqReport]:
        return [from_doc(HqReport, d) for d in self.db.hq_reports.find({"province_id": province_id},
                                                                        sort=[("written_at", -1)])]

    # -- the heads' meetings

    def add_meeting(self, m: HeadsMeeting) -> None:
        try:
            self.db.meetings.insert_one(to_doc(m))
        except DuplicateKeyError:
            raise Conflict(f"the meeting of {m.month} is recorded already", "held_on") from None

    def meetings(self, unit_id: str, limit: int = 24) -> list[HeadsMeeting]:
        rows = self.db.meetings.find({"unit_id": unit_id}, sort=[("month", -1)], limit=limit)
        return [from_doc(HeadsMeeting, d) for d in rows]

    def neighborhood_kanoons(self, unit_id: str, on: date) -> list[str]:
        """The active neighborhood kanoons under a city (founded by `on`)."""
        rows = self.db.kanoons.find({"unit_path": unit_id, "status": "active", "kind": "neighborhood"},
                                    {"founding_date": 1})
        return sorted(d["_id"] for d in rows)

    # -- news and the reports whose media it may use

    def approved_reports(self, ids: list[str]) -> dict[str, dict]:
        return {d["_id"]: d for d in self.db.approved_reports.find({"_id": {"$in": ids}})}

    def recent_media(self, province_id: str, limit: int) -> list[dict]:
        rows = self.db.approved_reports.find({"path": province_id, "media.0": {"$exists": True}},
                                             sort=[("approved_at", -1)], limit=limit)
        return rows

    def add_news(self, n: NewsItem) -> None:
        self.db.news.insert_one(to_doc(n))

    def news_item(self, news_id: str) -> NewsItem:
        return self._get("news", NewsItem, news_id, "news item", "news_id")

    def save_news(self, n: NewsItem) -> None:
        self._save("news", n)

    def news(self, province_id: str, published_only: bool, limit: int, skip: int) -> list[NewsItem]:
        q: dict = {"province_id": province_id}
        if published_only:
            q["status"] = "published"
        rows = self.db.news.find(q, sort=[("written_at", -1)], skip=skip, limit=limit)
        return [from_doc(NewsItem, d) for d in rows]

    # -- the service desk

    def member_province(self, person_id: str) -> tuple[str, list[str]] | None:
        """The province of the kanoon a person is a member of (from the registry's events)."""
        m = self.membership(person_id)
        if not m or not m.get("kanoon_id"):
            return None
        k = self.db.kanoons.find_one({"_id": m["kanoon_id"]}, {"unit_path": 1})
        province = self.ancestor_of_kind(k["unit_path"], "province") if k else None
        if province is None:
            return None
        return province, self.unit_path(province)[0]

    def ticket(self, ticket_id: str) -> Ticket:
        return self._get("tickets", Ticket, ticket_id, "ticket")

    def add_ticket(self, t: Ticket) -> None:
        self.db.tickets.insert_one(to_doc(t))

    def save_ticket(self, t: Ticket) -> None:
        self._save("tickets", t)

    def tickets_of(self, person_id: str) -> list[Ticket]:
        return [from_doc(Ticket, d) for d in self.db.tickets.find({"person_id": person_id},
                                                                   sort=[("opened_at", -1)], limit=100)]

    def tickets(self, province_id: str, status: str | None, limit: int, skip: int) -> tuple[list[Ticket], int]:
        q: dict = {"province_id": province_id}
        if status:
            q["status"] = status
        rows = self.db.tickets.find(q, sort=[("opened_at", 1)], skip=skip, limit=limit)
        return [from_doc(Ticket, d) for d in rows], self.db.tickets.count_documents(q)


def apply_report_event(db, envelope: dict) -> None:
    """The reports service's approvals (with their media) are what news may tell of; a report
    returned or flagged later stops being one."""
    kind = envelope["type"].rsplit(".", 1)[0]
    d = envelope.get("data") or {}
    if kind == "reports.report.approved":
        db.approved_reports.update_one({"_id": d["report_id"]}, {"$set": {
            "path": [*d["kanoon_path"]], "kanoon_id": d["kanoon_id"], "month": d["month"],
            "service_type": d["service_type"], "media": d.get("media") or [], "approved_at": envelope.get("time")}},
            upsert=True)
    elif kind == "reports.report.returned":
        db.approved_reports.delete_one({"_id": d["report_id"]})
