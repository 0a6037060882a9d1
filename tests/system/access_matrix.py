"""The access matrix: every route of the gateway × every role (and a plain member, and nobody) × a
target in the caller's own unit or in another province → allowed or refused, as one table says.

`ACCESS` is that table: for each route, the roles that may use it on their own unit (roles are
granted on the own side: province roles on its province, city roles on its city, a kanoon's head
and deputy on its kanoon). Whatever a role may do on its own unit it may not do on another
province's, unless its grant is the country's (the Center's administrators); a route for everyone
signed in, or for the public, is marked so. `World` builds two sides — own and other, each a
province with a city, kanoons, people and one of every kind of record a route names — and
`requests_for` turns a route into the request a client would send for either side, its body from
the example the API documents (`/docs`), its ids the side's.

Outcomes: *allowed* is anything but 401/403 (and not 404, which would mean the world lacks the
target); *refused* is 401, 403 or 404 (a service may hide what is not yours). A refused cell that
answers 2xx is a leak; an allowed cell refused is a wrong refusal. Run by
`tests/system/test_access_matrix.py` in `make test`; `python -m tests.system.access_matrix
--base URL --password P` records what a running system answers, for review.
"""
from __future__ import annotations

import copy
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx

from kernel import jalali
from tests.system.helpers import Api, account, eventually, form_kanoon, member, next_nid, person_body, sign_in

PASSWORD = "password-123"
SPECIAL_FIELD = "medical"

# Every role of the catalogue (services/registry/domain/roles.py), by the level it is granted at.
PROVINCE_ROLES = (
    "coordination_council", "province_manager", "secretariat_head", "province_secretary", "finance_expert",
    "vows_expert", "support_expert", "pr_head", "planning_head", "oversight_head", "selection_liaison",
    "khademyari_deputy", "system_head", "network_development_head", "training_head", "evaluation_head",
    "quality_evaluation_group", "cultural_deputy", "social_deputy", "neighborhood_deputy",
    "specialized_secretary", "sponsoring_institution", "protection_committee")
CITY_ROLES = ("city_secretary", "county_liaison")
KANOON_ROLES = ("kanoon_head", "kanoon_deputy")
FIELD_ROLES = ("specialized_secretary", "sponsoring_institution")
ROLES = ("admin",) + PROVINCE_ROLES + CITY_ROLES + KANOON_ROLES
MEMBER, NOBODY = "member", "nobody"
ACTORS = ROLES + (MEMBER, NOBODY)
# The order allowed writes are sent in: the narrowest grants first.
BY_REACH = (MEMBER,) + KANOON_ROLES + CITY_ROLES + PROVINCE_ROLES + ("admin", NOBODY)


def jdate(days: int = 0) -> str:
    return jalali.format_date(jalali.today() + timedelta(days=days))


@dataclass
class Side:
    name: str
    province: str
    city: str
    kanoon: str = ""
    ids: dict = field(default_factory=dict)        # everything a route or a body may name
    apis: dict = field(default_factory=dict)       # role (and "member") → signed-in client
    people: dict = field(default_factory=dict)     # role (and "member") → person id


