"""Every speed figure of the system beside a baseline measured in the same run, on this machine.

    python -m bench all                 # or: make bench-all
    python -m bench all --quick         # smaller volumes (a minute or two), for a first look

It starts what `make run` starts (temporary data, free ports; RabbitMQ started or installed when
missing) and a bare FastAPI hello-world, then measures and prints one table: each figure, its goal
(issue 15, docs/performance.md), whether it is met, and its ratio to its baseline:

- baselines: raw kombu publishing (persistent, publisher confirms, one at a time) and consuming
  (manual acks) on the same RabbitMQ; a bare uvicorn + FastAPI hello-world under the same load
  generator; bare pymongo `insert_one` on the same store;
- the gateway: a trivial route, a signed-in one-RPC read route, and how many identity RPCs a
  signed-in request costs (read off the gateway's own RPC counter);
- RPC from the gateway's own client: p50 and p99 with 16 concurrent callers;
- the bus: a burst of committed approval events through the outbox, the relay, RabbitMQ and the
  aggregate handler (events/s between the first and the last applied), and, for the approvals of
  the ingest, each event's time from its commit to the consumer's inbox row;
- ingest: activity reports submitted and approved by 8 HTTP clients, and how long after the last
  approval the city's aggregate counts them all;
- growth: the read route's and the submission's latencies again after 10x more reports.

HTTP load comes from `wrk` (Debian's package; installed with apt-get when missing). The resident
memory of every process is printed at rest and after the load. Figures vary between runs here:
compare ratios within one run.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from kombu import Connection, Exchange, Queue
from pymongo import MongoClient

from bench.reports_ingest import ADMIN_PASSWORD, call, ingest, prepare
from devenv import rabbit
from devenv.launch import launch, stop
from ops.topology import NAMES as SERVICE_NAMES
from tests.conftest import QUIET, free_port

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "benchall_"


# ---------------------------------------------------------------- small tools

def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def processes(run_out: Path) -> dict[str, int]:
    """The newest pid of every process `devenv.run` started (it prints `run: NAME started (pid N)`)."""
    out: dict[str, int] = {}
    for m in re.finditer(r"run: (\S+) started \(pid (\d+)\)", run_out.read_text()):
        out[m.group(1)] = int(m.group(2))
    return out


def children(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return found


def rss_of(procs: dict[str, int]) -> dict[str, float]:
    return {name: sum(rss_mb(p) or 0 for p in children(pid)) for name, pid in procs.items()}


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("bench: installing wrk (apt-get install -y wrk)", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk is not installed and could not be installed")


def wrk(url: str, seconds: int, connections: int = 16, headers: dict | None = None) -> dict:
    """req/s and latency percentiles of `wrk --latency` against `url`."""
    cmd = [ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise SystemExit(f"wrk saw failures against {url}:\n{out}")
    return {"rate": rate, "p50": ms("50"), "p99": ms("99")}


class Profiler:
    """py-spy on every process of the system during one phase: collapsed stacks per process
    (`DIR/<phase>-<process>.txt`, for flamegraph.pl or speedscope) and a summary of where the
    samples fell (`summarise`)."""

    def __init__(self, folder: Path | None, procs: dict[str, int]):
        self.folder = folder
        self.procs = procs

    def phase(self, name: str):
        folder, procs = self.folder, self.procs

        class _Phase:
            def __enter__(self):
                self.spies = []
                if folder is None:
                    return self
                spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
                for proc, pid in procs.items():
                    for n, p in enumerate(children(pid)):
                        out = folder / f"{name}-{proc}{'' if n == 0 else f'.{n}'}.txt"
                        self.spies.append(subprocess.Popen(
                            [spy, "record", "--pid", str(p), "--format", "raw", "--rate", "67", "--nonblocking",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                time.sleep(1.0)
                return self

            def __exit__(self, *exc):
                for s in self.spies:
                    s.send_signal(2)
                for s in self.spies:
                    try:
                        s.wait(30)
                    except subprocess.TimeoutExpired:
                        s.kill()
        return _Phase()


def summarise(path: Path, top: int = 12) -> list[tuple[str, float, float]]:
    """From py-spy's collapsed stacks: the frames with the largest share of samples, inclusive
    (on the stack) and exclusive (at its top), idle waits left out."""
    total, inclusive, exclusive = 0, {}, {}
    idle = ("wait (threading", "select (", "poll (", "epoll", "_recv_into", "recv (", "sleep", "acquire (",
            "get (queue", "hub.py", "green/select", "wait (eventlet", "_recv_exactly", "_readable (secantus",
            "read_message (secantus")
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        if any(any(i in f for i in idle) for f in frames[-3:]):
            continue
        n = int(count)
        total += n
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + n
        exclusive[frames[-1]] = exclusive.get(frames[-1], 0) + n
    if not total:
        return []
    ranked = sorted(inclusive, key=lambda f: -exclusive.get(f, 0))[:top]
    return [(f, inclusive[f] / total, exclusive.get(f, 0) / total) for f in ranked]


# ---------------------------------------------------------------- baselines

def kombu_baseline(amqp_uri: str, n: int) -> dict:
    """Raw kombu: n persistent messages published one at a time with publisher confirms, then
    consumed with manual acks (prefetch 200)."""
    name = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, exchange=Exchange(""), routing_key=name, durable=True)
    body = {"id": "x" * 32, "type": "bench.baseline.v1", "data": {"n": 0, "text": "y" * 200}}
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        queue(conn.default_channel).declare()
        t0 = time.perf_counter()
        for i in range(n):
            producer.publish(body, exchange="", routing_key=name, serializer="json", delivery_mode=2)
        publish = n / (time.perf_counter() - t0)
    with Connection(amqp_uri) as conn:
        got = 0
        channel = conn.default_channel
        channel.basic_qos(0, 200, False)

        def on_message(body, message):
            nonlocal got
            got += 1
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], channel=channel):
            t0 = time.perf_counter()
            while got < n:
                conn.drain_events(timeout=10)
            consume = n / (time.perf_counter() - t0)
        queue(channel).delete()
    return {"publish": publish, "consume": consume}


HELLO = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/')\nasync def hello():\n    return {'hello': 'world'}\n"


def hello_baseline(seconds: int, data: Path) -> dict:
    """A bare uvicorn + FastAPI hello-world (one process) under the same load as the gateway."""
    (data / "hello_app.py").write_text(HELLO)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "hello_app:app", "--port", str(port),
                             "--no-access-log", "--log-level", "warning"], cwd=data,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the hello-world did not start")
                time.sleep(0.1)
        return wrk(url, seconds)
    finally:
        proc.terminate()
        proc.wait(10)


def store_baseline(mongo_uri: str, n: int) -> dict:
    """Bare pymongo insert_one (a unique and a plain index), one client, on the same store."""
    client = MongoClient(mongo_uri)
    coll = client[f"{PREFIX}baseline"]["docs"]
    coll.drop()
    coll.create_index("key", unique=True)
    coll.create_index("kind")
    times = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        coll.insert_one({"key": f"k{i}", "kind": i % 7, "text": "z" * 200})
        times.append(time.perf_counter() - t)
    rate = n / (time.perf_counter() - t0)
    client.drop_database(f"{PREFIX}baseline")
    return {"rate": rate, "p50": pct(times, 50) * 1000}


# ---------------------------------------------------------------- the system's figures

def store_ops(mongo_uris: list[str]) -> int:
    """Every operation the stores have served (serverStatus opcounters: reads, writes, commands),
    summed over every service's store."""
    total = 0
    for uri in dict.fromkeys(mongo_uris):
        with MongoClient(uri) as client:
            total += sum(client.admin.command("serverStatus")["opcounters"].values())
    return total


