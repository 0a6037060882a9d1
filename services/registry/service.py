"""The registry service: nameko entrypoints that validate, check access, call the domain and store
the result with its events in one transaction. No rule lives here."""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from kernel.access import Actor, Grant
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Conflict, Invalid, NotFound, Unauthenticated
from kernel.messaging import reliable_event_handler
from kernel.registry_view import restatement_parts
from kernel.rulings import apply_ruling_event, check_may_join
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel import uploads
from kernel.store import Store, Transaction
from kernel.throttle import Throttle

from . import schemas as s
from .domain import rules
from .domain.composition import composition
from .domain.coverage import county_coverage
from .domain.kanoons import Kanoon, MembershipPolicy, OrientationSession, Place, check_rulings
from .domain.leadership import approve_formation, hand_over
from .domain.membership import join, leave
from .domain.people import Person, PersonKind, check_birth_date, search_terms
from .domain.roles import Role, RoleAssignment
from .domain.selection import Application, Applicant
from .domain.settings import ProvinceSettings
from .domain.transfers import Transfer, TransferStatus, execute_transfer
from .domain.units import Unit, UnitKind
from .domain.accounts import check_password
from .events import (MembershipPolicySet, PasswordChanged, ProvinceSettingsSet, UserCreated, UserDeactivated,
                     ViewRestated)
from .repository import Repository, ensure_indexes, people_match
from .imports import FILES_BUCKET, ImportRunner
from .projections import apply_rank_event

log = logging.getLogger(__name__)
UNITS = Path(__file__).parent / "data" / "units.json"

_hasher = PasswordHasher()
# A hash to verify against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


PERSON_PRIVATE = {"national_id", "mobile"}


def load_units(store: Store, path: Path = UNITS) -> int:
    """The unit tree data set (country, regions, provinces, counties), loaded at start-up: units
    missing from the store are added with their events (parents before children); existing ones are
    kept as they are. Several instances starting at once add each unit once."""
    rows = json.loads(path.read_text(encoding="utf-8"))["units"]
    known = {d["_id"]: bool(d.get("capital")) for d in store.db.units.find({}, {"_id": 1, "capital": 1})}
    created = 0
    for row in rows:
        capital = bool(row.get("capital"))
        if row["id"] in known:
            if known[row["id"]] != capital:  # the data set marks the provinces' capitals
                store.transaction(lambda tx, row=row, capital=capital: tx.db.units.update_one(
                    {"_id": row["id"]}, {"$set": {"capital": capital}}), correlation_id="load-units")
            continue

        def work(tx: Transaction, row=row, capital=capital):
            repo = Repository(tx.db)
            parent = repo.unit(row["parent_id"]) if row.get("parent_id") else None
            unit, events = Unit.create(row["id"], row["name"], UnitKind(row["kind"]), parent, capital)
            repo.add_unit(unit)
            tx.emit(*events)
        try:
            store.transaction(work, correlation_id="load-units")
            created += 1
        except Conflict:
            pass  # another instance added it meanwhile
    if created:
        log.info("loaded %d units of the data set", created)
    return created


def expire_overdue_transfers(store: Store) -> int:
    """Pending transfers past their deadline lapse, each with its event (every few minutes)."""
    expired = 0
    for t in Repository(store.db).overdue_transfers(clock.now()):
        def work(tx: Transaction, transfer_id=t.id):
            repo = Repository(tx.db)
            tr = repo.transfer(transfer_id)
            if tr.is_overdue(clock):
                tx.emit(*tr.expire(clock))
                repo.save_transfer(tr)
        try:
            store.transaction(work, correlation_id=f"expire-{t.id}")
            expired += 1
        except Conflict:
            pass  # decided or expired meanwhile
    if expired:
        log.info("%d pending transfers expired", expired)
    return expired


# ---------------------------------------------------------------- restatements (docs/backup.md)

RESTATEMENTS = "restatements"      # what was asked for and what was published
RESTORES = "restores"              # written by `python -m ops.backup restore`
# Before reading its snapshot a restatement waits this long after `as_of`, so that every transaction
# that stamped an event before `as_of` has committed (or aborted) by then: the registry's commands
# hold theirs for milliseconds, and one held past 2 s is logged as abnormal (kernel.store). What it
# reads then holds every event stamped before `as_of`; one stamped later reaches the consumers as a
# live event newer than the restatement, compared by time as usual, so nothing is lost.
RESTATE_SETTLE_SECONDS = 5.0
RESTATE_PART_SIZE = 250            # records per event (a few tens of kB)
RESTATE_PARTS_PER_TRANSACTION = 20
RESTATE_LEASE_SECONDS = 600.0