class World:
    """Two sides, built through the gateway by the people whose work each record is."""

    def __init__(self, base: str, admin: Api, proxy_secret: str | None = None):
        self.base, self.admin = base, admin
        self.headers = {}
        if proxy_secret:   # as if through the web app, from an address of the matrix's own (see `clients`)
            self.headers = {"X-Khadem-Proxy": proxy_secret, "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.9"}
        self.tag = uuid.uuid4().hex[:5].upper()
        self.sides = {name: self._side(name) for name in ("own", "other")}

    # -- people and places
    def _side(self, name: str) -> Side:
        t = self.tag + ("A" if name == "own" else "B")
        province, city = f"IR-X{t}", f"IR-X{t}-C"
        for body in ({"id": province, "name": f"استان {name}", "kind": "province", "parent_id": "IR-R2"},
                     {"id": city, "name": f"شهرستان {name}", "kind": "city", "parent_id": province}):
            r = self.admin.post("/api/units", json=body)
            assert r.status_code == 201, r.text
        side = Side(name, province, city)
        # Small kanoons: a member may move without the origin falling below its floor.
        r = self.admin.put("/api/membership-policies", json={"province_id": province, "kanoon_type": "neighborhood",
                                                              "floor": 2, "ceiling": 100})
        assert r.status_code == 200, r.text
        side.apis["admin"] = self.admin
        side.apis[NOBODY] = Api(base_url=self.base, timeout=30, headers=self.headers)
        for role in PROVINCE_ROLES + CITY_ROLES:
            scope = province if role in PROVINCE_ROLES else city
            pid = member(self.admin, city=city)
            grant = {"person_id": pid, "role": role, "scope_id": scope}
            if role in FIELD_ROLES:
                grant["field"] = SPECIAL_FIELD
            r = self.admin.post("/api/roles", json=grant)
            assert r.status_code == 201, (role, r.text)
            side.ids[f"assignment:{role}"] = r.json()["id"]
            side.apis[role] = account(self.admin, self.base, pid, f"mx.{role[:12]}.{t.lower()}")
            side.people[role] = pid
        sec = side.apis["city_secretary"]
        head, deputy = member(self.admin, city=city), member(self.admin, city=city)
        side.apis["kanoon_head"] = account(self.admin, self.base, head, f"mx.head.{t.lower()}")
        side.kanoon = form_kanoon(side.apis["kanoon_head"], head, deputy, sec, f"کانون {name}", unit=city,
                                  founding_date=jdate(-200))
        side.apis["kanoon_deputy"] = account(self.admin, self.base, deputy, f"mx.deputy.{t.lower()}")
        side.people.update(kanoon_head=head, kanoon_deputy=deputy)
        # A second kanoon (a transfer's destination, a partner, a need's match) and a draft one.
        h2, d2 = member(self.admin, city=city), member(self.admin, city=city)
        side.ids["kanoon2"] = form_kanoon(account(self.admin, self.base, h2, f"mx.head2.{t.lower()}"), h2, d2, sec,
                                          f"کانون دوم {name}", unit=city, founding_date=jdate(-200))
        side.ids["kanoon2_head"] = h2
        h3, d3 = member(self.admin, city=city), member(self.admin, city=city)
        head3 = account(self.admin, self.base, h3, f"mx.head3.{t.lower()}")
        r = head3.post("/api/kanoons", json={"name": f"کانون نوپا {name}", "kind": "neighborhood", "unit_id": city,
                                             "head_id": h3, "deputy_id": d3})
        assert r.status_code == 201, r.text
        side.ids["draft"] = r.json()["id"]
        # Members: one with an account (the plain member), one to move, one to let go.
        yavar = member(self.admin, kind="yavar", city=city)
        assert side.apis["kanoon_head"].post("/api/memberships", json={"person_id": yavar,
                                                                       "kanoon_id": side.kanoon}).status_code == 200
        side.apis[MEMBER] = account(self.admin, self.base, yavar, f"mx.member.{t.lower()}")
        side.people[MEMBER] = yavar
        for key in ("mover", "leaver", "leaver2"):
            pid = member(self.admin, kind="yavar", city=city)
            assert side.apis["kanoon_head"].post("/api/memberships", json={"person_id": pid,
                                                                           "kanoon_id": side.kanoon}).status_code == 200
            side.ids[key] = pid
        side.ids["unplaced"] = member(self.admin, kind="yavar", city=city)
        victim = member(self.admin, city=city)
        r = self.admin.post("/api/accounts", json={"person_id": victim, "username": f"mx.victim.{t.lower()}",
                                                   "password": PASSWORD})
        assert r.status_code == 201, r.text
        side.ids["victim_user"] = r.json()["id"]
        side.ids["victim_assignment"] = side.ids["assignment:county_liaison"]
        self._records(side)
        return side

    # -- one record of every kind a route names
    def _make(self, side: Side, key: str | None, who: str, method: str, path: str, body=None, status=(200, 201),
              pick=lambda j: j["id"], **kwargs):
        api = side.apis[who]

        def send():
            r = api.request(method, path, json=body, **kwargs) if body is not None else api.request(method, path, **kwargs)
            return r if r.status_code in status else None
        r = eventually(send, timeout=20)
        if r is None:
            last = api.request(method, path, json=body, **kwargs) if body is not None else api.request(method, path, **kwargs)
            raise AssertionError(f"building {key or path} on {side.name} as {who}: {last.status_code} {last.text}")
        if key:
            side.ids[key] = pick(r.json())
        return r.json()

    def _records(self, s: Side) -> None:
        ids, k, p, c = s.ids, s.kanoon, s.province, s.city
        now = datetime.now(timezone.utc)
        # registry
        self._make(s, "replay_job", "admin", "POST", "/api/ops/registry/outbox/replay", {"types": "registry.unit."},
                   status=(202,))
        self._make(s, "application", "selection_liaison", "POST", "/api/applications", {
            "track": "yavar", "applicant": {**{x: v for x, v in person_body(kind="yavar", city=c).items()
                                               if x not in ("kind",)}}})
        self._make(s, "transfer", "kanoon_head", "POST", "/api/transfers",
                   {"person_id": ids["mover"], "to_kanoon_id": ids["kanoon2"]})
        # reports
        self._make(s, "service_type", "planning_head", "POST", "/api/service-types",
                   {"id": f"mx_{self.tag.lower()}_{s.name}", "name": "خدمت آزمون", "scope_id": p})
        report = {"kanoon_id": k, "service_type": "food_packages", "day": jdate(-1), "hours": 2, "place": "مسجد",
                  "beneficiaries": 3, "description": "توزیع بسته"}
        self._make(s, "report", MEMBER, "POST", "/api/activity-reports", report)
        self._make(s, "reservation", MEMBER, "POST", "/api/reservations", {
            "kanoon_id": k, "service_type": "food_packages", "day": jdate(3), "from_hour": 16, "to_hour": 18})
        self._make(s, "campaign", "planning_head", "POST", "/api/campaigns", {
            "title": "پویش", "scope_id": p, "starts_on": jdate(-3), "ends_on": jdate(20),
            "service_types": ["food_packages"]})
        self._make(s, "program", "kanoon_head", "POST", "/api/programs", {
            "kanoon_id": k, "title": "چهارشنبه امام رضایی", "held_on": jdate(-1), "attendance": 30})
        self._make(s, "plan", "kanoon_head", "POST", "/api/plans", {
            "kind": "kanoon_annual", "owner_id": k, "period": str(jalali.jalali_year_month(jalali.today())[0] + 1),
            "title": "برنامه سالانه", "items": [{"title": "چهارشنبه امام رضایی"}],
            "indices": [{"key": "programs", "target": 12, "title": "برنامه جمعی"}]})
        last = str(jalali.period_of(jalali.period_of(jalali.today()).first_day - timedelta(days=1)))
        ids["month"] = last
        self._make(s, None, "kanoon_head", "POST", "/api/monthly-reports", {
            "kanoon_id": k, "month": last, "clients": 40, "narrative": "چهار برنامه جمعی", "public_requests": 3,
            "public_requests_answered": 3})
        self._make(s, "beneficiary", "kanoon_head", "POST", "/api/beneficiaries", {
            "kanoon_id": k, "full_name": "خانواده آزمون", "household_size": 3})
        self._make(s, "need", "kanoon_head", "POST", "/api/needs", {"kanoon_id": k, "title": "ویزیت سالمند"})
        self._make(s, "project", "kanoon_head", "POST", "/api/projects", {
            "kanoon_id": k, "title": "طرح سلامت", "description": "ویزیت ماهانه", "invited_kanoon_ids": [ids["kanoon2"]],
            "need_ids": [ids["need"]]})
        # finance
        ids["terminal"] = f"POS-MX{self.tag}{s.name[:2].upper()}"
        self._make(s, None, "vows_expert", "POST", "/api/finance/terminals", {
            "terminal_id": ids["terminal"], "kind": "pos", "label": "کارتخوان", "owner_id": k})
        at = jalali.format_datetime(now - timedelta(minutes=5))
        self._make(s, "receipt", "vows_expert", "POST", "/api/finance/receipts", {
            "terminal_id": ids["terminal"], "rrn": "7001", "at": at, "amount": 1_000_000, "donor": "نیکوکار"})
        self._make(s, "fund_project", "vows_expert", "POST", "/api/finance/projects", {
            "kanoon_id": k, "title": "تعمیر سقف", "description": "بازسازی", "target": 50_000_000})
        self._make(s, "funding", "finance_expert", "POST", "/api/finance/fundings", {
            "amount": 10_000_000, "body": "اداره کل اوقاف", "body_kind": "province_body", "owner_id": p,
            "purpose": "بسته‌ها", "received_on": jdate(-10), "reference": f"MX-{self.tag}"})
        pdf = b"%PDF-1.4\n% invoice\n"
        self._make(s, "document", "kanoon_head", "POST", "/api/finance/documents",
                   files={"file": ("invoice.pdf", pdf, "application/pdf")}, data={"owner_id": k})
        self._make(s, "expense", "kanoon_head", "POST", "/api/finance/expenses", {
            "amount": 350_000, "category": "پذیرایی", "description": "پذیرایی برنامه", "document_ids": [ids["document"]],
            "owner_id": k, "spent_on": jdate(-2)})
        self._make(s, "voucher", "kanoon_head", "POST", "/api/finance/vouchers",
                   {"expense_ids": [ids["expense"]], "owner_id": k})
        # A statement that differs from the receipts: a finding for the oversight head to review.
        self._make(s, None, "vows_expert", "POST", "/api/finance/statements", {
            "terminal_id": ids["terminal"], "day": jalali.format_date(jalali.local_date(now - timedelta(minutes=5))),
            "count": 1, "total": 900_000})
        rows = f"terminal_id,rrn,at,amount\n{ids['terminal']},7002,{at},250000\n".encode()
        self._make(s, "batch", "vows_expert", "POST", "/api/finance/receipt-batches", status=(202,),
                   files={"file": ("receipts.csv", rows, "text/csv")})
        people_rows = ("national_id,first_name,last_name,kind,gender,birth_date,education,city,mobile\n"
                       f"{next_nid()},سارا,کریمی,یاور,زن,1370/01/01,diploma,{c},09150000000\n").encode()
        self._make(s, "job", "city_secretary", "POST", "/api/imports", status=(202,),
                   files={"file": ("members.csv", people_rows, "text/csv")}, data={"kind": "members"})
        self._make(s, "consolidated", "finance_expert", "POST", "/api/finance/statements/consolidated", {
            "period": f"{jalali.jalali_year_month(jalali.today())[0]}-Q1", "province_id": p})
        self._make(s, "asset", "secretariat_head", "POST", "/api/finance/assets", {
            "acquired_on": jdate(-400), "code": f"PC-{self.tag}{s.name[:1]}", "custodian_id": s.people["support_expert"],
            "description": "رایانه", "unit_id": p, "value": 45_000_000})
        # oversight
        self._make(s, "tracking_code", NOBODY, "POST", "/api/public/complaints", {
            "subject_kind": "kanoon", "subject_id": k, "text": "در توزیع بسته‌ها تبعیض شد"},
            pick=lambda j: j["tracking_code"])
        self._make(s, None, MEMBER, "POST", "/api/complaints", {
            "subject_kind": "kanoon", "subject_id": k, "channel": "web", "anonymous": False,
            "text": "در توزیع بسته‌ها به چند خانواده چیزی نرسید"})
        items = self._make(s, None, "oversight_head", "GET", f"/api/units/{c}/complaints")["items"]
        ids["complaint"] = items[0]["id"]
        self._make(s, "violation", "oversight_head", "POST", "/api/violations", {
            "person_id": s.people[MEMBER], "source": "complaint", "source_id": ids["complaint"],
            "description": "دریافت وجه از خانواده‌ها"})
        self._make(s, "checklist", "oversight_head", "POST", "/api/checklists", {
            "key": "kanoon-periodic", "province_id": p, "title": "بازدید فصلی",
            "items": [{"key": "reports_on_time", "text": "گزارش‌ها به موقع", "weight": 3}]})
        self._make(s, "inspection", "city_secretary", "POST", "/api/inspections", {
            "checklist_id": ids["checklist"], "kind": "secretary_visit", "target_id": k})
        self._make(s, "attachment:inspections", "city_secretary", "POST", f"/api/inspections/{ids['inspection']}/attachments",
                   files={"file": ("minutes.pdf", b"%PDF-1.4\n% minutes\n", "application/pdf")},
                   pick=lambda j: j["attachments"][-1]["id"])
        found = eventually(lambda: self._make(s, None, "oversight_head", "GET", f"/api/units/{c}/findings"))
        assert found, "the statement's mismatch raised no finding"
        ids["finding"] = found[0]["id"]
        self._make(s, "risk", "oversight_head", "POST", "/api/risks", {
            "process": "توزیع بسته‌ها", "province_id": p, "level": "high", "owner_role": "social_deputy",
            "controls": ["فهرست با دو امضا"]})
        # festival
        year = jalali.jalali_year_month(jalali.today())[0]
        self._make(s, "edition", "evaluation_head", "POST", "/api/festival/editions", {
            "province_id": p, "year": year, "title": "جشنواره", "opens_on": jdate(-1), "closes_on": jdate(30),
            "axes": [{"key": "experience", "title": "تجربه"}, {"key": "collective", "title": "کار جمعی",
                                                              "collective": True}], "criteria": [{"key": "impact", "title": "اثر"}]})
        self._make(s, "submission", MEMBER, "POST", f"/api/festival/editions/{ids['edition']}/submissions", {
            "axis": "experience", "title": "سفره اطعام", "description": "شرح تجربه و نتیجه آن"})
        self._make(s, "attachment:festival", MEMBER, "POST", f"/api/festival/submissions/{ids['submission']}/attachments",
                   files={"file": ("work.pdf", b"%PDF-1.4\n% work\n", "application/pdf")},
                   pick=lambda j: j["attachments"][-1]["id"])
        self._make(s, "course", "training_head", "POST", "/api/training/courses", {
            "province_id": p, "title": "آشنایی", "tier": "yavar", "mode": "in_person",
            "trainer_id": s.people["training_head"], "pass_mark": 60, "content_reviewed_on": jdate(-30),
            "sessions": [{"on": jdate(-7), "topic": "تاریخچه"}], "exams": [{"key": "final", "title": "آزمون",
                                                                            "on": jdate(0)}]})
        self._make(s, None, MEMBER, "POST", f"/api/training/courses/{ids['course']}/enrollment")
        self._make(s, None, MEMBER, "POST", f"/api/training/courses/{ids['course']}/attendance", {"session": 1})
        # secretariat
        self._make(s, "letter", "secretariat_head", "POST", "/api/letters", {
            "province_id": p, "direction": "incoming", "subject": "درخواست آمار", "parties": ["ستاد مرکزی"],
            "dated": jdate(0), "deadline": jdate(20)})
        self._make(s, "attachment:letters", "secretariat_head", "POST", f"/api/letters/{ids['letter']}/attachments",
                   files={"file": ("letter.pdf", b"%PDF-1.4\n% letter\n", "application/pdf")},
                   pick=lambda j: j["attachments"][-1]["id"])
        self._make(s, "mou", "secretariat_head", "POST", "/api/mous", {
            "province_id": p, "title": "تفاهم‌نامه", "subject": "ویزیت رایگان", "parties": ["دانشگاه"],
            "signed_on": jdate(-30), "starts_on": jdate(-30), "ends_on": jdate(300), "notice_days": 60})
        self._make(s, "ticket", MEMBER, "POST", "/api/tickets", {
            "province_id": p, "category": "account", "subject": "ورود", "text": "گذرواژه‌ام را فراموش کرده‌ام"})
        self._make(s, "hq_report", "secretariat_head", "POST", "/api/hq-reports", {
            "province_id": p, "period": str(year - 1), "title": "گزارش عملکرد", "body": "خلاصه", "to": "assembly"})
        self._make(s, "approved_report", MEMBER, "POST", "/api/activity-reports", report)
        self._make(s, None, "kanoon_head", "POST", f"/api/activity-reports/{ids['approved_report']}/review",
                   {"approve": True})
        self._make(s, "news", "pr_head", "POST", "/api/news", {
            "province_id": p, "title": "خبر", "body": "متن خبر", "report_ids": [ids["approved_report"]]})


