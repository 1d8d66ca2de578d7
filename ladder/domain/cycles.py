"""Cycle completion: who has done what, who is late, grouped by manager (plain data, no clock)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .statuses import MANAGER_REVIEW_DONE, SELF_REVIEW_DONE


@dataclass(frozen=True)
class ReviewState:
    """One person in a cycle: their reviews' ids and statuses (None when not started)."""

    subject_id: int
    subject_name: str
    manager_id: int | None
    manager_name: str
    self_review_id: int | None
    self_status: str | None
    manager_review_id: int | None
    manager_status: str | None


@dataclass(frozen=True)
class CompletionRow:
    state: ReviewState
    self_late: bool
    manager_late: bool

    @property
    def done(self) -> bool:
        return self.state.self_status in SELF_REVIEW_DONE and self.state.manager_status in MANAGER_REVIEW_DONE


@dataclass
class ManagerGroup:
    manager_id: int | None
    manager_name: str
    rows: list[CompletionRow] = field(default_factory=list)

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.self_late or r.manager_late)

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.done)


def completion(states: list[ReviewState], self_due: date, manager_due: date, today: date) -> list[ManagerGroup]:
    """Group people by manager, marking reviews not finished by their due date as late.

    Managers with the most late reviews come first: they are whom an admin chases.
    """
    groups: dict[int | None, ManagerGroup] = {}
    for state in states:
        group = groups.setdefault(state.manager_id, ManagerGroup(state.manager_id, state.manager_name))
        group.rows.append(CompletionRow(
            state,
            self_late=today > self_due and state.self_status not in SELF_REVIEW_DONE,
            manager_late=today > manager_due and state.manager_status not in MANAGER_REVIEW_DONE,
        ))
    for group in groups.values():
        group.rows.sort(key=lambda r: (not (r.self_late or r.manager_late), r.state.subject_name.lower()))
    return sorted(groups.values(), key=lambda g: (-g.late, g.manager_name.lower()))


def dates_problems(opens_on: date, self_due: date, manager_due: date, closes_on: date) -> list[str]:
    """A cycle's dates must follow each other (the database refuses anything else too)."""
    problems = []
    if self_due < opens_on:
        problems.append("Self-reviews cannot be due before the cycle opens.")
    if manager_due < self_due:
        problems.append("Manager reviews cannot be due before self-reviews.")
    if closes_on < manager_due:
        problems.append("The cycle cannot close before manager reviews are due.")
    return problems


QUESTIONS_MAX = 10
PROMPT_MAX = 300


def parse_questions(text: str) -> tuple[list[str], list[str]]:
    """Questions typed one per line (blank lines ignored), and what is wrong with them."""
    prompts = [line.strip() for line in text.splitlines() if line.strip()]
    problems = []
    if len(prompts) > QUESTIONS_MAX:
        problems.append(f"Ask at most {QUESTIONS_MAX} questions.")
    problems += [f"Keep each question under {PROMPT_MAX} characters (line {i}: {len(p)})."
                 for i, p in enumerate(prompts, 1) if len(p) > PROMPT_MAX]
    return prompts, problems
