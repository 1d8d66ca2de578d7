"""The demo organisation: real people, two cycles, reviews in every state, verdicts.

Ratings come from a small "profile" per person (how far above or below their level they work
in each area), so the demo shows what the product is for: someone clearly ready for Staff,
someone closer to management than to Staff, someone with blockers.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ..domain.calibration import readiness_figures
from ..domain.reviews import Entry
from ..domain.rubric import Competency, Rubric
from ..domain.statuses import BELOW_CURRENT
from ..extensions import db
from ..models import Rating, Review, ReviewAnswer, ReviewCycle, ReviewQuestion, User, Verdict
from ..models.reviews import DEFAULT_QUESTIONS
from .ladders import LoadedVersion, load_default_ladder, load_version
from .rating_counts import keep_counts

DEMO_PASSWORD = "ladder-demo"

# Evidence for a rating, by competency key: what someone would write about that competency
# (two texts each, "{project}" filled in). Competencies of other ladders get GENERIC_EVIDENCE,
# which names the competency.
EVIDENCE = {
    "algorithms-data-structures": (
        "Replaced the linear scan in {project} with an interval tree, a better data structure; lookups went from O(n) "
        "to O(log n).",
        "Chose a bounded heap over sorting for {project}'s top-k query and explained the data structure in review.",
    ),
    "distributed-systems": (
        "Made {project}'s distributed services idempotent across retries and documented their consistency model.",
        "Designed the leader election and back-pressure for {project}'s distributed workers.",
    ),
    "database-design": (
        "Modelled the {project} schema with the constraints in the database; the migration ran online.",
        "Split {project}'s wide table and added the two indexes its queries needed; the data model is now documented.",
    ),
    "concurrency": (
        "Found and fixed a race in {project}'s worker pool; added a test that reproduces the concurrency bug.",
        "Replaced shared locks in {project} with a queue per key; no more deadlocks under concurrent load.",
    ),
    "system-design": (
        "Led the design doc for {project}; reviewed by three teams and shipped on schedule.",
        "Proposed the architecture split of {project} into two services, with the trade-offs and a rollback plan.",
    ),
    "code-quality-review": (
        "Reviewed 60 changes to {project} this half; review comments explain the why and link the standard.",
        "Refactored {project}'s payment module so new code is covered and readable; code review time halved.",
    ),
    "testing-strategy": (
        "Wrote the testing strategy for {project}; flaky tests down from 40 a week to 3.",
        "Added contract tests between {project} and its clients; the test suite now catches breaking changes.",
    ),
    "observability-slos": (
        "Defined SLOs for {project} and replaced 30 noisy alerts with four that page on the error budget.",
        "Added tracing and dashboards to {project}; observability cut the time to find a slow call to minutes.",
    ),
    "incident-response": (
        "Owned on-call for {project} this half; wrote two runbooks and ran the postmortem of the March incident.",
        "Led the incident response when {project} went down; service restored in 25 minutes, actions tracked to done.",
    ),
    "performance-engineering": (
        "Profiled {project}'s performance, removed an N+1 query and cut p95 latency from 480 ms to 120 ms.",
        "Ran load tests on {project} before launch and fixed the two performance bottlenecks they found.",
    ),
    "security": (
        "Threat-modelled {project} and fixed the two security findings before the external audit.",
        "Moved {project}'s secrets to the vault and added dependency scanning; no security exceptions left.",
    ),
    "planning-execution": (
        "Broke {project} into four milestones, kept the plan within a week of the estimate and reported progress "
        "weekly.",
        "Planned {project}'s execution around the freeze; scope cut early, delivered on the agreed date.",
    ),
    "release-engineering": (
        "Moved {project} to continuous deployment behind feature flags, with a one-click rollback.",
        "Cut {project}'s CI pipeline from 25 to 8 minutes and added a canary rollout stage.",
    ),
    "cross-functional-collaboration": (
        "Worked with product, design and operations on {project}; agreed the scope in one collaboration workshop.",
        "Paired with the support lead on {project}'s rollout; operations had runbooks before launch.",
    ),
    "communication": (
        "Communicated the {project} trade-offs to product and support in plain words; the plan was agreed in one "
        "meeting.",
        "Wrote the customer-facing communication for the {project} change; support tickets stayed flat.",
    ),
    "technical-writing": (
        "Authored the {project} onboarding guide; new engineers ship in their first week with its written steps.",
        "Rewrote {project}'s design doc and runbooks in plain language; the writing is now the team's template.",
    ),
    "mentoring": (
        "Mentored two newer engineers weekly on {project}; both now review changes on their own.",
        "Mentored an intern through {project}'s first feature, from design to release.",
    ),
    "hiring-calibration": (
        "Ran twelve interviews with the new rubric and joined hiring calibration for the {project} team.",
        "Wrote the {project} take-home exercise and trained four interviewers; hiring decisions now calibrate faster.",
    ),
    "technical-direction-standards": (
        "Proposed the service standard adopted by {project} and two neighbouring teams.",
        "Set the technical direction for {project}'s storage for the next year; the standards doc was approved.",
    ),
    "tools-and-ai": (
        "Introduced AI-assisted code review on {project} with a written guideline on what to trust.",
        "Evaluated two new tools for {project}'s builds and rolled out the one that halved build time.",
    ),
    "people-management": (
        "Ran weekly 1:1s with the people on the {project} team and wrote growth plans; one promotion, no regretted "
        "attrition.",
        "Managed a performance concern on {project} fairly and quickly, with clear expectations and support.",
    ),
    "team-health": (
        "Ran team health checks for {project}; fixed the on-call load that scored lowest, and the team score rose.",
        "Built the {project} team from three to six people with an onboarding plan and shared rituals.",
    ),
    "planning-strategy": (
        "Wrote {project}'s half-year strategy and plan with product; the roadmap funded two bets and cut one.",
        "Led quarterly planning for {project}; capacity, dependencies and risks agreed with the other teams.",
    ),
    "stakeholder-management": (
        "Kept {project}'s stakeholders informed with a monthly update; the delay was known weeks ahead.",
        "Negotiated {project}'s scope with three stakeholders and got sign-off on the trade-offs.",
    ),
}
GENERIC_EVIDENCE = (
    "Worked on {competency} in {project} this half; the outcome is written up in the team's notes.",
    "Took the lead on {competency} for {project} and shared what worked with the wider team.",
)
EVIDENCE_VARIANTS = 10  # one draw from ten per rating, as the demo always made: its ratings stay the same


def evidence_texts(competency: Competency) -> tuple[str, ...]:
    """The demo's evidence templates for a competency ("{project}" still to fill in)."""
    return EVIDENCE.get(competency.key) or tuple(text.replace("{competency}", competency.name.lower())
                                                 for text in GENERIC_EVIDENCE)