# ---------------------------------------------------------------- the table

EVERYONE, PUBLIC = "*", "**"     # every signed-in caller, wherever the target; also without an account
SIGNED_IN = " ".join(a for a in ACTORS if a != NOBODY)   # every signed-in caller, on their own unit

# Who may use each route on their own unit (see the module's docstring).
ACCESS: dict[str, str] = {
    "GET /api/activity-reports/mine": "*",
    "GET /api/activity-reports/{report_id}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy member neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/beneficiaries/{beneficiary_id}": "kanoon_deputy kanoon_head oversight_head",
    "GET /api/campaigns/{campaign_id}/report": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/complaints/{complaint_id}": "admin oversight_head",
    "GET /api/evaluation/kanoons/{kanoon_id}/best": "*",
    "GET /api/evaluation/kanoons/{kanoon_id}/best-candidates": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/evaluation/kanoons/{kanoon_id}/score": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/evaluation/ledger-check": "admin",
    "GET /api/evaluation/members/{person_id}/score": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy member neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/evaluation/provinces/{province_id}/roles": "admin coordination_council cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/evaluation/units/{unit_id}/honours": "*",
    "GET /api/evaluation/units/{unit_id}/ranking": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/festival/editions": "*",
    "GET /api/festival/editions/{edition_id}": "*",
    "GET /api/festival/editions/{edition_id}/participation": "admin coordination_council cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/festival/editions/{edition_id}/submissions": "*",
    "GET /api/festival/judging": "*",
    "GET /api/festival/submissions/{submission_id}": "admin evaluation_head khademyari_deputy member",
    "GET /api/festival/submissions/{submission_id}/attachments/{attachment_id}": "admin evaluation_head khademyari_deputy member",
    "GET /api/finance/assets/{asset_id}": "admin finance_expert province_manager secretariat_head support_expert vows_expert",
    "GET /api/finance/documents/{document_id}": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/documents/{document_id}/content": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/executive-projects/{project_id}": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/expenses/{expense_id}": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/fundings/{funding_id}": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/fundings/{funding_id}/settlement": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/projects/{project_id}": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/receipt-batches/{batch_id}": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/receipts/{receipt_id}": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "GET /api/finance/statements/consolidated/{statement_id}": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{province_id}/statements": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/assets": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/balances": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/executive-projects": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/expenses": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/figures": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/fundings": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/projects": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/receipts": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/report": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/terminals": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/finance/units/{unit_id}/vouchers": "admin finance_expert province_manager secretariat_head vows_expert",
    "GET /api/imports": "*",
    "GET /api/imports/{job_id}": "admin city_secretary",
    "GET /api/inspections/{inspection_id}": "admin city_secretary cultural_deputy khademyari_deputy neighborhood_deputy oversight_head province_manager social_deputy",
    "GET /api/inspections/{inspection_id}/attachments/{attachment_id}": "admin city_secretary cultural_deputy khademyari_deputy neighborhood_deputy oversight_head province_manager social_deputy",
    "GET /api/kanoons/{kanoon_id}": "*",
    "GET /api/kanoons/{kanoon_id}/activity-reports": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/kanoons/{kanoon_id}/beneficiaries": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/kanoons/{kanoon_id}/instructions": "*",
    "GET /api/kanoons/{kanoon_id}/members": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/kanoons/{kanoon_id}/monthly-reports/{month}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/kanoons/{kanoon_id}/needs": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/kanoons/{kanoon_id}/reservations": "admin kanoon_deputy kanoon_head",
    "GET /api/kanoons/{kanoon_id}/transfers": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/letters/{letter_id}": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/letters/{letter_id}/attachments/{attachment_id}": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/membership-policies/{province_id}/{kanoon_type}": "*",
    "GET /api/ops/{service}/outbox": "admin",
    "GET /api/ops/{service}/outbox/replay/{job_id}": "admin",
    "GET /api/ops/{service}/parked": "admin",
    "GET /api/people/{person_id}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy member neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/plans/{program_id}": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/projects/{project_id}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/provinces/{province_id}/settings": "*",
    "GET /api/public/complaints/{code}": "**",
    "GET /api/service-types": "*",
    "GET /api/tickets/mine": "*",
    "GET /api/tickets/{ticket_id}": "admin member support_expert system_head",
    "GET /api/training/courses": "*",
    "GET /api/training/courses/{course_id}": "*",
    "GET /api/training/courses/{course_id}/enrollments": "admin khademyari_deputy training_head",
    "GET /api/training/mine": "*",
    "GET /api/training/needs": "admin khademyari_deputy training_head",
    "GET /api/transfers/{transfer_id}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units": "*",
    "GET /api/units/{province_id}/assembly-sessions": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{province_id}/checklists": "admin cultural_deputy khademyari_deputy neighborhood_deputy oversight_head province_manager social_deputy",
    "GET /api/units/{province_id}/council": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{province_id}/hq-reports": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{province_id}/letters": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{province_id}/media": "admin pr_head",
    "GET /api/units/{province_id}/mous": "admin coordination_council khademyari_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{province_id}/news": "*",
    "GET /api/units/{province_id}/risks": "admin oversight_head province_manager province_secretary",
    "GET /api/units/{province_id}/tickets": "admin support_expert system_head",
    "GET /api/units/{unit_id}": "*",
    "GET /api/units/{unit_id}/aggregates": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/applications": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager selection_liaison social_deputy system_head",
    "GET /api/units/{unit_id}/campaigns": "*",
    "GET /api/units/{unit_id}/complaints": "admin oversight_head province_manager",
    "GET /api/units/{unit_id}/composition": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/coverage": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/findings": "admin oversight_head province_manager",
    "GET /api/units/{unit_id}/heads-meetings": "admin city_secretary coordination_council kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy oversight_head pr_head province_manager province_secretary secretariat_head",
    "GET /api/units/{unit_id}/inspections": "admin city_secretary cultural_deputy khademyari_deputy neighborhood_deputy oversight_head province_manager social_deputy",
    "GET /api/units/{unit_id}/kanoons": "*",
    "GET /api/units/{unit_id}/monthly-completeness": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/occasions": "*",
    "GET /api/units/{unit_id}/opinions": "admin oversight_head province_manager province_secretary",
    "GET /api/units/{unit_id}/oversight-report": "admin oversight_head province_manager province_secretary",
    "GET /api/units/{unit_id}/people": "admin city_secretary county_liaison cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager selection_liaison social_deputy system_head",
    "GET /api/units/{unit_id}/personal-data-audit": "admin oversight_head",
    "GET /api/units/{unit_id}/plans": "admin city_secretary coordination_council county_liaison cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy oversight_head planning_head province_manager social_deputy",
    "GET /api/units/{unit_id}/program-compliance": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/roles": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/unplaced-members": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "GET /api/units/{unit_id}/violations": "admin oversight_head protection_committee province_manager province_secretary",
    "GET /api/violations/{violation_id}": "admin member oversight_head protection_committee province_manager province_secretary",
    "GET /health": "**",
    "GET /health/live": "**",
    "GET /health/ready": "**",
    "GET /me": "*",
    "POST /api/accounts": "admin province_manager system_head",
    "POST /api/accounts/me/password": "*",
    "POST /api/activity-reports": "kanoon_deputy kanoon_head member",
    "POST /api/activity-reports/{report_id}/flags": "admin evaluation_head",
    "POST /api/activity-reports/{report_id}/resubmission": "member",
    "POST /api/activity-reports/{report_id}/return": "admin city_secretary",
    "POST /api/activity-reports/{report_id}/review": "admin kanoon_deputy kanoon_head",
    "POST /api/applications": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager selection_liaison social_deputy system_head",
    "POST /api/applications/{application_id}/decision": "admin selection_liaison",
    "POST /api/applications/{application_id}/steps": "admin selection_liaison",
    "POST /api/assembly-sessions": "admin province_manager secretariat_head",
    "POST /api/beneficiaries": "admin kanoon_deputy kanoon_head",
    "POST /api/campaigns": "admin khademyari_deputy planning_head province_manager system_head",
    "POST /api/campaigns/{campaign_id}/approval": "admin province_manager",
    "POST /api/checklists": "admin oversight_head",
    "POST /api/complaints": "*",
    "POST /api/complaints/{complaint_id}/assignment": "admin oversight_head",
    "POST /api/complaints/{complaint_id}/closing": "admin oversight_head",
    "POST /api/complaints/{complaint_id}/notes": "admin oversight_head",
    "POST /api/complaints/{complaint_id}/resolution": "admin oversight_head",
    "POST /api/complaints/{complaint_id}/triage": "admin oversight_head",
    "POST /api/council/chair": "admin coordination_council province_manager",
    "POST /api/council/nominees": "admin coordination_council province_manager",
    "POST /api/evaluation/honours": "city_secretary",
    "POST /api/evaluation/kanoons/{kanoon_id}/best": "kanoon_head",
    "POST /api/evaluation/rankings/publication": "admin evaluation_head planning_head",
    "PUT /api/evaluation/weights": "admin planning_head",
    "POST /api/festival/editions": "admin evaluation_head khademyari_deputy",
    "POST /api/festival/editions/{edition_id}/dates": "admin evaluation_head khademyari_deputy",
    "POST /api/festival/editions/{edition_id}/judge-draw": "admin evaluation_head khademyari_deputy",
    "POST /api/festival/editions/{edition_id}/submissions": "kanoon_deputy kanoon_head member",
    "POST /api/festival/submissions/{submission_id}/attachments": "member",
    "POST /api/festival/submissions/{submission_id}/decision": "admin evaluation_head khademyari_deputy",
    "POST /api/festival/submissions/{submission_id}/judges": "admin evaluation_head khademyari_deputy",
    "PUT /api/festival/submissions/{submission_id}/score": "quality_evaluation_group",
    "POST /api/festival/submissions/{submission_id}/second-look": "admin evaluation_head khademyari_deputy",
    "POST /api/finance/assets": "admin province_manager secretariat_head",
    "POST /api/finance/assets/{asset_id}/handover": "admin province_manager secretariat_head support_expert",
    "POST /api/finance/assets/{asset_id}/handover/acknowledgement": "member support_expert",
    "POST /api/finance/assets/{asset_id}/handover/cancellation": "admin province_manager secretariat_head",
    "POST /api/finance/documents": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "POST /api/finance/expenses": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "POST /api/finance/fundings": "admin finance_expert province_manager",
    "POST /api/finance/fundings/{funding_id}/certificate": "admin finance_expert province_manager",
    "POST /api/finance/fundings/{funding_id}/discharge/follow-ups": "admin finance_expert province_manager secretariat_head",
    "POST /api/finance/fundings/{funding_id}/discharge/receipt": "admin finance_expert province_manager secretariat_head",
    "POST /api/finance/fundings/{funding_id}/discharge/request": "admin finance_expert province_manager secretariat_head",
    "POST /api/finance/fundings/{funding_id}/return": "admin finance_expert province_manager",
    "POST /api/finance/projects": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "POST /api/finance/projects/{project_id}/closing": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "POST /api/finance/receipt-batches": "admin finance_expert province_manager vows_expert",
    "POST /api/finance/receipts": "admin finance_expert province_manager vows_expert",
    "POST /api/finance/receipts/{receipt_id}/reversal": "admin finance_expert province_manager",
    "POST /api/finance/statements": "admin finance_expert province_manager vows_expert",
    "POST /api/finance/statements/consolidated": "admin finance_expert province_manager",
    "POST /api/finance/statements/consolidated/{statement_id}/sending": "admin finance_expert province_manager secretariat_head",
    "POST /api/finance/terminals": "admin finance_expert province_manager vows_expert",
    "POST /api/finance/vouchers": "admin finance_expert kanoon_deputy kanoon_head province_manager secretariat_head vows_expert",
    "POST /api/finance/vouchers/{voucher_id}/check": "admin finance_expert province_manager",
    "POST /api/finance/vouchers/{voucher_id}/reimbursement": "admin finance_expert province_manager",
    "POST /api/finance/vouchers/{voucher_id}/return": "admin finance_expert province_manager",
    "POST /api/finance/vouchers/{voucher_id}/sending": "admin finance_expert province_manager secretariat_head",
    "POST /api/findings/{finding_id}/review": "admin oversight_head",
    "POST /api/heads-meetings": "admin city_secretary neighborhood_deputy",
    "POST /api/hq-reports": "admin province_manager secretariat_head",
    "POST /api/hq-reports/{report_id}/sending": "admin province_manager secretariat_head",
    "POST /api/imports": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager selection_liaison social_deputy specialized_secretary system_head",
    "POST /api/inspections": "admin city_secretary",
    "POST /api/inspections/season": "admin oversight_head",
    "POST /api/inspections/{inspection_id}/answers": "admin city_secretary",
    "POST /api/inspections/{inspection_id}/attachments": "admin city_secretary",
    "POST /api/inspections/{inspection_id}/sending": "admin oversight_head",
    "POST /api/kanoons": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "PATCH /api/kanoons/{kanoon_id}": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/kanoons/{kanoon_id}/approval": "admin city_secretary",
    "PUT /api/kanoons/{kanoon_id}/council": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/kanoons/{kanoon_id}/forms": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/kanoons/{kanoon_id}/monthly-reports/{month}/review": "admin city_secretary",
    "POST /api/kanoons/{kanoon_id}/orientations": "admin city_secretary",
    "PUT /api/kanoons/{kanoon_id}/place": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/kanoons/{kanoon_id}/rejection": "admin city_secretary",
    "POST /api/letters": "admin province_manager secretariat_head",
    "POST /api/letters/{letter_id}/attachments": "admin province_manager secretariat_head",
    "POST /api/letters/{letter_id}/closing": "admin province_manager secretariat_head",
    "POST /api/members": "admin city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager selection_liaison social_deputy system_head",
    "PUT /api/membership-policies": "admin neighborhood_deputy",
    "POST /api/memberships": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/monthly-reports": "admin kanoon_deputy kanoon_head",
    "POST /api/mous": "admin province_manager secretariat_head",
    "POST /api/mous/{mou_id}/renewal": "admin province_manager secretariat_head",
    "POST /api/needs": "admin kanoon_deputy kanoon_head",
    "POST /api/needs/{need_id}/matches": "admin kanoon_deputy kanoon_head",
    "POST /api/needs/{need_id}/resolution": "admin kanoon_deputy kanoon_head",
    "POST /api/news": "admin pr_head",
    "POST /api/news/{news_id}/publication": "admin pr_head",
    "POST /api/occasions": "admin planning_head",
    "PUT /api/opinions": "admin oversight_head",
    "POST /api/ops/{service}/outbox/replay": "admin",
    "POST /api/ops/{service}/parked/{parked_id}/replay": "admin",
    "POST /api/ops/{service}/restate": "admin",
    "POST /api/orientation-sessions": "admin city_secretary oversight_head",
    "POST /api/plans": "kanoon_head",
    "PUT /api/plans/{program_id}": "kanoon_head",
    "POST /api/plans/{program_id}/decision": "admin coordination_council",
    "POST /api/plans/{program_id}/evaluation": "admin evaluation_head planning_head",
    "POST /api/plans/{program_id}/submission": "kanoon_head",
    "POST /api/programs": "admin kanoon_deputy kanoon_head",
    "POST /api/projects": "admin kanoon_deputy kanoon_head",
    "POST /api/projects/{project_id}/answers": "admin",
    "PUT /api/provinces/{province_id}/settings": "admin khademyari_deputy province_manager",
    "POST /api/public/complaints": "**",
    "POST /api/reservations": "kanoon_deputy kanoon_head member",
    "POST /api/reservations/{reservation_id}/cancellation": "admin kanoon_deputy kanoon_head member",
    "POST /api/reservations/{reservation_id}/decision": "admin kanoon_deputy kanoon_head",
    "POST /api/risks": "admin oversight_head",
    "PUT /api/risks/{risk_id}": "admin oversight_head",
    "POST /api/roles": "admin city_secretary khademyari_deputy province_manager",
    "POST /api/service-types": "admin khademyari_deputy planning_head province_manager system_head",
    "POST /api/service-types/{type_id}/instructions": "admin khademyari_deputy planning_head province_manager system_head",
    "POST /api/tickets": "*",
    "POST /api/tickets/{ticket_id}/closing": "admin member support_expert system_head",
    "POST /api/tickets/{ticket_id}/messages": "admin member support_expert system_head",
    "POST /api/training/courses": "admin khademyari_deputy training_head",
    "POST /api/training/courses/{course_id}/attendance": "*",
    "POST /api/training/courses/{course_id}/attendance/confirmation": "training_head",
    "POST /api/training/courses/{course_id}/enrollment": SIGNED_IN,
    "POST /api/training/courses/{course_id}/exam-scores": "training_head",
    "POST /api/training/courses/{course_id}/review": "admin khademyari_deputy training_head",
    "POST /api/training/needs": "admin khademyari_deputy training_head",
    "POST /api/transfers": "admin city_secretary cultural_deputy evaluation_head kanoon_deputy kanoon_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "POST /api/transfers/{transfer_id}/cancellation": "admin kanoon_deputy kanoon_head",
    "POST /api/transfers/{transfer_id}/decisions": "kanoon_deputy kanoon_head",
    "POST /api/units": "admin city_secretary neighborhood_deputy province_manager",
    "POST /api/violations": "admin oversight_head province_manager province_secretary",
    "POST /api/violations/{violation_id}/decision": "admin province_manager province_secretary",
    "POST /api/violations/{violation_id}/escalation": "admin province_manager province_secretary",
    "POST /api/violations/{violation_id}/ruling": "admin protection_committee",
    "POST /api/violations/{violation_id}/ruling/lifting": "admin protection_committee",
    "POST /token": "**",
    "POST /api/memberships/leave": "admin kanoon_head kanoon_deputy city_secretary cultural_deputy evaluation_head khademyari_deputy neighborhood_deputy network_development_head oversight_head planning_head province_manager social_deputy system_head",
    "DELETE /api/roles/{assignment_id}": "admin city_secretary khademyari_deputy province_manager",
    "POST /api/accounts/{user_id}/password-reset": "admin",
    "POST /api/accounts/{user_id}/deactivation": "admin",
    "POST /api/kanoons/{kanoon_id}/handover": "admin city_secretary",
}

