"""The review form, built per review from the ladder version it is pinned to."""
from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from ..domain.reviews import Entry, below_current_label
from ..domain.rubric import Level, Rubric
from ..domain.statuses import BELOW_CURRENT
from ..domain.wording import plural
from ..models.reviews import ANSWER_MAX, EVIDENCE_MAX


class ReviewFormBase(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    action = HiddenField(default="save")
    # checked only when the action is "submit": a draft saves without it
    confirm_submit = BooleanField("I have finished: submitting makes this review read-only.")


def rating_field(competency_key: str) -> str:
    return f"rating-{competency_key}"


def evidence_field(competency_key: str) -> str:
    return f"evidence-{competency_key}"


def answer_field(question_id: int) -> str:
    return f"answer-{question_id}"


def build_review_form(rubric: Rubric, track_key: str, level_key: str, entries: dict[str, Entry],
                      lock_version: int, formdata=None, *, questions=(),
                      answers: dict[int, str] | None = None) -> FlaskForm:
    """A form with an answer per question of the cycle, and a rating and an evidence field per
    competency, pre-filled from `answers` and `entries`.

    With formdata (a POST) the fields hold exactly what the person typed, so a re-rendered
    page with errors loses nothing.
    """

    class ReviewForm(ReviewFormBase):
        pass

    current = rubric.level(level_key).title_on(track_key)
    data = {"lock_version": lock_version}
    for question in questions:
        setattr(ReviewForm, answer_field(question.id),
                TextAreaField(question.prompt,
                              validators=[Length(max=ANSWER_MAX,
                                                 message=f"Keep each answer under {ANSWER_MAX} characters.")]))
        data[answer_field(question.id)] = (answers or {}).get(question.id, "")
    below = below_current_label(rubric, current)
    for competency in rubric.competencies:
        choices = [SelectChoice("", "Not rated yet"), SelectChoice(BELOW_CURRENT, below)]
        choices += [SelectChoice(lv.key, _rating_name(rubric, lv, track_key))
                    for lv in rubric.rating_levels(competency, track_key, level_key)]
        setattr(ReviewForm, rating_field(competency.key),
                SelectField(f"Rating for {competency.name}", choices=choices, default=""))
        setattr(ReviewForm, evidence_field(competency.key),
                TextAreaField(f"Evidence for {competency.name}",
                              validators=[Length(max=EVIDENCE_MAX,
                                                 message=f"Keep evidence under {EVIDENCE_MAX} characters.")]))
        entry = entries.get(competency.key)
        if entry:
            data[rating_field(competency.key)] = entry.rating or ""
            data[evidence_field(competency.key)] = entry.evidence
    return ReviewForm(formdata=formdata, data=data)


def entries_from_form(form: FlaskForm, rubric: Rubric) -> dict[str, Entry]:
    """What the person typed, per competency."""
    return {
        c.key: Entry(form[rating_field(c.key)].data or None,
                     (form[evidence_field(c.key)].data or "").replace("\r\n", "\n"))
        for c in rubric.competencies
    }


def answers_from_form(form: FlaskForm, questions) -> dict[int, str]:
    """What the person answered, per question id."""
    return {q.id: (form[answer_field(q.id)].data or "").replace("\r\n", "\n") for q in questions}


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: a link to the field in error, and the competency it is for."""

    field_id: str
    text: str
    competency_key: str | None = None


def rating_choices(form: FlaskForm, competency_key: str) -> set[str]:
    return {choice.value for choice in form[rating_field(competency_key)].iter_choices() if choice.value}


def error_summary(form: FlaskForm, rubric: Rubric, problems: dict[str, str], questions=()) -> list[ErrorLink]:
    """A link per field in error, in the order of the page. A competency's problem points at its
    evidence when its rating is a valid one (a claim above level without evidence), else at the rating."""
    links = [ErrorLink(form[answer_field(q.id)].id, f"{q.prompt}: {error}")
             for q in questions for error in form[answer_field(q.id)].errors]
    for competency in rubric.competencies:
        rating, evidence = form[rating_field(competency.key)], form[evidence_field(competency.key)]
        for field in (rating, evidence):
            links += [ErrorLink(field.id, f"{competency.name}: {error}", competency.key) for error in field.errors]
        problem = problems.get(competency.key)
        if problem:
            target = evidence if rating.data in rating_choices(form, competency.key) else rating
            links.append(ErrorLink(target.id, f"{competency.name}: {problem}", competency.key))
    links += [ErrorLink(form.confirm_submit.id, error) for error in form.confirm_submit.errors]
    return links


class AcknowledgeForm(FlaskForm):
    comment = TextAreaField("Your comment (optional)", validators=[Length(max=EVIDENCE_MAX)])


def _rating_name(rubric: Rubric, level: Level, track_key: str) -> str:
    """A rating option: the level's title on the track, or a milestone with its points."""
    if rubric.rule.is_points:
        return f"{level.name} ({plural(rubric.rule.points_of(level.key), 'point')})"
    return level.title_on(track_key)
