"""The festival service (DOMAIN §7, §2.8): nameko entrypoints that validate, check access, call the
domain and store the result with its events in one transaction. It learns units, kanoons,
memberships and roles from the registry's events, and keeps the points ledger from the reports
service's, the oversight service's and its own events; the registry shows the ranks it publishes."""
from __future__ import annotations

import base64

from kernel import jalali
from kernel.clock import SYSTEM as clock
from kernel.commands import page_args, parse, view
from kernel.errors import Conflict, Forbidden, Invalid, NotFound
from kernel.fold import Folder
from kernel.messaging import batch_event_handler, reliable_event_handler
from kernel.service import ContextProvider, DomainService, StoreProvider, rpc
from kernel.settings import cached_settings
from kernel import uploads

from . import schemas as s
from .domain import points, rules
from .domain.evaluation import BestMember, Candidate, Honour, Weights
from .domain.festival import Attachment, Axis, Criterion, Edition, Round, Submission, draw, participation
from .domain.plans import Occasion, Program, ProgramItem, ProgramKind, WrittenIndex
from .domain.training import Course, Enrollment, Exam, Need
from .events import KanoonRanked
from .projections import apply_points_event, apply_registry_event, fold_scores, recompute
from .repository import Repository, ensure_indexes


class FestivalProjections:
    """The festival's event handlers, in a container of their own (their own worker budget): the
    registry's read model, and the points ledger from every service's events that earn points."""

    name = "festival_projections"
    owner = "festival"

    store = StoreProvider(relay=False)
    score_folder = Folder("scores", "score_deltas", fold_scores)

    def _points(self, envelope: dict) -> None:
        self.store.apply("points", envelope, lambda tx: apply_points_event(tx.db, envelope), self.budget)

    @property
    def budget(self) -> float:
        return cached_settings().handler_store_seconds

    @reliable_event_handler("registry", "registry.#")
    def on_registry_event(self, envelope: dict) -> None:
        self.store.apply("registry", envelope, lambda tx: apply_registry_event(tx.db, envelope), self.budget)

    # Only the kinds of event that earn or cost points are bound (domain/points.py).
    @batch_event_handler("reports", "reports.report.approved.#")
    def on_report_approved(self, envelopes: list[dict]) -> None:
        """Approvals come in bursts: batched, one transaction per batch."""
        self.store.apply_batch("points", envelopes, apply_points_event, self.budget)

    @reliable_event_handler("reports", "reports.report.flagged.#")
    def on_report_flagged(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("reports", "reports.program.held.#")
    def on_program(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("reports", "reports.monthly_report.#")
    def on_monthly_report(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("oversight", "oversight.inspection.done.#")
    def on_inspection(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("oversight", "oversight.opinion.published.#")
    def on_opinion(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("oversight", "oversight.violation.recorded.#")
    def on_violation(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("festival", "festival.training.completed.#")
    def on_training(self, envelope: dict) -> None:
        self._points(envelope)

    @reliable_event_handler("festival", "festival.award.decided.#")
    def on_award(self, envelope: dict) -> None:
        self._points(envelope)


def _year(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1390 <= value <= 1500:
        raise Invalid("a Jalali year, 1390 to 1500", "year")
    return value


class FestivalService(DomainService):
    name = "festival"
    repository = Repository

    store = StoreProvider(indexes=ensure_indexes)
    ctx = ContextProvider()

    def _actor(self, repo: Repository):
        return repo.actor(self.ctx.user_id, self.ctx.person_id, clock.today())

    def _province(self, repo: Repository, province_id: str, field: str = "province_id") -> list[str]:
        path, kind = repo.unit_path(province_id)
        if kind != "province":
            raise Invalid("not a province", field)
        return path

    # ------------------------------------------------------------ the festival (§7.1)

    @rpc
    def open_edition(self, payload: dict) -> dict:
        cmd = parse(s.OpenEdition, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.run_festival(self._actor(repo), path)
            e, events = Edition.open(province_id=cmd.province_id, province_path=path, year=cmd.year, title=cmd.title,
                                     axes=[Axis(**a.model_dump()) for a in cmd.axes],
                                     criteria=[Criterion(**c.model_dump()) for c in cmd.criteria],
                                     opens_on=cmd.opens_on, closes_on=cmd.closes_on,
                                     judges_per_submission=cmd.judges_per_submission, disagreement=cmd.disagreement,
                                     by=actor.person_id, clock=clock)
            repo.add_edition(e)
            tx.emit(*events)
            return view(e)
        return self._write(work)

    @rpc
    def get_edition(self, edition_id: str) -> dict:
        repo = self._read()
        rules.signed_in(self._actor(repo))
        return view(repo.edition(edition_id))

    @rpc
    def editions(self, year: int) -> list[dict]:
        repo = self._read()
        rules.signed_in(self._actor(repo))
        return [view(e) for e in repo.editions_of(_year(year))]

    @rpc
    def date_edition(self, edition_id: str, payload: dict) -> dict:
        cmd = parse(s.DateEdition, payload)

        def work(repo: Repository, tx):
            e = repo.edition(edition_id)
            actor = rules.run_festival(self._actor(repo), e.province_path)
            tx.emit(*e.date_event(cmd.kind, cmd.on, cmd.place, actor.person_id, clock))
            repo.save_edition(e)
            return view(e)
        return self._write(work)

    @rpc
    def submit(self, edition_id: str, payload: dict) -> dict:
        cmd = parse(s.Submit, payload)

        def work(repo: Repository, tx):
            e = repo.edition(edition_id)
            actor = rules.signed_in(self._actor(repo))
            if cmd.kanoon_id:
                k = repo.kanoon_doc(cmd.kanoon_id)
                kpath = [*k["unit_path"], cmd.kanoon_id]
                if not actor.covers(kpath, rules.OFFICIALS, admin=False):
                    raise Forbidden("a kanoon's work is submitted by its head or deputy")
                by_kind, person_id, kanoon_id = "kanoon", None, cmd.kanoon_id
            else:
                where = repo.member_kanoon(actor.person_id)
                if where is None:
                    raise Forbidden("a member's work is submitted by a member of a kanoon")
                kanoon_id, kpath = where
                by_kind, person_id = "member", actor.person_id
            if e.province_id not in kpath:
                raise Invalid("the kanoon is not in the festival's province", "kanoon_id")
            sub, events = Submission.submit(edition=e, axis=cmd.axis, title=cmd.title, description=cmd.description,
                                            by_kind=by_kind, person_id=person_id, kanoon_id=kanoon_id,
                                            kanoon_path=kpath, city_id=repo.ancestor_of_kind(kpath, "city"),
                                            by=actor.person_id, today=clock.today(), clock=clock)
            repo.add_submission(sub)
            tx.emit(*events)
            return view(sub)
        return self._write(work)

    def _may_see(self, repo: Repository, actor, sub: Submission) -> None:
        if actor.person_id in (sub.submitted_by, sub.person_id) or any(j.person_id == actor.person_id
                                                                       for j in sub.judges):
            return
        if sub.published or actor.covers(repo.edition(sub.edition_id).province_path, rules.FESTIVAL):
            return
        raise Forbidden("only its submitter, its judges and the festival's staff see a work before it is published")

    @rpc
    def get_submission(self, submission_id: str) -> dict:
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        sub = repo.submission(submission_id)
        self._may_see(repo, actor, sub)
        return view(sub)

    @rpc
    def submissions(self, edition_id: str, axis: str | None = None, published_only: bool = False) -> list[dict]:
        """The edition's works: all of them for the festival's staff, the published ones for others."""
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        e = repo.edition(edition_id)
        staff = actor.covers(e.province_path, rules.FESTIVAL)
        items = repo.submissions_of(edition_id, axis, True if (published_only or not staff) else None)
        return [view(x) for x in items]

    @rpc
    def attach_to_submission(self, submission_id: str, payload: dict) -> dict:
        cmd = parse(s.UploadFile, payload)
        content = uploads.decode(cmd.content)
        kind = uploads.content_type_of(content)
        repo = self._read()
        sub = repo.submission(submission_id)
        actor = rules.signed_in(self._actor(repo))
        if actor.person_id != sub.submitted_by:
            raise Forbidden("files are attached by the work's submitter")
        file_id = uploads.keyed_id("fa", self.ctx.idempotency, clock)
        repo.store_file(file_id, cmd.name, content, kind)   # the bytes first: a record never lacks its file

        def work(repo: Repository, tx):
            sub = repo.submission(submission_id)
            if sub.status != "submitted":
                raise Conflict("files are attached before judging starts", "submission_id")
            if not any(a.id == file_id for a in sub.attachments):
                sub.attachments.append(Attachment.of(file_id, cmd.name, content, kind, actor.person_id, clock.now()))
                repo.save_submission(sub)
            return view(sub)
        return self._write(work)

    @rpc
    def submission_file(self, submission_id: str, attachment_id: str) -> dict:
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        sub = repo.submission(submission_id)
        self._may_see(repo, actor, sub)
        a = next((a for a in sub.attachments if a.id == attachment_id), None)
        if a is None:
            raise NotFound(f"no attachment {attachment_id} on this submission", "attachment_id")
        return {**view(a), "content": base64.b64encode(repo.file_content(a.id)).decode()}

    def _judge_pool(self, repo: Repository, e: Edition) -> list[str]:
        return sorted({g["person_id"] for g in repo.db.grants.find(
            {"role": "quality_evaluation_group", "scope_id": {"$in": e.province_path}, "revoked": {"$ne": True}})})

    @rpc
    def assign_judges(self, submission_id: str, payload: dict) -> dict:
        cmd = parse(s.AssignJudges, payload)

        def work(repo: Repository, tx):
            sub = repo.submission(submission_id)
            e = repo.edition(sub.edition_id)
            actor = rules.run_festival(self._actor(repo), e.province_path)
            pool = set(self._judge_pool(repo, e))
            for jid in cmd.judge_ids:
                if jid not in pool:
                    raise Invalid(f"{jid} is not in the province's qualitative evaluation group", "judge_ids")
                sub.assign(repo.judge_info(jid), cmd.round, actor.person_id, clock)
            repo.save_submission(sub)
            return view(sub)
        return self._write(work)

    @rpc
    def draw_judges(self, edition_id: str, round: str = "province") -> dict:
        """For every submission with fewer judges than the edition asks, judges drawn from the
        group, none in conflict (the draw is the same for the same submission and pool). A judge
        whose conflict of interest arose after the assignment, and who has not scored, is not
        counted: the draw fills that seat too. Each submission in a transaction of its own; run
        again, it fills only what is missing."""
        try:
            round_ = Round(round)
        except ValueError:
            raise Invalid("round is city or province", "round") from None
        repo = self._read()
        e = repo.edition(edition_id)
        actor = rules.run_festival(self._actor(repo), e.province_path)
        pool = [repo.judge_info(p) for p in self._judge_pool(repo, e)]
        known = {j.person_id: j for j in pool}
        drawn, short = 0, []
        for sub in repo.submissions_of(edition_id):
            standing = sub.judges_standing(known)
            if sub.status == "decided" or standing >= e.judges_per_submission:
                continue
            chosen = draw(pool, sub, round_, e.judges_per_submission - standing)
            if chosen is None:
                short.append(sub.id)
                continue

            def one(tx, sub_id=sub.id, chosen=chosen):
                r = Repository(tx.db)
                x = r.submission(sub_id)
                for j in chosen:
                    x.assign(j, round_, actor.person_id, clock)
                r.save_submission(x)
            self.store.transaction(one, correlation_id=self.ctx.request_id, deadline=self.ctx.store_deadline)
            drawn += 1
        return {"edition_id": edition_id, "drawn": drawn, "short_of_judges": short}

    @rpc
    def score_submission(self, submission_id: str, payload: dict) -> dict:
        cmd = parse(s.ScoreIn, payload)

        def work(repo: Repository, tx):
            sub = repo.submission(submission_id)
            e = repo.edition(sub.edition_id)
            actor = rules.judge(self._actor(repo), e.province_path)
            tx.emit(*sub.score(repo.judge_info(actor.person_id), cmd.marks, e, clock))
            repo.save_submission(sub)
            return view(sub)
        return self._write(work)

    @rpc
    def second_look(self, submission_id: str, payload: dict) -> dict:
        cmd = parse(s.SecondLook, payload)

        def work(repo: Repository, tx):
            sub = repo.submission(submission_id)
            rules.run_festival(self._actor(repo), repo.edition(sub.edition_id).province_path)
            sub.look_again(cmd.note)
            repo.save_submission(sub)
            return view(sub)
        return self._write(work)

    @rpc
    def decide_submission(self, submission_id: str, payload: dict) -> dict:
        cmd = parse(s.DecideWork, payload)

        def work(repo: Repository, tx):
            sub = repo.submission(submission_id)
            actor = rules.run_festival(self._actor(repo), repo.edition(sub.edition_id).province_path)
            tx.emit(*sub.decide(cmd.award, cmd.publish, actor.person_id, clock))
            repo.save_submission(sub)
            return view(sub)
        return self._write(work)

    @rpc
    def my_judging(self) -> list[dict]:
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        return [view(x) for x in repo.submissions_judged_by(actor.person_id)]

    @rpc
    def participation(self, edition_id: str) -> dict:
        """The province's participation per axis — submissions, and the share of its members and of
        its kanoons taking part — beside the country's for the same year (every province's edition)."""
        repo = self._read()
        e = repo.edition(edition_id)
        rules.require(self._actor(repo), e.province_path, rules.FESTIVAL | rules.OVERSEERS,
                      "see the festival's participation")
        country_id = e.province_path[0]
        province_kanoons = [k for k, _, _ in repo.active_kanoons_under(e.province_id)]
        country_kanoons = [k for k, _, _ in repo.active_kanoons_under(country_id)]
        prov = {"members": repo.count_members(province_kanoons), "kanoons": len(province_kanoons),
                "axes": repo.participation_of(e.year, e.province_id)}
        country = {"members": repo.count_members(country_kanoons), "kanoons": len(country_kanoons),
                   "axes": repo.participation_of(e.year, None)}
        return {"edition_id": edition_id, "year": e.year, "province_id": e.province_id,
                "province": {"members": prov["members"], "kanoons": prov["kanoons"]},
                "country": {"members": country["members"], "kanoons": country["kanoons"]},
                "axes": participation(prov, country)}

    # ------------------------------------------------------------ training (§7.2)

    @rpc
    def assess_need(self, payload: dict) -> dict:
        cmd = parse(s.AssessNeed, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.run_training(self._actor(repo), path)
            n = Need(id=clock.new_id("tn"), province_id=cmd.province_id, tier=cmd.tier, topic=cmd.topic,
                     priority=cmd.priority, note=cmd.note, by=actor.person_id, at=clock.now())
            repo.add_need(n)
            return view(n)
        return self._write(work)

    @rpc
    def needs(self, province_id: str, tier: str | None = None) -> list[dict]:
        repo = self._read()
        path = self._province(repo, province_id)
        rules.run_training(self._actor(repo), path)
        return [view(n) for n in repo.needs_of(province_id, tier)]

    @rpc
    def offer_course(self, payload: dict) -> dict:
        cmd = parse(s.OfferCourse, payload)

        def work(repo: Repository, tx):
            path = self._province(repo, cmd.province_id)
            actor = rules.run_training(self._actor(repo), path)
            if repo.membership(cmd.trainer_id) is None and not repo.grants_of(cmd.trainer_id, clock.today()):
                raise Invalid("the trainer is a member or a staff member known to the registry", "trainer_id")
            c, events = Course.offer(province_id=cmd.province_id, province_path=path, title=cmd.title, tier=cmd.tier,
                                     mode=cmd.mode, trainer_id=cmd.trainer_id,
                                     sessions=[(x.on, x.topic) for x in cmd.sessions],
                                     exams=[Exam(**x.model_dump()) for x in cmd.exams], pass_mark=cmd.pass_mark,
                                     min_attendance=cmd.min_attendance, content_reviewed_on=cmd.content_reviewed_on,
                                     by=actor.person_id, clock=clock)
            repo.add_course(c)
            tx.emit(*events)
            return view(c)
        return self._write(work)

    def _course_view(self, c: Course) -> dict:
        return {**view(c), "due_for_review": c.due_for_review(clock.today())}

    @rpc
    def courses(self, province_id: str, tier: str | None = None, due_for_review: bool = False) -> list[dict]:
        """A province's courses (for a tier); `due_for_review`: content last reviewed a year ago or more."""
        repo = self._read()
        self._province(repo, province_id)
        rules.signed_in(self._actor(repo))
        items = repo.courses_of(province_id, tier)
        if due_for_review:
            items = [c for c in items if c.due_for_review(clock.today())]
        return [self._course_view(c) for c in items]

    @rpc
    def get_course(self, course_id: str) -> dict:
        repo = self._read()
        rules.signed_in(self._actor(repo))
        return self._course_view(repo.course(course_id))

    @rpc
    def review_course(self, course_id: str, payload: dict) -> dict:
        cmd = parse(s.ReviewContent, payload)

        def work(repo: Repository, tx):
            c = repo.course(course_id)
            rules.run_training(self._actor(repo), c.province_path)
            c.reviewed(cmd.reviewed_on, clock.today())
            repo.save_course(c)
            return self._course_view(c)
        return self._write(work)

    @rpc
    def enroll(self, course_id: str) -> dict:
        def work(repo: Repository, tx):
            c = repo.course(course_id)
            actor = rules.signed_in(self._actor(repo))
            existing = repo.find_enrollment(course_id, actor.person_id)
            if existing is not None:
                return view(existing)
            where = repo.member_kanoon(actor.person_id)
            in_province = (where is not None and c.province_id in where[1]) or actor.covers(
                c.province_path, admin=False) or any(repo.unit_path(g.scope_id)[0][:len(c.province_path)]
                                                     == c.province_path for g in actor.grants)
            e = Enrollment.enroll(course=c, person_id=actor.person_id, in_province=in_province,
                                  member_kind=(repo.membership(actor.person_id) or {}).get("kind"),
                                  roles=actor.roles(), kanoon=where, clock=clock)
            repo.add_enrollment(e)
            return view(e)
        return self._write(work)

    @rpc
    def attend(self, course_id: str, payload: dict) -> dict:
        cmd = parse(s.Attend, payload)

        def work(repo: Repository, tx):
            c = repo.course(course_id)
            actor = rules.signed_in(self._actor(repo))
            e = repo.find_enrollment(course_id, actor.person_id)
            if e is None:
                raise Conflict("enroll in the course first", "course_id")
            e.register(c, cmd.session, clock.today(), clock)
            repo.save_enrollment(e)
            return view(e)
        return self._write(work)

    def _as_trainer(self, repo: Repository, c: Course):
        actor = rules.signed_in(self._actor(repo))
        if actor.person_id != c.trainer_id:
            raise Forbidden("only the course's trainer confirms attendance and records scores")
        return actor

    @rpc
    def confirm_attendance(self, course_id: str, payload: dict) -> dict:
        cmd = parse(s.ConfirmAttendance, payload)

        def work(repo: Repository, tx):
            c = repo.course(course_id)
            actor = self._as_trainer(repo, c)
            e = repo.enrollment(course_id, cmd.person_id)
            tx.emit(*e.confirm(c, cmd.session, actor.person_id, clock))
            repo.save_enrollment(e)
            return view(e)
        return self._write(work)

    @rpc
    def record_exam_score(self, course_id: str, payload: dict) -> dict:
        cmd = parse(s.ExamScoreIn, payload)

        def work(repo: Repository, tx):
            c = repo.course(course_id)
            actor = self._as_trainer(repo, c)
            e = repo.enrollment(course_id, cmd.person_id)
            tx.emit(*e.record_score(c, cmd.exam, cmd.score, actor.person_id, clock.today(), clock))
            repo.save_enrollment(e)
            return view(e)
        return self._write(work)

    @rpc
    def enrollments(self, course_id: str) -> list[dict]:
        repo = self._read()
        c = repo.course(course_id)
        actor = rules.signed_in(self._actor(repo))
        if actor.person_id != c.trainer_id:
            rules.run_training(actor, c.province_path)
        return [view(e) for e in repo.enrollments_of(course_id)]

    @rpc
    def my_training(self) -> list[dict]:
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        return [view(e) for e in repo.enrollments_of_person(actor.person_id)]

    # ------------------------------------------------------------ evaluation, points, ranks (§7.3, §2.8)

    @rpc
    def set_weights(self, payload: dict) -> dict:
        cmd = parse(s.SetWeights, payload)

        def work(repo: Repository, tx):
            path, kind = repo.unit_path(cmd.scope_id)
            if kind not in ("province", "country"):
                raise Invalid("weights are a province's (its planning head) or the country's (the Center)", "scope_id")
            actor = rules.signed_in(self._actor(repo))
            if kind == "country":
                if not actor.is_admin:
                    raise Forbidden("the country's weights are the Center's")
            else:
                rules.set_weights(actor, path)
            w, events = Weights.set(scope_id=cmd.scope_id, year=cmd.year, weights=cmd.weights, by=actor.person_id,
                                    clock=clock)
            repo.put_weights(w)
            tx.emit(*events)
            return view(w)
        return self._write(work)

    def _weights_for(self, repo: Repository, level: str, path: list[str], year: int) -> dict[str, float]:
        if level in ("city", "province", "neighborhood"):
            province = repo.ancestor_of_kind(path, "province")
            if province and repo.weights_set(province, year):
                return repo.weights(province, year)
        return repo.weights(path[0], year)

    def _ranking(self, repo: Repository, unit_id: str, level: str, path: list[str], year: int):
        weights = self._weights_for(repo, level, path, year)
        scores = repo.kanoon_scores_under(unit_id, year)
        kanoons = repo.active_kanoons_under(unit_id)
        return points.rank([(k, points.weighted(scores.get(k, {}), weights)) for k, _, _ in kanoons]), weights

    @rpc
    def ranking(self, unit_id: str, year: int, limit: int = 100, skip: int = 0) -> dict:
        """The unit's active kanoons ranked by their weighted score for the year (competition ranks)."""
        limit, skip = page_args(limit, skip)
        year = _year(year)
        repo = self._read()
        path, kind = repo.unit_path(unit_id)
        if kind == "kanoon":
            raise Invalid("rankings are of a unit (city, province, region, country)", "unit_id")
        rules.see_scores(self._actor(repo), path)
        ranked, weights = self._ranking(repo, unit_id, kind, path, year)
        names = {k["_id"]: k.get("name") for k in repo.db.kanoons.find(
            {"_id": {"$in": [r.id for r in ranked[skip:skip + limit]]}}, {"name": 1})}
        return {"unit_id": unit_id, "level": kind, "year": year, "of": len(ranked), "weights": weights,
                "items": [{"kanoon_id": r.id, "name": names.get(r.id), "score": r.score, "rank": r.rank,
                           "coefficient": points.coefficient(r.rank, len(ranked))} for r in ranked[skip:skip + limit]]}

    def _ranks_of(self, repo: Repository, kanoon_id: str, kpath: list[str], year: int,
                  cache: dict | None = None) -> dict:
        """The kanoon's rank at each level; `cache` keeps each unit's ranking across kanoons (a
        province's publication ranks the country once, not once per kanoon)."""
        cache = {} if cache is None else cache
        out = {}
        for level in points.LEVELS:
            unit = repo.ancestor_of_kind(kpath, level)
            if unit is None:
                continue
            if unit not in cache:
                ranked, _ = self._ranking(repo, unit, level, kpath, year)
                cache[unit] = {r.id: r for r in ranked}, len(ranked)
            by_id, n = cache[unit]
            mine = by_id.get(kanoon_id)
            if mine is not None:
                out[level] = {"unit_id": unit, "rank": mine.rank, "of": n, "score": mine.score,
                              "coefficient": points.coefficient(mine.rank, n)}
        return out

    @rpc
    def kanoon_score(self, kanoon_id: str, year: int, limit: int = 100, skip: int = 0) -> dict:
        """A kanoon's score for the year explained: the formula, its points per index with the
        weights of each level, its ranks, and the ledger's lines behind it (paged)."""
        limit, skip = page_args(limit, skip)
        year = _year(year)
        repo = self._read()
        kpath, kind = repo.unit_path(kanoon_id)
        if kind != "kanoon":
            raise Invalid("not a kanoon", "kanoon_id")
        rules.see_scores(self._actor(repo), kpath)
        return self._explain(repo, "kanoon", kanoon_id, kpath, year, limit, skip,
                             ranks=self._ranks_of(repo, kanoon_id, kpath, year))

    def _explain(self, repo: Repository, kind: str, subject_id: str, path: list[str], year: int, limit: int,
                 skip: int, ranks: dict | None = None) -> dict:
        doc = repo.score(kind, subject_id, year) or {}
        by_index = {k: round(v, 2) for k, v in (doc.get("by_index") or {}).items()}
        weights = {level: self._weights_for(repo, level, path, year) for level in ("province", "country")} \
            if path else {"country": repo.weights(repo.country_id(), year)}
        lines, total = repo.lines(kind, subject_id, year, limit, skip)
        return {"subject_kind": kind, "subject_id": subject_id, "year": year,
                "formula": "score = Σ (weight of the index × points of the index)",
                "points": by_index, "weights": weights,
                "score": {level: points.weighted(by_index, w) for level, w in weights.items()},
                "ranks": ranks or {}, "lines_total": total,
                "lines": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in ln.items() if k != "_id"}
                          | {"id": ln["_id"]} for ln in lines]}

    @rpc
    def member_score(self, person_id: str, year: int, limit: int = 100, skip: int = 0) -> dict:
        """A member's points for the year with their lines: for the member, and their kanoon's
        officials and overseers."""
        limit, skip = page_args(limit, skip)
        year = _year(year)
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        where = repo.member_kanoon(person_id)
        path = where[1] if where else []
        if actor.person_id != person_id:
            if not path:
                raise Forbidden("only the member sees the points of a member without a kanoon")
            rules.see_scores(actor, path)
        return self._explain(repo, "member", person_id, path, year, limit, skip)

    @rpc
    def role_rankings(self, province_id: str, year: int) -> dict:
        """City secretaries ranked by the mean coefficient of their county's kanoons in the province's
        ranking (a kanoon's rank as a coefficient in the evaluation of the role above it), and the
        kanoon heads by their kanoon's score."""
        year = _year(year)
        repo = self._read()
        path = self._province(repo, province_id)
        rules.see_scores(self._actor(repo), path)
        ranked, _ = self._ranking(repo, province_id, "province", path, year)
        kanoons = {k: (p, head) for k, p, head in repo.active_kanoons_under(province_id)}
        city_rows, heads = points.role_rankings(
            ranked, {k: repo.ancestor_of_kind(p, "city") for k, (p, _) in kanoons.items()},
            {k: head for k, (_, head) in kanoons.items()})
        secretaries = {g["scope_id"]: g["person_id"] for g in repo.db.grants.find(
            {"role": "city_secretary", "scope_id": {"$in": [r.id for r, _ in city_rows]}, "revoked": {"$ne": True}})}
        return {"province_id": province_id, "year": year,
                "city_secretaries": [{"city_id": r.id, "person_id": secretaries.get(r.id), "evaluation": r.score,
                                      "rank": r.rank, "kanoons": n} for r, n in city_rows],
                "kanoon_heads": [{"person_id": r.id, "kanoon_id": kid, "score": r.score, "rank": r.rank}
                                 for r, kid in heads]}

    @rpc
    def publish_ranks(self, payload: dict) -> dict:
        """The province's kanoons' ranks for the year, as they stand today, published (one event per
        kanoon): the registry shows them on each kanoon."""
        cmd = parse(s.PublishRanks, payload)
        repo = self._read()
        path = self._province(repo, cmd.province_id)
        rules.publish_ranks(self._actor(repo), path)
        snapshot, cache = [], {}
        for kanoon_id, kpath, _ in repo.active_kanoons_under(cmd.province_id):
            ranks = self._ranks_of(repo, kanoon_id, kpath, cmd.year, cache)
            snapshot.append(KanoonRanked(kanoon_id=kanoon_id, province_id=cmd.province_id, year=cmd.year,
                                         ranks={lv: {"rank": r["rank"], "of": r["of"], "score": r["score"]}
                                                for lv, r in ranks.items()}, published_on=clock.today()))

        def work(repo: Repository, tx):
            tx.emit(*snapshot)
            return {"province_id": cmd.province_id, "year": cmd.year, "published": len(snapshot)}
        return self._write(work)

    @rpc
    def best_candidates(self, kanoon_id: str, period: str, member_kind: str) -> dict:
        """The kanoon's members of the kind and their points in the period: the evidence for the
        head's choice."""
        repo = self._read()
        kpath, kind = repo.unit_path(kanoon_id)
        if kind != "kanoon":
            raise Invalid("not a kanoon", "kanoon_id")
        rules.see_scores(self._actor(repo), kpath)
        return {"kanoon_id": kanoon_id, "period": period, "member_kind": member_kind,
                "candidates": [c.model_dump() for c in self._candidates(repo, kanoon_id, period, member_kind)]}

    def _candidates(self, repo: Repository, kanoon_id: str, period: str, member_kind: str) -> list[Candidate]:
        if member_kind not in ("khademyar", "yavar"):
            raise Invalid("member_kind is khademyar or yavar", "member_kind")
        try:
            p = jalali.parse_period(period)
        except ValueError as exc:
            raise Invalid(str(exc), "period") from None
        months = None if p.kind == "year" else [str(m) for m in p.month_periods()]
        pts = repo.member_points(kanoon_id, months, p.year)
        members = [m["_id"] for m in repo.members_of([kanoon_id], member_kind)]
        if not members:
            raise Conflict(f"the kanoon has no {member_kind}s", "member_kind")
        return sorted((Candidate(person_id=m, points=pts.get(m, 0.0)) for m in members),
                      key=lambda c: (-c.points, c.person_id))

    @rpc
    def choose_best(self, kanoon_id: str, payload: dict) -> dict:
        cmd = parse(s.ChooseBest, payload)

        def work(repo: Repository, tx):
            kpath, kind = repo.unit_path(kanoon_id)
            if kind != "kanoon":
                raise Invalid("not a kanoon", "kanoon_id")
            actor = rules.choose_best(self._actor(repo), kpath)
            candidates = self._candidates(repo, kanoon_id, cmd.period, cmd.member_kind)
            b, events = BestMember.choose(kanoon_id=kanoon_id, period=str(jalali.parse_period(cmd.period)),
                                          member_kind=cmd.member_kind, person_id=cmd.person_id,
                                          candidates=candidates,
                                          reason=cmd.reason, by=actor.person_id, clock=clock)
            repo.put_best(b)
            tx.emit(*events)
            return view(b)
        return self._write(work)

    @rpc
    def best_members(self, kanoon_id: str) -> list[dict]:
        repo = self._read()
        kpath, _ = repo.unit_path(kanoon_id)
        rules.signed_in(self._actor(repo))
        return [view(b) for b in repo.best_of(kanoon_id)]

    @rpc
    def honour_head(self, payload: dict) -> dict:
        """The city secretary honours a neighborhood kanoon's head; the specialized secretary of the
        field a specialized kanoon's."""
        cmd = parse(s.HonourHead, payload)

        def work(repo: Repository, tx):
            k = repo.kanoon_doc(cmd.kanoon_id)
            kpath = [*k["unit_path"], cmd.kanoon_id]
            role = "specialized_secretary" if k.get("kind") == "specialized" else "city_secretary"
            actor = rules.require(self._actor(repo), kpath, frozenset({role}),
                                  f"honour this kanoon's head (the {role.replace('_', ' ')} does)", k.get("field"),
                                  admin=False)
            h, events = Honour.give(person_id=cmd.person_id, head_id=k.get("head_id"), kanoon_id=cmd.kanoon_id,
                                    year=cmd.year, note=cmd.note, by=actor.person_id, by_role=role, clock=clock)
            repo.add_honour(h)
            tx.emit(*events)
            return view(h)
        return self._write(work)

    @rpc
    def honours(self, unit_id: str, year: int) -> list[dict]:
        year = _year(year)
        repo = self._read()
        rules.signed_in(self._actor(repo))
        repo.unit_path(unit_id)
        return [view(h) for h in repo.honours_under(unit_id, year)]

    @rpc
    def check_ledger(self, year: int) -> dict:
        """The year's scores recomputed from the ledger alone, against the incremental ones (an
        operator's check): the differences, none when they agree."""
        year = _year(year)
        repo = self._read()
        actor = rules.signed_in(self._actor(repo))
        if not actor.is_admin:
            raise Forbidden("the ledger check is an operator's")
        return recompute(repo, year)

    # ------------------------------------------------------------ plans and occasions (§7.3)

    @rpc
    def add_occasion(self, payload: dict) -> dict:
        cmd = parse(s.AddOccasion, payload)

        def work(repo: Repository, tx):
            path, kind = repo.unit_path(cmd.scope_id)
            if kind not in ("country", "province"):
                raise Invalid("occasions are the country's (the Center) or a province's", "scope_id")
            actor = rules.keep_occasions(self._actor(repo), path, kind == "country")
            o, events = Occasion.add(scope_id=cmd.scope_id, kind=cmd.kind, title=cmd.title, starts_on=cmd.starts_on,
                                     ends_on=cmd.ends_on, profession=cmd.profession, by=actor.person_id, clock=clock)
            repo.add_occasion(o)
            tx.emit(*events)
            return view(o)
        return self._write(work)

    @rpc
    def occasions(self, unit_id: str, year: int) -> list[dict]:
        """The year's calendar seen from a unit: the country's occasions and its province's."""
        year = _year(year)
        repo = self._read()
        rules.signed_in(self._actor(repo))
        path, _ = repo.unit_path(unit_id)
        return [view(o) for o in repo.occasions_for(path, year)]

    def _items(self, repo: Repository, owner_path: list[str], items) -> list[ProgramItem]:
        out = []
        for n, it in enumerate(items):
            if it.occasion_id:
                o = repo.occasion(it.occasion_id)
                if o.scope_id not in owner_path:
                    raise Invalid("the occasion is another province's", f"items.{n}.occasion_id")
            out.append(ProgramItem(**it.model_dump()))
        return out

    @rpc
    def draft_program(self, payload: dict) -> dict:
        cmd = parse(s.DraftProgram, payload)

        def work(repo: Repository, tx):
            path, kind = repo.unit_path(cmd.owner_id)
            kanoon = cmd.kind == ProgramKind.kanoon_annual
            if kind != ("kanoon" if kanoon else "province"):
                raise Invalid("a kanoon's program is its own; the province's annual and monthly ones the "
                              "province's", "owner_id")
            actor = rules.draft_program(self._actor(repo), path, kanoon)
            province = repo.ancestor_of_kind(path, "province")
            if province is None:
                raise Invalid("not inside a province", "owner_id")
            p = Program.draft(kind=cmd.kind, owner_id=cmd.owner_id, owner_path=path, province_id=province,
                              period=cmd.period, title=cmd.title, items=self._items(repo, path, cmd.items),
                              indices=[WrittenIndex(**i.model_dump()) for i in cmd.indices], by=actor.person_id,
                              clock=clock)
            repo.add_program(p)
            return view(p)
        return self._write(work)

    def _change_program(self, program_id: str, change) -> dict:
        def work(repo: Repository, tx):
            p = repo.program(program_id)
            tx.emit(*(change(repo, p) or []))
            repo.save_program(p)
            return view(p)
        return self._write(work)

    def _drafter(self, repo: Repository, p: Program):
        return rules.draft_program(self._actor(repo), p.owner_path, p.kind == ProgramKind.kanoon_annual)

    @rpc
    def revise_program(self, program_id: str, payload: dict) -> dict:
        cmd = parse(s.ReviseProgram, payload)
        return self._change_program(program_id, lambda repo, p: p.revise(
            cmd.title, self._items(repo, p.owner_path, cmd.items),
            [WrittenIndex(**i.model_dump()) for i in cmd.indices], self._drafter(repo, p).person_id, clock))

    @rpc
    def submit_program(self, program_id: str) -> dict:
        return self._change_program(program_id, lambda repo, p: p.submit(self._drafter(repo, p).person_id, clock))

    @rpc
    def decide_program(self, program_id: str, payload: dict) -> dict:
        """The province manager approves or returns the province's programs; the coordination council
        the kanoons' one-year programs."""
        cmd = parse(s.DecideProgram, payload)

        def change(repo, p):
            province_path = repo.unit_path(p.province_id)[0]
            actor = rules.require(self._actor(repo), province_path, frozenset({p.approver_role}),
                                  f"decide this program (the {p.approver_role.replace('_', ' ')} does)")
            return p.decide(cmd.approve, cmd.reason, actor.person_id, clock)
        return self._change_program(program_id, change)

    @rpc
    def evaluate_program(self, program_id: str, payload: dict) -> dict:
        cmd = parse(s.EvaluateProgram, payload)
        return self._change_program(program_id, lambda repo, p: p.evaluate(
            cmd.achieved, rules.evaluate_program(self._actor(repo), p.owner_path).person_id, clock.today(), clock))

    @rpc
    def get_program(self, program_id: str) -> dict:
        repo = self._read()
        p = repo.program(program_id)
        rules.see_programs(self._actor(repo), p.owner_path)
        return view(p)

    @rpc
    def programs(self, unit_id: str, year: int, status: str | None = None) -> list[dict]:
        """The programs of a unit and the kanoons below it for a Jalali year."""
        year = _year(year)
        if status not in (None, "draft", "submitted", "approved", "returned", "evaluated"):
            raise Invalid("status is draft, submitted, approved, returned or evaluated", "status")
        repo = self._read()
        path, _ = repo.unit_path(unit_id)
        rules.see_programs(self._actor(repo), path)
        return [view(p) for p in repo.programs_under(unit_id, year, status)]

