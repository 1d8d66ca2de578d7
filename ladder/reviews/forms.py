"""The review form, built per review from the ladder version it is pinned to."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from ..domain.readiness import BELOW_CURRENT
from ..domain.reviews import Entry
from ..domain.rubric import Rubric
from ..models.reviews import EVIDENCE_MAX


class ReviewFormBase(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    action = HiddenField(default="save")


def rating_field(competency_key: str) -> str:
    return f"rating-{competency_key}"


def evidence_field(competency_key: str) -> str:
    return f"evidence-{competency_key}"


def build_review_form(rubric: Rubric, track_key: str, level_key: str, entries: dict[str, Entry],
                      lock_version: int, formdata=None) -> FlaskForm:
    """A form with a rating and an evidence field per competency, pre-filled from `entries`.

    With formdata (a POST) the fields hold exactly what the person typed, so a re-rendered
    page with errors loses nothing.
    """

    class ReviewForm(ReviewFormBase):
        pass

    current = rubric.level(level_key).name
    data = {"lock_version": lock_version}
    for competency in rubric.competencies:
        choices = [SelectChoice("", "Not rated yet"), SelectChoice(BELOW_CURRENT, f"Below current level ({current})")]
        choices += [SelectChoice(lv.key, lv.name) for lv in rubric.rating_levels(competency, track_key, level_key)]
        setattr(ReviewForm, rating_field(competency.key),
                SelectField(f"Rating for {competency.name}", choices=choices, default=""))
        setattr(ReviewForm, evidence_field(competency.key),
                TextAreaField(f"Evidence for {competency.name}",
                              validators=[Length(max=EVIDENCE_MAX, message=f"Keep evidence under {EVIDENCE_MAX} characters.")]))
        entry = entries.get(competency.key)
        if entry:
            data[rating_field(competency.key)] = entry.rating or ""
            data[evidence_field(competency.key)] = entry.evidence
    return ReviewForm(formdata=formdata, data=data)


def refresh_lock(form: FlaskForm, lock_version: int) -> None:
    """Point a re-rendered form at the review's current version (the next save overwrites)."""
    form.lock_version.data = lock_version
    form.lock_version.raw_data = [str(lock_version)]


def entries_from_form(form: FlaskForm, rubric: Rubric) -> dict[str, Entry]:
    """What the person typed, per competency."""
    return {
        c.key: Entry(form[rating_field(c.key)].data or None, (form[evidence_field(c.key)].data or "").replace("\r\n", "\n"))
        for c in rubric.competencies
    }


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token to check."""


class AcknowledgeForm(FlaskForm):
    comment = TextAreaField("Your comment (optional)", validators=[Length(max=EVIDENCE_MAX)])


class ReopenForm(FlaskForm):
    reason = TextAreaField("Why reopen it?", validators=[DataRequired(), Length(max=1000)])
