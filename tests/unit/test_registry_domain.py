"""Registry rules with plain objects: formation workflow, head eligibility, floor and ceiling,
transfers, selection and roles."""
from datetime import date

import pytest

from kernel.access import Actor, Grant, Role
from kernel.errors import Conflict, Forbidden, Invalid
from services.registry.domain import rules
from services.registry.domain.composition import composition
from services.registry.domain.model import (Applicant, Application, CouncilMember, Education, Kanoon, KanoonKind,
                                            KanoonStatus, MembershipPolicy, OrientationSession, Outcome, Person,
                                            PersonKind, Place, PlaceKind, RoleAssignment, Track, Transfer, Unit,
                                            UnitKind, execute_transfer, join, leave)

CITY = Unit(id="IR-09-MSH", name="مشهد", kind=UnitKind.city, parent_id="IR-09", path=["IR", "IR-R5", "IR-09", "IR-09-MSH"])
ATTEST = {"computer_skills": True, "social_standing": True, "commitment_to_programs": True, "three_days_a_week": True}


def person(i, kind=PersonKind.khademyar, education=Education.bachelor, code=True):
    return Person(id=f"p{i}", kind=kind, first_name="a", last_name=str(i), education=education,
                  service_code=f"09-{i:06d}" if code and kind == PersonKind.khademyar else None,
                  city_id=CITY.id, city_path=CITY.path)


def requested(head=None, deputy=None):
    head, deputy = head or person(1), deputy or person(2)
    k, events = Kanoon.request(name="کانون", kind=KanoonKind.neighborhood, field=None, deputy_area=None, unit=CITY,
                               city_id=CITY.id, province_id="IR-09", head=head, deputy=deputy, by=head.id)
    return k, events, head, deputy


def council():
    return [CouncilMember(full_name=f"عضو {i}", title="معتمد") for i in range(5)]


def active(policy=None):
    k, _, head, deputy = requested()
    k.record_place(Place(kind=PlaceKind.mosque, name="مسجد", address="خیابان"), "p1")
    k.record_council(council(), "p1")
    k.submit_forms({"neighborhood": "x"}, "p1")
    k.approve(by="sec", attestations=ATTEST, founding_date=date(2024, 5, 1), head=head)
    policy = policy or MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=3, ceiling=5)
    join(head, k, policy, via="formation")
    join(deputy, k, policy, via="formation")
    return k, policy


def test_formation_goes_step_by_step_and_records_each_step():
    k, events, head, _ = requested()
    assert k.status == KanoonStatus.draft and events[0].event_type == "registry.kanoon.requested.v1"
    with pytest.raises(Conflict, match="place"):
        k.submit_forms({}, "p1")
    k.record_place(Place(kind=PlaceKind.mosque, name="مسجد جامع", address="محله"), "p1")
    with pytest.raises(Conflict, match="council"):
        k.submit_forms({}, "p1")
    with pytest.raises(Invalid, match="five"):
        k.record_council(council()[:4], "p1")
    k.record_council(council(), "p1")
    with pytest.raises(Conflict, match="submitted"):
        k.approve(by="sec", attestations=ATTEST, founding_date=date(2024, 5, 1), head=head)
    k.submit_forms({"neighborhood": "x"}, "p1")
    assert k.status == KanoonStatus.submitted
    with pytest.raises(Invalid, match="three_days_a_week"):
        k.approve(by="sec", attestations={**ATTEST, "three_days_a_week": False}, founding_date=date(2024, 5, 1), head=head)
    out = k.approve(by="sec", attestations=ATTEST, founding_date=date(2024, 5, 1), head=head)
    assert k.status == KanoonStatus.active
    assert [e.event_type for e in out][-1] == "registry.kanoon.approved.v1"
    assert [s.step for s in k.steps] == ["requested", "place_recorded", "council_recorded", "forms_submitted", "approved"]
    with pytest.raises(Conflict):
        k.reject(by="sec", reason="late")


def test_orientation_of_members_needs_the_heads_first():
    k, _ = active()
    with pytest.raises(Conflict, match="head"):
        k.record_orientation(OrientationSession(audience="members", held_on=date(2024, 6, 1), by="p1", attendees=5))
    with pytest.raises(Invalid):
        k.record_orientation(OrientationSession(audience="head", held_on=date(2024, 4, 1), by="sec", attendees=1))
    k.record_orientation(OrientationSession(audience="head", held_on=date(2024, 5, 2), by="sec", attendees=1))
    k.record_orientation(OrientationSession(audience="members", held_on=date(2024, 6, 1), by="p1", attendees=5))
    assert [s.step for s in k.steps][-2:] == ["head_oriented", "members_oriented"]


