"""Builders for mentorship records (add and flush; the test commits)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ladder import clock
from ladder.extensions import db
from ladder.models import ActionItem, FeedbackNote, Goal, Mentorship, OneOnOne, User


def make_mentorship(mentor: User, mentee: User, *, focus=("system-design",), starts_on: date | None = None,
                    ends_on: date | None = None) -> Mentorship:
    m = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, focus=list(focus),
                   starts_on=starts_on or clock.today() - timedelta(days=30), ends_on=ends_on)
    db.session.add(m)
    db.session.flush()
    return m


def make_note(author: User, subject: User, body: str, *, role: str, visibility: str = "shared",
              competencies=(), created_at: datetime | None = None) -> FeedbackNote:
    note = FeedbackNote(author_id=author.id, subject_id=subject.id, author_role=role, body=body,
                        visibility=visibility, competencies=list(competencies))
    if created_at:
        note.created_at = note.updated_at = created_at
    db.session.add(note)
    db.session.flush()
    return note


def make_one_on_one(author: User, subject: User, notes: str, *, role: str, visibility: str = "shared",
                    held_on: date | None = None, items=(), competencies=()) -> OneOnOne:
    record = OneOnOne(author_id=author.id, subject_id=subject.id, author_role=role, notes=notes,
                      visibility=visibility, held_on=held_on or clock.today() - timedelta(days=3),
                      participants=f"{author.name}, {subject.name}", competencies=list(competencies))
    db.session.add(record)
    db.session.flush()
    for position, text in enumerate(items):
        db.session.add(ActionItem(one_on_one_id=record.id, position=position, text=text))
    db.session.flush()
    return record


def make_goal(owner: User, title: str, *, by: User | None = None, status: str = "open", due_on: date | None = None,
              competencies=()) -> Goal:
    goal = Goal(owner_id=owner.id, created_by_id=(by or owner).id, title=title, status=status, due_on=due_on,
                competencies=list(competencies))
    db.session.add(goal)
    db.session.flush()
    return goal
