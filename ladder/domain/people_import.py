"""Importing an organisation from CSV: reading the file and planning every row, without a database.

`plan_import` compares the file with the people who exist and the ladders, and returns what
each row would do (create, update, unchanged) and every row's errors, so a dry run shows all
problems at once and an apply can refuse the whole file if anything is wrong.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from .emails import EmailProblem, normalise_email
from .rubric import Rubric

REQUIRED_COLUMNS = ("email", "name", "level", "track", "manager_email")
OPTIONAL_COLUMNS = ("title", "ladder", "ladder_role")
# The ladder_role column: whether the person has a role on the ladder (reviewed, in reports).
LADDER_ROLE_VALUES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False,
                      "false": False, "0": False}
COLUMN_ALIASES = {"manager": "manager_email", "manager email": "manager_email", "manager_email": "manager_email",
                  "manageremail": "manager_email", "e-mail": "email"}
NAME_MAX, TITLE_MAX = 120, 120
MAX_ROWS = 50_000


@dataclass(frozen=True)
class PersonRow:
    """One line of the file, as typed (emails lowercased). `title` is None when there is no column;
    `ladder` is None when there is no column or the cell is empty (the person's ladder, or for a
    new person the default ladder). `ladder_role` is the ladder_role cell as typed (lower case),
    None when there is no column or the cell is empty (kept; for a new person, yes)."""

    line: int
    email: str
    name: str
    level: str
    track: str
    manager_email: str
    title: str | None = None
    ladder: str | None = None
    ladder_role: str | None = None


@dataclass(frozen=True)
class ExistingPerson:
    email: str
    name: str
    level: str
    track: str
    manager_email: str
    title: str
    active: bool = True
    ladder: str = ""  # the key of their ladder
    on_ladder: bool = True


@dataclass
class RowPlan:
    line: int
    email: str
    row: PersonRow
    action: str = "unchanged"  # create | update | unchanged (errors are listed whatever the action)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[RowPlan]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def error_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.errors]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def _column(name: str) -> str:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    return COLUMN_ALIASES.get(key, key.replace(" ", "_"))


def _as_stored(typed: str) -> str:
    """The address as it would be stored, or as typed (lower-cased) when it is refused."""
    try:
        return normalise_email(typed) if typed else ""
    except EmailProblem:
        return typed.lower()


def read_csv(text: str) -> tuple[list[PersonRow], list[str]]:
    """Rows of a CSV text with a header line; problems with the file as a whole are returned."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], ["The file is empty."]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [_column(h) for h in next(reader)]
    except (StopIteration, csv.Error):
        return [], ["The file has no header line."]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [f"Missing column(s): {', '.join(missing)}. The header must name the columns "
                    f"{', '.join(REQUIRED_COLUMNS)} (title is optional); found: {', '.join(header) or 'nothing'}."]
    index = {name: header.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in header}
    rows: list[PersonRow] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                return rows, [f"The file has more than {MAX_ROWS} people; split it."]

            def get(name: str, values: list[str] = values) -> str:
                i = index.get(name)
                return values[i].strip() if i is not None and i < len(values) else ""

            rows.append(PersonRow(
                line=reader.line_num, email=_as_stored(get("email")), name=" ".join(get("name").split()),
                level=get("level"), track=get("track"), manager_email=_as_stored(get("manager_email")),
                title=get("title") if "title" in index else None,
                ladder=get("ladder").lower() or None,
                ladder_role=get("ladder_role").lower() or None,
            ))
    except csv.Error as error:
        return rows, [f"Line {reader.line_num}: the file is not valid CSV ({error})."]
    if not rows:
        return [], ["The file has a header but no people."]
    return rows, []


def plan_import(rows: list[PersonRow], existing: list[ExistingPerson], ladders: Mapping[str, Rubric],
                default_ladder: str) -> ImportPlan:
    """What importing these rows would do to the organisation, and every row's errors; each
    row's level and track are checked against the ladder it names (else the person's own, else
    the default ladder), by key in `ladders` (the latest published version of each)."""
    people = {p.email: p for p in existing}
    lines_of: dict[str, list[int]] = {}
    for row in rows:
        lines_of.setdefault(row.email, []).append(row.line)
    in_file = {row.email: row for row in rows}
    plans: list[RowPlan] = []
    for row in rows:
        plan = RowPlan(row.line, row.email, row)
        plans.append(plan)
        current = people.get(row.email)
        ladder_key = row.ladder or (current and current.ladder) or default_ladder
        rubric = ladders.get(ladder_key)
        if rubric is None:
            plan.errors.append(f"Unknown ladder {ladder_key!r} (published ladders: "
                               f"{', '.join(sorted(ladders)) or 'none'}).")
        _check_fields(row, plan.errors, rubric)
        if row.email and len(lines_of[row.email]) > 1:
            others = [str(n) for n in lines_of[row.email] if n != row.line]
            plan.errors.append(f"Duplicate email: {row.email} is also on line(s) {', '.join(others)}.")
        if row.manager_email and (problem := _manager_problem(row, in_file, people)):
            plan.errors.append(problem)
        if current is None:
            plan.action = "create"
        else:
            plan.changes = _changes(row, current)
            plan.action = "update" if plan.changes else "unchanged"
    _check_cycles(plans, people)
    return ImportPlan(plans)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def on_ladder(row: PersonRow) -> bool | None:
    """Whether the row gives the person a ladder role; None to keep theirs (yes for someone new)."""
    return LADDER_ROLE_VALUES.get(row.ladder_role) if row.ladder_role else None


