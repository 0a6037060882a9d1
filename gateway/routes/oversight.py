"""REST routes of the oversight service (DOMAIN §6): complaints — from the public without an
account (throttled per client address; the answer is a tracking code) and from signed-in members —,
their handling, and violations with the protection committee's rulings, which the registry and the
reports service enforce."""
from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import Path, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from kernel.errors import Invalid
from kernel.uploads import MAX_BYTES

from services.oversight import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, PublicDep, Skip

router = out.Router(prefix="/api", tags=["oversight"])
R = "oversight"
Code = Annotated[str, Path(min_length=1, max_length=40, description="the tracking code, e.g. K7QM-2XRD-9F4T")]


def body(model):
    return model.model_dump(mode="json")


# -- the public (no account)

@router.post("/public/complaints", status_code=201, response_model=out.ComplaintTicket)
def public_complaint(call: PublicDep, cmd: s.PublicComplaint):
    """A complaint from anyone, without an account; name and phone optional (anonymous without
    them). The answer is the tracking code and the status — keep the code: it is shown once."""
    return call(R, "receive_public_complaint", body(cmd))


@router.get("/public/complaints/{code}", response_model=out.ComplaintStatus)
def track_complaint(call: PublicDep, code: Code):
    """The status a tracking code shows (never the investigation); an unknown code is 404."""
    return call(R, "track_complaint", code)


# -- complaints (§6.1)

@router.post("/complaints", status_code=201, response_model=out.ComplaintTicket)
def file_complaint(call: CallerDep, cmd: s.FileComplaint):
    """A signed-in member's complaint (web), or one the oversight head records from the phone line,
    the box or a letter."""
    return call(R, "file_complaint", body(cmd))


@router.get("/complaints/{complaint_id}", response_model=out.Complaint)
def get_complaint(call: CallerDep, complaint_id: str):
    """For its handler (with who complained) and its investigator (without); never for the accused."""
    return call(R, "get_complaint", complaint_id)


@router.get("/units/{unit_id}/complaints", response_model=out.ComplaintPage)
def complaints(call: CallerDep, unit_id: str,
               status: Literal["received", "triaged", "investigating", "resolved", "closed"] | None = None,
               overdue: bool = False, mine: bool = False, limit: Limit = 100, skip: Skip = 0):
    """`overdue=true`: open past their deadline; `mine=true`: assigned to you to investigate."""
    return call(R, "complaints", unit_id, status, overdue, mine, limit, skip)


@router.get("/units/{unit_id}/personal-data-audit", response_model=out.AuditPage)
def audit_trail(call: CallerDep, unit_id: str,
                record_kind: Literal["beneficiary", "complainant", "donor"] | None = None,
                by_person_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                record_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                limit: Limit = 100, skip: Skip = 0):
    """Who read or changed whose beneficiary, complainant or donor record under the unit, newest
    first: for the oversight head there and the Center. Filter by the reader (`by_person_id`) or by
    one record (`record_id`)."""
    return call(R, "audit_trail", unit_id, record_kind, by_person_id, record_id, limit, skip)


@router.post("/complaints/{complaint_id}/triage", response_model=out.Complaint)
def triage_complaint(call: CallerDep, complaint_id: str, cmd: s.Triage):
    """Category and severity; the severity sets the deadline (2, 7, 14 or 30 days)."""
    return call(R, "triage_complaint", complaint_id, body(cmd))


@router.post("/complaints/{complaint_id}/assignment", response_model=out.Complaint)
def assign_complaint(call: CallerDep, complaint_id: str, cmd: s.Assign):
    """An investigator who is not accused by it."""
    return call(R, "assign_complaint", complaint_id, body(cmd))


@router.post("/complaints/{complaint_id}/notes", response_model=out.Complaint)
def note_complaint(call: CallerDep, complaint_id: str, cmd: s.NoteText):
    return call(R, "note_complaint", complaint_id, body(cmd))