# Routes not bound to the target's unit: the same callers are allowed whichever province it is in.
ANYWHERE = {
    "POST /api/imports",                    # a file's rows are checked one by one against the importer's rights
    "POST /api/finance/receipt-batches",    # likewise, each row against its terminal's province
}

# A refusal the domain words otherwise than 403/404, and why it is one.
REFUSED_AS: dict[str, set[int]] = {
    # A work is submitted to the festival of its kanoon's province (422: the kanoon is not in it).
    "POST /api/festival/editions/{edition_id}/submissions": {422},
    # A course is for one tier: whoever is of another is told so, whichever the province.
    "POST /api/training/courses/{course_id}/enrollment": {422},
}

# Allowed callers that meet a 404 by design (the record the route names cannot exist in the world).
ALLOWED_404 = {"POST /api/ops/{service}/parked/{parked_id}/replay"}


def expected(route: str, actor: str, side: str) -> bool:
    rule = ACCESS[route]
    if rule == PUBLIC:
        return True
    if actor == NOBODY:
        return False
    if rule == EVERYONE:
        return True
    allowed = actor in rule.split()
    if side == "own" or route in ANYWHERE:
        return allowed
    return allowed and actor == "admin"


def verdict(route: str, allowed: bool, status: int) -> str | None:
    """None when the answer is what the table says; else what went wrong."""
    if allowed:
        if status in (401, 403) or (status == 404 and route not in ALLOWED_404):
            return "wrongly refused"
        return None
    if status in (401, 403, 404) or status in REFUSED_AS.get(route, ()):
        return None
    return "LEAK" if status < 300 else "not refused first"