def gateway_rpc_counts(base: str) -> dict[str, float]:
    """The gateway's RPC counter (`khadem_rpc_calls_total`) per service.method."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    out: dict[str, float] = {}
    for m in re.finditer(r'^khadem_rpc_calls_total\{method="([^"]+)",service="([^"]+)"\} ([\d.e+]+)$', text, re.M):
        out[f"{m.group(2)}.{m.group(1)}"] = float(m.group(3))
    return out


def rpc_latency(amqp_uri: str, user_id: str, person_id: str, unit_id: str, clients: int, calls: int) -> dict:
    """The gateway's own RPC client, `clients` threads calling registry.get_unit, as a route would."""
    from gateway.rpc import RpcPool
    from kernel.settings import load_settings
    settings = load_settings()
    pool = RpcPool(amqp_uri, settings.rpc_pool_size, settings.rpc_timeout_seconds)
    pool.start()
    try:
        def one(_):
            ctx = {"request_id": uuid.uuid4().hex, "user_id": user_id, "person_id": person_id,
                   "deadline": time.time() + pool.timeout}
            t = time.perf_counter()
            pool.call(ctx, "registry", "get_unit", unit_id)
            return time.perf_counter() - t
        for _ in range(20):
            one(0)  # warm
        with ThreadPoolExecutor(clients) as ex:
            t0 = time.perf_counter()
            times = list(ex.map(one, range(calls)))
            elapsed = time.perf_counter() - t0
    finally:
        pool.stop()
    return {"p50": pct(times, 50) * 1000, "p99": pct(times, 99) * 1000, "rate": calls / elapsed}


