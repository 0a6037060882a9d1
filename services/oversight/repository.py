"""The only code of the oversight service that speaks pymongo: its complaints and violations, and the
registry's read model (kernel.registry_view) it resolves subjects and roles from."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from kernel import personal
from kernel.documents import Aggregates, from_doc, to_doc
from kernel.errors import Conflict, Invalid, NotFound
from kernel.registry_view import RegistryView, event_time
from kernel.uploads import Files
from kernel.registry_view import ensure_indexes as registry_view_indexes
from kernel.throttle import ensure_indexes as throttle_indexes

from .domain.complaints import Complaint, Registration, Subject, SubjectKind, member_unit
from .domain.inspections import Checklist, Inspection
from .domain.stewardship import Finding, Opinion, ProcessRisk, Session
from .domain.violations import Violation

# A complainant's name and phone are sealed at rest (kernel.personal).
COMPLAINANT_SEALED = ("complainant.name", "complainant.phone")


def _complaint_doc(c: Complaint) -> dict:
    return personal.sealer().seal_doc(to_doc(c), COMPLAINANT_SEALED)


def _open_complaint(doc: dict | None) -> Complaint | None:
    return from_doc(Complaint, personal.sealer().open_doc(doc, COMPLAINANT_SEALED))


INDEXES = {
    "complaints": [[("subject.path", ASCENDING), ("received_at", DESCENDING)], [("investigator_id", ASCENDING)],
                   [("status", ASCENDING), ("due", ASCENDING)]],
    "violations": [[("path", ASCENDING), ("recorded_at", DESCENDING)], [("person_id", ASCENDING)]],
    "checklists": [[("province_id", ASCENDING), ("key", ASCENDING), ("version", DESCENDING)]],
    "inspections": [[("target_path", ASCENDING), ("season", ASCENDING)], [("status", ASCENDING)]],
    "findings": [[("path", ASCENDING), ("raised_at", DESCENDING)], [("status", ASCENDING)]],
    "risks": [[("province_id", ASCENDING)]],
    "sessions": [[("path", ASCENDING), ("held_on", DESCENDING)]],
    "opinions": [[("path", ASCENDING), ("period", ASCENDING)]],
    # The audit trail of personal data (kernel.personal), read by place and by reader.
    "audit": [[("path", ASCENDING), ("at", DESCENDING)], [("by_person_id", ASCENDING), ("at", DESCENDING)],
              [("record_ids", ASCENDING)]],
}


def ensure_indexes(db) -> None:
    registry_view_indexes(db)
    throttle_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    # The tracking code's hash finds its complaint, and two complaints never share one.
    db.complaints.create_index([("code_hash", ASCENDING)], unique=True)
    # Complaints received before complainants were sealed.
    personal.seal_existing(db.complaints, COMPLAINANT_SEALED)


class Repository(Aggregates, Files, RegistryView):

    # -- who and what a complaint is about, from the registry's read model
    def subject(self, kind: SubjectKind, subject_id: str) -> Subject:
        if kind == SubjectKind.kanoon:
            k = self.db.kanoons.find_one({"_id": subject_id})
            if k is None or k.get("status") != "active":
                raise NotFound(f"no active kanoon {subject_id}", "subject_id")
            path = [*k["unit_path"], subject_id]
            accused = [p for p in (k.get("head_id"), k.get("deputy_id")) if p]
        elif kind == SubjectKind.member:
            unit = member_unit(self.kanoon_of(subject_id), self.registration(subject_id))
            if unit is None:
                raise NotFound(f"no khademyar or yavar {subject_id}", "subject_id")
            path, _ = self.unit_path(unit)
            accused = [subject_id]
        else:
            path = self.staff_path(subject_id)
            accused = [subject_id]
        province = self.ancestor_of_kind(path, "province")
        if province is None:
            raise Invalid("the subject is not inside a province", "subject_id")
        return Subject(kind=kind, id=subject_id, path=path, province_id=province, accused=accused)

    def staff_path(self, person_id: str) -> list[str]:
        """The unit a staff member serves: the scope of their role (the narrowest one)."""
        best: list[str] | None = None
        for g in self.db.grants.find({"person_id": person_id, "revoked": {"$ne": True}}):
            try:
                path, _ = self.unit_path(g["scope_id"])
            except NotFound:
                continue
            if best is None or len(path) > len(best):
                best = path
        if best is None:
            raise NotFound(f"no staff member {person_id}", "subject_id")
        return best

    def kanoon_of(self, person_id: str) -> str | None:
        m = self.db.members.find_one({"_id": person_id}, {"kanoon_id": 1})
        return m.get("kanoon_id") if m else None

    def registration(self, person_id: str) -> Registration | None:
        doc = self.db.people.find_one({"_id": person_id})
        return Registration(person_id=person_id, kind=doc.get("kind"), city_id=doc.get("city_id")) if doc else None

    def person_path(self, person_id: str) -> list[str]:
        """A person's place: their kanoon, else the unit of their role, else (a khademyar or yavar
        not in a kanoon) the city they were registered in."""
        kanoon = self.kanoon_of(person_id)
        if kanoon is None:
            try:
                return self.staff_path(person_id)
            except NotFound:
                pass
        unit = member_unit(kanoon, self.registration(person_id))
        if unit is None:
            raise NotFound(f"no khademyar, yavar or staff member {person_id}", "person_id")
        return self.unit_path(unit)[0]

    def holders(self, role: str, path: list[str]) -> list[str]:
        return [g["person_id"] for g in self.db.grants.find(
            {"role": role, "scope_id": {"$in": list(path)}, "revoked": {"$ne": True}}, {"person_id": 1})]

    # -- complaints
    def complaint(self, complaint_id: str) -> Complaint:
        c = _open_complaint(self.db.complaints.find_one({"_id": complaint_id}))
        if c is None:
            raise NotFound(f"no complaint {complaint_id}", "complaint_id")
        return c

    def complaint_by_code(self, code_hash: str) -> Complaint | None:
        return _open_complaint(self.db.complaints.find_one({"code_hash": code_hash}))

    def add_complaint(self, c: Complaint) -> None:
        try:
            self.db.complaints.insert_one(_complaint_doc(c))
        except DuplicateKeyError:
            raise Conflict("this tracking code is taken; try again", "code") from None

    def save_complaint(self, c: Complaint) -> None:
        self._save("complaints", c, _complaint_doc(c))

    # -- the audit trail of personal data (kernel.personal), from every service's events
    def record_access(self, envelope: dict) -> None:
        data = envelope["data"]
        self.db.audit.insert_one({
            "_id": envelope["id"], "at": event_time(envelope), "service": envelope["type"].split(".", 1)[0],
            "record_kind": data["record_kind"], "action": data["action"], "record_ids": data["record_ids"],
            "count": data["count"], "path": data["path"], "by_user_id": data.get("by_user_id"),
            "by_person_id": data.get("by_person_id"), "request_id": envelope.get("correlationid")})

    def audit_under(self, unit_id: str, record_kind: str | None, by_person_id: str | None, record_id: str | None,
                    limit: int, skip: int) -> tuple[list[dict], int]:
        filters = {"record_kind": record_kind, "by_person_id": by_person_id, "record_ids": record_id}
        q = {"path": unit_id, **{k: v for k, v in filters.items() if v}}
        rows = self.db.audit.find(q, sort=[("at", DESCENDING), ("_id", ASCENDING)], skip=skip, limit=limit)
        return rows, self.db.audit.count_documents(q)

    def complaints_under(self, unit_id: str, status: str | None, investigator_id: str | None, limit: int,
                         skip: int) -> tuple[list[Complaint], int]:
        q: dict = {"subject.path": unit_id}
        if status:
            q["status"] = status
        if investigator_id:
            q["investigator_id"] = investigator_id
        rows = self.db.complaints.find(q, sort=[("received_at", DESCENDING), ("_id", ASCENDING)], skip=skip,
                                       limit=limit)
        return [_open_complaint(d) for d in rows], self.db.complaints.count_documents(q)

    def open_complaints_due_before(self, unit_id: str, now: datetime) -> list[Complaint]:
        q = {"subject.path": unit_id, "status": {"$ne": "closed"}, "due": {"$lt": now}}
        return [_open_complaint(d) for d in self.db.complaints.find(q, sort=[("due", ASCENDING)], limit=1000)]

    # -- violations
    def violation(self, violation_id: str) -> Violation:
        return self._get("violations", Violation, violation_id, "violation", "violation_id")

    def add_violation(self, v: Violation) -> None:
        self.db.violations.insert_one(to_doc(v))

    def save_violation(self, v: Violation) -> None:
        self._save("violations", v)

    def violations_under(self, unit_id: str, person_id: str | None, limit: int, skip: int
                         ) -> tuple[list[Violation], int]:
        q: dict = {"path": unit_id}
        if person_id:
            q["person_id"] = person_id
        rows = self.db.violations.find(q, sort=[("recorded_at", DESCENDING), ("_id", ASCENDING)], skip=skip,
                                       limit=limit)
        return [from_doc(Violation, d) for d in rows], self.db.violations.count_documents(q)

    # -- checklists and inspections (§6.2)
    def checklist(self, checklist_id: str) -> Checklist:
        return self._get("checklists", Checklist, checklist_id, "checklist", "checklist_id")

    def latest_checklist(self, province_id: str, key: str) -> Checklist | None:
        return from_doc(Checklist, self.db.checklists.find_one({"province_id": province_id, "key": key},
                                                               sort=[("version", DESCENDING)]))

    def add_checklist(self, c: Checklist) -> None:
        try:
            self.db.checklists.insert_one(to_doc(c))
        except DuplicateKeyError:
            raise Conflict(f"version {c.version} of {c.key} was defined meanwhile; try again", "key") from None

    def checklists_of(self, province_id: str) -> list[Checklist]:
        return [from_doc(Checklist, d) for d in self.db.checklists.find(
            {"province_id": province_id}, sort=[("key", ASCENDING), ("version", DESCENDING)], limit=1000)]

    def inspection(self, inspection_id: str) -> Inspection:
        return self._get("inspections", Inspection, inspection_id, "inspection", "inspection_id")

    def add_inspection(self, i: Inspection) -> bool:
        """False when it exists already (a season's periodic inspection of a kanoon is planned once).
        Looked up first: a duplicate key inside a transaction aborts the whole transaction."""
        if self.db.inspections.find_one({"_id": i.id}, {"_id": 1}) is not None:
            return False
        try:
            self.db.inspections.insert_one(to_doc(i))
        except DuplicateKeyError:
            raise Conflict("the inspection was planned meanwhile", "inspection_id") from None
        return True

    def save_inspection(self, i: Inspection) -> None:
        self._save("inspections", i)

    def inspections_under(self, unit_id: str, seasons: list[str], limit: int = 20000) -> list[Inspection]:
        return [from_doc(Inspection, d) for d in self.db.inspections.find(
            {"target_path": unit_id, "season": {"$in": seasons}}, sort=[("season", ASCENDING), ("_id", ASCENDING)],
            limit=limit)]

    def active_kanoons_under(self, unit_id: str) -> list[tuple[str, list[str]]]:
        return [(d["_id"], [*d["unit_path"], d["_id"]]) for d in self.db.kanoons.find(
            {"unit_path": unit_id, "status": "active"}, {"unit_path": 1}, sort=[("_id", ASCENDING)])]

    def complaints_received(self, unit_id: str, start: datetime, end: datetime) -> list[Complaint]:
        return [_open_complaint(d) for d in self.db.complaints.find(
            {"subject.path": unit_id, "received_at": {"$gte": start, "$lt": end}}, limit=20000)]

    def violations_recorded(self, unit_id: str, start: datetime, end: datetime) -> list[Violation]:
        return [from_doc(Violation, d) for d in self.db.violations.find(
            {"path": unit_id, "recorded_at": {"$gte": start, "$lt": end}}, limit=20000)]

    # -- §6.4–§6.6
    def add_finding(self, f: Finding) -> None:
        """Once per event (the handler's inbox already skips a redelivered one)."""
        if self.db.findings.find_one({"_id": f.id}, {"_id": 1}) is None:
            self.db.findings.insert_one(to_doc(f))

    def finding(self, finding_id: str) -> Finding:
        return self._get("findings", Finding, finding_id, "finding", "finding_id")

    def save_finding(self, f: Finding) -> None:
        self._save("findings", f)

    def findings_under(self, unit_id: str, status: str | None, start: datetime | None = None,
                       end: datetime | None = None, limit: int = 1000) -> list[Finding]:
        q: dict = {"path": unit_id}
        if status:
            q["status"] = status
        if start is not None:
            q["raised_at"] = {"$gte": start, "$lt": end}
        return [from_doc(Finding, d) for d in self.db.findings.find(q, sort=[("raised_at", DESCENDING)], limit=limit)]

    def risk(self, risk_id: str) -> ProcessRisk:
        return self._get("risks", ProcessRisk, risk_id, "process in the register", "risk_id")

    def add_risk(self, r: ProcessRisk) -> None:
        self.db.risks.insert_one(to_doc(r))

    def save_risk(self, r: ProcessRisk) -> None:
        self._save("risks", r)

    def risks_of(self, province_id: str) -> list[ProcessRisk]:
        return [from_doc(ProcessRisk, d) for d in self.db.risks.find({"province_id": province_id},
                                                                     sort=[("level", ASCENDING)], limit=1000)]

    def add_session(self, s: Session) -> None:
        self.db.sessions.insert_one(to_doc(s))

    def sessions_under(self, unit_id: str, start: datetime, end: datetime) -> list[Session]:
        return [from_doc(Session, d) for d in self.db.sessions.find(
            {"path": unit_id, "held_on": {"$gte": start, "$lt": end}}, sort=[("held_on", DESCENDING)], limit=5000)]

    def opinion(self, opinion_id: str) -> Opinion | None:
        return from_doc(Opinion, self.db.opinions.find_one({"_id": opinion_id}))

    def put_opinion(self, o: Opinion) -> None:
        if o.revision == 1:
            try:
                self.db.opinions.insert_one(to_doc(o))
            except DuplicateKeyError:
                raise Conflict("an opinion for this period was given meanwhile; try again", "period") from None
        else:
            self._save("opinions", o)

    def opinions_under(self, unit_id: str, period: str) -> list[Opinion]:
        return [from_doc(Opinion, d) for d in self.db.opinions.find({"path": unit_id, "period": period},
                                                                    sort=[("_id", ASCENDING)], limit=5000)]