# ---------------------------------------------------------------- requests

def _spec() -> dict:
    from gateway.app import create_app
    return create_app(start_pool=False).openapi()


def routes(spec: dict) -> list[tuple[str, str]]:
    """Every route of the gateway as (METHOD, path template), the reads first and, among the
    writes, those that undo people's standing last."""
    out = [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops]
    return sorted(out, key=lambda r: (r[0] != "GET", LATE.get(r, 0), r[1], r[0]))


# Writes that would take the world's people out of it: run last, in this order, on their own targets.
LATE = {("POST", "/api/memberships/leave"): 1, ("DELETE", "/api/roles/{assignment_id}"): 2,
        ("POST", "/api/accounts/{user_id}/password-reset"): 3, ("POST", "/api/accounts/{user_id}/deactivation"): 4,
        ("POST", "/api/kanoons/{kanoon_id}/handover"): 5}

PATH_IDS = {"application_id": "application", "asset_id": "asset", "assignment_id": "victim_assignment",
            "beneficiary_id": "beneficiary", "campaign_id": "campaign", "complaint_id": "complaint",
            "course_id": "course", "document_id": "document", "edition_id": "edition", "expense_id": "expense",
            "funding_id": "funding", "inspection_id": "inspection", "letter_id": "letter", "month": "month",
            "mou_id": "mou", "need_id": "need", "news_id": "news", "program_id": "plan", "receipt_id": "receipt",
            "reservation_id": "reservation", "risk_id": "risk", "statement_id": "consolidated",
            "submission_id": "submission", "ticket_id": "ticket", "transfer_id": "transfer", "type_id": "service_type",
            "user_id": "victim_user", "violation_id": "violation", "voucher_id": "voucher", "batch_id": "batch",
            "finding_id": "finding", "job_id": "job", "attachment_id": "attachment", "code": "tracking_code"}