AGGREGATES_QUEUE = "evt-reports-reports.#--reports.on_own_event"


def bus_burst(mongo_uri: str, database: str, amqp_uri: str, k, n: int, per_transaction: int = 50) -> dict:
    """`n` approval events committed to the reports service's outbox (as its approvals commit them,
    `per_transaction` to a transaction), then the wait until its aggregate handler has applied every
    one: events/s between the first and the last applied (the relay's poll before the first is not
    counted; an inbox row is stamped when its transaction starts, so a batch's last transaction
    counts from its start)."""
    from kernel.store import Store
    from services.reports.events import ReportApproved
    store = Store.connect(mongo_uri, database)
    ids: list[str] = []
    t0 = time.perf_counter()
    for start in range(0, n, per_transaction):
        def work(tx, start=start):
            for i in range(start, min(n, start + per_transaction)):
                tx.emit(ReportApproved(report_id=f"bench-{uuid.uuid4().hex}", kanoon_id=k.kanoon_id,
                                       kanoon_path=["IR", "IR-09", k.city, k.kanoon_id], month=k.month,
                                       service_type="food_packages", hours=1, beneficiaries=1, campaign_id=None,
                                       reporter_id=k.reporter_ids[i % len(k.reporter_ids)],
                                       reporter_kind="yavar", by="bench"))
        _, events, _ = store.transaction(work)
        ids += [e.id for e in events]
    commit_seconds = time.perf_counter() - t0
    # Followed by the inbox's (consumer, at) index, a page at a time: a query naming every id would
    # cost the store more than the handler's own work.
    # Waited for cheaply (nothing pending in the outbox, nothing ready on the handler's queue), then
    # checked in the inbox once: polling the inbox itself would cost the store more than the work.
    inbox, wanted, seen = store.raw.inbox, {f"aggregates:{i}" for i in ids}, {}
    since = datetime.now(timezone.utc) - timedelta(seconds=commit_seconds + 5)
    deadline = time.monotonic() + 600
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        while len(seen) < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"the aggregate handler applied {len(seen)} of {n} events in 10 minutes")
            time.sleep(0.5)
            ready = channel.queue_declare(AGGREGATES_QUEUE, passive=True).message_count
            if ready or store.raw.outbox.find_one({"status": "pending"}, {"_id": 1}) is not None:
                continue
            for r in inbox.find({"consumer": "aggregates", "at": {"$gte": since}}, {"at": 1, "event_time": 1},
                                sort=[("consumer", 1), ("at", 1)]):
                if r["_id"] in wanted:
                    seen[r["_id"]] = r
    rows = list(seen.values())
    first, last = min(r["at"] for r in rows), max(r["at"] for r in rows)
    span = max((last - first).total_seconds(), 1e-3)
    # A batch's inbox rows share their `at` (written in one go): how many transactions applied them.
    return {"rate": (n - 1) / span, "transactions": len({r["at"] for r in rows})}