def publish_restatement(store: Store, reason: str, settle: float = RESTATE_SETTLE_SECONDS,
                        part_size: int = RESTATE_PART_SIZE) -> dict:
    """Publish, through the outbox, the registry's current state of everything other services keep
    of it (`registry.view.restated.v1`, in parts with one subject), read in one transaction after
    `settle` seconds, as of the instant before the wait. Returns what was published."""
    restatement_id = uuid.uuid4().hex
    now = clock.now()
    as_of = now.replace(microsecond=now.microsecond // 1000 * 1000)   # as the store keeps instants
    time.sleep(settle)
    records, _, _ = store.transaction(lambda tx: Repository(tx.db).view_records(),
                                      correlation_id=f"restate-{restatement_id}", deadline=time.time() + 60)
    parts = restatement_parts(records, part_size)
    for first in range(0, len(parts), RESTATE_PARTS_PER_TRANSACTION):
        def work(tx: Transaction, first=first):
            tx.emit(*[ViewRestated(restatement_id=restatement_id, part=first + n + 1, parts=len(parts), as_of=as_of,
                                   reason=reason, **part)
                      for n, part in enumerate(parts[first:first + RESTATE_PARTS_PER_TRANSACTION])])
        store.transaction(work, correlation_id=f"restate-{restatement_id}")
    counts = {name: len(rows) for name, rows in records.items()}
    log.info("restatement %s (%s) published as of %s: %d parts, %s", restatement_id, reason, as_of.isoformat(),
             len(parts), counts)
    return {"restatement_id": restatement_id, "as_of": as_of, "parts": len(parts), "records": counts}


def restatement_view(doc: dict) -> dict:
    out = {"id": doc["_id"], **{k: doc.get(k) for k in ("status", "reason", "by", "restore_id", "restatement_id",
                                                        "parts", "records", "error")}}
    for k in ("requested_at", "as_of", "published_at"):
        out[k] = doc[k].isoformat() if doc.get(k) else None
    return out


def restate_when_due(store: Store, settle: float = RESTATE_SETTLE_SECONDS) -> str | None:
    """The periodic duty: a restore not restated yet asks for a restatement; one restatement asked
    for (by a restore or an operator) is leased and published, in a thread of its own so that the
    heartbeat goes on meanwhile. One whose instance died midway is taken again when its lease ends
    (a new restatement: consumers never complete the half-published one, which changed nothing but
    what it restated). Returns the id of the restatement started, if any."""
    now = clock.now()
    for r in store.db[RESTORES].find({"status": "done", "restated_at": None}, {"_id": 1}):
        try:
            store.db[RESTATEMENTS].insert_one({"_id": f"restore-{r['_id']}", "status": "requested",
                                               "reason": f"restore {r['_id']}", "restore_id": r["_id"],
                                               "by": "system", "requested_at": now, "lease_until": None})
        except DuplicateKeyError:
            pass
    job = store.db[RESTATEMENTS].find_one_and_update(
        {"status": {"$in": ["requested", "running"]}, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {"$set": {"status": "running", "lease_until": now + timedelta(seconds=RESTATE_LEASE_SECONDS)},
         "$inc": {"attempts": 1}}, sort=[("requested_at", 1)], return_document=ReturnDocument.AFTER)
    if job is None:
        return None
    threading.Thread(target=_restate, args=(store, job, settle), name=f"restate-{job['_id']}", daemon=True).start()
    return job["_id"]


def _restate(store: Store, job: dict, settle: float) -> None:
    try:
        out = publish_restatement(store, job["reason"], settle)
    except Exception as exc:
        log.exception("restatement %s failed; it is taken again at the next period", job["_id"])
        store.db[RESTATEMENTS].update_one({"_id": job["_id"]}, {"$set": {"lease_until": None, "error": str(exc)[:500]}})
        return

    def done(tx: Transaction):
        at = clock.now()
        tx.db[RESTATEMENTS].update_one({"_id": job["_id"]}, {"$set": {
            "status": "published", "published_at": at, "lease_until": None, "error": None, **out}})
        if job.get("restore_id"):
            tx.db[RESTORES].update_one({"_id": job["restore_id"]}, {"$set": {
                "restated_at": at, "restatement_id": out["restatement_id"]}})
    store.transaction(done, correlation_id=f"restate-{out['restatement_id']}")


class RegistryProjections:
    """What the registry learns from other services: the protection committee's rulings, which it
    enforces (domain.restrictions), and the ranks the festival service publishes (shown on kanoons). A container of its own (its own worker budget)."""

    name = "registry_projections"
    owner = "registry"

    store = StoreProvider(relay=False)

    @reliable_event_handler("oversight", "oversight.ruling.#")
    def on_ruling(self, envelope: dict) -> None:
        self.store.apply("oversight", envelope, lambda tx: apply_ruling_event(tx.db, envelope),
                         cached_settings().handler_store_seconds)

    @reliable_event_handler("festival", "festival.kanoon.ranked.#")
    def on_ranked(self, envelope: dict) -> None:
        self.store.apply("festival", envelope, lambda tx: apply_rank_event(tx.db, envelope),
                         cached_settings().handler_store_seconds)


def _account(repo: Repository, user_id) -> dict:
    user = repo.user(user_id) if isinstance(user_id, str) else None
    if user is None:
        raise NotFound(f"no account {user_id}", "user_id")
    return user


def _account_view(user: dict) -> dict:
    """An account as its routes answer: never its password's hash."""
    return {"id": user["_id"], "username": user["username"], "person_id": user["person_id"]}


class RegistryService(DomainService):
    name = "registry"
    repository = Repository

    store = StoreProvider(indexes=ensure_indexes, on_start=load_units,
                          periodic={"expire-transfers": (300, expire_overdue_transfers),
                                    "restate-view": (10, restate_when_due)})
    ctx = ContextProvider()
    imports = ImportRunner()

    # ------------------------------------------------------------ plumbing

    @property
    def actor(self) -> Actor | None:
        """The caller, with the roles this registry holds for them now (never what a caller claims)."""
        if "actor" not in self.ctx.cache:
            self.ctx.cache["actor"] = self._resolve_actor()
        return self.ctx.cache["actor"]

    def _resolve_actor(self) -> Actor | None:
        if not self.ctx.user_id:
            return None
        repo = self._read()
        user = repo.user(self.ctx.user_id)
        if user is None or not user.get("active", True):
            raise Unauthenticated("the account no longer exists")
        if self.ctx.person_id and user["person_id"] != self.ctx.person_id:
            raise Unauthenticated("the caller's person does not match the account")
        return self._actor(repo, user)

    def _caller_is_admin(self) -> bool:
        actor = self.actor
        return actor is not None and actor.is_admin

    def _by(self) -> str:
        return self.actor.person_id if self.actor else "system"

    def _city_and_province(self, repo: Repository, unit: Unit) -> tuple[str, str]:
        kinds = repo.unit_kinds(unit.path)
        city = unit.ancestor_of_kind(kinds, UnitKind.city)
        province = unit.ancestor_of_kind(kinds, UnitKind.province)
        if city is None or province is None:
            raise Invalid("the unit is not inside a city of a province", "unit_id")
        return city, province

    def _policy_of(self, repo: Repository, k: Kanoon) -> MembershipPolicy:
        return repo.policy(k.province_id, k.type)

    def _kanoon_view(self, repo: Repository, k: Kanoon) -> dict:
        out = view(k)
        out["type"] = k.type
        policy = self._policy_of(repo, k)
        out.update(k.flags(policy))
        out["floor"], out["ceiling"] = policy.floor, policy.ceiling
        out["ranks"] = repo.latest_ranks(k.id)
        return out

    def _field_of(self, repo: Repository, p: Person) -> str | None:
        """The specialized field of the person's kanoon, if any (field-bound grants need it)."""
        return repo.kanoon(p.kanoon_id).field if p.kanoon_id else None

    def _person_view(self, p: Person, field: str | None = None) -> dict:
        out = view(p, exclude={"version", "left_kanoon_id", "left_at"})
        a = self.actor
        if a is None or not (a.person_id == p.id
                             or a.covers(rules.person_path(p), rules.OFFICIALS_AND_STAFF, field)):
            for key in PERSON_PRIVATE:
                out.pop(key, None)
        return out

    def _pending_transfer(self, repo: Repository, tx: Transaction, person_id: str) -> Transfer | None:
        """The person's pending transfer; one past its deadline lapses here, in the caller's
        transaction, so it blocks nothing once its time is up."""
        t = repo.pending_transfer_of(person_id)
        if t is not None and t.is_overdue(clock):
            tx.emit(*t.expire(clock))
            repo.save_transfer(t)
            return None
        return t

    def _in_capital(self, repo: Repository, k: Kanoon) -> bool:
        city = repo.find_unit(k.city_id)
        return bool(city and city.capital)

    # ------------------------------------------------------------ units (§2.1)

    @rpc
    def create_unit(self, payload: dict) -> dict:
        cmd = parse(s.CreateUnit, payload)

        def work(repo: Repository, tx: Transaction):
            parent = repo.unit(cmd.parent_id)
            rules.manage_units(self.actor, parent.path, cmd.kind)
            unit, events = Unit.create(cmd.id, cmd.name, cmd.kind, parent)
            repo.add_unit(unit)
            tx.emit(*events)
            return view(unit)
        return self._write(work)

    # ------------------------------------------------------------ imports of HQ's lists (§8)

    @rpc
    def start_import(self, payload: dict) -> dict:
        """A file of members, units or kanoons (Excel .xlsx or CSV, base64 in `content`): stored and
        answered at once with its job; the rows are read, checked and recorded by the runner."""
        cmd = parse(s.StartImport, payload)
        content = uploads.decode(cmd.content)
        actor = rules.import_lists(self.actor, cmd.kind)
        # A retried request (the same Idempotency-Key) names the same job and the same file.
        job_id = uploads.keyed_id("im", self.ctx.idempotency, clock)
        import gridfs  # noqa: PLC0415
        try:
            gridfs.GridFSBucket(self.store.db.raw, bucket_name=FILES_BUCKET).upload_from_stream_with_id(
                job_id, cmd.file_name, content, metadata={"kind": cmd.kind})
        except gridfs.errors.FileExists:
            pass
        job = {"_id": job_id, "kind": cmd.kind, "file_name": cmd.file_name[:200], "file_id": job_id,
               "format": None, "status": "pending", "rows": 0, "chunks": 0, "cursor": 0, "done_rows": 0,
               "accepted": 0, "duplicates": 0, "refused": 0, "error": None, "imported_by": actor.person_id,
               "user_id": actor.user_id, "created_at": clock.now(), "finished_at": None,
               "lease_owner": None, "lease_until": None}

        def work(repo: Repository, tx: Transaction):
            if tx.db.imports.find_one({"_id": job_id}) is None:
                tx.db.imports.insert_one(job)
            return import_view(tx.db.imports.find_one({"_id": job_id}), [])
        out = self._write(work)
        self.imports.kick()
        return out

    @rpc
    def import_job(self, job_id: str, status: str | None = None, limit: int = 100, skip: int = 0) -> dict:
        """An import's progress and counts, and its rows' outcomes (`status`: accepted, duplicate or
        refused), for the person who started it or an administrator."""
        limit, skip = page_args(limit, skip)
        if status not in (None, "accepted", "duplicate", "refused"):
            raise Invalid("status is accepted, duplicate or refused", "status")
        repo = self._read()
        job = repo.db.imports.find_one({"_id": job_id}) if isinstance(job_id, str) else None
        if job is None:
            raise NotFound(f"no import {job_id}", "job_id")
        actor = rules.signed_in(self.actor)
        if actor.person_id != job["imported_by"] and not actor.is_admin:
            raise rules.Forbidden("this import is someone else's")
        out = import_view(job, repo.import_outcomes(job, status, limit, skip))
        out["outcomes_total"] = job["done_rows"] if status is None else job[
            {"accepted": "accepted", "duplicate": "duplicates", "refused": "refused"}[status]]
        return out

    @rpc
    def my_imports(self, limit: int = 20) -> list[dict]:
        limit, _ = page_args(limit, 0)
        actor = rules.signed_in(self.actor)
        jobs = self._read().db.imports.find({"imported_by": actor.person_id}, sort=[("created_at", -1)], limit=limit)
        return [import_view(j, []) for j in jobs]

    @rpc
    def get_unit(self, unit_id: str) -> dict:
        repo = self._read()
        unit = repo.unit(unit_id)
        out = view(unit)
        out["children"] = [view(c) for c in repo.children(unit.id)]
        return out

    @rpc
    def list_units(self, parent_id: str | None = None) -> list[dict]:
        repo = self._read()
        if parent_id is not None:
            repo.unit(parent_id)
        return [view(u) for u in repo.children(parent_id)]

    # ------------------------------------------------------------ people (§2.5)

    @rpc
    def register_member(self, payload: dict) -> dict:
        cmd = parse(s.RegisterMember, payload)
        check_birth_date(cmd.birth_date, clock.today())

        def work(repo: Repository, tx: Transaction):
            city = repo.unit(cmd.city_id)
            if city.kind != UnitKind.city:
                raise Invalid("city_id must name a city", "city_id")
            rules.register_member(self.actor, city.path)
            person = Person(id=clock.new_id("p"), kind=PersonKind(cmd.kind), national_id=cmd.national_id,
                            first_name=cmd.first_name, last_name=cmd.last_name, gender=cmd.gender,
                            birth_date=cmd.birth_date, education=cmd.education, occupation=cmd.occupation,
                            city_id=city.id, city_path=city.path, mobile=cmd.mobile,
                            service_code=cmd.service_code, registered_at=clock.now())
            repo.add_person(person)
            tx.emit(person.registered_event())
            return self._person_view(person)
        return self._write(work)

    @rpc
    def get_person(self, person_id: str) -> dict:
        repo = self._read()
        person = repo.person(person_id)
        field = self._field_of(repo, person)
        rules.view_person(self.actor, person, field)
        out = self._person_view(person, field)
        out["roles"] = [view(r) for r in repo.roles_of(person_id)]
        return out

    @rpc
    def list_members(self, kanoon_id: str) -> list[dict]:
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.view_figures(self.actor, k.path, k.field)
        return [self._person_view(p, k.field) for p in repo.members_of(kanoon_id)]

    @rpc
    def search_people(self, unit_id: str, q: str, status: str = "all", limit: int = 20, skip: int = 0) -> dict:
        """Members, people without a kanoon, or pending applicants under a unit or kanoon, found by
        name, national ID, mobile or service code (any digit form; Arabic or Persian letters)."""
        limit, skip = page_args(limit, skip)
        if status not in ("all", "member", "unplaced", "applicant"):
            raise Invalid("status is all, member, unplaced or applicant", "status")
        if not isinstance(q, str) or len(q) > 100:
            raise Invalid("the search text is at most 100 characters", "q")
        kind, value = search_terms(q)
        repo = self._read()
        unit = repo.find_unit(unit_id)
        k = None if unit else repo.find_kanoon(unit_id)
        if unit is None and k is None:
            raise NotFound(f"no unit or kanoon {unit_id}", "unit_id")
        rules.find_people(self.actor, unit.path if unit else k.path)
        if status == "applicant":
            if kind == "service_code":
                return {"total": 0, "items": [], "matched_by": kind}
            items, total = repo.search_applications(unit_id, people_match(kind, value, "applicant."), limit, skip)
            return {"total": total, "items": [view(a) for a in items], "matched_by": kind}
        placed = {"all": None, "member": True, "unplaced": False}[status]
        people, total = repo.search_people(unit_id, people_match(kind, value), placed, limit, skip)
        return {"total": total, "items": [self._person_view(p) for p in people], "matched_by": kind}

    @rpc
    def unplaced_members(self, unit_id: str, limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        unit = repo.unit(unit_id)
        rules.require(self.actor, unit.path, rules.NETWORK_STAFF, "list members without a kanoon here")
        people, total = repo.unplaced(unit_id, limit, skip)
        return {"total": total, "items": [self._person_view(p) for p in people]}

    # ------------------------------------------------------------ kanoon formation (§2.2, §2.3)

    @rpc
    def request_kanoon(self, payload: dict) -> dict:
        cmd = parse(s.RequestKanoon, payload)

        def work(repo: Repository, tx: Transaction):
            unit = repo.unit(cmd.unit_id)
            rules.request_kanoon(self.actor, unit.path, cmd.head_id, cmd.deputy_id, cmd.field)
            city, province = self._city_and_province(repo, unit)
            head, deputy = repo.person(cmd.head_id), repo.person(cmd.deputy_id)
            check_rulings("head", repo.restrictions(head.id), clock.today(), "head_id")
            check_rulings("deputy", repo.restrictions(deputy.id), clock.today(), "deputy_id")
            for field, p in (("head_id", head), ("deputy_id", deputy)):
                if repo.head_of_active_kanoon(p.id):
                    raise Conflict("already the head or deputy of a kanoon or of a pending request", field)
            k, events = Kanoon.request(name=cmd.name, kind=cmd.kind, field=cmd.field,
                                       deputy_area=cmd.deputy_area, unit=unit, city_id=city,
                                       province_id=province, head=head, deputy=deputy, by=self._by(),
                                       clock=clock, target_community=cmd.target_community, goal=cmd.goal)
            repo.add_kanoon(k)
            tx.emit(*events)
            return self._kanoon_view(repo, k)
        return self._write(work)

    def _formation(self, kanoon_id: str, step: Callable[[Kanoon], list]) -> dict:
        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.formation_step(self.actor, k)
            tx.emit(*step(k))
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def record_place(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.RecordPlace, payload)
        return self._formation(kanoon_id, lambda k: k.record_place(Place(**cmd.model_dump()), self._by(), clock))

    @rpc
    def record_council(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.RecordCouncil, payload)
        return self._formation(kanoon_id, lambda k: k.record_council(cmd.to_domain(), self._by(), clock))

    @rpc
    def submit_forms(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.SubmitForms, payload)
        return self._formation(kanoon_id, lambda k: k.submit_forms(cmd.model_dump(mode="json"), self._by(), clock))

    @rpc
    def approve_kanoon(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.Approve, payload)

        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.decide_formation(self.actor, k, self._in_capital(repo, k))
            head, deputy = repo.person(k.head_id), repo.person(k.deputy_id)
            touched: dict[str, Kanoon] = {}

            def previous(old_id: str) -> tuple[Kanoon, MembershipPolicy]:
                touched[old_id] = touched.get(old_id) or repo.kanoon(old_id)
                return touched[old_id], self._policy_of(repo, touched[old_id])
            assignments, events = approve_formation(
                k, head=head, deputy=deputy, head_rulings=repo.restrictions(head.id),
                deputy_rulings=repo.restrictions(deputy.id), attestations=cmd.model_dump(exclude={"founding_date"}),
                founding_date=cmd.founding_date or clock.today(), policy=self._policy_of(repo, k),
                previous=previous, by=self._by(), clock=clock)
            for old in touched.values():
                repo.save_kanoon(old)
            repo.save_person(head)
            repo.save_person(deputy)
            for a in assignments:
                repo.add_role(a)
            repo.save_kanoon(k)
            tx.emit(*events)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def hand_over(self, kanoon_id: str, payload: dict) -> dict:
        """The head's or deputy's office passes to another member of the kanoon (§2.2, §2.3)."""
        cmd = parse(s.Handover, payload)

        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.decide_handover(self.actor, k, self._in_capital(repo, k))
            successor = repo.person(cmd.person_id)
            role = Role.kanoon_head if cmd.position == "head" else Role.kanoon_deputy
            current = repo.live_role(role, k.id)
            assignment, events = hand_over(k, cmd.position, successor=successor, current=current,
                                           restrictions=repo.restrictions(successor.id),
                                           attestations=cmd.attestations(), by=self._by(), clock=clock)
            if current is not None:
                repo.save_role(current)   # ended first: one live head per kanoon (unique index)
            repo.add_role(assignment)
            repo.save_kanoon(k)
            tx.emit(*events)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def reject_kanoon(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.Reject, payload)

        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.decide_formation(self.actor, k, self._in_capital(repo, k))
            tx.emit(*k.reject(by=self._by(), reason=cmd.reason, clock=clock))
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def record_orientation(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.RecordOrientation, payload)

        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.orient(self.actor, k, cmd.audience)
            tx.emit(*k.record_orientation(OrientationSession(
                audience=cmd.audience, held_on=cmd.held_on, by=self._by(), attendees=cmd.attendees,
                note=cmd.note), clock))
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def update_profile(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.UpdateProfile, payload)
        changes = cmd.model_dump(exclude_none=True)
        if not changes:
            raise Invalid("nothing to change", None)

        def work(repo: Repository, tx: Transaction):
            k = repo.kanoon(kanoon_id)
            rules.edit_profile(self.actor, k)
            tx.emit(*k.update_profile(changes))
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def get_kanoon(self, kanoon_id: str) -> dict:
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.view_kanoon(self.actor, k)
        return self._kanoon_view(repo, k)

    @rpc
    def list_kanoons(self, unit_id: str, status: str | None = "active", limit: int = 100, skip: int = 0) -> dict:
        limit, skip = page_args(limit, skip)
        repo = self._read()
        unit = repo.unit(unit_id)
        if status not in (None, "active", "draft", "submitted", "rejected"):
            raise Invalid("status is active, draft, submitted or rejected", "status")
        if status != "active":
            rules.require(self.actor, unit.path, rules.NETWORK_STAFF, "list kanoons that are not active")
        else:
            rules.signed_in(self.actor)
        items, total = repo.kanoons_under(unit_id, status, limit, skip)
        return {"total": total, "items": [self._kanoon_view(repo, k) for k in items]}

    # ------------------------------------------------------------ floor and ceiling (§2.4)

    @rpc
    def set_policy(self, payload: dict) -> dict:
        cmd = parse(s.SetPolicy, payload)
        MembershipPolicy.validate_bounds(cmd.floor, cmd.ceiling)

        def work(repo: Repository, tx: Transaction):
            province = repo.unit(cmd.province_id)
            if province.kind != UnitKind.province:
                raise Invalid("a floor and ceiling are set for a province", "province_id")
            rules.set_policy(self.actor, province.path, cmd.kanoon_type)
            p = MembershipPolicy(province_id=province.id, kanoon_type=cmd.kanoon_type,
                                 floor=cmd.floor, ceiling=cmd.ceiling)
            repo.set_policy(p)
            tx.emit(MembershipPolicySet(province_id=p.province_id, kanoon_type=p.kanoon_type,
                                        floor=p.floor, ceiling=p.ceiling, set_by=self._by()))
            return view(p)
        return self._write(work)

    @rpc
    def get_policy(self, province_id: str, kanoon_type: str) -> dict:
        if kanoon_type not in ("neighborhood", "specialized_cultural", "specialized_social"):
            raise Invalid("kanoon_type is neighborhood, specialized_cultural or specialized_social",
                          "kanoon_type")
        repo = self._read()
        repo.unit(province_id)
        rules.signed_in(self.actor)
        return view(repo.policy(province_id, kanoon_type))

    @rpc
    def set_province_settings(self, province_id: str, payload: dict) -> dict:
        cmd = parse(s.SetProvinceSettings, payload)

        def work(repo: Repository, tx: Transaction):
            province = repo.unit(province_id)
            if province.kind != UnitKind.province:
                raise Invalid("settings are set for a province", "province_id")
            rules.set_province_settings(self.actor, province.path)
            st = ProvinceSettings(province_id=province.id, **cmd.model_dump())
            repo.set_settings(st)
            tx.emit(ProvinceSettingsSet(set_by=self._by(), **st.model_dump()))
            return view(st)
        return self._write(work)

    @rpc
    def province_settings(self, province_id: str) -> dict:
        repo = self._read()
        province = repo.unit(province_id)
        if province.kind != UnitKind.province:
            raise Invalid("settings are set for a province", "province_id")
        rules.signed_in(self.actor)
        return view(repo.settings(province_id))

    # ------------------------------------------------------------ membership (§2.5)

    @rpc
    def join_kanoon(self, payload: dict) -> dict:
        cmd = parse(s.Join, payload)

        def work(repo: Repository, tx: Transaction):
            person, k = repo.person(cmd.person_id), repo.kanoon(cmd.kanoon_id)
            rules.change_membership(self.actor, person, k, "add members to this kanoon")
            check_may_join(repo.restrictions(person.id), clock.today(), "person_id")
            if self._pending_transfer(repo, tx, person.id):
                raise Conflict("a transfer of this person is pending", "person_id")
            left_province = (repo.kanoon(person.left_kanoon_id).province_id if person.left_kanoon_id
                             else k.province_id)
            tx.emit(*join(person, k, self._policy_of(repo, k), clock, settings=repo.settings(left_province)))
            repo.save_person(person)
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    @rpc
    def leave_kanoon(self, payload: dict) -> dict:
        cmd = parse(s.Leave, payload)

        def work(repo: Repository, tx: Transaction):
            person = repo.person(cmd.person_id)
            if person.kanoon_id is None:
                # Only who could remove them learns that they are in no kanoon.
                rules.see_unplaced(self.actor, person, repo.unit(person.city_id).path if person.city_id else ["IR"])
                raise Conflict("the person is not a member of any kanoon", "person_id")
            k = repo.kanoon(person.kanoon_id)
            rules.change_membership(self.actor, person, k, "remove members of this kanoon")
            if self._pending_transfer(repo, tx, person.id):
                raise Conflict("a transfer of this person is pending: cancel it first, or wait for its "
                               "decisions", "person_id")
            tx.emit(*leave(person, k, self._policy_of(repo, k), clock))
            repo.save_person(person)
            repo.save_kanoon(k)
            return self._kanoon_view(repo, k)
        return self._write(work)

    # ------------------------------------------------------------ transfers (§2.5)

    @rpc
    def request_transfer(self, payload: dict) -> dict:
        """From the person's kanoon, or (within the move window) from the kanoon they just left."""
        cmd = parse(s.RequestTransfer, payload)

        def work(repo: Repository, tx: Transaction):
            person = repo.person(cmd.person_id)
            origin_id = person.kanoon_id or person.left_kanoon_id
            if origin_id is None:
                raise Conflict("the person has no kanoon; join one instead", "person_id")
            origin, destination = repo.kanoon(origin_id), repo.kanoon(cmd.to_kanoon_id)
            rules.request_transfer(self.actor, person, origin)
            if destination.id == origin.id:
                raise Invalid("the destination is the kanoon the person is already in", "to_kanoon_id")
            if self._pending_transfer(repo, tx, person.id):
                raise Conflict("a transfer of this person is already pending", "person_id")
            t, events = Transfer.request(person, origin, destination, self._by(),
                                         self._policy_of(repo, origin), self._policy_of(repo, destination),
                                         repo.settings(origin.province_id), clock)
            repo.add_transfer(t)
            tx.emit(*events)
            return view(t)
        return self._write(work)

    @rpc
    def decide_transfer(self, transfer_id: str, payload: dict) -> dict:
        cmd = parse(s.DecideTransfer, payload)

        def work(repo: Repository, tx: Transaction):
            t = repo.transfer(transfer_id)
            side_kanoon = repo.kanoon(t.from_kanoon_id if cmd.side == "origin" else t.to_kanoon_id)
            rules.decide_transfer_side(self.actor, side_kanoon, cmd.side)
            if t.is_overdue(clock):
                tx.emit(*t.expire(clock))
                repo.save_transfer(t)
                return view(t)
            tx.emit(*t.decide(cmd.side, cmd.approve, self._by(), cmd.reason, clock))
            if t.ready:
                person = repo.person(t.person_id)
                origin, destination = repo.kanoon(t.from_kanoon_id), repo.kanoon(t.to_kanoon_id)
                tx.emit(*execute_transfer(t, person, origin, destination, self._policy_of(repo, origin),
                                          self._policy_of(repo, destination), clock))
                if t.status == "completed":
                    repo.save_person(person)
                    repo.save_kanoon(origin)
                    repo.save_kanoon(destination)
            repo.save_transfer(t)
            return view(t)
        return self._write(work)

    @rpc
    def cancel_transfer(self, transfer_id: str) -> dict:
        def work(repo: Repository, tx: Transaction):
            t = repo.transfer(transfer_id)
            rules.cancel_transfer(self.actor, repo.person(t.person_id), t.requested_by,
                                  repo.kanoon(t.from_kanoon_id))
            tx.emit(*t.cancel(self._by(), clock))
            repo.save_transfer(t)
            return view(t)
        return self._write(work)

    @rpc
    def get_transfer(self, transfer_id: str) -> dict:
        repo = self._read()
        t = repo.transfer(transfer_id)
        person = repo.person(t.person_id)
        a = rules.signed_in(self.actor)
        if a.person_id != person.id:
            paths = [repo.kanoon(t.from_kanoon_id).path, repo.kanoon(t.to_kanoon_id).path]
            fields = [repo.kanoon(t.from_kanoon_id).field, repo.kanoon(t.to_kanoon_id).field]
            if not any(a.covers(p, rules.OFFICIALS_AND_STAFF, f) for p, f in zip(paths, fields)):
                raise rules.Forbidden("this transfer concerns neither you nor a kanoon you cover")
        return view(t)

    @rpc
    def list_transfers(self, kanoon_id: str, status: str | None = None) -> list[dict]:
        repo = self._read()
        k = repo.kanoon(kanoon_id)
        rules.require(self.actor, k.path, rules.OFFICIALS_AND_STAFF, "see this kanoon's transfers", k.field)
        if status is not None and status not in {s.value for s in TransferStatus}:
            raise Invalid("status is " + ", ".join(s.value for s in TransferStatus), "status")
        return [view(t) for t in repo.transfers_touching([kanoon_id], status)]

    # ------------------------------------------------------------ selection (§2.6)

    @rpc
    def submit_application(self, payload: dict) -> dict:
        cmd = parse(s.SubmitApplication, payload)
        check_birth_date(cmd.applicant.birth_date, clock.today(), "applicant.birth_date")

        def work(repo: Repository, tx: Transaction):
            city = repo.unit(cmd.applicant.city_id)
            if city.kind != UnitKind.city:
                raise Invalid("city_id must name a city", "applicant.city_id")
            official_of = [repo.kanoon(g.scope_id).path for g in (self.actor.grants_of(*rules.KANOON_OFFICIALS)
                                                                  if self.actor else [])]
            rules.submit_application(self.actor, city.path, official_of)
            if repo.pending_application_for(cmd.applicant.national_id):
                raise Conflict("an application for this person is pending", "applicant.national_id")
            a, events = Application.submit(cmd.track, Applicant(**cmd.applicant.model_dump()), city.path,
                                           repo.person_by_national_id(cmd.applicant.national_id), clock)
            repo.add_application(a)
            tx.emit(*events)
            return view(a)
        return self._write(work)

    @rpc
    def record_application_step(self, application_id: str, payload: dict) -> dict:
        cmd = parse(s.RecordApplicationStep, payload)

        def work(repo: Repository, tx: Transaction):
            a = repo.application(application_id)
            rules.vet(self.actor, a.city_path)
            tx.emit(*a.record_step(cmd.step, self._by(), cmd.note, clock))
            repo.save_application(a)
            return view(a)
        return self._write(work)

    @rpc
    def decide_application(self, application_id: str, payload: dict) -> dict:
        cmd = parse(s.DecideApplication, payload)

        def work(repo: Repository, tx: Transaction):
            a = repo.application(application_id)
            rules.vet(self.actor, a.city_path)
            province = a.city_path[-2]  # a city's parent is its province
            person, is_new, events = a.decide(
                cmd.outcome, self._by(), cmd.reason,
                existing=repo.person_by_national_id(a.applicant.national_id),
                next_code=lambda: repo.next_sequence(f"service_code:{province}"), clock=clock)
            if person is not None:
                (repo.add_person if is_new else repo.save_person)(person)
            tx.emit(*events)
            repo.save_application(a)
            return view(a)
        return self._write(work)

    @rpc
    def list_applications(self, unit_id: str, status: str | None = "pending", limit: int = 100,
                          skip: int = 0) -> list[dict]:
        limit, skip = page_args(limit, skip)
        if status is not None and status not in ("pending", "decided"):
            raise Invalid("status is pending or decided", "status")
        repo = self._read()
        unit = repo.unit(unit_id)
        rules.view_applications(self.actor, unit.path)
        return [view(a) for a in repo.applications_under(unit_id, status, limit, skip)]

    # ------------------------------------------------------------ roles (§2.7)

    def _scope(self, repo: Repository, scope_id: str) -> tuple[str, list[str]]:
        unit = repo.find_unit(scope_id)
        if unit is not None:
            return unit.kind.value, unit.path
        try:
            k = repo.kanoon(scope_id)
        except NotFound:
            raise NotFound(f"no unit or kanoon {scope_id}", "scope_id") from None
        return "kanoon", k.path

    @rpc
    def assign_role(self, payload: dict) -> dict:
        cmd = parse(s.AssignRole, payload)

        def work(repo: Repository, tx: Transaction):
            repo.person(cmd.person_id)
            kind, path = self._scope(repo, cmd.scope_id)
            rules.assign_role(self.actor, cmd.role, path)
            if cmd.role in (Role.kanoon_head, Role.kanoon_deputy):   # refused above (the handover's); kept as a guard
                check_rulings("head" if cmd.role == Role.kanoon_head else "deputy", repo.restrictions(cmd.person_id),
                              clock.today(), "person_id")
            if repo.has_role(cmd.person_id, cmd.role, cmd.scope_id):
                raise Conflict("the person already holds this role here", "role")
            a, events = RoleAssignment.assign(
                person_id=cmd.person_id, role=cmd.role, scope_id=cmd.scope_id, scope_kind=kind,
                scope_path=path, valid_from=cmd.valid_from or clock.today(), valid_to=cmd.valid_to,
                by=self._by(), clock=clock, field=cmd.field)
            repo.add_role(a)
            tx.emit(*events)
            return view(a)
        return self._write(work)

    @rpc
    def revoke_role(self, assignment_id: str) -> dict:
        def work(repo: Repository, tx: Transaction):
            a = repo.role(assignment_id)
            rules.assign_role(self.actor, a.role, a.scope_path)
            tx.emit(*a.revoke(clock))
            repo.save_role(a)
            return view(a)
        return self._write(work)

    @rpc
    def roles_under(self, unit_id: str) -> list[dict]:
        repo = self._read()
        unit = repo.unit(unit_id)
        rules.require(self.actor, unit.path, rules.NETWORK_STAFF, "see role assignments here")
        return [view(a) for a in repo.roles_under(unit_id)]

    # ------------------------------------------------------------ accounts and sign-in

    @rpc
    def create_account(self, payload: dict) -> dict:
        cmd = parse(s.CreateAccount, payload)

        def work(repo: Repository, tx: Transaction):
            person = repo.person(cmd.person_id)
            rules.manage_accounts(self.actor, person)
            check_password(cmd.password, cmd.username)
            if repo.user_of_person(person.id):
                raise Conflict("this person already has an account", "person_id")
            user = {"_id": clock.new_id("u"), "username": cmd.username, "person_id": person.id,
                    "password_hash": _hasher.hash(cmd.password), "active": True, "created_at": clock.now()}
            repo.add_user(user)
            tx.emit(UserCreated(user_id=user["_id"], person_id=person.id, username=cmd.username))
            return _account_view(user)
        return self._write(work)

    @rpc
    def bootstrap_admin(self, username: str, password: str, first_name: str, last_name: str) -> dict:
        """The first administrator (the `create-admin` command); refused once any admin exists."""
        parse(s.CreateAccount, {"person_id": "x", "username": username, "password": password})
        check_password(password, username)

        def work(repo: Repository, tx: Transaction):
            if repo.db.roles.count_documents({"role": "admin", "revoked_at": None}):
                raise Conflict("an administrator exists already; they create the others", "username")
            repo.claim_singleton("first_administrator")
            country = next((u for u in repo.children(None) if u.kind == UnitKind.country), None)
            if country is None:
                raise Conflict("load the units first (the country is missing)", "units")
            person = Person(id=clock.new_id("p"), kind=PersonKind.staff, first_name=first_name,
                            last_name=last_name, registered_at=clock.now())
            repo.add_person(person)
            tx.emit(person.registered_event())
            a, events = RoleAssignment.assign(person_id=person.id, role=Role.admin, scope_id=country.id,
                                              scope_kind="country", scope_path=country.path,
                                              valid_from=clock.today(), valid_to=None, by="bootstrap",
                                              clock=clock)
            repo.add_role(a)
            tx.emit(*events)
            user = {"_id": clock.new_id("u"), "username": username, "person_id": person.id,
                    "password_hash": _hasher.hash(password), "active": True, "created_at": clock.now()}
            repo.add_user(user)
            tx.emit(UserCreated(user_id=user["_id"], person_id=person.id, username=username))
            return _account_view(user)
        return self._write(work)

    @rpc
    def change_password(self, payload: dict) -> dict:
        """The caller's own password, given the current one."""
        cmd = parse(s.ChangePassword, payload)

        def work(repo: Repository, tx: Transaction):
            actor = rules.signed_in(self.actor)
            user = repo.user(actor.user_id)
            try:
                _hasher.verify(user["password_hash"], cmd.current_password)
            except (VerificationError, InvalidHashError):
                raise Invalid("the current password is wrong", "current_password") from None
            return self._set_password(repo, tx, user, cmd.new_password, actor.person_id, reset=False)
        return self._write(work)

    @rpc
    def reset_password(self, user_id: str, payload: dict) -> dict:
        """An administrator sets someone's password (they change it after signing in)."""
        cmd = parse(s.ResetPassword, payload)

        def work(repo: Repository, tx: Transaction):
            actor = rules.admin(self.actor, "reset passwords")
            user = _account(repo, user_id)
            return self._set_password(repo, tx, user, cmd.new_password, actor.person_id, reset=True)
        return self._write(work)

    @staticmethod
    def _set_password(repo: Repository, tx: Transaction, user: dict, password: str, by: str, reset: bool) -> dict:
        check_password(password, user["username"], "new_password")
        repo.set_password_hash(user["_id"], _hasher.hash(password))
        tx.emit(PasswordChanged(user_id=user["_id"], by=by, reset=reset))
        return _account_view(user)

    @rpc
    def deactivate_account(self, user_id: str) -> dict:
        """An administrator closes an account: its tokens stop working on their next request (the
        gateway asks who the caller is on every request)."""
        def work(repo: Repository, tx: Transaction):
            actor = rules.admin(self.actor, "deactivate accounts")
            user = _account(repo, user_id)
            if user["_id"] == actor.user_id:
                raise Conflict("an administrator does not deactivate their own account", "user_id")
            if not user.get("active", True):
                raise Conflict("the account is deactivated already", "user_id")
            repo.deactivate_user(user["_id"], clock.now())
            tx.emit(UserDeactivated(user_id=user["_id"], person_id=user["person_id"], by=actor.person_id))
            return _account_view(user)
        return self._write(work)

    @rpc
    def authenticate(self, username: str, password: str) -> dict:
        """The account's actor, for the right password. Failed sign-ins are counted here, per
        username and per client address, where every gateway sees them (kernel.throttle): past
        SIGNIN_FAILURES_PER_USER / _PER_ADDRESS in 15 minutes, TooManyRequests (429), even with the
        right password."""
        name = username.strip().lower() if isinstance(username, str) else ""
        by_user, by_address = self._signin_throttles()
        by_user.check(name, "username", "too many failed sign-ins")
        by_address.check(self.ctx.client_address or "-", "username", "too many failed sign-ins from this address")
        repo = self._read()
        user = repo.user_by_name(str(username)) if isinstance(username, str) else None
        try:
            _hasher.verify(user["password_hash"] if user else _DUMMY_HASH, str(password))
            if user is None or not user.get("active", True):
                raise VerificationError()
        except (VerificationError, InvalidHashError):
            by_user.hit(name)
            by_address.hit(self.ctx.client_address or "-")
            raise Unauthenticated("wrong username or password") from None
        if _hasher.check_needs_rehash(user["password_hash"]):
            repo.set_password_hash(user["_id"], _hasher.hash(str(password)))
        return self._actor(repo, user).model_dump(mode="json")

    def _signin_throttles(self) -> tuple[Throttle, Throttle]:
        settings = cached_settings()
        secret = settings.jwt_secret.encode()
        return (Throttle(self.store, "signin_user", settings.signin_failures_per_user, 900, secret),
                Throttle(self.store, "signin_address", settings.signin_failures_per_address, 900, secret))

    @rpc
    def actor_of(self, user_id: str) -> dict:
        """The caller's own identity and roles (the gateway asks on every request); an
        administrator may ask for anyone's."""
        if self.ctx.user_id != user_id and not self._caller_is_admin():
            raise Unauthenticated("ask for your own account only")
        repo = self._read()
        user = repo.user(user_id)
        if user is None or not user.get("active", True):
            raise Unauthenticated("the account no longer exists")
        return self._actor(repo, user).model_dump(mode="json")

    def _actor(self, repo: Repository, user: dict) -> Actor:
        person = repo.person(user["person_id"])
        today = clock.today()
        grants = [Grant(role=a.role, scope_id=a.scope_id, scope_kind=a.scope_kind, field=a.field)
                  for a in repo.roles_of(person.id) if a.active_on(today)]
        return Actor(user_id=user["_id"], person_id=person.id, username=user["username"], grants=grants,
                     kanoon_id=person.kanoon_id)

    # ------------------------------------------------------------ figures (§2.4, §2.9)

    @rpc
    def coverage(self, unit_id: str) -> dict:
        """Per county of a province (or for one county): neighborhoods with an active kanoon, and
        the specialized fields that have one (§2.4)."""
        repo = self._read()
        unit = repo.unit(unit_id)
        if unit.kind not in (UnitKind.city, UnitKind.province):
            raise Invalid("coverage is reported for a county or a province", "unit_id")
        rules.require(self.actor, unit.path, rules.NETWORK_STAFF, "see the coverage of this unit")
        province = unit.id if unit.kind == UnitKind.province else unit.parent_id
        in_province = repo.active_kanoons_under(province)
        fields = {k.field for k in in_province if k.field}
        cities = [unit] if unit.kind == UnitKind.city else repo.units_under(unit.id, "city")
        rows = [county_coverage(c, repo.units_under(c.id, "neighborhood"),
                                [k for k in in_province if c.id in k.unit_path], fields) for c in cities]
        return {"unit_id": unit.id, "fields": sorted(fields), "counties": rows}

    @rpc
    def composition(self, unit_id: str) -> dict:
        repo = self._read()
        unit = repo.find_unit(unit_id)
        k = None if unit else repo.kanoon(unit_id)
        rules.view_figures(self.actor, unit.path if unit else k.path, k.field if k else None)
        rows = repo.member_demographics(unit_id)
        for r in rows:
            if isinstance(r.get("birth_date"), datetime):
                r["birth_date"] = r["birth_date"].date()
        today = clock.today()
        return {"unit_id": unit_id, "as_of": today.isoformat(), **composition(rows, today)}

    # ------------------------------------------------------------ restatements (docs/backup.md)

    @rpc
    def restate_view(self) -> dict:
        """An administrator asks the registry to publish its whole view again
        (`registry.view.restated.v1`): consumers replace what is older and delete what the registry
        no longer has. Answers at once; the periodic duty publishes it within seconds."""
        by = self._require_admin()

        def work(repo: Repository, tx: Transaction):
            doc = {"_id": uuid.uuid4().hex, "status": "requested", "reason": "operator", "by": by,
                   "requested_at": clock.now(), "lease_until": None}
            tx.db[RESTATEMENTS].insert_one(doc)
            return restatement_view(doc)
        return self._write(work)


def import_view(job: dict, outcomes: list[dict]) -> dict:
    out = {k: job.get(k) for k in ("kind", "file_name", "format", "status", "rows", "chunks", "done_rows",
                                   "accepted", "duplicates", "refused", "error", "created_at", "finished_at")}
    out["id"] = job["_id"]
    for k in ("created_at", "finished_at"):
        out[k] = out[k].isoformat() if out[k] is not None else None
    out["progress"] = round(job["done_rows"] / job["rows"], 4) if job.get("rows") else (
        1.0 if job["status"] == "done" else 0.0)
    out["outcomes"] = outcomes
    return out