def _path_value(name: str, path: str, side: Side) -> str:
    ids = side.ids
    if name == "kanoon_id":
        return ids["draft"] if path.endswith(("/approval", "/rejection", "/forms", "/council", "/place")) \
            and "/monthly" not in path else side.kanoon
    if name in ("unit_id",):
        return side.city
    if name == "province_id":
        return side.province
    if name == "person_id":
        return side.people[MEMBER]
    if name == "kanoon_type":
        return "neighborhood"
    if name == "service":
        return "registry"
    if name == "parked_id":
        return "pk_missing"
    if name == "report_id":
        return ids["hq_report"] if path.startswith("/api/hq-reports") else ids["report"]
    if name == "project_id":
        return ids["fund_project"] if path.startswith("/api/finance/projects") else ids["project"]
    if name == "job_id":
        return ids["replay_job"] if path.startswith("/api/ops/") else ids["job"]
    if name == "attachment_id":
        return ids[f"attachment:{path.split('/')[2]}"]
    return ids.get(PATH_IDS.get(name, name), f"missing_{name}")


def _query_value(name: str, side: Side):
    year = jalali.jalali_year_month(jalali.today())[0]
    return {"for": side.kanoon, "member_kind": "khademyar", "month": side.ids["month"], "period": str(year),
            "province_id": side.province, "q": "آزمون", "unit_id": side.city, "year": year}.get(name)


