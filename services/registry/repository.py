"""The only code of the registry that speaks pymongo: loads and saves domain objects.

Aggregates carry a version; a save that finds another version raises Conflict, so two concurrent
changes of one kanoon cannot both win. Every rule of the form "check there is none, then insert" is
also a unique index (`UNIQUE`), so that two concurrent commands cannot both pass the check: the
second one's insert fails and becomes the same Conflict the check gives.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from pydantic import BaseModel
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from kernel.documents import from_doc as _from_doc
from kernel.rulings import Restriction, restrictions_of
from kernel.throttle import ensure_indexes as throttle_indexes
from kernel.rulings import ensure_indexes as rulings_indexes
from kernel.documents import to_doc as _to_doc
from kernel import jalali
from kernel.errors import Conflict, NotFound
from kernel.store import Db

from .domain.kanoons import Kanoon, MembershipPolicy
from .domain.people import Person, name_tokens
from .domain.roles import RoleAssignment
from .domain.selection import Application
from .domain.settings import ProvinceSettings
from .domain.transfers import Transfer
from .domain.units import Unit

INDEXES = {
    "units": [[("parent_id", ASCENDING)], [("path", ASCENDING)], [("name", ASCENDING)]],
    "imports": [[("imported_by", ASCENDING), ("created_at", ASCENDING)], [("status", ASCENDING)]],
    "import_outcomes": [[("job_id", ASCENDING), ("chunk", ASCENDING)]],
    "import_chunks": [[("job_id", ASCENDING)]],
    # national_id and service_code also have plain indexes: the local store answers queries from no
    # partial index (the unique ones below), and a lookup by national ID scanned every person.
    "people": [[("kanoon_id", ASCENDING)], [("kanoon_path", ASCENDING)], [("city_path", ASCENDING)],
               [("name_tokens", ASCENDING)], [("mobile", ASCENDING)], [("national_id", ASCENDING)],
               [("service_code", ASCENDING)]],
    "kanoons": [[("unit_path", ASCENDING)], [("status", ASCENDING)]],
    "transfers": [[("person_id", ASCENDING)], [("status", ASCENDING), ("expires_at", ASCENDING)]],
    "applications": [[("city_path", ASCENDING)], [("applicant.national_id", ASCENDING)],
                     [("name_tokens", ASCENDING)], [("applicant.mobile", ASCENDING)]],
    "roles": [[("person_id", ASCENDING)], [("scope_path", ASCENDING)]],
    "users": [[("person_id", ASCENDING)]],
    "kanoon_ranks": [[("kanoon_id", ASCENDING), ("year", ASCENDING)]],
    # Restatements asked for (by a restore or an operator) and the restores (ops/backup.py), read by
    # the periodic duty that publishes them (service.restate_when_due).
    "restatements": [[("status", ASCENDING), ("requested_at", ASCENDING)]],
    "restores": [[("status", ASCENDING), ("restated_at", ASCENDING)]],
}
# Open kanoons (requested, submitted or active) list their head and deputy in `open_leaders`; roles
# not revoked carry `live: true`. Both are kept by this repository and exist for these indexes.
OPEN_KANOON = ("draft", "submitted", "active")
# A kanoon's status as the other services know it (their events say only requested, approved, rejected).
VIEW_STATUS = {"draft": "requested", "submitted": "requested"}

# name: (collection, keys, partial filter, what a duplicate means, field)
UNIQUE = {
    "unique_national_id": ("people", ["national_id"], {"national_id": {"$type": "string"}},
                           "a person with this national ID is registered", "national_id"),
    "unique_service_code": ("people", ["service_code"], {"service_code": {"$type": "string"}},
                            "a person with this service code is registered", "service_code"),
    "unique_username": ("users", ["username"], None, "this username is taken", "username"),
    "one_account_per_person": ("users", ["person_id"], None, "this person already has an account", "person_id"),
    "one_open_kanoon_per_leader": ("kanoons", ["open_leaders"], {"open_leaders": {"$exists": True}},
                                   "already the head or deputy of a kanoon or of a pending request", "head_id"),
    "one_pending_transfer_per_person": ("transfers", ["person_id"], {"status": "pending"},
                                        "a transfer of this person is already pending", "person_id"),
    "one_pending_application_per_person": ("applications", ["applicant.national_id"], {"status": "pending"},
                                           "an application for this person is pending", "applicant.national_id"),
    "one_live_assignment": ("roles", ["person_id", "role", "scope_id"], {"live": True},
                            "the person already holds this role here", "role"),
    "one_head_per_kanoon": ("roles", ["scope_id"], {"role": "kanoon_head", "live": True},
                            "the kanoon already has a head", "role"),
    "one_deputy_per_kanoon": ("roles", ["scope_id"], {"role": "kanoon_deputy", "live": True},
                              "the kanoon already has a deputy", "role"),
    "one_first_administrator": ("singletons", ["name"], None,
                                "an administrator exists already; they create the others", "username"),
}


def ensure_indexes(db: Db) -> None:
    rulings_indexes(db)
    throttle_indexes(db)
    for coll, specs in INDEXES.items():
        for keys in specs:
            db[coll].create_index(keys)
    # Documents written before these fields existed.
    for coll, name in (("people", lambda d: f"{d['first_name']} {d['last_name']}"),
                       ("applications", lambda d: f"{d['applicant']['first_name']} {d['applicant']['last_name']}")):
        for doc in db[coll].find({"name_tokens": {"$exists": False}}):
            db[coll].update_one({"_id": doc["_id"]}, {"$set": {"name_tokens": name_tokens(name(doc))}})
    db.roles.update_many({"live": {"$exists": False}, "revoked_at": None}, {"$set": {"live": True}})
    db.roles.update_many({"live": {"$exists": False}}, {"$set": {"live": False}})
    for doc in db.kanoons.find({"status": {"$in": list(OPEN_KANOON)}, "open_leaders": {"$exists": False}},
                               {"head_id": 1, "deputy_id": 1}):
        db.kanoons.update_one({"_id": doc["_id"]}, {"$set": {"open_leaders": [doc["head_id"], doc["deputy_id"]]}})
    for name, (coll, keys, partial, _, _) in UNIQUE.items():
        kwargs: dict = {"unique": True, "name": name}
        if partial:
            kwargs["partialFilterExpression"] = partial
        db[coll].create_index([(k, ASCENDING) for k in keys], **kwargs)


def duplicate(exc: DuplicateKeyError, fallback: str) -> Conflict:
    """The Conflict a unique index's refusal means, in the words of the rule it keeps."""
    message = str((exc.details or {}).get("errmsg") or exc)
    found = re.search(r"index: (\S+)", message)
    rule = UNIQUE.get(found.group(1)) if found else None
    if rule is not None:
        return Conflict(rule[3], rule[4])
    return Conflict(fallback, _dup_field(exc))


