"""The demo province (devenv/demo.py) is generated from its seed alone, and what it generates is
what HQ's import accepts: every member and kanoon row passes the import's checks, and no kanoon is
filled past its ceiling."""
from collections import Counter
from dataclasses import asdict
from datetime import date, datetime

from devenv.demo import MEMBER_HEADER, make_plan
from services.registry.domain import imports as im

TODAY = date(2026, 12, 7)


def test_the_same_seed_makes_the_same_province_and_another_seed_another():
    a, b = make_plan(1405, 10, 600, TODAY), make_plan(1405, 10, 600, TODAY)
    assert [asdict(k) for k in a.kanoons] == [asdict(k) for k in b.kanoons] and a.members == b.members
    assert make_plan(1406, 10, 600, TODAY).members != a.members


def test_every_generated_row_passes_the_import_checks():
    plan = make_plan(1405, 100, 10_000, TODAY)    # the size `make demo` loads
    people = [k.head for k in plan.kanoons] + [k.deputy for k in plan.kanoons] + plan.members
    assert len(people) == 10_000
    rows = im.read_rows("members", MEMBER_HEADER, [r[:11] + [None] for r in people], TODAY)
    refused = [r["outcome"] for r in rows if "outcome" in r]
    assert refused == []
    kanoons = im.read_rows("kanoons", ["code", "name", "kind", "unit", "head_national_id", "deputy_national_id",
                                       "founding_date", "field", "deputy_area"],
                           [[k.code, k.name, k.kind, k.unit, k.head[0], k.deputy[0], k.founded.isoformat(), k.field, k.area]
                            for k in plan.kanoons], TODAY)
    assert [r.get("outcome") for r in kanoons if "outcome" in r] == []
    assert {r["data"]["kind"] for r in kanoons} == {"neighborhood", "specialized"}
    # Their heads and deputies are what §2.3 asks (the import records them only then).
    from services.registry.domain.kanoons import check_deputy_eligibility, check_head_eligibility
    from services.registry.domain.people import Person
    by_nid = {r["data"]["national_id"]: r["data"] for r in rows if "data" in r}

    def person(nid):
        d = by_nid[nid]
        return Person(id="p", kind=d["kind"], first_name=d["first_name"], last_name=d["last_name"],
                      education=d["education"], service_code=d.get("service_code"), registered_at=datetime(2026, 1, 1))
    for k in plan.kanoons:
        check_head_eligibility(person(k.head[0]))
        check_deputy_eligibility(person(k.deputy[0]))
    sizes = Counter(r[11] for r in plan.members if r[11])
    assert max(sizes.values()) + 2 <= 100
    # Plausible people: both genders, several education levels, most of them placed in a kanoon.
    assert {r[4] for r in people} == {"مرد", "زن"} and len({r[6] for r in people}) >= 5
    assert sum(sizes.values()) > 0.7 * len(plan.members)