def _body_ids(body, side: Side, path: str):
    """The example's ids replaced by the side's, by what each field names."""
    ids, people = side.ids, side.people
    def persons(n):
        return [people[r] for r in ("city_secretary", "county_liaison", "kanoon_deputy", "training_head")[:n]]
    plain = {"kanoon_id": side.kanoon, "unit_id": side.city, "province_id": side.province, "scope_id": side.province,
             "owner_id": side.kanoon, "target_id": side.kanoon, "host_kanoon_id": side.kanoon,
             "next_host_id": ids["kanoon2"], "city_id": side.city, "parent_id": side.city,
             "terminal_id": ids["terminal"], "custodian_id": people["support_expert"],
             "to_custodian_id": people[MEMBER], "investigator_id": people["city_secretary"],
             "trainer_id": people["training_head"], "document_id": ids["document"], "checklist_id": ids["checklist"],
             "source_id": ids["complaint"], "to_kanoon_id": ids["kanoon2"], "beneficiary_id": ids["beneficiary"],
             "person_id": people[MEMBER], "head_id": people["kanoon_head"], "deputy_id": people["kanoon_deputy"],
             "subject_id": side.kanoon}
    lists = {"expense_ids": [ids["expense"]], "document_ids": [ids["document"]], "report_ids": [ids["approved_report"]],
             "need_ids": [ids["need"]], "invited_kanoon_ids": [ids["kanoon2"]], "partner_kanoon_ids": [],
             "target_ids": [], "judge_ids": persons(3), "nominees": persons(3), "attended": [side.kanoon, ids["kanoon2"]],
             "attendees": [people[MEMBER]]}
    if not isinstance(body, dict):
        return body
    out = {}
    for k, v in body.items():
        if k in plain and isinstance(v, str):
            out[k] = plain[k]
        elif k in lists and isinstance(v, list):
            out[k] = lists[k]
        elif k == "applicant" and isinstance(v, dict):
            out[k] = {**v, "city_id": side.city, "national_id": next_nid()}
        elif k == "national_id":
            out[k] = next_nid()
        elif k == "service_code":
            out[k] = None
        else:
            out[k] = v
    # Per route: who a body names where the field alone does not say.
    out.update(BODY_OVERRIDES.get(path, lambda side: {})(side))
    return {k: v for k, v in out.items() if v is not None}


# What a route's body names that its fields alone do not say (by the route's path).
BODY_OVERRIDES = {
    "/api/memberships": lambda side: {"person_id": side.ids["unplaced"]},
    "/api/memberships/leave": lambda side: {"person_id": side.ids["leaver"]},
    "/api/transfers": lambda side: {"person_id": side.ids["mover"]},
    "/api/roles": lambda side: {"person_id": side.ids["unplaced"], "role": "county_liaison", "scope_id": side.city},
    "/api/accounts": lambda side: {"person_id": side.ids["unplaced"], "username": f"mx.{uuid.uuid4().hex[:10]}"},
    "/api/complaints": lambda side: {"subject_kind": "kanoon"},
    "/api/kanoons": lambda side: {"unit_id": side.city},
    "/api/units": lambda side: {"id": f"{side.city}-N{uuid.uuid4().hex[:4].upper()}"},
    "/api/projects/{project_id}/answers": lambda side: {"kanoon_id": side.ids["kanoon2"]},
    "/api/needs/{need_id}/matches": lambda side: {"kanoon_id": side.ids["kanoon2"]},
    "/api/kanoons/{kanoon_id}/handover": lambda side: {"person_id": side.ids["mover"]},
    "/api/members": lambda side: {"kind": "yavar"},
    "/api/finance/assets": lambda side: {"unit_id": side.province, "code": f"PC-{uuid.uuid4().hex[:6]}"},
    "/api/transfers/{transfer_id}/decisions": lambda side: {"side": "origin"},
}


@dataclass
class Request:
    method: str
    url: str
    params: dict
    json: object = None
    files: dict | None = None
    form: dict | None = None


