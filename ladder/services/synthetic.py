"""A synthetic organisation of any size, for benchmarks and for trying Ladder at scale.

It sits below the named demo organisation (whose accounts keep working): synthetic managers
report to the demo director, and the reporting tree below them has spans of 5–10. Rows are
written in bulk (COPY on PostgreSQL, executemany INSERTs elsewhere) with explicit ids and one
precomputed password hash, foreign keys checked once after the load: 50,000 engineers in a few minutes.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import JSON, ColumnDefault, Table, func, insert, select, text
from sqlalchemy.orm import InstrumentedAttribute

from ..database import lift_request_limits, refresh_statistics, table_of
from ..domain.calibration import rating_counts, readiness_figures
from ..domain.notifications import Kind
from ..domain.rubric import Competency
from ..domain.statuses import BELOW_CURRENT
from ..extensions import Model, db
from ..models import FeedbackNote, Goal, Notification, PeerFeedbackRequest, Rating, Review, ReviewCycle, User, Verdict
from ..models.notifications import MESSAGE_MAX
from .demo import PROJECTS, build_demo_org, cycle_dates, evidence_texts
from .ladders import LoadedVersion, current_rubric
from .rating_counts import KEPT

SYNTHETIC_DOMAIN = "synthetic.example.com"
BATCH = 5000  # rows per INSERT batch
T = TypeVar("T")  # what a weighted draw picks

FIRST = ("Aisha", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
         "Lars", "Mei", "Nadia", "Omar", "Paula", "Quentin", "Rosa", "Santiago", "Tara", "Uma", "Viktor",
         "Wen", "Ximena", "Yusuf", "Zoe")
LAST = ("Abbott", "Bianchi", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
        "Jensen", "Kowalski", "Lopez", "Mensah", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
        "Singh", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zhang")
# Individual contributors' levels (ic track) in plausible proportions.
IC_LEVELS = (("engineer", 0.35), ("senior", 0.43), ("staff", 0.16), ("principal", 0.06))
# Open-cycle states: (self status, manager status, weight); None is "not started".
OPEN_STATES = (
    (None, None, 0.08), ("draft", None, 0.17), ("submitted", None, 0.15), ("submitted", "draft", 0.15),
    ("submitted", "submitted", 0.15), ("submitted", "shared", 0.27), (None, "draft", 0.03),
)
VERDICT_WEIGHTS = (("ready_now", 0.15), ("ready_6_months", 0.25), ("ready_12_months", 0.25),
                   ("not_yet", 0.3), ("not_pursuing", 0.05))


@dataclass
class SyntheticPerson:
    id: int
    manager_id: int
    level: str
    track: str
    offsets: dict[str, int]  # per area key: how far above (+) or below (-) their level they work


@dataclass
class SyntheticOrg:
    """What was built, for callers (the benchmark picks its users from here)."""

    people: list[SyntheticPerson] = field(default_factory=list)
    cycles: list[ReviewCycle] = field(default_factory=list)  # oldest first; the last one is open
    counts: dict[str, int] = field(default_factory=dict)


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([p[0] for p in pairs], weights=[p[-1] for p in pairs])[0]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` sizes that differ by a little."""
    weights = [rng.uniform(0.8, 1.2) for _ in range(parts)]
    sizes = [int(total * w / sum(weights)) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def _chunks(rng: random.Random, items: list, low: int = 5, high: int = 10) -> list[list]:
    """Items grouped in runs of `low`..`high` (a short remainder joins the last run when it fits)."""
    out, start = [], 0
    while start < len(items):
        size = rng.randint(low, high)
        out.append(items[start:start + size])
        start += size
    if len(out) > 1 and len(out[-1]) < low and len(out[-2]) + len(out[-1]) <= high:
        out[-2].extend(out.pop())
    return out


def plan_tree(n: int, root_slots: int, rng: random.Random) -> list[tuple[int, int | None, str, str]]:
    """The reporting tree as (index, manager index or None for the root's reports, level, track),
    managers before their reports.

    Built bottom-up: teams of an Engineering Manager and 5–10 engineers, grouped 5–10 at a
    time under Senior Engineering Managers until at most `root_slots` units remain; now and
    then a Staff or Principal engineer reports to a group's head.
    """
    if n <= 0:
        return []
    # teams (sizes in ICs), aiming at ~87% of people in teams; the rest are managers above them
    teams: list[int] = []
    people = 0
    while people < max(2, round(n * 0.87)):
        size = rng.randint(5, 10)
        teams.append(size)
        people += size + 1
    # nodes: (level, track, children); a team is ("em", [ICs...]) built later, so keep sizes for now
    units: list = [("team", i) for i in range(len(teams))]
    groups: list[list] = []  # each: list of units under one senior manager
    while len(units) > max(root_slots, 1):
        layer = []
        for chunk in _chunks(rng, units):
            groups.append(chunk)
            layer.append(("group", len(groups) - 1))
        units = layer
    staff_slots = [g for g in range(len(groups)) if rng.random() < 0.3]
    # adjust the team sizes so the total is exactly n
    diff = n - (sum(teams) + len(teams) + len(groups) + len(staff_slots))
    while diff < 0 and staff_slots:
        staff_slots.pop()
        diff += 1
    i = 0
    while diff != 0:
        j = i % len(teams)
        if diff > 0 and teams[j] < 10 or diff > 0 and i >= 10 * len(teams):
            teams[j] += 1
            diff -= 1
        elif diff < 0 and teams[j] > (5 if i < 10 * len(teams) else 0):
            teams[j] -= 1
            diff += 1
        i += 1

    rows: list[tuple[int, int | None, str, str]] = []

    def ic_level() -> str:
        return _weighted(rng, IC_LEVELS[:2] if rng.random() < 0.8 else IC_LEVELS)

    def emit(unit: tuple[str, int], manager: int | None) -> None:
        kind, number = unit
        index = len(rows)
        rows.append((index, manager, "em" if kind == "team" else "sem", "management"))
        if kind == "team":
            for _ in range(teams[number]):
                level = ic_level()
                track = "management" if level == "senior" and rng.random() < 0.08 else "ic"
                rows.append((len(rows), index, level, track))
            return
        if number in staff_slots:
            rows.append((len(rows), index, _weighted(rng, (("staff", 0.7), ("principal", 0.3))), "ic"))
        for child in groups[number]:
            emit(child, index)

    for unit in units:
        emit(unit, None)
    return rows


def plan_with_director(n: int, root_slots: int, rng: random.Random,
                       director_of: int) -> list[tuple[int, int | None, str, str]]:
    """`plan_tree` for n people, one of them a Senior Engineering Manager (a director) with
    exactly `director_of` people below them, the rest planned beside them."""
    rest = plan_tree(n - director_of - 1, max(root_slots - 1, 1), rng)
    director = len(rest)
    below = plan_tree(director_of, 10, rng)
    return [*rest, (director, None, "sem", "management"),
            *((director + 1 + index, director if manager is None else director + 1 + manager, level, track)
              for index, manager, level, track in below)]


def _previous_half(name: str) -> str:
    year, half = name.split(" H")
    return f"{year} H1" if half == "2" else f"{int(year) - 1} H2"


def _ensure_cycles(loaded: LoadedVersion, today: date) -> list[ReviewCycle]:
    """The demo's closed and open cycles, plus an older closed one: two closed, one open."""
    (closed_name, closed_dates), (open_name, _) = cycle_dates(today)
    cycles = {c.name: c for c in db.session.scalars(select(ReviewCycle))}
    older_name = _previous_half(closed_name)
    if older_name not in cycles:
        opens = closed_dates[0] - timedelta(days=183)
        cycles[older_name] = ReviewCycle(
            name=older_name, ladder_version_id=loaded.version_id, status="closed", opens_on=opens,
            self_review_due=opens + timedelta(days=21), manager_review_due=opens + timedelta(days=35),
            closes_on=opens + timedelta(days=60))
        db.session.add(cycles[older_name])
        db.session.flush()
    return [cycles[older_name], cycles[closed_name], cycles[open_name]]


class _Ratings:
    """Precomputed rating choices per (track, level), so a million ratings stay cheap."""

    def __init__(self, loaded: LoadedVersion, rng: random.Random):
        self.loaded = loaded
        self.rubric = loaded.rubric
        self.rng = rng
        self.competencies = [(c, loaded.competency_ids[c.key]) for c in self.rubric.competencies]
        self.areas = [a.key for a in self.rubric.areas]
        self.options: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
        self.ranks = {lv.key: lv.rank for lv in self.rubric.levels}
        self.evidence = {c.key: [e.format(project=p) for e in evidence_texts(c) for p in PROJECTS]
                         for c in self.rubric.competencies}  # by competency: evidence about it

    def _options(self, competency: Competency, track: str, level: str) -> list[tuple[int, int]]:
        key = (competency.key, track, level)
        if key not in self.options:
            self.options[key] = [(lv.rank, self.loaded.level_ids[lv.key])
                                 for lv in self.rubric.rating_levels(competency, track, level)]
        return self.options[key]

    def rows(self, review_id: int, next_id: Iterator[int], person: SyntheticPerson, *, shift: int = 0,
             share: float = 1.0, generous: float = 0.0) -> list[dict]:
        rng, current = self.rng, self.ranks[person.level]
        out = []
        limit = round(len(self.competencies) * share)
        for position, (competency, competency_id) in enumerate(self.competencies):
            if position >= limit:
                break
            rank = current + person.offsets.get(competency.area_key, 0)
            rank = max(rank + shift, min(rank, current))
            if generous and rng.random() < generous:
                rank += 1
            options = self._options(competency, person.track, person.level)
            if rank < current or not options:
                level_id, below = None, True
            else:
                level_id = options[0][1]
                for option_rank, option_id in options:
                    if option_rank <= rank:
                        level_id = option_id
                below = False
            out.append({"id": next(next_id), "review_id": review_id, "competency_id": competency_id,
                        "level_id": level_id, "below_current": below,
                        "evidence": rng.choice(self.evidence[competency.key])})
        return out


    def readiness(self, rows: list[dict[str, Any]], person: SyntheticPerson, kind: str) -> dict[str, list[Any]]:
        """What a finished review's rows give toward each target, as submitting keeps it."""
        keys, levels = self.loaded.competency_keys, self.loaded.level_keys
        rated: dict[str, str | None] = {
            keys[row["competency_id"]]: BELOW_CURRENT if row["below_current"] else levels[row["level_id"]]
            for row in rows}
        return readiness_figures(self.rubric, person.level, person.track, rated, kind)

    def counts(self, mine: list[dict], theirs: list[dict], person: SyntheticPerson) -> dict[str, int]:
        """A finished manager review's rating counts against the submitted self-review's rows
        (none: no submitted self-review), as submitting keeps them (reviews.rated_below ...)."""
        current = self.ranks[person.level]
        level_ranks = {level_id: self.ranks[key] for level_id, key in self.loaded.level_keys.items()}

        def ranks(rows: list[dict]) -> dict[int, int]:
            return {row["competency_id"]: current - 1 if row["below_current"] else level_ranks[row["level_id"]]
                    for row in rows if row["below_current"] or row["level_id"] is not None}

        figures = rating_counts(ranks(mine), ranks(theirs), current)
        return dict(zip((column.key for column in KEPT), astuple(figures), strict=True))


def _bulk_insert(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Write rows in the session's transaction: COPY on PostgreSQL, one executemany INSERT
    elsewhere.

    COPY because psycopg's pipelined executemany spent 87% of a 2,000-engineer build sending
    one INSERT per row (profiled: 17 of 21.6 s). Core's table INSERT, not the ORM's bulk path:
    the ORM splits a batch wherever a column is None in some rows (ratings' level_id), which
    made it 7x slower in CPU (8.4 s against 1.1 s for 120,000 ratings)."""
    if not rows:
        return
    connection = db.session.connection()
    table = table_of(model)
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    rows = _with_python_defaults(table, rows)
    columns = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)  # the model's own column names, never input
    driver_connection = connection.connection.driver_connection
    if driver_connection is None:  # only a pool's detached record has none
        raise RuntimeError("The session's connection has no database connection under it.")
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(value) if encode else value
                                for value, encode in zip(row.values(), as_json, strict=True)])


def _with_python_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the columns' Python-side defaults filled in (an INSERT through SQLAlchemy
    applies them; COPY does not), every row with the same columns in the same order."""
    missing = {column.name: column.default for column in table.columns
               if column.name not in rows[0] and isinstance(column.default, ColumnDefault)}
    if not missing:
        return rows
    values = {name: default.arg(None) if default.is_callable else default.arg for name, default in missing.items()}
    return [{**row, **values} for row in rows]


@contextmanager
def _checks_after_load(tables: tuple[str, ...]) -> Iterator[None]:
    """On PostgreSQL, the tables' foreign keys dropped for the load and added back after it, in
    the same transaction: adding one checks every row in one join, where a loaded key checks
    each row on its own (three lookups per rating: most of a build's server time). The
    reporting-cycle trigger is off meanwhile (a recursive query per person): the load writes
    new ids, managers before their reports, so it cannot make a cycle. The tables stay locked
    until the build commits (it is meant for a fresh database). Elsewhere, and if the load
    fails, nothing changes."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    lift_request_limits(db.session)  # adding a key back checks millions of rows at once
    keys = db.session.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"), {"tables": list(tables)}).all()
    for table, name, _ in keys:  # names from the catalogue, never input
        db.session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    db.session.execute(text("ALTER TABLE users DISABLE TRIGGER users_no_reporting_cycle"))
    yield
    db.session.execute(text("ALTER TABLE users ENABLE TRIGGER users_no_reporting_cycle"))
    for table, name, definition in keys:
        db.session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def _default_ladder() -> LoadedVersion:
    """The published default ladder, which the synthetic people are placed on (the demo organisation loads it)."""
    loaded = current_rubric()
    if loaded is None:
        raise RuntimeError("No published default ladder to place synthetic people on.")
    return loaded


def _next_id(id_column: InstrumentedAttribute[int]) -> int:
    return (db.session.scalar(select(func.max(id_column))) or 0) + 1


def _counter(start: int) -> Iterator[int]:
    value = start
    while True:
        yield value
        value += 1


def _reset_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("users", "reviews", "ratings", "verdicts", "feedback_notes"):  # fixed names, never input
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


NOTE_TEXTS = (
    "Strong design review on {project}: the trade-offs section made the decision easy.",
    "On-call handover for {project} was clear; next time write the runbook before the rollout.",
    "Good mentoring this month: two newer engineers now review {project} changes on their own.",
    "The estimate for {project} slipped twice; let's break the next milestone down together.",
)
GOAL_TITLES = ("Lead the design review for {project}", "Write the runbook for {project}",
               "Mentor a new teammate through {project}", "Present {project} to the product group")


class _Notices:
    """Notifications of the open cycle's events, as `notify` would have written them: most
    emailed and some read, the last days' still waiting in the outbox."""

    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today
        self.rows: list[dict[str, Any]] = []

    def add(self, recipient_id: int, kind: Kind, record_type: str, record_id: int, subject_id: int | None,
            message: str, when: datetime, dedupe_key: str | None = None) -> None:
        recent = when.date() >= self.today - timedelta(days=2)
        self.rows.append({
            "recipient_id": recipient_id, "kind": str(kind), "record_type": record_type, "record_id": record_id,
            "subject_id": subject_id, "message": message[:MESSAGE_MAX],
            "dedupe_key": dedupe_key or f"{kind}:{record_type}:{record_id}", "created_at": when,
            "read_at": None if recent or self.rng.random() < 0.4 else when + timedelta(hours=5),
            "email_state": "pending" if recent else "sent", "email_attempts": 0 if recent else 1,
            "emailed_at": None if recent else when + timedelta(minutes=1)})


def add_mentorship_records(org: SyntheticOrg, rng: random.Random, today: date, notices: _Notices) -> int:
    """Feedback notes from managers and growth goals for about half the synthetic people,
    inserted in bulk like the reviews (the pages and the timeline then have real volume)."""
    keys = [c.key for c in _default_ladder().rubric.competencies]
    note_ids = _counter(_next_id(FeedbackNote.id))
    notes, goals = [], []
    for person in org.people:
        if rng.random() >= 0.5:
            continue
        for template in rng.sample(NOTE_TEXTS, rng.randint(1, 2)):  # distinct texts: no accidental twins
            when = datetime.combine(today - timedelta(days=rng.randint(1, 150)), time(16))
            note: dict[str, Any] = {"id": next(note_ids), "subject_id": person.id, "author_id": person.manager_id,
                    "author_role": "manager", "visibility": rng.choice(("shared", "shared", "private")),
                    "body": template.format(project=rng.choice(PROJECTS)),
                    "competencies": rng.sample(keys, 1), "created_at": when, "updated_at": when, "lock_version": 1}
            notes.append(note)
            if note["visibility"] == "shared":
                notices.add(person.id, Kind.FEEDBACK_SHARED, "feedback_note", note["id"], person.id,
                            "Your manager shared feedback with you.", when)
        for _ in range(rng.randint(1, 2)):
            when = datetime.combine(today - timedelta(days=rng.randint(10, 120)), time(9))
            goals.append({"owner_id": person.id, "created_by_id": rng.choice((person.id, person.manager_id)),
                          "title": rng.choice(GOAL_TITLES).format(project=rng.choice(PROJECTS)),
                          "description": "", "competencies": rng.sample(keys, 2),
                          "due_on": today + timedelta(days=rng.randint(-20, 90)),
                          "status": rng.choice(("open", "open", "in_progress", "done", "dropped")),
                          "created_at": when, "updated_at": when, "lock_version": 1})
    for model, rows in ((FeedbackNote, notes), (Goal, goals)):
        for start in range(0, len(rows), BATCH):
            _bulk_insert(model, rows[start:start + BATCH])
    return len(notes) + len(goals)


PEER_ANSWER = "Worked with them on {project}: clear write-ups, and they unblocked the team twice."


def add_peer_feedback(org: SyntheticOrg, cycle: ReviewCycle, rng: random.Random, today: date) -> int:
    """In the open cycle about a third of the people asked two or three teammates for feedback
    on two competencies: some answered, some declined, the rest still asked of them."""
    keys = [c.key for c in _default_ladder().rubric.competencies]
    teams: dict[int, list[int]] = {}
    for person in org.people:
        teams.setdefault(person.manager_id, []).append(person.id)
    due = min(today + timedelta(days=7), cycle.closes_on)
    rows = []
    for person in org.people:
        teammates = [i for i in teams[person.manager_id] if i != person.id]
        if len(teammates) < 2 or rng.random() >= 0.35:
            continue
        asked = datetime.combine(today - timedelta(days=rng.randint(2, 12)), time(10))
        competencies = rng.sample(keys, 2)
        for peer_id in rng.sample(teammates, min(len(teammates), rng.randint(2, 3))):
            status = _weighted(rng, (("requested", 0.5), ("answered", 0.35), ("declined", 0.15)))
            done = asked + timedelta(days=1)
            rows.append({
                "cycle_id": cycle.id, "subject_id": person.id, "requester_id": person.id, "peer_id": peer_id,
                "competencies": competencies, "due_on": due, "status": status,
                "answers": {key: {"text": PEER_ANSWER.format(project=rng.choice(PROJECTS)), "rating": None}
                            for key in competencies} if status == "answered" else {},
                "decline_reason": "Not enough overlap this cycle." if status == "declined" else None,
                "created_at": asked, "updated_at": done if status != "requested" else asked,
                "answered_at": done if status == "answered" else None,
                "declined_at": done if status == "declined" else None, "lock_version": 1})
    for start in range(0, len(rows), BATCH):
        _bulk_insert(PeerFeedbackRequest, rows[start:start + BATCH])
    return len(rows)


# Every table the build writes to in bulk (their foreign keys are checked once, after the load).
LOADED_TABLES = ("users", "reviews", "ratings", "verdicts", "feedback_notes", "goals",
                 "peer_feedback_requests", "notifications")


def build_synthetic_org(n_engineers: int, today: date, seed: int = 7,
                        progress: Callable[[int], None] | None = None, *,
                        director_of: int | None = None) -> SyntheticOrg:
    """Add `n_engineers` people below the demo organisation (built first if absent), with
    reviews in three cycles, verdicts, notes, goals, peer feedback and notifications; flushes
    but never commits. `progress(k)` is told after every k people written, for a progress bar.
    With `director_of`, one of them directs exactly that many people (the benchmark's director
    of 500)."""
    rng = random.Random(seed)
    if db.session.scalar(select(User.id).where(User.email == "director@example.com")) is None:
        build_demo_org(today)
    loaded = _default_ladder()
    director_id = db.session.execute(select(User.id).where(User.email == "director@example.com")).scalar_one()
    demo_reports = db.session.execute(
        select(func.count()).select_from(User).where(User.manager_id == director_id)).scalar_one()
    password_hash = db.session.scalar(select(User.password_hash).where(User.id == director_id))
    cycles = _ensure_cycles(loaded, today)

    first_user = _next_id(User.id)
    plan = (plan_tree(n_engineers, 10 - demo_reports, rng) if director_of is None
            else plan_with_director(n_engineers, 10 - demo_reports, rng, director_of))
    org = SyntheticOrg(cycles=cycles)
    areas = [a.key for a in loaded.rubric.areas]
    for index, manager_index, level, track in plan:
        base = _weighted(rng, ((-1, 0.08), (0, 0.62), (1, 0.3)))
        offsets = {a: max(-1, min(2, base + _weighted(rng, ((-1, 0.1), (0, 0.75), (1, 0.15))))) for a in areas}
        org.people.append(SyntheticPerson(first_user + index,
                                          director_id if manager_index is None else first_user + manager_index,
                                          level, track, offsets))
    with _checks_after_load(LOADED_TABLES):
        names = _write_people(org, rng, password_hash)
        notices = _Notices(rng, today)
        org.counts = _write_reviews(org, loaded, rng, today, names, notices, progress)
        org.counts["mentorship"] = add_mentorship_records(org, rng, today, notices)
        org.counts["peer_feedback"] = add_peer_feedback(org, cycles[-1], rng, today)
        for start in range(0, len(notices.rows), BATCH):
            _bulk_insert(Notification, notices.rows[start:start + BATCH])
        org.counts["notifications"] = len(notices.rows)
    _reset_sequences()
    db.session.flush()
    # a benchmark should not depend on when autovacuum comes by
    refresh_statistics(db.session, *LOADED_TABLES, "review_cycles")
    return org


def _write_people(org: SyntheticOrg, rng: random.Random, password_hash: str | None) -> dict[int, str]:
    """The users, managers before their reports; returns each one's name by id."""
    users: list[dict[str, Any]] = [{"id": p.id, "email": f"user{p.id}@{SYNTHETIC_DOMAIN}",
              "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {p.id}", "password_hash": password_hash,
              "is_admin": False, "is_active_account": True, "level_key": p.level, "track_key": p.track,
              "title": {"em": "Engineering Manager", "sem": "Senior Engineering Manager"}.get(p.level),
              "manager_id": p.manager_id} for p in org.people]
    for start in range(0, len(users), BATCH):
        _bulk_insert(User, users[start:start + BATCH])
    return {user["id"]: user["name"] for user in users}


def _write_reviews(org: SyntheticOrg, loaded: LoadedVersion, rng: random.Random, today: date,
                   names: dict[int, str], notices: _Notices, progress: Callable[[int], None] | None) -> dict[str, int]:
    """Reviews and their ratings in three cycles, and verdicts; the open cycle's events as notices."""
    older, closed, current = org.cycles
    ratings = _Ratings(loaded, rng)
    review_ids, rating_ids = _counter(_next_id(Review.id)), _counter(_next_id(Rating.id))
    verdict_ids = _counter(_next_id(Verdict.id))
    reviews: list[dict] = []
    rating_rows: list[dict] = []
    verdicts: list[dict] = []
    counts = {"users": len(org.people), "reviews": 0, "ratings": 0, "verdicts": 0}
    opened = f"{current.name} is open: your self-review is due {current.self_review_due.strftime('%d %b %Y')}."

    submitted_self: list[dict[str, Any]] = []  # the rows of the person's submitted self-review in this cycle, if any

    def review(cycle: ReviewCycle, person: SyntheticPerson, kind: str, status: str, when: datetime, **rate: Any) -> int:
        """A review and its ratings; each person's self-review of a cycle comes before the manager's."""
        review_id = next(review_ids)
        rows = ratings.rows(review_id, rating_ids, person, **rate)
        finished = status in ("submitted", "shared")
        if kind == "self":
            submitted_self[:] = rows if status == "submitted" else []
        kept = (ratings.counts(rows, submitted_self, person) if kind == "manager" and finished
                else dict.fromkeys(column.key for column in KEPT))
        reviews.append({**kept, "id": review_id, "cycle_id": cycle.id, "subject_id": person.id,
                        "author_id": person.id if kind == "self" else person.manager_id, "kind": kind,
                        "status": status, "subject_level_key": person.level, "subject_track_key": person.track,
                        "submitted_at": when if status in ("submitted", "shared") else None,
                        "shared_at": when + timedelta(days=2) if status == "shared" else None,
                        "updated_at": when, "lock_version": 1,
                        "readiness": ratings.readiness(rows, person, kind) if finished else None})
        rating_rows.extend(rows)
        return review_id

    def flush_rows(final: bool = False) -> None:
        if reviews and (final or len(rating_rows) >= BATCH * 4):
            for start in range(0, len(reviews), BATCH):
                _bulk_insert(Review, reviews[start:start + BATCH])
            for start in range(0, len(rating_rows), BATCH):
                _bulk_insert(Rating, rating_rows[start:start + BATCH])
            counts["reviews"] += len(reviews)
            counts["ratings"] += len(rating_rows)
            reviews.clear()
            rating_rows.clear()

    done = 0
    opened_at = datetime.combine(current.opens_on, time(8))
    for person in org.people:
        for cycle, shift in ((older, -1), (closed, -1)):
            if rng.random() < 0.93:  # some joined later
                when = datetime.combine(cycle.self_review_due, time(15))
                review(cycle, person, "self", "submitted", when, shift=shift, generous=0.3)
                review(cycle, person, "manager", "shared", when + timedelta(days=10), shift=shift)
        self_status, manager_status, _ = rng.choices(OPEN_STATES, weights=[w for *_, w in OPEN_STATES])[0]
        now = datetime.combine(today - timedelta(days=rng.randint(1, 15)), time(11))
        submitted_self.clear()  # the closed cycle's: the open cycle may have no self-review
        if self_status:
            review_id = review(current, person, "self", self_status, now,
                               share=rng.uniform(0.2, 0.9) if self_status == "draft" else 1.0, generous=0.3)
            notices.add(person.id, Kind.CYCLE_OPENED, "review", review_id, person.id, opened, opened_at,
                        dedupe_key=f"{Kind.CYCLE_OPENED}:{current.id}")
            if self_status == "submitted":
                notices.add(person.manager_id, Kind.SELF_REVIEW_SUBMITTED, "review", review_id, person.id,
                            f"{names[person.id]} submitted their self-review for {current.name}.", now)
        if manager_status:
            review_id = review(current, person, "manager", manager_status, now,
                               share=0.4 if manager_status == "draft" else 1.0)
            if manager_status == "shared":
                notices.add(person.id, Kind.REVIEW_SHARED, "review", review_id, person.id,
                            f"Your manager shared your {current.name} review with you.", now + timedelta(days=2))
        if rng.random() < 0.2:
            target = {"engineer": "senior", "senior": "staff", "staff": "principal", "em": "sem"}.get(person.level)
            if target:
                for cycle in (closed, current) if rng.random() < 0.4 else (current,):
                    verdicts.append({"id": next(verdict_ids), "subject_id": person.id, "author_id": person.manager_id,
                                     "cycle_id": cycle.id, "target_level_key": target,
                                     "verdict": _weighted(rng, VERDICT_WEIGHTS),
                                     "rationale": "Calibrated with the group; see the promotion case.",
                                     "computed_coverage": None,
                                     "created_at": datetime.combine(cycle.manager_review_due, time(10))})
        done += 1
        flush_rows()
        if progress and done % 100 == 0:
            progress(100)
    flush_rows(final=True)
    for start in range(0, len(verdicts), BATCH):
        _bulk_insert(Verdict, verdicts[start:start + BATCH])
    counts["verdicts"] = len(verdicts)
    if progress and done % 100:
        progress(done % 100)
    return counts
