"""Importing HQ's lists of members, units and kanoons (Excel .xlsx or CSV) as jobs (kernel.jobs).

The request stores the file and answers at once with the job; the runner beside the service's
workers reads and checks every row (phase `reading`), then records the rows a chunk at a time, each
chunk in one transaction with what it creates, its events, its rows' outcomes and the job's progress
(phase `running`, then `done`). A row lands whole or not at all; a refused row changes nothing; a
file imported again finds what its rows created and reports them as duplicates. The importer's
rights are checked on every row with their roles at the time it is recorded."""
from __future__ import annotations

import logging
import time
from datetime import date

from kernel.access import Actor, Grant
from kernel.clock import SYSTEM as clock
from kernel.errors import Conflict, DomainError, Forbidden, Invalid
from kernel.jobs import ChunkJobs, chunk_id
from kernel.sheets import rows_of
from kernel.store import Transaction

from .domain import imports as im
from .domain import rules
from .domain.kanoons import Kanoon, KanoonStatus, check_deputy_eligibility, check_head_eligibility, check_rulings
from .domain.leadership import approve_formation
from .domain.membership import join
from .domain.people import Person, PersonKind
from .domain.units import Unit, UnitKind
from .events import PeopleImported
from .repository import Repository

log = logging.getLogger(__name__)
FILES_BUCKET = "imports"


def actor_of(repo: Repository, job: dict, today: date) -> Actor:
    """The importer as the registry knows them now (a role revoked mid-import stops their rows)."""
    grants = [Grant(role=a.role, scope_id=a.scope_id, scope_kind=a.scope_kind, field=a.field)
              for a in repo.roles_of(job["imported_by"]) if a.active_on(today)]
    return Actor(user_id=job.get("user_id") or "", person_id=job["imported_by"], grants=grants)


class _Ids:
    """A clock whose next id of one prefix is given (an imported kanoon's id is its code's)."""

    def __init__(self, base, fixed: dict[str, str]):
        self.base, self.fixed = base, fixed

    def now(self):
        return self.base.now()

    def today(self):
        return self.base.today()

    def new_id(self, prefix: str) -> str:
        return self.fixed.get(prefix) or self.base.new_id(prefix)


def _outcome(row: int, status: str, id_: str | None = None, exc: DomainError | None = None,
             reason: str | None = None, field: str | None = None) -> dict:
    return im.Outcome(row=row, status=status, id=id_, field=exc.field if exc else field,
                      reason=exc.message if exc else reason).model_dump()


