"""REST routes of the registry (DOMAIN §2). Each route validates its body with the registry's own
command model, then calls the service, which checks the caller's roles against the target's unit."""
from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import Body, Form, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from kernel.errors import Invalid

from services.registry import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, Skip

router = out.Router(prefix="/api", tags=["registry"])
R = "registry"
IdPath = Annotated[str, "id"]


def body(model):
    return model.model_dump(mode="json", exclude_unset=False)


MAX_UPLOAD = 25 * 1024 * 1024


# -- imports of HQ's lists (§8)

@router.post("/imports", status_code=202, response_model=out.ImportJob)
async def start_import(call: CallerDep, response: Response, file: UploadFile,
                       kind: Annotated[Literal["members", "units", "kanoons"], Form()]):
    """A list HQ keeps — members, units or kanoons — as Excel (.xlsx) or CSV (read from the content,
    not the name), recorded as a job: follow it at its `Location` (progress, counts, and every row's
    outcome with the field at fault and why). Valid rows land; refused rows change nothing; the
    same file again creates nothing twice. Headers in Persian or English, any order:
    members — national_id (کد ملی), first_name (نام), last_name (نام خانوادگی), kind (خادمیار/یاور),
    gender (مرد/زن), birth_date (Jalali), education, city (its id or name), mobile, and optionally
    occupation, service_code, kanoon; units — id, name, kind (استان/شهرستان/محله), parent;
    kanoons — code, name, kind (محله‌محور/تخصصی), unit, head_national_id, deputy_national_id,
    founding_date, and for a specialized one field and deputy_area."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Invalid(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it", "file")
    payload = {"kind": kind, "file_name": file.filename or kind, "content": base64.b64encode(content).decode()}
    result = await run_in_threadpool(call, R, "start_import", payload)
    response.headers["Location"] = f"/api/imports/{result['id']}"
    return result


@router.get("/imports", response_model=list[out.ImportJob])
def my_imports(call: CallerDep, limit: Limit = 20):
    """Your imports, the latest first."""
    return call(R, "my_imports", limit)


@router.get("/imports/{job_id}", response_model=out.ImportJob)
def import_job(call: CallerDep, job_id: str, status: Literal["accepted", "duplicate", "refused"] | None = None,
               limit: Limit = 100, skip: Skip = 0):
    """An import's status (pending, reading, running, done or failed), progress and counts, and its
    rows' outcomes; `status=refused` lists what was refused and why (also as `export=xlsx`)."""
    return call(R, "import_job", job_id, status, limit, skip)


# -- units (§2.1)

@router.get("/units", response_model=list[out.Unit])
def list_units(call: CallerDep, parent_id: str | None = None):
    """Children of a unit; the country when no parent is given."""
    return call(R, "list_units", parent_id)


@router.get("/units/{unit_id}", response_model=out.UnitWithChildren)
def get_unit(call: CallerDep, unit_id: str):
    return call(R, "get_unit", unit_id)


@router.post("/units", status_code=201, response_model=out.Unit)
def create_unit(call: CallerDep, cmd: s.CreateUnit):
    """Add a unit (neighborhoods by the city's staff; the rest by an administrator)."""
    return call(R, "create_unit", body(cmd))


@router.get("/units/{unit_id}/kanoons", response_model=out.KanoonPage)
def list_kanoons(call: CallerDep, unit_id: str, status: str = "active",
                 limit: Limit = 100, skip: Skip = 0):
    return call(R, "list_kanoons", unit_id, status, limit, skip)


@router.get("/units/{unit_id}/unplaced-members", response_model=out.PersonPage)
def unplaced_members(call: CallerDep, unit_id: str, limit: Limit = 100,
                     skip: Skip = 0):
    """Khademyars and yavars of the unit who have no kanoon yet, for the HQ to place."""
    return call(R, "unplaced_members", unit_id, limit, skip)


@router.get("/units/{unit_id}/people", response_model=out.PeopleFound)
def search_people(call: CallerDep, unit_id: str, q: str, status: str = "all",
                  limit: Limit = 20, skip: Skip = 0):
    """Find people under a unit or kanoon by name, national ID, mobile or service code, typed in any
    digit form and with Arabic or Persian letters. `status`: all, member, unplaced (no kanoon) or
    applicant (pending applications)."""
    return call(R, "search_people", unit_id, q, status, limit, skip)


@router.get("/units/{unit_id}/coverage", response_model=out.Coverage)
def coverage(call: CallerDep, unit_id: str):
    """Per county (of a province, or one county): which neighborhoods have an active kanoon, and
    which specialized fields have one, against the fields the province has (§2.4)."""
    return call(R, "coverage", unit_id)


