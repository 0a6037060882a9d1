"""Back up and restore one service's database, with pymongo alone (no mongodump here); the procedure
around it is docs/backup.md.

    python -m ops.backup dump --service registry --out backups/
    python -m ops.backup show backups/registry-20250321T063000Z
    python -m ops.backup restore --service registry --from backups/registry-20250321T063000Z \\
        [--force] [--sequence-gap 100000] [--catch-up-via http://gateway:8000 --token $ADMIN_TOKEN]
    python -m ops.backup catch-up --service registry --via http://gateway:8000 --token $ADMIN_TOKEN

`--uri` defaults to MONGO_URI and `--database` to MONGO_DB_PREFIX + service (`khadem_<service>`);
use the store's administrator or a user who may read (dump) or drop and write (restore) it.

**dump** writes `<out>/<service>-<UTC time>/`: `manifest.json` (service, database, `taken_at`, how the
copy was made consistent, each collection's count and index specs) and one file per collection of
concatenated BSON documents (as mongodump's `.bson`; read with `bson.decode_file_iter`). Every
collection is read inside one transaction with read concern "snapshot", so the copy is one point in
time, `taken_at` (taken inside it). A transaction lives 60 s at most (MongoDB's
`transactionLifetimeLimitSeconds`; the local store the same): a dump that needs longer is tried
again in a snapshot session (`start_session(snapshot=True)`, MongoDB's window is 5 minutes; the
local store ignores it, which the dump notices); failing both it refuses, unless
`--not-point-in-time` accepts a copy read collection by collection.

**restore** replaces every collection of the database with the backup's, and then:
- refuses while an instance of the service is alive (a heartbeat newer than 3 × HEARTBEAT_SECONDS),
  unless `--force`;
- sequences never go back: every integer field of every document of `counters` ends at the larger
  of its live and its backed-up value; with no live counters at all (the database was lost) every
  counter moves on by `--sequence-gap`, said loudly;
- the live `heartbeats` are kept, the live `restores` and parked messages are kept beside the
  backup's;
- records a `restores` row (before replacing anything, with the live counters, so that a restore
  run again after one that failed midway still knows them) and, when done, in one transaction with
  its completion, a pending `<service>.store.restored.v1` outbox row (kernel.restore), published by
  the service's relay when it starts again (the registry then restates its view:
  services/registry/service.py);
- prints the replays that bring the service back what it consumed after the backup (one per event
  handler: its source's events since `taken_at` − 10 minutes, to its own queue), and asks for them
  itself with `--catch-up-via` and `--token`; and what it cannot undo.

**catch-up** asks for those replays later, once the restored service runs again (the registry must:
the gateway asks it who is calling).

**show** prints a backup's manifest.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, TextIO
from urllib.parse import quote

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern

FORMAT = 1
MANIFEST = "manifest.json"
# Never replaced by a restore: who is alive now is not the backup's business.
KEPT_LIVE = frozenset({"heartbeats"})
# Kept beside the backup's rows (the live row wins for one id): the history of restores, and
# messages parked meanwhile, which an operator may still want to replay.
MERGED_LIVE = frozenset({"restores", "parked_messages"})
COUNTERS = "counters"
RESTORES = "restores"
HEARTBEATS = "heartbeats"
# How far before the backup the catch-up replays start: an event created just before `taken_at`
# whose transaction committed after the snapshot, or delivered to the service only after it.
CATCH_UP_MARGIN = timedelta(minutes=10)
DEFAULT_SEQUENCE_GAP = 100_000
# A little under the store's 60 s transaction lifetime: the dump gives the transaction up itself.
SNAPSHOT_SECONDS = 50.0
INSERT_BATCH = 1000


class Refused(Exception):
    """The command will not do what was asked; the message says why and what to do."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- the rules (no I/O)