def _manager_problem(row: PersonRow, in_file: Mapping[str, PersonRow],
                     people: Mapping[str, ExistingPerson]) -> str | None:
    if row.manager_email == row.email:
        return "Reporting cycle: a person cannot be their own manager."
    if row.manager_email not in in_file and row.manager_email not in people:
        return f"Unknown manager: {row.manager_email} is neither in the file nor in Ladder."
    if row.manager_email not in in_file and not people[row.manager_email].active:
        return f"Manager {row.manager_email} is deactivated."
    return None


def _changes(row: PersonRow, current: ExistingPerson) -> dict[str, tuple]:
    """{field: (before, after)} for an existing person (a file without a title, ladder or ladder role
    column leaves those as they are)."""
    wanted = {"name": row.name, "level": row.level, "track": row.track, "manager": row.manager_email}
    if row.title is not None:
        wanted["title"] = row.title
    if row.ladder is not None:
        wanted["ladder"] = row.ladder
    on_ladder = LADDER_ROLE_VALUES.get(row.ladder_role) if row.ladder_role is not None else None
    if on_ladder is not None:
        wanted["ladder_role"] = _yes_no(on_ladder)
    had = {"name": current.name, "level": current.level, "track": current.track,
           "manager": current.manager_email, "title": current.title, "ladder": current.ladder,
           "ladder_role": _yes_no(current.on_ladder)}
    return {k: (had[k], v) for k, v in wanted.items() if had[k] != v}


def _check_fields(row: PersonRow, errors: list[str], rubric: Rubric | None) -> None:
    missing = [name for name in ("email", "name", "level", "track") if not getattr(row, name)]
    if missing:
        errors.append(f"Missing {', '.join(missing)}.")
    for label, typed in (("Email", row.email), ("Manager email", row.manager_email)):
        try:
            if typed:
                normalise_email(typed)
        except EmailProblem as problem:
            errors.append(f"{label} {typed!r}: {problem}")
    if len(row.name) > NAME_MAX:
        errors.append(f"Name is longer than {NAME_MAX} characters.")
    if row.title and len(row.title) > TITLE_MAX:
        errors.append(f"Title is longer than {TITLE_MAX} characters.")
    if row.ladder_role and row.ladder_role not in LADDER_ROLE_VALUES:
        errors.append(f"ladder_role {row.ladder_role!r}: write yes or no (empty keeps it; yes for someone new).")
    if row.level and row.track and rubric is not None:
        placement = rubric.placement_problem(row.level, row.track)
        if placement:
            errors.append(f"{placement[0].upper()}{placement[1:]} (the ladder has levels "
                          f"{', '.join(lv.key for lv in rubric.levels)}; tracks "
                          f"{', '.join(t.key for t in rubric.tracks)}).")


def _check_cycles(plans: list[RowPlan], people: dict[str, ExistingPerson]) -> None:
    """Mark every row on a loop of the reporting lines the organisation would have after import."""
    manager_of = {email: p.manager_email for email, p in people.items()}
    counts = Counter(p.email for p in plans)
    for plan in plans:
        if counts[plan.email] == 1:
            manager_of[plan.email] = plan.row.manager_email
    state: dict[str, int] = {}  # 1: being walked, 2: done
    in_cycle: dict[str, list[str]] = {}
    for start in manager_of:
        path: list[str] = []
        node = start
        while node and state.get(node) is None and node in manager_of:
            state[node] = 1
            path.append(node)
            node = manager_of[node]
        if node and state.get(node) == 1:  # found a loop: from `node` to the end of the path
            loop = path[path.index(node):]
            for email in loop:
                in_cycle[email] = loop
        for email in path:
            state[email] = 2
    for plan in plans:
        cycle = in_cycle.get(plan.email)
        if cycle and plan.row.manager_email != plan.email:
            i = cycle.index(plan.email)
            shown = cycle[i:] + cycle[:i] + [plan.email]
            plan.errors.append("Reporting cycle: " + " → ".join(shown) + ".")
