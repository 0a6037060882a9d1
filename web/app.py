"""The web app people use: Persian, right-to-left, Jalali, server-rendered pages (they work without
script; the script adds the Jalali date picker and the charts) over the gateway's REST API with the
signed-in person's own token. Built by `create_app()`; `python -m web` serves it.

- Signing in keeps the gateway's token in an HttpOnly, SameSite=Strict cookie; every form carries a
  per-visit CSRF token (double submit) and an Idempotency-Key made when the form was drawn, so a
  double click, a refresh or a resubmission after "outcome unknown" does the work once.
- Each page asks the API only for what its sections need; a section the API refuses is not shown,
  so a page never shows more than the API lets that person see.
"""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kernel import jalali
from kernel.persian import normalize_digits

from . import fa
from .client import REQUEST_ID, Gateway, Refused

log = logging.getLogger("web")
HERE = Path(__file__).resolve().parent
TOKEN, CSRF = "khadem", "khadem_csrf"
KANOON_ROLES = {"kanoon_head", "kanoon_deputy"}
TRACKING = "شماره پیگیری"
CITY_ROLES = {"city_secretary", "county_liaison"}
DONE = {"report": "گزارش شما ثبت شد و در انتظار تأیید مسئول کانون است.", "approved": "گزارش تأیید شد.",
        "rejected": "گزارش رد شد.", "reservation": "درخواست نوبت ثبت شد.", "decided": "تصمیم ثبت شد.",
        "monthly": "گزارش ماهانه ثبت شد.", "saved": "ثبت شد.", "password": "گذرواژه شما عوض شد.", "import": "پرونده پذیرفته شد؛ پیشرفت آن را در این صفحه ببینید."}


class Failed(str):
    """A page's section the API could not give (not a refusal to this person): its Persian reason."""


def areas(me: dict) -> dict[str, list[str]]:
    """Which of the pages a person's grants open: their kanoon's desk, a city's, a province's (or
    the country's, for an administrator)."""
    out: dict[str, list[str]] = {"kanoons": [], "cities": [], "units": [], "audit": []}
    for g in me.get("grants", []):
        if g["role"] in ("oversight_head", "admin") and g["scope_id"] not in out["audit"]:
            out["audit"].append(g["scope_id"])   # the audit trail of personal data
        if g["role"] in KANOON_ROLES:
            key = "kanoons"
        elif g["role"] in CITY_ROLES or g["scope_kind"] == "city":
            key = "cities"
        else:
            key = "units"
        if g["scope_id"] not in out[key]:
            out[key].append(g["scope_id"])
    return out


