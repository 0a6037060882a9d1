"""Accounts' passwords (issue: accounts that can be defended): a minimum policy, said in a clear
message naming the field; a password is never logged nor kept but as its argon2 hash."""
from __future__ import annotations

from kernel.errors import Invalid

MIN_LENGTH = 10


def check_password(password: str, username: str, field: str = "password") -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid(f"a password has at least {MIN_LENGTH} characters", field)
    if len(password) > 200:
        raise Invalid("a password has at most 200 characters", field)
    if username and username.lower() in password.lower():
        raise Invalid("a password does not contain the username", field)
    if password.isdigit():
        raise Invalid("a password is not only digits", field)
    if len(set(password)) < 5:
        raise Invalid("a password has at least 5 different characters", field)
