"""Accounts that can be defended: the password policy (services/registry/domain/accounts.py) and the
sign-in throttle's wait (kernel/throttle.py), which crosses RPC with its Retry-After."""
from datetime import datetime, timedelta, timezone

import pytest

from kernel.errors import Invalid, TooManyRequests
from kernel.throttle import recent, wait_for
from services.registry.domain.accounts import check_password


@pytest.mark.parametrize("password,why", [
    ("short-1", "at least 10"),
    ("1234567890123", "only digits"),
    ("xx.ali.reza.xx-1", "username"),
    ("aaaaabbbbbaaaaa", "5 different"),
    ("x" * 201, "at most 200"),
])
def test_weak_passwords_are_refused_saying_why(password, why):
    with pytest.raises(Invalid) as e:
        check_password(password, "ali.reza", "new_password")
    assert why in e.value.message and e.value.field == "new_password"


def test_a_reasonable_password_passes():
    check_password("a-long-password-1405", "ali.reza")


def test_five_failures_in_fifteen_minutes_make_the_sixth_wait():
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    failures = [t0 + timedelta(minutes=m) for m in range(5)]
    now = t0 + timedelta(minutes=5)
    assert wait_for(recent(failures[:4], now, 900), now, 5, 900) is None
    assert wait_for(recent(failures, now, 900), now, 5, 900) == pytest.approx(600)   # the first ends at 15 min


def test_the_wait_crosses_rpc_with_the_refusal():
    from nameko.exceptions import deserialize, serialize
    import kernel.messaging  # noqa: F401  (registers the kernel's errors)
    for field in ("username", None):
        e = deserialize(serialize(TooManyRequests("too many failed sign-ins", field, 42)))
        assert isinstance(e, TooManyRequests) and e.retry_after == 42 and e.field == field and e.status == 429