def create_app(gateway_url: str | None = None, secure_cookies: bool | None = None, transport=None) -> FastAPI:
    """`transport`: an httpx transport to the gateway (the tests' stand-in); by default, the network."""
    from kernel.settings import load_settings
    settings = load_settings(require_secrets=False)   # it holds no token secret and no data key
    if settings.environment == "production" and len(settings.proxy_secret) < 32:
        raise ValueError("PROXY_SECRET must be set to the gateway's (32+ random characters) in production: the "
                         "gateway believes the person's address the web app forwards only with it")
    gateway_url = gateway_url or settings.gateway_url or f"http://127.0.0.1:{settings.gateway_port}"
    secure = settings.environment == "production" if secure_cookies is None else secure_cookies
    api = Gateway(gateway_url, timeout=settings.rpc_timeout_seconds + 5, proxy_secret=settings.proxy_secret,
                  transport=transport)

    app = FastAPI(title="Khadem web", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates = templates
    env = templates.env
    env.filters["fa"] = fa.digits
    env.filters["period"] = fa.period_name
    env.filters["status"] = lambda v: fa.name_of(fa.STATUS, v)
    env.filters["role"] = lambda v: fa.name_of(fa.ROLES, v)
    env.filters["kind"] = lambda v: fa.name_of(fa.KIND, v)
    env.filters["unit_kind"] = lambda v: fa.name_of(fa.UNIT_KIND, v)
    env.filters["education"] = lambda v: fa.name_of(fa.EDUCATION, v)
    env.filters["row_reason"] = lambda o: fa.row_reason(o.get("reason"), o.get("field"))
    env.filters["field_name"] = lambda v: fa.FIELDS.get(str(v), str(v)) if v else ""
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.globals["MONTHS"] = fa.MONTHS
    env.tests["failed"] = lambda v: isinstance(v, Failed)

    # -- the session

    def token_of(request: Request) -> str | None:
        return request.cookies.get(TOKEN)

    def csrf_of(request: Request) -> str:
        return request.cookies.get(CSRF) or request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(24))

    def page(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("me", getattr(request.state, "me", None))
        ctx.setdefault("areas", areas(ctx["me"]) if ctx["me"] else {})
        ctx["csrf"] = csrf_of(request)
        ctx["key"] = ctx.get("key") or uuid.uuid4().hex
        ctx["today"] = jalali.format_date(jalali.today())
        ctx["done"] = DONE.get(request.query_params.get("done", ""))
        ctx["request"] = request
        if ctx.get("error") and TRACKING in ctx["error"]:
            # A message that asks for the tracking number gives it.
            number = ctx.pop("tracking", None) or getattr(request.state, "request_id", None)
            if number and number not in ctx["error"]:
                ctx["error"] = f"{ctx['error']} {TRACKING}: {number}"
        response = templates.TemplateResponse(request, template, ctx, status_code=status)
        if "new_csrf" in request.state.__dict__:
            response.set_cookie(CSRF, request.state.new_csrf, httponly=True, samesite="strict", secure=secure)
        return response

    def to_login(request: Request) -> RedirectResponse:
        r = RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        r.delete_cookie(TOKEN)
        return r

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        if not secrets.compare_digest(data.get("csrf", ""), request.cookies.get(CSRF, "") or "-"):
            raise Refused(403, {"error": "forbidden", "message": "csrf"})
        return data

    @app.middleware("http")
    async def signed_in(request: Request, call_next):
        """Pages other than sign-in, the public ones and the static files need a person; who they
        are (their roles and units) is the gateway's answer to /me, asked on every page."""
        path = request.url.path
        request.state.me = None
        request.state.request_id = (request.headers.get("X-Request-ID") or "")[:64] or uuid.uuid4().hex
        REQUEST_ID.set(request.state.request_id)
        response = await who_is_asking(request, call_next, path)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    async def who_is_asking(request: Request, call_next, path: str):
        if path.startswith("/static/") or path in ("/login", "/health") or path.startswith("/public"):
            return await call_next(request)
        tok = token_of(request)
        if not tok:
            return to_login(request)
        try:
            request.state.me = await run_in_threadpool(api.get, "/me", tok)
        except Refused as exc:
            if exc.status == 401:
                return to_login(request)
            return page(request, "error.html", status=exc.status if exc.status >= 500 else 502, error=exc.message,
                        tracking=exc.body.get("request_id"))
        return await call_next(request)

    @app.exception_handler(Refused)
    def refused(request: Request, exc: Refused):
        if exc.status == 401:
            return to_login(request)
        if exc.body.get("message") == "csrf":
            return page(request, "error.html", status=403,
                        error="این فرم کهنه شده است؛ صفحه را دوباره باز کنید و بفرستید.")
        return page(request, "error.html", status=exc.status, error=exc.message, tracking=exc.body.get("request_id"))

    @app.exception_handler(Exception)
    def failed(request: Request, exc: Exception):
        log.error("page %s failed (request %s)", request.url.path, getattr(request.state, "request_id", "?"),
                  exc_info=exc)
        return page(request, "error.html", status=500, error=fa.REFUSALS["internal"] + ".")

    @app.get("/health")
    def health():
        return {"status": "ok"}

    # -- sign in and out

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/"):
        return page(request, "login.html", next=next if next.startswith("/") else "/")

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request):
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        nxt = str(form.get("next") or "/")
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = "/"
        try:
            tok = await run_in_threadpool(api.call, "POST", "/token", None, key="sign-in",
                                          data={"username": normalize_digits(username), "password": password},
                                          forwarded_for=client_address(request))
        except Refused as exc:
            return page(request, "login.html", status=exc.status, error=exc.message, username=username, next=nxt)
        r = RedirectResponse(nxt, status_code=303)
        r.set_cookie(TOKEN, tok["access_token"], max_age=tok["expires_in"], httponly=True, samesite="strict",
                     secure=secure)
        r.set_cookie(CSRF, secrets.token_urlsafe(24), httponly=True, samesite="strict", secure=secure)
        return r

    @app.post("/logout")
    def logout():
        r = RedirectResponse("/login", status_code=303)
        r.delete_cookie(TOKEN)
        r.delete_cookie(CSRF)
        return r

    @app.get("/account", response_class=HTMLResponse)
    def account_page(request: Request):
        return page(request, "account.html")

    @app.post("/account", response_class=HTMLResponse)
    async def change_password(request: Request):
        form = await form_of(request)
        try:
            await run_in_threadpool(api.call, "POST", "/api/accounts/me/password", token_of(request), key=form.get("key"),
                                    json={"current_password": form.get("current_password", ""),
                                          "new_password": form.get("new_password", "")})
        except Refused as exc:
            if exc.status == 401:
                raise
            return page(request, "account.html", status=exc.status, error=exc.message, field=exc.field)
        return RedirectResponse("/account?done=password", status_code=303)

    # -- home: what each of the person's roles opens

    def optional(fn, *args, **kwargs):
        """A section's data, or None when the API refuses it to this person (the section is not shown)."""
        try:
            return fn(*args, **kwargs)
        except Refused as exc:
            if exc.status in (401,) or exc.status >= 500:
                raise
            return None

    def card(fn, *args, **kwargs):
        """A card's data; None when the API refuses it to this person (the card is not shown); a
        `Failed` when it could not be had otherwise, so the card says it failed instead of vanishing."""
        try:
            return fn(*args, **kwargs)
        except Refused as exc:
            if exc.status == 401:
                raise
            if exc.status == 403:
                return None
            log.warning("a card of %s failed: %s", args[0] if args else "?", exc)
            return Failed(exc.message)

    def person_name(me: dict, tok: str) -> str:
        """The signed-in person's name (their own registry record); the username when it is not to be had."""
        person = optional(api.get, f"/api/people/{me['person_id']}", tok) if me.get("person_id") else None
        name = " ".join(str((person or {}).get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        return name or me.get("username", "")

    def unit_name(unit_id: str | None, tok: str) -> str | None:
        """A unit's name for a page's text (its code stays in links); None when not to be had."""
        if not unit_id:
            return None
        unit = optional(api.get, f"/api/units/{unit_id}", tok)
        return (unit or {}).get("name") or None

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        me, tok = request.state.me, token_of(request)
        mine = None
        if me.get("kanoon_id"):
            mine = {"reports": optional(api.get, "/api/activity-reports/mine", tok, limit=5) or [],
                    "kanoon": optional(api.get, f"/api/kanoons/{me['kanoon_id']}", tok)}
        return page(request, "home.html", mine=mine, types=type_names(request, me.get("kanoon_id")),
                    person_name=person_name(me, tok))

    # -- a member: reports, reservations, campaigns, training and points

    def report_form(request: Request, status: int = 200, **ctx):
        me, tok = request.state.me, token_of(request)
        kid = me.get("kanoon_id")
        types = optional(api.get, "/api/service-types", tok, **{"for": kid}) if kid else None
        return page(request, "report_new.html", status=status, types=types or [], kanoon_id=kid, **ctx)

    @app.get("/reports/new", response_class=HTMLResponse)
    def new_report(request: Request):
        return report_form(request)

    @app.post("/reports", response_class=HTMLResponse)
    async def submit_report(request: Request):
        form = await form_of(request)
        body = {"kanoon_id": request.state.me.get("kanoon_id") or "", "service_type": form.get("service_type", ""),
                "day": normalize_digits(form.get("day", "")), "hours": _number(form.get("hours")),
                "place": form.get("place", ""), "beneficiaries": _number(form.get("beneficiaries"), int),
                "description": form.get("description", "")}
        try:
            await run_in_threadpool(api.call, "POST", "/api/activity-reports", token_of(request), key=form.get("key"),
                                    json=body)
        except Refused as exc:
            if exc.status == 401:
                raise
            return report_form(request, status=exc.status, error=exc.message, field=exc.field, form=form,
                               key=form.get("key"))
        return RedirectResponse("/reports?done=report", status_code=303)

    @app.get("/reports", response_class=HTMLResponse)
    def my_reports(request: Request):
        reports = api.get("/api/activity-reports/mine", token_of(request), limit=100)
        return page(request, "reports.html", reports=reports, types=type_names(request, request.state.me.get("kanoon_id")))

    def type_names(request: Request, scope: str | None) -> dict[str, str]:
        if not scope:
            return {}
        return {t["id"]: t["name"] for t in optional(api.get, "/api/service-types", token_of(request), **{"for": scope}) or []}

    @app.get("/me/activities", response_class=HTMLResponse)
    def my_activities(request: Request):
        me, tok = request.state.me, token_of(request)
        year = jalali.period_of(jalali.today(), "year").year
        kid = me.get("kanoon_id")
        return page(request, "activities.html", kanoon_id=kid, types=type_names(request, kid),
                    campaigns=(optional(api.get, f"/api/units/{kid}/campaigns", tok) if kid else None) or [],
                    training=optional(api.get, "/api/training/mine", tok) or [],
                    score=optional(api.get, f"/api/evaluation/members/{me['person_id']}/score", tok, year=year),
                    reservations=None, year=year)

    @app.post("/reservations", response_class=HTMLResponse)
    async def reserve(request: Request):
        form = await form_of(request)
        body = {"kanoon_id": request.state.me.get("kanoon_id") or "", "service_type": form.get("service_type", ""),
                "day": normalize_digits(form.get("day", "")), "from_hour": _number(form.get("from_hour"), int),
                "to_hour": _number(form.get("to_hour"), int), **({"note": form["note"]} if form.get("note") else {})}
        await run_in_threadpool(api.call, "POST", "/api/reservations", token_of(request), key=form.get("key"), json=body)
        return RedirectResponse("/me/activities?done=reservation", status_code=303)

    # -- a kanoon's desk (its head and deputy)

    @app.get("/kanoons/{kanoon_id}", response_class=HTMLResponse)
    def kanoon_desk(request: Request, kanoon_id: str):
        """The desk (reviews, reservations, transfers, the monthly report) is its own head's and
        deputy's; those who oversee the kanoon (its city, province, the Center) see what the API
        gives them of it and are told what they may not; anyone else is told it is not theirs."""
        me, tok = request.state.me, token_of(request)
        kanoon = api.get(f"/api/kanoons/{kanoon_id}", tok)
        runs = me.get("person_id") in (kanoon.get("head_id"), kanoon.get("deputy_id")) or any(
            g["role"] in KANOON_ROLES and g["scope_id"] == kanoon_id for g in me.get("grants", []))
        above = set(kanoon.get("unit_path") or [])
        oversees = any(g["role"] not in KANOON_ROLES and g["scope_id"] in above for g in me.get("grants", []))
        if not runs and not oversees:
            own = me.get("kanoon_id") == kanoon_id
            return page(request, "not_yours.html", status=403, kanoon=kanoon, own=own)
        today = jalali.today()
        last_month = jalali.period_of(jalali.period_of(today).first_day - timedelta(days=1))
        members = optional(api.get, f"/api/kanoons/{kanoon_id}/members", tok)
        beneficiaries = optional(api.get, f"/api/kanoons/{kanoon_id}/beneficiaries", tok, limit=20)
        needs = optional(api.get, f"/api/kanoons/{kanoon_id}/needs", tok)
        monthly = optional(api.get, f"/api/kanoons/{kanoon_id}/monthly-reports/{last_month}", tok)
        common = {"kanoon": kanoon, "unit_name": unit_name(kanoon.get("unit_id"), tok), "last_month": str(last_month), "types": type_names(request, kanoon_id),
                  "members": members, "beneficiaries": beneficiaries, "needs": needs, "monthly": monthly,
                  "desk": runs}
        if not runs:
            return page(request, "kanoon.html", **common)
        return page(request, "kanoon.html", **common,
                    to_review=optional(api.get, f"/api/kanoons/{kanoon_id}/activity-reports", tok, status="submitted") or [],
                    reservations=optional(api.get, f"/api/kanoons/{kanoon_id}/reservations", tok) or [],
                    transfers=optional(api.get, f"/api/kanoons/{kanoon_id}/transfers", tok) or [])

    @app.post("/reports/{report_id}/review", response_class=HTMLResponse)
    async def review(request: Request, report_id: str):
        form = await form_of(request)
        approve = form.get("approve") == "1"
        body = {"approve": approve, **({"reason": form["reason"]} if form.get("reason") else {})}
        report = await run_in_threadpool(api.call, "POST", f"/api/activity-reports/{report_id}/review",
                                         token_of(request), key=form.get("key"), json=body)
        return RedirectResponse(f"/kanoons/{report['kanoon_id']}?done={'approved' if approve else 'rejected'}",
                                status_code=303)

    @app.post("/kanoons/{kanoon_id}/monthly-reports", response_class=HTMLResponse)
    async def compile_month(request: Request, kanoon_id: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", "/api/monthly-reports", token_of(request), key=form.get("key"),
                                json={"kanoon_id": kanoon_id, "month": normalize_digits(form.get("month", "")),
                                      "clients": _number(form.get("clients"), int),
                                      "public_requests": _number(form.get("public_requests"), int),
                                      "public_requests_answered": _number(form.get("public_requests_answered"), int),
                                      **({"narrative": form["narrative"]} if form.get("narrative") else {}),
                                      **({"supplementary": form["supplementary"]} if form.get("supplementary") else {})})
        return RedirectResponse(f"/kanoons/{kanoon_id}?done=monthly", status_code=303)

    @app.post("/transfers/{transfer_id}/decisions", response_class=HTMLResponse)
    async def decide_transfer(request: Request, transfer_id: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", f"/api/transfers/{transfer_id}/decisions", token_of(request),
                                key=form.get("key"), json={"side": form.get("side", ""), "approve": form.get("approve") == "1",
                                                           **({"reason": form["reason"]} if form.get("reason") else {})})
        return RedirectResponse(f"{form.get('back') or '/'}?done=decided", status_code=303)

    @app.post("/reservations/{reservation_id}/decision", response_class=HTMLResponse)
    async def decide_reservation(request: Request, reservation_id: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", f"/api/reservations/{reservation_id}/decision", token_of(request),
                                key=form.get("key"), json={"confirm": form.get("confirm") == "1",
                                                           **({"reason": form["reason"]} if form.get("reason") else {})})
        return RedirectResponse(f"{form.get('back') or '/'}?done=decided", status_code=303)

    # -- a unit at a glance: a city's desk, a province's HQ, the country

    @app.get("/units/{unit_id}", response_class=HTMLResponse)
    def unit_page(request: Request, unit_id: str, period: str | None = None):
        tok = token_of(request)
        today = jalali.today()
        year = str(jalali.period_of(today, "year"))
        bad_period = None
        if period:
            try:
                period = str(jalali.parse_period(fa.period_code(period)))
            except ValueError:
                # The page is still drawn (for the year) with the period box to try again.
                bad_period, period = period, year
        else:
            period = year
        unit = api.get(f"/api/units/{unit_id}", tok)
        aggregates = optional(api.get, f"/api/units/{unit_id}/aggregates", tok, period=period)
        composition = optional(api.get, f"/api/units/{unit_id}/composition", tok)
        if aggregates is None and composition is None:
            return page(request, "error.html", status=403, error=f"شما اجازهٔ دیدن آمار «{unit['name']}» را ندارید.")
        months = []
        first = jalali.period_of(today).first_day
        for _ in range(6):
            first = jalali.period_of(first - timedelta(days=1)).first_day
            months.append(str(jalali.period_of(first)))
        months.reverse()
        completeness = [c for c in (optional(api.get, f"/api/units/{unit_id}/monthly-completeness", tok, month=m)
                                    for m in months) if c]
        types = {t["id"]: t["name"] for t in optional(api.get, "/api/service-types", tok, **{"for": unit_id}) or []}
        charts = build_charts(composition, aggregates, types, completeness)
        city = unit.get("kind") == "city"
        kanoon_list = optional(api.get, f"/api/units/{unit_id}/kanoons", tok, limit=200) if city else None
        last = str(jalali.period_of(jalali.period_of(today).first_day - timedelta(days=1)))
        to_review = []
        for k in (kanoon_list or {}).get("items", []):
            m = optional(api.get, f"/api/kanoons/{k['id']}/monthly-reports/{last}", tok)
            if m and m.get("status") == "submitted":
                to_review.append({**m, "kanoon_name": k["name"]})
        error = None
        if bad_period is not None:
            y = fa.digits(year)
            error = (f"دوره درست نیست؛ سال (مانند {y})، ماه (مانند مهر {y})، فصل (مانند پاییز {y}) "
                     f"یا نیم‌سال (مانند نیمهٔ نخست {y}) بنویسید. آمار سال {y} نشان داده شده است.")
        return page(request, "unit.html", status=422 if error else 200, error=error, typed=bad_period,
                    unit=unit, period=period, charts=charts, aggregates=aggregates,
                    completeness=completeness[-1] if completeness else None,
                    campaigns=optional(api.get, f"/api/units/{unit_id}/campaigns", tok),
                    ranking=optional(api.get, f"/api/evaluation/units/{unit_id}/ranking", tok,
                                     year=jalali.parse_period(period).year, limit=10),
                    # Counted by the oversight report, not by the handler's work list (which leaves out
                    # the complaints another handler — the oversight head — handles).
                    complaints=card(api.get, f"/api/units/{unit_id}/oversight-report", tok, period=period),
                    finance=card(api.get, f"/api/finance/units/{unit_id}/figures", tok, period=period),
                    formation=optional(api.get, f"/api/units/{unit_id}/kanoons", tok, status="submitted") if city else None,
                    kanoons=kanoon_list, to_review=to_review if city else None,
                    export_path=f"/api/units/{unit_id}/aggregates?period={period}")

    def build_charts(composition, aggregates, types, completeness) -> list[dict]:
        charts = []
        if composition:
            for key, title, names in (("education", "تحصیلات", fa.EDUCATION), ("age_band", "گروه سنی", fa.AGE_BAND),
                                      ("gender", "جنسیت", fa.GENDER), ("occupation", "شغل", {}),
                                      ("kind", "خادمیار و یاور", fa.KIND)):
                values = composition.get(key) or {}
                charts.append({"id": f"composition-{key}", "title": title, "type": "doughnut" if key in ("gender", "kind") else "bar",
                               "labels": [fa.name_of(names, k) for k in values], "keys": list(values),
                               "values": list(values.values()), "unit": "نفر"})
        if aggregates:
            by = aggregates.get("by_service_type") or {}
            charts.append({"id": "service-types", "title": "فراوانی مصداق‌های خدمت (گزارش‌های تأییدشده)", "type": "bar",
                           "labels": [types.get(k, k) for k in by], "keys": list(by),
                           "values": [v.get("reports", 0) for v in by.values()], "unit": "گزارش"})
        if completeness:
            charts.append({"id": "completeness", "title": "کامل‌بودن و به‌موقع‌بودن گزارش‌های ماهانه", "type": "line",
                           "labels": [month_name(c["month"]) for c in completeness], "keys": [c["month"] for c in completeness],
                           "values": [round(100 * (c.get("reported_rate") or 0)) for c in completeness],
                           "second": [round(100 * (c.get("on_time_rate") or 0)) for c in completeness],
                           "series": ["ارسال‌شده ٪", "به‌موقع ٪"], "unit": "درصد"})
        return charts

    def month_name(month: str) -> str:
        y, m = month.split("-")
        return f"{fa.MONTHS[int(m) - 1]} {fa.digits(y)}"

    env.globals["month_name"] = month_name

    @app.post("/kanoons/{kanoon_id}/monthly-reports/{month}/review", response_class=HTMLResponse)
    async def review_month(request: Request, kanoon_id: str, month: str):
        form = await form_of(request)
        accept = form.get("accept") == "1"
        await run_in_threadpool(api.call, "POST", f"/api/kanoons/{kanoon_id}/monthly-reports/{month}/review",
                                token_of(request), key=form.get("key"),
                                json={"accept": accept, **({"comment": form["comment"]} if form.get("comment") else {})})
        return RedirectResponse(f"{form.get('back') or '/'}?done=decided", status_code=303)

    # -- spreadsheets of any list the person may see (the gateway renders them)

    @app.get("/export")
    def export(request: Request, path: str, format: str = "xlsx"):
        if not path.startswith("/api/") or ".." in path or format not in ("xlsx", "csv"):
            return page(request, "error.html", status=422, error="این فهرست را نمی‌توان برون‌بری کرد.")
        base, _, query = path.partition("?")
        r = api.call("GET", f"{base}?{query + '&' if query else ''}{urlencode({'export': format})}",
                     token_of(request), raw=True)
        return Response(r.content, media_type=r.headers.get("content-type"),
                        headers={"Content-Disposition": r.headers.get("content-disposition", "attachment")})

    # -- the secretariat desk (§8): letters, memoranda, the council, the assembly, the HQ's reports

    def province_of(request: Request) -> str | None:
        """The person's province: of their province-level grant, else of their kanoon or city (the
        tree is country → region → province → …, so a path's third id is its province)."""
        me, tok = request.state.me, token_of(request)
        for g in me.get("grants", []):
            if g["scope_kind"] == "province":
                return g["scope_id"]
        if me.get("kanoon_id"):
            kanoon = optional(api.get, f"/api/kanoons/{me['kanoon_id']}", tok)
            if kanoon:
                return kanoon["province_id"]
        for g in me.get("grants", []):
            if g["scope_kind"] in ("city", "neighborhood"):
                unit = optional(api.get, f"/api/units/{g['scope_id']}", tok)
                if unit and len(unit["path"]) >= 3:
                    return unit["path"][2]
        return None

    async def post_json(request: Request, path: str, body: dict, back: str, done: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", path, token_of(request), key=form.get("key"), json=body(form))
        return RedirectResponse(f"{back}?done={done}", status_code=303)

    @app.get("/secretariat", response_class=HTMLResponse)
    def secretariat_home(request: Request):
        province = province_of(request)
        if not province:
            return page(request, "error.html", status=404, error="استان شما معلوم نیست.")
        return RedirectResponse(f"/secretariat/{province}", status_code=303)

    @app.get("/secretariat/{province_id}", response_class=HTMLResponse)
    def secretariat(request: Request, province_id: str):
        tok = token_of(request)
        letters = api.get(f"/api/units/{province_id}/letters", tok, limit=50)
        waiting = api.get(f"/api/units/{province_id}/letters", tok, waiting="true", limit=100)
        return page(request, "secretariat.html", province_id=province_id, letters=letters, waiting=waiting,
                    mous=optional(api.get, f"/api/units/{province_id}/mous", tok) or [],
                    council=optional(api.get, f"/api/units/{province_id}/council", tok) or [],
                    assemblies=optional(api.get, f"/api/units/{province_id}/assembly-sessions", tok) or [],
                    hq_reports=optional(api.get, f"/api/units/{province_id}/hq-reports", tok) or [])

    def _list(text: str | None) -> list[str]:
        return [x.strip() for x in (text or "").replace("،", "\n").splitlines() if x.strip()]

    def _day(text: str | None) -> str | None:
        return normalize_digits(text).strip() if text and text.strip() else None

    @app.post("/secretariat/{province_id}/letters", response_class=HTMLResponse)
    async def register_letter(request: Request, province_id: str):
        return await post_json(request, "/api/letters", lambda f: {
            "province_id": province_id, "direction": f.get("direction", ""), "subject": f.get("subject", ""),
            "parties": _list(f.get("parties")), "dated": _day(f.get("dated")), "deadline": _day(f.get("deadline")),
            **({"their_number": f["their_number"]} if f.get("their_number") else {}),
            **({"reply_to": f["reply_to"]} if f.get("reply_to") else {})}, f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/letters/{letter_id}/closing", response_class=HTMLResponse)
    async def close_letter(request: Request, province_id: str, letter_id: str):
        return await post_json(request, f"/api/letters/{letter_id}/closing",
                               lambda f: {"note": f["note"]} if f.get("note") else {}, f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/mous", response_class=HTMLResponse)
    async def register_mou(request: Request, province_id: str):
        return await post_json(request, "/api/mous", lambda f: {
            "province_id": province_id, "title": f.get("title", ""), "parties": _list(f.get("parties")),
            "subject": f.get("subject", ""), "signed_on": _day(f.get("signed_on")), "starts_on": _day(f.get("starts_on")),
            "ends_on": _day(f.get("ends_on"))}, f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/council/{what}", response_class=HTMLResponse)
    async def council(request: Request, province_id: str, what: str):
        if what == "chair":
            return await post_json(request, "/api/council/chair", lambda f: {
                "province_id": province_id, "person_id": f.get("person_id", "").strip(), "elected_on": _day(f.get("on"))},
                f"/secretariat/{province_id}", "saved")
        return await post_json(request, "/api/council/nominees", lambda f: {
            "province_id": province_id, "nominees": _list(f.get("nominees")), "sent_on": _day(f.get("on"))},
            f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/assembly", response_class=HTMLResponse)
    async def assembly(request: Request, province_id: str):
        return await post_json(request, "/api/assembly-sessions", lambda f: {
            "province_id": province_id, "held_on": _day(f.get("held_on")), "attendees": _number(f.get("attendees"), int),
            "resolutions": _list(f.get("resolutions")), **({"report_id": f["report_id"]} if f.get("report_id") else {})},
            f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/hq-reports", response_class=HTMLResponse)
    async def hq_report(request: Request, province_id: str):
        return await post_json(request, "/api/hq-reports", lambda f: {
            "province_id": province_id, "to": f.get("to", ""), "period": normalize_digits(f.get("period", "")),
            "title": f.get("title", ""), "body": f.get("body", "")}, f"/secretariat/{province_id}", "saved")

    @app.post("/secretariat/{province_id}/hq-reports/{report_id}/sending", response_class=HTMLResponse)
    async def send_hq_report(request: Request, province_id: str, report_id: str):
        return await post_json(request, f"/api/hq-reports/{report_id}/sending", lambda f: {"sent_on": _day(f.get("sent_on"))},
                               f"/secretariat/{province_id}", "saved")

    # -- the monthly meeting of a city's neighborhood kanoon heads

    @app.get("/meetings/{unit_id}", response_class=HTMLResponse)
    def meetings(request: Request, unit_id: str):
        tok = token_of(request)
        found = api.get(f"/api/units/{unit_id}/heads-meetings", tok)
        kanoons = optional(api.get, f"/api/units/{unit_id}/kanoons", tok, limit=200)
        names = {k["id"]: k["name"] for k in (kanoons or {}).get("items", [])}
        return page(request, "meetings.html", unit_id=unit_id, found=found, names=names,
                    neighborhood=[k for k in (kanoons or {}).get("items", []) if k["kind"] == "neighborhood"])

    @app.post("/meetings/{unit_id}", response_class=HTMLResponse)
    async def record_meeting(request: Request, unit_id: str):
        form = await request.form()
        attended = [str(v) for v in form.getlist("attended")]
        return await post_json(request, "/api/heads-meetings", lambda f: {
            "unit_id": unit_id, "held_on": _day(f.get("held_on")), "host_kanoon_id": f.get("host_kanoon_id", ""),
            "minutes": f.get("minutes", ""), "attended": attended,
            **({"next_host_id": f["next_host_id"]} if f.get("next_host_id") else {})}, f"/meetings/{unit_id}", "saved")

    # -- the audit trail of personal data (the oversight head's and the Center's)

    @app.get("/audit/{unit_id}", response_class=HTMLResponse)
    def audit(request: Request, unit_id: str, record_kind: str | None = None, by: str | None = None,
              record: str | None = None, skip: int = 0):
        tok = token_of(request)
        params = {k: v for k, v in (("record_kind", record_kind), ("by_person_id", by), ("record_id", record))
                  if v}
        trail = api.get(f"/api/units/{unit_id}/personal-data-audit", tok, limit=50, skip=max(skip, 0), **params)
        return page(request, "audit.html", unit_id=unit_id, trail=trail, filters=params, skip=max(skip, 0),
                    kinds=fa.RECORD_KIND, actions=fa.AUDIT_ACTION)

    # -- news of activities

    @app.get("/news", response_class=HTMLResponse)
    def news_home(request: Request):
        province = province_of(request)
        if not province:
            return page(request, "error.html", status=404, error="استان شما معلوم نیست.")
        return RedirectResponse(f"/news/{province}", status_code=303)

    @app.get("/news/{province_id}", response_class=HTMLResponse)
    def news(request: Request, province_id: str):
        tok = token_of(request)
        return page(request, "news.html", province_id=province_id, items=api.get(f"/api/units/{province_id}/news", tok),
                    media=optional(api.get, f"/api/units/{province_id}/media", tok))

    @app.post("/news/{province_id}", response_class=HTMLResponse)
    async def write_news(request: Request, province_id: str):
        form = await request.form()
        picked = [str(v) for v in form.getlist("media")]
        reports = sorted({p.split("|", 1)[0] for p in picked})
        return await post_json(request, "/api/news", lambda f: {
            "province_id": province_id, "title": f.get("title", ""), "body": f.get("body", ""), "report_ids": reports,
            "media": [p.split("|", 1)[1] for p in picked]}, f"/news/{province_id}", "saved")

    @app.post("/news/{province_id}/{news_id}/publication", response_class=HTMLResponse)
    async def publish_news(request: Request, province_id: str, news_id: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", f"/api/news/{news_id}/publication", token_of(request), key=form.get("key"))
        return RedirectResponse(f"/news/{province_id}?done=saved", status_code=303)

    # -- the service desk

    @app.get("/desk", response_class=HTMLResponse)
    def desk(request: Request):
        tok = token_of(request)
        province = province_of(request)
        queue = optional(api.get, f"/api/units/{province}/tickets", tok, limit=100) if province else None
        return page(request, "desk.html", mine=api.get("/api/tickets/mine", tok), queue=queue, province_id=province)

    @app.post("/desk", response_class=HTMLResponse)
    async def open_ticket(request: Request):
        return await post_json(request, "/api/tickets", lambda f: {
            "category": f.get("category", ""), "subject": f.get("subject", ""), "text": f.get("text", ""),
            **({"province_id": f["province_id"]} if f.get("province_id") else {}),
            **({"contact": f["contact"]} if f.get("contact") else {})}, "/desk", "saved")

    @app.post("/desk/{ticket_id}/messages", response_class=HTMLResponse)
    async def ticket_message(request: Request, ticket_id: str):
        return await post_json(request, f"/api/tickets/{ticket_id}/messages", lambda f: {"text": f.get("text", "")},
                               "/desk", "saved")

    @app.post("/desk/{ticket_id}/closing", response_class=HTMLResponse)
    async def close_ticket(request: Request, ticket_id: str):
        form = await form_of(request)
        await run_in_threadpool(api.call, "POST", f"/api/tickets/{ticket_id}/closing", token_of(request), key=form.get("key"))
        return RedirectResponse("/desk?done=saved", status_code=303)

    # -- importing HQ's lists (members, units, kanoons) from Excel or CSV

    @app.get("/imports", response_class=HTMLResponse)
    def imports(request: Request):
        return page(request, "imports.html", jobs=api.get("/api/imports", token_of(request), limit=20))

    @app.post("/imports", response_class=HTMLResponse)
    async def start_import(request: Request):
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")), request.cookies.get(CSRF, "") or "-"):
            raise Refused(403, {"error": "forbidden", "message": "csrf"})
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return page(request, "imports.html", status=422, error="پرونده‌ای برای ورود انتخاب نشده است.",
                        jobs=api.get("/api/imports", token_of(request), limit=20))
        content = await upload.read()
        try:
            job = await run_in_threadpool(api.call, "POST", "/api/imports", token_of(request), key=str(form.get("key")),
                                          data={"kind": str(form.get("kind", ""))},
                                          files={"file": (upload.filename, content)})
        except Refused as exc:
            if exc.status == 401:
                raise
            return page(request, "imports.html", status=exc.status, error=exc.message,
                        jobs=api.get("/api/imports", token_of(request), limit=20))
        return RedirectResponse(f"/imports/{job['id']}?done=import", status_code=303)

    @app.get("/imports/{job_id}.json")
    def import_progress(request: Request, job_id: str):
        job = api.get(f"/api/imports/{job_id}", token_of(request), limit=1)
        return {k: job[k] for k in ("status", "progress", "rows", "done_rows", "accepted", "duplicates", "refused")}

    @app.get("/imports/{job_id}", response_class=HTMLResponse)
    def import_job(request: Request, job_id: str):
        job = api.get(f"/api/imports/{job_id}", token_of(request), status="refused", limit=500)
        return page(request, "import_job.html", job=job)

    # -- the public: a complaint and its tracking, without an account

    @app.get("/public/complaint", response_class=HTMLResponse)
    def complaint_form(request: Request):
        return page(request, "complaint.html", me=None)

    @app.post("/public/complaint", response_class=HTMLResponse)
    async def complaint(request: Request):
        form = await form_of(request)
        body = {"subject_kind": form.get("subject_kind", ""), "subject_id": normalize_digits(form.get("subject_id", "")).strip(),
                "text": form.get("text", ""), **({"name": form["name"]} if form.get("name") else {}),
                **({"phone": normalize_digits(form["phone"])} if form.get("phone") else {})}
        try:
            ticket = await run_in_threadpool(api.call, "POST", "/api/public/complaints", None, key=form.get("key"),
                                             json=body, forwarded_for=client_address(request))
        except Refused as exc:
            return page(request, "complaint.html", me=None, status=exc.status, error=exc.message, field=exc.field,
                        form=form, key=form.get("key"))
        return page(request, "complaint_done.html", me=None, ticket=ticket)

    @app.get("/public/track", response_class=HTMLResponse)
    def track(request: Request, code: str | None = None):
        found, error = None, None
        if code:
            try:
                found = api.call("GET", f"/api/public/complaints/{quote(normalize_digits(code).strip().upper(), safe='')}",
                                  forwarded_for=client_address(request))
            except Refused as exc:
                error = "کد پیگیری یافت نشد." if exc.status == 404 else exc.message
        return page(request, "track.html", me=None, code=code or "", found=found, error=error,
                    status=404 if error and not found else 200)

    def client_address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    return app


def _number(text: str | None, kind=float):
    if text is None or not str(text).strip():
        return None
    t = normalize_digits(str(text)).strip().replace("٫", ".").replace("/", ".")
    try:
        return kind(t) if kind is float else int(float(t)) if float(t).is_integer() else t
    except ValueError:
        return t   # the API says what is wrong with it
