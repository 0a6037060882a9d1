"""The web app's only way to the system: the gateway's REST API, with the signed-in person's own token
(no private back door; what a page shows is what the API gives that person). It behaves as Khadem
asks of its clients: every state-changing call carries the Idempotency-Key of the form that asked
for it, a 503 is retried after its Retry-After and a 504 with the same key, a bounded number of times."""
from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import httpx

from . import fa


# The id of the page request being served: sent to the gateway as X-Request-ID, so the tracking
# number a person is shown finds the web app's log lines and the gateway's and services' alike.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class Refused(Exception):
    """The API said no (or could not say): its status, code, field and a Persian sentence for people."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        self.code = body.get("error")
        self.field = body.get("field")
        self.message = fa.refusal(status, body)
        super().__init__(f"{status} {self.code}: {body.get('message')}")


class Gateway:
    SAFE = {"GET", "HEAD"}

    def __init__(self, base_url: str, timeout: float = 30, retries: int = 2, proxy_secret: str = "",
                 transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self.retries = retries
        self.proxy_secret = proxy_secret

    def close(self):
        self.http.close()

    def call(self, method: str, path: str, token: str | None = None, *, key: str | None = None,
             params: dict | None = None, json: Any = None, data: dict | None = None, files: Any = None,
             forwarded_for: str | None = None, raw: bool = False) -> Any:
        headers = {}
        if REQUEST_ID.get():
            headers["X-Request-ID"] = REQUEST_ID.get()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if method not in self.SAFE:
            if not key:
                raise ValueError("a state-changing call needs the form's Idempotency-Key")
            headers["Idempotency-Key"] = key
        if forwarded_for and self.proxy_secret:
            headers["X-Forwarded-For"] = forwarded_for
            headers["X-Khadem-Proxy"] = self.proxy_secret
        for attempt in range(self.retries + 1):
            try:
                r = self.http.request(method, path, headers=headers, params=params, json=json, data=data, files=files)
            except httpx.TimeoutException:
                body = {"error": "outcome_unknown" if method not in self.SAFE else "unavailable"}
                if attempt == self.retries:
                    raise Refused(504 if method not in self.SAFE else 503, body) from None
                continue
            except httpx.TransportError:
                raise Refused(503, {"error": "unavailable"}) from None
            if r.status_code in (503, 504) and attempt < self.retries:
                time.sleep(min(float(r.headers.get("Retry-After") or 1), 3))
                continue
            break
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = {}
            raise Refused(r.status_code, body if isinstance(body, dict) else {})
        if raw:
            return r
        return r.json() if r.content else None

    def get(self, path: str, token: str | None = None, **params) -> Any:
        return self.call("GET", path, token, params={k: v for k, v in params.items() if v is not None})
