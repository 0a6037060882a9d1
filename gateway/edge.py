"""DOMAIN §9 at the door: Persian and Arabic digits in the path and the query string become ASCII
before routing, so `?period=۱۴۰۵-۰۸`, `/monthly-reports/۱۴۰۵-۰۷` and `?limit=۲۰` mean what they say.
(Bodies are normalised field by field by the commands themselves, `kernel.types.Command`.)"""
from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

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
