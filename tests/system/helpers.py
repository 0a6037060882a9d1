"""Small HTTP helpers for the system tests and benchmarks: a client that behaves as a real one should,
sign in, register people, form a kanoon."""
import itertools
import random
import time
import uuid

import httpx

from kernel.persian import is_valid_national_id

ATTEST = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True,
          "three_days_a_week": True}


def _national_ids():
    """Valid national ID numbers, different in every run and never repeated within one."""
    for n in itertools.count(random.randrange(10_000_000, 900_000_000)):
        body = f"{n:09d}"
        r = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
        nid = body + str(r if r < 2 else 11 - r)
        if is_valid_national_id(nid):
            yield nid


NIDS = _national_ids()


def next_nid() -> str:
    return next(NIDS)


# Gateways that stand for one another (a load balancer's backends): the system tests' clients send
# each request to the next of them in turn (the system fixture fills it in).
GATEWAYS: dict[str, list[str]] = {}


class Alternating(httpx.HTTPTransport):
    """Each request to the next gateway in turn, as a load balancer in front of them would send it."""

    def __init__(self, urls: list[str], **kwargs):
        super().__init__(**kwargs)
        self.targets = [httpx.URL(u) for u in urls]
        self.turn = itertools.count()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        t = self.targets[next(self.turn) % len(self.targets)]
        request.url = request.url.copy_with(scheme=t.scheme, host=t.host, port=t.port)
        request.headers["Host"] = f"{t.host}:{t.port}"
        return super().handle_request(request)


def balanced(base: str) -> dict:
    """httpx.Client arguments that spread its requests over the gateways standing for `base`."""
    urls = GATEWAYS.get(str(base).rstrip("/"))
    return {"transport": Alternating(urls)} if urls and len(urls) > 1 else {}


class Api(httpx.Client):
    """An HTTP client that behaves as Khadem asks of its clients: every state-changing request carries
    an Idempotency-Key, and a 503 (nothing was done) or a 504 (outcome unknown) is retried with the
    same key, a bounded number of times, after the Retry-After it was given. Never a blind retry."""

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, *args, retries: int = 4, **kwargs):
        if "transport" not in kwargs and kwargs.get("base_url"):
            kwargs.update(balanced(kwargs["base_url"]))
        super().__init__(*args, **kwargs)
        self.retries = retries

    def request(self, method, url, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() not in self.SAFE:
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        for attempt in range(self.retries + 1):
            r = super().request(method, url, headers=headers, **kwargs)
            if r.status_code not in (503, 504) or attempt == self.retries:
                return r
            time.sleep(min(float(r.headers.get("Retry-After") or 1), 5))
        return r


def sign_in(base, username, password, retries: int = 4):
    r = httpx.post(f"{base}/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return Api(base_url=base, headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=30,
               retries=retries)


def person_body(kind="khademyar", city="IR-09-MSH", **extra):
    body = {"kind": kind, "national_id": next_nid(), "first_name": "علي", "last_name": "محمدي",
            "gender": "male", "birth_date": "1365/02/10", "education": "bachelor", "city_id": city,
            "mobile": "09151234567"}
    if kind == "khademyar":
        body["service_code"] = f"09-{body['national_id']}"
    body.update(extra)
    return body


def member(api, kind="khademyar", city="IR-09-MSH", **extra):
    r = api.post("/api/members", json=person_body(kind, city, **extra))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def account(api, base, person_id, username):
    r = api.post("/api/accounts", json={"person_id": person_id, "username": username, "password": "password-123"})
    assert r.status_code == 201, r.text
    return sign_in(base, username, "password-123")


def staff(api, base, username, role, scope, city="IR-09-MSH"):
    pid = member(api, city=city)
    r = api.post("/api/roles", json={"person_id": pid, "role": role, "scope_id": scope})
    assert r.status_code == 201, r.text
    return account(api, base, pid, username), pid


def form_kanoon(head_api, head, deputy, secretary, name, unit="IR-09-MSH", founding_date=None):
    r = head_api.post("/api/kanoons", json={"name": name, "kind": "neighborhood", "unit_id": unit,
                                            "head_id": head, "deputy_id": deputy})
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    assert head_api.put(f"/api/kanoons/{kid}/place",
                        json={"kind": "mosque", "name": "مسجد", "address": "خیابان امام رضا"}).status_code == 200
    council = [{"full_name": f"عضو {i}", "title": "معتمد محل"} for i in range(5)]
    assert head_api.put(f"/api/kanoons/{kid}/council", json={"members": council}).status_code == 200
    r = head_api.post(f"/api/kanoons/{kid}/forms", json={"neighborhood": "سناباد", "households_estimate": 400,
                                                         "founding_members": 2,
                                                         "programs_planned": "چهارشنبه امام رضایی"})
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    approval = {**ATTEST, "founding_date": founding_date} if founding_date else ATTEST
    r = secretary.post(f"/api/kanoons/{kid}/approval", json=approval)
    assert r.status_code == 200, r.text
    return kid


def eventually(fn, timeout=20):
    """The first truthy result of `fn`, polled until `timeout` (what another service learns from
    events arrives soon, not at once); the last result when time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.25)


def until_status(call, status):
    """The response of `call()` once it answers `status`, or None."""
    return eventually(lambda: (lambda r: r if r.status_code == status else None)(call()))
