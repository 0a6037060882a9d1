"""`make demo`: a living Khorasan Razavi in the running system, so that a newcomer who opens the web
app sees charts with meaning. Run it beside `make run` (another terminal); it is a client of the
gateway like any other and loads, deterministically from --seed:

- neighborhoods of Mashhad and the counties' kanoons — about 100, neighborhood and specialized — from
  HQ-style Excel lists (the import jobs), with their heads and deputies;
- about 10,000 members with plausible demographics (gender, age, education, occupation), most of
  them in a kanoon, some not yet placed;
- staff: the province manager, the planning and oversight heads, city secretaries;
- a year of activity reports (the province's report window opened to 365 days for the load, then
  set back), most approved by their heads, some rejected with a reason, the latest few waiting;
  collective programs most months; monthly reports (those sent now are late but for the last month);
  the province's campaigns with reports tied to them.

It prints the demo users and their password at the end. Loading it again finds what it made (the
imports report duplicates) and adds a second year of nothing: run it on a fresh store.

    python -m devenv.demo                           # ~100 kanoons, ~10,000 members
    python -m devenv.demo --kanoons 5 --members 300 # a small one
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import openpyxl

from kernel import jalali
from kernel.persian import is_valid_national_id

ROOT = Path(__file__).resolve().parent.parent
PROVINCE, CAPITAL = "IR-09", "IR-09-MSH"
PASSWORD = "demo-password-1405"
FIRST_M = ("علی", "محمد", "حسین", "رضا", "مهدی", "حسن", "جواد", "امیر", "سعید", "مجید", "محسن", "ابوالفضل", "مصطفی", "هادی")
FIRST_F = ("زهرا", "فاطمه", "مریم", "معصومه", "سکینه", "نرگس", "سمیه", "طاهره", "زینب", "الهه", "مهدیه", "رقیه", "لیلا")
LAST = ("رضایی", "محمدی", "حسینی", "کریمی", "احمدی", "موسوی", "جعفری", "صادقی", "رضوی", "قاسمی", "طاهری", "نوری",
        "هاشمی", "عباسی", "نیشابوری", "سبزواری", "مشهدی", "خراسانی", "یزدانی", "فرهادی")
EDUCATION = (("ابتدایی", 4), ("زیر دیپلم", 9), ("دیپلم", 30), ("کاردانی", 12), ("کارشناسی", 32), ("کارشناسی ارشد", 11),
             ("دکتری", 2))
OCCUPATION = (("کارمند", 18), ("آزاد", 20), ("معلم", 10), ("دانشجو", 14), ("خانه‌دار", 15), ("بازنشسته", 10),
              ("پزشک", 2), ("کارگر", 8), ("طلبه", 3))
NEIGHBORHOODS = ("سناباد", "احمدآباد", "طلاب", "سیدی", "قاسم‌آباد", "الهیه", "وکیل‌آباد", "طرق", "نوده", "پنجتن",
                 "سجاد", "کوی امیر", "رسالت", "خواجه ربیع", "عامل", "بهمن", "هاشمیه", "شهید رجایی")
PROGRAMS = ("چهارشنبه امام رضایی", "جشن میلاد", "محفل انس با قرآن", "زیارت اولی‌ها", "دیدار با خانواده‌های شهدا")
FIELDS = (("medical", "social"), ("dental", "social"), ("art", "cultural"), ("legal", "social"))
MEMBER_HEADER = ["کد ملی", "نام", "نام خانوادگی", "نوع", "جنسیت", "تاریخ تولد", "تحصیلات", "شغل", "شهرستان",
                 "تلفن همراه", "کد خدمتی", "کانون"]


def weighted(rng: random.Random, pairs) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def national_ids(rng: random.Random):
    seen = set()
    while True:
        body = f"{rng.randrange(1, 999_999_999):09d}"
        r = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
        nid = body + str(r if r < 2 else 11 - r)
        if nid not in seen and is_valid_national_id(nid):
            seen.add(nid)
            yield nid


@dataclass
class Kanoon:
    code: str
    name: str
    kind: str
    unit: str
    field: str | None
    area: str | None
    founded: date
    head: list
    deputy: list
    size: int
    reporters: list = field(default_factory=list)   # member rows with accounts who report


@dataclass
class Plan:
    neighborhoods: list[tuple[str, str]]
    kanoons: list[Kanoon]
    members: list[list]   # rows of MEMBER_HEADER; the kanoon column holds the kanoon's code until loaded
    staff: list[tuple[str, str, str]]   # username, role, scope


def make_plan(seed: int, kanoons: int, members: int, today: date) -> Plan:
    """Everything the demo loads, from the seed alone (no I/O)."""
    rng = random.Random(seed)
    ids = national_ids(rng)
    counties = [u for u in json.loads((ROOT / "services/registry/data/units.json").read_text())["units"]
                if u["kind"] == "city" and u["parent_id"] == PROVINCE]
    hoods = [(f"{CAPITAL}-H{i + 1:02d}", name) for i, name in enumerate(NEIGHBORHOODS)]

    def person(kind: str, city: str, gender: str | None = None, age_range=(18, 70), education=EDUCATION) -> list:
        nid = next(ids)
        gender = gender or ("مرد" if rng.random() < 0.56 else "زن")
        first = rng.choice(FIRST_M if gender == "مرد" else FIRST_F)
        jy = jalali.jalali_year_month(today)[0] - rng.randint(*age_range)
        return [nid, first, rng.choice(LAST), kind, gender, f"{jy}/{rng.randint(1, 12):02d}/{rng.randint(1, 29):02d}",
                weighted(rng, education), weighted(rng, OCCUPATION), city, f"09{rng.randrange(10**8, 10**9)}",
                f"09-{nid}" if kind == "خادمیار" else None, None]

    ks: list[Kanoon] = []
    for i in range(kanoons):
        specialized = i % 5 == 4
        if specialized:
            fld, area = FIELDS[(i // 5) % len(FIELDS)]
            unit, city = CAPITAL, CAPITAL
        else:
            fld = area = None
            if rng.random() < 0.55:
                unit, city = rng.choice(hoods)[0], CAPITAL
            else:
                city = rng.choice(counties)["id"]
                unit = city
        founded = today - timedelta(days=rng.randint(400, 1500))
        head = person("خادمیار", city, age_range=(28, 60), education=EDUCATION[2:])   # §2.3: at least a diploma
        deputy = person("خادمیار", city, age_range=(24, 60))
        size = rng.randint(12, 95) if not specialized else rng.randint(8, 40)
        name = (f"کانون خدمت رضوی {fld and {'medical': 'پزشکی', 'dental': 'دندانپزشکی', 'art': 'هنر', 'legal': 'حقوقی'}[fld] or ''}"
                f" {rng.choice(('امام رضا', 'کوثر', 'ثامن', 'ضامن آهو', 'نور', 'امید', 'ولایت', 'هدایت', 'بصیرت'))} {i + 1}").replace("  ", " ")
        ks.append(Kanoon(code=f"K{i + 1:03d}", name=name, kind="تخصصی" if specialized else "محله‌محور", unit=unit,
                         field=fld, area={"cultural": "فرهنگی", "social": "اجتماعی"}.get(area), founded=founded,
                         head=head, deputy=deputy, size=size))
    rows: list[list] = []
    total_sizes = sum(k.size for k in ks) or 1
    placed = int((members - 2 * len(ks)) * 0.8)
    for k in ks:
        city = k.head[8]
        ceiling = 98 if k.kind == "محله‌محور" else 300   # 100 with the head and deputy; specialized: wider
        for j in range(max(0, min(ceiling, round(placed * k.size / total_sizes)))):
            r = person("خادمیار" if rng.random() < 0.35 else "یاور", city)
            r[11] = k.code
            rows.append(r)
            if j < 3:
                k.reporters.append(r)
    while len(rows) + 2 * len(ks) < members:
        rows.append(person("یاور", rng.choice(counties)["id"] if rng.random() < 0.5 else CAPITAL))
    staff = [("hq.manager", "province_manager", PROVINCE), ("hq.planning", "planning_head", PROVINCE),
             ("hq.oversight", "oversight_head", PROVINCE), ("sec.mashhad", "city_secretary", CAPITAL),
             ("sec.neyshabur", "city_secretary", "IR-09-NSH")]
    return Plan(neighborhoods=hoods, kanoons=ks, members=rows, staff=staff)


# ---------------------------------------------------------------- loading, over HTTP

class Client(httpx.Client):
    """Retries a 503/504 with the same Idempotency-Key, as Khadem's clients should."""

    def request(self, method, url, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() not in ("GET", "HEAD"):
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        for attempt in range(6):
            r = super().request(method, url, headers=headers, **kwargs)
            if r.status_code not in (503, 504) or attempt == 5:
                return r
            time.sleep(min(float(r.headers.get("Retry-After") or 1), 5))
        return r


def sign_in(base: str, username: str, password: str) -> Client:
    r = httpx.post(f"{base}/token", data={"username": username, "password": password}, timeout=60)
    if r.status_code != 200:
        raise SystemExit(f"demo: {username} could not sign in: {r.text}")
    return Client(base_url=base, headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=120)


def ok(r: httpx.Response, *expected: int) -> dict:
    if r.status_code not in (expected or (200, 201)):
        raise SystemExit(f"demo: {r.request.method} {r.request.url.path} answered {r.status_code}: {r.text}")
    return r.json()


def xlsx(header: list, rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("فهرست")
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def run_import(api: Client, kind: str, name: str, content: bytes) -> dict:
    job = ok(api.post("/api/imports", data={"kind": kind}, files={"file": (name, content)}), 202)
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        job = ok(api.get(f"/api/imports/{job['id']}", params={"limit": 1}))
        print(f"\r  {name}: {job['progress'] * 100:5.1f}%  {job['done_rows']:,}/{job['rows']:,}", end="", flush=True)
    print(f"\r  {name}: {job['accepted']:,} added, {job['duplicates']:,} already there, {job['refused']:,} refused")
    if job["status"] == "failed":
        raise SystemExit(f"demo: the import of {name} failed: {job['error']}")
    return job


def parallel(fn, items, workers: int = 8, what: str = "") -> list:
    out, done = [], 0
    with ThreadPoolExecutor(workers) as pool:
        for result in pool.map(fn, items):
            out.append(result)
            done += 1
            if done % 50 == 0 or done == len(items):
                print(f"\r  {what}: {done:,}/{len(items):,}", end="", flush=True)
    print()
    return out


def ensure_admin(base: str, env: dict) -> Client:
    password = env.get("KHADEM_ADMIN_PASSWORD") or PASSWORD
    r = httpx.post(f"{base}/token", data={"username": "admin", "password": password}, timeout=60)
    if r.status_code != 200:
        print("demo: creating the administrator 'admin'")
        subprocess.run([sys.executable, "-m", "services.registry.cli", "create-admin", "--username", "admin"],
                       cwd=ROOT, env={**env, "KHADEM_ADMIN_PASSWORD": password}, check=True, stdout=subprocess.DEVNULL)
    return sign_in(base, "admin", password)


def load(base: str, plan: Plan, today: date, env: dict) -> list[tuple[str, str]]:
    rng = random.Random(7)
    admin = ensure_admin(base, env)
    users = [("admin", env.get("KHADEM_ADMIN_PASSWORD") or PASSWORD, "مدیر سامانه (ستاد مرکزی)")]
    print("demo: staff")
    for username, role, scope in plan.staff:
        if httpx.post(f"{base}/token", data={"username": username, "password": PASSWORD}).status_code == 200:
            continue
        nid = next(national_ids(random.Random(username)))
        p = admin.post("/api/members", json={"kind": "yavar", "national_id": nid, "first_name": "کارشناس",
                                             "last_name": username.split(".")[1], "gender": "male",
                                             "birth_date": "1360/01/01", "education": "master",
                                             "city_id": scope if scope != PROVINCE else CAPITAL, "mobile": "09150000000"})
        pid = ok(p, 201)["id"]
        ok(admin.post("/api/roles", json={"person_id": pid, "role": role, "scope_id": scope}), 201)
        ok(admin.post("/api/accounts", json={"person_id": pid, "username": username, "password": PASSWORD}), 201)
    manager = sign_in(base, "hq.manager", PASSWORD)
    settings = ok(manager.get(f"/api/provinces/{PROVINCE}/settings"))
    ok(manager.put(f"/api/provinces/{PROVINCE}/settings",
                   json={k: settings[k] for k in ("transfer_expiry_days", "move_window_days", "monthly_deadline_day",
                                                  "terminal_quiet_days", "voucher_overdue_days")} | {"report_window_days": 365}))
    print("demo: HQ's lists")
    units = "id,name,kind,parent\r\n" + "".join(f"{i},{n},محله,{CAPITAL}\r\n" for i, n in plan.neighborhoods)
    run_import(admin, "units", "neighborhoods.csv", units.encode("utf-8-sig"))
    leaders = [k.head for k in plan.kanoons] + [k.deputy for k in plan.kanoons]
    run_import(manager, "members", "leaders.xlsx", xlsx(MEMBER_HEADER, leaders))
    kanoon_rows = [[k.code, k.name, k.kind, k.unit, k.head[0], k.deputy[0], jalali.format_date(k.founded),
                    k.field, k.area] for k in plan.kanoons]
    job = run_import(manager, "kanoons", "kanoons.xlsx", xlsx(
        ["کد کانون", "نام کانون", "نوع", "واحد", "کد ملی مسئول", "کد ملی معاون", "تاریخ تأسیس", "رشته", "معاونت"], kanoon_rows))
    from services.registry.domain.imports import kanoon_id   # the id a listed kanoon gets
    kid = {k.code: kanoon_id(k.unit, k.code) for k in plan.kanoons}
    rows = [r[:11] + [kid[r[11]] if r[11] else None] for r in plan.members]
    run_import(manager, "members", "members.xlsx", xlsx(MEMBER_HEADER, rows))
    if job["refused"]:
        raise SystemExit("demo: some kanoons were refused; load the demo on a fresh store")

    print("demo: accounts of the heads and of three members per kanoon")
    people = {}
    for k in plan.kanoons:
        found = ok(manager.get(f"/api/kanoons/{kid[k.code]}/members"))
        people.update({p["national_id"]: p["id"] for p in found if p.get("national_id")})

    def make_account(item):
        nid, username = item
        r = admin.post("/api/accounts", json={"person_id": people[nid], "username": username, "password": PASSWORD})
        if r.status_code not in (201, 409):
            ok(r, 201)
    accounts = [(k.head[0], f"head.{k.code.lower()}") for k in plan.kanoons]
    accounts += [(r[0], f"member.{k.code.lower()}.{j + 1}") for k in plan.kanoons for j, r in enumerate(k.reporters)]
    parallel(make_account, accounts, 4, "accounts")

    print("demo: campaigns")
    planning = sign_in(base, "hq.planning", PASSWORD)
    campaigns = []
    for months_ago, title, types in ((8, "پویش همدلی زمستانه", ["food_packages", "dowry_help"]),
                                     (4, "پویش نذر خون", ["blood_donation"]), (1, "پویش مهربانی", ["food_packages"])):
        month = jalali.period_of(today)
        for _ in range(months_ago):
            month = jalali.period_of(month.first_day - timedelta(days=1))
        c = planning.post("/api/campaigns", json={"title": title, "scope_id": PROVINCE,
                                                   "starts_on": jalali.format_date(month.first_day),
                                                   "ends_on": jalali.format_date(min(month.end_day - timedelta(days=1), today)),
                                                   "service_types": types})
        if c.status_code == 201:
            if c.json()["status"] == "draft":   # a local campaign waits for the manager's approval
                ok(manager.post(f"/api/campaigns/{c.json()['id']}/approval"))
            campaigns.append((c.json()["id"], month, types))
        else:
            print(f"  campaign {title}: {c.json().get('message')}")

    print("demo: a year of activity reports")
    clients: dict[str, Client] = {}

    def client(username: str) -> Client:
        if username not in clients:
            clients[username] = sign_in(base, username, PASSWORD)
        return clients[username]
    types_of = {}
    for k in plan.kanoons:
        types_of[k.code] = [t["id"] for t in ok(manager.get("/api/service-types", params={"for": kid[k.code]}))
                            if t["id"] != "other"]
    start = today - timedelta(days=340)
    reports = []
    for k in plan.kanoons:
        if not k.reporters:
            continue
        day = max(start, k.founded)
        while day <= today:
            for _ in range(rng.randint(1, 3)):
                d = min(today, day + timedelta(days=rng.randint(0, 20)))
                reporter = rng.randrange(len(k.reporters))
                st = rng.choice(types_of[k.code])
                body = {"kanoon_id": kid[k.code], "service_type": st, "day": jalali.format_date(d),
                        "hours": rng.choice((1, 1.5, 2, 3, 4, 6)), "place": rng.choice(("مسجد محل", "حسینیه", "خانه بهداشت", "مدرسه")),
                        "beneficiaries": rng.randint(2, 60), "description": "خدمت کانون در محله"}
                for cid, month, ctypes in campaigns:
                    if st in ctypes and month.first_day <= d < month.end_day:
                        body["campaign_id"] = cid
                reports.append((f"member.{k.code.lower()}.{reporter + 1}", f"head.{k.code.lower()}", body))
            day += timedelta(days=30)

    def submit(item):
        username, head, body = item
        for _ in range(40):   # the reports service learns the memberships from the registry's events
            r = client(username).post("/api/activity-reports", json=body)
            if r.status_code == 201:
                return head, r.json()["id"], body["day"]
            if r.status_code != 403:
                break
            time.sleep(0.5)
        print(f"\n  a report was refused: {r.status_code} {r.text[:200]}")
        return None
    submitted = [s for s in parallel(submit, reports, 8, "reports submitted") if s]
    recent = jalali.format_date(today - timedelta(days=6))

    def review(item):
        head, rid, day = item
        if day >= recent and rng.random() < 0.6:
            return   # the latest few wait on the heads' desks
        body = {"approve": True} if rng.random() < 0.93 else {"approve": False, "reason": "تصویر یا شرح کافی پیوست نشده است"}
        r = client(head).post(f"/api/activity-reports/{rid}/review", json=body)
        return None if r.status_code == 200 else f"{r.status_code} {r.json().get('message')}"
    refused = [x for x in parallel(review, submitted, 8, "reports reviewed") if x]
    if refused:
        print(f"  {len(refused)} reviews refused, e.g. {refused[0]}")

    print("demo: collective programs and monthly reports")
    months = []
    m = jalali.period_of(today)
    for _ in range(11):
        m = jalali.period_of(m.first_day - timedelta(days=1))
        months.append(m)
    work = []
    for k in plan.kanoons:
        for month in months:
            if month.first_day < k.founded:
                continue
            if k.kind == "محله‌محور" and rng.random() < 0.85:
                work.append(("program", k, month))
            if rng.random() < 0.88:
                work.append(("monthly", k, month))

    def program_or_month(item):
        what, k, month = item
        head = client(f"head.{k.code.lower()}")
        if what == "program":
            held = month.first_day + timedelta(days=rng.randint(0, 25))
            r = head.post("/api/programs", json={"kanoon_id": kid[k.code], "title": rng.choice(PROGRAMS),
                                                 "held_on": jalali.format_date(held), "attendance": rng.randint(20, 300)})
        else:
            asked = rng.randint(3, 30)
            r = head.post("/api/monthly-reports", json={"kanoon_id": kid[k.code], "month": str(month),
                                                         "clients": rng.randint(20, 400), "public_requests": asked,
                                                         "public_requests_answered": rng.randint(asked // 2, asked),
                                                         "narrative": "گزارش فعالیت‌های ماه کانون",
                                                         **({"supplementary": "تکمله: خدمات تخصصی ماه و آمار مراجعان"}
                                                            if k.kind == "تخصصی" else {})})
        return None if r.status_code in (201, 409) else f"{what}: {r.status_code} {r.json().get('message')}"
    refused = [x for x in parallel(program_or_month, work, 8, "programs and monthly reports") if x]
    if refused:
        print(f"  {len(refused)} refused, e.g. {refused[0]}")
    ok(manager.put(f"/api/provinces/{PROVINCE}/settings",
                   json={k: settings[k] for k in ("transfer_expiry_days", "move_window_days", "report_window_days",
                                                  "monthly_deadline_day", "terminal_quiet_days", "voucher_overdue_days")}))
    first = plan.kanoons[0].code.lower()
    users += [("hq.manager", PASSWORD, "مدیر استان خراسان رضوی: نگاه کلی و نمودارها"),
              ("hq.oversight", PASSWORD, "مسئول نظارت استان"),
              ("sec.mashhad", PASSWORD, "دبیر شهرستان مشهد"),
              (f"head.{first}", PASSWORD, f"مسئول {plan.kanoons[0].name}"),
              (f"member.{first}.1", PASSWORD, f"عضو {plan.kanoons[0].name}: ثبت گزارش خدمت")]
    return users


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("GATEWAY_URL") or f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}")
    ap.add_argument("--web", default=f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}")
    ap.add_argument("--seed", type=int, default=1405)
    ap.add_argument("--kanoons", type=int, default=100)
    ap.add_argument("--members", type=int, default=10_000)
    args = ap.parse_args()
    try:
        httpx.get(f"{args.url}/health/live", timeout=5).raise_for_status()
    except httpx.HTTPError:
        raise SystemExit(f"demo: no gateway answers at {args.url}; start the system first (make run)") from None
    today = jalali.today()
    started = time.monotonic()
    plan = make_plan(args.seed, args.kanoons, args.members, today)
    print(f"demo: Khorasan Razavi — {len(plan.kanoons)} kanoons, {len(plan.members) + 2 * len(plan.kanoons):,} members "
          f"(seed {args.seed})")
    users = load(args.url, plan, today, dict(os.environ))
    print(f"\ndemo: loaded in {time.monotonic() - started:.0f}s. Open {args.web}/ and sign in as:")
    width = max(len(u) for u, _, _ in users)
    for username, password, who in users:
        print(f"  {username:<{width}}  {password}   {who}")


if __name__ == "__main__":
    main()
