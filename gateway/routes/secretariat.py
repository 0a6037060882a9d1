"""REST routes of the secretariat service (DOMAIN §8): letters in and out with deadlines and their
reminders, memoranda of understanding, the coordination council's chair and nominees, the general
assembly's session, the HQ's reports to the assembly and the Center, the monthly meeting of a city's
neighborhood kanoon heads, news of activities, and the service desk's tickets."""
from __future__ import annotations

import base64
from typing import Literal

from fastapi import Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from kernel.errors import Invalid
from kernel.uploads import MAX_BYTES

from services.secretariat import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, Skip

router = out.Router(prefix="/api", tags=["secretariat"])
R = "secretariat"


def body(model):
    return model.model_dump(mode="json")


# -- letters

@router.post("/letters", status_code=201, response_model=out.Letter)
def register_letter(call: CallerDep, cmd: s.RegisterLetter):
    """An incoming or outgoing letter, numbered by the province's secretariat (۱۴۰۵/و/۱۷, ۱۴۰۵/ص/۳);
    an outgoing one may answer an incoming one (`reply_to`). A deadline brings a reminder
    `remind_days` before it (3) and an overdue notice after it, as events, once each."""
    return call(R, "register_letter", body(cmd))


@router.get("/letters/{letter_id}", response_model=out.Letter)
def get_letter(call: CallerDep, letter_id: str):
    return call(R, "get_letter", letter_id)


@router.get("/units/{province_id}/letters", response_model=out.LetterPage)
def letters(call: CallerDep, province_id: str, direction: Literal["incoming", "outgoing"] | None = None,
            status: Literal["open", "answered", "closed"] | None = None, waiting: bool = False,
            limit: Limit = 100, skip: Skip = 0):
    """The province's letters, latest first; `waiting=true`: incoming letters with a deadline still open."""
    return call(R, "letters", province_id, direction, status, waiting, limit, skip)


@router.post("/letters/{letter_id}/closing", response_model=out.Letter)
def close_letter(call: CallerDep, letter_id: str, cmd: s.CloseLetter):
    return call(R, "close_letter", letter_id, body(cmd))


@router.post("/letters/{letter_id}/attachments", response_model=out.Letter)
async def attach_to_letter(call: CallerDep, letter_id: str, file: UploadFile):
    """The letter's scan or its enclosures (PDF, JPEG or PNG, read from the content)."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", "file")
    payload = {"name": file.filename or "letter", "content": base64.b64encode(content).decode()}
    return await run_in_threadpool(call, R, "attach_to_letter", letter_id, payload)


@router.get("/letters/{letter_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                         for t in ("application/pdf", "image/jpeg", "image/png")}}})
def letter_file(call: CallerDep, letter_id: str, attachment_id: str):
    a = call(R, "letter_file", letter_id, attachment_id)
    return Response(base64.b64decode(a["content"]), media_type=a["content_type"],
                    headers={"Content-Disposition": "attachment"})


# -- memoranda of understanding

@router.post("/mous", status_code=201, response_model=out.Mou)
def register_mou(call: CallerDep, cmd: s.RegisterMou):
    """A memorandum with other bodies; its renewal notice comes `notice_days` before its end (60)."""
    return call(R, "register_mou", body(cmd))


@router.post("/mous/{mou_id}/renewal", response_model=out.Mou)
def renew_mou(call: CallerDep, mou_id: str, cmd: s.RenewMou):
    return call(R, "renew_mou", mou_id, body(cmd))


@router.get("/units/{province_id}/mous", response_model=list[out.Mou])
def mous(call: CallerDep, province_id: str):
    return call(R, "mous", province_id)


# -- the coordination council, the general assembly, the HQ's reports

@router.post("/council/chair", response_model=out.CouncilChoice)
def elect_chair(call: CallerDep, cmd: s.ElectChair):
    """The coordination council's chair for the Jalali year of the election."""
    return call(R, "elect_chair", body(cmd))


@router.post("/council/nominees", response_model=out.CouncilChoice)
def send_nominees(call: CallerDep, cmd: s.SendNominees):
    """The council's three nominees for province manager, sent to the Center (once a year)."""
    return call(R, "send_nominees", body(cmd))


@router.get("/units/{province_id}/council", response_model=list[out.CouncilChoice])
def council(call: CallerDep, province_id: str):
    return call(R, "council", province_id)


