"""What every request meets before its route, as plain ASGI middleware (cheaper than Starlette's
BaseHTTPMiddleware, which costs every request a task and a stream):

- DOMAIN §9 at the door: Persian and Arabic digits in the path and the query string become ASCII
  before routing, so `?period=۱۴۰۵-۰۸`, `/monthly-reports/۱۴۰۵-۰۷` and `?limit=۲۰` mean what they
  say. (Bodies are normalised field by field by the commands themselves, `kernel.types.Command`.)
- the request id (the client's `X-Request-ID`, or a new one) on `request.state` and on the answer,
  and the request's count and latency by route (Prometheus);
- `?export=` on a GET of the API: the answer converted to a sheet (`convert`, in gateway.app).
"""
from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qsl, quote, urlencode

from starlette.middleware.base import BaseHTTPMiddleware

from kernel import logs
from kernel.persian import normalize_digits

_NON_ASCII_DIGITS = set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")


def _has(text: str) -> bool:
    return any(c in _NON_ASCII_DIGITS for c in text)


class DigitsMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope.get("path", "")
            if _has(path):
                scope = dict(scope)
                scope["path"] = normalize_digits(path)
                scope["raw_path"] = quote(scope["path"]).encode()
            raw = scope.get("query_string", b"")
            if raw:
                pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True, encoding="utf-8")
                if any(_has(k) or _has(v) for k, v in pairs):
                    scope = dict(scope)
                    scope["query_string"] = urlencode(
                        [(normalize_digits(k), normalize_digits(v)) for k, v in pairs]).encode()
        await self.app(scope, receive, send)


class RequestContextMiddleware:
    def __init__(self, app, latency, requests_total):
        self.app = app
        self.latency = latency
        self.requests_total = requests_total

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        header = (b"x-request-id", rid.encode("latin-1"))
        status = 500
        start = time.perf_counter()

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": headers + [header]}
            await send(message)

        tokens = logs.bind(rid)   # every line logged for this request carries its id (kernel.logs)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logs.unbind(tokens)
            path = getattr(scope.get("route"), "path", "unmatched")
            self.latency.labels(path).observe(time.perf_counter() - start)
            self.requests_total.labels(scope["method"], path, str(status)).inc()


class SpreadsheetMiddleware:
    """Only a GET of the API with `export` in its query goes through `convert` (a
    BaseHTTPMiddleware, since it reads the whole answer); everything else passes straight on."""

    def __init__(self, app, convert):
        self.app = app
        self.converting = BaseHTTPMiddleware(app, dispatch=convert)

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith("/api/")
                and any(k == "export" for k, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                             keep_blank_values=True))):
            return await self.converting(scope, receive, send)
        return await self.app(scope, receive, send)