def approval_latencies(db, report_ids: list[str]) -> list[float]:
    """For approvals made through the API: from the event's commit to the aggregate handler's inbox row."""
    rows = db.outbox.find({"type": "reports.report.approved.v1", "envelope.data.report_id": {"$in": report_ids}},
                          {"_id": 1})
    keys = [f"aggregates:{r['_id']}" for r in rows]
    return [(r["at"] - r["event_time"]).total_seconds() for r in db.inbox.find({"_id": {"$in": keys}})]


def unloaded_latencies(k, db, n: int) -> list[float]:
    """`n` reports submitted and approved one after another, 0.2 s apart: each approval's time from
    its commit to the aggregate handler's inbox row, on a system doing nothing else."""
    ids = []
    for i in range(n):
        report = call(lambda: k.members[i % len(k.members)].post("/api/activity-reports", json=k.body), 201)
        call(lambda: k.head.post(f"/api/activity-reports/{report['id']}/review", json={"approve": True}), 200)
        ids.append(report["id"])
        time.sleep(0.2)
    time.sleep(2.0)
    return approval_latencies(db, ids)


# ---------------------------------------------------------------- the table

class Table:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, what: str, value: float, unit: str, goal: str = "", met: bool | None = None,
            ratio: str = "") -> None:
        self.rows.append((what, value, unit, goal, met, ratio))
        print(f"  {what}: {value:,.1f} {unit}  {goal}  {'' if met is None else ('met' if met else 'NOT met')}  "
              f"{ratio}", flush=True)

    def show(self) -> str:
        lines = ["| figure | measured | goal | met | ratio to baseline (same run) |", "|---|---:|---|---|---|"]
        for what, value, unit, goal, met, ratio in self.rows:
            mark = "" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {what} | {value:,.1f} {unit} | {goal} | {mark} | {ratio} |")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench all", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller volumes and shorter loads")
    ap.add_argument("--seconds", type=int, help="each HTTP load's length (default 10; 4 with --quick)")
    ap.add_argument("--reports", type=int, help="reports of the ingest (default 400; 160 with --quick)")
    ap.add_argument("--events", type=int, help="events of the bus burst (default 3000; 1000 with --quick)")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--no-growth", action="store_true", help="leave out the growth phase (the longest)")
    ap.add_argument("--replicas", type=int, default=1, help="instances of every service, and gateways")
    ap.add_argument("--profile", help="a folder: py-spy records every process during each phase there")
    args = ap.parse_args(argv)
    seconds = args.seconds or (4 if args.quick else 10)
    reports = args.reports or (160 if args.quick else 400)
    events = args.events or (1000 if args.quick else 3000)
    table = Table()
    amqp_uri = rabbit.ensure()
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="khadem-bench-") as tmp:
        data = Path(tmp)
        print("baselines:", flush=True)
        kb = kombu_baseline(amqp_uri, 1000 if args.quick else 3000)
        print(f"  raw kombu: publish (confirms, one at a time) {kb['publish']:,.0f} msg/s; "
              f"consume (manual ack) {kb['consume']:,.0f} msg/s", flush=True)
        hello = hello_baseline(seconds, data)
        print(f"  bare uvicorn + FastAPI hello-world: {hello['rate']:,.0f} req/s, p50 {hello['p50']:.2f} ms", flush=True)

        env = dict(os.environ, RABBITMQ_ADMIN_URI=amqp_uri, PYTHONWARNINGS=QUIET, PYTHONPATH=str(ROOT),
                   MONGO_DB_PREFIX=PREFIX, KHADEM_ADMIN_PASSWORD=ADMIN_PASSWORD)
        for name in ("AMQP_URI", "MONGO_URI"):
            env.pop(name, None)
        running = launch(data, env, replicas=args.replicas)
        base = running.base
        # The production topology: a store per service. The reports service's holds the ingest and
        # the bus burst; the store baseline runs on it too (the same kind of server, the same run).
        reports_uri = running.store_uri("reports")
        reports_db = running.database("reports")
        every_store = [running.store_uri(s) for s in SERVICE_NAMES]
        gateway_amqp = running.amqp_uri("gateway")
        try:
            sb = store_baseline(reports_uri, 1000 if args.quick else 3000)
            print(f"  bare pymongo insert_one on the store: {sb['rate']:,.0f} inserts/s, p50 {sb['p50']:.2f} ms",
                  flush=True)
            procs = processes(data / "run.out")
            rest = rss_of(procs)
            folder = Path(args.profile).resolve() if args.profile else None
            if folder:
                folder.mkdir(parents=True, exist_ok=True)
            prof = Profiler(folder, procs)
            print("the system:", flush=True)
            k = prepare(base, 10)
            token = k.sec.headers["Authorization"]
            actor = k.sec.get("/me").json()

            quiet = unloaded_latencies(k, reports_db, 30)
            table.add("bus: commit → consumer's effect, p50, one approval at a time (no other load)",
                      pct(quiet, 50) * 1000, "ms", "≤ 50", pct(quiet, 50) <= 0.05)
            table.add("bus: commit → consumer's effect, p99, one approval at a time (no other load)",
                      pct(quiet, 99) * 1000, "ms", "≤ 250", pct(quiet, 99) <= 0.25)
            with prof.phase("trivial"):
                trivial = wrk(f"{base}/health/live", seconds)
            table.add("gateway: trivial route (GET /health/live), 16 connections", trivial["rate"], "req/s",
                      "≥ 6,000", trivial["rate"] >= 6000, f"{trivial['rate'] / hello['rate']:.2f} × hello-world")
            before, ops = gateway_rpc_counts(base), store_ops(every_store)
            with prof.phase("read"):
                read = wrk(f"{base}/api/units/{k.city}", seconds, headers={"Authorization": token})
            after, ops = gateway_rpc_counts(base), store_ops(every_store) - ops
            served = read["rate"] * seconds
            identity = (after.get("registry.actor_of", 0) - before.get("registry.actor_of", 0)) / max(served, 1)
            table.add("gateway: one-RPC read (GET /api/units/{id}, signed in), 16 connections", read["rate"],
                      "req/s", "≥ 1,000", read["rate"] >= 1000, f"{read['rate'] / hello['rate']:.3f} × hello-world")
            if after:
                table.add("gateway: identity RPCs per signed-in request", identity, "", "0 on the hot path",
                          identity < 0.01)
            else:
                print("  (this gateway counts no RPCs: identity RPCs per request not measured)", flush=True)
            table.add("gateway: one-RPC read p50 / p99 (16 connections)", read["p50"], f"ms / {read['p99']:.1f} ms")
            table.add("gateway: store operations per one-RPC read", ops / max(served, 1), "")
            with prof.phase("rpc"):
                rl = rpc_latency(gateway_amqp, actor["user_id"], actor["person_id"], k.city, 16, 1000 if args.quick else 3000)
            table.add("RPC from the gateway's client, 16 callers: p50", rl["p50"], "ms", "≤ 3", rl["p50"] <= 3)
            table.add("RPC from the gateway's client, 16 callers: p99", rl["p99"], "ms", "≤ 15", rl["p99"] <= 15)
            table.add("RPC from the gateway's client, 16 callers: rate", rl["rate"], "calls/s")

            ops = store_ops(every_store)
            with prof.phase("ingest"):
                f = ingest(k, reports, 8)
            ops = store_ops(every_store) - ops
            submit_rate = f["submitted"] / f["submit_seconds"]
            table.add("ingest: reports submitted by 8 HTTP clients", submit_rate, "reports/s", "≥ 300",
                      submit_rate >= 300)
            table.add("ingest: reports approved by 8 HTTP clients", f["approved"] / f["approve_seconds"], "reports/s")
            table.add("ingest: aggregate counts every approval, after the last answered", f["lag_seconds"], "s",
                      "≤ 1", f["lag_seconds"] <= 1)
            table.add("ingest: store operations per report (submitted, approved, every consumer)",
                      ops / f["approved"], "")
            lat = approval_latencies(reports_db, f["report_ids"])
            table.add("bus: commit → consumer's effect, p50 (approvals of the ingest)", pct(lat, 50) * 1000, "ms",
                      "≤ 50", pct(lat, 50) <= 0.05)
            table.add("bus: commit → consumer's effect, p99 (approvals of the ingest)", pct(lat, 99) * 1000, "ms",
                      "≤ 250", pct(lat, 99) <= 0.25)
            ops = store_ops(every_store)
            with prof.phase("bus"):
                burst = bus_burst(reports_uri, running.topology["services"]["reports"]["database"], running.admin_amqp_uri, k, events)
            ops = store_ops(every_store) - ops
            table.add(f"bus: {events:,} committed events through outbox → relay → RabbitMQ → aggregate handler",
                      burst["rate"], "events/s", "≥ 1,000 and ≥ 50 % of raw publish", burst["rate"] >= 1000
                      and burst["rate"] >= kb["publish"] / 2, f"{burst['rate'] / kb['publish']:.2f} × raw kombu publish")
            table.add("bus: store operations per event (the relay, three consumers)",
                      ops / events, "")
            table.add("bus: events per transaction of the aggregate handler (its batches)",
                      events / burst["transactions"], "")
            loaded = rss_of(procs)

            small = {} if args.no_growth else {"read_p50": read["p50"], "read_p99": read["p99"],
                     "submit_p50": pct(f["submit_latencies"], 50) * 1000,
                     "submit_p99": pct(f["submit_latencies"], 99) * 1000}
            large = {}
            if small:
                print(f"growth: {reports * 10:,} more reports (10x) …", flush=True)
                ingest(k, reports * 10, 8)
                read2 = wrk(f"{base}/api/units/{k.city}", seconds, headers={"Authorization": token})
                f2 = ingest(k, reports, 8)
                large = {"read_p50": read2["p50"], "read_p99": read2["p99"],
                         "submit_p50": pct(f2["submit_latencies"], 50) * 1000,
                         "submit_p99": pct(f2["submit_latencies"], 99) * 1000}
            for key, label in (("read_p50", "one-RPC read p50"), ("read_p99", "one-RPC read p99"),
                               ("submit_p50", "report submission p50"), ("submit_p99", "report submission p99")
                               ) if large else ():
                ratio = large[key] / small[key]
                table.add(f"growth: {label}, with 11x the reports", large[key], f"ms (was {small[key]:.1f} ms)",
                          "the same (≤ 1.5×)", ratio <= 1.5, f"{ratio:.2f} × before")
        finally:
            stop(running)
    print()
    print(f"baselines (same run): raw kombu publish {kb['publish']:,.0f} msg/s, consume {kb['consume']:,.0f} msg/s; "
          f"hello-world {hello['rate']:,.0f} req/s; pymongo insert_one {sb['rate']:,.0f}/s (p50 {sb['p50']:.2f} ms)")
    print()
    print(table.show())
    print()
    print("resident memory (MB): process, at rest → after the load")
    for name in procs:
        print(f"  {name:<22} {rest.get(name, 0):7.1f} → {loaded.get(name, 0):7.1f}")
    if args.profile:
        print(f"\nwhere the samples fell (py-spy, {args.profile}): inclusive %, exclusive %, frame")
        for path in sorted(Path(args.profile).glob("*.txt")):
            rows = summarise(path, 8)
            if rows:
                print(f"  {path.stem}")
                for frame, inc, exc in rows:
                    print(f"    {inc * 100:5.1f} {exc * 100:5.1f}  {frame[:150]}")
    if args.markdown:
        Path(args.markdown).write_text(table.show() + "\n")


if __name__ == "__main__":
    main()