def demo_evidence(competency: Competency, rng: random.Random) -> str:
    """Evidence for a rating of this competency, about this competency."""
    texts = evidence_texts(competency)
    return texts[rng.randrange(EVIDENCE_VARIANTS) % len(texts)].format(project=rng.choice(PROJECTS))


PROJECTS = ("the billing ledger", "search indexing", "the mobile sync API", "payments retries",
            "the data warehouse load", "feature flags", "the notifications service")


@dataclass
class Person:
    email: str
    name: str
    level: str
    track: str
    title: str
    manager: str | None = None
    admin: bool = False
    on_ladder: bool = True  # people operations is not described by the engineering ladder
    # offset from the person's level, per area key ("*" for every other area)
    profile: dict[str, int] = field(default_factory=lambda: {"*": 0})


PEOPLE = (
    Person("admin@example.com", "Ada Admin", "senior", "ic", "People operations", admin=True, on_ladder=False),
    Person("director@example.com", "Dana Director", "sem", "management", "Director of Engineering"),
    Person("manager@example.com", "Morgan Manager", "em", "management", "Engineering Manager, Payments",
           "director@example.com"),
    Person("manager2@example.com", "Maya Manager", "em", "management", "Engineering Manager, Platform",
           "director@example.com"),
    Person("engineer@example.com", "Eli Engineer", "senior", "ic", "Senior Engineer", "manager@example.com",
           profile={"*": 0, "design-and-quality": 1, "technical-foundations": 1}),
    Person("engineer2@example.com", "Erin Engineer", "engineer", "ic", "Engineer", "manager@example.com",
           profile={"*": 0, "delivery": 1}),
    Person("priya@example.com", "Priya Patel", "senior", "ic", "Senior Engineer", "manager@example.com",
           profile={"*": 1, "management": 0, "growing-people": 0}),
    Person("sam@example.com", "Sam Okafor", "senior", "management", "Senior Engineer, tech lead", "manager@example.com",
           profile={"*": 0, "growing-people": 1, "collaboration-communication": 1, "management": 1, "delivery": 1}),
    Person("mentor@example.com", "Mina Mentor", "staff", "ic", "Staff Engineer", "manager2@example.com",
           profile={"*": 0, "technical-direction": 1}),
    Person("lee@example.com", "Lee Chen", "senior", "ic", "Senior Engineer", "manager2@example.com",
           profile={"*": 0, "production-ownership": -1, "collaboration-communication": -1, "technical-foundations": 1}),
    Person("jo@example.com", "Jo Rivera", "engineer", "ic", "Engineer", "manager2@example.com"),
    Person("alex@example.com", "Alex Kim", "senior", "ic", "Senior Engineer", "manager2@example.com",
           profile={"*": 1, "production-ownership": 0, "growing-people": 0, "management": 0}),
)

