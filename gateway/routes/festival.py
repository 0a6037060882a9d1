"""REST routes of the festival service (DOMAIN §7, §2.8): the service festival (editions, works,
judges, scores, awards, participation), training (needs, courses, attendance, exams, certificates)
and the evaluation (weights, points explained line by line, rankings, the best members chosen by
the head, honours)."""
from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from kernel.errors import Invalid
from kernel.uploads import MAX_BYTES

from services.festival import schemas as s

from .. import responses as out
from ..deps import CallerDep, Limit, Skip

router = out.Router(prefix="/api", tags=["festival"])
R = "festival"
Year = Annotated[int, Query(ge=1390, le=1500, description="a Jalali year")]


def body(model):
    return model.model_dump(mode="json")


# -- the festival (§7.1)

@router.post("/festival/editions", status_code=201, response_model=out.Edition)
def open_edition(call: CallerDep, cmd: s.OpenEdition):
    """A province's festival of a Jalali year (the evaluation and festival head)."""
    return call(R, "open_edition", body(cmd))


@router.get("/festival/editions", response_model=list[out.Edition])
def editions(call: CallerDep, year: Year):
    return call(R, "editions", year)


@router.get("/festival/editions/{edition_id}", response_model=out.Edition)
def get_edition(call: CallerDep, edition_id: str):
    return call(R, "get_edition", edition_id)


@router.post("/festival/editions/{edition_id}/dates", response_model=out.Edition)
def date_edition(call: CallerDep, edition_id: str, cmd: s.DateEdition):
    """The exhibition, the opening or the closing, dated."""
    return call(R, "date_edition", edition_id, body(cmd))


@router.post("/festival/editions/{edition_id}/submissions", status_code=201, response_model=out.Submission)
def submit(call: CallerDep, edition_id: str, cmd: s.Submit):
    """A member's work, or a kanoon's (by its head or deputy), within the submission window."""
    return call(R, "submit", edition_id, body(cmd))


@router.get("/festival/editions/{edition_id}/submissions", response_model=list[out.Submission])
def submissions(call: CallerDep, edition_id: str, axis: str | None = None, published_only: bool = False):
    """Every work for the festival's staff; the published ones for everyone else."""
    return call(R, "submissions", edition_id, axis, published_only)


@router.post("/festival/editions/{edition_id}/judge-draw", response_model=out.JudgeDraw)
def draw_judges(call: CallerDep, edition_id: str, round: Literal["city", "province"] = "province"):
    """Judges from the qualitative evaluation group for every work short of them, none from the
    work's kanoon (nor its city, in a city round)."""
    return call(R, "draw_judges", edition_id, round)


@router.get("/festival/editions/{edition_id}/participation", response_model=out.Participation)
def participation(call: CallerDep, edition_id: str):
    """The province's participation per axis beside the country's."""
    return call(R, "participation", edition_id)


@router.get("/festival/submissions/{submission_id}", response_model=out.Submission)
def get_submission(call: CallerDep, submission_id: str):
    return call(R, "get_submission", submission_id)


@router.post("/festival/submissions/{submission_id}/attachments", response_model=out.Submission)
async def attach_to_submission(call: CallerDep, submission_id: str, file: UploadFile):
    """The work's file (PDF, JPEG or PNG, at most 10 MB, the type read from the content), before
    judging starts."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", "file")
    payload = {"name": file.filename or "work", "content": base64.b64encode(content).decode()}
    return await run_in_threadpool(call, R, "attach_to_submission", submission_id, payload)


@router.get("/festival/submissions/{submission_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                         for t in ("application/pdf", "image/jpeg", "image/png")}}})
def submission_file(call: CallerDep, submission_id: str, attachment_id: str):
    a = call(R, "submission_file", submission_id, attachment_id)
    return Response(base64.b64decode(a["content"]), media_type=a["content_type"],
                    headers={"X-Content-SHA256": a["sha256"], "Content-Disposition": "attachment"})


@router.post("/festival/submissions/{submission_id}/judges", response_model=out.Submission)
def assign_judges(call: CallerDep, submission_id: str, cmd: s.AssignJudges):
    return call(R, "assign_judges", submission_id, body(cmd))


@router.put("/festival/submissions/{submission_id}/score", response_model=out.Submission)
def score_submission(call: CallerDep, submission_id: str, cmd: s.ScoreIn):
    """The calling judge's marks (again: replaced, until the decision)."""
    return call(R, "score_submission", submission_id, body(cmd))


@router.post("/festival/submissions/{submission_id}/second-look", response_model=out.Submission)
def second_look(call: CallerDep, submission_id: str, cmd: s.SecondLook):
    """Recorded when the judges disagree widely; the work is decided after it."""
    return call(R, "second_look", submission_id, body(cmd))


