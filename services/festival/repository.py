"""The only code of the festival service that speaks pymongo: editions and submissions (their files in
GridFS), courses and enrollments, the points ledger with its folded scores, weights, choices and
honours, and the registry's read model (kernel.registry_view)."""
from __future__ import annotations

from typing import Iterator

from pymongo import ASCENDING, DESCENDING

from kernel.documents import Aggregates, from_doc, to_doc
from kernel.errors import Conflict, NotFound
from kernel.registry_view import RegistryView
from kernel.uploads import Files
from kernel.registry_view import ensure_indexes as registry_view_indexes

from .domain.evaluation import BestMember, Honour, Weights
from .domain.festival import Edition, JudgeInfo, Submission
from .domain.plans import Occasion, Program
from .domain.points import DEFAULT_WEIGHTS, Line
from .domain.training import Course, Enrollment, Need

INDEXES = {
    "submissions": [[("edition_id", ASCENDING), ("axis", ASCENDING)], [("year", ASCENDING), ("province_id", ASCENDING)],
                    [("judges.person_id", ASCENDING)]],
    "courses": [[("province_id", ASCENDING), ("content_reviewed_on", ASCENDING)], [("trainer_id", ASCENDING)]],
    "enrollments": [[("course_id", ASCENDING)], [("person_id", ASCENDING)]],
    "needs": [[("province_id", ASCENDING), ("tier", ASCENDING)]],
    "points": [[("subject_kind", ASCENDING), ("subject_id", ASCENDING), ("year", ASCENDING)],
               [("kanoon_id", ASCENDING), ("year", ASCENDING)], [("event_id", ASCENDING)],
               [("year", ASCENDING), ("subject_kind", ASCENDING)]],
    "scores": [[("kind", ASCENDING), ("year", ASCENDING), ("path", ASCENDING)],
               [("kind", ASCENDING), ("kanoon_id", ASCENDING), ("year", ASCENDING)]],
    "kanoons": [[("head_id", ASCENDING)], [("deputy_id", ASCENDING)], [("status", ASCENDING)]],
    "members": [[("kanoon_id", ASCENDING)]],
    "occasions": [[("year", ASCENDING), ("scope_id", ASCENDING), ("starts_on", ASCENDING)]],
    "programs": [[("owner_path", ASCENDING), ("period", ASCENDING)], [("status", ASCENDING)]],
}


def ensure_indexes(db) -> None:
    registry_view_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)


def score_id(kind: str, subject_id: str, year: int) -> str:
    return f"{kind}|{subject_id}|{year}"


def line_doc(ln: Line) -> dict:
    """A ledger line as stored: without the kanoon's path (the line names the kanoon; the path is
    the registry's), so that a scan of the ledger reads less."""
    doc = to_doc(ln)
    doc.pop("path", None)
    return doc


def delta_of(lines: list[Line]) -> dict:
    """What the folder adds to the scores for one event's lines."""
    return {"_id": lines[0].event_id, "at": lines[0].at,
            "lines": [[score_id(ln.subject_kind, ln.subject_id, ln.year), ln.index.value, ln.points, ln.subject_kind,
                       ln.subject_id, ln.year, ln.kanoon_id, ln.path] for ln in lines]}