# (email of subject) -> (self status, manager status, share of competencies rated) in the open cycle
OPEN_CYCLE_STATES = {
    "engineer@example.com": ("draft", None, 0.5),
    "engineer2@example.com": ("submitted", "draft", 1.0),
    "priya@example.com": ("submitted", "shared", 1.0),
    "sam@example.com": ("submitted", "submitted", 1.0),
    "mentor@example.com": ("draft", None, 0.0),  # opened when the cycle started, nothing rated yet
    "lee@example.com": ("submitted", "shared", 1.0),
    "jo@example.com": ("draft", None, 0.3),
    "alex@example.com": ("submitted", "shared", 1.0),
    "manager@example.com": ("submitted", "draft", 1.0),
    "manager2@example.com": ("draft", None, 0.6),
}

# (subject, target level, verdict, rationale, in the closed cycle?)
VERDICT_HISTORY = (
    ("priya@example.com", "staff", "ready_6_months",
     "Leads cross-team work already; needs one more org-wide design.", True),
    ("priya@example.com", "staff", "ready_now",
     "Led the ledger redesign across three teams; the case is strong.", False),
    ("sam@example.com", "em", "ready_6_months",
     "Runs the team's planning and 1:1s with two engineers; wants to manage.", False),
    ("sam@example.com", "staff", "not_pursuing", "Sam has chosen the management path.", False),
    ("lee@example.com", "staff", "not_yet",
     "Strong technically; on-call ownership and communication are below Senior.", False),
    ("alex@example.com", "staff", "ready_12_months",
     "Broad impact; needs to grow others and own production more.", False),
)


def profile_rank(person: Person, area_key: str, base_rank: int) -> int:
    return base_rank + person.profile.get(area_key, person.profile.get("*", 0))


def rate_person(rubric: Rubric, person: Person, rng: random.Random, *, shift: int = 0,
                share: float = 1.0, generous: float = 0.0) -> dict[str, Entry]:
    """Ratings for a person from their profile; `shift` moves every rating (-1: a half ago),
    `generous` is the chance a rating is one level higher (self-reviews run a little high)."""
    current = rubric.level(person.level)
    entries = {}
    competencies = list(rubric.competencies)
    rated = set(c.key for c in competencies[: round(len(competencies) * share)])
    for competency in competencies:
        if competency.key not in rated:
            continue
        rank = profile_rank(person, competency.area_key, current.rank)
        rank = max(rank + shift, min(rank, current.rank))  # a half ago: less above level, no new blockers
        if rng.random() < generous:
            rank += 1
        options = rubric.rating_levels(competency, person.track, person.level)
        if rank < current.rank or not options:
            value = BELOW_CURRENT
        else:
            value = max((lv for lv in options if lv.rank <= rank), key=lambda lv: lv.rank, default=options[0]).key
        entries[competency.key] = Entry(value, demo_evidence(competency, rng))
    return entries