def live_instances(heartbeats: Iterable[dict], now: datetime, heartbeat_seconds: float) -> list[str]:
    """The instances heard from within 3 heartbeats (a health check's `ping:<service>` row is no
    instance)."""
    fresh = now - timedelta(seconds=3 * heartbeat_seconds)
    return sorted(str(h["_id"]) for h in heartbeats
                  if not str(h["_id"]).startswith("ping:") and h.get("at") is not None and _utc(h["at"]) > fresh)


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def merged_counters(live: dict[str, dict], backup: dict[str, dict], gap: int) -> tuple[dict[str, dict], bool]:
    """The counters after a restore (counter id → its integer fields), and whether numbers were
    skipped: each integer field is the larger of its live and backed-up values, so no number issued
    before the restore is issued again. With no live counters at all while the backup has some, the
    live values are unknown (the database was lost): every backed-up value moves on by `gap`."""
    skipped = not live and bool(backup) and gap > 0
    out: dict[str, dict] = {}
    for cid in sorted(set(live) | set(backup), key=str):
        a, b = live.get(cid) or {}, backup.get(cid) or {}
        values = {}
        for name in set(a) | set(b):
            if name == "_id":
                continue
            x, y = a.get(name), b.get(name)
            if _is_count(x) or _is_count(y):
                values[name] = max(v for v in (x, y) if _is_count(v)) + (gap if skipped else 0)
        out[cid] = values
    return out, skipped


def replay_types(binding: str) -> str:
    """The event-type prefix a handler's binding key stands for (`reports.report.approved.#` →
    `reports.report.approved.`): the replay to its queue sends only what the exchange would."""
    words = []
    for w in binding.split("."):
        if w in ("#", "*"):
            break
        words.append(w)
    return ".".join(words) + "."


@dataclass(frozen=True)
class CatchUp:
    """One replay: `source`'s sent events of `types` since `since`, to one handler's `queue`."""
    service: str
    source: str
    queue: str
    types: str
    since: datetime

    @property
    def path(self) -> str:
        return f"/api/ops/{self.source}/outbox/replay"

    @property
    def body(self) -> dict:
        return {"types": self.types, "queue": self.queue, "since": self.since.isoformat(), "partial": False}

    def key(self, restore_id: str) -> str:
        """The request's Idempotency-Key: running the command again asks for no second job."""
        return f"catch-up-{restore_id}-{self.queue}"[:255]


def catch_up_plan(service: str, taken_at: datetime, handlers: Iterable, margin: timedelta = CATCH_UP_MARGIN
                  ) -> list[CatchUp]:
    """For every event handler of the service (ops.topology.handlers): its source's events since
    `taken_at` − `margin`, to its own queue. The restored inbox skips those it had applied before
    the backup; the others are what it applied after and lost."""
    since = _utc(taken_at) - margin
    return [CatchUp(service, h.source, h.queue, replay_types(h.event_type), since)
            for h in sorted(handlers, key=lambda h: h.queue) if h.service == service]


# ---------------------------------------------------------------- dump

def _file_name(collection: str) -> str:
    return quote(collection, safe="") + ".bson"


def _index_specs(coll) -> list[dict]:
    out = []
    for spec in coll.list_indexes():
        spec = dict(spec)
        if spec.get("name") == "_id_":
            continue
        spec.pop("v", None)
        spec.pop("ns", None)
        spec["key"] = [[k, v] for k, v in dict(spec["key"]).items()]
        out.append(spec)
    return sorted(out, key=lambda s: s["name"])


def _documents_in(raw: bytes) -> int:
    """How many BSON documents a raw batch holds (each starts with its length)."""
    n = pos = 0
    while pos < len(raw):
        pos += int.from_bytes(raw[pos:pos + 4], "little")
        n += 1
    return n


class _TooLong(Exception):
    pass


def _collections(db) -> dict[str, list[dict]]:
    names = sorted(n for n in db.list_collection_names() if not n.startswith("system."))
    return {n: _index_specs(db[n]) for n in names}


def _read_all(db, names: list[str], folder: Path, session, deadline: float | None) -> tuple[datetime, dict]:
    """Every collection's documents into its file, in one session; the instant read just after the
    snapshot was established, and the counts."""
    counts: dict[str, int] = {}
    taken_at = None
    for name in names:
        n = 0
        with open(folder / _file_name(name), "wb") as f:
            for raw in db[name].find_raw_batches({}, session=session, sort=[("_id", 1)]):
                if taken_at is None:
                    taken_at = _now()
                f.write(raw)
                n += _documents_in(raw)
                if deadline is not None and time.monotonic() > deadline:
                    raise _TooLong(name)
        if taken_at is None:   # an empty collection first: the snapshot was taken by that read
            taken_at = _now()
        counts[name] = n
    return taken_at or _now(), counts


