"""Persian input: normalisation and the validators of DOMAIN §9."""
from __future__ import annotations

import re

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه", "ة": "ه"})
_ZW = re.compile(r"[\u200e\u200f\u202a-\u202e]")  # direction marks; the ZWNJ (U+200C) is kept
_SPACES = re.compile(r"\s+")


def normalize_digits(text: str) -> str:
    return text.translate(_DIGITS)


def normalize_text(text: str) -> str:
    """Arabic ي/ك → Persian ی/ک, Persian/Arabic digits → ASCII, direction marks removed,
    runs of white space folded, ends trimmed."""
    text = _ZW.sub("", text.translate(_LETTERS).translate(_DIGITS))
    return _SPACES.sub(" ", text).strip()


def is_valid_national_id(code: str) -> bool:
    """The Iranian national ID (کد ملی): ten digits, the last a check digit over the first nine."""
    code = normalize_digits(code).strip()
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    check = int(code[9])
    s = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    return check == s if s < 2 else check == 11 - s


def normalize_national_id(code: str) -> str:
    code = normalize_digits(str(code)).strip().replace("-", "")
    if not is_valid_national_id(code):
        raise ValueError("not a valid national ID (10 digits with a correct check digit)")
    return code


def normalize_mobile(number: str) -> str:
    """Iranian mobile numbers in any common shape (09xx…, +989xx…, 00989xx…, 9xx…) → 09xxxxxxxxx."""
    n = re.sub(r"[\s\-()]", "", normalize_digits(str(number)))
    if n.startswith("+98"):
        n = "0" + n[3:]
    elif n.startswith("0098"):
        n = "0" + n[4:]
    elif n.startswith("98") and len(n) == 12:
        n = "0" + n[2:]
    elif n.startswith("9") and len(n) == 10:
        n = "0" + n
    if not re.fullmatch(r"09\d{9}", n):
        raise ValueError("not a valid mobile number (expected 09xxxxxxxxx)")
    return n


def name_key(text: str) -> str:
    """A name as search compares it: Persian letters for Arabic ones (ي→ی, ك→ک, ة→ه), no
    zero-width non-joiner, no diacritics, one space between words, lower case for Latin."""
    text = normalize_text(text).replace("\u200c", " ")
    text = "".join(ch for ch in text if not ("\u064b" <= ch <= "\u065f" or ch == "\u0670"))
    return " ".join(text.lower().split())


def name_tokens(full_name: str) -> list[str]:
    """The words a stored name is found by: each word, and each two neighbours written together, so
    a name stored as علی‌رضا (or علی رضا) is found by علیرضا too. Each searched word must begin one
    of these."""
    words = name_key(full_name).split()
    return words + [a + b for a, b in zip(words, words[1:])]