@router.post("/festival/submissions/{submission_id}/decision", response_model=out.Submission)
def decide_submission(call: CallerDep, submission_id: str, cmd: s.DecideWork):
    return call(R, "decide_submission", submission_id, body(cmd))


@router.get("/festival/judging", response_model=list[out.Submission])
def my_judging(call: CallerDep):
    """The works the caller is a judge of."""
    return call(R, "my_judging")


# -- training (§7.2)

@router.post("/training/needs", status_code=201, response_model=out.TrainingNeed)
def assess_need(call: CallerDep, cmd: s.AssessNeed):
    return call(R, "assess_need", body(cmd))


@router.get("/training/needs", response_model=list[out.TrainingNeed])
def needs(call: CallerDep, province_id: str,
          tier: Literal["khademyar", "yavar", "kanoon_head", "staff"] | None = None):
    return call(R, "needs", province_id, tier)


@router.post("/training/courses", status_code=201, response_model=out.Course)
def offer_course(call: CallerDep, cmd: s.OfferCourse):
    return call(R, "offer_course", body(cmd))


@router.get("/training/courses", response_model=list[out.Course])
def courses(call: CallerDep, province_id: str,
            tier: Literal["khademyar", "yavar", "kanoon_head", "staff"] | None = None, due_for_review: bool = False):
    """`due_for_review=true`: courses whose content was last reviewed a year ago or more."""
    return call(R, "courses", province_id, tier, due_for_review)


@router.get("/training/courses/{course_id}", response_model=out.Course)
def get_course(call: CallerDep, course_id: str):
    return call(R, "get_course", course_id)


@router.post("/training/courses/{course_id}/review", response_model=out.Course)
def review_course(call: CallerDep, course_id: str, cmd: s.ReviewContent):
    return call(R, "review_course", course_id, body(cmd))


@router.post("/training/courses/{course_id}/enrollment", response_model=out.Enrollment)
def enroll(call: CallerDep, course_id: str):
    """The caller enrolls (again: the same enrollment)."""
    return call(R, "enroll", course_id)


@router.post("/training/courses/{course_id}/attendance", response_model=out.Enrollment)
def attend(call: CallerDep, course_id: str, cmd: s.Attend):
    """The member registers their attendance at a session held."""
    return call(R, "attend", course_id, body(cmd))


@router.post("/training/courses/{course_id}/attendance/confirmation", response_model=out.Enrollment)
def confirm_attendance(call: CallerDep, course_id: str, cmd: s.ConfirmAttendance):
    """The course's trainer confirms a member's registered attendance."""
    return call(R, "confirm_attendance", course_id, body(cmd))


@router.post("/training/courses/{course_id}/exam-scores", response_model=out.Enrollment)
def record_exam_score(call: CallerDep, course_id: str, cmd: s.ExamScoreIn):
    """The trainer records a score; the certificate is issued once attendance and every exam pass."""
    return call(R, "record_exam_score", course_id, body(cmd))


@router.get("/training/courses/{course_id}/enrollments", response_model=list[out.Enrollment])
def enrollments(call: CallerDep, course_id: str):
    return call(R, "enrollments", course_id)


@router.get("/training/mine", response_model=list[out.Enrollment])
def my_training(call: CallerDep):
    return call(R, "my_training")


# -- evaluation, points, ranks (§7.3, §2.8)

@router.put("/evaluation/weights", response_model=out.Weights)
def set_weights(call: CallerDep, cmd: s.SetWeights):
    return call(R, "set_weights", body(cmd))


@router.get("/evaluation/units/{unit_id}/ranking", response_model=out.Ranking)
def ranking(call: CallerDep, unit_id: str, year: Year, limit: Limit = 100, skip: Skip = 0):
    """The unit's active kanoons ranked by their weighted score (equal scores share a rank)."""
    return call(R, "ranking", unit_id, year, limit, skip)


@router.get("/evaluation/kanoons/{kanoon_id}/score", response_model=out.ScoreExplained)
def kanoon_score(call: CallerDep, kanoon_id: str, year: Year, limit: Limit = 100, skip: Skip = 0):
    """The score explained: the formula, points per index, the weights, the ranks and the ledger's
    lines behind them, each naming its source event."""
    return call(R, "kanoon_score", kanoon_id, year, limit, skip)


@router.get("/evaluation/members/{person_id}/score", response_model=out.ScoreExplained)
def member_score(call: CallerDep, person_id: str, year: Year, limit: Limit = 100, skip: Skip = 0):
    return call(R, "member_score", person_id, year, limit, skip)


