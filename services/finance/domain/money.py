"""Amounts are whole rials (DOMAIN §5): integers, never floats or fractions. Input may come with
Persian or Arabic digits and thousands separators (۱۲٬۰۰۰٬۰۰۰, 12,000,000); anything with a
fraction, a sign or a decimal point is refused, whatever its value."""
from __future__ import annotations

import re

from kernel.errors import Invalid
from kernel.persian import normalize_digits

MAX_RIALS = 10 ** 15  # a thousand thousand billion rials: far above any single movement
_SEPARATORS = re.compile(r"[,\u066c\u060c\s_']")  # , ٬ ، spaces, underscores, apostrophes


def rials(value, field: str = "amount", allow_zero: bool = False) -> int:
    """A whole, positive number of rials from what a person or a file gave."""
    if isinstance(value, bool):
        raise Invalid("an amount is a whole number of rials", field)
    if isinstance(value, float):
        raise Invalid("an amount is a whole number of rials, not a fraction or a decimal", field)
    if isinstance(value, str):
        text = _SEPARATORS.sub("", normalize_digits(value).strip())
        if not re.fullmatch(r"\d+", text):
            raise Invalid("an amount is a whole number of rials, digits only", field)
        value = int(text)
    if not isinstance(value, int):
        raise Invalid("an amount is a whole number of rials", field)
    if value < 0 or (value == 0 and not allow_zero):
        raise Invalid("an amount is more than zero rials", field)
    if value > MAX_RIALS:
        raise Invalid(f"an amount is at most {MAX_RIALS:,} rials", field)
    return value