def add_review(cycle: ReviewCycle, loaded: LoadedVersion, subject: User, author: User, kind: str,
               status: str, entries: dict[str, Entry], when: datetime) -> Review:
    """Insert a review with its ratings directly (demo and synthetic data, no audit noise)."""
    review = Review(cycle_id=cycle.id, subject_id=subject.id, author_id=author.id, kind=kind,
                    status=status, subject_level_key=subject.level_key, subject_track_key=subject.track_key,
                    submitted_at=when if status in ("submitted", "shared") else None,
                    shared_at=when + timedelta(days=2) if status == "shared" else None,
                    readiness=readiness_figures(loaded.rubric, subject.level_key, subject.track_key,
                                                {key: entry.rating for key, entry in entries.items()}, kind)
                    if status in ("submitted", "shared") else None)
    db.session.add(review)
    db.session.flush()
    db.session.add_all(
        Rating(review_id=review.id, competency_id=loaded.competency_ids[key],
               level_id=(None if entry.rating is None or entry.rating == BELOW_CURRENT
                         else loaded.level_ids[entry.rating]),
               below_current=entry.rating == BELOW_CURRENT, evidence=entry.evidence)
        for key, entry in entries.items()
    )
    if status in ("submitted", "shared"):
        db.session.flush()
        keep_counts(review)  # the manager review's rating counts, as submitting keeps them
    return review


DEMO_ANSWERS = {
    "self": ("A half spent mostly on {area}; I am proudest of how the team now ships without me as a bottleneck.",
             "Clear written designs, calm during incidents.",
             "Influencing beyond the team; I want to lead a cross-team initiative next half."),
    "manager": ("{name} had a solid half, strongest in {area}.",
                "Dependable delivery and thoughtful reviews.",
                "Take on wider scope: drive one decision that spans teams."),
}


def add_questions(cycle: ReviewCycle) -> dict[str, list[ReviewQuestion]]:
    """The default questions in both kinds of review of a cycle."""
    questions = {kind: [ReviewQuestion(cycle_id=cycle.id, kind=kind, position=i, prompt=prompt)
                        for i, prompt in enumerate(DEFAULT_QUESTIONS)] for kind in ("self", "manager")}
    db.session.add_all(q for qs in questions.values() for q in qs)
    db.session.flush()
    return questions


def answer_questions(review: Review, questions: list[ReviewQuestion], subject: User, rubric: Rubric, *,
                     only_first: bool = False) -> None:
    """Demo answers: every question of a finished review, the first one of a draft."""
    area = rubric.areas[subject.id % len(rubric.areas)].name.lower()
    texts = DEMO_ANSWERS[review.kind][:1] if only_first else DEMO_ANSWERS[review.kind]
    db.session.add_all(ReviewAnswer(review_id=review.id, question_id=question.id,
                                    body=text.format(name=subject.name.split()[0], area=area))
                       for question, text in zip(questions, texts, strict=False))


def cycle_dates(today: date) -> tuple[tuple[str, list[date]], tuple[str, list[date]]]:
    """An open cycle around today and the closed one before it, named by half-year."""
    half = 1 if today.month <= 6 else 2
    open_name = f"{today.year} H{half}"
    closed_name = f"{today.year} H1" if half == 2 else f"{today.year - 1} H2"
    opens = today - timedelta(days=21)
    open_dates = [opens, today + timedelta(days=10), today + timedelta(days=24), today + timedelta(days=40)]
    closed_opens = opens - timedelta(days=183)
    closed_dates = [closed_opens, closed_opens + timedelta(days=21), closed_opens + timedelta(days=35),
                    closed_opens + timedelta(days=60)]
    return (closed_name, closed_dates), (open_name, open_dates)