@router.get("/evaluation/provinces/{province_id}/roles", response_model=out.RoleRankings)
def role_rankings(call: CallerDep, province_id: str, year: Year):
    """City secretaries by their kanoons' rank coefficients; kanoon heads by their kanoon's score."""
    return call(R, "role_rankings", province_id, year)


@router.post("/evaluation/rankings/publication", response_model=out.Published)
def publish_ranks(call: CallerDep, cmd: s.PublishRanks):
    """The province's kanoons' ranks as they stand, published; the registry shows them on each kanoon."""
    return call(R, "publish_ranks", body(cmd))


@router.get("/evaluation/kanoons/{kanoon_id}/best-candidates", response_model=out.Candidates)
def best_candidates(call: CallerDep, kanoon_id: str, period: str,
                    member_kind: Literal["khademyar", "yavar"]):
    return call(R, "best_candidates", kanoon_id, period, member_kind)


@router.post("/evaluation/kanoons/{kanoon_id}/best", response_model=out.BestMember)
def choose_best(call: CallerDep, kanoon_id: str, cmd: s.ChooseBest):
    """The head's choice, with the points as evidence."""
    return call(R, "choose_best", kanoon_id, body(cmd))


@router.get("/evaluation/kanoons/{kanoon_id}/best", response_model=list[out.BestMember])
def best_members(call: CallerDep, kanoon_id: str):
    return call(R, "best_members", kanoon_id)


@router.post("/evaluation/honours", status_code=201, response_model=out.Honour)
def honour_head(call: CallerDep, cmd: s.HonourHead):
    return call(R, "honour_head", body(cmd))


@router.get("/evaluation/units/{unit_id}/honours", response_model=list[out.Honour])
def honours(call: CallerDep, unit_id: str, year: Year):
    return call(R, "honours", unit_id, year)


@router.get("/evaluation/ledger-check", response_model=out.LedgerCheck)
def check_ledger(call: CallerDep, year: Year):
    """An operator's check: the year's scores recomputed from the ledger against the incremental ones."""
    return call(R, "check_ledger", year)


# -- plans and occasions (§7.3): the annual, monthly and kanoons' one-year programs are "plans" here,
# apart from the collective programs a kanoon holds (/api/programs, the reports service)

@router.post("/occasions", status_code=201, response_model=out.Occasion)
def add_occasion(call: CallerDep, cmd: s.AddOccasion):
    """An occasion of the calendar: the country's (the Center) or a province's (its planning head)."""
    return call(R, "add_occasion", body(cmd))


@router.get("/units/{unit_id}/occasions", response_model=list[out.Occasion])
def occasions(call: CallerDep, unit_id: str, year: Year):
    """The year's occasions seen from a unit: the country's and its province's."""
    return call(R, "occasions", unit_id, year)


@router.post("/plans", status_code=201, response_model=out.Plan)
def draft_program(call: CallerDep, cmd: s.DraftProgram):
    """The province's annual or monthly program (the planning head), or a kanoon's one-year program
    (its head)."""
    return call(R, "draft_program", body(cmd))


@router.get("/plans/{program_id}", response_model=out.Plan)
def get_program(call: CallerDep, program_id: str):
    return call(R, "get_program", program_id)


@router.put("/plans/{program_id}", response_model=out.Plan)
def revise_program(call: CallerDep, program_id: str, cmd: s.ReviseProgram):
    """While a draft or returned."""
    return call(R, "revise_program", program_id, body(cmd))


@router.post("/plans/{program_id}/submission", response_model=out.Plan)
def submit_program(call: CallerDep, program_id: str):
    return call(R, "submit_program", program_id)


@router.post("/plans/{program_id}/decision", response_model=out.Plan)
def decide_program(call: CallerDep, program_id: str, cmd: s.DecideProgram):
    """The province manager for the province's programs; the coordination council for kanoons'."""
    return call(R, "decide_program", program_id, body(cmd))


@router.post("/plans/{program_id}/evaluation", response_model=out.Plan)
def evaluate_program(call: CallerDep, program_id: str, cmd: s.EvaluateProgram):
    """After its period: what was achieved for each written index; the score is the mean of
    min(achieved ÷ target, 1) × 100."""
    return call(R, "evaluate_program", program_id, body(cmd))


@router.get("/units/{unit_id}/plans", response_model=list[out.Plan])
def programs(call: CallerDep, unit_id: str, year: Year,
             status: Literal["draft", "submitted", "approved", "returned", "evaluated"] | None = None):
    return call(R, "programs", unit_id, year, status)