def dump(client: MongoClient, database: str, service: str, out: Path, point_in_time: bool = True,
         snapshot_seconds: float = SNAPSHOT_SECONDS, say: Callable[[str], None] = print) -> Path:
    """Copy the database into a new folder under `out`; returns the folder. Refused (Refused) when
    no point-in-time copy can be had and `point_in_time` is asked."""
    db = client[database]
    out.mkdir(parents=True, exist_ok=True)
    folder = out / f"{service}-{_now().strftime('%Y%m%dT%H%M%S%fZ')}"
    folder.mkdir()
    for _ in range(3):
        # Neither listCollections nor listIndexes may run in a transaction: before and after it;
        # a collection created meanwhile takes the dump again.
        before = _collections(db)
        names = list(before)
        consistency, taken_at, counts, why = None, None, {}, []
        try:
            with client.start_session() as s:
                s.start_transaction(read_concern=ReadConcern("snapshot"))
                try:
                    taken_at, counts = _read_all(db, names, folder, s, time.monotonic() + snapshot_seconds)
                    s.commit_transaction()
                    consistency = "transaction"
                finally:
                    if s.in_transaction:
                        s.abort_transaction()
        except (_TooLong, PyMongoError) as exc:
            why.append(f"one transaction (read concern snapshot): {_why(exc, snapshot_seconds)}")
        if consistency is None:
            try:
                with client.start_session(snapshot=True) as s:
                    db[names[0] if names else "outbox"].find_one({}, session=s)
                    if s._snapshot_time is None:   # no public API tells whether the server honoured it
                        raise Refused("the store ignores snapshot sessions (no atClusterTime in its answer)")
                    taken_at, counts = _read_all(db, names, folder, s, None)
                    consistency = "snapshot-session"
            except (Refused, PyMongoError) as exc:
                why.append(f"a snapshot session: {exc}")
        if consistency is None:
            if point_in_time:
                for f in folder.iterdir():
                    f.unlink()
                folder.rmdir()
                raise Refused("no point-in-time copy of " + database + " could be had: " + "; ".join(why) +
                              ". Dump it while the service is stopped (nothing then changes it) with "
                              "--not-point-in-time, or on MongoDB use mongodump --oplog (docs/backup.md)")
            say("dump: NOT a point-in-time copy (" + "; ".join(why) + "): collections were read one after "
                "another; only consistent if nothing wrote meanwhile")
            taken_at, counts = _read_all(db, names, folder, None, None)
            consistency = "none"
        after = _collections(db)
        if set(after) == set(before):
            break
        say(f"dump: collections changed while it ran ({sorted(set(after) ^ set(before))}); again")
        for f in folder.iterdir():
            f.unlink()
    else:
        raise Refused("collections kept being created or dropped while the dump ran; stop the service and dump again")
    manifest = {
        "format": FORMAT, "service": service, "database": database, "taken_at": taken_at,
        "point_in_time": consistency != "none", "consistency": consistency,
        "dumped_at": _now(),
        "collections": {n: {"count": counts[n], "file": _file_name(n), "indexes": before[n]} for n in names},
    }
    (folder / MANIFEST).write_text(json_util.dumps(manifest, indent=1, json_options=json_util.RELAXED_JSON_OPTIONS,
                                                   ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def _why(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, _TooLong):
        return f"the copy needed more than {seconds:g} s (the store ends a transaction after 60 s)"
    return f"{type(exc).__name__}: {exc}"[:300]


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise Refused(f"{folder} is not a backup (no {MANIFEST})")
    m = json_util.loads(path.read_text(encoding="utf-8"),
                        json_options=json_util.JSONOptions(tz_aware=True, tzinfo=timezone.utc))
    if m.get("format") != FORMAT:
        raise Refused(f"{folder}: backup format {m.get('format')}, this command reads {FORMAT}")
    return m


def documents(folder: Path, collection: str, raw: bool = False):
    """The backed-up documents of a collection, in `_id` order (raw: as RawBSONDocument)."""
    m = read_manifest(folder)
    options = CodecOptions(document_class=RawBSONDocument) if raw else CodecOptions(tz_aware=True)
    with open(Path(folder) / m["collections"][collection]["file"], "rb") as f:
        yield from bson.decode_file_iter(f, codec_options=options)


# ---------------------------------------------------------------- restore

@dataclass
class Restored:
    restore_id: str
    taken_at: datetime
    restored_at: datetime
    collections: dict[str, int]
    counters: dict[str, dict]
    numbers_skipped: bool
    catch_up: list[CatchUp]
    lost_events: dict[str, int] = field(default_factory=dict)   # type → events the live outbox had after the backup
    newest_restored_event: datetime | None = None


def restore(client: MongoClient, database: str, service: str, source: Path, force: bool = False,
            sequence_gap: int = DEFAULT_SEQUENCE_GAP, heartbeat_seconds: float = 5.0, handlers=None,
            say: Callable[[str], None] = print) -> Restored:
    """Replace the database's collections with the backup's in `source` (see the module's doc)."""
    from kernel.restore import restored_event
    from kernel.store import Store
    m = read_manifest(source)
    if m["service"] != service:
        raise Refused(f"{source} is a backup of {m['service']}, not of {service}")
    db = client[database]
    now = _now()
    alive = live_instances(db[HEARTBEATS].find({}), now, heartbeat_seconds)
    if alive and not force:
        raise Refused(f"stop every instance of {service} first (heard from {', '.join(alive)} within the last "
                      f"{3 * heartbeat_seconds:g} s); --force restores anyway")
    if alive:
        say(f"restore: --force: instances still heard from: {', '.join(alive)}")
    taken_at = _utc(m["taken_at"])
    restore_id = uuid.uuid4().hex
    # The live counters, and those an earlier restore saved before it replaced anything (one that
    # failed midway left the backup's lower values in `counters`): the highest of each.
    saved = {}
    for row in db[RESTORES].find({"live_counters": {"$exists": True}}):
        saved, _ = merged_counters(saved, {c["_id"]: c for c in row["live_counters"]}, 0)
    live_counters, _ = merged_counters({d["_id"]: d for d in db[COUNTERS].find({})}, saved, 0)
    # Saved before anything is replaced (`restores` is kept across a restore): a restore run again
    # after this one failed midway still knows them.
    db[RESTORES].insert_one({"_id": restore_id, "service": service, "status": "started", "started_at": now,
                             "from": str(Path(source).resolve()),
                             "live_counters": [{"_id": cid, **values} for cid, values in live_counters.items()]})
    # The live outbox's events the backup does not hold: published (or about to be) after it.
    backed_events = ({d["_id"] for d in documents(source, "outbox") if _utc(d["created_at"]) >= taken_at - CATCH_UP_MARGIN}
                     if "outbox" in m["collections"] else set())
    lost: dict[str, int] = {}
    for row in db.outbox.find({"created_at": {"$gte": taken_at - CATCH_UP_MARGIN}}, {"type": 1}):
        if row["_id"] not in backed_events:
            lost[row["type"]] = lost.get(row["type"], 0) + 1
    kept = {name: {d["_id"]: d for d in db[name].find({}).sort("_id", 1)} for name in MERGED_LIVE}

    for name in sorted(db.list_collection_names()):
        if not name.startswith("system.") and name not in KEPT_LIVE:
            db.drop_collection(name)
    restored: dict[str, int] = {}
    for name, info in m["collections"].items():
        if name in KEPT_LIVE:
            continue
        coll = db[name]
        if name not in db.list_collection_names():
            db.create_collection(name)
        batch, n = [], 0
        for doc in documents(source, name, raw=True):
            if name in MERGED_LIVE and doc["_id"] in kept[name]:
                continue   # the live row (newer) is put back below
            batch.append(doc)
            if len(batch) >= INSERT_BATCH:
                coll.insert_many(batch, ordered=False)
                n, batch = n + len(batch), []
        if batch:
            coll.insert_many(batch, ordered=False)
            n += len(batch)
        for spec in info["indexes"]:
            spec = dict(spec)
            keys = [(k, v) for k, v in spec.pop("key")]
            coll.create_index(keys, **spec)
        restored[name] = n
    for name, rows in kept.items():
        if rows:
            db[name].insert_many(list(rows.values()), ordered=False)
    backed_counters = {d["_id"]: d for d in documents(source, COUNTERS)} if COUNTERS in m["collections"] else {}
    counters, skipped = merged_counters(live_counters, backed_counters, sequence_gap)
    for cid, values in counters.items():
        if values:
            db[COUNTERS].update_one({"_id": cid}, {"$set": values}, upsert=True)

    newest = db.outbox.find_one({}, {"created_at": 1}, sort=[("created_at", -1)])
    restored_at = _now()

    def record(tx):
        tx.db[RESTORES].update_one({"_id": restore_id}, {"$set": {
            "status": "done", "restored_to": taken_at, "at": restored_at, "numbers_skipped": skipped,
            "restated_at": None}})
        tx.emit(restored_event(service, restore_id, taken_at, restored_at))
    Store(client, database).transaction(record, correlation_id=f"restore-{restore_id}")

    if handlers is None:
        from ops import topology
        handlers = topology.handlers(service)
    return Restored(restore_id, taken_at, restored_at, restored, counters, skipped,
                    catch_up_plan(service, taken_at, handlers), lost,
                    _utc(newest["created_at"]) if newest else None)


def report(r: Restored, service: str, out: TextIO = sys.stdout) -> None:
    """What the operator must know after a restore: skipped numbers, the catch-up, what stays."""
    p = lambda *a: print(*a, file=out)   # noqa: E731
    p(f"restore {r.restore_id}: {service} is back to {r.taken_at.isoformat()} "
      f"({sum(r.collections.values())} documents in {len(r.collections)} collections)")
    if r.numbers_skipped:
        p("!" * 78)
        p("!! NUMBERS SKIPPED: the live database had no counters (lost?), so every counter moved on by "
          "the sequence gap; the next numbers issued are:")
        for cid, values in r.counters.items():
            p(f"!!   {cid}: {values}")
        p("!! The numbers between the backup's and these were possibly issued after the backup and must not be")
        p("!! issued again: the gap is the guess of how many. Tell whoever reads the numbers (service codes,")
        p("!! letter numbers) that this run of numbers was skipped.")
        p("!" * 78)
    elif r.counters:
        p("counters (each at the larger of its live and backed-up value): " +
          ", ".join(f"{cid} {values}" for cid, values in r.counters.items()))
    p("")
    p("The service's inbox is back to the backup: what it consumed after it must be sent to it again. "
      "When the service runs, ask (as an administrator, each with an Idempotency-Key of its own):")
    for c in r.catch_up:
        p(f"  POST {c.path}  {json.dumps(c.body)}")
    p(f"(or, once {service} runs: python -m ops.backup catch-up --service {service} --via <gateway URL> "
      f"--token <admin token>, with this command's --uri and --database). A replay refused because the source "
      "pruned its outbox needs \"partial\": true; what was pruned cannot be sent again.")
    p("")
    if r.lost_events:
        kept = ("the restatement below makes their copies of the view the registry's again; what they "
                "recorded on the strength of it stays" if service == "registry" else "and keep their effects")
        p(f"Not undone: the live outbox held {sum(r.lost_events.values())} events created after the backup; "
          f"their consumers applied them, {kept}:")
        for t, n in sorted(r.lost_events.items()):
            p(f"  {n:6d}  {t}")
    else:
        p("The live outbox held no event created after the backup (or the live database was lost: then "
          "every event published between the restored outbox's newest row and the failure is unknown here).")
    if r.newest_restored_event is not None:
        p(f"The restored outbox's newest event was created at {r.newest_restored_event.isoformat()}.")
    if service == "registry":
        p("The registry restates its view when it starts (registry.view.restated.v1): every service's copy of "
          "units, kanoons, memberships, roles and province settings becomes the restored registry's again.")
    else:
        p(f"No restatement exists for {service}: its consumers keep what they derived from the events above "
          f"(docs/backup.md says what each keeps and how to see it).")
    p(f"A pending {service}.store.restored.v1 event tells subscribers; the relay publishes it when the service runs.")


def catch_up(r: Restored, gateway: str, token: str, out: TextIO = sys.stdout) -> list[dict]:
    """Ask the gateway for the catch-up replays (each with an Idempotency-Key of its own)."""
    import httpx
    answers = []
    with httpx.Client(base_url=gateway.rstrip("/"), timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        for c in r.catch_up:
            resp = http.post(c.path, json=c.body, headers={"Idempotency-Key": c.key(r.restore_id)})
            body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else resp.text
            print(f"catch-up: {c.source} → {c.queue}: {resp.status_code} {body}", file=out)
            answers.append({"queue": c.queue, "status": resp.status_code, "body": body})
    return answers


def last_restore(client: MongoClient, database: str, service: str, handlers=None) -> Restored:
    """The database's latest restore (its `restores` row), with its catch-up plan: for the
    `catch-up` command, run once the restored service is back (the gateway asks the registry who
    is calling: while the registry is down no operator request passes)."""
    row = client[database][RESTORES].find_one({"status": "done"}, sort=[("at", -1)])
    if row is None:
        raise Refused(f"{database} was never restored (no {RESTORES} row)")
    if handlers is None:
        from ops import topology
        handlers = topology.handlers(service)
    taken_at = _utc(row["restored_to"])
    return Restored(row["_id"], taken_at, _utc(row["at"]), {}, {}, bool(row.get("numbers_skipped")),
                    catch_up_plan(service, taken_at, handlers))


# ---------------------------------------------------------------- show

def show(folder: Path, out: TextIO = sys.stdout) -> None:
    m = read_manifest(folder)
    print(f"backup of {m['service']} (database {m['database']}), format {m['format']}", file=out)
    print(f"taken at   {m['taken_at'].isoformat()}  "
          f"({'one point in time: ' + m['consistency'] if m['point_in_time'] else 'NOT one point in time'})", file=out)
    print(f"dumped at  {m['dumped_at'].isoformat()}", file=out)
    width = max((len(n) for n in m["collections"]), default=10)
    for name, info in m["collections"].items():
        idx = ", ".join(i["name"] + (" (unique)" if i.get("unique") else "") for i in info["indexes"]) or "-"
        print(f"  {name:<{width}}  {info['count']:8d}  {idx}", file=out)
    print(f"  {'total':<{width}}  {sum(i['count'] for i in m['collections'].values()):8d}", file=out)


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ops.backup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="action", required=True)
    d = sub.add_parser("dump", help="copy a service's database into a folder")
    r = sub.add_parser("restore", help="replace a service's database with a backup")
    for p in (d, r):
        p.add_argument("--service", required=True)
        p.add_argument("--uri", default=None, help="default MONGO_URI")
        p.add_argument("--database", default=None, help="default MONGO_DB_PREFIX + service")
    d.add_argument("--out", required=True, type=Path)
    d.add_argument("--not-point-in-time", action="store_true",
                   help="accept a copy read collection by collection when no snapshot can be had")
    d.add_argument("--snapshot-seconds", type=float, default=SNAPSHOT_SECONDS,
                   help="give the one-transaction copy up after this long (the store's limit is 60 s)")
    r.add_argument("--from", dest="source", required=True, type=Path)
    r.add_argument("--force", action="store_true", help="restore even though an instance is heard from")
    r.add_argument("--sequence-gap", type=int, default=DEFAULT_SEQUENCE_GAP,
                   help="how far every counter moves on when the live database has none")
    r.add_argument("--catch-up-via", default=None, help="the gateway's URL: ask for the catch-up replays")
    r.add_argument("--token", default=None, help="an administrator's bearer token (with --catch-up-via)")
    c = sub.add_parser("catch-up", help="ask for the replays that bring a restored service back what it consumed")
    c.add_argument("--service", required=True)
    c.add_argument("--uri", default=None, help="default MONGO_URI")
    c.add_argument("--database", default=None, help="default MONGO_DB_PREFIX + service")
    c.add_argument("--via", required=True, help="the gateway's URL")
    c.add_argument("--token", required=True, help="an administrator's bearer token")
    s = sub.add_parser("show", help="a backup's manifest")
    s.add_argument("folder", type=Path)
    args = ap.parse_args(argv)
    try:
        if args.action == "show":
            show(args.folder)
            return 0
        from kernel.settings import load_settings
        settings = load_settings(require_secrets=False)
        uri = args.uri or settings.mongo_uri
        database = args.database or settings.database_name(args.service)
        with MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000) as client:
            if args.action == "dump":
                folder = dump(client, database, args.service, args.out, not args.not_point_in_time,
                              args.snapshot_seconds)
                print(folder)
                show(folder)
                return 0
            if args.action == "catch-up":
                answers = catch_up(last_restore(client, database, args.service), args.via, args.token)
                return 0 if all(a["status"] == 202 for a in answers) else 3
            if args.catch_up_via and not args.token:
                raise Refused("--catch-up-via needs --token (an administrator's bearer token)")
            done = restore(client, database, args.service, args.source, args.force, args.sequence_gap,
                           settings.heartbeat_seconds)
            report(done, args.service)
            if args.catch_up_via:
                answers = catch_up(done, args.catch_up_via, args.token)
                if any(a["status"] != 202 for a in answers):
                    print("catch-up: some replays were refused (above); ask for them again by hand", file=sys.stderr)
                    return 3
            return 0
    except Refused as exc:
        print(f"{args.action}: refused: {exc}", file=sys.stderr)
        return 2
    except OperationFailure as exc:
        print(f"{args.action}: the store refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