def test_rejection_needs_a_reason():
    k, _, _, _ = requested()
    k.record_place(Place(kind=PlaceKind.shrine, name="امامزاده", address="x"), "p1")
    k.record_council(council(), "p1")
    k.submit_forms({}, "p1")
    with pytest.raises(Invalid, match="reason"):
        k.reject(by="sec", reason=" ")
    k.reject(by="sec", reason="محل مناسب نیست")
    assert k.status == KanoonStatus.rejected


@pytest.mark.parametrize("head,field", [
    (person(1, education=Education.below_diploma), "head_id"),
    (person(1, code=False), "head_id"),
    (person(1, kind=PersonKind.yavar), "head_id"),
])
def test_head_eligibility_is_checked(head, field):
    with pytest.raises(Invalid) as exc:
        requested(head=head)
    assert exc.value.field == field


def test_deputy_needs_a_service_code_and_differs_from_head():
    with pytest.raises(Invalid) as exc:
        requested(deputy=person(2, kind=PersonKind.yavar))
    assert exc.value.field == "deputy_id"
    with pytest.raises(Invalid):
        requested(deputy=person(1))


def test_ceiling_refuses_a_join_and_floor_is_flagged():
    k, policy = active()
    assert k.member_count == 2 and k.flags(policy)["below_floor"]
    for i in range(3, 6):
        join(person(i, kind=PersonKind.yavar), k, policy)
    assert k.member_count == 5 and not k.flags(policy)["below_floor"]
    extra = person(6)
    with pytest.raises(Conflict, match="full"):
        join(extra, k, policy)
    assert extra.kanoon_id is None and k.member_count == 5


def test_a_member_joins_only_one_kanoon_and_heads_cannot_leave():
    k, policy = active()
    m = person(7)
    join(m, k, policy)
    with pytest.raises(Conflict, match="transfer"):
        join(m, k, policy)
    head = person(1)
    head.kanoon_id = k.id
    with pytest.raises(Conflict, match="head"):
        leave(head, k, policy)
    leave(m, k, policy)
    assert m.kanoon_id is None and m.kanoon_path == []


def test_transfer_needs_both_sides():
    a, pa = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=2, ceiling=5))
    b, pb = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=2, ceiling=5))
    m = person(8)
    join(m, a, pa)
    t, _ = Transfer.request(m, a, b, "p8", pa, pb)
    t.decide("origin", True, "headA", None)
    assert not t.ready and m.kanoon_id == a.id
    with pytest.raises(Conflict):
        t.decide("origin", True, "headA", None)
    t.decide("destination", True, "headB", None)
    assert t.ready
    out = execute_transfer(t, m, a, b, pa, pb)
    assert t.status == "completed" and m.kanoon_id == b.id
    assert (a.member_count, b.member_count) == (2, 3)
    assert [e.event_type for e in out] == ["registry.member.left.v1", "registry.member.joined.v1",
                                          "registry.transfer.completed.v1"]


def test_either_side_may_refuse_with_a_reason():
    a, pa = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=2, ceiling=5))
    b, pb = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=2, ceiling=5))
    m = person(9)
    join(m, a, pa)
    t, _ = Transfer.request(m, a, b, "p9", pa, pb)
    with pytest.raises(Invalid):
        t.decide("destination", False, "headB", None)
    t.decide("destination", False, "headB", "ظرفیت تکمیل")
    assert t.status == "refused" and m.kanoon_id == a.id
    with pytest.raises(Conflict):
        t.decide("origin", True, "headA", None)


def test_transfer_refused_when_bounds_would_break():
    a, pa = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=3, ceiling=5))
    b, pb = active(MembershipPolicy(province_id="IR-09", kanoon_type="neighborhood", floor=2, ceiling=3))
    m = person(10)
    join(m, a, pa)  # a has 3 = its floor
    with pytest.raises(Conflict) as exc:
        Transfer.request(m, a, b, "p10", pa, pb)
    assert exc.value.field == "from_kanoon_id"
    join(person(11), a, pa)  # a has 4; b has 2 of 3
    t, _ = Transfer.request(m, a, b, "p10", pa, pb)
    join(person(12), b, pb)  # b fills up meanwhile
    t.decide("origin", True, "x", None)
    t.decide("destination", True, "y", None)
    out = execute_transfer(t, m, a, b, pa, pb)
    assert t.status == "refused" and "full" in t.refusal_reason and m.kanoon_id == a.id
    assert out[0].event_type == "registry.transfer.refused.v1"


