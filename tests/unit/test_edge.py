"""What crosses the edge, without I/O: every command takes Persian and Arabic digits in every field and
refuses control characters naming the field; responses turn dates, and only dates, into Jalali; every
route documents its 2xx body; the store retries on MongoDB's label only; a message's headers cannot
make it loop."""
from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError
from pymongo.errors import OperationFailure

from gateway import responses
from gateway.app import create_app
from kernel.messaging import attempts_of, first_failure_of
from kernel.store import is_transient
from kernel.types import Command

SPEC = create_app(start_pool=False).openapi()
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _models() -> list[tuple[str, type[Command], dict]]:
    import services.registry.schemas as registry
    import services.reports.schemas as reports
    from gateway.routes import ops
    out = []
    for module in (registry, reports, ops):
        for name, cls in vars(module).items():
            if isinstance(cls, type) and issubclass(cls, Command) and cls is not Command:
                for example in (cls.model_config.get("json_schema_extra") or {}).get("examples", []):
                    out.append((name, cls, example))
    return out


MODELS = _models()


def _in_other_digits(value, table):
    """The example as a person typing other digits would send it: numbers as text in those digits."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return str(value).translate(table)
    if isinstance(value, str):
        return value.translate(table)
    if isinstance(value, list):
        return [_in_other_digits(v, table) for v in value]
    if isinstance(value, dict):
        return {k: _in_other_digits(v, table) for k, v in value.items()}
    return value


def test_every_command_is_covered():
    assert len({name for name, _, _ in MODELS}) >= 35


@pytest.mark.parametrize("table", [PERSIAN, ARABIC], ids=["persian", "arabic"])
@pytest.mark.parametrize("name,model,example", MODELS, ids=[m[0] for m in MODELS])
def test_every_field_of_every_command_takes_persian_and_arabic_digits(name, model, example, table):
    ascii_ = model.model_validate(example)
    other = model.model_validate(_in_other_digits(example, table))
    expected = ascii_.model_dump()
    got = other.model_dump()
    for field in model.verbatim:  # a password keeps its digits as typed
        expected.pop(field, None)
        got.pop(field, None)
    assert got == expected


def test_a_persian_decimal_separator_is_a_decimal_point():
    from services.reports.schemas import SubmitReport
    body = {"kanoon_id": "k1", "service_type": "food_packages", "day": "۱۴۰۴/۰۸/۲۰", "hours": "۲٫۵",
            "place": "مسجد", "beneficiaries": "۱۲", "description": "توزیع"}
    r = SubmitReport.model_validate(body)
    assert r.hours == 2.5 and r.beneficiaries == 12 and r.day == date(2025, 11, 11)


def _string_fields(example: dict) -> list[str]:
    return [k for k, v in example.items() if isinstance(v, str)]


CONTROL_CASES = [(name, model, example, field) for name, model, example in MODELS
                 for field in _string_fields(example)]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"], ids=["NUL", "BEL", "ESC", "DEL"])
@pytest.mark.parametrize("name,model,example,field", CONTROL_CASES,
                         ids=[f"{c[0]}.{c[3]}" for c in CONTROL_CASES])
def test_control_characters_are_refused_naming_the_field(name, model, example, field, char):
    bad = {**example, field: example[field][:1] + char + example[field][1:]}
    with pytest.raises(ValidationError) as exc:
        model.model_validate(bad)
    assert exc.value.errors()[0]["loc"][0] == field


def test_line_breaks_and_the_zero_width_non_joiner_are_text():
    from services.reports.schemas import ReturnReport
    r = ReturnReport.model_validate({"comment": "ساعات\nگزارش\u200cشده"})
    assert "\u200c" in r.comment


def test_responses_turn_dates_into_jalali_and_leave_free_text_alone():
    report = {"id": "ar_1", "kanoon_id": "k", "kanoon_path": ["IR", "k"], "reporter_id": "p", "reporter_kind": "yavar",
              "service_type": "food_packages", "day": "2024-10-06", "hours": 2.0, "place": "2024-10-06",
              "beneficiaries": 1, "description": "2024-10-06T10:00:00+00:00", "media": [], "status": "submitted",
              "submitted_at": "2024-10-06T10:00:00+00:00", "month": "1403-07", "version": 0}
    out = responses.ActivityReport.model_validate(report).model_dump(mode="json", exclude_unset=True)
    assert out["day"] == "1403/07/15"
    assert out["submitted_at"] == "1403/07/15 13:30"
    assert out["place"] == "2024-10-06" and out["description"] == "2024-10-06T10:00:00+00:00"
    assert out["month"] == "1403-07"


def test_every_route_documents_its_success_body():
    missing = []
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            ok = [r for code, r in op["responses"].items()  # JSON, or a file declared as binary
                  if code.startswith("2") and any(c.get("schema") for c in r.get("content", {}).values())]
            if not ok:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
    assert len([1 for ops in SPEC["paths"].values() for _ in ops]) >= 75


def test_query_limits_are_bounded_in_the_api():
    for path, ops in SPEC["paths"].items():
        for op in ops.values():
            for p in op.get("parameters", []):
                if p["name"] in ("skip", "limit"):
                    assert "maximum" in p["schema"], (path, p["name"])


def test_only_mongodbs_label_makes_a_transaction_worth_retrying():
    labelled = OperationFailure("WriteConflict", 112, {"errorLabels": ["TransientTransactionError"]})
    assert is_transient(labelled)
    for text in ("active transaction bound to another session", "database is locked", "Write conflict"):
        assert not is_transient(OperationFailure(text, 8000)), text


@pytest.mark.parametrize("raw", ["abc", "-1", 10 ** 12, [1, 2], {"n": 1}, 1.5, True, None, b"\x00"])
def test_a_malformed_attempt_counter_counts_as_spent(raw):
    assert attempts_of({"x-khadem-attempts": raw}, 3) == 3


def test_a_well_formed_attempt_counter_is_read():
    assert attempts_of({}, 3) == 0
    assert attempts_of({"x-khadem-attempts": 2}, 3) == 2
    assert attempts_of({"x-khadem-attempts": "1"}, 3) == 1


def test_a_malformed_first_failure_time_counts_as_long_ago():
    now = datetime.now(timezone.utc).timestamp()
    assert first_failure_of({}, now) is None
    assert first_failure_of({"x-khadem-first-failure": now - 5}, now) == now - 5
    for raw in ("yesterday", [now], now + 3600, -1, True):
        assert first_failure_of({"x-khadem-first-failure": raw}, now) == 0.0