def request_for(spec: dict, method: str, path: str, side: Side) -> Request:
    op = spec["paths"][path][method.lower()]
    url = path
    params = {}
    for prm in op.get("parameters", []):
        if prm["in"] == "path":
            url = url.replace("{" + prm["name"] + "}", str(_path_value(prm["name"], path, side)))
        elif prm["in"] == "query" and prm.get("required"):
            params[prm["name"]] = _query_value(prm["name"], side)
    body, files, form = None, None, None
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        ref = content["application/json"]["schema"].get("$ref", "")
        example = (spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("examples") or [{}])[0]
        body = _body_ids(copy.deepcopy(example), side, path)
    elif "multipart/form-data" in content:
        files = {"file": ("a.pdf", b"%PDF-1.4\n% matrix\n", "application/pdf")}
        if path == "/api/finance/receipt-batches":
            at = jalali.format_datetime(datetime.now(timezone.utc) - timedelta(minutes=5))
            files = {"file": ("r.csv", f"terminal_id,rrn,at,amount\n{side.ids['terminal']},{uuid.uuid4().int % 10**9},"
                                       f"{at},1000\n".encode(), "text/csv")}
        elif path == "/api/imports":
            files = {"file": ("m.csv", ("national_id,first_name,last_name,kind,gender,birth_date,education,city,mobile\n"
                                        f"{next_nid()},سارا,کریمی,یاور,زن,1370/01/01,diploma,{side.city},09150000000\n"
                                        ).encode(), "text/csv")}
            form = {"kind": "members"}
        if path == "/api/finance/documents":
            form = {"owner_id": side.kanoon}
    return Request(method, url, params, body, files, form)


def send(api: httpx.Client, req: Request) -> int:
    kwargs: dict = {"params": req.params}
    if req.json is not None:
        kwargs["json"] = req.json
    if req.files is not None:
        kwargs["files"] = req.files
    if req.form is not None:
        kwargs["data"] = req.form
    return api.request(req.method, req.url, **kwargs).status_code


# Where one allowed caller's write takes the target away from the next, the next gets its own.
PER_ACTOR = {("POST /api/memberships/leave", "kanoon_deputy"): {"person_id": "leaver2"}}


def clients(world: World) -> dict[str, httpx.Client]:
    """A client per actor, with its token; given the gateway's PROXY_SECRET, as if through the web
    app from an address of the matrix's own, so that the public routes' per-address limits it uses
    up are not 127.0.0.1's (which other tests count on)."""
    headers = dict(world.headers)
    out = {NOBODY: httpx.Client(base_url=world.base, timeout=60, headers=headers)}
    for actor, api in world.sides["own"].apis.items():
        if actor == NOBODY:
            continue
        out[actor] = httpx.Client(base_url=world.base, timeout=60,
                                  headers={**headers, "Authorization": api.headers["Authorization"]})
    return out


def run(world: World, spec: dict, only: set | None = None) -> dict:
    """Every cell: {(method, path): {(actor, side): status}}. Per route, the calls the table refuses
    go first (so that no allowed call has changed what they meet), then the allowed ones."""
    apis = clients(world)
    out: dict = {}
    with ThreadPoolExecutor(8) as pool:
        for method, path in routes(spec):
            route = f"{method} {path}"
            if only and (method, path) not in only:
                continue
            reqs = {side: request_for(spec, method, path, world.sides[side]) for side in ("other", "own")}
            cells = {}
            refused = [(a, sd) for sd in ("other", "own") for a in ACTORS if not (route in ACCESS and expected(route, a, sd))]
            allowed = [(a, sd) for sd in ("other", "own") for a in BY_REACH if (a, sd) not in refused]
            jobs = {(a, sd): pool.submit(send, apis[a], reqs[sd]) for a, sd in refused}
            cells.update({k: f.result() for k, f in jobs.items()})
            if method == "GET":
                jobs = {(a, sd): pool.submit(send, apis[a], reqs[sd]) for a, sd in allowed}
                cells.update({k: f.result() for k, f in jobs.items()})
            else:
                # One at a time, the narrowest grant first: a kanoon's head may act on a member only
                # while they are the kanoon's, the city's secretary after that too.
                for a, sd in allowed:
                    req = reqs[sd]
                    if (route, a) in PER_ACTOR and isinstance(req.json, dict):
                        side = world.sides[sd]
                        req = Request(req.method, req.url, req.params,
                                      {**req.json, **{k: side.ids[v] for k, v in PER_ACTOR[(route, a)].items()}},
                                      req.files, req.form)
                    cells[(a, sd)] = send(apis[a], req)
            out[(method, path)] = cells
    return out


def failures(cells: dict) -> list[str]:
    out = []
    for (method, path), c in cells.items():
        route = f"{method} {path}"
        for (actor, side), status in sorted(c.items()):
            v = verdict(route, expected(route, actor, side), status)
            if v:
                out.append(f"{v}: {route} as {actor} on the {side} side answered {status}")
    return out


def main() -> None:  # pragma: no cover - a tool for review
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--password", required=True)
    ap.add_argument("--only", nargs="*", help="METHOD path, e.g. 'GET /api/units'")
    ap.add_argument("--explain", nargs="*", help="METHOD path: print a few actors' answers")
    args = ap.parse_args()
    admin = sign_in(args.base, "admin", args.password)
    world = World(args.base, admin)
    spec = _spec()
    import time
    t0 = time.monotonic()
    if args.explain:
        for x in args.explain:
            method, path = x.split(" ", 1)
            for side_name in ("other", "own"):
                req = request_for(spec, method, path, world.sides[side_name])
                for actor in ("admin", "kanoon_head", MEMBER, "oversight_head", "province_manager"):
                    api = world.sides["own"].apis[actor]
                    kwargs = {"params": req.params}
                    if req.json is not None:
                        kwargs["json"] = req.json
                    r = api.request(method, req.url, **kwargs)
                    print(side_name, actor, method, req.url, r.status_code, r.text[:200])
        return
    only = None
    if args.only:
        only = {tuple(x.split(" ", 1)) for x in args.only}
    cells = run(world, spec, only)
    print(f"# {sum(len(c) for c in cells.values())} requests in {time.monotonic() - t0:.0f}s")
    for f in failures(cells):
        print("!", f)
    for (method, path), c in cells.items():
        allowed = {side: sorted(a for (a, sd), st in c.items() if sd == side and st not in (401, 403, 404))
                   for side in ("own", "other")}
        missing = sorted({a for (a, sd), st in c.items() if st == 404 and sd == "own"})
        codes = {side: sorted({st for (a, sd), st in c.items() if sd == side}) for side in ("own", "other")}
        muddled = sorted(f"{a}:{st}" for (a, sd), st in c.items() if sd == "own" and st in (409, 422))
        print(f"{method} {path}\n  own: {' '.join(allowed['own'])}\n  other: {' '.join(allowed['other'])}"
              + f"\n  codes own {codes['own']} other {codes['other']}"
              + (f"\n  404 own: {' '.join(missing)}" if missing else "")
              + (f"\n  409/422 own: {' '.join(muddled)}" if muddled else ""))


if __name__ == "__main__":
    main()