def build_demo_org(today: date) -> list[str]:
    """Load the default ladder and the demo organisation; returns the demo accounts' emails."""
    version, _ = load_default_ladder()
    loaded = load_version(version.id)
    rubric = loaded.rubric
    users: dict[str, User] = {}
    password_hash = None
    for person in PEOPLE:
        user = User(email=person.email, name=person.name, level_key=person.level, track_key=person.track,
                    title=person.title, is_admin=person.admin, on_ladder=person.on_ladder)
        if password_hash is None:
            user.set_password(DEMO_PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])
            password_hash = user.password_hash  # one scrypt run; each account still checks it itself
        user.password_hash = password_hash
        users[person.email] = user
        db.session.add(user)
    db.session.flush()
    for person in PEOPLE:
        if person.manager:
            users[person.email].manager_id = users[person.manager].id
    db.session.flush()

    (closed_name, closed_dates), (open_name, open_dates) = cycle_dates(today)
    closed = ReviewCycle(name=closed_name, ladder_version_id=version.id, status="closed",
                         opens_on=closed_dates[0], self_review_due=closed_dates[1],
                         manager_review_due=closed_dates[2], closes_on=closed_dates[3])
    current = ReviewCycle(name=open_name, ladder_version_id=version.id, status="open",
                          opens_on=open_dates[0], self_review_due=open_dates[1],
                          manager_review_due=open_dates[2], closes_on=open_dates[3])
    db.session.add_all([closed, current])
    db.session.flush()
    questions = add_questions(current)

    by_email = {p.email: p for p in PEOPLE}
    for person in PEOPLE:
        if not person.manager:
            continue
        rng = random.Random(person.email)
        subject, manager = users[person.email], users[person.manager]
        past = datetime.combine(closed_dates[1], time(15))
        add_review(closed, loaded, subject, subject, "self", "submitted",
                   rate_person(rubric, person, rng, shift=-1, generous=0.3), past)
        add_review(closed, loaded, subject, manager, "manager", "shared",
                   rate_person(rubric, person, rng, shift=-1), past + timedelta(days=10))
        self_status, manager_status, share = OPEN_CYCLE_STATES.get(person.email, ("submitted", "shared", 1.0))
        now = datetime.combine(today - timedelta(days=3), time(11))
        if self_status:
            review = add_review(current, loaded, subject, subject, "self", self_status,
                                rate_person(rubric, person, rng, share=share, generous=0.3), now)
            answer_questions(review, questions["self"], subject, rubric, only_first=self_status == "draft")
        if manager_status:
            review = add_review(current, loaded, subject, manager, "manager", manager_status,
                                rate_person(rubric, person, rng, share=1.0 if manager_status != "draft" else 0.4), now)
            answer_questions(review, questions["manager"], subject, rubric, only_first=manager_status == "draft")

    for email, target, verdict, rationale, in_closed in VERDICT_HISTORY:
        subject, manager_email = users[email], by_email[email].manager
        if manager_email is None:
            raise ValueError(f"The demo verdict about {email} is written by their manager, and they have none.")
        author = users[manager_email]
        db.session.add(Verdict(subject_id=subject.id, author_id=author.id, target_level_key=target,
                               verdict=verdict, rationale=rationale,
                               cycle_id=(closed if in_closed else current).id,
                               created_at=datetime.combine(closed_dates[2] if in_closed else today - timedelta(days=1),
                                                           time(10))))
    db.session.flush()
    add_mentorship_history(users, today)
    add_peer_feedback(current, users, today)
    add_notifications(current, today)
    return [p.email for p in PEOPLE]