def _derived(coll: str, doc: dict) -> dict:
    """The fields kept only for the unique indexes."""
    if coll == "kanoons":
        doc.pop("open_leaders", None)
        if doc.get("status") in OPEN_KANOON:
            doc["open_leaders"] = [doc["head_id"], doc["deputy_id"]]
    elif coll == "roles":
        doc["live"] = doc.get("revoked_at") is None
    elif coll == "people":
        doc["name_tokens"] = name_tokens(f"{doc['first_name']} {doc['last_name']}")
    elif coll == "applications":
        a = doc["applicant"]
        doc["name_tokens"] = name_tokens(f"{a['first_name']} {a['last_name']}")
    return doc


class Repository:
    def __init__(self, db: Db):
        self.db = db

    # -- generic aggregate persistence

    def _get(self, coll: str, cls: type[BaseModel], id_: str, what: str):
        obj = _from_doc(cls, self.db[coll].find_one({"_id": id_}))
        if obj is None:
            raise NotFound(f"no {what} {id_}", f"{what}_id")
        return obj

    def _insert(self, coll: str, obj: BaseModel, what: str) -> None:
        try:
            self.db[coll].insert_one(_derived(coll, _to_doc(obj)))
        except DuplicateKeyError as exc:
            raise duplicate(exc, what) from None

    def _save(self, coll: str, obj: BaseModel) -> None:
        """Save an aggregate read at obj.version; bump the version."""
        doc = _derived(coll, _to_doc(obj))
        expected = doc.pop("version")
        doc["version"] = expected + 1
        try:
            res = self.db[coll].replace_one({"_id": doc["_id"], "version": expected}, doc)
        except DuplicateKeyError as exc:
            raise duplicate(exc, "another record already holds this value") from None
        if res.matched_count != 1:
            raise Conflict("the record was changed by someone else meanwhile; try again", "version")
        obj.version = expected + 1

    # -- units

    def unit(self, unit_id: str) -> Unit:
        return self._get("units", Unit, unit_id, "unit")

    def find_unit(self, unit_id: str) -> Unit | None:
        return _from_doc(Unit, self.db.units.find_one({"_id": unit_id}))

    def units_by_ids(self, ids: list[str]) -> list[Unit]:
        return [_from_doc(Unit, d) for d in self.db.units.find({"_id": {"$in": ids}})]

    def units_named(self, names: list[str], kind: str) -> list[Unit]:
        if not names:
            return []
        return [_from_doc(Unit, d) for d in self.db.units.find({"name": {"$in": names}, "kind": kind})]

    def add_unit(self, unit: Unit) -> None:
        self._insert("units", unit, f"a unit with id {unit.id} exists")

    def unit_kinds(self, ids: list[str]) -> dict[str, str]:
        return {d["_id"]: d["kind"] for d in self.db.units.find({"_id": {"$in": ids}}, {"kind": 1})}

    def children(self, parent_id: str | None) -> list[Unit]:
        rows = self.db.units.find({"parent_id": parent_id}, sort=[("name", 1)])
        return [_from_doc(Unit, d) for d in rows]

    def units_under(self, unit_id: str, kind: str | None = None) -> list[Unit]:
        q: dict = {"path": unit_id}
        if kind:
            q["kind"] = kind
        return [_from_doc(Unit, d) for d in self.db.units.find(q, sort=[("name", 1)])]

    def unit_count(self) -> int:
        return self.db.units.count_documents({})

    # -- people

    def person(self, person_id: str) -> Person:
        return self._get("people", Person, person_id, "person")

    def restrictions(self, person_id: str) -> list[Restriction]:
        """The protection committee's rulings about a person (kept from the oversight service's events)."""
        return restrictions_of(self.db, person_id)

    def latest_ranks(self, kanoon_id: str) -> dict | None:
        """The kanoon's ranks as the festival service last published them, for the latest year."""
        docs = self.db.kanoon_ranks.find({"kanoon_id": kanoon_id}, sort=[("year", -1)], limit=1)
        if not docs:
            return None
        d = docs[0]
        published = d["published_on"]
        if isinstance(published, str):
            published = date.fromisoformat(published[:10])
        return {"year": d["year"], "published_on": jalali.format_date(published), **d["ranks"]}

    def person_by_national_id(self, national_id: str) -> Person | None:
        return _from_doc(Person, self.db.people.find_one({"national_id": national_id}))

    def people_by_national_ids(self, national_ids: list[str]) -> dict[str, str]:
        return {d["national_id"]: d["_id"] for d in
                self.db.people.find({"national_id": {"$in": national_ids}}, {"national_id": 1})}

    def people_by_service_codes(self, codes: list[str]) -> dict[str, str]:
        if not codes:
            return {}
        return {d["service_code"]: d["_id"] for d in
                self.db.people.find({"service_code": {"$in": codes}}, {"service_code": 1})}

    def add_people(self, people: list[Person]) -> None:
        """Many new people in one write (an import's chunk)."""
        try:
            self.db.people.insert_many([_derived("people", _to_doc(p)) for p in people], ordered=True)
        except DuplicateKeyError as exc:
            raise duplicate(exc, "a person with this national ID or service code is registered") from None

    def import_outcomes(self, job: dict, status: str | None, limit: int, skip: int) -> list[dict]:
        """A page of an import's row outcomes, reading only the chunks it needs: each chunk's document
        holds its rows' outcomes in order (`size` rows, the last one fewer)."""
        from .domain.imports import CHUNK   # noqa: PLC0415
        if status is None:
            size = CHUNK[job["kind"]]
            first, last = skip // size, (skip + limit - 1) // size
            docs = self.db.import_outcomes.find({"job_id": job["_id"], "chunk": {"$gte": first, "$lte": last}},
                                                sort=[("chunk", 1)])
            rows = [o for d in docs for o in d["outcomes"]]
            return rows[skip - first * size:skip - first * size + limit]
        out: list[dict] = []
        seen = 0
        cursor = 0
        while len(out) < limit:   # a chunk at a time, most of them holding few such rows
            docs = self.db.import_outcomes.find({"job_id": job["_id"], "chunk": {"$gte": cursor, "$lt": cursor + 20}},
                                                sort=[("chunk", 1)])
            if not docs:
                break
            for d in docs:
                for o in d["outcomes"]:
                    if o["status"] == status:
                        if seen >= skip and len(out) < limit:
                            out.append(o)
                        seen += 1
            cursor += 20
        return out

    def add_person(self, person: Person) -> None:
        self._insert("people", person, "a person with this national ID or service code is registered")

    def save_person(self, person: Person) -> None:
        self._save("people", person)

    def members_of(self, kanoon_id: str) -> list[Person]:
        return [_from_doc(Person, d) for d in
                self.db.people.find({"kanoon_id": kanoon_id}, sort=[("last_name", 1)])]

    def unplaced(self, unit_id: str, limit: int, skip: int) -> tuple[list[Person], int]:
        q = {"kanoon_id": None, "kind": {"$in": ["khademyar", "yavar"]}, "city_path": unit_id}
        rows = self.db.people.find(q, sort=[("registered_at", 1)], skip=skip, limit=limit)
        return [_from_doc(Person, d) for d in rows], self.db.people.count_documents(q)

    def search_people(self, unit_id: str, match: dict, placed: bool | None, limit: int, skip: int
                      ) -> tuple[list[Person], int]:
        """People under a unit or kanoon (by city or kanoon) matching `match` (see `people_query`)."""
        q: dict = {"$and": [{"$or": [{"city_path": unit_id}, {"kanoon_path": unit_id}]}, match]}
        if placed is True:
            q["kanoon_id"] = {"$ne": None}
        elif placed is False:
            q["kanoon_id"] = None
            q["kind"] = {"$in": ["khademyar", "yavar"]}
        rows = self.db.people.find(q, sort=[("last_name", 1), ("first_name", 1), ("_id", 1)],
                                   skip=skip, limit=limit)
        return [_from_doc(Person, d) for d in rows], self.db.people.count_documents(q)

    def search_applications(self, unit_id: str, match: dict, limit: int, skip: int
                            ) -> tuple[list[Application], int]:
        q = {"city_path": unit_id, "status": "pending", **match}
        rows = self.db.applications.find(q, sort=[("submitted_at", 1), ("_id", 1)], skip=skip, limit=limit)
        return [_from_doc(Application, d) for d in rows], self.db.applications.count_documents(q)

    def member_demographics(self, unit_id: str) -> list[dict]:
        return self.db.people.find(
            {"kanoon_path": unit_id},
            {"kind": 1, "education": 1, "gender": 1, "occupation": 1, "birth_date": 1})

    def next_sequence(self, name: str) -> int:
        doc = self.db.counters.find_one_and_update(
            {"_id": name}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        return int(doc["seq"])

    # -- kanoons

    def kanoon(self, kanoon_id: str) -> Kanoon:
        return self._get("kanoons", Kanoon, kanoon_id, "kanoon")

    def find_kanoon(self, kanoon_id: str) -> Kanoon | None:
        return _from_doc(Kanoon, self.db.kanoons.find_one({"_id": kanoon_id}))

    def kanoons_by_ids(self, ids: list[str]) -> list[Kanoon]:
        if not ids:
            return []
        return [_from_doc(Kanoon, d) for d in self.db.kanoons.find({"_id": {"$in": ids}})]

    def add_kanoon(self, k: Kanoon) -> None:
        self._insert("kanoons", k, "this kanoon exists")

    def save_kanoon(self, k: Kanoon) -> None:
        self._save("kanoons", k)

    def kanoons_under(self, unit_id: str, status: str | None, limit: int, skip: int) -> tuple[list[Kanoon], int]:
        q: dict = {"unit_path": unit_id}
        if status:
            q["status"] = status
        rows = self.db.kanoons.find(q, sort=[("name", 1)], skip=skip, limit=limit)
        return [_from_doc(Kanoon, d) for d in rows], self.db.kanoons.count_documents(q)

    def active_kanoons_under(self, unit_id: str) -> list[Kanoon]:
        return [_from_doc(Kanoon, d) for d in self.db.kanoons.find({"unit_path": unit_id, "status": "active"})]

    def head_of_active_kanoon(self, person_id: str, exclude: str | None = None) -> bool:
        q = {"status": {"$in": ["draft", "submitted", "active"]},
             "$or": [{"head_id": person_id}, {"deputy_id": person_id}]}
        if exclude:
            q["_id"] = {"$ne": exclude}
        return self.db.kanoons.count_documents(q) > 0

    # -- membership policy

    def policy(self, province_id: str, kanoon_type: str) -> MembershipPolicy:
        doc = self.db.policies.find_one({"_id": f"{province_id}:{kanoon_type}"})
        if doc is None:
            return MembershipPolicy.default(province_id, kanoon_type)
        doc.pop("_id")
        return MembershipPolicy.model_validate(doc)

    def set_policy(self, p: MembershipPolicy) -> None:
        self.db.policies.replace_one({"_id": f"{p.province_id}:{p.kanoon_type}"},
                                     p.model_dump(mode="python"), upsert=True)

    # -- province settings (§9)

    def settings(self, province_id: str) -> ProvinceSettings:
        doc = self.db.province_settings.find_one({"_id": province_id})
        if doc is None:
            return ProvinceSettings(province_id=province_id)
        doc.pop("_id")
        return ProvinceSettings.model_validate(doc)

    def set_settings(self, st: ProvinceSettings) -> None:
        self.db.province_settings.replace_one({"_id": st.province_id}, st.model_dump(mode="python"), upsert=True)

    # -- transfers

    def transfer(self, transfer_id: str) -> Transfer:
        return self._get("transfers", Transfer, transfer_id, "transfer")

    def add_transfer(self, t: Transfer) -> None:
        self._insert("transfers", t, "this transfer exists")

    def save_transfer(self, t: Transfer) -> None:
        self._save("transfers", t)

    def pending_transfer_of(self, person_id: str) -> Transfer | None:
        return _from_doc(Transfer, self.db.transfers.find_one({"person_id": person_id, "status": "pending"}))

    def transfers_touching(self, kanoon_ids: list[str], status: str | None) -> list[Transfer]:
        q: dict = {"$or": [{"from_kanoon_id": {"$in": kanoon_ids}}, {"to_kanoon_id": {"$in": kanoon_ids}}]}
        if status:
            q["status"] = status
        return [_from_doc(Transfer, d) for d in self.db.transfers.find(q, sort=[("requested_at", -1)], limit=500)]

    def overdue_transfers(self, now, limit: int = 100) -> list[Transfer]:
        rows = self.db.transfers.find({"status": "pending", "expires_at": {"$lte": now}},
                                      sort=[("expires_at", 1)], limit=limit)
        return [_from_doc(Transfer, d) for d in rows]

    # -- applications

    def application(self, application_id: str) -> Application:
        return self._get("applications", Application, application_id, "application")

    def add_application(self, a: Application) -> None:
        self._insert("applications", a, "this application exists")

    def save_application(self, a: Application) -> None:
        self._save("applications", a)

    def pending_application_for(self, national_id: str) -> bool:
        return self.db.applications.count_documents(
            {"applicant.national_id": national_id, "status": "pending"}) > 0

    def applications_under(self, unit_id: str, status: str | None, limit: int, skip: int) -> list[Application]:
        q: dict = {"city_path": unit_id}
        if status:
            q["status"] = status
        return [_from_doc(Application, d) for d in
                self.db.applications.find(q, sort=[("submitted_at", 1)], skip=skip, limit=limit)]

    # -- roles

    def add_role(self, a: RoleAssignment) -> None:
        self._insert("roles", a, "this assignment exists")

    def role(self, assignment_id: str) -> RoleAssignment:
        return self._get("roles", RoleAssignment, assignment_id, "assignment")

    def save_role(self, a: RoleAssignment) -> None:
        doc = _derived("roles", _to_doc(a))
        try:
            self.db.roles.replace_one({"_id": doc["_id"]}, doc)
        except DuplicateKeyError as exc:
            raise duplicate(exc, "this assignment exists") from None

    def roles_of(self, person_id: str) -> list[RoleAssignment]:
        return [_from_doc(RoleAssignment, d) for d in self.db.roles.find({"person_id": person_id})]

    def roles_under(self, unit_id: str) -> list[RoleAssignment]:
        return [_from_doc(RoleAssignment, d) for d in
                self.db.roles.find({"scope_path": unit_id, "revoked_at": None}, sort=[("role", 1)], limit=1000)]

    def live_role(self, role: str, scope_id: str) -> RoleAssignment | None:
        return _from_doc(RoleAssignment, self.db.roles.find_one({"role": role, "scope_id": scope_id, "live": True}))

    def has_role(self, person_id: str, role: str, scope_id: str) -> bool:
        return self.db.roles.count_documents(
            {"person_id": person_id, "role": role, "scope_id": scope_id, "revoked_at": None}) > 0

    # -- accounts

    def add_user(self, user: dict) -> None:
        try:
            self.db.users.insert_one(user)
        except DuplicateKeyError as exc:
            raise duplicate(exc, "this username is taken") from None

    def claim_singleton(self, name: str) -> None:
        """A name that can be taken once (the first administrator)."""
        try:
            self.db.singletons.insert_one({"_id": uuid.uuid4().hex, "name": name})
        except DuplicateKeyError as exc:
            raise duplicate(exc, f"{name} exists already") from None

    def user_by_name(self, username: str) -> dict | None:
        return self.db.users.find_one({"username": username})

    def user(self, user_id: str) -> dict | None:
        return self.db.users.find_one({"_id": user_id})

    def user_of_person(self, person_id: str) -> dict | None:
        return self.db.users.find_one({"person_id": person_id})

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.db.users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    def deactivate_user(self, user_id: str, at) -> None:
        self.db.users.update_one({"_id": user_id}, {"$set": {"active": False, "deactivated_at": at}})


    # -- the registry's view as other services keep it (a restatement, kernel.registry_view)

    def view_records(self) -> dict[str, list[dict]]:
        """Everything another service keeps of the registry, in the records of a restatement
        (`registry.view.restated.v1`): units, kanoons, memberships (everyone who is or was in a
        kanoon), role grants (revoked ones too) and province settings. Read inside one transaction,
        it is one point in time."""
        def day(v) -> str | None:
            return None if v is None else (v.date() if isinstance(v, datetime) else v).isoformat()

        units = [{"unit_id": d["_id"], "name": d["name"], "kind": d["kind"], "path": d["path"]}
                 for d in self.db.units.find({}, {"name": 1, "kind": 1, "path": 1}, sort=[("_id", 1)])]
        kanoons = [{"kanoon_id": d["_id"], "name": d["name"], "kind": d["kind"], "field": d.get("field"),
                    "unit_path": d["unit_path"], "status": VIEW_STATUS.get(d["status"], d["status"]),
                    "head_id": d["head_id"], "deputy_id": d["deputy_id"], "founding_date": day(d.get("founding_date"))}
                   for d in self.db.kanoons.find({}, {"name": 1, "kind": 1, "field": 1, "unit_path": 1, "status": 1,
                                                      "head_id": 1, "deputy_id": 1, "founding_date": 1},
                                                 sort=[("_id", 1)])]
        memberships = [{"person_id": d["_id"], "kanoon_id": d.get("kanoon_id"), "kind": d["kind"]}
                       for d in self.db.people.find({"$or": [{"kanoon_id": {"$ne": None}},
                                                             {"left_kanoon_id": {"$ne": None}}]},
                                                    {"kanoon_id": 1, "kind": 1}, sort=[("_id", 1)])]
        grants = [{"assignment_id": d["_id"], "person_id": d["person_id"], "role": d["role"],
                   "scope_id": d["scope_id"], "scope_kind": d["scope_kind"], "field": d.get("field"),
                   "valid_from": day(d.get("valid_from")), "valid_to": day(d.get("valid_to")),
                   "revoked": d.get("revoked_at") is not None}
                  for d in self.db.roles.find({}, {"person_id": 1, "role": 1, "scope_id": 1, "scope_kind": 1,
                                                   "field": 1, "valid_from": 1, "valid_to": 1, "revoked_at": 1},
                                              sort=[("_id", 1)])]
        settings = [{**{k: v for k, v in d.items() if k != "_id"}, "province_id": d["_id"]}
                    for d in self.db.province_settings.find({}, sort=[("_id", 1)])]
        return {"units": units, "kanoons": kanoons, "memberships": memberships, "grants": grants,
                "province_settings": settings}


def _dup_field(exc: DuplicateKeyError) -> str | None:
    details = exc.details or {}
    key = details.get("keyPattern") or details.get("keyValue") or {}
    field = next(iter(key), None)
    return "id" if field == "_id" else field


def people_match(kind: str, value, prefix: str = "") -> dict:
    """The query for a search's terms (domain.people.search_terms); `prefix` is where the person's
    fields sit ("applicant." in an application)."""
    if kind == "name":
        return {"$and": [{"name_tokens": {"$regex": "^" + re.escape(w)}} for w in value]}
    return {prefix + kind: value}
