"""REST routes of the reports service (DOMAIN §3, §4). Bodies are validated with the service's own
command models; the service checks the caller's roles and membership against its read model."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from services.reports import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, Skip

router = out.Router(prefix="/api", tags=["reports"])
R = "reports"
Month = Annotated[str, Query(pattern=r"^1[34][0-9]{2}-(0[1-9]|1[0-2])$", description="Jalali month, e.g. 1403-07")]
PeriodQ = Annotated[str, Query(pattern=r"^1[34][0-9]{2}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$",
                               description="Jalali month 1403-07, season 1403-Q3, half-year 1403-H1 or year 1403")]


def body(model):
    return model.model_dump(mode="json")


# -- service types (§4.1)

@router.post("/service-types", status_code=201, response_model=out.ServiceType)
def define_service_type(call: CallerDep, cmd: s.DefineServiceType):
    """A service type for the country (the Center) or a province (its planners)."""
    return call(R, "define_service_type", body(cmd))


@router.get("/service-types", response_model=list[out.ServiceType])
def service_types(call: CallerDep, for_id: Annotated[str, Query(alias="for", min_length=1, max_length=64)]):
    """The types open to a kanoon (its field's and the public ones), or defined over a unit."""
    return call(R, "service_types", for_id)


# -- activity reports (§4.2)

@router.post("/service-types/{type_id}/instructions", status_code=201, response_model=out.Instruction)
def publish_instruction(call: CallerDep, type_id: str, cmd: s.PublishInstruction):
    """A new version of the type's executive instruction in a province (§4.1), notified to the
    kanoons there that report the type; written by the field's specialized secretary."""
    return call(R, "publish_instruction", type_id, body(cmd))


@router.get("/kanoons/{kanoon_id}/instructions", response_model=list[out.Instruction])
def instructions(call: CallerDep, kanoon_id: str):
    """The executive instructions in force for the service types the kanoon reports."""
    return call(R, "instructions", kanoon_id)


@router.post("/activity-reports", status_code=201, response_model=out.ActivityReport)
def submit_report(call: CallerDep, cmd: s.SubmitReport):
    """A khademyar or yavar reports a service done for the kanoon they are a member of."""
    return call(R, "submit_report", body(cmd))


@router.get("/activity-reports/mine", response_model=list[out.ActivityReport])
def my_reports(call: CallerDep, limit: Limit = 100, skip: Skip = 0):
    return call(R, "my_reports", limit, skip)


@router.get("/activity-reports/{report_id}", response_model=out.ActivityReport)
def get_report(call: CallerDep, report_id: str):
    return call(R, "get_report", report_id)


@router.post("/activity-reports/{report_id}/review", response_model=out.ActivityReport)
def review_report(call: CallerDep, report_id: str, cmd: s.ReviewReport):
    """The head or deputy of the reporter's kanoon approves, or rejects with a reason."""
    return call(R, "review_report", report_id, body(cmd))


@router.post("/activity-reports/{report_id}/return", response_model=out.ActivityReport)
def return_report(call: CallerDep, report_id: str, cmd: s.ReturnReport):
    """The city secretary returns an approved report during review; it stops counting."""
    return call(R, "return_report", report_id, body(cmd))


@router.post("/activity-reports/{report_id}/resubmission", response_model=out.ActivityReport)
def resubmit_report(call: CallerDep, report_id: str, cmd: s.ResubmitReport):
    """The reporter corrects a returned report and submits it again."""
    return call(R, "resubmit_report", report_id, cmd.model_dump(mode="json", exclude_none=True))


@router.post("/activity-reports/{report_id}/flags", response_model=out.ActivityReport)
def flag_report(call: CallerDep, report_id: str, cmd: s.FlagReport):
    """The evaluation head's quality review of an approved report."""
    return call(R, "flag_report", report_id, body(cmd))


@router.get("/kanoons/{kanoon_id}/activity-reports", response_model=list[out.ActivityReport])
def list_reports(call: CallerDep, kanoon_id: str,
                 status: Literal["submitted", "approved", "rejected", "returned"] | None = None,
                 month: Month | None = None, limit: Limit = 100, skip: Skip = 0):
    return call(R, "list_reports", kanoon_id, status, month, limit, skip)


# -- reservations (§4.3)

@router.post("/reservations", status_code=201, response_model=out.Reservation)
def reserve_slot(call: CallerDep, cmd: s.ReserveSlot):
    return call(R, "reserve_slot", body(cmd))


@router.post("/reservations/{reservation_id}/decision", response_model=out.Reservation)
def decide_reservation(call: CallerDep, reservation_id: str, cmd: s.DecideReservation):
    return call(R, "decide_reservation", reservation_id, body(cmd))


@router.post("/reservations/{reservation_id}/cancellation", response_model=out.Reservation)
def cancel_reservation(call: CallerDep, reservation_id: str):
    """The member withdraws their reservation before its day (or the head calls it off)."""
    return call(R, "cancel_reservation", reservation_id)


@router.get("/kanoons/{kanoon_id}/reservations", response_model=list[out.Reservation])
def list_reservations(call: CallerDep, kanoon_id: str,
                      status: Literal["requested", "confirmed", "declined", "cancelled"] | None = None):
    return call(R, "list_reservations", kanoon_id, status)


# -- campaigns (§4.4)

@router.post("/campaigns", status_code=201, response_model=out.Campaign)
def announce_campaign(call: CallerDep, cmd: s.AnnounceCampaign):
    return call(R, "announce_campaign", body(cmd))


@router.post("/campaigns/{campaign_id}/approval", response_model=out.Campaign)
def approve_campaign(call: CallerDep, campaign_id: str):
    """The province manager announces a local (county or neighborhood) campaign its planning head
    drafted."""
    return call(R, "approve_campaign", campaign_id)


@router.get("/units/{unit_id}/campaigns", response_model=list[out.Campaign])
def campaigns(call: CallerDep, unit_id: str):
    """Campaigns that reach a unit or kanoon (announced by the Center or its province)."""
    return call(R, "campaigns", unit_id)


@router.get("/campaigns/{campaign_id}/report", response_model=out.CampaignReport)
def campaign_report(call: CallerDep, campaign_id: str, unit_id: Annotated[str, Query(min_length=1, max_length=64)]):
    """Participation in the campaign within a unit: reports, hours, beneficiaries."""
    return call(R, "campaign_report", campaign_id, unit_id)


# -- collective programs (§4.5)

@router.post("/programs", status_code=201, response_model=out.Program)
def record_program(call: CallerDep, cmd: s.RecordProgram):
    return call(R, "record_program", body(cmd))


@router.get("/units/{unit_id}/program-compliance", response_model=out.ProgramCompliance)
def program_compliance(call: CallerDep, unit_id: str, month: Month):
    """Kanoons of the unit expected to hold a program in the month, and those that missed."""
    return call(R, "program_compliance", unit_id, month)


# -- monthly kanoon reports (§4.6)

@router.post("/monthly-reports", status_code=201, response_model=out.MonthlyReport)
def submit_monthly(call: CallerDep, cmd: s.SubmitMonthly):
    """The head submits (or, once returned, resubmits) the month's report; figures are compiled."""
    return call(R, "submit_monthly", body(cmd))


@router.get("/kanoons/{kanoon_id}/monthly-reports/{month}", response_model=out.MonthlyReport)
def get_monthly(call: CallerDep, kanoon_id: str, month: str):
    return call(R, "get_monthly", kanoon_id, month)


@router.post("/kanoons/{kanoon_id}/monthly-reports/{month}/review", response_model=out.MonthlyReport)
def review_monthly(call: CallerDep, kanoon_id: str, month: str, cmd: s.ReviewMonthly):
    """The city secretary accepts (the report is locked) or returns it with a comment."""
    return call(R, "review_monthly", kanoon_id, month, body(cmd))


@router.get("/units/{unit_id}/monthly-completeness", response_model=out.MonthlyCompleteness)
def monthly_completeness(call: CallerDep, unit_id: str, month: Month):
    """Kanoons expected to report the month, how many did, how many on time."""
    return call(R, "monthly_completeness", unit_id, month)


# -- aggregates (§4.7)

@router.get("/units/{unit_id}/aggregates", response_model=out.Aggregates)
def aggregates(call: CallerDep, unit_id: str, period: PeriodQ):
    """Reports by status and service type, hours, beneficiaries, campaigns, programs, clients,
    response rate and quality flags of a unit (or kanoon) over a Jalali period."""
    return call(R, "aggregates", unit_id, period)


# -- beneficiaries, needs and projects (§3)

@router.post("/beneficiaries", status_code=201, response_model=out.Beneficiary)
def register_beneficiary(call: CallerDep, cmd: s.RegisterBeneficiary):
    return call(R, "register_beneficiary", body(cmd))


@router.get("/kanoons/{kanoon_id}/beneficiaries", response_model=out.BeneficiaryPage)
def list_beneficiaries(call: CallerDep, kanoon_id: str, limit: Limit = 100, skip: Skip = 0,
                       q: str | None = None):
    """The kanoon's beneficiaries, for its head, deputy and the oversight group (others see only
    the count). `q` finds them by name (Arabic or Persian letters), national ID or mobile."""
    return call(R, "list_beneficiaries", kanoon_id, limit, skip, q)


@router.get("/beneficiaries/{beneficiary_id}", response_model=out.Beneficiary)
def get_beneficiary(call: CallerDep, beneficiary_id: str):
    return call(R, "get_beneficiary", beneficiary_id)


@router.post("/needs", status_code=201, response_model=out.Need)
def register_need(call: CallerDep, cmd: s.RegisterNeed):
    return call(R, "register_need", body(cmd))


@router.get("/kanoons/{kanoon_id}/needs", response_model=list[out.Need])
def list_needs(call: CallerDep, kanoon_id: str, status: Literal["open", "matched", "met", "closed"] | None = None):
    return call(R, "list_needs", kanoon_id, status)


@router.post("/needs/{need_id}/matches", response_model=out.Need)
def match_need(call: CallerDep, need_id: str, cmd: s.MatchNeed):
    """Match a need to a member of the kanoon or to a specialized kanoon."""
    return call(R, "match_need", need_id, body(cmd))


@router.post("/needs/{need_id}/resolution", response_model=out.Need)
def resolve_need(call: CallerDep, need_id: str, cmd: s.ResolveNeed):
    return call(R, "resolve_need", need_id, body(cmd))


@router.post("/projects", status_code=201, response_model=out.ExecutiveProject)
def propose_project(call: CallerDep, cmd: s.ProposeProject):
    """An executive project built from the kanoon's needs, asking other kanoons for help."""
    return call(R, "propose_project", body(cmd))


@router.get("/projects/{project_id}", response_model=out.ExecutiveProject)
def get_project(call: CallerDep, project_id: str):
    return call(R, "get_project", project_id)


@router.post("/projects/{project_id}/answers", response_model=out.ExecutiveProject)
def answer_project(call: CallerDep, project_id: str, cmd: s.AnswerProject):
    return call(R, "answer_project", project_id, body(cmd))