def test_selection_outcomes_need_their_steps():
    app = Applicant(national_id="0499370899", first_name="a", last_name="b", gender="male",
                    birth_date=date(1990, 1, 1), education="diploma", city_id=CITY.id, mobile="09151234567")
    a, _ = Application.submit(Track.khademyar, app, CITY.path)
    with pytest.raises(Conflict, match="documents_checked"):
        a.decide(Outcome.khademyar, "liaison", None)
    with pytest.raises(Invalid):
        a.record_step("introduced", "liaison", None)
    for step in ("documents_checked", "interviewed", "vetted"):
        a.record_step(step, "liaison", None)
    a.decide(Outcome.khademyar, "liaison", None)
    assert a.status == "decided"
    y, _ = Application.submit(Track.yavar, app, CITY.path)
    with pytest.raises(Invalid):
        y.decide(Outcome.khademyar, "liaison", None)
    with pytest.raises(Invalid):
        y.decide(Outcome.rejected, "liaison", "")
    y.decide(Outcome.rejected, "liaison", "مدارک ناقص")
    assert y.outcome == Outcome.rejected


def test_roles_are_held_at_their_level():
    with pytest.raises(Invalid):
        RoleAssignment.assign(person_id="p", role=Role.city_secretary, scope_id="IR-09", scope_kind="province",
                              scope_path=["IR", "IR-R5", "IR-09"], valid_from=date(2024, 1, 1), valid_to=None, by="x")
    with pytest.raises(Invalid):
        RoleAssignment.assign(person_id="p", role=Role.city_secretary, scope_id=CITY.id, scope_kind="city",
                              scope_path=CITY.path, valid_from=date(2024, 1, 2), valid_to=date(2024, 1, 1), by="x")
    a, _ = RoleAssignment.assign(person_id="p", role=Role.city_secretary, scope_id=CITY.id, scope_kind="city",
                                 scope_path=CITY.path, valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31), by="x")
    assert a.active_on(date(2024, 6, 1)) and not a.active_on(date(2025, 1, 1))
    a.revoke()
    assert not a.active_on(date(2024, 6, 1))


def test_a_role_covers_its_unit_and_below_only():
    sec = Actor(user_id="u", person_id="s", grants=[Grant(role=Role.city_secretary, scope_id=CITY.id, scope_kind="city")])
    k, _ = active()
    rules.decide_formation(sec, k)  # Mashhad's secretary covers a Mashhad kanoon
    other = Actor(user_id="u2", person_id="s2", grants=[Grant(role=Role.city_secretary, scope_id="IR-09-NSH", scope_kind="city")])
    with pytest.raises(Forbidden):
        rules.decide_formation(other, k)
    head = Actor(user_id="u3", person_id="h", grants=[Grant(role=Role.kanoon_head, scope_id=k.id, scope_kind="kanoon")])
    with pytest.raises(Forbidden):
        rules.decide_formation(head, k)
    rules.orient(head, k, "members")
    other_head = Actor(user_id="u4", person_id="h2", grants=[Grant(role=Role.kanoon_head, scope_id="kn_other", scope_kind="kanoon")])
    with pytest.raises(Forbidden):
        rules.orient(other_head, k, "members")


def test_composition_counts_bands():
    members = [
        {"kind": "khademyar", "education": "bachelor", "gender": "female", "occupation": "معلم", "birth_date": date(2000, 1, 1)},
        {"kind": "yavar", "education": "diploma", "gender": "male", "occupation": None, "birth_date": date(1960, 1, 1)},
        {"kind": "yavar", "education": "diploma", "gender": "male", "occupation": "معلم", "birth_date": date(2010, 6, 1)},
    ]
    c = composition(members, date(2024, 6, 1))
    assert c["total"] == 3
    assert c["education"] == {"bachelor": 1, "diploma": 2}
    assert c["age_band"] == {"18_29": 1, "60_plus": 1, "under_18": 1}
    assert c["occupation"] == {"unknown": 1, "معلم": 2}
