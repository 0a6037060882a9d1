"""Sealing personal data at rest and its blind index (kernel.personal), and the settings' refusal of
a missing or development key in production. No I/O."""
import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from kernel.personal import DEV_DATA_KEY, PREFIX, Sealer, is_sealed
from kernel.settings import Settings

KEY, OLD = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_sealed_value_hides_its_text_and_opens_with_the_key():
    s = Sealer([KEY])
    sealed = s.seal("0012345678")
    assert sealed.startswith(PREFIX) and "0012345678" not in sealed
    assert s.open(sealed) == "0012345678"
    assert s.seal("0012345678") != sealed        # randomised: equal values do not look equal
    assert s.seal(sealed) == sealed              # sealing twice changes nothing
    assert s.seal(None) is None and s.seal("") == ""
    assert s.open("written before sealing") == "written before sealing"


def test_another_key_does_not_open_it_and_says_so():
    sealed = Sealer([KEY]).seal("زهرا رضایی")
    with pytest.raises(ValueError, match="DATA_KEYS"):
        Sealer([OLD]).open(sealed)


def test_a_new_key_put_first_seals_while_the_old_one_still_opens():
    old_sealed = Sealer([OLD]).seal("09151234567")
    rotated = Sealer([KEY, OLD])
    assert rotated.open(old_sealed) == "09151234567"
    assert Sealer([KEY]).open(rotated.seal("x")) == "x"          # sealed with the first key
    # The blind index is keyed from the last key: searches keep finding old records.
    assert rotated.blind("09151234567") == Sealer([OLD]).blind("09151234567")


def test_the_blind_index_is_deterministic_keyed_and_hides_the_value():
    a, b = Sealer([KEY]), Sealer([OLD])
    assert a.blind("0012345678") == a.blind("0012345678")
    assert a.blind("0012345678") != a.blind("0012345679")
    assert a.blind("0012345678") != b.blind("0012345678")
    assert "0012345678" not in a.blind("0012345678") and a.blind(None) is None


def test_documents_are_sealed_and_opened_by_dotted_paths():
    s = Sealer([KEY])
    doc = {"_id": "c1", "complainant": {"name": "زهرا", "phone": "09120000000", "person_id": None},
           "text": "متن"}
    sealed = s.seal_doc(dict(doc, complainant=dict(doc["complainant"])), ["complainant.name", "complainant.phone"])
    assert is_sealed(sealed["complainant"]["name"]) and is_sealed(sealed["complainant"]["phone"])
    assert sealed["text"] == "متن" and sealed["complainant"]["person_id"] is None
    assert s.open_doc(sealed, ["complainant.name", "complainant.phone"]) == doc
    # A missing field stays missing; a blind-indexed one gets its `_bi` beside it, dropped on reading.
    b = s.seal_doc({"national_id": "0012345678"}, ["national_id", "mobile"], ["national_id", "mobile"])
    assert "mobile" not in b and b["mobile_bi"] is None and b["national_id_bi"] == s.blind("0012345678")
    assert s.open_doc(b, ["national_id", "mobile"], ["national_id", "mobile"]) == {"national_id": "0012345678"}


def test_production_refuses_a_missing_or_development_key_and_any_malformed_key():
    prod = {"environment": "production", "jwt_secret": "j" * 40}
    with pytest.raises(ValidationError, match="DATA_KEYS"):
        Settings(**prod)
    with pytest.raises(ValidationError, match="DATA_KEYS"):
        Settings(**prod, data_keys=DEV_DATA_KEY)
    assert Settings(**prod, data_keys=f"{KEY},{OLD}").data_keys
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(data_keys="not-a-key")
    assert Settings().environment == "development"     # the development key serves outside production