@router.get("/units/{unit_id}/composition", response_model=out.Composition)
def composition(call: CallerDep, unit_id: str):
    """Members by kind, education, age band, gender and occupation (a unit or a kanoon id)."""
    return call(R, "composition", unit_id)


@router.get("/units/{unit_id}/applications", response_model=list[out.Application])
def list_applications(call: CallerDep, unit_id: str, status: str | None = "pending",
                      limit: Limit = 100, skip: Skip = 0):
    return call(R, "list_applications", unit_id, status, limit, skip)


@router.get("/units/{unit_id}/roles", response_model=list[out.RoleAssignment])
def roles_under(call: CallerDep, unit_id: str):
    return call(R, "roles_under", unit_id)


# -- people (§2.5)

@router.post("/members", status_code=201, response_model=out.Person)
def register_member(call: CallerDep, cmd: s.RegisterMember):
    """Register an existing khademyar (with service code) or yavar. New people come through selection."""
    return call(R, "register_member", body(cmd))


@router.get("/people/{person_id}", response_model=out.PersonWithRoles)
def get_person(call: CallerDep, person_id: str):
    return call(R, "get_person", person_id)


# -- kanoons (§2.2–§2.4)

@router.post("/kanoons", status_code=201, response_model=out.Kanoon)
def request_kanoon(call: CallerDep, cmd: s.RequestKanoon):
    """Step 1 of formation: two khademyars with service codes ask, as head and deputy."""
    return call(R, "request_kanoon", body(cmd))


@router.get("/kanoons/{kanoon_id}", response_model=out.Kanoon)
def get_kanoon(call: CallerDep, kanoon_id: str):
    return call(R, "get_kanoon", kanoon_id)


@router.patch("/kanoons/{kanoon_id}", response_model=out.Kanoon)
def update_profile(call: CallerDep, kanoon_id: str, cmd: s.UpdateProfile):
    return call(R, "update_profile", kanoon_id, cmd.model_dump(mode="json", exclude_unset=True))


@router.put("/kanoons/{kanoon_id}/place", response_model=out.Kanoon)
def record_place(call: CallerDep, kanoon_id: str, cmd: s.RecordPlace):
    """Step 2: the kanoon's place (mosque, cultural or religious centre, shrine, other)."""
    return call(R, "record_place", kanoon_id, body(cmd))


@router.put("/kanoons/{kanoon_id}/council", response_model=out.Kanoon)
def record_council(call: CallerDep, kanoon_id: str, cmd: s.RecordCouncil):
    """Step 3: the five-person council."""
    return call(R, "record_council", kanoon_id, body(cmd))


@router.post("/kanoons/{kanoon_id}/forms", response_model=out.Kanoon)
def submit_forms(call: CallerDep, kanoon_id: str, cmd: s.SubmitForms):
    """Step 4: the registration forms, handed to the city secretary."""
    return call(R, "submit_forms", kanoon_id, body(cmd))


@router.post("/kanoons/{kanoon_id}/approval", response_model=out.Kanoon)
def approve_kanoon(call: CallerDep, kanoon_id: str, cmd: s.Approve):
    """The city secretary approves, attesting what cannot be checked of the head (§2.3)."""
    return call(R, "approve_kanoon", kanoon_id, body(cmd))


@router.post("/kanoons/{kanoon_id}/handover", response_model=out.Kanoon)
def hand_over(call: CallerDep, kanoon_id: str, cmd: s.Handover):
    """The head's or deputy's office passes to another member of the kanoon, approved by the
    kanoon's decider (the city secretary for a neighborhood kanoon of a county); the old holder's
    role ends with the same event."""
    return call(R, "hand_over", kanoon_id, body(cmd))


@router.post("/kanoons/{kanoon_id}/rejection", response_model=out.Kanoon)
def reject_kanoon(call: CallerDep, kanoon_id: str, cmd: s.Reject):
    return call(R, "reject_kanoon", kanoon_id, body(cmd))


@router.post("/kanoons/{kanoon_id}/orientations", response_model=out.Kanoon)
def record_orientation(call: CallerDep, kanoon_id: str, cmd: s.RecordOrientation):
    """Steps 5–6: the head's orientation (city secretary), then the members' (head)."""
    return call(R, "record_orientation", kanoon_id, body(cmd))


@router.get("/kanoons/{kanoon_id}/members", response_model=list[out.Person])
def list_members(call: CallerDep, kanoon_id: str):
    return call(R, "list_members", kanoon_id)


@router.get("/kanoons/{kanoon_id}/transfers", response_model=list[out.Transfer])
def list_transfers(call: CallerDep, kanoon_id: str, status: str | None = None):
    return call(R, "list_transfers", kanoon_id, status)