@router.post("/complaints/{complaint_id}/resolution", response_model=out.Complaint)
def resolve_complaint(call: CallerDep, complaint_id: str, cmd: s.Resolve):
    return call(R, "resolve_complaint", complaint_id, body(cmd))


@router.post("/complaints/{complaint_id}/closing", response_model=out.Complaint)
def close_complaint(call: CallerDep, complaint_id: str):
    return call(R, "close_complaint", complaint_id)


# -- violations and rulings (§6.3)

@router.post("/violations", status_code=201, response_model=out.Violation)
def record_violation(call: CallerDep, cmd: s.RecordViolation):
    """Reported to the province secretary (from a complaint, an inspection or a report)."""
    return call(R, "record_violation", body(cmd))


@router.get("/violations/{violation_id}", response_model=out.Violation)
def get_violation(call: CallerDep, violation_id: str):
    return call(R, "get_violation", violation_id)


@router.get("/units/{unit_id}/violations", response_model=out.ViolationPage)
def violations(call: CallerDep, unit_id: str, person_id: str | None = None, limit: Limit = 100, skip: Skip = 0):
    return call(R, "violations", unit_id, person_id, limit, skip)


@router.post("/violations/{violation_id}/decision", response_model=out.Violation)
def handle_violation(call: CallerDep, violation_id: str, cmd: s.Decide):
    """The province secretary decides it without the committee."""
    return call(R, "handle_violation", violation_id, body(cmd))


@router.post("/violations/{violation_id}/escalation", response_model=out.Violation)
def escalate_violation(call: CallerDep, violation_id: str):
    """To the protection committee."""
    return call(R, "escalate_violation", violation_id)


@router.post("/violations/{violation_id}/ruling", response_model=out.Violation)
def rule_violation(call: CallerDep, violation_id: str, cmd: s.Rule):
    """The committee's ruling: a warning, barred from heading a kanoon or suspended, for N months;
    the registry and the reports service refuse what it forbids until it ends."""
    return call(R, "rule_violation", violation_id, body(cmd))


@router.post("/violations/{violation_id}/ruling/lifting", response_model=out.Violation)
def lift_ruling(call: CallerDep, violation_id: str, cmd: s.Lift):
    return call(R, "lift_ruling", violation_id, body(cmd))


# -- checklists and inspections (§6.2)

@router.post("/checklists", status_code=201, response_model=out.Checklist)
def define_checklist(call: CallerDep, cmd: s.DefineChecklist):
    """A checklist of weighted items (the oversight head); the same key again is its next version,
    and inspections keep the version they were planned with."""
    return call(R, "define_checklist", body(cmd))


@router.get("/units/{province_id}/checklists", response_model=list[out.Checklist])
def checklists(call: CallerDep, province_id: str):
    return call(R, "checklists", province_id)


@router.post("/inspections/season", response_model=out.SeasonPlan)
def plan_season(call: CallerDep, cmd: s.PlanSeason):
    """A periodic inspection for every active kanoon of the province in the season (again: only
    those not planned yet)."""
    return call(R, "plan_season", body(cmd))


@router.post("/inspections", status_code=201, response_model=out.Inspection)
def plan_visit(call: CallerDep, cmd: s.PlanVisit):
    """A surprise inspection (the oversight head), the city secretary's visit to a kanoon, or a
    deputy's visit to a county, in the current season."""
    return call(R, "plan_visit", body(cmd))


@router.post("/inspections/{inspection_id}/answers", response_model=out.Inspection)
def record_inspection(call: CallerDep, inspection_id: str, cmd: s.RecordInspection):
    """Every item answered, the minutes and the day: the score (0–100) is computed from the weights,
    and the visitor's role recorded."""
    return call(R, "record_inspection", inspection_id, body(cmd))


@router.post("/inspections/{inspection_id}/sending", response_model=out.Inspection)
def send_inspection(call: CallerDep, inspection_id: str):
    """Sent to the Center."""
    return call(R, "send_inspection", inspection_id)


@router.get("/inspections/{inspection_id}", response_model=out.Inspection)
def get_inspection(call: CallerDep, inspection_id: str):
    return call(R, "get_inspection", inspection_id)