class ImportRunner(ChunkJobs):
    JOBS = "imports"
    CHUNKS = "import_chunks"

    def prepare(self, job: dict) -> int:
        """Read the file and write its chunks of checked rows (again from the start if a run was cut
        short here: the chunks' ids are the same)."""
        import gridfs   # noqa: PLC0415
        bucket = gridfs.GridFSBucket(self.store.db.raw, bucket_name=FILES_BUCKET)
        content = bucket.open_download_stream(job["file_id"]).read()
        fmt, header, raw = rows_of(content, im.MAX_ROWS)
        # Reading thousands of rows holds the process: pausing lets its lease be renewed meanwhile.
        rows = im.read_rows(job["kind"], header, raw, clock.today(), pause=lambda: time.sleep(0))
        size = im.CHUNK[job["kind"]]
        db = self.store.db
        db[self.CHUNKS].delete_many({"job_id": job["_id"]})
        docs = [{"_id": chunk_id(job["_id"], i // size), "job_id": job["_id"], "rows": rows[i:i + size]}
                for i in range(0, len(rows), size)]
        for i in range(0, len(docs), 20):
            db[self.CHUNKS].insert_many(docs[i:i + 20], ordered=False)
        db[self.JOBS].update_one({"_id": job["_id"]}, {"$set": {"format": fmt, "rows": len(rows)}})
        return len(docs)

    def record(self, tx: Transaction, job: dict, chunk: dict, cursor: int) -> None:
        repo = Repository(tx.db)
        actor = actor_of(repo, job, clock.today())
        todo = [r for r in chunk["rows"] if "data" in r]
        decided = {r["row"]: r["outcome"] for r in chunk["rows"] if "outcome" in r}
        if job["kind"] == "members":
            outcomes = record_members(tx, repo, actor, todo, job["_id"])
        elif job["kind"] == "units":
            outcomes = record_units(tx, repo, actor, todo)
        else:
            outcomes = record_kanoons(tx, repo, actor, todo)
        outcomes.update(decided)
        ordered = [outcomes[r["row"]] for r in chunk["rows"]]
        tx.db.import_outcomes.insert_one({"_id": chunk["_id"], "job_id": job["_id"], "chunk": cursor,
                                          "outcomes": ordered})
        counts = {"accepted": 0, "duplicates": 0, "refused": 0}
        for o in ordered:
            counts[{"accepted": "accepted", "duplicate": "duplicates", "refused": "refused"}[o["status"]]] += 1
        self.advance(tx, job, cursor, {**counts, "done_rows": len(ordered)})


def _cities(repo: Repository, values: set[str]) -> dict[str, Unit | str]:
    """A city for each value (its id or its name), or why not (unknown, not a city, ambiguous)."""
    found: dict[str, Unit | str] = {}
    by_id = {u.id: u for u in repo.units_by_ids(sorted({v.upper() for v in values}))}
    names = sorted(v for v in values if v.upper() not in by_id)
    by_name: dict[str, list[Unit]] = {}
    for u in repo.units_named(names, UnitKind.city):
        by_name.setdefault(u.name, []).append(u)
    for v in values:
        u = by_id.get(v.upper())
        if u is not None:
            found[v] = u if u.kind == UnitKind.city else f"{v} is a {u.kind}, not a city"
        elif len(by_name.get(v, [])) == 1:
            found[v] = by_name[v][0]
        elif by_name.get(v):
            found[v] = f"more than one city is named {v}: give its id"
        else:
            found[v] = f"no city {v}"
    return found


def record_members(tx: Transaction, repo: Repository, actor: Actor, todo: list[dict], job_id: str) -> dict[int, dict]:
    out: dict[int, dict] = {}
    if not todo:
        return out
    cities = _cities(repo, {r["data"]["city"] for r in todo})
    registered = repo.people_by_national_ids([r["data"]["national_id"] for r in todo])
    codes = repo.people_by_service_codes([r["data"]["service_code"] for r in todo if r["data"].get("service_code")])
    kanoons = {k.id: k for k in repo.kanoons_by_ids(sorted({r["data"]["kanoon"] for r in todo if r["data"].get("kanoon")}))}
    policies: dict[str, object] = {}
    joined_kanoons: dict[str, Kanoon] = {}
    people, events = [], []
    now = clock.now()
    for r in todo:
        n, d = r["row"], r["data"]
        if d["national_id"] in registered:
            out[n] = _outcome(n, "duplicate", registered[d["national_id"]], reason="registered before",
                              field="national_id")
            continue
        try:
            city = cities[d["city"]]
            if isinstance(city, str):
                raise Invalid(city, "city")
            try:
                rules.register_member(actor, city.path)
            except Forbidden:
                raise Invalid("the city is not in a unit you may register members in", "city") from None
            if d.get("service_code") and d["service_code"] in codes:
                raise Conflict("a person with this service code is registered", "service_code")
            person = Person(id=clock.new_id("p"), kind=PersonKind(d["kind"]), national_id=d["national_id"],
                            first_name=d["first_name"], last_name=d["last_name"], gender=d["gender"],
                            birth_date=d["birth_date"], education=d["education"], occupation=d.get("occupation"),
                            city_id=city.id, city_path=city.path, mobile=d["mobile"],
                            service_code=d.get("service_code"), registered_at=now)
            joined = []
            if d.get("kanoon"):
                k = joined_kanoons.get(d["kanoon"]) or kanoons.get(d["kanoon"])
                if k is None:
                    raise Invalid(f"no kanoon {d['kanoon']}", "kanoon")
                if k.status != KanoonStatus.active:
                    raise Conflict("the kanoon is not active", "kanoon")
                try:
                    rules.change_membership(actor, person, k, "add members to this kanoon")
                except Forbidden:
                    raise Invalid("the kanoon is not in a unit you cover", "kanoon") from None
                policy = policies.get(k.id) or repo.policy(k.province_id, k.type)
                policies[k.id] = policy
                joined = join(person, k, policy, clock, via="join")
                joined_kanoons[k.id] = k
        except DomainError as exc:
            out[n] = _outcome(n, "refused", exc=exc)
            continue
        registered[person.national_id] = person.id
        if person.service_code:
            codes[person.service_code] = person.id
        people.append(person)
        events += joined
        out[n] = _outcome(n, "accepted", person.id)
    if people:
        repo.add_people(people)
        for k in joined_kanoons.values():
            repo.save_kanoon(k)
        tx.emit(PeopleImported(job_id=job_id, count=len(people), people=[
            {"person_id": p.id, "kind": p.kind, "city_id": p.city_id, "kanoon_id": p.kanoon_id,
             "gender": p.gender, "education": p.education,
             "birth_date": p.birth_date.isoformat() if p.birth_date else None} for p in people]), *events)
    return out


def record_units(tx: Transaction, repo: Repository, actor: Actor, todo: list[dict]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    known = {u.id: u for u in repo.units_by_ids(sorted({r["data"]["id"] for r in todo} | {r["data"]["parent_id"] for r in todo}))}
    for r in todo:   # in the file's order: a parent before its children
        n, d = r["row"], r["data"]
        if d["id"] in known:
            existing = known[d["id"]]
            if existing.parent_id == d["parent_id"]:
                out[n] = _outcome(n, "duplicate", d["id"], reason="the unit exists", field="id")
            else:
                out[n] = _outcome(n, "refused", reason=f"a unit {d['id']} exists under {existing.parent_id}", field="id")
            continue
        try:
            parent = known.get(d["parent_id"])
            if parent is None:
                raise Invalid(f"no unit {d['parent_id']} (a parent comes before its children)", "parent_id")
            try:
                rules.manage_units(actor, parent.path, d["kind"])
            except Forbidden as exc:
                raise Invalid(exc.message, "parent_id") from None
            unit, events = Unit.create(d["id"], d["name"], UnitKind(d["kind"]), parent)
        except DomainError as exc:
            out[n] = _outcome(n, "refused", exc=exc)
            continue
        repo.add_unit(unit)
        tx.emit(*events)
        known[unit.id] = unit
        out[n] = _outcome(n, "accepted", unit.id)
    return out


def record_kanoons(tx: Transaction, repo: Repository, actor: Actor, todo: list[dict]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for r in todo:
        n, d = r["row"], r["data"]
        kid = im.kanoon_id(d["unit_id"], d["code"])
        if repo.find_kanoon(kid) is not None:
            out[n] = _outcome(n, "duplicate", kid, reason="the kanoon was imported before", field="code")
            continue
        try:
            unit = repo.find_unit(d["unit_id"])
            if unit is None:
                raise Invalid(f"no unit {d['unit_id']}", "unit")
            kinds = repo.unit_kinds(unit.path)
            city = unit.ancestor_of_kind(kinds, UnitKind.city)
            province = unit.ancestor_of_kind(kinds, UnitKind.province)
            if city is None or province is None:
                raise Invalid("the unit is not inside a city of a province", "unit")
            head = repo.person_by_national_id(d["head_national_id"])
            deputy = repo.person_by_national_id(d["deputy_national_id"])
            if head is None:
                raise Invalid("no person is registered with the head's national ID: import the members first",
                              "head_national_id")
            if deputy is None:
                raise Invalid("no person is registered with the deputy's national ID: import the members first",
                              "deputy_national_id")
            check_head_eligibility(head, "head_national_id")
            check_deputy_eligibility(deputy, "deputy_national_id")
            head_rulings, deputy_rulings = repo.restrictions(head.id), repo.restrictions(deputy.id)
            check_rulings("head", head_rulings, clock.today(), "head_national_id")
            check_rulings("deputy", deputy_rulings, clock.today(), "deputy_national_id")
            for field, p in (("head_national_id", head), ("deputy_national_id", deputy)):
                if repo.head_of_active_kanoon(p.id):
                    raise Conflict("already the head or deputy of a kanoon", field)
            ids = _Ids(clock, {"kn": kid})
            k, events = Kanoon.request(name=d["name"], kind=d["kind"], field=d.get("field"),
                                       deputy_area=d.get("deputy_area"), unit=unit, city_id=city,
                                       province_id=province, head=head, deputy=deputy, by=actor.person_id, clock=ids)
            try:
                city_unit = repo.find_unit(city)
                rules.import_kanoon(actor, k, bool(city_unit and city_unit.capital))
            except Forbidden as exc:
                raise Invalid(exc.message, "unit") from None
            k.status = KanoonStatus.submitted   # formed on paper before the list was kept here
            touched: dict[str, Kanoon] = {}

            def previous(old_id: str):
                touched[old_id] = touched.get(old_id) or repo.kanoon(old_id)
                return touched[old_id], repo.policy(touched[old_id].province_id, touched[old_id].type)
            assignments, more = approve_formation(
                k, head=head, deputy=deputy, head_rulings=head_rulings, deputy_rulings=deputy_rulings,
                attestations=ATTESTED, founding_date=date.fromisoformat(d["founding_date"]),
                policy=repo.policy(province, k.type), previous=previous, by=actor.person_id, clock=clock)
        except DomainError as exc:
            out[n] = _outcome(n, "refused", exc=exc)
            continue
        for old in touched.values():
            repo.save_kanoon(old)
        repo.add_kanoon(k)
        repo.save_person(head)
        repo.save_person(deputy)
        for a in assignments:
            repo.add_role(a)
        tx.emit(*events, *more)
        out[n] = _outcome(n, "accepted", k.id)
    return out


# A kanoon on HQ's list was approved on paper; its head's attested items are recorded as such.
ATTESTED = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True,
            "three_days_a_week": True}