def add_notifications(cycle: ReviewCycle, today: date) -> None:
    """What each demo account would have been told so far: the cycle opening, submitted
    self-reviews (to the manager), shared reviews, shared feedback and an overdue goal. They
    wait in the outbox too, which is what the admin sees when no mail server is set up."""
    from ..domain.notifications import Kind
    from ..models import FeedbackNote
    from . import notifications as service

    service.cycle_opened(cycle, actor_id=None)
    people = {u.id: u for u in db.session.scalars(select(User))}
    for review in db.session.scalars(select(Review).where(Review.cycle_id == cycle.id).order_by(Review.id)):
        subject = people[review.subject_id]
        if review.kind == "self" and review.status == "submitted":
            service.notify(subject.manager_id, Kind.SELF_REVIEW_SUBMITTED, review, rel=service.DIRECT_MANAGER,
                           message=f"{subject.name} submitted their self-review for {cycle.name}.")
        elif review.kind == "manager" and review.status == "shared":
            service.notify(subject.id, Kind.REVIEW_SHARED, review, rel=service.SELF,
                           message=f"{people[review.author_id].name} shared your {cycle.name} review with you.")
    for note in db.session.scalars(select(FeedbackNote).order_by(FeedbackNote.id)):
        service.notify(note.subject_id, Kind.FEEDBACK_SHARED, note, rel=service.SELF,
                       message=f"{people[note.author_id].name} shared feedback with you.")
    service.create_due_reminders(today)


def add_peer_feedback(cycle: ReviewCycle, users: dict[str, User], today: date) -> None:
    """In the open cycle Eli asked Priya (who answered) and Lee (not yet) for feedback, and
    Priya asked Eli, so his home page shows feedback asked of him."""
    from ..models import PeerFeedbackRequest

    eli, priya, lee = users["engineer@example.com"], users["priya@example.com"], users["lee@example.com"]
    due = min(today + timedelta(days=7), cycle.closes_on)
    asked = datetime.combine(today - timedelta(days=4), time(9))
    answers = {
        "system-design": {"text": "Eli's design for the ledger split **named the trade-offs up front**; the review "
                                  "took one meeting. The rollback section could come earlier.", "rating": "staff"},
        "code-quality-review": {"text": "His reviews explain *why*, with a link to the standard. He could review "
                                        "more changes outside the team.", "rating": None},
    }
    db.session.add_all([
        PeerFeedbackRequest(cycle_id=cycle.id, subject_id=eli.id, requester_id=eli.id, peer_id=priya.id,
                            competencies=list(answers), due_on=due, status="answered", answers=answers,
                            created_at=asked, answered_at=asked + timedelta(days=2)),
        PeerFeedbackRequest(cycle_id=cycle.id, subject_id=eli.id, requester_id=eli.id, peer_id=lee.id,
                            competencies=list(answers), due_on=due, status="requested", answers={}, created_at=asked),
        PeerFeedbackRequest(cycle_id=cycle.id, subject_id=priya.id, requester_id=priya.id, peer_id=eli.id,
                            competencies=["mentoring", "technical-writing"], due_on=due, status="requested",
                            answers={}, created_at=asked),
    ])
    db.session.flush()