@router.get("/units/{unit_id}/inspections", response_model=out.InspectionReport)
def inspections(call: CallerDep, unit_id: str,
                period: Annotated[str, Query(pattern=r"^1[34][0-9]{2}(-Q[1-4])?$",
                                             description="a Jalali season 1404-Q3 or year 1404")]):
    """Inspected against planned, the mean score, the active kanoons never inspected in the period,
    and the inspections."""
    return call(R, "inspections", unit_id, period)


# -- the money's trail and the register (§6.4)

@router.get("/units/{unit_id}/findings", response_model=list[out.Finding])
def findings(call: CallerDep, unit_id: str, status: Literal["open", "reviewed"] | None = None):
    """What the finance service's events raised for review: reconciliation mismatches, reversed
    receipts, large expenses, documents the Center returned."""
    return call(R, "findings", unit_id, status)


@router.post("/findings/{finding_id}/review", response_model=out.Finding)
def review_finding(call: CallerDep, finding_id: str, cmd: s.ReviewFinding):
    return call(R, "review_finding", finding_id, body(cmd))


@router.post("/risks", status_code=201, response_model=out.ProcessRisk)
def register_risk(call: CallerDep, cmd: s.RegisterRisk):
    """A corruption-prone process: its owner, its risk and its controls (the oversight head)."""
    return call(R, "register_risk", body(cmd))


@router.put("/risks/{risk_id}", response_model=out.ProcessRisk)
def revise_risk(call: CallerDep, risk_id: str, cmd: s.ReviseRisk):
    return call(R, "revise_risk", risk_id, body(cmd))


@router.get("/units/{province_id}/risks", response_model=list[out.ProcessRisk])
def risks(call: CallerDep, province_id: str):
    return call(R, "risks", province_id)


# -- sessions, opinions and reports (§6.5, §6.6)

@router.post("/orientation-sessions", status_code=201, response_model=out.OrientationSession)
def record_session(call: CallerDep, cmd: s.RecordSession):
    """An orientation session on the rules and violations, with its attendees."""
    return call(R, "record_session", body(cmd))


@router.put("/opinions", response_model=out.Opinion)
def give_opinion(call: CallerDep, cmd: s.GiveOpinion):
    """The oversight group's opinion of a kanoon or unit for a period (0–100 with its reasons); given
    again, it is revised; published for the evaluation."""
    return call(R, "give_opinion", body(cmd))


@router.get("/units/{unit_id}/opinions", response_model=list[out.Opinion])
def opinions(call: CallerDep, unit_id: str, period: Annotated[str, Query(min_length=4, max_length=7)]):
    return call(R, "opinions", unit_id, period)


@router.get("/units/{unit_id}/oversight-report", response_model=out.OversightReport)
def oversight_report(call: CallerDep, unit_id: str, period: Annotated[str, Query(min_length=4, max_length=7)]):
    """For the supervising bodies: complaints, inspections, violations and rulings, sessions and
    findings of a unit in a Jalali month, season, half-year or year."""
    return call(R, "report", unit_id, period)


@router.post("/inspections/{inspection_id}/attachments", response_model=out.Inspection)
async def attach_to_inspection(call: CallerDep, inspection_id: str, file: UploadFile):
    """A photo or a scanned page of the minutes (PDF, JPEG or PNG, at most 10 MB, the type read from
    the content), until the inspection is sent to the Center."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", "file")
    payload = {"name": file.filename or "attachment", "content": base64.b64encode(content).decode()}
    return await run_in_threadpool(call, R, "attach_to_inspection", inspection_id, payload)


@router.get("/inspections/{inspection_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                         for t in ("application/pdf", "image/jpeg", "image/png")}}})
def attachment(call: CallerDep, inspection_id: str, attachment_id: str):
    a = call(R, "attachment", inspection_id, attachment_id)
    return Response(base64.b64decode(a["content"]), media_type=a["content_type"],
                    headers={"X-Content-SHA256": a["sha256"], "Content-Disposition": "attachment"})