@router.put("/membership-policies", response_model=out.MembershipPolicy)
def set_policy(call: CallerDep, cmd: s.SetPolicy):
    """Floor and ceiling of members for a kanoon type in a province (the responsible deputy)."""
    return call(R, "set_policy", body(cmd))


@router.get("/membership-policies/{province_id}/{kanoon_type}", response_model=out.MembershipPolicy)
def get_policy(call: CallerDep, province_id: str, kanoon_type: str):
    return call(R, "get_policy", province_id, kanoon_type)


@router.put("/provinces/{province_id}/settings", response_model=out.ProvinceSettings)
def set_province_settings(call: CallerDep, province_id: str, cmd: s.SetProvinceSettings):
    """The province's numbers that the seeds leave open: transfer expiry, move window (§9)."""
    return call(R, "set_province_settings", province_id, body(cmd))


@router.get("/provinces/{province_id}/settings", response_model=out.ProvinceSettings)
def province_settings(call: CallerDep, province_id: str):
    return call(R, "province_settings", province_id)


# -- membership and transfers (§2.5)

@router.post("/memberships", response_model=out.Kanoon)
def join(call: CallerDep, cmd: s.Join):
    """A member joins a kanoon (refused past the ceiling)."""
    return call(R, "join_kanoon", body(cmd))


@router.post("/memberships/leave", response_model=out.Kanoon)
def leave(call: CallerDep, cmd: s.Leave):
    return call(R, "leave_kanoon", body(cmd))


@router.post("/transfers", status_code=201, response_model=out.Transfer)
def request_transfer(call: CallerDep, cmd: s.RequestTransfer):
    """Ask to move a member; both the origin and the destination must approve."""
    return call(R, "request_transfer", body(cmd))


@router.get("/transfers/{transfer_id}", response_model=out.Transfer)
def get_transfer(call: CallerDep, transfer_id: str):
    return call(R, "get_transfer", transfer_id)


@router.post("/transfers/{transfer_id}/decisions", response_model=out.Transfer)
def decide_transfer(call: CallerDep, transfer_id: str, cmd: s.DecideTransfer):
    return call(R, "decide_transfer", transfer_id, body(cmd))


@router.post("/transfers/{transfer_id}/cancellation", response_model=out.Transfer)
def cancel_transfer(call: CallerDep, transfer_id: str):
    """The member (or whoever asked for it) withdraws a pending transfer."""
    return call(R, "cancel_transfer", transfer_id)


# -- selection (§2.6)

@router.post("/applications", status_code=201, response_model=out.Application)
def submit_application(call: CallerDep, cmd: s.SubmitApplication):
    return call(R, "submit_application", body(cmd))


@router.post("/applications/{application_id}/steps", response_model=out.Application)
def record_application_step(call: CallerDep, application_id: str, cmd: s.RecordApplicationStep):
    return call(R, "record_application_step", application_id, body(cmd))


@router.post("/applications/{application_id}/decision", response_model=out.Application)
def decide_application(call: CallerDep, application_id: str, cmd: s.DecideApplication):
    """Accept as khademyar (a new service code is issued), as yavar, or reject with a reason."""
    return call(R, "decide_application", application_id, body(cmd))


# -- roles and accounts (§2.7)

@router.post("/roles", status_code=201, response_model=out.RoleAssignment)
def assign_role(call: CallerDep, cmd: s.AssignRole):
    return call(R, "assign_role", body(cmd))


@router.delete("/roles/{assignment_id}", response_model=out.RoleAssignment)
def revoke_role(call: CallerDep, assignment_id: str):
    return call(R, "revoke_role", assignment_id)


@router.post("/accounts/me/password", response_model=out.Account)
def change_password(call: CallerDep, cmd: s.ChangePassword):
    """Your own password, given the current one (at least 10 characters, not only digits, without
    the username, at least 5 different characters)."""
    return call(R, "change_password", cmd.model_dump(mode="json"))


@router.post("/accounts/{user_id}/password-reset", response_model=out.Account)
def reset_password(call: CallerDep, user_id: str, cmd: s.ResetPassword):
    """An administrator sets someone's password."""
    return call(R, "reset_password", user_id, cmd.model_dump(mode="json"))


@router.post("/accounts/{user_id}/deactivation", response_model=out.Account)
def deactivate_account(call: CallerDep, user_id: str):
    """An administrator closes an account; its tokens stop working on their next request."""
    return call(R, "deactivate_account", user_id)


@router.post("/accounts", status_code=201, response_model=out.Account)
def create_account(call: CallerDep, cmd: s.CreateAccount = Body(...)):
    """A sign-in account for a registered person."""
    return call(R, "create_account", cmd.model_dump())
