"""Accounts that can be defended: the password policy (services/registry/domain/accounts.py) and the
sign-in throttle's look without counting (gateway/throttle.py)."""
import pytest

from gateway.throttle import Throttle
from kernel.errors import Invalid
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


def test_a_look_at_the_throttle_counts_nothing():
    now = [0.0]
    t = Throttle(3, 900, clock=lambda: now[0])
    assert t.blocked("u") is None
    for _ in range(3):
        assert t.hit("u") is None
    assert t.blocked("u") == 900 and t.blocked("u") == 900     # looking twice adds nothing
    now[0] = 901
    assert t.blocked("u") is None