class Repository(Aggregates, Files, RegistryView):

    # -- the registry's read model, as the festival needs it
    def kanoon_doc(self, kanoon_id: str) -> dict:
        k = self.db.kanoons.find_one({"_id": kanoon_id})
        if k is None or k.get("status") != "active":
            raise NotFound(f"no active kanoon {kanoon_id}", "kanoon_id")
        return k

    def kanoon_path(self, kanoon_id: str) -> list[str] | None:
        k = self.db.kanoons.find_one({"_id": kanoon_id}, {"unit_path": 1})
        return [*k["unit_path"], kanoon_id] if k else None

    def member_kanoon(self, person_id: str) -> tuple[str, list[str]] | None:
        m = self.membership(person_id)
        if not m or not m.get("kanoon_id"):
            return None
        path = self.kanoon_path(m["kanoon_id"])
        return (m["kanoon_id"], path) if path else None

    def judge_info(self, person_id: str) -> JudgeInfo:
        kanoons = {k["_id"]: k["unit_path"] for k in self.db.kanoons.find(
            {"$or": [{"head_id": person_id}, {"deputy_id": person_id}]}, {"unit_path": 1})}
        m = self.membership(person_id)
        if m and m.get("kanoon_id"):
            path = self.kanoon_path(m["kanoon_id"])
            if path:
                kanoons[m["kanoon_id"]] = path[:-1]
        cities = {c for p in kanoons.values() if (c := self.ancestor_of_kind(p, "city"))}
        cities |= {g["scope_id"] for g in self.db.grants.find({"person_id": person_id, "scope_kind": "city",
                                                               "revoked": {"$ne": True}})}
        return JudgeInfo(person_id=person_id, kanoon_ids=set(kanoons), city_ids=cities)

    def active_kanoons_under(self, unit_id: str) -> list[tuple[str, list[str], str | None]]:
        """(id, path, head) of every active kanoon under a unit."""
        return [(k["_id"], [*k["unit_path"], k["_id"]], k.get("head_id")) for k in self.db.kanoons.find(
            {"unit_path": unit_id, "status": "active"}, {"unit_path": 1, "head_id": 1})]

    def members_of(self, kanoon_ids: list[str], kind: str | None = None) -> list[dict]:
        q: dict = {"kanoon_id": {"$in": kanoon_ids}}
        if kind:
            q["kind"] = kind
        return list(self.db.members.find(q, {"kind": 1, "kanoon_id": 1}))

    def count_members(self, kanoon_ids: list[str]) -> int:
        return self.db.members.count_documents({"kanoon_id": {"$in": kanoon_ids}}) if kanoon_ids else 0

    def country_id(self) -> str:
        u = self.db.units.find_one({"kind": "country"}, {"_id": 1})
        return u["_id"] if u else "IR"

    # -- the festival
    def add_edition(self, e: Edition) -> None:
        if self.db.editions.find_one({"_id": e.id}, {"_id": 1}):
            raise Conflict(f"the province's festival of {e.year} is open already", "year")
        self.db.editions.insert_one(to_doc(e))

    def edition(self, edition_id: str) -> Edition:
        return self._get("editions", Edition, edition_id, "edition")

    def editions_of(self, year: int) -> list[Edition]:
        return [from_doc(Edition, d) for d in self.db.editions.find({"year": year})]

    def save_edition(self, e: Edition) -> None:
        self._save("editions", e)

    def add_submission(self, s: Submission) -> None:
        self.db.submissions.insert_one(to_doc(s))

    def submission(self, submission_id: str) -> Submission:
        return self._get("submissions", Submission, submission_id, "submission")

    def save_submission(self, s: Submission) -> None:
        self._save("submissions", s)

    def submissions_of(self, edition_id: str, axis: str | None = None, published: bool | None = None
                       ) -> list[Submission]:
        q: dict = {"edition_id": edition_id}
        if axis:
            q["axis"] = axis
        if published is not None:
            q["published"] = published
        return [from_doc(Submission, d) for d in self.db.submissions.find(q, sort=[("submitted_at", ASCENDING)])]

    def submissions_judged_by(self, person_id: str) -> list[Submission]:
        return [from_doc(Submission, d) for d in self.db.submissions.find({"judges.person_id": person_id})]

    def participation_of(self, year: int, province_id: str | None) -> dict[str, dict]:
        """Per axis: submissions, distinct members and distinct kanoons taking part."""
        q: dict = {"year": year}
        if province_id:
            q["province_id"] = province_id
        axes: dict[str, dict] = {}
        for d in self.db.submissions.find(q, {"axis": 1, "person_id": 1, "kanoon_id": 1}):
            a = axes.setdefault(d["axis"], {"submissions": 0, "members": set(), "kanoons": set()})
            a["submissions"] += 1
            if d.get("person_id"):
                a["members"].add(d["person_id"])
            if d.get("kanoon_id"):
                a["kanoons"].add(d["kanoon_id"])
        return {k: {"submissions": v["submissions"], "members": len(v["members"]), "kanoons": len(v["kanoons"])}
                for k, v in axes.items()}

    # -- training
    def add_need(self, n: Need) -> None:
        self.db.needs.insert_one(to_doc(n))

    def needs_of(self, province_id: str, tier: str | None) -> list[Need]:
        q: dict = {"province_id": province_id}
        if tier:
            q["tier"] = tier
        return [from_doc(Need, d) for d in self.db.needs.find(q, sort=[("priority", ASCENDING), ("at", DESCENDING)])]

    def add_course(self, c: Course) -> None:
        self.db.courses.insert_one(to_doc(c))

    def course(self, course_id: str) -> Course:
        return self._get("courses", Course, course_id, "course")

    def save_course(self, c: Course) -> None:
        self._save("courses", c)

    def courses_of(self, province_id: str, tier: str | None = None) -> list[Course]:
        q: dict = {"province_id": province_id}
        if tier:
            q["tier"] = tier
        return [from_doc(Course, d) for d in self.db.courses.find(q, sort=[("created_at", DESCENDING)])]

    def enrollment(self, course_id: str, person_id: str) -> Enrollment:
        return self._get("enrollments", Enrollment, Enrollment.key(course_id, person_id), "enrollment", "person_id")

    def find_enrollment(self, course_id: str, person_id: str) -> Enrollment | None:
        return from_doc(Enrollment, self.db.enrollments.find_one({"_id": Enrollment.key(course_id, person_id)}))

    def add_enrollment(self, e: Enrollment) -> None:
        self.db.enrollments.insert_one(to_doc(e))

    def save_enrollment(self, e: Enrollment) -> None:
        self._save("enrollments", e)

    def enrollments_of(self, course_id: str) -> list[Enrollment]:
        return [from_doc(Enrollment, d) for d in self.db.enrollments.find({"course_id": course_id})]

    def enrollments_of_person(self, person_id: str) -> list[Enrollment]:
        return [from_doc(Enrollment, d) for d in self.db.enrollments.find({"person_id": person_id})]

    # -- the points ledger and the scores folded from it
    def has_lines_of(self, event_id: str) -> bool:
        return self.db.points.find_one({"event_id": event_id}, {"_id": 1}) is not None

    def add_lines(self, lines: list[Line]) -> None:
        """The lines of one event and their delta for the folder (both keyed by the event)."""
        self.db.points.insert_many([line_doc(ln) for ln in lines])
        self.db.score_deltas.insert_one(delta_of(lines))

    def opinion_known(self, target_id: str, period: str) -> tuple[int, float] | None:
        d = self.db.opinions_known.find_one({"_id": f"{target_id}|{period}"})
        return (d["revision"], d["points"]) if d else None

    def remember_opinion(self, target_id: str, period: str, revision: int, points: float) -> None:
        self.db.opinions_known.update_one({"_id": f"{target_id}|{period}"},
                                          {"$set": {"revision": revision, "points": points}}, upsert=True)

    def lines(self, kind: str, subject_id: str, year: int, limit: int, skip: int) -> tuple[list[dict], int]:
        q = {"subject_kind": kind, "subject_id": subject_id, "year": year}
        rows = self.db.points.find(q, sort=[("at", ASCENDING), ("_id", ASCENDING)], skip=skip, limit=limit)
        return rows, self.db.points.count_documents(q)

    def score(self, kind: str, subject_id: str, year: int) -> dict | None:
        return self.db.scores.find_one({"_id": score_id(kind, subject_id, year)})

    def kanoon_scores_under(self, unit_id: str, year: int) -> dict[str, dict[str, float]]:
        return {d["subject_id"]: d.get("by_index", {}) for d in self.db.scores.find(
            {"kind": "kanoon", "year": year, "path": unit_id}, {"subject_id": 1, "by_index": 1})}

    def member_points(self, kanoon_id: str, months: list[str] | None, year: int) -> dict[str, float]:
        """A kanoon's members' points in a period (the months given), or the whole year."""
        q: dict = {"subject_kind": "member", "kanoon_id": kanoon_id, "year": year}
        if months is not None:
            q["month"] = {"$in": months}
        out: dict[str, float] = {}
        for d in self.db.points.find(q, {"subject_id": 1, "points": 1}):
            out[d["subject_id"]] = round(out.get(d["subject_id"], 0.0) + d["points"], 2)
        return out

    def kanoon_lines(self, year: int) -> Iterator[dict]:
        """A year's kanoons' lines, only what a ranking sums (streamed, outside any transaction)."""
        return self.db.raw.points.find({"year": year, "subject_kind": "kanoon"},
                                       {"subject_id": 1, "index": 1, "points": 1, "_id": 0}, batch_size=20000)

    def ledger_totals(self, year: int) -> list[dict]:
        """A year's points per subject and index, summed by the store from the ledger alone."""
        return list(self.db.raw.points.aggregate([
            {"$match": {"year": year}},
            {"$group": {"_id": {"k": "$subject_kind", "s": "$subject_id", "i": "$index"}, "p": {"$sum": "$points"}}},
        ], allowDiskUse=True))

    def iter_scores(self, year: int) -> Iterator[dict]:
        return self.db.raw.scores.find({"year": year}, {"kind": 1, "subject_id": 1, "year": 1, "by_index": 1},
                                       batch_size=5000)

    def weights(self, scope_id: str, year: int) -> dict[str, float]:
        d = self.db.weights.find_one({"_id": f"{scope_id}:{year}"})
        return d["weights"] if d else dict(DEFAULT_WEIGHTS)

    def weights_set(self, scope_id: str, year: int) -> bool:
        return self.db.weights.find_one({"_id": f"{scope_id}:{year}"}, {"_id": 1}) is not None

    def put_weights(self, w: Weights) -> None:
        self.db.weights.replace_one({"_id": w.id}, to_doc(w), upsert=True)

    def put_best(self, b: BestMember) -> None:
        self.db.best_members.replace_one({"_id": b.id}, to_doc(b), upsert=True)

    def best_of(self, kanoon_id: str) -> list[BestMember]:
        return [from_doc(BestMember, d) for d in self.db.best_members.find({"kanoon_id": kanoon_id},
                                                                            sort=[("period", DESCENDING)])]

    def add_honour(self, h: Honour) -> None:
        if self.db.honours.find_one({"_id": h.id}, {"_id": 1}):
            raise Conflict("this head is honoured for the year already", "person_id")
        self.db.honours.insert_one(to_doc(h))

    def honours_under(self, unit_id: str, year: int) -> list[Honour]:
        ids = [k for k, _, _ in self.active_kanoons_under(unit_id)]
        return [from_doc(Honour, d) for d in self.db.honours.find({"kanoon_id": {"$in": ids}, "year": year})]

    # -- occasions and programs
    def add_occasion(self, o: Occasion) -> None:
        self.db.occasions.insert_one(to_doc(o))

    def occasion(self, occasion_id: str) -> Occasion:
        return self._get("occasions", Occasion, occasion_id, "occasion")

    def occasions_for(self, path: list[str], year: int) -> list[Occasion]:
        """The year's occasions seen from a unit: the country's and its province's."""
        return [from_doc(Occasion, d) for d in self.db.occasions.find(
            {"year": year, "scope_id": {"$in": list(path)}}, sort=[("starts_on", ASCENDING)])]

    def add_program(self, p: Program) -> None:
        if self.db.programs.find_one({"_id": p.id}, {"_id": 1}):
            raise Conflict(f"the {p.kind.value.replace('_', ' ')} program for {p.period} is drafted already; "
                           "revise it", "period")
        self.db.programs.insert_one(to_doc(p))

    def program(self, program_id: str) -> Program:
        return self._get("programs", Program, program_id, "program")

    def save_program(self, p: Program) -> None:
        self._save("programs", p)

    def programs_under(self, unit_id: str, year: int, status: str | None) -> list[Program]:
        q: dict = {"owner_path": unit_id, "period": {"$regex": f"^{year}"}}
        if status:
            q["status"] = status
        return [from_doc(Program, d) for d in self.db.programs.find(q, sort=[("period", ASCENDING), ("_id", ASCENDING)])]

