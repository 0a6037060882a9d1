"""The registry's integration events. Additive changes only; a breaking change is a new `.vN`.

Personal identifiers (national ID, mobile) never leave the registry on the bus.
"""
from __future__ import annotations

from datetime import date, datetime

from kernel.events import EventData, event_type


@event_type("registry.unit.created.v1", "unit/{unit_id}")
class UnitCreated(EventData):
    unit_id: str
    name: str
    kind: str
    parent_id: str | None
    path: list[str]


@event_type("registry.person.registered.v1", "person/{person_id}")
class PersonRegistered(EventData):
    person_id: str
    kind: str
    full_name: str
    gender: str | None
    education: str | None
    occupation: str | None
    birth_date: date | None
    city_id: str | None
    service_code: str | None


@event_type("registry.people.imported.v1", "import/{job_id}")
class PeopleImported(EventData):
    """A chunk of an import job's rows registered at once (one event per chunk, not per person);
    members joined to a kanoon on the way also have their own `registry.member.joined`."""
    job_id: str
    count: int
    people: list[dict]   # person_id, kind, city_id, kanoon_id, gender, education, birth_date


@event_type("registry.person.kind_changed.v1", "person/{person_id}")
class PersonKindChanged(EventData):
    person_id: str
    kind: str
    service_code: str | None


@event_type("registry.kanoon.requested.v1", "kanoon/{kanoon_id}")
class KanoonRequested(EventData):
    kanoon_id: str
    name: str
    kind: str
    field: str | None
    unit_id: str
    unit_path: list[str]
    head_id: str
    deputy_id: str
    requested_by: str


@event_type("registry.kanoon.formation_step_recorded.v1", "kanoon/{kanoon_id}")
class KanoonFormationStepRecorded(EventData):
    kanoon_id: str
    step: str
    at: datetime
    by: str


@event_type("registry.kanoon.approved.v1", "kanoon/{kanoon_id}")
class KanoonApproved(EventData):
    kanoon_id: str
    name: str
    kind: str
    field: str | None
    unit_id: str
    unit_path: list[str]
    city_id: str
    province_id: str
    head_id: str
    deputy_id: str
    founding_date: date
    approved_by: str


@event_type("registry.kanoon.rejected.v1", "kanoon/{kanoon_id}")
class KanoonRejected(EventData):
    kanoon_id: str
    reason: str
    rejected_by: str


@event_type("registry.kanoon.profile_updated.v1", "kanoon/{kanoon_id}")
class KanoonProfileUpdated(EventData):
    kanoon_id: str
    changed: list[str]


@event_type("registry.kanoon.leadership_handed_over.v1", "kanoon/{kanoon_id}")
class KanoonLeadershipHandedOver(EventData):
    kanoon_id: str
    position: str  # head | deputy
    from_person_id: str | None
    to_person_id: str
    assignment_id: str  # the new holder's role assignment (the old one is revoked in the same commit)
    by: str


@event_type("registry.member.joined.v1", "kanoon/{kanoon_id}")
class MemberJoined(EventData):
    person_id: str
    kanoon_id: str
    kanoon_path: list[str]
    member_kind: str
    member_count: int
    ceiling: int
    below_floor: bool
    via: str  # join | transfer | formation


@event_type("registry.member.left.v1", "kanoon/{kanoon_id}")
class MemberLeft(EventData):
    person_id: str
    kanoon_id: str
    member_count: int
    below_floor: bool
    via: str  # leave | transfer | formation


@event_type("registry.membership_policy.set.v1", "unit/{province_id}")
class MembershipPolicySet(EventData):
    province_id: str
    kanoon_type: str
    floor: int
    ceiling: int
    set_by: str


@event_type("registry.province_settings.set.v1", "unit/{province_id}")
class ProvinceSettingsSet(EventData):
    province_id: str
    transfer_expiry_days: int
    move_window_days: int
    set_by: str
    report_window_days: int | None = None
    monthly_deadline_day: int | None = None
    terminal_quiet_days: int | None = None
    voucher_overdue_days: int | None = None


