"""The error vocabulary every service raises and the gateway maps to HTTP.

`kernel.messaging.register_errors` registers them with nameko so that an RPC caller gets the same
class back (with its message and field), not a generic RemoteError; this module itself imports no
framework, so domain code can raise them. Only these cross a service boundary as answers (4xx, and
503/504 for "nothing was done" and "outcome unknown"); anything else is a fault of ours and becomes
a 500 with a request id.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        # The args cross RPC as they are; a None would arrive as the text "None".
        super().__init__(*((message,) if field is None else (message, field)))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class Invalid(DomainError):
    """The input breaks a rule: wrong shape, out of range, not allowed in this state."""
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but collides with the current state (duplicate, full, changed)."""
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Unavailable(DomainError):
    """Nothing was done, and trying again later may succeed: the store stayed busy (a write conflict,
    e.g. documents still held by a transaction whose client died) until the request's deadline.
    `retry_after` (seconds) becomes the HTTP `Retry-After`."""
    status = 503
    code = "unavailable"
    retry_after = 5


class TooManyRequests(DomainError):
    """Too many attempts of a kind (failed sign-ins, public complaints) in a while, counted where
    every gateway sees them; `retry_after` (seconds) becomes the HTTP `Retry-After`."""
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, field: str | None = None, retry_after: int | str = 60):
        super().__init__(message, field or None)
        self.retry_after = int(retry_after)
        # What crosses RPC (as text), so that the caller gets the wait too.
        self.args = (message, field or "", self.retry_after)


class OutcomeUnknown(DomainError):
    """The store could not confirm whether the change was committed. Retrying with the same
    Idempotency-Key gives the first outcome if it was, and does the work if it was not."""
    status = 504
    code = "outcome_unknown"


EXPECTED = (Invalid, NotFound, Conflict, Forbidden, Unauthenticated, Unavailable, OutcomeUnknown, TooManyRequests)