@router.post("/assembly-sessions", status_code=201, response_model=out.AssemblySession)
def record_assembly(call: CallerDep, cmd: s.RecordAssembly):
    """The general assembly's annual session (one a year), with the HQ's report presented to it."""
    return call(R, "record_assembly", body(cmd))


@router.get("/units/{province_id}/assembly-sessions", response_model=list[out.AssemblySession])
def assemblies(call: CallerDep, province_id: str):
    return call(R, "assemblies", province_id)


@router.post("/hq-reports", status_code=201, response_model=out.HqReport)
def write_hq_report(call: CallerDep, cmd: s.WriteHqReport):
    """A report of the HQ to the general assembly or to the Center, for a Jalali period."""
    return call(R, "write_hq_report", body(cmd))


@router.post("/hq-reports/{report_id}/sending", response_model=out.HqReport)
def send_hq_report(call: CallerDep, report_id: str, cmd: s.SendHqReport):
    return call(R, "send_hq_report", report_id, body(cmd))


@router.get("/units/{province_id}/hq-reports", response_model=list[out.HqReport])
def hq_reports(call: CallerDep, province_id: str):
    return call(R, "hq_reports", province_id)


# -- the monthly meeting of a city's neighborhood kanoon heads

@router.post("/heads-meetings", status_code=201, response_model=out.HeadsMeeting)
def record_meeting(call: CallerDep, cmd: s.RecordMeeting):
    """The month's meeting of the city's neighborhood kanoon heads: its host (a kanoon whose turn
    has come: each hosts again only after every other has), minutes, attendance, the next host proposed."""
    return call(R, "record_meeting", body(cmd))


@router.get("/units/{unit_id}/heads-meetings", response_model=out.HeadsMeetings)
def meetings(call: CallerDep, unit_id: str):
    return call(R, "meetings", unit_id)


# -- news of activities

@router.post("/news", status_code=201, response_model=out.NewsItem)
def write_news(call: CallerDep, cmd: s.WriteNews):
    """A news item from approved activity reports of the province, with media they carry (the PR head)."""
    return call(R, "write_news", body(cmd))


@router.post("/news/{news_id}/publication", response_model=out.NewsItem)
def publish_news(call: CallerDep, news_id: str):
    return call(R, "publish_news", news_id)


@router.get("/units/{province_id}/news", response_model=list[out.NewsItem])
def news(call: CallerDep, province_id: str, limit: Limit = 20, skip: Skip = 0):
    """Published items (drafts too for the PR head)."""
    return call(R, "news", province_id, limit, skip)


@router.get("/units/{province_id}/media", response_model=list[out.MediaToPick])
def media_to_pick(call: CallerDep, province_id: str, limit: Limit = 50):
    """The latest approved activity reports of the province that carry media, to pick from."""
    return call(R, "media_to_pick", province_id, limit)


# -- the service desk

@router.post("/tickets", status_code=201, response_model=out.Ticket)
def open_ticket(call: CallerDep, cmd: s.OpenTicket):
    """A member's problem with the systems (their province's desk), or an applicant's call the desk
    records (`contact`, `province_id`)."""
    return call(R, "open_ticket", body(cmd))


@router.get("/tickets/mine", response_model=list[out.Ticket])
def my_tickets(call: CallerDep):
    return call(R, "my_tickets")


@router.get("/tickets/{ticket_id}", response_model=out.Ticket)
def get_ticket(call: CallerDep, ticket_id: str):
    return call(R, "get_ticket", ticket_id)


@router.get("/units/{province_id}/tickets", response_model=out.TicketPage)
def tickets(call: CallerDep, province_id: str, status: Literal["open", "answered", "closed"] | None = None,
            limit: Limit = 100, skip: Skip = 0):
    """The province's desk: tickets, oldest first."""
    return call(R, "tickets", province_id, status, limit, skip)


@router.post("/tickets/{ticket_id}/messages", response_model=out.Ticket)
def ticket_message(call: CallerDep, ticket_id: str, cmd: s.TicketMessage):
    """The desk's answer, or the person's follow-up (which reopens an answered or closed ticket)."""
    return call(R, "ticket_message", ticket_id, body(cmd))


@router.post("/tickets/{ticket_id}/closing", response_model=out.Ticket)
def close_ticket(call: CallerDep, ticket_id: str):
    return call(R, "close_ticket", ticket_id)