def add_mentorship_history(users: dict[str, User], today: date) -> None:
    """Mina mentors Eli: three months of shared and private notes, 1:1s with action items and
    goals (two done, one in progress, one overdue); Morgan, Eli's manager, writes some too."""
    from ..models import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne

    mentor, mentee, manager = users["mentor@example.com"], users["engineer@example.com"], users["manager@example.com"]
    focus = ["system-design", "technical-writing", "mentoring"]

    def at(days_ago: int, hour: int = 10) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour))

    db.session.add(Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, focus=focus,
                              starts_on=today - timedelta(days=95), created_by_id=manager.id))
    notes = (
        (mentor, "mentor", "shared", ["system-design"], 80,
         "Your ledger design doc was **clear about the trade-offs**. Next time, put the rollback plan "
         "in the first page: reviewers asked about it three times."),
        (mentor, "mentor", "private", ["mentoring"], 60,
         "Eli hesitates to review seniors' changes. Suggest pairing on reviews with Lee before the next cycle."),
        (mentor, "mentor", "shared", ["technical-writing"], 20,
         "The incident write-up for the March outage is the best one this quarter:\n\n"
         "- timeline first\n- contributing causes, not blame\n- actions with owners\n\n"
         "Share it in the [writing guide](https://example.com/writing) channel."),
        (manager, "manager", "private", ["system-design"], 30,
         "Ready to lead a cross-team design next half; check with Maya whether Platform has one."),
        (manager, "manager", "shared", ["mentoring", "communication"], 10,
         "Thanks for onboarding Erin: she shipped her first change in week one."),
    )
    for author, role, visibility, tags, days, body in notes:
        db.session.add(FeedbackNote(subject_id=mentee.id, author_id=author.id, author_role=role, body=body,
                                    visibility=visibility, competencies=tags, created_at=at(days), updated_at=at(days)))

    goals = {}
    for key, title, tags, due, status, created in (
        ("doc", "Write the design doc for the payments retry service", ["system-design", "technical-writing"],
         -40, "done", 85),
        ("review", "Review two changes a week from another team", ["code-quality-review", "mentoring"], 14,
         "in_progress", 58),
        ("talk", "Give an internal talk on the ledger migration", ["communication", "technical-writing"], -5,
         "open", 50),
        ("mentee", "Mentor Erin through her first on-call week", ["mentoring"], -25, "done", 45),
    ):
        goal = Goal(owner_id=mentee.id, created_by_id=mentor.id, title=title, competencies=tags,
                    due_on=today + timedelta(days=due) if due > 0 else today - timedelta(days=-due),
                    status=status, created_at=at(created), updated_at=at(created),
                    description="Agreed with Mina in our 1:1." if key != "mentee" else "")
        db.session.add(goal)
        goals[key] = goal
    db.session.flush()
    db.session.add_all([
        GoalUpdate(goal_id=goals["doc"].id, author_id=mentee.id, body="First draft out for review.",
                   status_from="open", status_to="in_progress", created_at=at(70)),
        GoalUpdate(goal_id=goals["doc"].id, author_id=mentor.id, body="Approved by the architecture review. Well done.",
                   status_from="in_progress", status_to="done", created_at=at(45)),
        GoalUpdate(goal_id=goals["review"].id, author_id=mentee.id, body="Six reviews for Platform so far.",
                   status_from="open", status_to="in_progress", created_at=at(21)),
        GoalUpdate(goal_id=goals["mentee"].id, author_id=manager.id, body="Erin's on-call week went smoothly.",
                   status_from="open", status_to="done", created_at=at(24)),
    ])

    for days, visibility, author, role, text, items in (
        (88, "shared", mentor, "mentor", "Kick-off. Eli wants to grow toward **Staff**; we agreed to focus on "
         "design docs, writing and growing others.", [("Draft the payments retry design doc", True, "doc")]),
        (58, "shared", mentor, "mentor", "Talked about code review across teams and how to give feedback "
         "to more senior people.", [("Pick two Platform changes to review each week", True, "review"),
                                   ("Read the code review guide", True, None)]),
        (30, "private", mentor, "mentor", "Eli is worried about the talk; we rehearsed the first five minutes.",
         [("Book a rehearsal slot with the team", False, None)]),
        (12, "shared", manager, "manager", "Mid-cycle check-in: self-review half done, on track.",
         [("Finish the self-review before the due date", False, None)]),
        (7, "shared", mentor, "mentor", "Reviewed the talk outline. Strong story; cut the second demo.",
         [("Send the outline to Morgan", False, None), ("Give the talk at the engineering all-hands", False, "talk")]),
    ):
        record = OneOnOne(subject_id=mentee.id, author_id=author.id, author_role=role,
                          held_on=today - timedelta(days=days), participants=f"{author.name}, {mentee.name}",
                          notes=text, visibility=visibility,
                          competencies=focus[:1] if author is mentor else [], created_at=at(days, 16),
                          updated_at=at(days, 16))
        db.session.add(record)
        db.session.flush()
        for position, (item, done, goal_key) in enumerate(items):
            db.session.add(ActionItem(one_on_one_id=record.id, position=position, text=item, done=done,
                                      goal_id=goals[goal_key].id if goal_key else None))
    db.session.flush()
