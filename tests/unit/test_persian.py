from hypothesis import given, strategies as st

import pytest

from kernel import persian


def national_id_with_check(nine: str) -> str:
    s = sum(int(nine[i]) * (10 - i) for i in range(9)) % 11
    return nine + str(s if s < 2 else 11 - s)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda x: len(set(x)) > 1))
def test_every_correct_check_digit_is_accepted_and_every_other_refused(nine):
    good = national_id_with_check(nine)
    assert persian.is_valid_national_id(good)
    for d in "0123456789":
        if d != good[9]:
            assert not persian.is_valid_national_id(nine + d)


def test_known_national_ids():
    assert persian.is_valid_national_id("0499370899")
    assert not persian.is_valid_national_id("0499370898")
    assert not persian.is_valid_national_id("1111111111")  # a repeated digit passes the sum but is not issued
    assert not persian.is_valid_national_id("049937089")
    assert persian.normalize_national_id("۰۴۹۹۳۷۰۸۹۹") == "0499370899"


def test_normalisation_of_letters_digits_and_space():
    assert persian.normalize_text("  علي   كريمي ۱۲٣ ") == "علی کریمی 123"
    assert persian.normalize_text("می\u200cخواهم") == "می\u200cخواهم"  # the ZWNJ stays


@pytest.mark.parametrize("raw", ["09151234567", "+989151234567", "00989151234567", "9151234567",
                                 "۰۹۱۵۱۲۳۴۵۶۷", "0915 123 4567"])
def test_mobile_shapes(raw):
    assert persian.normalize_mobile(raw) == "09151234567"


@pytest.mark.parametrize("raw", ["0915123456", "08151234567", "abc", "+19151234567"])
def test_bad_mobiles(raw):
    with pytest.raises(ValueError):
        persian.normalize_mobile(raw)