@event_type("registry.transfer.requested.v1", "transfer/{transfer_id}")
class TransferRequested(EventData):
    transfer_id: str
    person_id: str
    from_kanoon_id: str
    to_kanoon_id: str
    expires_at: datetime | None = None  # when it lapses without both decisions


@event_type("registry.transfer.side_approved.v1", "transfer/{transfer_id}")
class TransferSideApproved(EventData):
    transfer_id: str
    side: str  # origin | destination
    by: str


@event_type("registry.transfer.completed.v1", "transfer/{transfer_id}")
class TransferCompleted(EventData):
    transfer_id: str
    person_id: str
    from_kanoon_id: str
    to_kanoon_id: str


@event_type("registry.transfer.refused.v1", "transfer/{transfer_id}")
class TransferRefused(EventData):
    transfer_id: str
    side: str  # origin | destination | rules
    reason: str
    by: str


@event_type("registry.transfer.cancelled.v1", "transfer/{transfer_id}")
class TransferCancelled(EventData):
    transfer_id: str
    person_id: str
    by: str


@event_type("registry.transfer.expired.v1", "transfer/{transfer_id}")
class TransferExpired(EventData):
    transfer_id: str
    person_id: str
    expires_at: datetime


@event_type("registry.application.submitted.v1", "application/{application_id}")
class ApplicationSubmitted(EventData):
    application_id: str
    track: str
    city_id: str


@event_type("registry.application.step_recorded.v1", "application/{application_id}")
class ApplicationStepRecorded(EventData):
    application_id: str
    step: str
    by: str


@event_type("registry.application.decided.v1", "application/{application_id}")
class ApplicationDecided(EventData):
    application_id: str
    outcome: str  # khademyar | yavar | rejected
    person_id: str | None
    service_code: str | None
    by: str


@event_type("registry.role.assigned.v1", "person/{person_id}")
class RoleAssigned(EventData):
    assignment_id: str
    person_id: str
    role: str
    scope_id: str
    scope_kind: str
    scope_path: list[str]
    field: str | None
    valid_from: date
    valid_to: date | None


@event_type("registry.role.revoked.v1", "person/{person_id}")
class RoleRevoked(EventData):
    assignment_id: str
    person_id: str
    role: str
    scope_id: str


@event_type("registry.user.created.v1", "person/{person_id}")
class UserCreated(EventData):
    user_id: str
    person_id: str
    username: str


@event_type("registry.user.password_changed.v1", "user/{user_id}")
class PasswordChanged(EventData):
    """A password changed by its owner, or reset by an administrator (never the password itself)."""
    user_id: str
    by: str
    reset: bool


@event_type("registry.user.deactivated.v1", "user/{user_id}")
class UserDeactivated(EventData):
    user_id: str
    person_id: str
    by: str


@event_type("registry.view.restated.v1", "restatement/{restatement_id}")
class ViewRestated(EventData):
    """One part of a restatement: the registry's current state of everything another service keeps
    in its read model (kernel.registry_view), read in one snapshot as of `as_of`, published after a
    restore of the registry's database or on an operator's request. Every part of one restatement
    has the same subject, so the relay keeps their order; a consumer that has applied all `parts`
    deletes what the restatement did not mention (what the registry no longer has).

    Records, each list in the shape of the events that build the same documents:
    units `{unit_id, name, kind, path}`; kanoons `{kanoon_id, name, kind, field, unit_path, status
    (requested | active | rejected), head_id, deputy_id, founding_date}`; memberships `{person_id,
    kanoon_id (None: left), kind}`; grants `{assignment_id, person_id, role, scope_id, scope_kind,
    field, valid_from, valid_to, revoked}`; province_settings `{province_id, …the settings}`."""
    restatement_id: str
    part: int                 # 1 … parts
    parts: int
    as_of: datetime
    reason: str               # "restore <id>" or "operator"
    units: list[dict] = []
    kanoons: list[dict] = []
    memberships: list[dict] = []
    grants: list[dict] = []
    province_settings: list[dict] = []

